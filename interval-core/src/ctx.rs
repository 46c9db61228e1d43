//! The transaction context handed to every action handler: who runs it,
//! its params, and the loading indicator, logs, notifications and
//! redirects (§6.1).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use interval_protocol::host::{
    SendLoadingCall, SendLoadingCallInputs, SendLog, SendLogInputs, SendRedirect,
    SendRedirectInputs,
};
use interval_protocol::types::{ActionRef, LinkTarget, LoadingState, Organization, User};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::{now_ms, Inner, Interval};
use crate::error::{Error, Result};
use crate::http_api::Notify;
use crate::io::Target;
use crate::log_line::LogArgs;
use crate::transaction::Transaction;

/// How long loading updates are batched (Node's debounce).
const LOADING_DEBOUNCE: Duration = Duration::from_millis(100);
/// The longest log line, in UTF-16 code units (Node's limit, on JavaScript's
/// `length`).
const MAX_LOG_UNITS: usize = 10_000;
/// What follows a log line cut at [`MAX_LOG_UNITS`] (Node's wording).
const LOG_CUT_WARNING: &str = "...\n^ Warning: 10k logline character limit reached.\nTo avoid this error, try separating your data into multiple ctx.log() calls.";

/// What an action knows about the run it is in, and what it can do besides
/// asking questions.
/// Cheap to clone: clones share one copy of the data.
#[derive(Clone)]
pub struct Ctx {
    data: Arc<CtxData>,
}

/// What a [`Ctx`] knows; one per transaction.
struct CtxData {
    inner: Arc<Inner>,
    transaction: Arc<Transaction>,
    user: Arc<User>,
    /// `None` when there are none (most runs): an empty map is large.
    params: Option<Box<Map<String, Value>>>,
    environment: Arc<str>,
    organization: Arc<Organization>,
    action: Arc<ActionRef>,
    loading: Loading,
    log_index: AtomicU64,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("transaction_id", &self.data.transaction.id)
            .field("action", &self.data.action.slug)
            .field("user", &self.data.user.email)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn new(
        inner: Arc<Inner>,
        transaction: Arc<Transaction>,
        user: Arc<User>,
        params: Map<String, Value>,
        environment: Arc<str>,
        organization: Arc<Organization>,
        action: Arc<ActionRef>,
    ) -> Self {
        Ctx {
            data: Arc::new(CtxData {
                loading: Loading::new(inner.clone(), Target::Transaction(transaction.clone())),
                inner,
                transaction,
                user,
                params: (!params.is_empty()).then(|| Box::new(params)),
                environment,
                organization,
                action,
                log_index: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.data.inner
    }

    pub(crate) fn transaction(&self) -> &Arc<Transaction> {
        &self.data.transaction
    }

    /// The id of this transaction.
    pub fn transaction_id(&self) -> &str {
        &self.data.transaction.id
    }

    /// Who runs the action.
    pub fn user(&self) -> &User {
        &self.data.user
    }

    /// The raw params (from the URL or the queued action).
    pub fn params(&self) -> &Map<String, Value> {
        static NONE: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.data.params.as_deref().unwrap_or(&NONE)
    }

    /// One param.
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params().get(key)
    }

    /// The params as your own type.
    ///
    /// ```
    /// # fn f(ctx: interval_core::Ctx) -> Result<(), interval_core::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Refund { order: String, amount: f64 }
    /// let refund: Refund = ctx.params_as()?;
    /// # Ok(()) }
    /// ```
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T> {
        params_as(self.params())
    }

    /// The environment slug (`production`, `development`, or custom).
    pub fn environment(&self) -> &str {
        &self.data.environment
    }

    /// The organization.
    pub fn organization(&self) -> &Organization {
        &self.data.organization
    }

    /// The action: its full slug and dashboard URL.
    pub fn action(&self) -> &ActionRef {
        &self.data.action
    }

    /// The loading indicator shown while the action works.
    pub fn loading(&self) -> &Loading {
        &self.data.loading
    }

    /// Adds a line to the transaction's log (lines are numbered from 0 and
    /// cut at 10,000 characters). A failure to send is logged, not
    /// returned.
    pub async fn log(&self, message: impl fmt::Display) {
        self.send_log(message.to_string()).await
    }

    /// Logs a value as pretty JSON (as the Node SDK logs objects).
    pub async fn log_json(&self, value: &impl Serialize) {
        let text = match serde_json::to_value(value) {
            Ok(mut value) => {
                interval_protocol::superjson::strip_tags(&mut value);
                crate::log_line::json_text(&value)
            }
            Err(e) => format!("<value cannot be serialized: {e}>"),
        };
        self.send_log(text).await
    }

    /// Logs several values in one line, as Node's `ctx.log(a, b, ...)`
    /// does: joined with a space, strings as they are, other values as
    /// indented JSON (see [`LogArgs`]). `args` is a tuple; the
    /// [`log!`](crate::log!) macro writes it for you. No values (`()`)
    /// sends nothing but still uses up a line number, as in Node.
    ///
    /// ```no_run
    /// # async fn f(ctx: interval_core::Ctx) {
    /// let refunded = vec![3, 4];
    /// ctx.log_args(("Refunded", refunded.len(), "orders:", &refunded)).await;
    /// // The line: Refunded 2 orders: [\n  3,\n  4\n]
    /// # }
    /// ```
    pub async fn log_args(&self, args: impl LogArgs) {
        let texts = args.texts();
        if texts.is_empty() {
            self.data.log_index.fetch_add(1, Ordering::SeqCst);
            return;
        }
        self.send_log(texts.join(" ")).await
    }

    async fn send_log(&self, data: String) {
        let data = cut_log_line(data);
        let inputs = SendLogInputs {
            transaction_id: self.data.transaction.id.to_string(),
            data,
            index: Some(self.data.log_index.fetch_add(1, Ordering::SeqCst)),
            timestamp: Some(now_ms()),
            skip_client_call: None,
        };
        match self.data.inner.rpc.call::<SendLog>(&inputs).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("The server refused a log line"),
            Err(e) => tracing::warn!("Could not send a log line: {e}"),
        }
    }

    /// Sends a notification about this transaction (over HTTP); add
    /// recipients with `.delivery(..)` and `.await` it.
    pub fn notify(&self, message: impl Into<String>) -> Notify {
        Interval {
            inner: self.data.inner.clone(),
        }
        .notify(message)
        .transaction_id(self.data.transaction.id.to_string())
    }

    /// Sends the runner to another action or page, or to a URL.
    ///
    /// ```no_run
    /// # async fn f(ctx: interval_core::Ctx) -> Result<(), interval_core::Error> {
    /// use interval_core::Redirect;
    /// ctx.redirect(Redirect::route("users/edit").params(serde_json::json!({"id": 7}))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn redirect(&self, to: Redirect) -> Result<()> {
        redirect(&self.data.inner, &self.data.transaction.id, to).await
    }
}

