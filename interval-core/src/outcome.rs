//! How a handler ends: its result ([`HandlerResult`]), its error
//! ([`ActionError`]), and the report of a failure to the `on_error` callback
//! ([`ErrorEvent`], [`OnError`]).

use std::fmt;
use std::sync::Arc;

use interval_protocol::types::{ActionDefinition, Organization, User};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::future::BoxFuture;

/// The error an action handler failed with, as reported in the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    /// The error's name (`"Error"`, `"IOError"`, `"IntervalError"`, ...).
    pub name: String,
    /// The error's message.
    pub message: String,
    /// `"<name>: <message>"` of the error's source, when it has one.
    pub cause: Option<String>,
    /// The runner canceled the transaction (no result is sent).
    pub canceled: bool,
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl ActionError {
    /// Describes any error a handler may return. Errors of this crate keep
    /// the official SDK's names; anything else is an `"Error"`.
    pub fn from_error(error: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        let cause = error.source().map(|s| format!("Error: {s}"));
        match error.downcast::<Error>() {
            Ok(e) => ActionError {
                name: e.js_name().to_owned(),
                message: e.to_string(),
                cause,
                canceled: e.is_canceled(),
            },
            Err(other) => ActionError {
                name: "Error".to_owned(),
                message: other.to_string(),
                cause,
                canceled: false,
            },
        }
    }
}

/// What a handler produced: the JSON of its return value, or its error.
pub type HandlerResult = Result<Value, ActionError>;

/// What a running action handler is.
pub(crate) type HandlerFuture = BoxFuture<HandlerResult>;

/// Information handed to the [`on_error`](crate::IntervalBuilder::on_error)
/// callback when an action fails.
#[derive(Debug, Clone)]
pub struct ErrorEvent {
    /// What failed.
    pub error: ActionError,
    /// The full slug of the action.
    pub route: String,
    /// The action's definition.
    pub route_definition: Option<ActionDefinition>,
    /// The transaction's params.
    pub params: Map<String, Value>,
    /// The environment slug.
    pub environment: String,
    /// Who ran it.
    pub user: User,
    /// The organization.
    pub organization: Organization,
}

/// A global error callback.
pub type OnError = Arc<dyn Fn(ErrorEvent) + Send + Sync>;

impl ErrorEvent {
    /// Hands the event to `on_error`, if there is one; a panicking callback
    /// is logged, never propagated.
    pub(crate) fn report(self, on_error: Option<&OnError>) {
        if let Some(on_error) = on_error {
            let call = std::panic::AssertUnwindSafe(|| on_error(self));
            if std::panic::catch_unwind(call).is_err() {
                tracing::error!("The on_error callback panicked");
            }
        }
    }
}
