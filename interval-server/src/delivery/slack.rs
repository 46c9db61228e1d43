//! Slack deliveries: a message posted to the configured incoming webhook,
//! `{"text": …, "channel": to}`. The channel override (`#ops`, `@ada`) is
//! honored by legacy webhooks; an app's webhook posts to the channel it was
//! made for.

use std::time::Duration;

use serde_json::json;

use super::{Context, Failure};
use crate::db::NotificationRecord;

/// Posts to one incoming webhook.
pub(super) struct Webhook {
    /// The webhook URL: a secret, kept out of every message.
    url: reqwest::Url,
    client: reqwest::Client,
}

impl Webhook {
    /// A webhook at `url`; an error says why it cannot be used (without
    /// the URL, a secret).
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Webhook, String> {
        let url = reqwest::Url::parse(url.trim())
            .map_err(|e| format!("the Slack webhook URL is not a URL ({e})"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("the Slack webhook URL must be an https:// URL".into());
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("could not make an HTTP client for Slack: {e}"))?;
        Ok(Webhook { url, client })
    }

    /// Posts `notification` for `to`.
    pub(super) async fn send(
        &self,
        to: &str,
        notification: &NotificationRecord,
        context: &Context<'_>,
    ) -> Result<(), Failure> {
        let body = json!({"text": text(notification, context), "channel": to});
        let response = self
            .client
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            // Without the URL: reqwest's errors name it, and it is a secret.
            .map_err(|e| {
                Failure::transient(format!("Slack could not be reached: {}", e.without_url()))
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer = response.text().await.unwrap_or_default();
        let answer: String = answer.trim().chars().take(200).collect();
        let message = if answer.is_empty() {
            format!("Slack answered {status}")
        } else {
            format!("Slack answered {status}: {answer}")
        };
        // Slack answers 4xx for a payload or channel it will never take
        // (invalid_payload, channel_not_found, no_service…), 5xx and 429
        // when another attempt may work.
        if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::permanent(message))
        } else {
            Err(Failure::transient(message))
        }
    }
}

/// Escapes what Slack's mrkdwn reads as markup (`&`, `<`, `>`).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The message: the title in bold, the message, and a link to the
/// transaction when one sent it.
fn text(notification: &NotificationRecord, context: &Context<'_>) -> String {
    let mut text = String::new();
    if let Some(title) = notification
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        text.push_str(&format!("*{}*\n", escape(title.trim())));
    }
    text.push_str(&escape(&notification.message));
    if let Some(url) = &context.transaction_url {
        text.push_str(&format!("\n<{url}|View the transaction>"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_bold_and_markup_is_escaped() {
        let notification = NotificationRecord {
            id: "n".into(),
            message: "a < b & c".into(),
            title: Some("Deploy".into()),
            transaction_id: None,
            deliveries: serde_json::Value::Null,
            created_at: 0,
        };
        let context = Context {
            organization: "Acme",
            transaction_url: None,
        };
        assert_eq!(text(&notification, &context), "*Deploy*\na &lt; b &amp; c");
    }

    #[test]
    fn a_webhook_needs_a_url() {
        assert!(Webhook::new("not a url", Duration::from_secs(1)).is_err());
        assert!(Webhook::new("https://hooks.slack.com/services/x", Duration::from_secs(1)).is_ok());
    }
}
