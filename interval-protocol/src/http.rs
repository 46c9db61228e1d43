//! The HTTP API used by hosts (§7): enqueue, dequeue, notify.

use serde::{Deserialize, Serialize};

use crate::host::Params;
use crate::superjson::Meta;
use crate::types::DeliveryInstruction;

/// Path of the enqueue endpoint.
pub const ENQUEUE_PATH: &str = "/api/actions/enqueue";
/// Path of the dequeue endpoint.
pub const DEQUEUE_PATH: &str = "/api/actions/dequeue";
/// Path of the notify endpoint.
pub const NOTIFY_PATH: &str = "/api/notify";

/// Body of `POST /api/actions/enqueue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnqueueBody {
    /// Full slug of the action.
    pub slug: String,
    /// E-mail of the user who should run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Params (superjson `json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
    /// superjson meta of `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_meta: Option<Meta>,
}

/// Success reply of enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnqueueSuccess {
    /// The queued action's id.
    pub id: String,
}

/// Body of `POST /api/actions/dequeue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DequeueBody {
    /// The queued action's id.
    pub id: String,
}

/// Success reply of dequeue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DequeueSuccess {
    /// The queued action's id.
    pub id: String,
    /// The assignee's e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The params it was queued with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
    /// superjson meta of `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_meta: Option<Meta>,
}

/// Body of `POST /api/notify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyBody {
    /// The message.
    pub message: String,
    /// Optional title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The transaction it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Makes repeated sends a no-op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Where to deliver it (required by the official schema, may be empty).
    #[serde(default)]
    pub delivery_instructions: Vec<DeliveryInstruction>,
    /// ISO-8601 timestamp.
    pub created_at: String,
}

/// A reply of the HTTP API: `{type: "success", ...}` or `{type: "error", message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ApiResponse<T> {
    /// It worked.
    Success(T),
    /// It did not.
    Error {
        /// Why.
        message: String,
    },
}

/// The empty success payload of notify.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}
