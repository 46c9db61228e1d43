//! The transaction context handed to every action handler: who runs it,
//! its params, and the loading indicator, logs, notifications and
//! redirects (§6.1).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use interval_protocol::host::{SendLog, SendLogInputs};
use interval_protocol::types::{ActionRef, Organization, User};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http_api::{self, Notify};
use crate::loading::Loading;
use crate::log_line::LogArgs;
use crate::redirect::{send_redirect, Redirect};
use crate::state::{now_ms, HostState};
use crate::target::Target;
use crate::transaction::Transaction;

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
    host: Arc<HostState>,
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
        host: Arc<HostState>,
        transaction: Arc<Transaction>,
        user: Arc<User>,
        params: Map<String, Value>,
        environment: Arc<str>,
        organization: Arc<Organization>,
        action: Arc<ActionRef>,
    ) -> Self {
        Ctx {
            data: Arc::new(CtxData {
                loading: Loading::new(host.clone(), Target::Transaction(transaction.clone())),
                host,
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
        match self.data.host.rpc.call::<SendLog>(&inputs).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("The server refused a log line"),
            Err(e) => tracing::warn!("Could not send a log line: {e}"),
        }
    }

    /// Sends a notification about this transaction (over HTTP); add
    /// recipients with `.delivery(..)` and `.await` it.
    pub fn notify(&self, message: impl Into<String>) -> Notify {
        http_api::notify(self.data.host.clone(), message)
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
        send_redirect(&self.data.host, &self.data.transaction.id, to).await
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
