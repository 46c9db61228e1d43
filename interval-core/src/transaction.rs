//! A transaction: one run of an action. Its input groups (where IO
//! responses go), its loading state, and what a reconnect replays.

use std::sync::{Arc, Mutex};

use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::types::LoadingState;
use uuid::Uuid;

use crate::inbox::{Closed, GroupEvent, Groups, Inbox, Undelivered};
use crate::loading_slot::LoadingSlot;
use crate::socket::lock;

/// One running transaction.
pub(crate) struct Transaction {
    pub id: Arc<str>,
    /// Append-UI mode (`displayResolvesImmediately`).
    pub append_ui: bool,
    state: Mutex<TransactionState>,
}

#[derive(Default)]
struct TransactionState {
    /// The last render when no call waits on it (a display that resolved at
    /// once in append-UI mode), replayed after a reconnect. A waiting call
    /// sends its render again itself ([`GroupEvent::Resend`]).
    settled_render: Option<String>,
    /// The last loading state, replayed after a reconnect until the next
    /// IO call.
    loading: Option<Box<LoadingState>>,
    /// What `ctx.loading()` shows now.
    loading_now: LoadingSlot,
    /// Old groups stay routable (a table shown earlier may still page)
    /// until their IO call is dropped.
    groups: Groups,
    canceled: bool,
    /// The server refused a replayed call: it no longer runs the transaction.
    refused: bool,
    /// Forgotten by the host (completed, or `CLOSE_TRANSACTION`).
    closed: bool,
}

impl Transaction {
    pub fn is_canceled(&self) -> bool {
        let state = lock(&self.state);
        state.canceled || state.closed
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Opens the inbox of a new input group.
    pub fn open_group(&self, key: Uuid) -> Arc<Inbox> {
        let mut state = lock(&self.state);
        let inbox = state.groups.open(key);
        if state.closed {
            inbox.close(Closed::Transaction);
        }
        inbox
    }

    /// A render was sent: `settled` is its text when no call waits on it.
    /// The loading state is over.
    pub fn rendered(&self, settled: Option<String>) {
        let mut state = lock(&self.state);
        state.settled_render = settled;
        state.loading = None;
    }

    pub fn with_loading<T>(&self, f: impl FnOnce(&mut LoadingSlot) -> T) -> T {
        f(&mut lock(&self.state).loading_now)
    }

    pub fn set_loading(&self, loading: LoadingState) {
        lock(&self.state).loading = Some(Box::new(loading));
    }

    /// Routes an IO response to the input group it answers.
    pub fn route(&self, response: IoResponse) {
        let mut state = lock(&self.state);
        if response.kind == IoResponseKind::Canceled {
            // Later IO calls fail with TRANSACTION_CLOSED even when no call
            // was waiting for this cancel.
            state.canceled = true;
        }
        let key = response.input_group_key.clone();
        match state
            .groups
            .deliver(key.as_deref(), GroupEvent::Response(Box::new(response)))
        {
            Ok(()) => {}
            Err(Undelivered::Full) => tracing::warn!(
                "Dropping an IO response for transaction {}: too many waiting",
                self.id
            ),
            // The call already returned (a late RETURN or CANCELED), or the
            // key is not ours.
            Err(Undelivered::UnknownGroup) => tracing::debug!(
                "Dropping an IO response for unknown input group {key:?} of transaction {}",
                self.id
            ),
        }
    }

    /// Fails every waiting call of the transaction.
    pub fn close_groups(&self, why: Closed) {
        lock(&self.state).groups.close_all(why);
    }
}

impl Transaction {
    /// A new transaction, in append-UI mode or not.
    pub fn new(id: &str, append_ui: bool) -> Self {
        Transaction {
            id: id.into(),
            append_ui,
            state: Mutex::default(),
        }
    }

    /// Forgets the transaction: its pending call, loading state and input
    /// groups. A call still waiting fails with `TRANSACTION_CLOSED`.
    pub fn close(&self) {
        let mut state = lock(&self.state);
        state.groups.close_all(Closed::Transaction);
        state.closed = true;
        state.settled_render = None;
        state.loading = None;
    }

    /// What a reconnect replays: the last loading state, and the settled
    /// render or else the inbox of the call still waiting.
    pub fn pending(&self) -> Pending {
        let state = lock(&self.state);
        Pending {
            loading: state.loading.as_deref().cloned(),
            settled_render: state.settled_render.clone(),
            waiting: state.groups.latest(),
        }
    }

    /// The server refused a call replayed after a reconnect (it canceled or
    /// forgot the transaction meanwhile): later calls fail, and a waiting one
    /// ends as if the runner canceled the transaction.
    pub fn cancel_by_server(&self) {
        let mut state = lock(&self.state);
        state.canceled = true;
        state.refused = true;
        state.settled_render = None;
        state.loading = None;
        state.groups.close_all(Closed::Canceled);
    }

    /// Whether [`Transaction::cancel_by_server`] ended it.
    pub fn is_refused(&self) -> bool {
        lock(&self.state).refused
    }
}

/// What a reconnect replays of a transaction ([`Transaction::pending`]).
pub(crate) struct Pending {
    pub loading: Option<LoadingState>,
    pub settled_render: Option<String>,
    pub waiting: Option<Arc<Inbox>>,
}
