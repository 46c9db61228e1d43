//! The frame layer (§1.3): one WebSocket connection, MESSAGE/ACK framing,
//! the `"authenticated"` handshake, and WebSocket ping/pong.
//!
//! A [`Connection`] is served by one task, its driver, which reads and
//! writes the socket in the same poll: every MESSAGE read is ACKed before its
//! content is looked at, its payload is handed to the client's
//! [`Incoming`] handler right there (no channel, no other task), and
//! whatever was queued meanwhile (the ACKs, the handler's RESPONSE, frames of
//! other tasks) goes out in one flush. Senders queue frames and never touch
//! the socket; a sent MESSAGE's ACK is recorded, not delivered to a waiting
//! task, so that awaiting a call wakes its task once (for the RESPONSE).
//! The handle is cheap to share.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, Stream};
use interval_protocol::frame::{Frame, AUTHENTICATED, PING};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::error::{Error, Result};

/// Largest message accepted from the server (tables send pages of rows).
const MAX_MESSAGE_SIZE: usize = 64 << 20;
/// Messages the driver reads in one poll before it lets other tasks run.
const READ_BATCH: usize = 64;

/// What the client does with the payload of a MESSAGE (not `"authenticated"`
/// nor `"ping"`); it returns the payload of the RESPONSE to send back, if
/// any. It runs inside the connection's driver: it must not block.
pub(crate) type Incoming = Arc<dyn Fn(String) -> Option<String> + Send + Sync>;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

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

/// Whether the MESSAGE of a [`Sent`] was ACKed yet.
#[derive(Debug, Default)]
pub(crate) struct AckFlag(AtomicBool);

impl AckFlag {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A queued MESSAGE whose ACK is being watched for.
pub(crate) struct Sent {
    id: String,
    acked: Arc<AckFlag>,
}

impl Sent {
    /// Whether the server ACKed it.
    pub fn is_acked(&self) -> bool {
        self.acked.is_set()
    }
}

/// State shared by the handle and the driver.
struct Shared {
    acks: Mutex<HashMap<String, Arc<AckFlag>>>,
    pongs: Mutex<HashMap<Vec<u8>, oneshot::Sender<()>>>,
    closed: CancellationToken,
    close_info: Mutex<CloseInfo>,
}

/// One open, authenticated WebSocket connection.
pub(crate) struct Connection {
    outbox: mpsc::UnboundedSender<Message>,
    shared: Arc<Shared>,
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
    pub async fn open(options: ConnectOptions<'_>, incoming: Incoming) -> Result<Arc<Connection>> {
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
        let (socket, _response) = tokio::time::timeout_at(
            deadline,
            // Nagle's algorithm would hold small frames back for tens of ms.
            // Boxed: the handshake future (~10 KiB) would otherwise sit in
            // `listen()` and in the supervisor task for the client's life.
            Box::pin(tokio_tungstenite::connect_async_with_config(
                request,
                Some(ws_config),
                true,
            )),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| connect_error(e.to_string()))?;

        let (outbox, outbox_rx) = mpsc::unbounded_channel::<Message>();
        let shared = Arc::new(Shared {
            acks: Mutex::default(),
            pongs: Mutex::default(),
            closed: CancellationToken::new(),
            close_info: Mutex::default(),
        });
        let (authenticated_tx, authenticated_rx) = oneshot::channel::<()>();
        let mut driver = Driver {
            socket,
            outbox: outbox_rx,
            acks_to_send: Vec::new(),
            unflushed: false,
            close_sent: false,
            cancelled: Box::pin(shared.closed.clone().cancelled_owned()),
            shared: shared.clone(),
            incoming,
            authenticated: Some(authenticated_tx),
        };
        tokio::spawn(async move {
            let info = poll_fn(|cx| driver.poll_run(cx)).await;
            *lock(&driver.shared.close_info) = info;
            driver.shared.closed.cancel();
            // Fail everything still waiting on this socket.
            lock(&driver.shared.acks).clear();
            lock(&driver.shared.pongs).clear();
            let _ =
                tokio::time::timeout(Duration::from_millis(100), driver.socket.close(None)).await;
        });

        let connection = Arc::new(Connection { outbox, shared });
        tokio::select! {
            ok = authenticated_rx => {
                if ok.is_ok() {
                    return Ok(connection);
                }
                Err(connect_error(format!("closed before authentication ({})", connection.close_info())))
            }
            _ = connection.shared.closed.cancelled() => {
                Err(connect_error(format!("the server closed the connection ({})", connection.close_info())))
            }
            _ = tokio::time::sleep_until(deadline) => {
                connection.close();
                Err(timed_out())
            }
        }
    }

