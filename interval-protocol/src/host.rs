//! Methods the host calls on the server (§2.2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rpc::methods;
use crate::types::{
    ActionDefinition, DeliveryInstruction, LinkTarget, LoadingState, Organization, PageDefinition,
    ResultStatus, SdkAlert, SuccessOrError,
};

methods! {
    /// Declares the host's actions and pages; sent after every (re)connect.
    InitializeHost = "INITIALIZE_HOST": InitializeHostInputs => Option<InitializeHostReturns>;
    /// Renders one IO call (a form step) of a transaction.
    SendIoCall = "SEND_IO_CALL": SendIoCallInputs => SendIoCallReturns;
    /// Shows a loading state for a transaction or page.
    SendLoadingCall = "SEND_LOADING_CALL": SendLoadingCallInputs => bool;
    /// Appends a log line to a transaction.
    SendLog = "SEND_LOG": SendLogInputs => bool;
    /// Redirects the runner of a transaction or the viewer of a page.
    SendRedirect = "SEND_REDIRECT": SendRedirectInputs => bool;
    /// Reports the result of a transaction.
    MarkTransactionComplete = "MARK_TRANSACTION_COMPLETE": MarkTransactionCompleteInputs => bool;
    /// Sends the layout of an open page.
    SendPage = "SEND_PAGE": SendPageInputs => bool;
    /// Asks the server to route no new transactions to this host.
    BeginHostShutdown = "BEGIN_HOST_SHUTDOWN": BeginHostShutdownInputs => SuccessOrError;
    /// Websocket variant of notify (unused by current SDKs; accepted from hosts and browsers).
    Notify = "NOTIFY": NotifyInputs => bool;
}

/// `INITIALIZE_HOST` inputs (the modern `actions`/`groups` shape).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeHostInputs {
    /// All actions, flattened; nested ones carry `groupSlug`.
    #[serde(default)]
    pub actions: Vec<ActionDefinition>,
    /// All pages, flattened, parents before children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<PageDefinition>>,
    /// Legacy list of slugs, read but never sent.
    #[serde(default, skip_serializing)]
    pub callable_action_names: Option<Vec<String>>,
    /// SDK name, compared by the server (§2.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_name: Option<String>,
    /// SDK version, compared by the server as a string (§2.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    /// Only for serverless hosts woken over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
}

/// `INITIALIZE_HOST` reply (the protocol also allows `null`, hence the
/// method's `Option`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum InitializeHostReturns {
    /// The host is registered.
    #[serde(rename_all = "camelCase")]
    Success {
        /// The environment slug (`production`, `development`, or custom).
        environment: String,
        /// Full slugs of actions whose slug is invalid.
        invalid_slugs: Vec<String>,
        /// The organization the key belongs to.
        organization: Organization,
        /// Where the actions are listed.
        dashboard_url: String,
        /// Legacy flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        force_peer_messages: Option<bool>,
        /// A notice that this SDK is outdated.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdk_alert: Option<SdkAlert>,
        /// Warnings to print (e.g. unknown team slugs).
        warnings: Vec<String>,
    },
    /// The host was refused.
    #[serde(rename_all = "camelCase")]
    Error {
        /// Why.
        message: String,
        /// A notice that this SDK is outdated.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdk_alert: Option<SdkAlert>,
    },
}

/// `SEND_IO_CALL` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendIoCallInputs {
    /// The transaction.
    pub transaction_id: String,
    /// JSON text of an [`IoRender`](crate::io::IoRender).
    pub io_call: String,
    /// Store the call without forwarding it to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_client_call: Option<bool>,
}

/// `SEND_IO_CALL` reply: a boolean or an error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SendIoCallReturns {
    /// `true` when accepted.
    Accepted(bool),
    /// `{type: "ERROR", message?}`.
    Error(SendIoCallError),
}

/// The error object of a refused `SEND_IO_CALL`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendIoCallError {
    /// Always `"ERROR"`.
    #[serde(rename = "type")]
    pub kind: ErrorTag,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The literal `"ERROR"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorTag {
    /// `"ERROR"`.
    #[serde(rename = "ERROR")]
    Error,
}

impl SendIoCallReturns {
    /// The refusal message, or `None` when the call was accepted.
    pub fn refusal(&self) -> Option<String> {
        match self {
            SendIoCallReturns::Accepted(true) => None,
            SendIoCallReturns::Accepted(false) => Some("Error sending IO call.".to_owned()),
            SendIoCallReturns::Error(e) => Some(
                e.message
                    .clone()
                    .unwrap_or_else(|| "Error sending IO call.".to_owned()),
            ),
        }
    }
}

/// `SEND_LOADING_CALL` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendLoadingCallInputs {
    /// A transaction id or a page key.
    pub transaction_id: String,
    /// The state.
    #[serde(flatten)]
    pub state: LoadingState,
    /// Store without forwarding to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_client_call: Option<bool>,
}

/// `SEND_LOG` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendLogInputs {
    /// The transaction.
    pub transaction_id: String,
    /// The log text.
    pub data: String,
    /// Per-transaction counter from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    /// Store without forwarding to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_client_call: Option<bool>,
}

/// `SEND_REDIRECT` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendRedirectInputs {
    /// A transaction id or a page key.
    pub transaction_id: String,
    /// Where to go.
    #[serde(flatten)]
    pub target: LinkTarget,
    /// Replace the browser history entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
    /// Store without forwarding to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_client_call: Option<bool>,
}

/// `MARK_TRANSACTION_COMPLETE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkTransactionCompleteInputs {
    /// The transaction.
    pub transaction_id: String,
    /// The result status (ignored by the OSS server, sent by Node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_status: Option<ResultStatus>,
    /// JSON text of an [`ActionResult`](crate::result::ActionResult).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Store without forwarding to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_client_call: Option<bool>,
}

/// `SEND_PAGE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendPageInputs {
    /// The open page.
    pub page_key: String,
    /// JSON text of a [`Layout`](crate::layout::Layout); absent: no layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

/// `BEGIN_HOST_SHUTDOWN` inputs: an empty object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BeginHostShutdownInputs {}

/// `NOTIFY` inputs (websocket variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyInputs {
    /// The transaction the notification belongs to.
    pub transaction_id: String,
    /// The message.
    pub message: String,
    /// Optional title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Makes repeated sends a no-op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Where to deliver it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_instructions: Option<Vec<DeliveryInstruction>>,
    /// ISO timestamp.
    pub created_at: String,
}

/// Params as they travel: the superjson `json` part.
pub type Params = Map<String, Value>;
