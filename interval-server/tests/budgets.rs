//! Attacks on the dashboard socket's per-connection budgets: a client that
//! asks and never reads, one that does not read its events, one that
//! leaves with requests in flight. The server's own accounting
//! (`AppState::dashboard_backlogs`) must stay within
//! `Limits::browser_requests_in_flight` and `Limits::browser_queued_bytes`.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interval_protocol::host::{SendIoCall, SendIoCallInputs};
use interval_protocol::server::StartTransaction;
use interval_server::api::{ClientMessage, Request};
use interval_server::db::TransactionRecord;
use interval_server::{DashboardBacklog, Limits, RunningServer, ServerConfig, TOO_MUCH_UNREAD};
use serde_json::{json, Value};
use support::raw_host::RawHost;
use support::{server_with, KEY};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Requests a test connection may have in flight.
const IN_FLIGHT: usize = 4;
/// Bytes a test connection may have queued.
const QUEUED: usize = 512 << 10;
/// How long any phase of these tests may take.
const PHASE: Duration = Duration::from_secs(10);

fn config() -> ServerConfig {
    ServerConfig::default().limits(Limits {
        // Not the rate limit under test here.
        browser_requests_per_second: 1_000_000,
        browser_requests_in_flight: IN_FLIGHT,
        browser_queued_bytes: QUEUED,
        ..Limits::default()
    })
}

/// A dashboard socket that reads only when told to.
async fn connect(server: &RunningServer) -> Socket {
    let request = format!("ws://{}/api/dashboard", server.addr())
        .into_client_request()
        .unwrap();
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("dashboard connects");
    socket
}

async fn send(socket: &mut Socket, id: u64, request: Request) {
    let text = serde_json::to_string(&ClientMessage { id, request }).unwrap();
    timeout(PHASE, socket.send(Message::text(text)))
        .await
        .expect("the server takes requests")
        .expect("sent");
}

/// The only dashboard connection's accounting, checked against the
/// budgets.
fn backlog(server: &RunningServer) -> Option<DashboardBacklog> {
    let backlogs = server.state().dashboard_backlogs();
    assert!(backlogs.len() <= 1, "{backlogs:?}");
    let backlog = backlogs.first().copied()?;
    assert!(
        backlog.peak_requests_in_flight <= IN_FLIGHT,
        "requests in flight over the budget: {backlog:?}"
    );
    assert!(
        backlog.peak_queued_bytes <= QUEUED,
        "queued bytes over the budget: {backlog:?}"
    );
    Some(backlog)
}

/// Waits (within [`PHASE`]) until the connection's backlog satisfies `done`.
async fn until(server: &RunningServer, what: &str, done: impl Fn(&DashboardBacklog) -> bool) {
    let deadline = Instant::now() + PHASE;
    loop {
        if backlog(server).is_some_and(|b| done(&b)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {:?}",
            server.state().dashboard_backlogs()
        );
        sleep(Duration::from_millis(10)).await;
    }
}

/// `count` past transactions with about 2 kB of params each: a `history`
/// of them is about `count` × 2 kB.
async fn fill_history(server: &RunningServer, count: usize) {
    let padding = "p".repeat(2000);
    let owner = server.state().store.owner().await.unwrap().map(|p| p.id);
    for i in 0..count {
        let record = TransactionRecord {
            id: format!("past-{i}"),
            action_slug: "report".into(),
            status: "COMPLETED".into(),
            result_status: Some("SUCCESS".into()),
            params: json!({ "padding": padding }),
            result: None,
            host_instance_id: None,
            runner_email: "admin@localhost".into(),
            runner_id: owner.clone(),
            environment: "development".into(),
            created_at: i as i64,
            completed_at: Some(i as i64),
            node_id: None,
        };
        server
            .state()
            .store
            .insert_transaction(&record, None)
            .await
            .unwrap();
    }
}

/// The ids of the replies (and failures) in a server message.
fn reply_id(text: &str) -> Option<u64> {
    let message: Value = serde_json::from_str(text).expect("JSON");
    match message["kind"].as_str() {
        Some("reply") | Some("failed") => message["id"].as_u64(),
        _ => None,
    }
}

