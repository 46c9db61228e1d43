//! The connection supervisor: reconnects with back-off after an unexpected
//! close, and pings to find connections that stopped answering.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Inner, Status, MAX_BACKOFF_STEPS, STABLE_CONNECTION};
use crate::socket::Connection;

/// The reconnect delay before `attempt` (1-based): linear in the retry
/// interval, capped, with up to 10% jitter so that many hosts do not return
/// in lockstep.
fn backoff(retry_interval: Duration, attempt: u32) -> Duration {
    let base = retry_interval * attempt.clamp(1, MAX_BACKOFF_STEPS);
    base + base.mul_f64(fastrand::f64() * 0.1)
}

/// Watches the connection; on an unexpected close reconnects with the same
/// instance id, re-initializes and replays what is pending.
pub(super) async fn supervise(
    inner: Arc<Inner>,
    mut connection: Arc<Connection>,
    endpoint: String,
) {
    let mut attempt = 0;
    loop {
        let up_since = Instant::now();
        tokio::select! {
            _ = connection.closed() => {}
            _ = inner.closing.cancelled() => break,
        }
        inner.rpc.detach();
        if inner.closing.is_cancelled() {
            break;
        }
        tracing::warn!(
            "Connection to Interval closed ({}); reconnecting",
            connection.close_info()
        );
        inner.status.send_replace(Status::Reconnecting);
        if up_since.elapsed() >= STABLE_CONNECTION {
            attempt = 0;
        }
        connection = loop {
            attempt += 1;
            tokio::select! {
                _ = tokio::time::sleep(backoff(inner.config.retry_interval, attempt)) => {}
                _ = inner.closing.cancelled() => return,
            }
            match inner.connect(&endpoint).await {
                Ok(connection) => {
                    inner.rpc.attach(connection.clone());
                    match inner.initialize(false).await {
                        Ok(()) => break connection,
                        Err(e) => {
                            tracing::warn!(
                                "Reconnect attempt {attempt}: initialization failed: {e}"
                            );
                            connection.close();
                            inner.rpc.detach();
                        }
                    }
                }
                Err(e) => tracing::warn!("Reconnect attempt {attempt} failed: {e}"),
            }
        };
        inner.status.send_replace(Status::Connected);
        tracing::info!("Reconnected to Interval");
        tokio::spawn(crate::transaction::replay(inner.clone()));
    }
    if let Some(connection) = inner.rpc.detach() {
        connection.close();
    }
    inner.status.send_replace(Status::Closed);
}

/// Pings every `ping_interval`; closes a connection that has not answered a
/// ping for `close_unresponsive_timeout`, which makes the supervisor
/// reconnect.
pub(super) async fn keep_alive(inner: Arc<Inner>) {
    let mut last_ok = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.config.ping_interval) => {}
            _ = inner.closing.cancelled() => return,
        }
        let Some(connection) = inner.rpc.connection() else {
            last_ok = Instant::now();
            continue;
        };
        match connection.ping(inner.config.ping_timeout).await {
            Ok(()) => last_ok = Instant::now(),
            Err(e) => {
                tracing::warn!("Ping failed: {e}");
                if last_ok.elapsed() >= inner.config.close_unresponsive_timeout {
                    tracing::warn!(
                        "No successful ping for {:?}; closing the connection to reconnect",
                        inner.config.close_unresponsive_timeout
                    );
                    connection.close();
                    last_ok = Instant::now();
                }
            }
        }
    }
}
