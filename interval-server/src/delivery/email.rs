//! E-mail deliveries: a plain-text message per recipient, sent through the
//! configured SMTP server with lettre (rustls for TLS).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{subject, Context, Failure, SmtpConfig, SmtpSecurity};
use crate::db::NotificationRecord;

/// Checks that `to` is an e-mail address; the error says it is not.
pub(super) fn check_address(to: &str) -> Result<(), String> {
    to.parse::<Address>()
        .map(|_| ())
        .map_err(|_| format!("Not a valid e-mail address: {to}"))
}

/// Sends through one SMTP server.
pub(super) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl Mailer {
    /// A mailer for `smtp`; an error says what in it is not valid.
    pub(super) fn new(smtp: &SmtpConfig, timeout: Duration) -> Result<Mailer, String> {
        let from: Mailbox = smtp.from.parse().map_err(|e| {
            format!(
                "the SMTP sender {:?} is not an e-mail address (or `Name <address>`): {e}",
                smtp.from
            )
        })?;
        let host = smtp.host.trim();
        if host.is_empty() {
            return Err("the SMTP host is empty".into());
        }
        let builder = match smtp.security {
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| format!("the SMTP server {host:?} cannot be used: {e}"))?;
        let mut builder = builder
            .port(smtp.port.unwrap_or_else(|| smtp.security.default_port()))
            .timeout(Some(timeout));
        match (&smtp.username, &smtp.password) {
            (Some(username), Some(password)) => {
                builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
            }
            (Some(_), None) => return Err("an SMTP user name was given without a password".into()),
            (None, Some(_)) => return Err("an SMTP password was given without a user name".into()),
            (None, None) => {}
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            timeout,
        })
    }

    /// Sends `notification` to `to`.
    pub(super) async fn send(
        &self,
        to: &str,
        notification: &NotificationRecord,
        context: &Context<'_>,
    ) -> Result<(), Failure> {
        let address: Address = to
            .parse()
            .map_err(|_| Failure::permanent(format!("Not a valid e-mail address: {to}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(subject(notification, context.organization))
            .header(ContentType::TEXT_PLAIN)
            .body(body(notification, context))
            .map_err(|e| Failure::permanent(format!("The message could not be built: {e}")))?;
        // A bounded wait in all: the transport's timeout covers each step,
        // not the whole dialogue.
        let limit = self.timeout * 2;
        match tokio::time::timeout(limit, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(Failure::permanent(format!(
                "The SMTP server refused the message: {e}"
            ))),
            Ok(Err(e)) => Err(Failure::transient(format!("SMTP error: {e}"))),
            Err(_) => Err(Failure::transient(format!(
                "The SMTP server did not answer within {}",
                humantime::format_duration(limit)
            ))),
        }
    }
}

/// The plain-text body: the message, then a link to the transaction when
/// one sent it.
fn body(notification: &NotificationRecord, context: &Context<'_>) -> String {
    let mut body = notification.message.clone();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    if let Some(url) = &context.transaction_url {
        body.push_str(&format!(
            "\nView the transaction that sent this notification: {url}\n"
        ));
    }
    body.push_str(&format!(
        "\n-- \nSent by {} (interval-rs)\n",
        context.organization
    ));
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("ops@example.com").is_ok());
        assert_eq!(
            check_address("#ops").unwrap_err(),
            "Not a valid e-mail address: #ops"
        );
    }

    #[test]
    fn the_body_links_to_the_transaction() {
        let notification = NotificationRecord {
            id: "n".into(),
            message: "Disk full".into(),
            title: None,
            transaction_id: Some("t1".into()),
            deliveries: serde_json::Value::Null,
            created_at: 0,
        };
        let context = Context {
            organization: "Acme",
            transaction_url: Some("https://i.example.com/history/t1".into()),
        };
        let text = body(&notification, &context);
        assert!(text.starts_with("Disk full\n"), "{text}");
        assert!(text.contains("https://i.example.com/history/t1"), "{text}");
        assert_eq!(subject(&notification, "Acme"), "Notification from Acme");
    }

    #[test]
    fn a_sender_must_be_an_address() {
        let smtp = SmtpConfig::new("smtp.example.com", "not an address");
        assert!(Mailer::new(&smtp, Duration::from_secs(1)).is_err());
        let smtp = SmtpConfig::new("smtp.example.com", "Ops <ops@example.com>");
        assert!(Mailer::new(&smtp, Duration::from_secs(1)).is_ok());
    }
}