/// A dashboard that asks for large histories and does not read: the server
/// stops reading its requests at the budget (back-pressure, not buffering),
/// stays within the byte budget, and serves everything once it reads.
#[tokio::test]
async fn unread_replies_stall_the_connection_within_its_budgets() {
    let server = server_with(config()).await;
    // About 200 kB per reply: the budget holds two.
    fill_history(&server, 100).await;
    let mut socket = connect(&server).await;
    // More than the socket buffers of both ends absorb (a few MB).
    let requests = 80u64;
    for id in 1..=requests {
        send(&mut socket, id, Request::History { limit: Some(100) }).await;
    }
    until(
        &server,
        "the connection reaches its requests in flight",
        |b| b.requests_in_flight == IN_FLIGHT,
    )
    .await;
    // It stays there: the server does not take more while nothing is read.
    for _ in 0..20 {
        sleep(Duration::from_millis(10)).await;
        let now = backlog(&server).expect("still connected");
        assert_eq!(now.requests_in_flight, IN_FLIGHT, "{now:?}");
        assert!(!now.overflowed, "replies wait, they do not close: {now:?}");
    }

    // Reading resumes service: every request is answered once.
    let mut answered = HashSet::new();
    let deadline = Instant::now() + PHASE;
    while answered.len() < requests as usize {
        let message = timeout(deadline - Instant::now(), socket.next())
            .await
            .expect("every request is answered")
            .expect("the connection stays open")
            .expect("no websocket error");
        if let Message::Text(text) = message {
            if let Some(id) = reply_id(text.as_str()) {
                assert!(answered.insert(id), "request {id} answered twice");
            }
        }
    }
    until(&server, "everything written", |b| {
        b.requests_in_flight == 0 && b.queued_bytes == 0
    })
    .await;
    let done = backlog(&server).unwrap();
    assert_eq!(done.peak_requests_in_flight, IN_FLIGHT, "{done:?}");
}

/// A dashboard attached to a transaction whose host renders a lot, and that
/// does not read its events: once its queue would go over the byte budget
/// it is closed (1008, with the reason), and the connection is gone.
#[tokio::test]
async fn a_dashboard_that_does_not_read_its_events_is_closed() {
    let server = server_with(config()).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "renders", &["big"]).await;
    let mut socket = connect(&server).await;

    // The dashboard starts a transaction (and reads the answer).
    send(
        &mut socket,
        1,
        Request::StartTransaction {
            slug: "big".into(),
            params: Default::default(),
            queued_action_id: None,
        },
    )
    .await;
    let (call, inputs) = host.expect::<StartTransaction>().await;
    host.respond(&call, Value::Null).await;
    loop {
        let message = timeout(PHASE, socket.next())
            .await
            .expect("the transaction starts")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            if reply_id(text.as_str()) == Some(1) {
                assert!(text.as_str().contains(&inputs.transaction_id), "{text}");
                break;
            }
        }
    }

    // The host renders 64 kB forms, one after another; the dashboard stops
    // reading.
    let label = "l".repeat(64 << 10);
    let render = |n: usize| {
        json!({
            "id": format!("render-{n}"),
            "inputGroupKey": format!("group-{n}"),
            "toRender": [{"methodName": "INPUT_TEXT", "label": label, "props": {},
                "isStateful": false, "isOptional": false, "isMultiple": false}],
            "kind": "RENDER"
        })
        .to_string()
    };
    // Far more than the budget plus the socket buffers of both ends.
    let mut overflowed = false;
    for n in 0..400 {
        host.call_no_wait::<SendIoCall>(&SendIoCallInputs {
            transaction_id: inputs.transaction_id.clone(),
            io_call: render(n),
            skip_client_call: None,
        })
        .await;
        match backlog(&server) {
            Some(b) if b.overflowed => {
                overflowed = true;
                break;
            }
            Some(_) => {}
            None => {
                overflowed = true;
                break;
            }
        }
        // Lets the server catch up with the host.
        if n % 16 == 15 {
            sleep(Duration::from_millis(5)).await;
        }
    }
    if !overflowed {
        until(&server, "the connection goes over its byte budget", |b| {
            b.overflowed
        })
        .await;
    }

    // When it reads again, it finds why it was closed after what had been
    // sent.
    let deadline = Instant::now() + PHASE;
    let close = loop {
        let message = timeout(deadline - Instant::now(), socket.next())
            .await
            .expect("the server closes the connection");
        match message {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    };
    let close = close.expect("a close frame with a reason");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), TOO_MUCH_UNREAD);
    let deadline = Instant::now() + PHASE;
    while backlog(&server).is_some() {
        assert!(Instant::now() < deadline, "the connection is still listed");
        sleep(Duration::from_millis(10)).await;
    }
}

/// A dashboard that asks, does not read, and leaves: its requests end and
/// nothing of it stays.
#[tokio::test]
async fn a_dashboard_that_leaves_leaves_nothing_behind() {
    let server = server_with(config()).await;
    fill_history(&server, 100).await;
    let mut socket = connect(&server).await;
    for id in 1..=80 {
        send(&mut socket, id, Request::History { limit: Some(100) }).await;
    }
    until(
        &server,
        "the connection reaches its requests in flight",
        |b| b.requests_in_flight == IN_FLIGHT,
    )
    .await;
    drop(socket);
    let deadline = Instant::now() + PHASE;
    while backlog(&server).is_some() {
        assert!(
            Instant::now() < deadline,
            "the connection's requests are still there"
        );
        sleep(Duration::from_millis(10)).await;
    }
    // The server still serves dashboards.
    let mut dashboard = support::Dashboard::connect(&server).await;
    let reply = dashboard.request(Request::History { limit: Some(1) }).await;
    assert!(reply.is_ok(), "{reply:?}");
}
