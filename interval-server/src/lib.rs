//! # interval-server
//!
//! An Interval-compatible server that runs inside your binary (or standalone
//! as the `interval-server` command). Hosts — interval-rs hosts and
//! unmodified official Node SDK hosts alike — connect at `/websocket`; the
//! dashboard is served at `/` ([`dashboard`]) and its API is a WebSocket at
//! `/api/dashboard` ([`api`]); the HTTP API
//! of hosts (enqueue, dequeue, notify) is under `/api`; state is kept in
//! SQLite, or PostgreSQL with the `postgres` feature ([`db`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), interval_server::ServerError> {
//! let server = interval_server::start(interval_server::ServerConfig::default()).await?;
//! println!("dashboard at {}, hosts connect to {}", server.url(), server.endpoint());
//! server.closed().await;
//! # Ok(()) }
//! ```

mod access;
pub mod api;
mod auth;
mod auth_pages;
mod cluster;
mod config;
pub mod dashboard;
mod dashboard_api;
pub mod db;
pub mod delivery;
mod health;
mod host;
mod http_api;
pub mod keys;
mod limits;
pub mod node;
mod origin;
mod outbox;
pub mod people;
mod private_files;
mod registry;
pub mod secret_checks;
mod sign_in;
mod state;
mod tls;
mod visibility;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{any, post};
use axum::serve::ListenerExt;
use axum::Router;
use tokio_util::sync::CancellationToken;

