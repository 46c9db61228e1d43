//! Methods between the dashboard (browser) and the server (§2.4, §2.5).
//!
//! interval-rs's own dashboard speaks its own typed API; these are the
//! official dashboard's methods, kept so that the whole protocol is defined
//! in one place.

use serde::{Deserialize, Serialize};

use crate::host::{NotifyInputs, Params};
use crate::rpc::methods;
use crate::server::OpenPageReturns;
use crate::types::{DeliveryInstruction, LinkTarget, LoadingState, ResultStatus};

methods! {
    /// Registers a cookie-authenticated browser connection.
    InitializeClient = "INITIALIZE_CLIENT": () => bool;
    /// Attaches to a transaction, starting it if pending.
    ConnectToTransactionAsClient = "CONNECT_TO_TRANSACTION_AS_CLIENT": ConnectToTransactionInputs => bool;
    /// Answers an IO call.
    RespondToIoCall = "RESPOND_TO_IO_CALL": RespondToIoCallInputs => bool;
    /// Detaches from a transaction.
    LeaveTransaction = "LEAVE_TRANSACTION": TransactionIdInputs => bool;
    /// Opens a page on a host.
    RequestPage = "REQUEST_PAGE": RequestPageInputs => OpenPageReturns;
    /// Leaves a page.
    LeavePage = "LEAVE_PAGE": PageKeyInputs => bool;
    /// Browser-originated notification.
    ClientNotify = "NOTIFY": NotifyInputs => bool;
    /// Test only: the server drops this connection.
    TestOnlyRequestDropConnection = "__TEST_ONLY_REQUEST_DROP_CONNECTION": () => bool;
    /// A transaction's current IO call.
    Render = "RENDER": RenderInputs => bool;
    /// A page's layout.
    RenderPage = "RENDER_PAGE": RenderPageInputs => bool;
    /// A transaction's or page's loading state.
    LoadingStateCall = "LOADING_STATE": LoadingStateInputs => bool;
    /// A log line.
    Log = "LOG": LogInputs => bool;
    /// A notification for the attached browser.
    NotifyClient = "NOTIFY": NotifyClientInputs => bool;
    /// Navigate elsewhere.
    Redirect = "REDIRECT": RedirectInputs => bool;
    /// The transaction finished.
    TransactionCompleted = "TRANSACTION_COMPLETED": TransactionCompletedInputs => ();
    /// Another browser took over the transaction.
    ClientUsurped = "CLIENT_USURPED": TransactionIdInputs => ();
    /// The transaction's host went away.
    HostClosedUnexpectedly = "HOST_CLOSED_UNEXPECTEDLY": TransactionIdInputs => ();
    /// The transaction's host came back.
    HostReconnected = "HOST_RECONNECTED": TransactionIdInputs => ();
}

/// `{transactionId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionIdInputs {
    /// A transaction id (or a page key).
    pub transaction_id: String,
}

/// `{pageKey}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageKeyInputs {
    /// The page key.
    pub page_key: String,
}

/// `CONNECT_TO_TRANSACTION_AS_CLIENT` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectToTransactionInputs {
    /// The transaction.
    pub transaction_id: String,
    /// URL params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
}

/// `RESPOND_TO_IO_CALL` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RespondToIoCallInputs {
    /// A transaction id or page key.
    pub transaction_id: String,
    /// JSON text of an [`IoResponse`](crate::io::IoResponse).
    pub io_response: String,
}

/// `REQUEST_PAGE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPageInputs {
    /// A fresh UUID v4 for this page view.
    pub page_key: String,
    /// The page's full slug.
    pub page_slug: String,
    /// `"live"` or `"console"`.
    pub action_mode: String,
    /// The organization environment.
    pub organization_environment_id: String,
    /// URL params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
}

/// `RENDER` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderInputs {
    /// The transaction.
    pub transaction_id: String,
    /// The host's `ioCall` text, verbatim.
    pub to_render: String,
}

/// `RENDER_PAGE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderPageInputs {
    /// The page key.
    pub page_key: String,
    /// JSON text of the layout.
    #[serde(default)]
    pub page: Option<String>,
    /// The host that rendered it.
    pub host_instance_id: String,
}

/// `LOADING_STATE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadingStateInputs {
    /// A transaction id or page key.
    pub transaction_id: String,
    /// The state.
    #[serde(flatten)]
    pub state: LoadingState,
}

/// `LOG` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogInputs {
    /// The transaction.
    pub transaction_id: String,
    /// The log text.
    pub data: Option<String>,
    /// Position of the line.
    pub index: u64,
    /// Milliseconds since the epoch.
    pub timestamp: f64,
}

/// `NOTIFY` (server → browser) inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyClientInputs {
    /// The transaction.
    pub transaction_id: String,
    /// Where it was delivered.
    pub deliveries: Vec<DeliveryInstruction>,
    /// The message.
    pub message: String,
    /// Optional title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// `REDIRECT` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectInputs {
    /// A transaction id or page key.
    pub transaction_id: String,
    /// Where to go.
    #[serde(flatten)]
    pub target: LinkTarget,
    /// Replace the history entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
}

/// `TRANSACTION_COMPLETED` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionCompletedInputs {
    /// The transaction.
    pub transaction_id: String,
    /// Its outcome.
    pub result_status: ResultStatus,
    /// JSON text of the [`ActionResult`](crate::result::ActionResult).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}