/// Where [`Ctx::redirect`] sends the runner.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    target: LinkTarget,
    replace: Option<bool>,
}

impl Redirect {
    /// To an action or page, by full slug.
    pub fn route(route: impl Into<String>) -> Self {
        Redirect {
            target: LinkTarget::Route {
                route: route.into(),
                params: None,
            },
            replace: None,
        }
    }

    /// To a URL.
    pub fn url(url: impl Into<String>) -> Self {
        Redirect {
            target: LinkTarget::Url {
                url: url.into(),
                download: None,
            },
            replace: None,
        }
    }

    /// Params of a route (anything that serializes to a map).
    pub fn params(mut self, params: impl Serialize) -> Self {
        if let LinkTarget::Route { params: slot, .. } = &mut self.target {
            match serde_json::to_value(params) {
                Ok(mut value @ Value::Object(_)) => {
                    interval_protocol::superjson::strip_tags(&mut value);
                    if let Value::Object(map) = value {
                        *slot = Some(map);
                    }
                }
                _ => tracing::error!("Ignoring redirect params: not a map"),
            }
        }
        self
    }

    /// Replaces the current browser history entry.
    pub fn replace(mut self, yes: bool) -> Self {
        self.replace = Some(yes);
        self
    }
}

/// `SEND_REDIRECT` for a transaction or page.
pub(crate) async fn redirect(inner: &Inner, id: &str, to: Redirect) -> Result<()> {
    let inputs = SendRedirectInputs {
        transaction_id: id.to_owned(),
        target: to.target,
        replace: to.replace,
        skip_client_call: None,
    };
    match inner.rpc.call::<SendRedirect>(&inputs).await? {
        true => Ok(()),
        false => Err(Error::Interval("Failed sending redirect".into())),
    }
}

/// `SEND_LOADING_CALL`, errors logged.
pub(crate) async fn send_loading(inner: &Inner, id: &str, state: LoadingState) {
    let inputs = SendLoadingCallInputs {
        transaction_id: id.to_owned(),
        state,
        skip_client_call: None,
    };
    match inner.rpc.call::<SendLoadingCall>(&inputs).await {
        Ok(true) => {}
        Ok(false) => tracing::debug!("The server refused a loading state for {id}"),
        Err(e) => tracing::warn!("Could not send a loading state: {e}"),
    }
}

/// The loading indicator of a transaction or page: `start`, `update` and
/// `complete_one` change it; changes within 100 ms are sent as one.
#[derive(Clone)]
pub struct Loading {
    inner: Arc<Inner>,
    /// Its state lives with the transaction or page ([`LoadingSlot`]).
    target: Target,
}

/// The loading state of a transaction or page, kept by it (so that a
/// transaction that never shows one pays for no more than this).
#[derive(Debug, Default)]
pub(crate) struct LoadingSlot {
    /// Boxed: most transactions never show a loading state.
    state: Option<Box<LoadingState>>,
    /// A send is scheduled (changes within the debounce go with it).
    armed: bool,
}

impl fmt::Debug for Loading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loading")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Options of [`Loading::start`] and [`Loading::update`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadingOptions {
    /// Short label.
    pub label: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Number of items to process (shows a progress bar).
    pub items_in_queue: Option<u64>,
}

