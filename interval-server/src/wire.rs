//! The Interval frame and RPC layers on the server side of a WebSocket:
//! ACKs every MESSAGE at once, matches ACKs and RESPONSEs to what this side
//! sent, counts CALLs against the rate limit, pings the peer with WebSocket
//! ping frames (closing it when a pong does not come back in time), and
//! hands the peer's CALLs to the connection handler.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use interval_protocol::frame::{Frame, AUTHENTICATED, PING};
use interval_protocol::{Method, RpcKind, RpcMessage};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::limits::RateLimiter;

/// Close code for policy violations (bad key, rate limit).
pub const POLICY_VIOLATION: u16 = 1008;
/// Close code for frames that are not valid protocol frames.
pub const INVALID_PAYLOAD: u16 = 1007;
/// Close code for a peer that stopped answering pings (what Python's
/// `websockets` uses for a keepalive timeout).
pub const PING_TIMEOUT: u16 = 1011;
/// Frames queued for writing before senders wait.
const WRITE_QUEUE: usize = 256;

/// Why a send or call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WireError {
    /// The connection is gone.
    #[error("the connection is closed")]
    Closed,
    /// No ACK or RESPONSE in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The RESPONSE did not have the expected shape.
    #[error("invalid response to {method}: {reason}")]
    InvalidResponse {
        /// The method called.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One peer connection (a host).
pub struct Wire {
    out: mpsc::Sender<Message>,
    acks: Mutex<HashMap<String, oneshot::Sender<()>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Option<Value>>>>,
    /// The payload of the ping in flight and who waits for its pong.
    pong: Mutex<Option<(Vec<u8>, oneshot::Sender<()>)>>,
    next_id: AtomicU64,
    closed: CancellationToken,
    send_timeout: Duration,
    response_timeout: Duration,
}

/// Settings of a [`Wire`].
#[derive(Debug, Clone, Copy)]
pub struct WireOptions {
    /// CALLs per second before the connection is closed.
    pub calls_per_second: u32,
    /// ACK wait.
    pub send_timeout: Duration,
    /// RESPONSE wait.
    pub response_timeout: Duration,
    /// How often to send a WebSocket ping frame (`None`: never).
    pub ping_interval: Option<Duration>,
    /// How long the peer has to answer a ping with its pong before the
    /// connection is closed as dead.
    pub pong_timeout: Duration,
}

impl Wire {
    /// Takes over `socket`; the peer's CALLs arrive on the returned receiver,
    /// which closes when the connection does.
    pub fn spawn(
        socket: WebSocket,
        options: WireOptions,
    ) -> (Arc<Wire>, mpsc::Receiver<RpcMessage>) {
        let (mut sink, mut stream) = socket.split();
        let (out, mut out_rx) = mpsc::channel::<Message>(WRITE_QUEUE);
        let (calls_tx, calls_rx) = mpsc::channel(WRITE_QUEUE);
        let wire = Arc::new(Wire {
            out,
            acks: Mutex::default(),
            pending: Mutex::default(),
            pong: Mutex::default(),
            next_id: AtomicU64::new(1),
            closed: CancellationToken::new(),
            send_timeout: options.send_timeout,
            response_timeout: options.response_timeout,
        });

        let closed = wire.closed.clone();
        let send_timeout = options.send_timeout;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    message = out_rx.recv() => {
                        let Some(message) = message else { break };
                        let is_close = matches!(message, Message::Close(_));
                        // A write to a peer that reads nothing can wait
                        // forever: give up once the connection is closed
                        // (a frame that can be written at once still goes,
                        // such as the close frame queued when closing).
                        let sent = tokio::select! {
                            biased;
                            sent = sink.send(message) => sent.is_ok(),
                            _ = closed.cancelled() => false,
                        };
                        if !sent || is_close {
                            break;
                        }
                    }
                    _ = closed.cancelled() => break,
                }
            }
            let _ = tokio::time::timeout(send_timeout, sink.close()).await;
            closed.cancel();
        });

        if let Some(interval) = options.ping_interval {
            let heart = wire.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(interval) => {}
                        _ = heart.closed.cancelled() => return,
                    }
                    match heart.ping(options.pong_timeout).await {
                        Ok(()) => {}
                        Err(WireError::Closed) => return,
                        Err(e) => {
                            tracing::warn!("closing an unresponsive connection: {e}");
                            heart.close(
                                PING_TIMEOUT,
                                &format!(
                                    "keepalive ping timeout: no pong within {:?}",
                                    options.pong_timeout
                                ),
                            );
                            // Do not wait for a dead peer to take the close
                            // frame: the connection is gone now.
                            heart.closed.cancel();
                            return;
                        }
                    }
                }
            });
        }

        let reader = wire.clone();
        tokio::spawn(async move {
            let mut limiter = RateLimiter::new(options.calls_per_second);
            loop {
                let message = tokio::select! {
                    message = stream.next() => message,
                    _ = reader.closed.cancelled() => break,
                };
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(Message::Pong(payload))) => {
                        reader.pong_received(&payload);
                        continue;
                    }
                    // Pings are answered by the WebSocket layer itself.
                    Some(Ok(_)) => continue,
                };
                if let Err(reason) = reader
                    .handle_text(text.as_str(), &mut limiter, &calls_tx)
                    .await
                {
                    tracing::warn!("closing a connection: {}", reason.1);
                    reader.close(reason.0, &reason.1);
                    // Finish the closing handshake: keep reading (and
                    // discarding) until the peer answers, so that unread
                    // data does not turn the close into a reset.
                    let drain = async { while let Some(Ok(_)) = stream.next().await {} };
                    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                    break;
                }
            }
            reader.closed.cancel();
            lock(&reader.acks).clear();
            lock(&reader.pending).clear();
            lock(&reader.pong).take();
        });

        (wire, calls_rx)
    }

    async fn handle_text(
        &self,
        text: &str,
        limiter: &mut RateLimiter,
        calls: &mpsc::Sender<RpcMessage>,
    ) -> Result<(), (u16, String)> {
        let frame = Frame::parse(text).map_err(|e| {
            (
                INVALID_PAYLOAD,
                format!("Invalid frame ({e}): expected {{\"type\":\"MESSAGE\"|\"ACK\",\"id\":..,\"data\":..}}"),
            )
        })?;
        let (id, data) = match frame {
            Frame::Ack { id } => {
                if let Some(waiter) = lock(&self.acks).remove(&id) {
                    let _ = waiter.send(());
                }
                return Ok(());
            }
            Frame::Message { id, data } => (id, data),
        };
        let _ = self
            .out
            .send(Message::Text(Frame::ack(id).to_text().into()))
            .await;
        if data == PING || data == AUTHENTICATED {
            return Ok(());
        }
        let message: RpcMessage = match serde_json::from_str(&data) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!("ignoring a malformed RPC message ({e})");
                return Ok(());
            }
        };
        match message.kind {
            RpcKind::Response => {
                if let Some(waiter) = lock(&self.pending).remove(&message.id) {
                    let _ = waiter.send(message.data);
                }
            }
            RpcKind::Call => {
                if !limiter.allow() {
                    return Err((
                        POLICY_VIOLATION,
                        "Rate limit exceeded. Please slow down the calls of this host.".into(),
                    ));
                }
                if calls.send(message).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Sends `data` in a MESSAGE and waits for the ACK.
    pub async fn send(&self, data: String) -> Result<(), WireError> {
        if self.closed.is_cancelled() {
            return Err(WireError::Closed);
        }
        let frame = Frame::message(data);
        let Frame::Message { id, .. } = &frame else {
            unreachable!("Frame::message builds a MESSAGE")
        };
        let id = id.clone();
        let (tx, rx) = oneshot::channel();
        lock(&self.acks).insert(id.clone(), tx);
        if self
            .out
            .send(Message::Text(frame.to_text().into()))
            .await
            .is_err()
        {
            lock(&self.acks).remove(&id);
            return Err(WireError::Closed);
        }
        match tokio::time::timeout(self.send_timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(WireError::Closed),
            Err(_) => {
                lock(&self.acks).remove(&id);
                Err(WireError::Timeout("an ACK".into()))
            }
        }
    }

    /// Sends a WebSocket ping frame carrying a fresh UUID and waits up to
    /// `timeout` for the pong echoing it (§1.3 Liveness).
    pub async fn ping(&self, timeout: Duration) -> Result<(), WireError> {
        if self.closed.is_cancelled() {
            return Err(WireError::Closed);
        }
        let payload = interval_protocol::new_id().to_string().into_bytes();
        let (tx, rx) = oneshot::channel();
        *lock(&self.pong) = Some((payload.clone(), tx));
        let exchange = async {
            self.out
                .send(Message::Ping(payload.into()))
                .await
                .map_err(|_| WireError::Closed)?;
            rx.await.map_err(|_| WireError::Closed)
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) if self.closed.is_cancelled() => Err(WireError::Closed),
            Err(_) => {
                lock(&self.pong).take();
                Err(WireError::Timeout("the pong".into()))
            }
        }
    }

    /// A pong arrived: it answers the ping in flight if it echoes it.
    fn pong_received(&self, payload: &[u8]) {
        let mut pong = lock(&self.pong);
        if pong
            .as_ref()
            .is_some_and(|(expected, _)| expected == payload)
        {
            if let Some((_, waiter)) = pong.take() {
                let _ = waiter.send(());
            }
        }
    }

    /// Sends the bare `"authenticated"` control word and waits for its ACK.
    pub async fn authenticate(&self) -> Result<(), WireError> {
        self.send(AUTHENTICATED.to_owned()).await
    }

    /// Calls `M` on the peer and decodes its answer.
    pub async fn call<M: Method>(&self, inputs: &M::Inputs) -> Result<M::Returns, WireError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let message =
            RpcMessage::call::<M>(id.clone(), inputs).map_err(|e| WireError::InvalidResponse {
                method: M::NAME,
                reason: format!("could not encode inputs: {e}"),
            })?;
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), tx);
        if let Err(e) = self.send(message.to_text()).await {
            lock(&self.pending).remove(&id);
            return Err(e);
        }
        match tokio::time::timeout(self.response_timeout, rx).await {
            Ok(Ok(data)) => M::decode_returns(data).map_err(|e| WireError::InvalidResponse {
                method: M::NAME,
                reason: e.to_string(),
            }),
            Ok(Err(_)) => Err(WireError::Closed),
            Err(_) => {
                lock(&self.pending).remove(&id);
                Err(WireError::Timeout(format!("the answer to {}", M::NAME)))
            }
        }
    }

    /// Answers the peer's CALL and waits for the ACK.
    pub async fn respond(&self, call: &RpcMessage, data: Value) -> Result<(), WireError> {
        let message = RpcMessage::response(call.id.clone(), call.method_name.clone(), data);
        self.send(message.to_text()).await
    }

    /// Closes with `code` and `reason` (the close frame is sent first).
    pub fn close(&self, code: u16, reason: &str) {
        let frame = Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_owned().into(),
        }));
        if self.out.try_send(frame).is_err() {
            self.closed.cancel();
        }
    }

    /// Whether the connection is gone.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves when the connection is gone.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }
}
