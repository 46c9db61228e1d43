//! Server configuration.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::auth::TrustedProxy;
pub use crate::secret_checks::CheckLimits;
pub use crate::tls::TlsFiles;

/// How the server runs. Build it with [`ServerConfig::default`] and the
/// builder methods.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind (default 127.0.0.1).
    pub host: IpAddr,
    /// Port to bind (default 3000).
    pub port: u16,
    /// Try the next ports when `port` is taken (default true).
    pub port_fallback: bool,
    /// SQLite database file; `None` keeps everything in memory (unless
    /// `database_url` is set).
    pub database: Option<PathBuf>,
    /// A database address (`postgres://user:password@host/database`, or
    /// `sqlite:…`), instead of `database`: PostgreSQL lets several server
    /// nodes share their state.
    pub database_url: Option<String>,
    /// How the store connects (pool size, PostgreSQL schema).
    pub database_options: crate::db::StoreOptions,
    /// A development API key to accept, the owner's (stored as a hash).
    /// Without one, the server makes a key for the owner that is valid
    /// while it runs ([`crate::RunningServer::api_key`]).
    pub api_key: Option<String>,
    /// The owner's password, for a one-person server: the owner's account
    /// (`admin@localhost` on a new database) gets it at start. People sign
    /// in with their e-mail address and password; a server off loopback
    /// needs an account with a password, this, or a trusted proxy.
    pub dashboard_password: Option<String>,
    /// Public base URL used in links (default `http://<host>:<port>`); its
    /// host is the one name besides `localhost` and IP addresses that the
    /// server answers to (see the `Host` allow-list).
    pub public_url: Option<String>,
    /// Serve HTTPS and WSS with this certificate and key (default: plain
    /// HTTP, as behind a proxy that terminates TLS).
    pub tls: Option<TlsFiles>,
    /// How long the server keeps accepting connections once
    /// [`shutdown`](crate::RunningServer::shutdown) is called, with `/ready`
    /// answering 503, so that a load balancer stops sending it clients
    /// before it closes its port (default 0: it closes at once).
    pub shutdown_drain: Duration,
    /// How long a dropped host may take to come back (same instance id)
    /// before its open transactions are marked as dropped (default 60 s).
    pub host_reconnect_grace: Duration,
    /// How often this node writes its heartbeat in the database (default
    /// 1 s); see [`crate::node`].
    pub node_heartbeat: Duration,
    /// How long a node's heartbeat may be missing before other nodes take
    /// its transactions over (default 5 s): a host that reconnects to
    /// another node after a crash waits at most about this long for its
    /// transaction.
    pub node_timeout: Duration,
    /// How long a transaction that cannot run in the background may wait
    /// for its dashboard to come back (a reload, a dropped connection)
    /// before it is canceled (default 10 min, as Interval).
    pub abandoned_transaction_grace: Duration,
    /// How long a session lasts, used or not (default 30 days).
    pub session_lifetime: Duration,
    /// How long a session lasts unused (default 3 days).
    pub session_idle_timeout: Duration,
    /// A reverse proxy trusted to say who is signed in (single sign-on
    /// through oauth2-proxy and the like).
    pub trusted_proxy: Option<TrustedProxy>,
    /// Limits per connection.
    pub limits: Limits,
    /// How checks of passwords and live API keys are rationed.
    pub secret_checks: CheckLimits,
    /// Where notifications from live keys are delivered (e-mail, Slack).
    pub delivery: crate::delivery::DeliveryConfig,
}

