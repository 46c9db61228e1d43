//! Errors of the runtime.

use std::fmt;

/// An error of the interval-rs runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// There is no open connection to the server (`listen()` was not called,
    /// the connection dropped, or the client was closed).
    #[error("not connected to the Interval server")]
    NotConnected,
    /// Something did not happen in time (an ACK, a response, a pong, the
    /// handshake). The message says what, and after how long.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server refused or failed a request; the message is the server's.
    #[error("{0}")]
    Interval(String),
    /// An I/O call of an action failed (canceled, closed, bad response).
    #[error(transparent)]
    Io(#[from] IoError),
    /// The configuration is incomplete or invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The WebSocket connection could not be opened or was refused.
    #[error("could not connect to {endpoint}: {reason}")]
    Connect {
        /// The endpoint tried.
        endpoint: String,
        /// What went wrong, with the server's close reason when it gave one.
        reason: String,
    },
    /// An HTTP API call failed before the server could answer.
    #[error("HTTP request to {url} failed: {reason}")]
    Http {
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A message from the server did not have the expected shape.
    #[error("invalid {what} from the server: {reason}")]
    InvalidMessage {
        /// Which message.
        what: String,
        /// What was wrong with it.
        reason: String,
    },
}

impl Error {
    /// The name of the error as the official SDK reports it in a failed
    /// transaction's result (`NotConnectedError`, `TimeoutError`,
    /// `IntervalError`, `IOError`).
    pub fn js_name(&self) -> &'static str {
        match self {
            Error::NotConnected => "NotConnectedError",
            Error::Timeout(_) => "TimeoutError",
            Error::Io(_) => "IOError",
            _ => "IntervalError",
        }
    }

    /// Whether the error means the connection is (or went) down, so that the
    /// call may succeed after a reconnect.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Error::NotConnected)
    }

    /// Whether the error is the cancellation of the transaction by its runner.
    pub fn is_canceled(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind == IoErrorKind::Canceled)
    }
}

/// What went wrong with an I/O call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoErrorKind {
    /// The runner canceled the transaction while the call was waiting.
    Canceled,
    /// The call was made after the transaction was canceled or closed.
    TransactionClosed,
    /// A response or state did not have the expected shape.
    BadResponse,
    /// A state handler (search, table data) failed.
    ResponseHandlerError,
    /// The server refused to render the call.
    RenderError,
}

impl IoErrorKind {
    /// The official SDK's name of the kind (e.g. `CANCELED`).
    pub fn as_str(self) -> &'static str {
        match self {
            IoErrorKind::Canceled => "CANCELED",
            IoErrorKind::TransactionClosed => "TRANSACTION_CLOSED",
            IoErrorKind::BadResponse => "BAD_RESPONSE",
            IoErrorKind::ResponseHandlerError => "RESPONSE_HANDLER_ERROR",
            IoErrorKind::RenderError => "RENDER_ERROR",
        }
    }
}

impl fmt::Display for IoErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The failure of an I/O call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IoError {
    /// What kind of failure.
    pub kind: IoErrorKind,
    /// A human-readable message.
    pub message: String,
}

impl IoError {
    /// A new error of `kind`.
    pub fn new(kind: IoErrorKind, message: impl Into<String>) -> Self {
        IoError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn canceled() -> Self {
        IoError::new(IoErrorKind::Canceled, "Transaction was canceled.")
    }

    pub(crate) fn transaction_closed() -> Self {
        IoError::new(
            IoErrorKind::TransactionClosed,
            "Transaction is closed: it was canceled or the runner left.",
        )
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
