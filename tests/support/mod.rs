//! A scriptable Interval server for the host's tests: a real axum server on
//! a loopback port speaking the frame and RPC layers, whose every step the
//! test drives (accept, answer, call, drop the connection), plus the HTTP API
//! endpoints with recorded requests.
//!
//! Everything the host sends is also recorded in the format of
//! `tests/interop/validate.mjs`, so that scenarios double as interop checks.

#![allow(dead_code)]

pub mod interop;
pub mod io;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{any, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use interval::protocol::frame::{Frame, AUTHENTICATED};
use interval::protocol::host::{InitializeHost, InitializeHostInputs, InitializeHostReturns};
use interval::protocol::server::StartTransactionInputs;
use interval::protocol::types::{ActionRef, Organization, User, UserRole};
use interval::protocol::{Method, RpcKind, RpcMessage};
use interval::{Interval, IntervalBuilder};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

/// How long a test waits for something the host should send.
pub const WAIT: Duration = Duration::from_secs(10);

/// How the server treats the next connections.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Send `"authenticated"` on accept.
    pub authenticate: bool,
    /// ACK the host's MESSAGEs.
    pub ack: bool,
    /// Close at once with this code and reason instead of authenticating.
    pub reject: Option<(u16, String)>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            authenticate: true,
            ack: true,
            reject: None,
        }
    }
}

/// A recorded HTTP API request.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Mutex<Behaviour>>,
    connections: mpsc::UnboundedSender<Peer>,
    http: Arc<Mutex<Vec<HttpRequest>>>,
    http_replies: Arc<Mutex<VecDeque<Value>>>,
    record: Arc<Mutex<Vec<Value>>>,
}

/// The test server.
pub struct TestServer {
    pub port: u16,
    shared: Shared,
    connections: mpsc::UnboundedReceiver<Peer>,
}

impl TestServer {
    /// Starts on a free loopback port.
    pub async fn start() -> TestServer {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared {
            behaviour: Arc::default(),
            connections: tx,
            http: Arc::default(),
            http_replies: Arc::default(),
            record: Arc::default(),
        };
        let app = Router::new()
            .route("/websocket", any(upgrade))
            .route("/api/actions/enqueue", post(http_api))
            .route("/api/actions/dequeue", post(http_api))
            .route("/api/notify", post(http_api))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer {
            port,
            shared,
            connections: rx,
        }
    }

    /// The WebSocket endpoint.
    pub fn endpoint(&self) -> String {
        format!("ws://127.0.0.1:{}/websocket", self.port)
    }

    /// A host builder pointed here with short timings.
    pub fn host(&self) -> IntervalBuilder {
        Interval::builder()
            .endpoint(self.endpoint())
            .api_key("test_key")
            .send_timeout(Duration::from_millis(500))
            .retry_interval(Duration::from_millis(50))
            .max_resend_attempts(3)
            .response_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
    }

    /// Changes how the next connections are treated.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().unwrap() = behaviour;
    }

    /// The next connection.
    pub async fn accept(&mut self) -> Peer {
        tokio::time::timeout(WAIT, self.connections.recv())
            .await
            .expect("no connection from the host")
            .expect("server gone")
    }

    /// The next connection, after answering its `INITIALIZE_HOST` with success.
    pub async fn accept_initialized(&mut self) -> (Peer, InitializeHostInputs) {
        let mut peer = self.accept().await;
        let inputs = peer.initialize().await;
        (peer, inputs)
    }

    /// Queues the JSON reply to the next HTTP API request.
    pub fn reply_http(&self, reply: Value) {
        self.shared.http_replies.lock().unwrap().push_back(reply);
    }

    /// HTTP API requests received so far.
    pub fn http_requests(&self) -> Vec<HttpRequest> {
        self.shared.http.lock().unwrap().clone()
    }

    /// Everything the host sent, as interop records.
    pub fn recorded(&self) -> Vec<Value> {
        self.shared.record.lock().unwrap().clone()
    }
}

