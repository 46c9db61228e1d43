//! Test helpers: a server on a loopback port, a client of the dashboard API,
//! and an official `@interval/sdk` host run with Node.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

pub mod raw_host;
pub mod scenario;

use futures_util::{SinkExt, StreamExt};
use interval_protocol::io::{IoRender, IoResponseKind};
use interval_server::api::{
    BrowserResponse, ClientMessage, Event, Patch, Reply, Request, ServerMessage,
};
use interval_server::{RunningServer, ServerConfig};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(20);
/// The development key test hosts use.
pub const KEY: &str = "dev_test_key";

/// A server with an in-memory database on a free port.
pub async fn server() -> RunningServer {
    server_with(ServerConfig::default()).await
}

/// A server with `config`, on a free port, accepting [`KEY`].
pub async fn server_with(config: ServerConfig) -> RunningServer {
    interval_server::start(config.port(0).api_key(KEY))
        .await
        .expect("server starts")
}

/// Two nodes sharing a new schema of the PostgreSQL database that
/// `INTERVAL_TEST_POSTGRES_URL` names (`None`, with a note, without one),
/// and that schema's store as the test reads it.
pub async fn two_nodes() -> Option<(RunningServer, RunningServer, interval_server::db::Store)> {
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("nodes_{}", interval_protocol::new_id().simple());
    let node = || {
        let mut config = ServerConfig::default().database_url(&database);
        config.database_options.schema = Some(schema.clone());
        server_with(config)
    };
    let a = node().await;
    let b = node().await;
    Some((a, b, schema_store(&database, &schema).await))
}

/// The store in `schema` of PostgreSQL `database`, as a test reads what
/// its server nodes wrote.
pub async fn schema_store(database: &str, schema: &str) -> interval_server::db::Store {
    interval_server::db::Store::connect(
        database,
        &interval_server::db::StoreOptions {
            max_connections: 1,
            schema: Some(schema.to_owned()),
            ..Default::default()
        },
    )
    .await
    .expect("the test database")
}

