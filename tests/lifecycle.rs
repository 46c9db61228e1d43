//! The host's life around its connection: connecting before the server is
//! up, coming back after a server restart, transactions the server forgot
//! meanwhile, and closing without noise.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use interval::protocol::host::{SendIoCall, SendIoCallReturns};
use interval::protocol::server::StartTransaction;
use interval::{Action, Error, Interval, LogLevel};
use interval_server::{RunningServer, ServerConfig};
use serde_json::{json, Value};
use support::{start, TestServer, WAIT};
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "dev_lifecycle_key";

fn ask() -> Action {
    Action::new(|io, _ctx| async move {
        let name = io.input().text("Name").await?;
        Ok::<_, Error>(format!("Hello, {name}"))
    })
}

/// A port nobody listens on (free when this returns).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// interval-server on `port`, keeping nothing across restarts.
async fn server_on(port: u16) -> RunningServer {
    interval_server::start(
        ServerConfig::default()
            .port(port)
            .port_fallback(false)
            .api_key(KEY),
    )
    .await
    .expect("the server starts")
}

/// interval-server in a runtime of its own, as in another process: stopping
/// it drops every connection at once, as the exit of a server process does.
struct ServerProcess {
    url: String,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    fn start(port: u16) -> ServerProcess {
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let server = runtime.block_on(server_on(port));
            url_tx.send(server.url()).unwrap();
            let _ = stop_rx.recv();
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        let url = url_rx.recv().expect("the server starts");
        ServerProcess {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Ends the "process".
    fn kill(mut self) {
        drop(self.stop.take());
        self.thread.take().unwrap().join().unwrap();
    }
}

fn host_for(port: u16) -> Interval {
    Interval::builder()
        .endpoint(format!("ws://127.0.0.1:{port}/websocket"))
        .api_key(KEY)
        .action("ask", ask())
        .build()
}

/// Waits until `done` holds, for at most `within`.
async fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn a_host_started_before_its_server_connects_once_it_is_up() {
    let port = free_port();
    let interval = host_for(port);
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !listening.is_finished(),
        "listen() gave up on the first connect"
    );
    let server = server_on(port).await;
    tokio::time::timeout(Duration::from_secs(5), listening)
        .await
        .expect("listen() still waiting 5 s after the server came up")
        .unwrap()
        .expect("listen() connects");
    assert!(interval.is_connected());
    interval.immediately_close();
    server.shutdown();
}

#[tokio::test]
async fn fail_fast_returns_the_first_connection_error() {
    let port = free_port();
    let started = Instant::now();
    let error = Interval::builder()
        .endpoint(format!("ws://127.0.0.1:{port}/websocket"))
        .api_key(KEY)
        .fail_fast(true)
        .build()
        .listen()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("could not connect"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Starts `ask` from a dashboard connection; returns the socket once the
/// host rendered its form.
async fn start_from_dashboard(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let endpoint = format!("{}/api/dashboard", url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(endpoint).await.unwrap();
    let request = json!({"id": 1, "request": {"type": "start_transaction", "slug": "ask"}});
    socket
        .send(Message::text(request.to_string()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("the server sent nothing")
            .expect("closed")
            .expect("websocket error");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["kind"] == "event" && value["event"]["type"] == "render" {
                return socket;
            }
        }
    }
}

#[tokio::test]
async fn after_a_server_restart_the_host_is_back_quickly_and_ends_what_the_server_forgot() {
    let port = free_port();
    let server = ServerProcess::start(port);
    let interval = host_for(port);
    interval.listen().await.unwrap();
    let _dashboard = start_from_dashboard(&server.url).await;
    assert_eq!(interval.open_count(), 1);

    server.kill();
    assert!(eventually(WAIT, || !interval.is_connected()).await);
    // The restarted server kept nothing: the transaction is unknown to it.
    let server = server_on(port).await;
    let up = Instant::now();
    assert!(
        eventually(WAIT, || interval.is_connected()).await,
        "no reconnect"
    );
    // The schedule itself (100 ms doubling, with jitter) is checked exactly
    // by backoff's unit tests; here only that it is not the old 3 s × attempt
    // wait, with room for a loaded machine.
    let back = up.elapsed();
    assert!(back < Duration::from_secs(6), "back after {back:?}");
    // Its replayed form is refused: the host no longer counts it as running.
    assert!(
        eventually(Duration::from_secs(3), || interval.open_count() == 0).await,
        "still {} open",
        interval.open_count()
    );
    interval.immediately_close();
    server.shutdown();
}

#[tokio::test]
async fn a_refused_replayed_display_ends_an_append_ui_transaction() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .action(
            "show",
            Action::new(|io, _ctx| async move {
                io.display().heading("Working").await?;
                // Busy with something that is not I/O, for ever.
                std::future::pending::<()>().await;
                Ok::<_, Error>(())
            }),
        )
        .build();
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let (mut peer, _) = server.accept_initialized().await;
    listening.await.unwrap().unwrap();
    let mut inputs = start("tx1", "show");
    inputs.display_resolves_immediately = Some(true);
    peer.call::<StartTransaction>(&inputs).await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    assert_eq!(interval.open_count(), 1);
    peer.drop_connection();

    let mut peer = server.accept().await;
    peer.initialize().await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(false));
    assert!(eventually(WAIT, || interval.open_count() == 0).await);
    interval.immediately_close();
}

/// A writer collecting log lines.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn closing_on_purpose_with_parked_transactions_logs_nothing_at_quiet() {
    // What LogLevel::Quiet shows: warnings and errors.
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .log_level(LogLevel::Quiet)
        .action("ask", ask())
        .build();
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let (mut peer, _) = server.accept_initialized().await;
    listening.await.unwrap().unwrap();
    const PARKED: usize = 200;
    for n in 0..PARKED {
        peer.call_no_wait::<StartTransaction>(&start(&format!("tx{n}"), "ask"));
    }
    for _ in 0..PARKED {
        let (id, _) = peer.expect::<SendIoCall>().await;
        peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    }
    assert!(eventually(WAIT, || interval.open_count() == PARKED).await);
    assert!(lines.0.lock().unwrap().is_empty());

    interval.immediately_close();
    assert!(eventually(WAIT, || interval.open_count() == 0).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged, "", "closing on purpose logged");
}
