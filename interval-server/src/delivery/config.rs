//! Where notifications are delivered: the SMTP server and the Slack
//! webhook a server is configured with.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::config::ServerConfig;

/// Where notifications from live keys are delivered: an SMTP server for
/// e-mail, a Slack incoming webhook for Slack. Without either, deliveries
/// by that method fail with a reason that says so.
#[derive(Clone)]
pub struct DeliveryConfig {
    /// The SMTP server that sends e-mail.
    pub smtp: Option<SmtpConfig>,
    /// A Slack incoming webhook URL (`https://hooks.slack.com/services/…`):
    /// a secret, never logged.
    pub slack_webhook_url: Option<String>,
    /// Attempts at one delivery before it is failed (default 3).
    pub max_attempts: u32,
    /// Wait before the first retry (default 30 s); each further retry waits
    /// four times longer than the one before.
    pub retry_delay: Duration,
    /// How long one attempt may take (default 30 s): connecting, TLS and
    /// the SMTP dialogue, or the webhook's request.
    pub timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            smtp: None,
            slack_webhook_url: None,
            max_attempts: 3,
            retry_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("smtp", &self.smtp)
            .field(
                "slack_webhook_url",
                &self.slack_webhook_url.as_ref().map(|_| "<redacted>"),
            )
            .field("max_attempts", &self.max_attempts)
            .field("retry_delay", &self.retry_delay)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl DeliveryConfig {
    /// Sends e-mail through this SMTP server.
    pub fn smtp(mut self, smtp: SmtpConfig) -> Self {
        self.smtp = Some(smtp);
        self
    }

    /// Posts Slack notifications to this incoming webhook.
    pub fn slack_webhook_url(mut self, url: impl Into<String>) -> Self {
        self.slack_webhook_url = Some(url.into());
        self
    }

    /// Attempts at one delivery before it is failed (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Wait before the first retry (each further one waits four times
    /// longer).
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// How long one attempt may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The wait before the attempt after attempt number `attempts` (from 1).
    pub(super) fn backoff(&self, attempts: u32) -> Duration {
        self.retry_delay
            .saturating_mul(4u32.saturating_pow(attempts.saturating_sub(1)))
    }
}

impl ServerConfig {
    /// Delivers notifications from live keys as `delivery` says (by
    /// default nothing is configured, and deliveries fail with a reason).
    pub fn delivery(mut self, delivery: DeliveryConfig) -> Self {
        self.delivery = delivery;
        self
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587
    /// by default).
    #[default]
    StartTls,
    /// TLS from the start, "implicit TLS" (port 465 by default).
    Tls,
    /// No encryption at all (port 25 by default): for a relay on the same
    /// machine or network only; credentials would go in clear.
    None,
}

impl SmtpSecurity {
    /// The usual port for this security.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

impl FromStr for SmtpSecurity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            other => Err(format!(
                "unknown SMTP security {other:?}: use starttls, tls or none"
            )),
        }
    }
}

impl fmt::Display for SmtpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        })
    }
}

/// An SMTP server to send e-mail through.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Its host name (checked against its TLS certificate).
    pub host: String,
    /// Its port; `None` takes the usual one for `security`.
    pub port: Option<u16>,
    /// The user name to log in with, if it needs a login.
    pub username: Option<String>,
    /// The password to log in with: a secret, never logged.
    pub password: Option<String>,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The sender: an address, or `Name <address>`.
    pub from: String,
}

impl SmtpConfig {
    /// The SMTP server at `host`, with STARTTLS on port 587, no login,
    /// sending as `from`.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port: None,
            username: None,
            password: None,
            security: SmtpSecurity::default(),
            from: from.into(),
        }
    }

    /// Connects to this port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Logs in with these credentials.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Protects the connection this way.
    pub fn security(mut self, security: SmtpSecurity) -> Self {
        self.security = security;
        self
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("security", &self.security)
            .field("from", &self.from)
            .finish()
    }
}
