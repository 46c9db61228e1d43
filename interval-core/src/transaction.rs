//! Transactions: one run of an action. Starts handlers as tasks, routes IO
//! responses to the waiting call's inbox, reports results, and after a
//! reconnect has the waiting calls render again.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use interval_protocol::host::{
    MarkTransactionComplete, MarkTransactionCompleteInputs, SendIoCall, SendIoCallInputs,
};
use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::result::{ActionResult, ActionResultStatus, FailureData};
use interval_protocol::server::StartTransactionInputs;
use interval_protocol::superjson;
use interval_protocol::types::{ActionDefinition, ActionRef, LoadingState, ResultStatus, User};
use serde_json::Value;
use tokio::sync::watch;
use tracing::Instrument;
use uuid::Uuid;

use crate::client::Inner;
use crate::ctx::{Ctx, LoadingSlot};
use crate::error::Error;
use crate::inbox::{Closed, GroupEvent, Groups, Inbox, Undelivered};
use crate::io::{Io, Target};
use crate::page::PageView;
use crate::routes::{ActionError, ErrorEvent, HandlerFuture};
use crate::socket::{lock, truncate};

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
    /// Forgotten by the host (completed, or `CLOSE_TRANSACTION`).
    closed: bool,
}

impl Transaction {
    pub fn is_canceled(&self) -> bool {
        let state = lock(&self.state);
        state.canceled || state.closed
    }

    fn is_closed(&self) -> bool {
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

    fn route(&self, response: IoResponse) {
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

    fn close_groups(&self, why: Closed) {
        lock(&self.state).groups.close_all(why);
    }
}

/// The open transactions and pages of a host.
pub(crate) struct Transactions {
    map: Mutex<HashMap<Arc<str>, Arc<Transaction>>>,
    pages: Mutex<HashMap<String, Arc<PageView>>>,
    /// Open transactions plus open pages (safe shutdown waits for zero).
    open: watch::Sender<usize>,
    /// Shared copies of what many transactions repeat.
    interned: Mutex<Interned>,
}

/// The last user seen and each action's reference: transactions of the same
/// person and action share one copy (their contexts hold `Arc`s).
#[derive(Default)]
struct Interned {
    user: Option<Arc<User>>,
    actions: HashMap<String, Arc<ActionRef>>,
}

impl Interned {
    fn user(&mut self, user: User) -> Arc<User> {
        match &self.user {
            Some(last) if **last == user => last.clone(),
            _ => self.user.insert(Arc::new(user)).clone(),
        }
    }

    fn action(&mut self, action: ActionRef) -> Arc<ActionRef> {
        match self.actions.get(&action.slug) {
            Some(known) if **known == action => known.clone(),
            _ => {
                let action = Arc::new(action);
                self.actions.insert(action.slug.clone(), action.clone());
                action
            }
        }
    }
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions {
            map: Mutex::default(),
            pages: Mutex::default(),
            open: watch::Sender::new(0),
            interned: Mutex::default(),
        }
    }
}

impl Transactions {
    fn insert(&self, transaction: Arc<Transaction>) -> bool {
        let mut map = lock(&self.map);
        if map.contains_key(&transaction.id) {
            return false;
        }
        map.insert(transaction.id.clone(), transaction);
        self.open.send_modify(|n| *n += 1);
        true
    }

    fn get(&self, id: &str) -> Option<Arc<Transaction>> {
        lock(&self.map).get(id).cloned()
    }

