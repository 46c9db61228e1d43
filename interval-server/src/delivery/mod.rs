//! Delivery of notifications (`ctx.notify`, `POST /api/notify`, the
//! `NOTIFY` websocket call) by e-mail over SMTP and to Slack through an
//! incoming webhook, as Interval delivers them.
//!
//! A notification is stored with one delivery per instruction, in the same
//! database transaction ([`crate::db::Store::notify_with_deliveries`]); the
//! request returns as soon as they are stored. A background worker (one per
//! server) claims the pending deliveries that are due, sends them (a few at
//! once), and records each outcome: sent, or an error, retried with a
//! growing delay up to [`DeliveryConfig::max_attempts`] attempts and then
//! failed with the error text. Deliveries still pending when the server
//! stops are resumed when it starts again.
//!
//! As Interval: only notifications sent with a live (production) key are
//! delivered; a development key's are stored and shown in the dashboard
//! (their deliveries `skipped`). An instruction without a method goes by
//! Slack when `to` is a channel (`#ops`) or a user (`@ada`), by e-mail
//! otherwise. A method whose channel this server has no configuration for
//! fails at once with a reason that says so.

mod config;
#[cfg(feature = "email")]
mod email;
#[cfg(not(feature = "email"))]
#[path = "email_unavailable.rs"]
mod email;
mod slack;

pub use config::{DeliveryConfig, SmtpConfig, SmtpSecurity};

use std::sync::Arc;
use std::time::Duration;

use interval_protocol::types::{DeliveryInstruction, DeliveryMethod};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::db::{
    now_ms, DbError, DeliveryRecord, DeliveryStatus, DueDelivery, NewDelivery, NotificationRecord,
};
use crate::keys::KeyKind;
use crate::state::AppState;

/// Why a development key's delivery is skipped.
pub const DEVELOPMENT_KEY: &str = "development key";
/// Why an e-mail delivery fails on a server without SMTP.
pub const SMTP_NOT_CONFIGURED: &str = "SMTP is not configured on this server";
/// Why a Slack delivery fails on a server without a Slack webhook.
pub const SLACK_NOT_CONFIGURED: &str =
    "Slack is not configured on this server (no incoming webhook URL)";

/// Deliveries sent at once by one server.
const MAX_IN_FLIGHT: usize = 8;
/// How long a claimed delivery is not claimed again (an attempt takes at
/// most the SMTP or Slack timeout, well below this).
const LEASE: Duration = Duration::from_secs(600);
/// How long the worker sleeps at most between two looks at the database.
const IDLE: Duration = Duration::from_secs(60);

/// The channels a server delivers through, made from its
/// [`DeliveryConfig`] when it starts.
pub(crate) struct Channels {
    config: DeliveryConfig,
    email: Option<email::Mailer>,
    slack: Option<slack::Webhook>,
}

impl Channels {
    /// The channels of `config`; an error says what in it is not valid (a
    /// sender that is not an address, a webhook URL that is not a URL).
    pub(crate) fn new(config: &DeliveryConfig) -> Result<Channels, String> {
        let email = config
            .smtp
            .as_ref()
            .map(|smtp| email::Mailer::new(smtp, config.timeout))
            .transpose()?;
        let slack = config
            .slack_webhook_url
            .as_deref()
            .map(|url| slack::Webhook::new(url, config.timeout))
            .transpose()?;
        Ok(Channels {
            config: config.clone(),
            email,
            slack,
        })
    }
}

/// Wakes the delivery worker when deliveries are queued (kept in the
/// server's state).
#[derive(Debug, Default)]
pub(crate) struct Queue {
    wake: Notify,
}

/// The method of an instruction: as given, or Slack for a channel (`#ops`)
/// or a user (`@ada`), e-mail otherwise.
pub fn method_of(instruction: &DeliveryInstruction) -> DeliveryMethod {
    instruction.method.unwrap_or_else(|| {
        let to = instruction.to.trim();
        if to.starts_with('#') || to.starts_with('@') {
            DeliveryMethod::Slack
        } else {
            DeliveryMethod::Email
        }
    })
}

