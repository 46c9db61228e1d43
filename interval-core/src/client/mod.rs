//! The [`Interval`] client: configuration, `listen`, the connection
//! supervisor (reconnect with back-off), ping, and shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interval_protocol::host::{
    BeginHostShutdown, BeginHostShutdownInputs, InitializeHost, InitializeHostInputs,
    InitializeHostReturns,
};
use interval_protocol::types::{Organization, SdkAlert, SuccessOrError};
use tokio::sync::watch;

use tokio_util::sync::CancellationToken;

use crate::config::{Config, LogLevel};

mod builder;
#[cfg(feature = "embedded")]
mod embedded;
mod supervisor;

use crate::dispatch;
use crate::error::{Error, Result};
use crate::routes::{Route, RouteTable, Routes};
use crate::rpc::{CallTiming, Rpc};
use crate::socket::{lock, ConnectOptions, Connection};
use crate::transaction::Transactions;
pub use builder::IntervalBuilder;

/// The SDK name reported in `INITIALIZE_HOST`.
///
/// A real Interval server gates behaviour on these two strings (PROTOCOL.md
/// §2.6): only hosts named `@interval/sdk` get `{type:"error"}` init
/// failures (others get a bare `null`) and have code-defined `access`
/// applied. So interval-rs reports the official name.
pub const SDK_NAME: &str = "@interval/sdk";

/// The SDK version reported in `INITIALIZE_HOST`.
///
/// The server compares versions as *strings*: `>= "0.38.0"` enables append-UI
/// mode and `CLOSE_TRANSACTION`, `>= "0.38.1"` environment slugs, `>= "1.4.0"`
/// `SEND_IO_CALL` error objects, and SDK alerts apply when their
/// `minSdkVersion` sorts above ours. `2.1.0` is the protocol level interval-rs
/// implements (the newest Node SDK), so every gate opens and no "outdated"
/// alert meant for older Node SDKs fires; the `+interval-rs.…` build suffix
/// sorts after `2.1.0` and lets a server tell this SDK apart.
pub const SDK_VERSION: &str = concat!("2.1.0+interval-rs.", env!("CARGO_PKG_VERSION"));

/// How long a connection must stay up before the reconnect back-off resets
/// (so a server that accepts and drops at once causes no tight loop).
const STABLE_CONNECTION: Duration = Duration::from_secs(30);
/// Cap of the linear reconnect back-off, in retry intervals.
const MAX_BACKOFF_STEPS: u32 = 10;

/// Connection status, published on a watch channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// `listen()` not called yet.
    Idle,
    /// Connected and initialized.
    Connected,
    /// Lost the connection; trying again.
    Reconnecting,
    /// Closed for good.
    Closed,
}

/// What the server told us at initialization.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Shared by the contexts of every transaction.
    pub organization: Arc<Organization>,
    /// The environment of this host's key (transactions almost always run
    /// in it; their contexts share this copy).
    pub environment: Arc<str>,
}

pub(crate) struct Inner {
    pub config: Config,
    pub instance_id: String,
    pub rpc: Rpc,
    pub transactions: Transactions,
    /// Made on first use: an idle host does not pay for a TLS client.
    http: std::sync::OnceLock<reqwest::Client>,
    routes: Mutex<Routes>,
    table: Mutex<RouteTable>,
    session: Mutex<Option<Session>>,
    /// Becomes true once an `INITIALIZE_HOST` answer has been processed.
    initialized: watch::Sender<bool>,
    status: watch::Sender<Status>,
    closing: CancellationToken,
    shutting_down: AtomicBool,
    reinitialize_pending: AtomicBool,
    /// Where to connect, and with which key: the configured ones, or those
    /// of the embedded server.
    target: Mutex<Option<Target>>,
    #[cfg(feature = "embedded")]
    server: Mutex<Option<interval_server::RunningServer>>,
}

/// The endpoint and key the client uses.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub endpoint: String,
    pub api_key: Option<String>,
}