/// Per-connection limits; a connection that exceeds one is closed, or its
/// request refused, with a clear reason.
///
/// The rate limits are per connection (one host, one dashboard tab), so
/// they scale with the number of hosts and tabs rather than capping the
/// server; the standalone server takes them on its command line
/// (`--host-calls-per-second`, `--host-calls-in-flight`,
/// `--browser-requests-per-second`). [`crate::start`] refuses a rate or an
/// in-flight budget of 0.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// CALLs one host connection may make per second (default 1024,
    /// Interval's value, so that a host that works against Interval works
    /// here). Counted in one-second windows, each starting at the first
    /// call after the previous one ended; the call past the budget closes
    /// the connection (1008, "Rate limit exceeded. Please slow down the
    /// calls of this host."), and the SDKs reconnect and replay what is
    /// pending.
    ///
    /// It keeps a host in a loop (a log line or a render at every turn)
    /// from taking the server's CPU and database writes from every other
    /// host and dashboard. What a transaction costs its host: one
    /// `SEND_IO_CALL` per screen it shows (and per update of a stateful
    /// input), one `SEND_LOG` per `ctx.log`, one `SEND_LOADING_CALL` per
    /// loading update, and one `MARK_TRANSACTION_COMPLETE`; answers to the
    /// server's calls (`START_TRANSACTION`, `IO_RESPONSE`) are RESPONSEs and
    /// are not counted. An action with one input costs 2 calls, so one host
    /// runs at most about 1024 / 2 = 512 of them a second (`cargo bench -p
    /// interval-server --bench host_ceiling`); a host that runs more needs
    /// a higher limit.
    pub host_calls_per_second: u32,
    /// CALLs of one host handled at once (default 64): past that its calls
    /// wait, and once its queue is full the server stops reading the
    /// connection, so a host that sends and never reads its answers holds
    /// a bounded number of calls (each at most `max_message_size`). A call
    /// holds its place from its arrival until the host ACKs its answer
    /// (a database write at most, and one round trip to the host), so 64
    /// at once sustain 1024 calls a second while that takes under 62 ms;
    /// raise it with the rate, or for a host far from the server or a slow
    /// database.
    pub host_calls_in_flight: usize,
    /// Requests one dashboard connection (a browser tab, or a script on
    /// the dashboard API) may make per second (default 200, this server's
    /// choice). Counted in one-second windows like host calls; a request
    /// past the budget is answered with "Rate limit exceeded: too many
    /// requests per second." and the connection stays open. A transaction
    /// costs its dashboard one request to start and one per screen
    /// answered, so one tab can run about 100 one-input transactions a
    /// second, far more than a person clicks, while a script in a loop on
    /// one socket cannot ask for more than 200 `history` reads (up to
    /// 500 rows each) a second.
    pub browser_requests_per_second: u32,
    /// Dashboard connections open at once, server-wide (each holds a task,
    /// buffers and a queue of events; a browser tab holds one).
    pub max_dashboard_connections: usize,
    /// Dashboard connections open at once from one address.
    pub max_dashboard_connections_per_address: usize,
    /// Requests a dashboard connection may have in flight: asked and not
    /// yet answered on its socket (default 4). At this many the server
    /// stops reading the connection's requests until a reply has been
    /// written to the socket, so a dashboard that asks and never reads
    /// holds at most this many replies in the server's memory (a `history`
    /// of 500 transactions is about half a megabyte). The dashboard's page
    /// asks one thing at a time; four leave room for a script that asks
    /// a few things at once.
    pub browser_requests_in_flight: usize,
    /// Bytes a dashboard connection may have queued for its socket: replies
    /// and events not yet written, counted by their JSON size (default
    /// 4 MiB). Replies wait for room (they are bounded by
    /// `browser_requests_in_flight`); an event that does not fit closes the
    /// connection (1008, "Too much unread data…"), because the server cannot
    /// wait on a dashboard that does not read: a reloaded dashboard
    /// reconnects and attaches again, and what the store has is not lost.
    /// One message larger than this is still sent when nothing else is
    /// queued. 4 MiB holds many screens of renders and logs for a dashboard
    /// that is slow for a moment, and bounds what one that stopped reading
    /// costs.
    pub browser_queued_bytes: usize,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_size: usize,
    /// Size of the read buffer of a WebSocket connection.
    pub read_buffer_size: usize,
    /// Size of the write buffer of a WebSocket connection.
    pub write_buffer_size: usize,
    /// Largest HTTP API body, in bytes (Interval: 100 kB).
    pub max_http_body: usize,
    /// How long to wait for a host's ACK.
    pub send_timeout: Duration,
    /// How long to wait for a host's RESPONSE.
    pub response_timeout: Duration,
    /// How many actions and pages (counted together) one host may declare
    /// in an INITIALIZE_HOST; beyond it the host is refused with an error
    /// saying so (default 10 000; Interval has no limit, but every
    /// definition costs memory and a database row).
    pub max_host_routes: usize,
    /// How often the server pings each host with a WebSocket ping frame
    /// (default 30 s, as Interval's server).
    pub host_ping_interval: Duration,
    /// How long a host has to answer a ping with its pong before the
    /// server closes the connection as dead (default 10 s). A half-open
    /// connection is thus noticed within `host_ping_interval +
    /// host_pong_timeout`, and its transactions go through the usual
    /// reconnect grace period.
    pub host_pong_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            host_calls_per_second: 1024,
            host_calls_in_flight: 64,
            browser_requests_per_second: 200,
            max_dashboard_connections: 512,
            max_dashboard_connections_per_address: 64,
            browser_requests_in_flight: 4,
            browser_queued_bytes: 4 << 20,
            max_message_size: 32 << 20,
            read_buffer_size: 16 << 10,
            write_buffer_size: 16 << 10,
            max_http_body: 100_000,
            send_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(30),
            max_host_routes: 10_000,
            host_ping_interval: Duration::from_secs(30),
            host_pong_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// Why these limits cannot work, if they cannot: a rate or an in-flight
    /// budget of 0 would refuse every host call or dashboard request (to
    /// lift a rate limit, give a large value instead).
    pub fn check(&self) -> Result<(), String> {
        let zero = |name: &str| {
            format!(
                "limits.{name} is 0, which would refuse every call; it must be at least 1 \
                 (give a large value to lift the limit)"
            )
        };
        if self.host_calls_per_second == 0 {
            return Err(zero("host_calls_per_second"));
        }
        if self.host_calls_in_flight == 0 {
            return Err(zero("host_calls_in_flight"));
        }
        if self.browser_requests_per_second == 0 {
            return Err(zero("browser_requests_per_second"));
        }
        Ok(())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            port_fallback: true,
            database: None,
            database_url: None,
            database_options: crate::db::StoreOptions::default(),
            api_key: None,
            dashboard_password: None,
            public_url: None,
            tls: None,
            shutdown_drain: Duration::ZERO,
            host_reconnect_grace: Duration::from_secs(60),
            node_heartbeat: Duration::from_secs(1),
            node_timeout: Duration::from_secs(5),
            abandoned_transaction_grace: Duration::from_secs(600),
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            session_idle_timeout: Duration::from_secs(3 * 24 * 3600),
            trusted_proxy: None,
            limits: Limits::default(),
            secret_checks: CheckLimits::default(),
            delivery: Default::default(),
        }
    }
}

