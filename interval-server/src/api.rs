//! The dashboard's API: typed JSON messages over a WebSocket at
//! `/api/dashboard`.
//!
//! The dashboard sends a [`ClientMessage`] (a request with an id); the server
//! answers with a [`ServerMessage::Reply`] or [`ServerMessage::Failed`] of the
//! same id, and pushes [`ServerMessage::Event`]s for the transactions and
//! pages the dashboard is attached to. These types are the contract with the
//! dashboard's script (and with test clients).

use interval_protocol::io::{IoRender, IoResponseKind};
use interval_protocol::layout::Layout;
use interval_protocol::result::ActionResult;
use interval_protocol::types::{AccessControl, LinkTarget, LoadingState, ResultStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::{LogRecord, NotificationRecord, QueuedRecord, TransactionRecord};

/// A request from the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Chosen by the dashboard; the reply carries it back.
    pub id: u64,
    /// What it asks.
    pub request: Request,
}

/// What the dashboard can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// The tree of actions and pages that some host serves.
    Routes,
    /// Runs an action; the asking connection is attached to it.
    StartTransaction {
        /// Full slug of the action.
        slug: String,
        /// Params (plain JSON values).
        #[serde(default)]
        params: Map<String, Value>,
        /// Runs this queued action (its params are used, then it leaves the queue).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queued_action_id: Option<String>,
    },
    /// Receives a transaction's events; replays its current render.
    Attach {
        /// The transaction.
        transaction_id: String,
    },
    /// Answers the current IO call of a transaction or page. While the
    /// transaction waits for a `CONFIRM_IDENTITY`, only an answer to it is
    /// taken: `[false]` always, anything else once the identity is
    /// confirmed (`password`, a login within `gracePeriodMs`, or a
    /// dashboard without a password).
    Respond {
        /// A transaction id or a page key.
        transaction_id: String,
        /// The answer.
        response: BrowserResponse,
        /// The dashboard password, to confirm the identity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// Cancels a transaction.
    Cancel {
        /// The transaction.
        transaction_id: String,
    },
    /// Stops receiving a transaction's events.
    Leave {
        /// The transaction.
        transaction_id: String,
    },
    /// Opens a page on a host that serves it.
    OpenPage {
        /// Full slug of the page.
        slug: String,
        /// Params.
        #[serde(default)]
        params: Map<String, Value>,
    },
    /// Closes a page.
    ClosePage {
        /// The page key.
        page_key: String,
    },
    /// Past and running transactions, newest first.
    History {
        /// At most this many (default 50).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// One transaction with its logs.
    Transaction {
        /// The transaction.
        transaction_id: String,
    },
    /// Queued actions.
    Queue,
    /// Notifications, newest first.
    Notifications,
    /// From now on, delivers this connection's events as HTML patches
    /// ([`ServerMessage::Patch`], [`ServerMessage::Navigate`]) for the
    /// dashboard's own pages instead of [`ServerMessage::Event`]s.
    Html,
    /// Submits the dashboard's form for an IO call: the server turns the
    /// raw form fields into the typed values of a RETURN response, or
    /// answers [`Reply::Invalid`] without bothering the host.
    Submit {
        /// A transaction id or a page key.
        transaction_id: String,
        /// The render answered.
        render_id: String,
        /// Its input group.
        input_group_key: String,
        /// The clicked button's value (`"Continue"` without buttons).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<String>,
        /// The form's values, one list per component (in `toRender` order).
        #[serde(default)]
        fields: Vec<Vec<String>>,
        /// The dashboard password typed into a `CONFIRM_IDENTITY` form.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// New state for one stateful component (paging, sorting, search).
    SetState {
        /// A transaction id or a page key.
        transaction_id: String,
        /// The input group whose component changed.
        input_group_key: String,
        /// The component's position in `toRender`.
        index: usize,
        /// The new state (§4: e.g. `{queryTerm, offset, pageSize}`).
        state: Value,
    },
    /// Where to upload files for an `UPLOAD_FILE` component, one pair of
    /// URLs per file: the server keeps the files on disk, or, with
    /// `input_group_key` and `index`, relays them to the upload URLs the
    /// host gave that component (`fileUrls`) in its current render.
    UploadUrls {
        /// The transaction.
        transaction_id: String,
        /// The files to upload.
        files: Vec<UploadRequest>,
        /// The input group of a component with host-provided URLs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_group_key: Option<String>,
        /// That component's position in `toRender`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
}

/// A file the dashboard wants to upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// Its name.
    pub name: String,
    /// Its MIME type.
    #[serde(default, rename = "type")]
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Where one file goes and where the host can read it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileUrls {
    /// HTTP PUT the file's bytes here.
    pub upload_url: String,
    /// The host downloads it from here.
    pub download_url: String,
}

/// A form field the server refused before asking the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    /// The component's position in `toRender`.
    pub index: usize,
    /// What to tell the person.
    pub message: String,
}

/// How a [`Patch`] changes its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchMode {
    /// Replaces the target's content.
    #[default]
    Replace,
    /// Appends to the target's content.
    Append,
}

/// An HTML fragment for one element of the dashboard's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    /// The `id` of the element to change.
    pub target: String,
    /// Sanitized HTML rendered by the server.
    pub html: String,
    /// Replace or append.
    #[serde(default)]
    pub mode: PatchMode,
}