/// A host: declares actions and pages to an Interval server and runs them.
///
/// `Interval` is a cheap handle (clone it freely). Build one with
/// [`Interval::builder`] or [`Interval::from_env`], then call
/// [`listen`](Interval::listen).
///
/// ```no_run
/// use interval_core::{Action, Error, Interval};
///
/// # async fn run() -> Result<(), Error> {
/// let interval = Interval::builder()
///     .endpoint("ws://localhost:3000/websocket")
///     .api_key("dev_...")
///     .action("hello", Action::new(|io, _ctx| async move {
///         let name = io.input().text("Your name").await?;
///         Ok::<_, Error>(format!("Hello, {name}"))
///     }))
///     .build();
/// interval.listen().await?;
/// interval.closed().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Interval {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interval")
            .field("instance_id", &self.inner.instance_id)
            .field("status", &*self.inner.status.borrow())
            .finish_non_exhaustive()
    }
}

impl Interval {
    /// A builder with every default.
    pub fn builder() -> IntervalBuilder {
        IntervalBuilder::default()
    }

    /// A builder with `api_key` and `endpoint` taken from `INTERVAL_API_KEY`
    /// and `INTERVAL_ENDPOINT` (when set), and `log_level` from
    /// `INTERVAL_LOG_LEVEL`.
    pub fn from_env() -> IntervalBuilder {
        let mut builder = Interval::builder();
        if let Some(key) = std::env::var("INTERVAL_API_KEY")
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.api_key(key);
        }
        if let Some(endpoint) = std::env::var("INTERVAL_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.endpoint(endpoint);
        }
        if let Ok(level) = std::env::var("INTERVAL_LOG_LEVEL") {
            match level.parse::<LogLevel>() {
                Ok(level) => builder = builder.log_level(level),
                Err(e) => eprintln!("interval: ignoring INTERVAL_LOG_LEVEL: {e}"),
            }
        }
        builder
    }

    /// A client with `config`.
    pub fn new(config: Config) -> Self {
        let timing = CallTiming {
            send_timeout: config.send_timeout,
            retry_interval: config.retry_interval,
            max_resend_attempts: config.max_resend_attempts,
            response_timeout: config.response_timeout,
        };
        let table = config.routes.flatten();
        Interval {
            inner: Arc::new(Inner {
                routes: Mutex::new(config.routes.clone()),
                table: Mutex::new(table),
                instance_id: interval_protocol::new_id().to_string(),
                rpc: Rpc::new(timing),
                transactions: Transactions::default(),
                http: std::sync::OnceLock::new(),
                session: Mutex::new(None),
                initialized: watch::Sender::new(false),
                status: watch::Sender::new(Status::Idle),
                closing: CancellationToken::new(),
                shutting_down: AtomicBool::new(false),
                reinitialize_pending: AtomicBool::new(false),
                target: Mutex::new(config.endpoint.clone().map(|endpoint| Target {
                    endpoint,
                    api_key: config.api_key.clone(),
                })),
                #[cfg(feature = "embedded")]
                server: Mutex::new(None),
                config,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// This host's instance id (the `x-instance-id` header, kept across
    /// reconnects).
    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    /// Whether the host is connected and initialized.
    pub fn is_connected(&self) -> bool {
        *self.inner.status.borrow() == Status::Connected
    }

    /// Connects, authenticates and declares the routes. Resolves once the
    /// server accepted them; from then on the host runs transactions in the
    /// background and reconnects on its own after an unexpected close.
    ///
    /// Fails without retrying when the first connection or initialization
    /// fails (wrong endpoint, wrong key, server refusal).
    pub async fn listen(&self) -> Result<()> {
        let inner = &self.inner;
        crate::logging::init(inner.config.log_level);
        if *inner.status.borrow() != Status::Idle {
            return Err(Error::Interval("listen() was already called".into()));
        }
        let endpoint = inner.resolve_target().await?.endpoint;
        let connection = inner.connect(&endpoint).await?;
        inner.rpc.attach(connection.clone());
        if let Err(e) = inner.initialize(true).await {
            connection.close();
            inner.rpc.detach();
            return Err(e);
        }
        inner.status.send_replace(Status::Connected);
        tokio::spawn(supervisor::supervise(inner.clone(), connection, endpoint));
        tokio::spawn(supervisor::keep_alive(inner.clone()));
        Ok(())
    }

    /// Pings the server: `Ok(true)` when it answered within `ping_timeout`,
    /// [`Error::NotConnected`] without a connection, [`Error::Timeout`]
    /// otherwise.
    pub async fn ping(&self) -> Result<bool> {
        let connection = self.inner.rpc.connection().ok_or(Error::NotConnected)?;
        connection.ping(self.inner.config.ping_timeout).await?;
        Ok(true)
    }

    /// Stops taking new transactions, lets the running ones finish, then
    /// closes. Resolves once closed.
    pub async fn safely_close(&self) -> Result<()> {
        let inner = &self.inner;
        inner.shutting_down.store(true, Ordering::SeqCst);
        match inner
            .rpc
            .call::<BeginHostShutdown>(&BeginHostShutdownInputs {})
            .await
        {
            Ok(SuccessOrError::Success) => {}
            Ok(SuccessOrError::Error { message }) => {
                inner.shutting_down.store(false, Ordering::SeqCst);
                return Err(Error::Interval(message.unwrap_or_else(|| {
                    "Unknown error sending shutdown request.".into()
                })));
            }
            Err(e) => {
                inner.shutting_down.store(false, Ordering::SeqCst);
                return Err(e);
            }
        }
        let open = inner.transactions.open_count();
        if open > 0 {
            tracing::info!("Waiting for {open} running transaction(s) before closing");
        }
        inner.transactions.wait_until_empty().await;
        self.immediately_close();
        Ok(())
    }

    /// Closes at once. Running handlers are not stopped, but their I/O calls
    /// fail with [`Error::NotConnected`].
    pub fn immediately_close(&self) {
        let inner = &self.inner;
        inner.closing.cancel();
        inner.transactions.close_all_groups();
        if let Some(connection) = inner.rpc.detach() {
            connection.close();
        }
        inner.status.send_replace(Status::Closed);
        #[cfg(feature = "embedded")]
        if let Some(server) = lock(&inner.server).take() {
            server.shutdown();
        }
    }

    /// The dashboard URL of the embedded server, when `listen()` started one.
    #[cfg(feature = "embedded")]
    pub fn embedded_dashboard_url(&self) -> Option<String> {
        lock(&self.inner.server).as_ref().map(|s| s.url())
    }

    /// Resolves when the client is closed for good.
    pub async fn closed(&self) {
        self.inner.closing.cancelled().await
    }

    /// Adds (or replaces) a top-level route at run time; the server learns
    /// about it after `reinitialize_batch_timeout`.
    pub fn add_route(&self, slug: impl Into<String>, route: Route) {
        lock(&self.inner.routes).insert(slug.into(), route);
        self.inner.routes_changed();
    }

    /// Removes a top-level route at run time.
    pub fn remove_route(&self, slug: &str) -> Option<Route> {
        let removed = lock(&self.inner.routes).remove(slug);
        self.inner.routes_changed();
        removed
    }
}

impl Inner {
    /// The HTTP client of the HTTP API, made on first use.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }

    /// The endpoint and key in use, if known yet.
    pub(crate) fn target(&self) -> Option<Target> {
        lock(&self.target).clone()
    }

    /// The configured endpoint, or else (with the `embedded` feature) a
    /// server started in this process.
    async fn resolve_target(&self) -> Result<Target> {
        if let Some(target) = self.target() {
            return Ok(target);
        }
        #[cfg(feature = "embedded")]
        {
            let server = embedded::start(self.config.api_key.as_deref()).await?;
            let target = Target {
                endpoint: server.endpoint(),
                api_key: Some(server.api_key().to_owned()),
            };
            *lock(&self.server) = Some(server);
            *lock(&self.target) = Some(target.clone());
            Ok(target)
        }
        #[cfg(not(feature = "embedded"))]
        {
            Err(Error::Config(
                "no endpoint: set INTERVAL_ENDPOINT or call .endpoint(\"ws://host:port/websocket\") \
                 (or enable the `embedded` feature to run a server in-process)"
                    .into(),
            ))
        }
    }

    /// Whether the first `INITIALIZE_HOST` answer was processed: the server
    /// may send `START_TRANSACTION` as soon as our ACK of that answer reaches
    /// it, before this host has read the answer.
    pub(crate) fn is_initialized(&self) -> bool {
        *self.initialized.borrow()
    }

    /// Waits (briefly) for the first `INITIALIZE_HOST` answer to be
    /// processed (see [`Inner::is_initialized`]).
    pub(crate) async fn wait_initialized(&self) {
        if *self.initialized.borrow() {
            return;
        }
        let mut initialized = self.initialized.subscribe();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), initialized.wait_for(|done| *done)).await;
    }

    pub(crate) fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }

    pub(crate) fn table(&self) -> std::sync::MutexGuard<'_, RouteTable> {
        lock(&self.table)
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closing.is_cancelled()
    }

    /// Waits until connected; `false` if the client closed instead.
    pub(crate) async fn wait_connected(&self) -> bool {
        let mut status = self.status.subscribe();
        let reached = status
            .wait_for(|s| matches!(s, Status::Connected | Status::Closed))
            .await;
        matches!(reached.as_deref(), Ok(Status::Connected))
    }

    async fn connect(self: &Arc<Self>, endpoint: &str) -> Result<Arc<Connection>> {
        let api_key = self.target().and_then(|t| t.api_key);
        Connection::open(
            ConnectOptions {
                endpoint,
                api_key: api_key.as_deref(),
                instance_id: &self.instance_id,
                connect_timeout: self.config.connect_timeout,
            },
            dispatch::handler(self),
        )
        .await
    }

    /// Sends `INITIALIZE_HOST` with the current routes.
    async fn initialize(&self, first: bool) -> Result<()> {
        let table = lock(&self.routes).flatten();
        let inputs = InitializeHostInputs {
            actions: table.actions.clone(),
            groups: Some(table.pages.clone()),
            callable_action_names: None,
            sdk_name: Some(SDK_NAME.into()),
            sdk_version: Some(SDK_VERSION.into()),
            request_id: None,
            timestamp: Some(now_ms()),
        };
        let reply = self.rpc.call::<InitializeHost>(&inputs).await?;
        match reply {
            None => Err(Error::Interval("Unknown error".into())),
            Some(InitializeHostReturns::Error { message, sdk_alert }) => {
                report_alert(sdk_alert.as_ref());
                Err(Error::Interval(message))
            }
            Some(InitializeHostReturns::Success {
                environment,
                invalid_slugs,
                organization,
                dashboard_url,
                sdk_alert,
                warnings,
                ..
            }) => {
                report_alert(sdk_alert.as_ref());
                if !invalid_slugs.is_empty() {
                    tracing::warn!(
                        "The server rejected these action slugs (use only letters, digits, '-', '_' and '.'): {}",
                        invalid_slugs.join(", ")
                    );
                }
                for warning in warnings {
                    tracing::warn!("{warning}");
                }
                *lock(&self.table) = table;
                tracing::debug!("Environment: {environment}");
                *lock(&self.session) = Some(Session {
                    organization: Arc::new(organization),
                    environment: environment.as_str().into(),
                });
                self.initialized.send_replace(true);
                if first {
                    tracing::info!("Connected! Access your actions at: {dashboard_url}");
                } else {
                    tracing::debug!("Re-initialized with the server");
                }
                Ok(())
            }
        }
    }

    /// Debounces re-declaring the routes after a run-time change.
    fn routes_changed(self: &Arc<Self>) {
        if *self.status.borrow() != Status::Connected
            || self.reinitialize_pending.swap(true, Ordering::SeqCst)
        {
            if *self.status.borrow() == Status::Idle {
                *lock(&self.table) = lock(&self.routes).flatten();
            }
            return;
        }
        let inner = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(inner.config.reinitialize_batch_timeout).await;
            inner.reinitialize_pending.store(false, Ordering::SeqCst);
            if let Err(e) = inner.initialize(false).await {
                tracing::error!("Could not declare the changed routes: {e}");
            }
        });
    }
}

fn report_alert(alert: Option<&SdkAlert>) {
    if let Some(alert) = alert {
        let message = alert.message.as_deref().unwrap_or("Please upgrade.");
        tracing::warn!(
            "SDK alert ({:?}, min version {}): {message}",
            alert.severity,
            alert.min_sdk_version
        );
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}
