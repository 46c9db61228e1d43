//! The transaction context handed to every action handler: who runs it,
//! its params, and the loading indicator, logs, notifications and
//! redirects (§6.1).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use interval_protocol::host::{SendLog, SendLogInputs};
use interval_protocol::superjson::{self, Meta};
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
use interval_protocol::dates::Timestamp;

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
    /// The params' superjson meta (`paramsMeta`), when there was one.
    params_meta: Option<Box<Meta>>,
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
        (params, params_meta): (Map<String, Value>, Option<Meta>),
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
                params_meta: params_meta.map(Box::new),
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

    /// The params (from the URL or the queued action), superjson-decoded:
    /// a `Date` param is its ISO-8601 string (see
    /// [`param_timestamp`](Ctx::param_timestamp)), a `bigint` a number when
    /// it fits in 64 bits and its digits otherwise (see
    /// [`param_bigint`](Ctx::param_bigint)); [`params_meta`](Ctx::params_meta)
    /// tells which is which.
    pub fn params(&self) -> &Map<String, Value> {
        static NONE: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.data.params.as_deref().unwrap_or(&NONE)
    }

    /// One param.
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params().get(key)
    }

    /// The superjson meta the params came with (`paramsMeta`: which params
    /// were dates, bigints, ...), if any.
    ///
    /// ```
    /// # use interval_core as interval;
    /// # fn f(ctx: interval::Ctx) {
    /// use interval::protocol::superjson::annotation;
    /// if let Some(meta) = ctx.params_meta() {
    ///     let is_date = annotation(meta, &["when"]) == Some("Date");
    /// }
    /// # }
    /// ```
    pub fn params_meta(&self) -> Option<&Meta> {
        self.data.params_meta.as_deref()
    }

    /// Param `key` as an instant: a `Date` param, or any ISO-8601 string
    /// (what the Node SDK's legacy date pass turns into a `Date` too).
    /// `None` when it is absent or not a date.
    pub fn param_timestamp(&self, key: &str) -> Option<Timestamp> {
        param_timestamp(self.params(), key)
    }

    /// Param `key` as an integer of any size: a `bigint` param (even one
    /// beyond 64 bits) or an integral number. `None` when it is absent or
    /// not an integer.
    pub fn param_bigint(&self, key: &str) -> Option<i128> {
        param_bigint(self.params(), self.params_meta(), key)
    }

    /// The params as your own type, decoded through their superjson meta:
    /// a `Date` param reads into a [`Timestamp`] (or a `String`), a `bigint`
    /// into any integer type wide enough (`i128`/`u128` beyond 64 bits).
    ///
    /// ```
    /// # use interval_core as interval;
    /// # fn f(ctx: interval::Ctx) -> Result<(), interval::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Refund { order: String, amount: f64, when: interval::Timestamp, n: i128 }
    /// let refund: Refund = ctx.params_as()?;
    /// # Ok(()) }
    /// ```
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T> {
        params_as(self.params(), self.params_meta())
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
    /// # use interval_core as interval;
    /// # async fn f(ctx: interval::Ctx) {
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
    /// # use interval_core as interval;
    /// # async fn f(ctx: interval::Ctx) -> Result<(), interval::Error> {
    /// use interval::Redirect;
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

/// Params as the caller's own type, bigints of any size included (shared
/// by [`Ctx`] and [`PageCtx`](crate::PageCtx)).
pub(crate) fn params_as<T: DeserializeOwned>(
    params: &Map<String, Value>,
    meta: Option<&Meta>,
) -> Result<T> {
    let text = superjson::decode_to_text(Value::Object(params.clone()), meta);
    serde_json::from_str(&text)
        .map_err(|e| Error::Interval(format!("the params do not have the expected shape: {e}")))
}

/// Param `key` as a [`Timestamp`] (shared by [`Ctx`] and
/// [`PageCtx`](crate::PageCtx)).
pub(crate) fn param_timestamp(params: &Map<String, Value>, key: &str) -> Option<Timestamp> {
    Timestamp::parse(params.get(key)?.as_str()?)
}

/// Param `key` as an `i128` (shared by [`Ctx`] and
/// [`PageCtx`](crate::PageCtx)).
pub(crate) fn param_bigint(
    params: &Map<String, Value>,
    meta: Option<&Meta>,
    key: &str,
) -> Option<i128> {
    match params.get(key)? {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(digits)
            if meta.and_then(|m| superjson::annotation(m, &[key])) == Some("bigint") =>
        {
            digits.parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_params_follow_their_superjson_meta() {
        #[derive(serde::Deserialize)]
        struct Params {
            when: Timestamp,
            n: i128,
            small: u64,
            name: String,
        }
        let json = serde_json::json!({
            "when": "2024-01-02T03:04:05.000Z",
            "n": "170141183460469231731687303715884105727",
            "small": "9007199254740993",
            "name": "12:00:00",
        });
        let meta: Meta = serde_json::from_value(serde_json::json!({"values": {
            "when": ["Date"], "n": ["bigint"], "small": ["bigint"], "name": [["custom", "time"]],
        }}))
        .unwrap();
        // As the runtime holds them: decoded once.
        let Value::Object(params) = superjson::decode(json, Some(&meta)) else {
            unreachable!()
        };
        assert_eq!(params["small"], serde_json::json!(9007199254740993u64));
        let typed: Params = params_as(&params, Some(&meta)).unwrap();
        assert_eq!(typed.when, Timestamp::from_millis(1_704_164_645_000));
        assert_eq!(typed.n, i128::MAX);
        assert_eq!(typed.small, 9_007_199_254_740_993);
        assert_eq!(typed.name, "12:00:00");

        assert_eq!(param_bigint(&params, Some(&meta), "n"), Some(i128::MAX));
        assert_eq!(
            param_bigint(&params, Some(&meta), "small"),
            Some(9_007_199_254_740_993)
        );
        // A string of digits is no bigint without its annotation.
        assert_eq!(param_bigint(&params, None, "n"), None);
        assert_eq!(param_bigint(&params, Some(&meta), "name"), None);
        assert_eq!(
            param_timestamp(&params, "when"),
            Some(Timestamp::from_millis(1_704_164_645_000))
        );
        assert_eq!(param_timestamp(&params, "name"), None);
        assert_eq!(param_timestamp(&params, "missing"), None);
        // Without meta the params read as before.
        let plain: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"n": 5})).unwrap();
        #[derive(serde::Deserialize)]
        struct N {
            n: i64,
        }
        assert_eq!(params_as::<N>(&plain, None).unwrap().n, 5);
        assert!(params_as::<Params>(&plain, None).is_err());
    }

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