/// The dashboard's answer to an IO call (the browser half of §3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserResponse {
    /// The render answered.
    pub id: String,
    /// Its input group.
    pub input_group_key: String,
    /// RETURN, SET_STATE or CANCELED.
    pub kind: IoResponseKind,
    /// One value per component.
    #[serde(default)]
    pub values: Vec<Value>,
    /// superjson meta of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_meta: Option<Value>,
    /// The clicked button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
}

/// What the server sends the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to request `id`.
    Reply {
        /// The request's id.
        id: u64,
        /// The answer.
        result: Reply,
    },
    /// Request `id` failed.
    Failed {
        /// The request's id.
        id: u64,
        /// Why, for people.
        message: String,
    },
    /// Something happened in an attached transaction or page.
    Event {
        /// What.
        event: Event,
    },
    /// HTML fragments to swap in (connections that sent [`Request::Html`]).
    Patch {
        /// Applied in order.
        patches: Vec<Patch>,
    },
    /// The dashboard should go to `href` (connections that sent
    /// [`Request::Html`]; a redirect of the action).
    Navigate {
        /// Where.
        href: String,
        /// Replace the history entry.
        replace: bool,
    },
}

/// Answers to requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// Done.
    Ok,
    /// The route tree.
    Routes {
        /// Actions, flattened.
        actions: Vec<ActionInfo>,
        /// Pages, flattened, parents first.
        pages: Vec<PageInfo>,
    },
    /// A transaction was started.
    TransactionStarted {
        /// Its id.
        transaction_id: String,
    },
    /// A page was opened.
    PageOpened {
        /// Its key.
        page_key: String,
    },
    /// Transactions.
    History {
        /// Newest first.
        transactions: Vec<TransactionRecord>,
    },
    /// One transaction.
    Transaction {
        /// The record.
        transaction: Box<TransactionRecord>,
        /// Its logs.
        logs: Vec<LogRecord>,
    },
    /// Queued actions.
    Queue {
        /// Oldest first.
        queued: Vec<QueuedRecord>,
    },
    /// Notifications.
    Notifications {
        /// Newest first.
        notifications: Vec<NotificationRecord>,
    },
    /// A [`Request::Submit`] the server refused; nothing went to the host.
    Invalid {
        /// One entry per refused field.
        errors: Vec<FieldError>,
    },
    /// Upload URLs, one per requested file.
    UploadUrls {
        /// In request order.
        urls: Vec<FileUrls>,
    },
}

/// Events pushed to attached dashboards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The transaction's current IO call.
    Render {
        /// The transaction.
        transaction_id: String,
        /// What to show.
        render: IoRender,
        /// Append-UI (PROTOCOL §6.6): the steps accumulate on the page, a
        /// render of an input group shown before replaces that step, and
        /// display-only steps need no answer.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        append: bool,
    },
    /// A loading state.
    Loading {
        /// A transaction id or page key.
        transaction_id: String,
        /// The state.
        state: LoadingState,
    },
    /// A log line.
    Log {
        /// The transaction.
        transaction_id: String,
        /// Position from 0.
        index: i64,
        /// The text.
        data: String,
        /// Milliseconds since the epoch.
        timestamp: i64,
    },
    /// Navigate elsewhere.
    Redirect {
        /// A transaction id or page key.
        transaction_id: String,
        /// Where.
        target: LinkTarget,
        /// Replace the history entry.
        replace: bool,
    },
    /// The transaction finished.
    Completed {
        /// The transaction.
        transaction_id: String,
        /// Its outcome.
        result_status: ResultStatus,
        /// Its result, when the host sent one.
        result: Option<ActionResult>,
    },
    /// A page's layout.
    PageRender {
        /// The page key.
        page_key: String,
        /// The layout (none: the handler returned nothing).
        layout: Option<Layout>,
    },
    /// The host running it went away; it may come back.
    HostClosed {
        /// A transaction id or page key.
        id: String,
    },
    /// The host came back.
    HostReconnected {
        /// A transaction id.
        id: String,
    },
    /// The host did not come back; the transaction is lost.
    HostDropped {
        /// A transaction id.
        id: String,
    },
    /// The action notified (`ctx.notify`): shown at once to whoever
    /// watches the transaction, as well as in the notifications.
    Notified {
        /// The transaction.
        transaction_id: String,
        /// The notification's title.
        title: Option<String>,
        /// Its message.
        message: String,
    },
}

/// An action in the route tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionInfo {
    /// Full slug.
    pub slug: String,
    /// Parent page, if any.
    pub group_slug: Option<String>,
    /// Display name (derived from the slug when the host gave none).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Keeps running when the dashboard leaves.
    pub backgroundable: bool,
    /// Hidden from lists.
    pub unlisted: bool,
    /// Warn before leaving.
    pub warn_on_close: bool,
    /// Code-defined access.
    pub access: Option<AccessControl>,
}

/// A page in the route tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    /// Full slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Whether it renders a layout.
    pub has_handler: bool,
    /// Hidden from lists.
    pub unlisted: bool,
}

pub use interval_protocol::slug::name_from_slug;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_json() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"id":3,"request":{"type":"start_transaction","slug":"hello"}}"#,
        )
        .unwrap();
        assert_eq!(
            m.request,
            Request::StartTransaction {
                slug: "hello".into(),
                params: Map::new(),
                queued_action_id: None
            }
        );
    }
}