    /// Queues `data` in a MESSAGE frame and watches for its ACK (see
    /// [`Sent::is_acked`]; [`Connection::forget`] stops watching).
    pub fn send(&self, data: String) -> Result<Sent> {
        let (id, text) = message_frame(data);
        let acked = Arc::new(AckFlag::default());
        lock(&self.shared.acks).insert(id.clone(), acked.clone());
        if self.is_closed() || self.outbox.send(Message::text(text)).is_err() {
            lock(&self.shared.acks).remove(&id);
            return Err(Error::NotConnected);
        }
        Ok(Sent { id, acked })
    }

    /// Stops watching for the ACK of `sent`.
    pub fn forget(&self, sent: &Sent) {
        lock(&self.shared.acks).remove(&sent.id);
    }

    /// Queues `data` in a MESSAGE frame without watching for its ACK (for
    /// RESPONSEs: nothing would be done with a missing ACK).
    pub fn send_unwatched(&self, data: String) -> Result<()> {
        let (_, text) = message_frame(data);
        if self.is_closed() || self.outbox.send(Message::text(text)).is_err() {
            return Err(Error::NotConnected);
        }
        Ok(())
    }

    /// Sends a WebSocket ping with a fresh UUID payload and waits for the
    /// pong that echoes it.
    pub async fn ping(&self, timeout: Duration) -> Result<()> {
        if self.is_closed() {
            return Err(Error::NotConnected);
        }
        let payload = interval_protocol::new_id().to_string().into_bytes();
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.pongs).insert(payload.clone(), tx);
        if self
            .outbox
            .send(Message::Ping(payload.clone().into()))
            .is_err()
        {
            lock(&self.shared.pongs).remove(&payload);
            return Err(Error::NotConnected);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::NotConnected),
            Err(_) => {
                lock(&self.shared.pongs).remove(&payload);
                Err(Error::Timeout(format!(
                    "pong not received within {timeout:?}"
                )))
            }
        }
    }

    /// Closes the socket (normal closure) without waiting.
    pub fn close(&self) {
        let _ = self.outbox.send(Message::Close(None));
        // Let the driver write the close frame and read the server's, then
        // stop it.
        let closed = self.shared.closed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            closed.cancel();
        });
    }

    /// Whether the socket is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    /// Resolves when the socket is gone.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await
    }

    /// Why the socket closed (meaningful once it has).
    pub fn close_info(&self) -> CloseInfo {
        lock(&self.shared.close_info).clone()
    }
}

/// A MESSAGE frame carrying `data`: its id and its text.
fn message_frame(data: String) -> (String, String) {
    let frame = Frame::message(data);
    let text = frame.to_text();
    match frame {
        Frame::Message { id, .. } => (id, text),
        Frame::Ack { id } => (id, text),
    }
}

/// The task serving one socket.
struct Driver {
    socket: Socket,
    outbox: mpsc::UnboundedReceiver<Message>,
    /// ACKs of MESSAGEs read in this poll and the RESPONSEs of the calls
    /// among them, written before anything else (the driver's own frames
    /// do not go through the outbox, which would wake the driver itself).
    acks_to_send: Vec<Message>,
    /// Whether frames were handed to the socket since the last flush.
    unflushed: bool,
    /// Whether our Close frame was written (nothing may follow it).
    close_sent: bool,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    shared: Arc<Shared>,
    incoming: Incoming,
    authenticated: Option<oneshot::Sender<()>>,
}