/// Logs in to `server`'s dashboard over HTTP with `password`, as a browser
/// does; returns the session cookie (`name=value`).
pub async fn log_in(server: &RunningServer, password: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let reply = http
        .post(format!("{}/login", server.url()))
        .form(&[("email", "admin@localhost"), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 303, "the login");
    let cookie = reply.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// A client of the dashboard API.
pub struct Dashboard {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: VecDeque<Event>,
    patches: VecDeque<Vec<Patch>>,
}

impl Dashboard {
    /// Connects to `server`.
    pub async fn connect(server: &RunningServer) -> Dashboard {
        Dashboard::connect_as(server, None).await
    }

    /// Connects to `server` with a login session cookie (`name=value`).
    pub async fn connect_as(server: &RunningServer, cookie: Option<&str>) -> Dashboard {
        Dashboard::connect_to(server.addr(), cookie).await
    }

    /// Connects to the server at `addr` (another process, say), with a
    /// login session cookie when given.
    pub async fn connect_to(addr: std::net::SocketAddr, cookie: Option<&str>) -> Dashboard {
        let mut request = format!("ws://{addr}/api/dashboard")
            .into_client_request()
            .unwrap();
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .expect("dashboard connects");
        Dashboard {
            socket,
            next_id: 1,
            events: VecDeque::new(),
            patches: VecDeque::new(),
        }
    }

    /// The next HTML patches (after [`Request::Html`]).
    pub async fn next_patches(&mut self) -> Vec<Patch> {
        if let Some(patches) = self.patches.pop_front() {
            return patches;
        }
        loop {
            match self.receive().await {
                ServerMessage::Patch { patches } => return patches,
                ServerMessage::Event { event } => self.events.push_back(event),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    async fn receive(&mut self) -> ServerMessage {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("the server sent nothing")
                .expect("the connection closed")
                .expect("websocket error");
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).expect("a typed server message");
            }
        }
    }

    /// Sends a request and waits for its answer (events are kept).
    pub async fn request(&mut self, request: Request) -> Result<Reply, String> {
        let id = self.next_id;
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMessage { id, request }).unwrap();
        self.socket.send(Message::text(text)).await.unwrap();
        loop {
            match self.receive().await {
                ServerMessage::Reply { id: reply, result } if reply == id => return Ok(result),
                ServerMessage::Failed { id: reply, message } if reply == id => return Err(message),
                ServerMessage::Event { event } => self.events.push_back(event),
                ServerMessage::Patch { patches } => self.patches.push_back(patches),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// The next event.
    pub async fn event(&mut self) -> Event {
        if let Some(event) = self.events.pop_front() {
            return event;
        }
        match self.receive().await {
            ServerMessage::Event { event } => event,
            other => panic!("unexpected message {other:?}"),
        }
    }

    /// The next render of a transaction (loading states and logs before it
    /// are skipped).
    pub async fn next_render(&mut self) -> IoRender {
        loop {
            match self.event().await {
                Event::Render { render, .. } => return render,
                Event::Loading { .. } | Event::Log { .. } => continue,
                other => panic!("expected a render, got {other:?}"),
            }
        }
    }

    /// Answers `render` of transaction `tx` and checks the server took it.
    pub async fn respond(
        &mut self,
        tx: &str,
        render: &IoRender,
        kind: IoResponseKind,
        values: Value,
    ) {
        let response = BrowserResponse {
            id: render.id.clone(),
            input_group_key: render.input_group_key.clone(),
            kind,
            values: serde_json::from_value(values).expect("an array of values"),
            values_meta: None,
            choice: Some("Continue".into()),
        };
        let reply = self
            .request(Request::Respond {
                transaction_id: tx.into(),
                response,
                password: None,
            })
            .await;
        assert_eq!(reply, Ok(Reply::Ok));
    }

    /// Starts action `slug`; its transaction id.
    pub async fn start(&mut self, slug: &str) -> String {
        let started = self
            .request(Request::StartTransaction {
                slug: slug.into(),
                params: Default::default(),
                queued_action_id: None,
            })
            .await;
        match started {
            Ok(Reply::TransactionStarted { transaction_id }) => transaction_id,
            other => panic!("{slug} did not start: {other:?}"),
        }
    }

    /// The data of the next result (other events before it are skipped).
    pub async fn result_data(&mut self) -> Value {
        loop {
            if let Event::Completed { result, .. } = self.event().await {
                return result.map(|r| r.data).unwrap_or(Value::Null);
            }
        }
    }

    /// Waits until some live host serves the action `slug`.
    pub async fn wait_for_action(&mut self, slug: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(Reply::Routes { actions, .. }) = self.request(Request::Routes).await {
                if actions.iter().any(|a| a.slug == slug) {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no host declared {slug}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Installs the official SDK with npm once (a fresh checkout needs only
/// Node and npm).
pub fn ensure_npm_packages() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let dir = interop_dir();
    if !dir.join("node_modules/@interval/sdk/package.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for these tests");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    *done = true;
}

/// An official `@interval/sdk` host run by Node (by default
/// tests/interop/node-host.mjs), killed on drop.
pub struct NodeHost(Child);

impl NodeHost {
    /// Starts it against `server`.
    pub fn start(server: &RunningServer) -> NodeHost {
        NodeHost::script(server, &interop_dir().join("node-host.mjs"))
    }

    /// Starts the host script at `path` against `server`.
    pub fn script(server: &RunningServer, path: &Path) -> NodeHost {
        NodeHost::script_with_key(server, path, KEY, &[])
    }

    /// Starts the host script at `path` against `server` with API key
    /// `key` (a live key, say) and `env` added to its environment.
    pub fn script_with_key(
        server: &RunningServer,
        path: &Path,
        key: &str,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> NodeHost {
        NodeHost::at(&server.endpoint(), path, key, env)
    }

    /// Starts the host script at `path` against the server whose hosts'
    /// endpoint is `endpoint` (a balancer's, say), with API key `key` and
    /// `env` added to its environment.
    pub fn at(
        endpoint: &str,
        path: &Path,
        key: &str,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> NodeHost {
        ensure_npm_packages();
        let child = Command::new("node")
            .arg(path)
            .env("INTERVAL_ENDPOINT", endpoint)
            .env("INTERVAL_API_KEY", key)
            .envs(env.iter().copied())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed for these tests");
        NodeHost(child)
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// Whether the process has exited, and how.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }

    /// Kills the process (as a crash would).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for NodeHost {
    fn drop(&mut self) {
        self.kill();
    }
}