/// Stores notification `record` sent with a key of kind `key`, with a
/// delivery per instruction, and wakes the worker when one is to be sent.
/// Returns false when `idempotency_key` was already used (nothing stored,
/// nothing sent).
pub(crate) async fn queue_notification(
    state: &AppState,
    record: &NotificationRecord,
    idempotency_key: Option<&str>,
    key: KeyKind,
    instructions: &[DeliveryInstruction],
) -> Result<bool, DbError> {
    let delivery = &state.config.delivery;
    let deliveries: Vec<NewDelivery> = instructions
        .iter()
        .map(|instruction| {
            let method = method_of(instruction);
            let to = instruction.to.trim().to_owned();
            let refusal = if key == KeyKind::Development {
                Some((DeliveryStatus::Skipped, DEVELOPMENT_KEY.to_owned()))
            } else {
                match method {
                    DeliveryMethod::Email if delivery.smtp.is_none() => {
                        Some((DeliveryStatus::Failed, SMTP_NOT_CONFIGURED.to_owned()))
                    }
                    DeliveryMethod::Email => email::check_address(&to)
                        .err()
                        .map(|e| (DeliveryStatus::Failed, e)),
                    DeliveryMethod::Slack if delivery.slack_webhook_url.is_none() => {
                        Some((DeliveryStatus::Failed, SLACK_NOT_CONFIGURED.to_owned()))
                    }
                    DeliveryMethod::Slack if to.is_empty() => Some((
                        DeliveryStatus::Failed,
                        "No Slack channel or user to send to".to_owned(),
                    )),
                    DeliveryMethod::Slack => None,
                }
            };
            let (status, error) = match refusal {
                Some((status, error)) => (status, Some(error)),
                None => (DeliveryStatus::Pending, None),
            };
            NewDelivery {
                method,
                to,
                status,
                error,
            }
        })
        .collect();
    let stored = state
        .store
        .notify_with_deliveries(record, idempotency_key, key.environment(), &deliveries)
        .await?;
    if stored
        && deliveries
            .iter()
            .any(|d| d.status == DeliveryStatus::Pending)
    {
        state.deliveries.wake.notify_one();
    }
    // Shown at once to whoever watches the transaction, as Interval does.
    if let (true, Some(id)) = (stored, &record.transaction_id) {
        state.registry().emit(
            id,
            crate::api::Event::Notified {
                transaction_id: id.clone(),
                title: record.title.clone(),
                message: record.message.clone(),
            },
        );
    }
    Ok(stored)
}

/// What a delivery is about, for its message.
pub(crate) struct Context<'a> {
    /// The organization's name.
    #[cfg_attr(not(feature = "email"), allow(dead_code))]
    pub organization: &'a str,
    /// The link to the transaction that sent it, if one did.
    pub transaction_url: Option<String>,
}

/// Starts the delivery worker of `state`; it stops with `shutdown`.
pub(crate) fn spawn(state: Arc<AppState>, channels: Channels, shutdown: CancellationToken) {
    tokio::spawn(async move {
        match state.store.resume_pending_deliveries().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("resuming {n} notification deliveries left pending"),
            Err(e) => tracing::error!("{e}"),
        }
        run(state, Arc::new(channels), shutdown).await;
    });
}

