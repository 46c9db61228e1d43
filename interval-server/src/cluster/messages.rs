//! What nodes tell each other: requests of a dashboard connected to one
//! node about a transaction or page whose host is on another, their
//! answers, and the events that go back to the dashboard.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::{BrowserResponse, Reply, ServerMessage};
use crate::keys::KeyKind;
use crate::people::Person;

/// Who asks: a person on a dashboard connection of the asking node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Asker {
    /// The person, as the asking node read them for this request.
    pub person: Person,
    /// Their environment.
    pub environment: KeyKind,
    /// Their dashboard connection, on the asking node.
    pub browser: u64,
    /// Signed in by open mode (loopback, no passwords).
    pub open: bool,
}

/// What a dashboard asks of the node where a transaction or page runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Op {
    /// Start an action on a host of that node.
    Start {
        /// The action.
        slug: String,
        /// Its params.
        params: Map<String, Value>,
        /// The queued action this run takes.
        queued_action_id: Option<String>,
    },
    /// Follow a transaction.
    Attach {
        /// The transaction.
        id: String,
    },
    /// Answer a transaction or page.
    Respond {
        /// The transaction or page.
        id: String,
        /// The answer.
        response: BrowserResponse,
        /// Check its typed values against the pending render.
        check_types: bool,
        /// The asking node confirmed the person's identity for the
        /// pending `CONFIRM_IDENTITY`.
        identity_confirmed: bool,
    },
    /// Cancel a transaction.
    Cancel {
        /// The transaction.
        id: String,
    },
    /// Stop following a transaction.
    Leave {
        /// The transaction.
        id: String,
    },
    /// Open a page on a host of that node.
    OpenPage {
        /// The page.
        slug: String,
        /// Its params.
        params: Map<String, Value>,
    },
    /// Close a page.
    ClosePage {
        /// The page key.
        key: String,
    },
    /// Dashboard connection `browser` of the asking node closed.
    Disconnected {
        /// The connection.
        browser: u64,
    },
}

/// How a node answered an [`Op`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Done: the dashboard's reply.
    Reply {
        /// The reply.
        reply: Reply,
    },
    /// Refused or failed: the message for the person.
    Failed {
        /// Why.
        message: String,
    },
    /// The answer waits for an identity confirmation, which the asking
    /// node checks (it has the person's session) before asking again.
    Identity {
        /// The `CONFIRM_IDENTITY` render.
        render_id: String,
        /// Its `gracePeriodMs`.
        grace_period_ms: Option<u64>,
    },
}

/// One message between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BusMessage {
    /// A request, to be answered with [`BusMessage::Answer`].
    Call {
        /// The asking node.
        from: String,
        /// The call's number on the asking node.
        call: u64,
        /// Who asks (none for [`Op::Disconnected`]).
        asker: Option<Asker>,
        /// What.
        op: Op,
    },
    /// The answer to call `call`.
    Answer {
        /// The call's number.
        call: u64,
        /// The answer.
        outcome: Outcome,
    },
    /// A message for dashboard connection `browser` of the receiving node.
    Event {
        /// The connection.
        browser: u64,
        /// The message.
        message: ServerMessage,
    },
    /// To every node: the hosts of a node changed.
    HostsChanged,
    /// Transaction `id`, which a dashboard of the receiving node follows,
    /// runs on node `node` now (its host replayed it there).
    Moved {
        /// The transaction.
        id: String,
        /// Its node now.
        node: String,
    },
}
