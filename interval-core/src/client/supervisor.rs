//! The connection supervisor: connects with back-off (see
//! [`crate::backoff`]) at first and after an unexpected close, and pings to
//! find connections that stopped answering.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::dispatch;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::socket::Connection;
use crate::state::{HostState, Status};

/// How long a connection must stay up before the reconnect back-off resets
/// (so a server that accepts and drops at once causes no tight loop).
const STABLE_CONNECTION: Duration = Duration::from_secs(30);

/// The connection back-off of `state` (see [`crate::backoff`]).
fn backoff(state: &HostState) -> Backoff {
    Backoff::new(
        state.config.reconnect_initial_delay,
        state.config.reconnect_max_delay,
    )
}

/// Whether trying again may help after `error` from connecting or
/// initializing: not for a rejected key (close code 1008), an HTTP 4xx
/// handshake answer, a malformed endpoint or key, nor a refused
/// `INITIALIZE_HOST`.
pub(super) fn retryable(error: &Error) -> bool {
    match error {
        Error::Timeout(_) | Error::NotConnected => true,
        Error::Connect { reason, .. } => {
            !(reason.contains("1008")
                || reason.starts_with("invalid endpoint URL")
                || reason.contains("valid header value")
                || reason.contains("HTTP error: 4"))
        }
        _ => false,
    }
}

/// The first connection of `listen()`: connects and initializes, retrying
/// with back-off what may be transient (the server is not up yet), unless
/// `fail_fast` is set or the client is closed meanwhile.
pub(super) async fn first_connect(host: &Arc<Host>, endpoint: &str) -> Result<Arc<Connection>> {
    let state = &host.state;
    let mut backoff = backoff(state);
    loop {
        let error = match dispatch::connect(host, endpoint).await {
            Ok(connection) => {
                state.rpc.attach(connection.clone());
                match host.initialize(true).await {
                    Ok(()) => return Ok(connection),
                    Err(e) => {
                        connection.close();
                        state.rpc.detach();
                        e
                    }
                }
            }
            Err(e) => e,
        };
        if state.config.fail_fast || !retryable(&error) {
            return Err(error);
        }
        let (attempt, delay) = backoff.next_delay();
        tracing::warn!(
            "Could not connect to Interval (attempt {attempt}): {error}; retrying in {delay:.1?}"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = state.closed() => return Err(error),
        }
    }
}

/// Watches the connection; on an unexpected close reconnects with the same
/// instance id, re-initializes and replays what is pending.
pub(super) async fn supervise(host: Arc<Host>, mut connection: Arc<Connection>, endpoint: String) {
    let state = &host.state;
    let mut backoff = backoff(state);
    loop {
        let up_since = Instant::now();
        tokio::select! {
            _ = connection.closed() => {}
            _ = state.closed() => break,
        }
        state.rpc.detach();
        if state.is_closed() {
            break;
        }
        tracing::warn!(
            "Connection to Interval closed ({}); reconnecting",
            connection.close_info()
        );
        state.set_status(Status::Reconnecting);
        if up_since.elapsed() >= STABLE_CONNECTION {
            backoff.reset();
        }
        connection = loop {
            let (attempt, delay) = backoff.next_delay();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = state.closed() => return,
            }
            match dispatch::connect(&host, &endpoint).await {
                Ok(connection) => {
                    state.rpc.attach(connection.clone());
                    match host.initialize(false).await {
                        Ok(()) => break connection,
                        Err(e) => {
                            tracing::warn!(
                                "Reconnect attempt {attempt}: initialization failed: {e}"
                            );
                            connection.close();
                            state.rpc.detach();
                        }
                    }
                }
                Err(e) => tracing::warn!("Reconnect attempt {attempt} failed: {e}"),
            }
        };
        state.set_status(Status::Connected);
        tracing::info!("Reconnected to Interval");
        let host = host.clone();
        tokio::spawn(async move { host.registry.replay(&host.state).await });
    }
    if let Some(connection) = state.rpc.detach() {
        connection.close();
    }
    state.set_status(Status::Closed);
}

/// Pings every `ping_interval`; closes a connection that has not answered a
/// ping for `close_unresponsive_timeout`, which makes the supervisor
/// reconnect.
pub(super) async fn keep_alive(state: Arc<HostState>) {
    let mut last_ok = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(state.config.ping_interval) => {}
            _ = state.closed() => return,
        }
        let Some(connection) = state.rpc.connection() else {
            last_ok = Instant::now();
            continue;
        };
        match connection.ping(state.config.ping_timeout).await {
            Ok(()) => last_ok = Instant::now(),
            Err(e) => {
                tracing::warn!("Ping failed: {e}");
                if last_ok.elapsed() >= state.config.close_unresponsive_timeout {
                    tracing::warn!(
                        "No successful ping for {:?}; closing the connection to reconnect",
                        state.config.close_unresponsive_timeout
                    );
                    connection.close();
                    last_ok = Instant::now();
                }
            }
        }
    }
}