impl LoadingOptions {
    /// Just a label.
    pub fn label(label: impl Into<String>) -> Self {
        LoadingOptions {
            label: Some(label.into()),
            ..Default::default()
        }
    }

    /// A description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Items to process.
    pub fn items_in_queue(mut self, n: u64) -> Self {
        self.items_in_queue = Some(n);
        self
    }
}

impl From<&str> for LoadingOptions {
    fn from(label: &str) -> Self {
        LoadingOptions::label(label)
    }
}

impl From<String> for LoadingOptions {
    fn from(label: String) -> Self {
        LoadingOptions::label(label)
    }
}

impl Loading {
    pub(crate) fn new(inner: Arc<Inner>, target: Target) -> Self {
        Loading { inner, target }
    }

    /// The current state.
    pub fn state(&self) -> Option<LoadingState> {
        self.target
            .with_loading(|slot| slot.state.as_deref().cloned())
    }

    /// Shows a new loading state (a label, or [`LoadingOptions`]).
    pub fn start(&self, options: impl Into<LoadingOptions>) {
        let options = options.into();
        self.set(|_| LoadingState {
            label: options.label,
            description: options.description,
            items_completed: options.items_in_queue.map(|_| 0),
            items_in_queue: options.items_in_queue,
            title: None,
        });
    }

    /// Changes the loading state (starts one if none was started).
    pub fn update(&self, options: impl Into<LoadingOptions>) {
        let options = options.into();
        self.set(|state| {
            let mut state = state.cloned().unwrap_or_default();
            if options.label.is_some() {
                state.label = options.label;
            }
            if options.description.is_some() {
                state.description = options.description;
            }
            if let Some(n) = options.items_in_queue {
                state.items_in_queue = Some(n);
                state.items_completed.get_or_insert(0);
            }
            state
        });
    }

    /// Marks one more item done (only with `items_in_queue`).
    pub fn complete_one(&self) {
        let counted = self.target.with_loading(|slot| {
            slot.state
                .as_ref()
                .is_some_and(|s| s.items_in_queue.is_some())
        });
        if !counted {
            tracing::warn!("loading.complete_one() without items_in_queue does nothing");
            return;
        }
        self.set(|state| {
            let mut state = state.cloned().unwrap_or_default();
            state.items_completed = Some(state.items_completed.unwrap_or(0) + 1);
            state
        });
    }

    fn set(&self, change: impl FnOnce(Option<&LoadingState>) -> LoadingState) {
        let arm = self.target.with_loading(|slot| {
            let state = change(slot.state.as_deref());
            slot.state = Some(Box::new(state));
            !std::mem::replace(&mut slot.armed, true)
        });
        if arm {
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(LOADING_DEBOUNCE).await;
                let state = this.target.with_loading(|slot| {
                    slot.armed = false;
                    slot.state.as_deref().cloned()
                });
                if let Some(state) = state {
                    this.send(state).await;
                }
            });
        }
    }

    async fn send(&self, state: LoadingState) {
        let id = match &self.target {
            Target::Transaction(t) => {
                t.set_loading(state.clone());
                t.id.to_string()
            }
            Target::Page(p) => {
                if p.is_closed() {
                    return;
                }
                p.set_loading(state.clone());
                p.key.clone()
            }
        };
        send_loading(&self.inner, &id, state).await;
    }
}

/// Cuts a log line longer than Node's limit (counted as JavaScript counts,
/// in UTF-16 code units; never inside a character) and says so.
fn cut_log_line(mut data: String) -> String {
    let mut units = 0;
    let cut = data.char_indices().find_map(|(i, c)| {
        units += c.len_utf16();
        (units > MAX_LOG_UNITS).then_some(i)
    });
    if let Some(at) = cut {
        data.truncate(at);
        data.push_str(LOG_CUT_WARNING);
    }
    data
}

/// Params as the caller's own type (shared by [`Ctx`] and
/// [`PageCtx`](crate::PageCtx)).
pub(crate) fn params_as<T: DeserializeOwned>(params: &Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(params.clone()))
        .map_err(|e| Error::Interval(format!("the params do not have the expected shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_cut_at_ten_thousand_utf16_units() {
        let exact = "a".repeat(MAX_LOG_UNITS);
        assert_eq!(cut_log_line(exact.clone()), exact);
        // 5,000 characters outside the BMP are 10,000 units: kept.
        let wide = "\u{1F600}".repeat(MAX_LOG_UNITS / 2);
        assert_eq!(cut_log_line(wide.clone()), wide);
        // One more unit is cut, before the character that crosses the limit.
        let over = format!("{}\u{1F600}", "a".repeat(MAX_LOG_UNITS - 1));
        let cut = cut_log_line(over);
        assert_eq!(
            cut,
            format!("{}{LOG_CUT_WARNING}", "a".repeat(MAX_LOG_UNITS - 1))
        );
        let wider = "\u{1F600}".repeat(MAX_LOG_UNITS / 2 + 1);
        assert!(cut_log_line(wider).starts_with(&"\u{1F600}".repeat(MAX_LOG_UNITS / 2)));
    }
}
