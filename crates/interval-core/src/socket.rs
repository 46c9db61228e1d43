//! The frame layer (§1.3): one WebSocket connection, MESSAGE/ACK framing,
//! the `"authenticated"` handshake, and WebSocket ping/pong.
//!
//! A [`Connection`] owns two tasks: a writer draining a bounded channel into
//! the socket, and a reader that ACKs every MESSAGE before anything else and
//! hands RPC payloads to the client. The handle is cheap to share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interval_protocol::frame::{Frame, AUTHENTICATED, PING};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// Largest message accepted from the server (tables send pages of rows).
const MAX_MESSAGE_SIZE: usize = 64 << 20;
/// Frames waiting to be written before senders wait.
const WRITE_QUEUE: usize = 256;

/// Why a connection ended.
#[derive(Debug, Clone, Default)]
pub(crate) struct CloseInfo {
    pub code: Option<u16>,
    pub reason: String,
}

impl std::fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) if self.reason.is_empty() => write!(f, "code {code}"),
            Some(code) => write!(f, "code {code}: {}", self.reason),
            None if self.reason.is_empty() => f.write_str("no close code"),
            None => f.write_str(&self.reason),
        }
    }
}

type Waiters<K> = Arc<Mutex<HashMap<K, oneshot::Sender<()>>>>;

/// One open, authenticated WebSocket connection.
pub(crate) struct Connection {
    writer: mpsc::Sender<Message>,
    acks: Waiters<String>,
    pongs: Waiters<Vec<u8>>,
    closed: CancellationToken,
    close_info: Arc<Mutex<CloseInfo>>,
}

/// What a connection needs to open.
pub(crate) struct ConnectOptions<'a> {
    pub endpoint: &'a str,
    pub api_key: Option<&'a str>,
    pub instance_id: &'a str,
    pub connect_timeout: Duration,
}

impl Connection {
    /// Opens the socket with the host headers and waits for `"authenticated"`.
    /// RPC payloads received afterwards go to `incoming`.
    pub async fn open(
        options: ConnectOptions<'_>,
        incoming: mpsc::Sender<String>,
    ) -> Result<Arc<Connection>> {
        let endpoint = options.endpoint;
        let connect_error = |reason: String| Error::Connect {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let mut request = endpoint
            .into_client_request()
            .map_err(|e| connect_error(format!("invalid endpoint URL: {e}")))?;
        let headers = request.headers_mut();
        if let Some(key) = options.api_key.filter(|k| !k.is_empty()) {
            let value = HeaderValue::from_str(key)
                .map_err(|_| connect_error("the API key is not a valid header value".into()))?;
            headers.insert("x-api-key", value);
        }
        let instance = HeaderValue::from_str(options.instance_id)
            .map_err(|_| connect_error("the instance id is not a valid header value".into()))?;
        headers.insert("x-instance-id", instance);

        let ws_config = WebSocketConfig::default()
            .read_buffer_size(16 << 10)
            .write_buffer_size(16 << 10)
            .max_write_buffer_size(MAX_MESSAGE_SIZE * 2)
            .max_message_size(Some(MAX_MESSAGE_SIZE))
            .max_frame_size(Some(MAX_MESSAGE_SIZE));

        let deadline = tokio::time::Instant::now() + options.connect_timeout;
        let timed_out = || {
            Error::Timeout(format!(
                "no \"authenticated\" from {endpoint} within {:?}",
                options.connect_timeout
            ))
        };
        let (stream, _response) = tokio::time::timeout_at(
            deadline,
            // Nagle's algorithm would hold small frames back for tens of ms.
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| connect_error(e.to_string()))?;

        let (mut sink, mut source) = stream.split();
        let (writer, mut write_queue) = mpsc::channel::<Message>(WRITE_QUEUE);
        let closed = CancellationToken::new();
        let close_info = Arc::new(Mutex::new(CloseInfo::default()));
        let acks: Waiters<String> = Arc::default();
        let pongs: Waiters<Vec<u8>> = Arc::default();
        let (authenticated_tx, authenticated_rx) = oneshot::channel::<()>();

        // Writer: drains the queue; a Close message ends it.
        let writer_closed = closed.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    message = write_queue.recv() => {
                        let Some(mut message) = message else { break };
                        // Everything queued goes out in one flush (one
                        // write for an ACK and the RESPONSE behind it).
                        let mut is_close;
                        let mut failed = false;
                        loop {
                            is_close = matches!(message, Message::Close(_));
                            if let Err(e) = sink.feed(message).await {
                                tracing::debug!("websocket write failed: {e}");
                                failed = true;
                                break;
                            }
                            match write_queue.try_recv() {
                                Ok(next) if !is_close => message = next,
                                _ => break,
                            }
                        }
                        if failed {
                            break;
                        }
                        if let Err(e) = sink.flush().await {
                            tracing::debug!("websocket write failed: {e}");
                            break;
                        }
                        if is_close {
                            break;
                        }
                    }
                    _ = writer_closed.cancelled() => break,
                }
            }
            let _ = sink.close().await;
            writer_closed.cancel();
        });

        // Reader: ACKs first, then routes.
        let reader = Reader {
            writer: writer.clone(),
            acks: acks.clone(),
            pongs: pongs.clone(),
            incoming,
            authenticated: Some(authenticated_tx),
        };
        let reader_closed = closed.clone();
        let reader_info = close_info.clone();
        tokio::spawn(async move {
            let mut reader = reader;
            let info = loop {
                tokio::select! {
                    next = source.next() => match next {
                        Some(Ok(message)) => {
                            if let Some(info) = reader.handle(message).await {
                                break info;
                            }
                        }
                        Some(Err(e)) => break CloseInfo { code: None, reason: e.to_string() },
                        None => break CloseInfo { code: None, reason: "connection closed".into() },
                    },
                    _ = reader_closed.cancelled() => break CloseInfo {
                        code: None,
                        reason: "closed by this host".into(),
                    },
                }
            };
            *lock(&reader_info) = info;
            reader_closed.cancel();
            // Fail everything still waiting on this socket.
            lock(&reader.acks).clear();
            lock(&reader.pongs).clear();
        });

        let connection = Arc::new(Connection {
            writer,
            acks,
            pongs,
            closed,
            close_info,
        });

        tokio::select! {
            ok = authenticated_rx => {
                if ok.is_ok() {
                    return Ok(connection);
                }
                Err(connect_error(format!("closed before authentication ({})", connection.close_info())))
            }
            _ = connection.closed.cancelled() => {
                Err(connect_error(format!("the server closed the connection ({})", connection.close_info())))
            }
            _ = tokio::time::sleep_until(deadline) => {
                connection.close();
                Err(timed_out())
            }
        }
    }

    /// Sends `data` in a MESSAGE frame and waits up to `timeout` for its ACK.
    pub async fn send(&self, data: String, timeout: Duration) -> Result<()> {
        if self.is_closed() {
            return Err(Error::NotConnected);
        }
        let frame = Frame::message(data);
        let Frame::Message { id, .. } = &frame else {
            unreachable!("Frame::message builds a MESSAGE")
        };
        let id = id.clone();
        let (tx, rx) = oneshot::channel();
        lock(&self.acks).insert(id.clone(), tx);
        if self
            .writer
            .send(Message::text(frame.to_text()))
            .await
            .is_err()
        {
            lock(&self.acks).remove(&id);
            return Err(Error::NotConnected);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::NotConnected),
            Err(_) => {
                lock(&self.acks).remove(&id);
                Err(Error::Timeout(format!("no ACK within {timeout:?}")))
            }
        }
    }

    /// Sends a WebSocket ping with a fresh UUID payload and waits for the
    /// pong that echoes it.
    pub async fn ping(&self, timeout: Duration) -> Result<()> {
        if self.is_closed() {
            return Err(Error::NotConnected);
        }
        let payload = uuid::Uuid::new_v4().to_string().into_bytes();
        let (tx, rx) = oneshot::channel();
        lock(&self.pongs).insert(payload.clone(), tx);
        if self
            .writer
            .send(Message::Ping(payload.clone().into()))
            .await
            .is_err()
        {
            lock(&self.pongs).remove(&payload);
            return Err(Error::NotConnected);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::NotConnected),
            Err(_) => {
                lock(&self.pongs).remove(&payload);
                Err(Error::Timeout(format!(
                    "pong not received within {timeout:?}"
                )))
            }
        }
    }

    /// Closes the socket (normal closure) without waiting.
    pub fn close(&self) {
        let _ = self.writer.try_send(Message::Close(None));
        // Let the writer flush the close frame, then stop both tasks.
        let closed = self.closed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            closed.cancel();
        });
    }

    /// Whether the socket is gone.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves when the socket is gone.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    /// Why the socket closed (meaningful once it has).
    pub fn close_info(&self) -> CloseInfo {
        lock(&self.close_info).clone()
    }
}