pub use config::{CheckLimits, Limits, ServerConfig, TlsFiles, TrustedProxy};
pub use delivery::{DeliveryConfig, SmtpConfig, SmtpSecurity};
pub use host::{INVALID_KEY, MISSING_KEY};
pub use outbox::{DashboardBacklog, TOO_MUCH_UNREAD};
pub use sign_in::hash_password;
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
    https: bool,
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

    /// The dashboard's URL (`https://` when the server serves TLS).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The WebSocket endpoint hosts connect to (`wss://` when the server
    /// serves TLS).
    pub fn endpoint(&self) -> String {
        let scheme = if self.https { "wss" } else { "ws" };
        format!("{scheme}://{}/websocket", self.addr)
    }

    /// A development API key hosts can use.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The shared state (for embedding and tests).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting connections and closes the server (`/ready` answers
    /// 503 from now on, to the connections still open).
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
    config.limits.check().map_err(ServerError::Config)?;
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
    if config
        .api_key
        .as_deref()
        .is_some_and(|key| keys::live_key_id(key).is_some())
    {
        // The configured key is the owner's development key: a production
        // key would put production hosts in a development environment.
        return Err(ServerError::Config(
            "the API key is a production (live_) key; this server takes it as the owner's \
             development key. Give it a development key, or point the host at your server with \
             INTERVAL_ENDPOINT"
                .into(),
        ));
    }
    // Certificates are read before anything is opened: a typo in a path is
    // the likeliest mistake of a deployment.
    let tls = match &config.tls {
        Some(files) => Some(files.acceptor().map_err(ServerError::Config)?),
        None => None,
    };
    let channels = delivery::Channels::new(&config.delivery).map_err(ServerError::Config)?;
    let store = config.open_store().await?;
    tracing::debug!("state kept in {}", store.engine().name());
    let owner = people_at_start(&store, config.dashboard_password.as_deref()).await?;
    if !config.host.is_loopback()
        && config.trusted_proxy.is_none()
        && !store.anyone_has_password().await?
    {
        return Err(ServerError::Config(format!(
            "binding to {} would expose the dashboard without sign-in; create an account with a \
             password (`interval-server user add`, or the /setup page on 127.0.0.1), set the \
             owner's password (--dashboard-password / INTERVAL_DASHBOARD_PASSWORD), trust a \
             sign-in proxy, or bind to 127.0.0.1",
            config.host
        )));
    }
    let hashed = store.hash_plain_dev_keys(&owner.id).await?;
    if hashed > 0 {
        tracing::info!("{hashed} development key(s) are now stored as hashes");
    }
    let api_key = match &config.api_key {
        Some(key) => {
            store
                .add_dev_key(key, Some(&owner.id), "Configured key")
                .await?;
            key.clone()
        }
        // The owner's key for this run only: a key that was printed once
        // cannot be printed again (only hashes are stored).
        None => keys::new_dev_key(),
    };
    let listener = bind(&config).await?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr(),
        source,
    })?;
    let max_body = config.limits.max_http_body;
    // Hashing is slow work: off the async workers.
    let settings = auth::AuthSettings {
        lifetime: config.session_lifetime,
        idle_timeout: config.session_idle_timeout,
        secure_cookies: config.serves_https(),
        open_allowed: config.host.is_loopback() && config.trusted_proxy.is_none(),
        proxy: config.trusted_proxy.clone(),
    };
    let auth = tokio::task::spawn_blocking(move || auth::Auth::new(settings))
        .await
        .map_err(|e| ServerError::Config(format!("preparing sign-in failed: {e}")))?
        .map_err(ServerError::Config)?;
    let allowed_hosts =
        origin::AllowedHosts::new(config.public_url.as_deref()).map_err(ServerError::Config)?;
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if tls.is_some() => format!("https://{addr}"),
        None => format!("http://{addr}"),
    };
    let run_key = match config.api_key {
        Some(_) => None,
        None => Some(state::RunKey::new(&api_key, &owner.id)),
    };
    let state = Arc::new(AppState::new(config, store, auth, run_key));
    let _ = state.base_url.set(base_url);
    // This node is alive before it looks for the transactions of nodes
    // that are not (its own predecessor's, after a restart).
    state.store.heartbeat(&state.node_id, db::now_ms()).await?;
    let interrupted = state.interrupt_orphans().await?;
    if interrupted > 0 {
        tracing::info!(
            "{interrupted} transaction(s) were running when their server stopped; they resume if their hosts replay them"
        );
    }

    let shutdown = state.stopping.clone();
    let done = CancellationToken::new();
    // Other nodes on the same PostgreSQL: their dashboards reach this
    // node's hosts and this node's dashboards theirs, until this node has
    // stopped (draining included).
    let joined = cluster::Cluster::start(&state.store, &state.node_id, done.clone())
        .await
        .map_err(ServerError::Config)?;
    if let Some((link, incoming)) = joined {
        let _ = state.cluster.set(link);
        tokio::spawn(dashboard_api::run_cluster(
            state.clone(),
            incoming,
            done.clone(),
        ));
    }
    let dashboard = dashboard::Dashboard::new(state.clone()).map_err(|e| {
        ServerError::Config(format!("could not prepare the uploads directory: {e}"))
    })?;
    let app = Router::new()
        .route("/websocket", any(host_socket))
        .route("/api/actions/enqueue", post(http_api::enqueue))
        .route("/api/actions/dequeue", post(http_api::dequeue))
        .route("/api/notify", post(http_api::notify))
        .with_state(state.clone())
        // `/health` and `/ready`: no login.
        .merge(health::router(state.clone(), shutdown.clone()))
        // The dashboard: its pages at `/`, its socket at `/api/dashboard`.
        .merge(
            // The dashboard needs a login when a password is configured.
            dashboard::router(dashboard.clone()).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                auth::require_login,
            )),
        )
        .merge(dashboard::public_router(dashboard))
        .merge(
            sign_in::signed_in_routes()
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    auth::require_login,
                ))
                .with_state(state.clone()),
        )
        .merge(sign_in::routes().with_state(state.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        // Outermost: a request for another name, or from another site, goes
        // no further.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed_hosts),
            origin::check,
        ));

    delivery::spawn(state.clone(), channels, shutdown.clone());
    let heartbeat = node::spawn_heartbeat(state.clone(), shutdown.clone());
    let (stop, finished) = (shutdown.clone(), done.clone());
    let https = tls.is_some();
    let drain = state.config.shutdown_drain;
    let listener = match tls {
        Some(acceptor) => Listening::Tls(tls::TlsListener::new(listener, addr, acceptor, no_delay)),
        None => Listening::Plain(listener),
    };
    let closing = state.clone();
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let stopped = async move {
            stop.cancelled().await;
            // `/ready` fails from now on: a balancer sends no new clients.
            if !drain.is_zero() {
                tracing::info!("shutting down in {drain:?} (draining)");
                tokio::time::sleep(drain).await;
            }
            // WebSockets outlive the HTTP server that upgraded them: close
            // them, so that hosts and dashboards reconnect (to this server
            // restarted, or to another) instead of talking to nobody.
            closing.close_connections();
            // Leaving on purpose: other nodes may take this one's
            // transactions over at once (its hosts are reconnecting).
            let _ = heartbeat.await;
            if let Err(e) = closing.store.hosts_of_node_down(&closing.node_id).await {
                tracing::warn!("{e}");
            }
            if let Err(e) = closing.store.leave(&closing.node_id).await {
                tracing::warn!("{e}");
            }
        };
        let served = match listener {
            Listening::Plain(listener) => {
                let listener = listener.tap_io(|tcp| no_delay(tcp));
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            }
            // `tap_io` only to have the peer's address (ConnectInfo): the
            // TLS listener set TCP_NODELAY before the handshake.
            Listening::Tls(listener) => {
                axum::serve(listener.tap_io(|_| {}), app)
                    .with_graceful_shutdown(stopped)
                    .await
            }
        };
        if let Err(e) = served {
            tracing::error!("the server stopped: {e}");
        }
        finished.cancel();
    });
    Ok(RunningServer {
        addr,
        https,
        api_key,
        state,
        shutdown,
        done,
    })
}