impl Driver {
    /// Writes what is queued, flushes, reads what is there; resolves with why
    /// the socket ended.
    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<CloseInfo> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(CloseInfo {
                code: None,
                reason: "closed by this host".into(),
            });
        }
        loop {
            if let Err(info) = self.poll_write(cx) {
                return Poll::Ready(info);
            }
            let mut read = 0;
            while read < READ_BATCH {
                match Pin::new(&mut self.socket).poll_next(cx) {
                    Poll::Ready(Some(Ok(message))) => {
                        read += 1;
                        if let Some(info) = self.handle(message) {
                            return Poll::Ready(info);
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        return Poll::Ready(CloseInfo {
                            code: None,
                            reason: e.to_string(),
                        })
                    }
                    Poll::Ready(None) => {
                        return Poll::Ready(CloseInfo {
                            code: None,
                            reason: "connection closed".into(),
                        })
                    }
                    Poll::Pending => break,
                }
            }
            if read == READ_BATCH {
                // More may be waiting: write the ACKs, then let other tasks
                // run before reading on.
                if let Err(info) = self.poll_write(cx) {
                    return Poll::Ready(info);
                }
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if read == 0 {
                return Poll::Pending;
            }
            // What was read queued ACKs (and maybe RESPONSEs): write them.
        }
    }

    /// Hands the queued frames to the socket and flushes; `Err` when the
    /// socket failed.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> std::result::Result<(), CloseInfo> {
        let failed = |e: tokio_tungstenite::tungstenite::Error| CloseInfo {
            code: None,
            reason: format!("websocket write failed: {e}"),
        };
        let mut acks = std::mem::take(&mut self.acks_to_send).into_iter();
        while !self.close_sent {
            match Pin::new(&mut self.socket).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(failed(e)),
                Poll::Pending => break,
            }
            let message = match acks.next() {
                Some(ack) => ack,
                None => match self.outbox.poll_recv(cx) {
                    Poll::Ready(Some(message)) => message,
                    Poll::Pending => break,
                    // Every handle is gone: nobody can use this socket.
                    Poll::Ready(None) => {
                        return Err(CloseInfo {
                            code: None,
                            reason: "closed by this host".into(),
                        })
                    }
                },
            };
            self.close_sent = matches!(message, Message::Close(_));
            Pin::new(&mut self.socket)
                .start_send(message)
                .map_err(failed)?;
            self.unflushed = true;
        }
        // ACKs the socket could not take yet wait for the next poll.
        self.acks_to_send.extend(acks);
        if self.unflushed {
            match Pin::new(&mut self.socket).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(failed(e)),
                Poll::Pending => {}
            }
        }
        Ok(())
    }

    /// Handles one WebSocket message; returns why the socket ended, if it did.
    fn handle(&mut self, message: Message) -> Option<CloseInfo> {
        match message {
            Message::Text(text) => self.handle_frame(text.as_str()),
            Message::Pong(payload) => {
                if let Some(waiter) = lock(&self.shared.pongs).remove(payload.as_ref()) {
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
            // tungstenite queues the pong itself; it goes out with the next
            // flush.
            Message::Ping(_) => self.unflushed = true,
            Message::Frame(_) => {}
            Message::Binary(_) => tracing::warn!("ignoring a binary frame from the server"),
        }
        None
    }

    fn handle_frame(&mut self, text: &str) {
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
                if let Some(flag) = lock(&self.shared.acks).remove(&id) {
                    flag.0.store(true, Ordering::Release);
                }
            }
            Frame::Message { id, data } => {
                // ACK first, before looking at the content.
                self.acks_to_send
                    .push(Message::text(Frame::ack(id).to_text()));
                if data == AUTHENTICATED {
                    if let Some(tx) = self.authenticated.take() {
                        let _ = tx.send(());
                    }
                } else if data != PING {
                    if let Some(response) = (self.incoming)(data) {
                        let (_, text) = message_frame(response);
                        self.acks_to_send.push(Message::text(text));
                    }
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