struct Reader {
    writer: mpsc::Sender<Message>,
    acks: Waiters<String>,
    pongs: Waiters<Vec<u8>>,
    incoming: mpsc::Sender<String>,
    authenticated: Option<oneshot::Sender<()>>,
}

impl Reader {
    /// Handles one WebSocket message; returns why the socket ended, if it did.
    async fn handle(&mut self, message: Message) -> Option<CloseInfo> {
        match message {
            Message::Text(text) => self.handle_frame(text.as_str()).await,
            Message::Pong(payload) => {
                if let Some(waiter) = lock(&self.pongs).remove(payload.as_ref()) {
                    let _ = waiter.send(());
                }
            }
            Message::Close(frame) => {
                return Some(match frame {
                    Some(frame) => CloseInfo {
                        code: Some(frame.code.into()),
                        reason: frame.reason.to_string(),
                    },
                    None => CloseInfo::default(),
                })
            }
            // Pings are answered by tungstenite itself; binary frames are not
            // part of the protocol.
            Message::Ping(_) | Message::Frame(_) => {}
            Message::Binary(_) => tracing::warn!("ignoring a binary frame from the server"),
        }
        None
    }

    async fn handle_frame(&mut self, text: &str) {
        let frame = match Frame::parse(text) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::error!(
                    "ignoring a malformed frame from the server ({e}): {}",
                    truncate(text)
                );
                return;
            }
        };
        match frame {
            Frame::Ack { id } => {
                if let Some(waiter) = lock(&self.acks).remove(&id) {
                    let _ = waiter.send(());
                }
            }
            Frame::Message { id, data } => {
                // ACK immediately, before looking at the content.
                let ack = Message::text(Frame::ack(id).to_text());
                if self.writer.send(ack).await.is_err() {
                    return;
                }
                if data == AUTHENTICATED {
                    if let Some(tx) = self.authenticated.take() {
                        let _ = tx.send(());
                    }
                } else if data != PING && self.incoming.send(data).await.is_err() {
                    tracing::debug!("dropping a message: the client is gone");
                }
            }
        }
    }
}

/// Locks a mutex, recovering from poisoning (a panicking holder cannot leave
/// these maps inconsistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Shortens a payload for a log line.
pub(crate) fn truncate(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}