impl ServerConfig {
    /// The address to bind first.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// Binds to `host` (loopback by default).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Binds to `port` (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether to try the next ports when the port is taken.
    pub fn port_fallback(mut self, yes: bool) -> Self {
        self.port_fallback = yes;
        self
    }

    /// Keeps state in this SQLite file.
    pub fn database(mut self, path: impl Into<PathBuf>) -> Self {
        self.database = Some(path.into());
        self
    }

    /// Keeps state in the database at `url` (`postgres://…`), instead of
    /// a SQLite file.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// Opens the store this configuration names: `database_url`, else the
    /// SQLite file `database`, else memory; migrated.
    pub async fn open_store(&self) -> Result<crate::db::Store, crate::db::DbError> {
        match &self.database_url {
            Some(url) => crate::db::Store::connect(url, &self.database_options).await,
            None => crate::db::Store::open(self.database.as_deref()).await,
        }
    }

    /// Accepts this development API key (the owner's).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Gives the owner's account this password (at least 12 characters,
    /// or the server does not start): from then on everyone signs in.
    pub fn dashboard_password(mut self, password: impl Into<String>) -> Self {
        self.dashboard_password = Some(password.into());
        self
    }

    /// The URL people reach the server at (behind a proxy, say): used in
    /// links, and the one name the server answers to besides `localhost`
    /// and IP addresses.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Serves HTTPS and WSS with the certificate chain and private key in
    /// these PEM files (read when the server starts; it does not start if
    /// either cannot be read, or the key is not the certificate's).
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// Whether people reach this server over HTTPS: it serves TLS itself,
    /// or its public URL is `https://` (a proxy in front terminates TLS).
    /// Cookies it sets should then be `Secure`.
    pub fn serves_https(&self) -> bool {
        self.tls.is_some()
            || self.public_url.as_deref().is_some_and(|url| {
                url.trim_start()
                    .get(..8)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
            })
    }

    /// Keeps accepting connections this long after shutdown begins, with
    /// `/ready` failing (a load balancer's probe interval times its
    /// failure threshold is enough for it to notice).
    pub fn shutdown_drain(mut self, drain: Duration) -> Self {
        self.shutdown_drain = drain;
        self
    }

    /// Grace period for dropped hosts.
    pub fn host_reconnect_grace(mut self, grace: Duration) -> Self {
        self.host_reconnect_grace = grace;
        self
    }

    /// Grace period for transactions whose dashboard went away.
    pub fn abandoned_transaction_grace(mut self, grace: Duration) -> Self {
        self.abandoned_transaction_grace = grace;
        self
    }

    /// How long sessions last: at most `lifetime`, and `idle` unused.
    pub fn sessions(mut self, lifetime: Duration, idle: Duration) -> Self {
        self.session_lifetime = lifetime;
        self.session_idle_timeout = idle;
        self
    }

    /// Believes `header` (an e-mail address) from the proxy at `addresses`:
    /// single sign-on behind oauth2-proxy and the like. Requests from
    /// anywhere else never sign in through the header.
    pub fn trusted_proxy(mut self, header: impl Into<String>, addresses: Vec<IpAddr>) -> Self {
        self.trusted_proxy = Some(TrustedProxy {
            header: header.into(),
            addresses,
        });
        self
    }

    /// Replaces the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces how secret checks are rationed.
    pub fn secret_checks(mut self, limits: CheckLimits) -> Self {
        self.secret_checks = limits;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_by_default() {
        assert!(!ServerConfig::default().serves_https());
        assert!(!ServerConfig::default()
            .public_url("http://tools.example.com")
            .serves_https());
    }

    #[test]
    fn https_with_tls_files() {
        assert!(ServerConfig::default()
            .tls("cert.pem", "key.pem")
            .serves_https());
        // Even with a public URL that says otherwise.
        assert!(ServerConfig::default()
            .tls("cert.pem", "key.pem")
            .public_url("http://tools.example.com")
            .serves_https());
    }

    #[test]
    fn https_behind_a_proxy_with_an_https_public_url() {
        for url in [
            "https://tools.example.com",
            "HTTPS://tools.example.com/",
            " https://tools.example.com:8443",
        ] {
            assert!(
                ServerConfig::default().public_url(url).serves_https(),
                "{url}"
            );
        }
        for url in ["httpss://x", "http://https.example.com", "https:/x", ""] {
            assert!(
                !ServerConfig::default().public_url(url).serves_https(),
                "{url}"
            );
        }
    }
}