/// Makes sure the organization has an owner (the first admin): on a new
/// database, `admin@localhost`, who is everyone in open mode. With a
/// configured dashboard password, the owner's password becomes it.
async fn people_at_start(
    store: &db::Store,
    password: Option<&str>,
) -> Result<people::Person, ServerError> {
    // Nodes starting together on a new database race to make the owner:
    // whoever loses reads the winner's.
    let owner = match store.owner().await? {
        Some(owner) => owner,
        None if store.people_count().await? == 0 => {
            let new_owner = db::NewPerson {
                email: "admin@localhost",
                first_name: Some("Admin"),
                last_name: None,
                role: people::Role::Admin,
                password_hash: None,
            };
            match store.add_person(&new_owner).await {
                Ok(owner) => owner,
                Err(db::DbError::Conflict(_)) => owner_made_meanwhile(store).await?,
                Err(e) => return Err(e.into()),
            }
        }
        None => owner_made_meanwhile(store).await?,
    };
    if let Some(password) = password {
        let current = store.password_hash(&owner.id).await?;
        let password = password.to_owned();
        // Hashing is slow work: off the async workers.
        let hash = tokio::task::spawn_blocking(move || match current {
            Some(hash) if keys::verify(&password, &hash) => Ok(None),
            _ => keys::hash(&password).map(Some),
        })
        .await
        .map_err(|e| ServerError::Config(format!("hashing the dashboard password failed: {e}")))?
        .map_err(|e| ServerError::Config(format!("hashing the dashboard password failed: {e}")))?;
        if let Some(hash) = hash {
            store.set_password_hash(&owner.id, &hash).await?;
            store
                .audit(
                    None,
                    "password_set",
                    &format!("{} (from the configuration)", owner.email),
                )
                .await;
        }
    }
    Ok(owner)
}

/// The owner another node made while this one looked (see
/// `people_at_start`), or the error of a database with accounts but no
/// admin.
async fn owner_made_meanwhile(store: &db::Store) -> Result<people::Person, ServerError> {
    store.owner().await?.ok_or_else(|| {
        ServerError::Config(
            "there are accounts but no admin; make one with `interval-server user add --role admin`"
                .into(),
        )
    })
}

/// The bound socket, serving plain HTTP or TLS.
enum Listening {
    Plain(tokio::net::TcpListener),
    Tls(tls::TlsListener),
}

/// Frames are small and latency matters: no Nagle delay.
fn no_delay(tcp: &tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("could not set TCP_NODELAY: {e}");
    }
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
    if let Some(refused) = state.refuse_while_stopping() {
        return refused;
    }
    let ws = configure(ws, &state.config.limits);
    ws.on_upgrade(move |socket| host::serve(state, Some(peer.ip()), headers, socket))
}
