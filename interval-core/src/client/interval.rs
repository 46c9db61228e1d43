//! [`Interval`], the client: `listen`, ping, shutdown, run-time routes and
//! the HTTP API.

use std::sync::Arc;

use interval_protocol::host::{BeginHostShutdown, BeginHostShutdownInputs};
use interval_protocol::types::SuccessOrError;

use super::supervisor;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::http_api::{self, Enqueue, Notify, QueuedAction};
use crate::routes::{Route, Routes};
use crate::state::Status;

/// A host: declares actions and pages to an Interval server and runs them.
///
/// `Interval` is a cheap handle (clone it freely). Build one with
/// [`Interval::builder`] or [`Interval::from_env`], then call
/// [`listen`](Interval::listen).
///
/// ```no_run
/// # use interval_core as interval;
/// use interval::{Action, Error, Interval};
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
    pub(crate) host: Arc<Host>,
}

impl std::fmt::Debug for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interval")
            .field("instance_id", &self.host.state.instance_id)
            .field("status", &self.host.state.status())
            .finish_non_exhaustive()
    }
}

impl Interval {
    /// A client with `config` that serves `routes`.
    pub fn new(config: Config, routes: Routes) -> Self {
        Interval {
            host: Arc::new(Host::new(config, routes)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.host.state.config
    }

    /// This host's instance id (the `x-instance-id` header, kept across
    /// reconnects).
    pub fn instance_id(&self) -> &str {
        &self.host.state.instance_id
    }

    /// Whether the host is connected and initialized.
    pub fn is_connected(&self) -> bool {
        self.host.state.status() == Status::Connected
    }

    /// Connects, authenticates and declares the routes. Resolves once the
    /// server accepted them; from then on the host runs transactions in the
    /// background and reconnects on its own after an unexpected close.
    ///
    /// A server that cannot be reached yet (connection refused, timeout,
    /// restart) is tried again with the back-off of
    /// [`reconnect_delays`](crate::IntervalBuilder::reconnect_delays),
    /// logging each failed attempt, until it answers or the client is
    /// closed; with [`fail_fast`](crate::IntervalBuilder::fail_fast) the
    /// first failure is returned. What retrying cannot fix fails at once: a
    /// rejected API key, a malformed endpoint, a refused initialization.
    pub async fn listen(&self) -> Result<()> {
        let (host, state) = (&self.host, &self.host.state);
        crate::logging::init(state.config.log_level);
        if state.status() != Status::Idle {
            return Err(Error::Interval("listen() was already called".into()));
        }
        let endpoint = host.resolve_endpoint().await?.url;
        let connection = supervisor::first_connect(host, &endpoint).await?;
        state.set_status(Status::Connected);
        tokio::spawn(supervisor::supervise(host.clone(), connection, endpoint));
        tokio::spawn(supervisor::keep_alive(state.clone()));
        Ok(())
    }

    /// Pings the server: `Ok(true)` when it answered within `ping_timeout`,
    /// [`Error::NotConnected`] without a connection, [`Error::Timeout`]
    /// otherwise.
    pub async fn ping(&self) -> Result<bool> {
        let state = &self.host.state;
        let connection = state.rpc.connection().ok_or(Error::NotConnected)?;
        connection.ping(state.config.ping_timeout).await?;
        Ok(true)
    }

    /// The number of running transactions plus open pages: what
    /// [`safely_close`](Interval::safely_close) waits for.
    pub fn open_count(&self) -> usize {
        self.host.registry.open_count()
    }

    /// Stops taking new transactions, lets the running ones finish, then
    /// closes. Resolves once closed. Waits at most
    /// [`shutdown_timeout`](crate::IntervalBuilder::shutdown_timeout)
    /// (default 10 s): then closes anyway, saying how many were cut.
    pub async fn safely_close(&self) -> Result<()> {
        let (host, state) = (&self.host, &self.host.state);
        state.set_shutting_down(true);
        match state
            .rpc
            .call::<BeginHostShutdown>(&BeginHostShutdownInputs {})
            .await
        {
            Ok(SuccessOrError::Success) => {}
            Ok(SuccessOrError::Error { message }) => {
                state.set_shutting_down(false);
                return Err(Error::Interval(message.unwrap_or_else(|| {
                    "Unknown error sending shutdown request.".into()
                })));
            }
            Err(e) => {
                state.set_shutting_down(false);
                return Err(e);
            }
        }
        let open = host.registry.open_count();
        let timeout = state.config.shutdown_timeout;
        if open > 0 {
            tracing::info!(
                "Waiting for {open} running transaction(s) or open page(s) before closing (at most {timeout:?})"
            );
        }
        if tokio::time::timeout(timeout, host.registry.wait_until_empty())
            .await
            .is_err()
        {
            tracing::warn!(
                "Closing after {timeout:?} with {} transaction(s) or page(s) still open",
                host.registry.open_count()
            );
        }
        self.immediately_close();
        Ok(())
    }

    /// Runs until the client closes, or until Ctrl-C (SIGINT) or SIGTERM:
    /// then closes safely ([`safely_close`](Interval::safely_close), bounded
    /// by `shutdown_timeout`); a second signal closes at once. What a
    /// program's `main` calls after [`listen`](Interval::listen).
    pub async fn run_until_signal(&self) -> Result<()> {
        let mut signals = Signals::new()?;
        tokio::select! {
            _ = signals.next() => {}
            _ = self.closed() => return Ok(()),
        }
        tracing::info!(
            "Closing: waiting for running transactions (press Ctrl-C again to close at once)"
        );
        tokio::select! {
            closed = self.safely_close() => {
                if let Err(e) = closed {
                    tracing::warn!("Could not close safely ({e}); closing now");
                    self.immediately_close();
                }
            }
            _ = signals.next() => {
                tracing::info!("Closing now");
                self.immediately_close();
            }
        }
        Ok(())
    }

    /// Closes at once. Running handlers are not stopped, but their I/O calls
    /// fail with [`Error::NotConnected`].
    pub fn immediately_close(&self) {
        let (host, state) = (&self.host, &self.host.state);
        let open = host.registry.open_count();
        if open > 0 && !state.is_closed() {
            tracing::info!("Closed with {open} transaction(s) or page(s) still open");
        }
        state.close();
        host.registry.close_all_groups();
        if let Some(connection) = state.rpc.detach() {
            connection.close();
        }
        state.set_status(Status::Closed);
        host.stop_embedded_server();
    }

    /// The dashboard URL of the embedded server, when `listen()` started one.
    #[cfg(feature = "embedded")]
    pub fn embedded_dashboard_url(&self) -> Option<String> {
        self.host.embedded_dashboard_url()
    }

    /// Resolves when the client is closed for good.
    pub async fn closed(&self) {
        self.host.state.closed().await
    }

    /// Adds (or replaces) a top-level route at run time; the server learns
    /// about it after `reinitialize_batch_timeout`.
    pub fn add_route(&self, slug: impl Into<String>, route: Route) {
        self.host.insert_route(slug.into(), route);
    }

    /// Removes a top-level route at run time.
    pub fn remove_route(&self, slug: &str) -> Option<Route> {
        self.host.remove_route(slug)
    }

    /// Assigns a run of the action `slug` to a user; see [`Enqueue`].
    ///
    /// ```no_run
    /// # use interval_core as interval;
    /// # async fn f(interval: interval::Interval) -> Result<(), interval::Error> {
    /// let queued = interval
    ///     .enqueue("refund-order")
    ///     .assignee("ops@example.com")
    ///     .params(serde_json::json!({ "order": "A-1042" }))
    ///     .await?;
    /// println!("queued as {}", queued.id);
    /// # Ok(()) }
    /// ```
    pub fn enqueue(&self, slug: impl Into<String>) -> Enqueue {
        http_api::enqueue(self.host.state.clone(), slug.into())
    }

    /// Removes a queued action and returns what it was.
    pub async fn dequeue(&self, id: impl Into<String>) -> Result<QueuedAction> {
        http_api::dequeue(&self.host.state, id.into()).await
    }

    /// Sends a notification; see [`Notify`].
    pub fn notify(&self, message: impl Into<String>) -> Notify {
        http_api::notify(self.host.state.clone(), message)
    }
}

/// Ctrl-C, and SIGTERM on Unix.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening: from then on these signals no longer end the
    /// process.
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind, name: &str| {
                signal(kind)
                    .map_err(|e| Error::Interval(format!("could not listen for {name}: {e}")))
            };
            Ok(Signals {
                interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
                terminate: listen(SignalKind::terminate(), "SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next Ctrl-C or SIGTERM.
    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