async fn run(state: Arc<AppState>, channels: Arc<Channels>, shutdown: CancellationToken) {
    let mut tasks = JoinSet::new();
    loop {
        let room = MAX_IN_FLIGHT.saturating_sub(tasks.len());
        let mut wait = IDLE;
        if room > 0 {
            let now = now_ms();
            let lease_until = now + LEASE.as_millis() as i64;
            match state
                .store
                .claim_due_deliveries(now, lease_until, room)
                .await
            {
                Ok(due) => {
                    for due in due {
                        tasks.spawn(attempt(state.clone(), channels.clone(), due));
                    }
                }
                Err(e) => {
                    tracing::error!("{e}");
                    wait = Duration::from_secs(5);
                }
            }
            match state.store.next_delivery_due().await {
                Ok(Some(at)) => {
                    let until = Duration::from_millis((at - now_ms()).max(0) as u64);
                    wait = wait.min(until);
                }
                Ok(None) => {}
                Err(e) => tracing::error!("{e}"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = state.deliveries.wake.notified() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            // With no room, only a finished attempt makes room.
            _ = tokio::time::sleep(wait), if room > 0 => {}
        }
    }
}

/// One attempt at `due`, and its outcome recorded.
async fn attempt(state: Arc<AppState>, channels: Arc<Channels>, due: DueDelivery) {
    let DueDelivery {
        delivery,
        notification,
    } = due;
    let context = Context {
        organization: &state.organization.name,
        transaction_url: notification
            .transaction_id
            .as_ref()
            .map(|id| format!("{}/history/{id}", state.base_url())),
    };
    let sent = match delivery.method {
        DeliveryMethod::Email => match &channels.email {
            Some(mailer) => mailer.send(&delivery.to, &notification, &context).await,
            None => Err(Failure::permanent(SMTP_NOT_CONFIGURED)),
        },
        DeliveryMethod::Slack => match &channels.slack {
            Some(webhook) => webhook.send(&delivery.to, &notification, &context).await,
            None => Err(Failure::permanent(SLACK_NOT_CONFIGURED)),
        },
    };
    let attempts = delivery.attempts + 1;
    let config = &channels.config;
    let recorded = match sent {
        Ok(()) => {
            tracing::info!(
                "notification {} sent to {} by {:?}",
                notification.id,
                delivery.to,
                delivery.method
            );
            state
                .store
                .record_delivery_attempt(
                    delivery.id,
                    DeliveryStatus::Sent,
                    attempts,
                    None,
                    now_ms(),
                )
                .await
        }
        Err(failure) if failure.permanent || attempts >= config.max_attempts => {
            tracing::warn!(
                "notification {} not sent to {} by {:?} ({attempts} attempt(s)): {}",
                notification.id,
                delivery.to,
                delivery.method,
                failure.message
            );
            state
                .store
                .record_delivery_attempt(
                    delivery.id,
                    DeliveryStatus::Failed,
                    attempts,
                    Some(&failure.message),
                    now_ms(),
                )
                .await
        }
        Err(failure) => {
            let wait = config.backoff(attempts);
            tracing::info!(
                "notification {} not sent to {} by {:?} (attempt {attempts}; trying again in {}): {}",
                notification.id,
                delivery.to,
                delivery.method,
                humantime::format_duration(wait),
                failure.message
            );
            state
                .store
                .record_delivery_attempt(
                    delivery.id,
                    DeliveryStatus::Pending,
                    attempts,
                    Some(&failure.message),
                    now_ms() + wait.as_millis() as i64,
                )
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!("{e}");
    }
}

/// A delivery as a person reads it: "Sent to ops@example.com by email",
/// "Not sent to #ops on Slack. Failed: …".
pub fn describe(delivery: &DeliveryRecord) -> String {
    let to = &delivery.to;
    let by = match delivery.method {
        DeliveryMethod::Email => "by email",
        DeliveryMethod::Slack => "on Slack",
    };
    let error = delivery.last_error.as_deref().unwrap_or("unknown error");
    let attempts = match delivery.attempts {
        0 | 1 => String::new(),
        n => format!(" ({n} attempts)"),
    };
    match delivery.status {
        DeliveryStatus::Sent => format!("Sent to {to} {by}"),
        DeliveryStatus::Failed => format!("Not sent to {to} {by}. Failed: {error}{attempts}"),
        DeliveryStatus::Skipped if error == DEVELOPMENT_KEY => {
            format!("Not sent to {to} {by}: sent with a development key, it is only shown here")
        }
        DeliveryStatus::Skipped => format!("Not sent to {to} {by}: {error}"),
        DeliveryStatus::Pending if delivery.attempts == 0 => format!("Sending to {to} {by}…"),
        DeliveryStatus::Pending => format!(
            "Sending to {to} {by}: attempt {} failed ({error}); trying again",
            delivery.attempts
        ),
    }
}

/// Why an attempt failed.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What went wrong, as a person reads it (no secret in it).
    pub message: String,
    /// Whether trying again cannot help (a configuration or an address
    /// that is not valid).
    pub permanent: bool,
}

impl Failure {
    /// A failure that another attempt may not have.
    pub fn transient(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure that every attempt would have.
    pub fn permanent(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            permanent: true,
        }
    }
}

/// The subject of a notification: its title, or a default naming the
/// organization.
#[cfg_attr(not(feature = "email"), allow(dead_code))]
pub(crate) fn subject(notification: &NotificationRecord, organization: &str) -> String {
    match notification.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_owned(),
        _ => format!("Notification from {organization}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instruction(to: &str, method: Option<DeliveryMethod>) -> DeliveryInstruction {
        DeliveryInstruction {
            to: to.into(),
            method,
        }
    }

    #[test]
    fn a_missing_method_is_read_from_the_recipient() {
        assert_eq!(
            method_of(&instruction("ops@example.com", None)),
            DeliveryMethod::Email
        );
        assert_eq!(method_of(&instruction("#ops", None)), DeliveryMethod::Slack);
        assert_eq!(method_of(&instruction("@ada", None)), DeliveryMethod::Slack);
        assert_eq!(
            method_of(&instruction("#ops", Some(DeliveryMethod::Email))),
            DeliveryMethod::Email
        );
    }

    #[test]
    fn retries_wait_longer_each_time() {
        let config = DeliveryConfig::default().retry_delay(Duration::from_secs(30));
        assert_eq!(config.backoff(1), Duration::from_secs(30));
        assert_eq!(config.backoff(2), Duration::from_secs(120));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = DeliveryConfig::default()
            .smtp(SmtpConfig::new("smtp.example.com", "a@example.com").credentials("me", "hunter2"))
            .slack_webhook_url("https://hooks.slack.com/services/T0/B0/secret");
        let text = format!("{config:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("secret"),
            "{text}"
        );
        assert!(text.contains("smtp.example.com"), "{text}");
    }

    #[test]
    fn security_parses() {
        assert_eq!("STARTTLS".parse(), Ok(SmtpSecurity::StartTls));
        assert_eq!("tls".parse(), Ok(SmtpSecurity::Tls));
        assert_eq!("none".parse(), Ok(SmtpSecurity::None));
        assert!("ssl".parse::<SmtpSecurity>().is_err());
    }
}
