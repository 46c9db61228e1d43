//! The RPC layer (§1.7): CALLs with per-call resend attempts and a response
//! timeout, RESPONSEs matched by id, over whichever connection is current.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interval_protocol::{Method, RpcMessage};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::socket::{lock, Connection};

/// Timing of calls, taken from the client's configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallTiming {
    pub send_timeout: Duration,
    pub retry_interval: Duration,
    pub max_resend_attempts: u32,
    pub response_timeout: Duration,
}

/// A call attempt the server did not ACK in time.
struct Unacked;

/// Outstanding calls and the current connection.
pub(crate) struct Rpc {
    timing: CallTiming,
    next_id: AtomicU64,
    connection: Mutex<Option<Arc<Connection>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Option<Value>>>>,
}

impl Rpc {
    pub fn new(timing: CallTiming) -> Self {
        Rpc {
            timing,
            next_id: AtomicU64::new(1),
            connection: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The connection calls go out on, if any.
    pub fn connection(&self) -> Option<Arc<Connection>> {
        lock(&self.connection).clone().filter(|c| !c.is_closed())
    }

    /// Makes `connection` current.
    pub fn attach(&self, connection: Arc<Connection>) {
        *lock(&self.connection) = Some(connection);
    }

    /// Forgets the current connection; calls waiting for a RESPONSE on it
    /// fail with [`Error::NotConnected`] (a RESPONSE never crosses sockets).
    pub fn detach(&self) -> Option<Arc<Connection>> {
        lock(&self.pending).clear();
        lock(&self.connection).take()
    }

    /// Calls `M` on the server and decodes its RESPONSE.
    ///
    /// Attempt *n* waits `send_timeout × n` for the ACK and, unlike the Node
    /// SDK, really sleeps `retry_interval × n` before the next attempt. Every
    /// attempt is a new RPC message. An acknowledged call waits at most
    /// `response_timeout` (counted from the send) for its RESPONSE.
    pub async fn call<M: Method>(&self, inputs: &M::Inputs) -> Result<M::Returns> {
        let t = self.timing;
        let attempts = t.max_resend_attempts.max(1);
        for attempt in 1..=attempts {
            let connection = self.connection().ok_or(Error::NotConnected)?;
            let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
            let text = RpcMessage::call_text::<M>(&id, inputs).map_err(|e| {
                Error::Interval(format!("could not encode {} inputs: {e}", M::NAME))
            })?;
            let (tx, mut rx) = oneshot::channel();
            lock(&self.pending).insert(id.clone(), tx);
            let sent = match connection.send(text) {
                Ok(sent) => sent,
                Err(e) => {
                    lock(&self.pending).remove(&id);
                    return Err(e);
                }
            };
            // One wait for the RESPONSE: the ACK is only looked at when a
            // deadline passes (a RESPONSE implies the ACK, and the task is not
            // woken for the ACK alone).
            let started = Instant::now();
            let ack_deadline = started + t.send_timeout * attempt;
            let response_deadline = started + t.response_timeout;
            let answer = loop {
                let now = Instant::now();
                let deadline = match sent.is_acked() {
                    true => response_deadline,
                    false if now < response_deadline => ack_deadline.min(response_deadline),
                    false => ack_deadline,
                };
                match tokio::time::timeout_at(deadline, &mut rx).await {
                    Ok(answer) => break Some(Ok(answer)),
                    Err(_) if sent.is_acked() => {
                        if Instant::now() >= response_deadline {
                            break None;
                        }
                    }
                    Err(_) if Instant::now() >= ack_deadline => break Some(Err(Unacked)),
                    Err(_) => {}
                }
            };
            if let Some(Err(Unacked)) = answer {
                connection.forget(&sent);
                lock(&self.pending).remove(&id);
                if connection.is_closed() {
                    return Err(Error::NotConnected);
                }
                tracing::debug!(
                    "{} attempt {attempt}/{attempts} failed (no ACK within {:?}); retrying",
                    M::NAME,
                    t.send_timeout * attempt
                );
                if attempt < attempts {
                    tokio::time::sleep(t.retry_interval * attempt).await;
                }
                continue;
            }
            return match answer {
                Some(Ok(Ok(data))) => M::decode_returns(data).map_err(|e| Error::InvalidMessage {
                    what: format!("{} response", M::NAME),
                    reason: e.to_string(),
                }),
                Some(Ok(Err(_))) | Some(Err(Unacked)) => Err(Error::NotConnected),
                None => {
                    lock(&self.pending).remove(&id);
                    Err(Error::Timeout(format!(
                        "the server did not answer {} within {:?}",
                        M::NAME,
                        t.response_timeout
                    )))
                }
            };
        }
        Err(Error::Timeout(format!(
            "Maximum failed resend attempts reached, aborting: the server acknowledged none of {attempts} attempts to send {}",
            M::NAME
        )))
    }

    /// Delivers a RESPONSE to the call waiting for it.
    pub fn resolve(&self, message: RpcMessage) {
        match lock(&self.pending).remove(&message.id) {
            Some(waiter) => {
                let _ = waiter.send(message.data);
            }
            None => tracing::debug!(
                "ignoring a RESPONSE to unknown call {} ({})",
                message.id,
                message.method_name
            ),
        }
    }

    /// Queues a RESPONSE to a server CALL; failures are only logged (the
    /// server has no way to ask again).
    pub fn respond(&self, id: String, method_name: String, data: Value) {
        let Some(connection) = self.connection() else {
            tracing::debug!("cannot answer {method_name}: not connected");
            return;
        };
        let message = RpcMessage::response(id, method_name.clone(), data);
        if let Err(e) = connection.send_unwatched(message.to_text()) {
            tracing::warn!("could not answer {method_name}: {e}");
        }
    }
}
