//! E-mail deliveries in a server built without the `email` feature (an
//! embedded server: its hosts use development keys, whose notifications
//! are never delivered). Configuring SMTP then fails at start, saying so.

use std::time::Duration;

use super::{Context, Failure, SmtpConfig};
use crate::db::NotificationRecord;

/// Checks that `to` looks like an e-mail address.
pub(super) fn check_address(to: &str) -> Result<(), String> {
    match crate::people::plausible_email(to) {
        true => Ok(()),
        false => Err(format!("Not a valid e-mail address: {to}")),
    }
}

/// No mailer can be made.
pub(super) enum Mailer {}

impl Mailer {
    /// Always an error: this build cannot send e-mail.
    pub(super) fn new(_smtp: &SmtpConfig, _timeout: Duration) -> Result<Mailer, String> {
        Err(
            "this server was built without e-mail delivery; enable interval-server's `email` \
             feature to use SMTP"
                .into(),
        )
    }

    /// Never called: there is no mailer.
    pub(super) async fn send(
        &self,
        _to: &str,
        _notification: &NotificationRecord,
        _context: &Context<'_>,
    ) -> Result<(), Failure> {
        match *self {}
    }
}
