//! # interval-server
//!
//! An Interval-compatible server that runs inside your binary (or standalone
//! as the `interval-server` command). Hosts — interval-rs hosts and
//! unmodified official Node SDK hosts alike — connect at `/websocket`; the
//! dashboard is served at `/` ([`dashboard`]) and its API is a WebSocket at
//! `/api/dashboard` ([`api`]); the HTTP API
//! of hosts (enqueue, dequeue, notify) is under `/api`; state is kept in
//! SQLite.
//!
//! ```no_run
//! # async fn run() -> Result<(), interval_server::ServerError> {
//! let server = interval_server::start(interval_server::ServerConfig::default()).await?;
//! println!("dashboard at {}, hosts connect to {}", server.url(), server.endpoint());
//! server.closed().await;
//! # Ok(()) }
//! ```

pub mod api;
mod auth;
mod config;
pub mod dashboard;
mod dashboard_api;
pub mod db;
pub mod delivery;
mod host;
mod http_api;
pub mod keys;
mod limits;
mod origin;
mod outbox;
mod private_files;
pub mod secret_checks;
mod state;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::serve::ListenerExt;
use axum::Router;
use tokio_util::sync::CancellationToken;

pub use config::{CheckLimits, Limits, ServerConfig};
pub use delivery::{DeliveryConfig, SmtpConfig, SmtpSecurity};
pub use host::{INVALID_KEY, MISSING_KEY};
pub use outbox::{DashboardBacklog, TOO_MUCH_UNREAD};
pub use state::{AppState, INSTANCE_OF_ANOTHER_KEY};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is not safe or not valid.
    #[error("invalid server configuration: {0}")]
    Config(String),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] db::DbError),
    /// No port could be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The last address tried.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A running server.
pub struct RunningServer {
    addr: SocketAddr,
    api_key: String,
    state: Arc<AppState>,
    shutdown: CancellationToken,
    done: CancellationToken,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The dashboard's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket endpoint hosts connect to.
    pub fn endpoint(&self) -> String {
        format!("ws://{}/websocket", self.addr)
    }

    /// A development API key hosts can use.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The shared state (for embedding and tests).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting connections and closes the server.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Resolves once the server has stopped.
    pub async fn closed(&self) {
        self.done.cancelled().await
    }
}

/// Starts a server with `config`; returns once it is listening.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    if let Some(password) = &config.dashboard_password {
        let length = password.chars().count();
        if length < auth::MIN_PASSWORD_LENGTH {
            return Err(ServerError::Config(format!(
                "the dashboard password is {length} characters long; it needs at least {} \
                 (an empty password would let anyone log in)",
                auth::MIN_PASSWORD_LENGTH
            )));
        }
    }
    if !config.host.is_loopback() && config.dashboard_password.is_none() {
        return Err(ServerError::Config(format!(
            "binding to {} would expose the dashboard without a login; set a dashboard password \
             (--dashboard-password / INTERVAL_DASHBOARD_PASSWORD) or bind to 127.0.0.1",
            config.host
        )));
    }
    if config
        .api_key
        .as_deref()
        .is_some_and(|key| keys::live_key_id(key).is_some())
    {
        // This server keeps its configured key as a development key, in
        // clear: a production key must never be.
        return Err(ServerError::Config(
            "the API key is a production (live_) key; this server would store it in clear as its \
             development key. Give it a development key, or point the host at your server with \
             INTERVAL_ENDPOINT"
                .into(),
        ));
    }
    let channels = delivery::Channels::new(&config.delivery).map_err(ServerError::Config)?;
    let store = db::Store::open(config.database.as_deref())?;
    let api_key = match &config.api_key {
        Some(key) => {
            store.add_dev_key(key)?;
            key.clone()
        }
        None => match store.first_dev_key()? {
            Some(key) => key,
            None => {
                let key = keys::new_dev_key();
                store.add_dev_key(&key)?;
                tracing::info!("Created a development API key: {key}");
                key
            }
        },
    };
    let interrupted = store.interrupt_unfinished("HOST_CONNECTION_DROPPED")?;
    if !interrupted.is_empty() {
        tracing::info!(
            "{} transaction(s) were running when the server stopped; they resume if their hosts replay them",
            interrupted.len()
        );
    }

    let listener = bind(&config).await?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr(),
        source,
    })?;
    let max_body = config.limits.max_http_body;
    // Hashing the password is slow work: off the async workers.
    let password = config.dashboard_password.clone();
    let auth = tokio::task::spawn_blocking(move || auth::Auth::new(password.as_deref()))
        .await
        .map_err(|e| ServerError::Config(format!("hashing the dashboard password failed: {e}")))?
        .map_err(ServerError::Config)?;
    let allowed_hosts =
        origin::AllowedHosts::new(config.public_url.as_deref()).map_err(ServerError::Config)?;
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{addr}"),
    };
    let state = Arc::new(AppState::new(config, store, auth));
    let _ = state.base_url.set(base_url);

    let dashboard = dashboard::Dashboard::new(state.clone()).map_err(|e| {
        ServerError::Config(format!("could not prepare the uploads directory: {e}"))
    })?;
    let app = Router::new()
        .route("/websocket", any(host_socket))
        .route("/api/actions/enqueue", post(http_api::enqueue))
        .route("/api/actions/dequeue", post(http_api::dequeue))
        .route("/api/notify", post(http_api::notify))
        .route("/health", get(http_api::health))
        .with_state(state.clone())
        // The dashboard: its pages at `/`, its socket at `/api/dashboard`.
        .merge(
            // The dashboard needs a login when a password is configured.
            dashboard::router(dashboard.clone()).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                auth::require_login,
            )),
        )
        .merge(dashboard::public_router(dashboard))
        .merge(auth::routes().with_state(state.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        // Outermost: a request for another name, or from another site, goes
        // no further.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed_hosts),
            origin::check,
        ));

    let shutdown = CancellationToken::new();
    let done = CancellationToken::new();
    delivery::spawn(state.clone(), channels, shutdown.clone());
    let (stop, finished) = (shutdown.clone(), done.clone());
    tokio::spawn(async move {
        // Frames are small and latency matters: no Nagle delay.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("could not set TCP_NODELAY: {e}");
            }
        });
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("the server stopped: {e}");
        }
        finished.cancel();
    });
    Ok(RunningServer {
        addr,
        api_key,
        state,
        shutdown,
        done,
    })
}

/// Binds the configured port, or the next free ones when allowed.
async fn bind(config: &ServerConfig) -> Result<tokio::net::TcpListener, ServerError> {
    let tries = if config.port_fallback && config.port != 0 {
        20
    } else {
        1
    };
    let mut last = None;
    for offset in 0..tries {
        let addr = SocketAddr::new(config.host, config.port.saturating_add(offset));
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(source) => last = Some(ServerError::Bind { addr, source }),
        }
    }
    Err(last.unwrap_or_else(|| ServerError::Config("no port to bind".into())))
}

pub(crate) fn configure(ws: WebSocketUpgrade, limits: &Limits) -> WebSocketUpgrade {
    ws.read_buffer_size(limits.read_buffer_size)
        .write_buffer_size(limits.write_buffer_size)
        .max_write_buffer_size(limits.max_message_size * 2)
        .max_message_size(limits.max_message_size)
        .max_frame_size(limits.max_message_size)
}

async fn host_socket(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = configure(ws, &state.config.limits);
    ws.on_upgrade(move |socket| host::serve(state, Some(peer.ip()), headers, socket))
}
