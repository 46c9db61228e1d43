//! Transaction results (§6.3): the `result` of `MARK_TRANSACTION_COMPLETE`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::superjson::Meta;

/// Whether a result is a success or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ActionResultStatus {
    /// The handler returned.
    Success,
    /// The handler failed.
    Failure,
}

/// The outcome of a handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// `1` for current SDKs.
    pub schema_version: u8,
    /// Success or failure.
    pub status: ActionResultStatus,
    /// Success: the returned value (superjson `json`); failure: a
    /// [`FailureData`] object or null.
    pub data: Value,
    /// superjson meta of `data` (success only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The `data` of a failed result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureData {
    /// The error's name, e.g. `"Error"` or `"IOError"`.
    pub error: String,
    /// The error's message.
    pub message: String,
    /// `"<name>: <message>"` of the error's cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl ActionResult {
    /// The current schema version.
    pub const SCHEMA_VERSION: u8 = 1;

    /// A successful result.
    pub fn success(data: Value, meta: Option<Meta>) -> Self {
        ActionResult {
            schema_version: Self::SCHEMA_VERSION,
            status: ActionResultStatus::Success,
            data,
            meta,
        }
    }

    /// A failed result.
    pub fn failure(failure: FailureData) -> Self {
        ActionResult {
            schema_version: Self::SCHEMA_VERSION,
            status: ActionResultStatus::Failure,
            data: serde_json::to_value(failure).expect("failure data serializes"),
            meta: None,
        }
    }
}