    /// Forgets a transaction (`CLOSE_TRANSACTION`, or completion): its
    /// pending call, loading state and input groups. A call still waiting
    /// fails with `TRANSACTION_CLOSED`.
    pub fn close(&self, id: &str) {
        let removed = lock(&self.map).remove(id);
        if let Some(transaction) = removed {
            {
                let mut state = lock(&transaction.state);
                state.groups.close_all(Closed::Transaction);
                state.closed = true;
                state.settled_render = None;
                state.loading = None;
            }
            self.open.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// Registers an open page; `false` if the key is taken.
    pub fn insert_page(&self, page: Arc<PageView>) -> bool {
        let mut pages = lock(&self.pages);
        if pages.contains_key(&page.key) {
            return false;
        }
        pages.insert(page.key.clone(), page);
        self.open.send_modify(|n| *n += 1);
        true
    }

    pub fn page(&self, key: &str) -> Option<Arc<PageView>> {
        lock(&self.pages).get(key).cloned()
    }

    /// Forgets a page (`CLOSE_PAGE`).
    pub fn close_page(&self, key: &str) {
        let removed = lock(&self.pages).remove(key);
        if let Some(page) = removed {
            page.close();
            self.open.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    pub fn pages(&self) -> Vec<Arc<PageView>> {
        lock(&self.pages).values().cloned().collect()
    }

    pub fn open_count(&self) -> usize {
        *self.open.borrow()
    }

    /// The number of open transactions (not pages).
    #[allow(dead_code)]
    pub fn transaction_count(&self) -> usize {
        lock(&self.map).len()
    }

    /// The client closed: every waiting IO call fails.
    pub fn close_all_groups(&self) {
        for transaction in self.all() {
            transaction.close_groups(Closed::Client);
        }
        for page in self.pages() {
            page.close_groups(Closed::Client);
        }
    }

    pub async fn wait_until_empty(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|n| *n == 0).await;
    }

    fn all(&self) -> Vec<Arc<Transaction>> {
        lock(&self.map).values().cloned().collect()
    }
}

/// Handles `START_TRANSACTION`: ignored (as by the Node SDK) while shutting
/// down, before initialization, for a duplicate id or an unknown slug.
pub(crate) fn start(inner: &Arc<Inner>, inputs: StartTransactionInputs) {
    let slug = inputs.action.slug.clone();
    if inner.is_shutting_down() {
        tracing::debug!(
            "Ignoring transaction {} of {slug}: shutting down",
            inputs.transaction_id
        );
        return;
    }
    let Some(session) = inner.session() else {
        tracing::debug!(
            "Ignoring transaction {}: not initialized",
            inputs.transaction_id
        );
        return;
    };
    let Some((definition, handler)) = inner.table().handlers.get(&slug).cloned() else {
        tracing::warn!(
            "Ignoring transaction {}: no action {slug:?}",
            inputs.transaction_id
        );
        return;
    };
    let transaction = Arc::new(Transaction {
        id: inputs.transaction_id.as_str().into(),
        append_ui: inputs.display_resolves_immediately.unwrap_or(false),
        state: Mutex::default(),
    });
    if !inner.transactions.insert(transaction.clone()) {
        tracing::debug!("Ignoring duplicate START_TRANSACTION {}", transaction.id);
        return;
    }
    let params = match superjson::decode(Value::Object(inputs.params), inputs.params_meta.as_ref())
    {
        Value::Object(params) => params,
        _ => Default::default(),
    };
    let (user, action) = {
        let mut interned = lock(&inner.transactions.interned);
        (interned.user(inputs.user), interned.action(inputs.action))
    };
    let ctx = Ctx::new(
        inner.clone(),
        transaction.clone(),
        user,
        params,
        match *session.environment == *inputs.environment {
            true => session.environment.clone(),
            false => inputs.environment.as_str().into(),
        },
        session.organization.clone(),
        action,
    );
    let io = Io::new(inner.clone(), Target::Transaction(transaction.clone()));
    let span = tracing::info_span!("transaction", transaction_id = %transaction.id, action = %slug);
    let running = handler(io, ctx.clone());
    tokio::spawn(run(ctx, definition, running).instrument(span));
}

/// Runs a transaction's handler to its end and reports the result. Kept
/// small: its task lives as long as the transaction, and what follows the
/// handler is boxed.
async fn run(ctx: Ctx, definition: Arc<ActionDefinition>, running: HandlerFuture) {
    tracing::debug!("started");
    let outcome = AssertUnwindSafe(running).catch_unwind().await;
    Box::pin(finish(ctx, definition, outcome)).await
}

/// Reports how the handler ended and forgets the transaction.
async fn finish(
    ctx: Ctx,
    definition: Arc<ActionDefinition>,
    outcome: std::thread::Result<crate::routes::HandlerResult>,
) {
    let (inner, transaction) = (ctx.inner(), ctx.transaction());
    let result = match outcome {
        Ok(Ok(value)) => {
            let (data, meta) = superjson::encode(value);
            Some(ActionResult::success(data, meta))
        }
        Ok(Err(error)) if error.canceled => {
            tracing::info!("canceled by the runner");
            None
        }
        Ok(Err(error)) => {
            tracing::warn!("failed: {error}");
            Some(failure(inner, &ctx, Some(&definition), error))
        }
        Err(panic) => {
            let error = ActionError {
                name: "Error".into(),
                message: format!("The action panicked: {}", panic_message(&*panic)),
                cause: None,
                canceled: false,
            };
            tracing::error!("{}", error.message);
            Some(failure(inner, &ctx, Some(&definition), error))
        }
    };
    match result {
        Some(_) if transaction.is_closed() => {
            tracing::debug!("closed before it finished: no result sent")
        }
        Some(result) => complete(inner, &transaction.id, result).await,
        None => {}
    }
    if !transaction.append_ui {
        inner.transactions.close(&transaction.id);
    }
}

fn failure(
    inner: &Inner,
    ctx: &Ctx,
    definition: Option<&ActionDefinition>,
    error: ActionError,
) -> ActionResult {
    if let Some(on_error) = &inner.config.on_error {
        let event = ErrorEvent {
            error: error.clone(),
            route: ctx.action().slug.clone(),
            route_definition: definition.cloned(),
            params: ctx.params().clone(),
            environment: ctx.environment().to_owned(),
            user: ctx.user().clone(),
            organization: ctx.organization().clone(),
        };
        if std::panic::catch_unwind(AssertUnwindSafe(|| on_error(event))).is_err() {
            tracing::error!("The on_error callback panicked");
        }
    }
    ActionResult::failure(FailureData {
        error: error.name,
        message: error.message,
        cause: error.cause,
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Sends `MARK_TRANSACTION_COMPLETE`, waiting out a dropped connection.
async fn complete(inner: &Inner, transaction_id: &str, result: ActionResult) {
    let status = match result.status {
        ActionResultStatus::Success => ResultStatus::Success,
        ActionResultStatus::Failure => ResultStatus::Failure,
    };
    let inputs = MarkTransactionCompleteInputs {
        transaction_id: transaction_id.to_owned(),
        result_status: Some(status),
        result: Some(serde_json::to_string(&result).expect("a result serializes")),
        skip_client_call: None,
    };
    for _ in 0..inner.config.max_resend_attempts.max(1) {
        if !inner.wait_connected().await {
            break;
        }
        match inner.rpc.call::<MarkTransactionComplete>(&inputs).await {
            Ok(true) => {
                tracing::debug!("completed ({status:?})");
                return;
            }
            Ok(false) => {
                tracing::warn!("The server refused the result of transaction {transaction_id}");
                return;
            }
            Err(e) if e.is_disconnect() => continue,
            Err(e) => {
                tracing::error!("Could not send the result of transaction {transaction_id}: {e}");
                return;
            }
        }
    }
    tracing::error!("Could not send the result of transaction {transaction_id}: not connected");
}

/// Handles `IO_RESPONSE`: routes by the transaction id inside the value.
pub(crate) fn deliver(inner: &Inner, value: &str) {
    let response: IoResponse = match serde_json::from_str(value) {
        Ok(response) => response,
        Err(e) => {
            tracing::error!("Ignoring an invalid IO response ({e}): {}", truncate(value));
            return;
        }
    };
    if let Some(page) = inner.transactions.page(&response.transaction_id) {
        page.route(response);
        return;
    }
    match inner.transactions.get(&response.transaction_id) {
        Some(transaction) => transaction.route(response),
        None => tracing::debug!(
            "Ignoring an IO response for unknown transaction {}",
            response.transaction_id
        ),
    }
}

/// After a reconnect: re-sends the last loading state of every open
/// transaction and the layout and loading state of every open page, then
/// asks every waiting IO call to send its render again (a refusal fails the
/// call) and re-sends the settled renders of the others (retried for
/// `max_resend_attempts` rounds; a refusal drops them).
pub(crate) async fn replay(inner: Arc<Inner>) {
    for transaction in inner.transactions.all() {
        let loading = lock(&transaction.state).loading.as_deref().cloned();
        if let Some(loading) = loading {
            crate::ctx::send_loading(&inner, &transaction.id, loading).await;
        }
    }
    for page in inner.transactions.pages() {
        page.replay(&inner).await;
    }
    let tasks = inner.transactions.all().into_iter().filter_map(|transaction| {
        let (settled, waiting) = {
            let state = lock(&transaction.state);
            (state.settled_render.clone(), state.groups.latest())
        };
        let io_call = match (settled, waiting) {
            (Some(io_call), _) => io_call,
            (None, Some(inbox)) => {
                let _ = inbox.push(GroupEvent::Resend);
                return None;
            }
            (None, None) => return None,
        };
        let inner = inner.clone();
        Some(async move {
            let inputs = SendIoCallInputs {
                transaction_id: transaction.id.to_string(),
                io_call,
                skip_client_call: None,
            };
            for round in 1..=inner.config.max_resend_attempts.max(1) {
                match inner.rpc.call::<SendIoCall>(&inputs).await {
                    Ok(reply) => {
                        if let Some(refusal) = reply.refusal() {
                            tracing::warn!(
                                "The server refused the replayed IO call of transaction {}: {refusal}",
                                transaction.id
                            );
                            lock(&transaction.state).settled_render = None;
                        }
                        return;
                    }
                    Err(Error::NotConnected) => return,
                    Err(e) => {
                        tracing::warn!("Replaying an IO call failed (round {round}): {e}");
                        tokio::time::sleep(inner.config.retry_interval * round).await;
                    }
                }
            }
        })
    });
    futures_util::future::join_all(tasks).await;
}