async fn upgrade(
    State(shared): State<Shared>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> impl IntoResponse {
    ws.on_upgrade(move |socket| serve_socket(shared, headers, socket))
}

async fn http_api(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    shared.record.lock().unwrap().push(json!({
        "kind": "http", "path": uri.path(), "body": body.clone()
    }));
    shared.http.lock().unwrap().push(HttpRequest {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let reply = shared
        .http_replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| json!({"type": "error", "message": "no reply queued"}));
    Json(reply)
}

/// One host connection as the test sees it.
pub struct Peer {
    pub headers: HeaderMap,
    out: mpsc::UnboundedSender<Message>,
    incoming: mpsc::UnboundedReceiver<RpcMessage>,
    buffered: VecDeque<RpcMessage>,
    next_id: u64,
    freeze: Arc<Notify>,
    drop_now: Arc<Notify>,
    record: Arc<Mutex<Vec<Value>>>,
    /// Whether the host ACKed `"authenticated"`.
    pub authenticated_acked: Arc<Mutex<bool>>,
}

async fn serve_socket(shared: Shared, headers: HeaderMap, socket: WebSocket) {
    let behaviour = shared.behaviour.lock().unwrap().clone();
    let (mut sink, mut stream) = socket.split();
    if let Some((code, reason)) = behaviour.reject {
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
        return;
    }
    let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let freeze = Arc::new(Notify::new());
    let drop_now = Arc::new(Notify::new());
    let authenticated_acked = Arc::new(Mutex::new(false));
    let auth_id = interval_protocol::new_id().to_string();
    if behaviour.authenticate {
        let frame = Frame::Message {
            id: auth_id.clone(),
            data: AUTHENTICATED.into(),
        };
        out.send(Message::Text(frame.to_text().into())).unwrap();
    }
    let peer = Peer {
        headers,
        out: out.clone(),
        incoming: in_rx,
        buffered: VecDeque::new(),
        next_id: 1,
        freeze: freeze.clone(),
        drop_now: drop_now.clone(),
        record: shared.record.clone(),
        authenticated_acked: authenticated_acked.clone(),
    };
    if shared.connections.send(peer).is_err() {
        return;
    }
    let writer = async move {
        while let Some(message) = out_rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    };
    let reader = async {
        loop {
            let message = tokio::select! {
                m = stream.next() => m,
                _ = freeze.notified() => {
                    // Stop reading for good: no more ACKs, no more pongs.
                    std::future::pending::<()>().await;
                    None
                }
            };
            let Some(Ok(message)) = message else { break };
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(frame) = Frame::parse(text.as_str()) else {
                panic!("the host sent a malformed frame: {}", text.as_str());
            };
            match frame {
                Frame::Ack { id } => {
                    if id == auth_id {
                        *authenticated_acked.lock().unwrap() = true;
                    }
                }
                Frame::Message { id, data } => {
                    if behaviour.ack {
                        let _ = out.send(Message::Text(Frame::ack(id).to_text().into()));
                    }
                    let message: RpcMessage = serde_json::from_str(&data).unwrap_or_else(|e| {
                        panic!("the host sent a malformed RPC message ({e}): {data}")
                    });
                    let record = match message.kind {
                        RpcKind::Call => {
                            json!({"kind": "call", "method": message.method_name, "inputs": message.data})
                        }
                        RpcKind::Response => {
                            json!({"kind": "response", "method": message.method_name, "returns": message.data})
                        }
                    };
                    shared.record.lock().unwrap().push(record);
                    if in_tx.send(message).is_err() {
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        _ = writer => {}
        _ = reader => {}
        _ = drop_now.notified() => {}
    }
}

impl Peer {
    /// The next message the host sends (CALL or RESPONSE).
    pub async fn next(&mut self) -> RpcMessage {
        if let Some(message) = self.buffered.pop_front() {
            return message;
        }
        tokio::time::timeout(WAIT, self.incoming.recv())
            .await
            .expect("the host sent nothing")
            .expect("the connection closed")
    }

    /// The next CALL (RESPONSEs to `call_no_wait` are skipped).
    pub async fn next_call(&mut self) -> RpcMessage {
        loop {
            let message = self.next().await;
            if message.kind == RpcKind::Call {
                return message;
            }
        }
    }

    /// The next CALL, which must be of method `M`; returns its id and inputs.
    pub async fn expect<M: Method>(&mut self) -> (String, M::Inputs) {
        let message = self.next_call().await;
        assert_eq!(message.method_name, M::NAME, "unexpected call: {message:?}");
        let inputs = M::decode_inputs(message.data.clone())
            .unwrap_or_else(|e| panic!("invalid {} inputs ({e}): {:?}", M::NAME, message.data));
        (message.id, inputs)
    }

    /// Asserts that the host makes no call for `duration`.
    pub async fn expect_silence(&mut self, duration: Duration) {
        let calls = |m: &RpcMessage| m.kind == RpcKind::Call;
        if let Some(message) = self.buffered.iter().find(|m| calls(m)) {
            panic!("expected silence, got {message:?}");
        }
        let deadline = tokio::time::Instant::now() + duration;
        while let Ok(Some(message)) = tokio::time::timeout_at(deadline, self.incoming.recv()).await
        {
            assert!(!calls(&message), "expected silence, got {message:?}");
        }
    }

    /// Answers the host's CALL `id` of `M`.
    pub fn respond<M: Method>(&self, id: String, returns: &M::Returns) {
        let message =
            RpcMessage::response(id, M::NAME.into(), serde_json::to_value(returns).unwrap());
        self.send_text(Frame::message(message.to_text()).to_text());
    }

    /// Calls `M` on the host without waiting for the answer; returns the id.
    pub fn call_no_wait<M: Method>(&mut self, inputs: &M::Inputs) -> String {
        let id = format!("s{}", self.next_id);
        self.next_id += 1;
        let message = RpcMessage::call::<M>(id.clone(), inputs).unwrap();
        self.record.lock().unwrap().push(json!({
            "kind": "server_call", "method": M::NAME, "inputs": message.data
        }));
        self.send_text(Frame::message(message.to_text()).to_text());
        id
    }

    /// Calls `M` on the host and waits for its RESPONSE (other messages are
    /// kept for later).
    pub async fn call<M: Method>(&mut self, inputs: &M::Inputs) -> M::Returns {
        let id = self.call_no_wait::<M>(inputs);
        let mut others = Vec::new();
        let reply = loop {
            let message = tokio::time::timeout(WAIT, self.incoming.recv())
                .await
                .unwrap_or_else(|_| panic!("no response to {}", M::NAME))
                .expect("the connection closed");
            if message.kind == RpcKind::Response && message.id == id {
                break message;
            }
            others.push(message);
        };
        self.buffered.extend(others);
        M::decode_returns(reply.data).unwrap()
    }

    /// Sends a raw text frame.
    pub fn send_text(&self, text: String) {
        let _ = self.out.send(Message::Text(text.into()));
    }

    /// Sends an RPC payload (any string) in a MESSAGE frame.
    pub fn send_message(&self, data: &str) {
        self.send_text(Frame::message(data).to_text());
    }

    /// Answers `INITIALIZE_HOST` with success and returns what the host declared.
    pub async fn initialize(&mut self) -> InitializeHostInputs {
        let (id, inputs) = self.expect::<InitializeHost>().await;
        self.respond::<InitializeHost>(id, &Some(init_success()));
        inputs
    }

    /// Stops reading: the host's frames are no longer ACKed, its pings no
    /// longer answered.
    pub fn freeze(&self) {
        self.freeze.notify_one();
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_connection(self) {
        self.drop_now.notify_one();
    }

    /// Closes with a close frame.
    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.out.send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_owned().into(),
        })));
    }

    /// Whether the connection is gone (the writer dropped the channel).
    pub async fn wait_closed(&mut self) {
        let closed = async {
            loop {
                if self.incoming.recv().await.is_none() {
                    return;
                }
            }
        };
        tokio::time::timeout(WAIT, closed)
            .await
            .expect("the host did not close");
    }
}

/// A successful `INITIALIZE_HOST` reply.
pub fn init_success() -> InitializeHostReturns {
    InitializeHostReturns::Success {
        environment: "development".into(),
        invalid_slugs: vec![],
        organization: Organization {
            name: "Acme".into(),
            slug: "acme".into(),
        },
        dashboard_url: "http://127.0.0.1/dashboard/acme/develop/actions".into(),
        force_peer_messages: None,
        sdk_alert: None,
        warnings: vec![],
    }
}

/// `START_TRANSACTION` inputs for `slug`.
pub fn start(transaction_id: &str, slug: &str) -> StartTransactionInputs {
    StartTransactionInputs {
        transaction_id: transaction_id.into(),
        display_resolves_immediately: Some(false),
        action_name: slug.into(),
        action: ActionRef {
            slug: slug.into(),
            url: format!("http://127.0.0.1/dashboard/acme/develop/actions/{slug}"),
        },
        environment: "development".into(),
        user: User {
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            last_name: None,
            role: UserRole::Admin,
            teams: vec![],
        },
        params: Default::default(),
        params_meta: None,
    }
}
