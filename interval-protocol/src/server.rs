//! Methods the server calls on the host (§2.3).

use serde::{Deserialize, Serialize};

use crate::host::Params;
use crate::rpc::methods;
use crate::superjson::Meta;
use crate::types::{ActionRef, PageRef, User};

methods! {
    /// Runs an action: one new transaction.
    StartTransaction = "START_TRANSACTION": StartTransactionInputs => ();
    /// Delivers the browser's answer to an IO call (or a cancellation).
    IoResponse = "IO_RESPONSE": IoResponseInputs => ();
    /// The browser left: forget the transaction.
    CloseTransaction = "CLOSE_TRANSACTION": CloseTransactionInputs => ();
    /// A browser opened a page.
    OpenPage = "OPEN_PAGE": OpenPageInputs => OpenPageReturns;
    /// The browser left a page.
    ClosePage = "CLOSE_PAGE": ClosePageInputs => ();
}

/// `START_TRANSACTION` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionInputs {
    /// The new transaction's id.
    pub transaction_id: String,
    /// Append-UI mode: display calls resolve as soon as they are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_resolves_immediately: Option<bool>,
    /// Legacy duplicate of `action.slug`.
    pub action_name: String,
    /// The action (full slug and dashboard URL).
    pub action: ActionRef,
    /// The environment slug.
    pub environment: String,
    /// Who runs it.
    pub user: User,
    /// The params (superjson `json` part).
    pub params: Params,
    /// superjson meta of `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_meta: Option<Meta>,
}

/// `IO_RESPONSE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IoResponseInputs {
    /// JSON text of an [`IoResponse`](crate::io::IoResponse).
    pub value: String,
    /// The transaction (routing uses the id inside `value`).
    pub transaction_id: String,
}

/// `CLOSE_TRANSACTION` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseTransactionInputs {
    /// The transaction.
    pub transaction_id: String,
}

/// `OPEN_PAGE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPageInputs {
    /// Id of this page view.
    pub page_key: String,
    /// The page.
    pub page: PageRef,
    /// The environment slug.
    pub environment: String,
    /// Who views it.
    pub user: User,
    /// The params.
    pub params: Params,
    /// superjson meta of `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_meta: Option<Meta>,
}

/// `OPEN_PAGE` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum OpenPageReturns {
    /// The page handler started.
    #[serde(rename_all = "camelCase")]
    Success {
        /// The page key.
        page_key: String,
    },
    /// It could not be opened.
    Error {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

/// `CLOSE_PAGE` inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosePageInputs {
    /// The page key.
    pub page_key: String,
}
