//! The connection state every part of a host shares: the settings, the RPC
//! layer, what the server said at initialization, and whether the client is
//! connected, shutting down or closed. Transactions, pages, the I/O API and
//! the context hold an `Arc` of it; nothing here knows about them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use interval_protocol::types::Organization;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::rpc::{CallTiming, Rpc};
use crate::socket::lock;

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

/// The server endpoint and key the client uses.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub url: String,
    pub api_key: Option<String>,
}

/// The state shared by everything that talks to the server.
pub(crate) struct HostState {
    pub config: Config,
    pub instance_id: String,
    pub rpc: Rpc,
    /// Made on first use: an idle host does not pay for a TLS client.
    http: OnceLock<reqwest::Client>,
    session: Mutex<Option<Session>>,
    /// Becomes true once an `INITIALIZE_HOST` answer has been processed.
    initialized: watch::Sender<bool>,
    status: watch::Sender<Status>,
    closing: CancellationToken,
    shutting_down: AtomicBool,
    /// Where to connect, and with which key: the configured ones, or those
    /// of the embedded server.
    endpoint: Mutex<Option<Endpoint>>,
}

impl HostState {
    /// The state of a client with `config`, not connected yet.
    pub fn new(config: Config) -> Self {
        let timing = CallTiming {
            send_timeout: config.send_timeout,
            retry_interval: config.retry_interval,
            max_resend_attempts: config.max_resend_attempts,
            response_timeout: config.response_timeout,
        };
        HostState {
            instance_id: interval_protocol::new_id().to_string(),
            rpc: Rpc::new(timing),
            http: OnceLock::new(),
            session: Mutex::new(None),
            initialized: watch::Sender::new(false),
            status: watch::Sender::new(Status::Idle),
            closing: CancellationToken::new(),
            shutting_down: AtomicBool::new(false),
            endpoint: Mutex::new(config.endpoint.clone().map(|url| Endpoint {
                url,
                api_key: config.api_key.clone(),
            })),
            config,
        }
    }

    /// The HTTP client of the HTTP API, made on first use.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }

    /// The endpoint and key in use, if known yet.
    pub fn endpoint(&self) -> Option<Endpoint> {
        lock(&self.endpoint).clone()
    }

    /// Sets the endpoint (the embedded server's, once started).
    #[cfg(feature = "embedded")]
    pub fn set_endpoint(&self, endpoint: Endpoint) {
        *lock(&self.endpoint) = Some(endpoint);
    }

    /// What the server said at the last initialization.
    pub fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }

    /// Records an accepted initialization.
    pub fn initialized(&self, session: Session) {
        *lock(&self.session) = Some(session);
        self.initialized.send_replace(true);
    }

    /// Whether the first `INITIALIZE_HOST` answer was processed: the server
    /// may send `START_TRANSACTION` as soon as our ACK of that answer reaches
    /// it, before this host has read the answer.
    pub fn is_initialized(&self) -> bool {
        *self.initialized.borrow()
    }

    /// Waits (briefly) for the first `INITIALIZE_HOST` answer to be
    /// processed (see [`HostState::is_initialized`]).
    pub async fn wait_initialized(&self) {
        if self.is_initialized() {
            return;
        }
        let mut initialized = self.initialized.subscribe();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), initialized.wait_for(|done| *done)).await;
    }

    /// The connection status.
    pub fn status(&self) -> Status {
        *self.status.borrow()
    }

    /// Publishes a new connection status.
    pub fn set_status(&self, status: Status) {
        self.status.send_replace(status);
    }

    /// Waits until connected; `false` if the client closed instead.
    pub async fn wait_connected(&self) -> bool {
        let mut status = self.status.subscribe();
        let reached = status
            .wait_for(|s| matches!(s, Status::Connected | Status::Closed))
            .await;
        matches!(reached.as_deref(), Ok(Status::Connected))
    }

    /// Whether `safely_close` stopped the host from taking new work.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Starts (or, `false`, abandons) a safe shutdown.
    pub fn set_shutting_down(&self, yes: bool) {
        self.shutting_down.store(yes, Ordering::SeqCst);
    }

    /// Whether the client is closed for good.
    pub fn is_closed(&self) -> bool {
        self.closing.is_cancelled()
    }

    /// Closes the client for good (see [`HostState::closed`]).
    pub fn close(&self) {
        self.closing.cancel();
    }

    /// Resolves once the client is closed for good.
    pub async fn closed(&self) {
        self.closing.cancelled().await
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}
