//! The connection supervisor: reconnects with back-off after an unexpected
//! close, and pings to find connections that stopped answering.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::dispatch;
use crate::host::Host;
use crate::socket::Connection;
use crate::state::{HostState, Status};

/// How long a connection must stay up before the reconnect back-off resets
/// (so a server that accepts and drops at once causes no tight loop).
const STABLE_CONNECTION: Duration = Duration::from_secs(30);
/// Cap of the linear reconnect back-off, in retry intervals.
const MAX_BACKOFF_STEPS: u32 = 10;

/// The reconnect delay before `attempt` (1-based): linear in the retry
/// interval, capped, with up to 10% jitter so that many hosts do not return
/// in lockstep.
fn backoff(retry_interval: Duration, attempt: u32) -> Duration {
    let base = retry_interval * attempt.clamp(1, MAX_BACKOFF_STEPS);
    base + base.mul_f64(fastrand::f64() * 0.1)
}

/// Watches the connection; on an unexpected close reconnects with the same
/// instance id, re-initializes and replays what is pending.
pub(super) async fn supervise(host: Arc<Host>, mut connection: Arc<Connection>, endpoint: String) {
    let state = &host.state;
    let mut attempt = 0;
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
            attempt = 0;
        }
        connection = loop {
            attempt += 1;
            tokio::select! {
                _ = tokio::time::sleep(backoff(state.config.retry_interval, attempt)) => {}
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
