//! Server benchmark (a bench binary, not a timed test):
//!
//! ```sh
//! cargo bench -p interval-server --bench server
//! ```
//!
//! Measures, on loopback, each figure next to a baseline measured in the same
//! run so that the ratios hold on any machine:
//! - the I/O round trip host → server → dashboard client → host (p50, p99),
//!   against a bare WebSocket echo round trip;
//! - transactions started and completed per second, against bare echo
//!   messages per second at the same concurrency;
//! - resident memory of a server process idle and with 1,000 open
//!   transactions, against an idle bare axum process;
//! - the round trip and the transaction rate with the state in a SQLite
//!   file and in PostgreSQL, one against the other, and with the host and
//!   the dashboards on two nodes of one PostgreSQL against both on one
//!   node (the two nodes run in this process), when
//!   `INTERVAL_BENCH_POSTGRES_URL` (or `INTERVAL_TEST_POSTGRES_URL`) names
//!   a database (`eval "$(bash .ci/postgres start)"` starts one).
//!
//! `--nodes` measures only the last (two nodes against one).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "support/child.rs"]
mod child;

use child::Child;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use interval_core::{Action, Error, Interval};
use interval_protocol::io::{IoRender, IoResponseKind};
use interval_server::api::{BrowserResponse, Event, Reply, Request};
use interval_server::{Limits, ServerConfig};
use serde_json::json;
use support::Dashboard;
use tokio_tungstenite::tungstenite::Message;

const ROUND_TRIPS: usize = 2_000;
const TRANSACTIONS: usize = 2_000;
const CONCURRENCY: usize = 32;
const OPEN_TRANSACTIONS: usize = 1_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    match args.get(1).map(String::as_str) {
        Some("--serve") => runtime.block_on(serve_child(false)),
        Some("--serve-baseline") => runtime.block_on(serve_child(true)),
        Some("--nodes") => runtime.block_on(async {
            let database = std::env::var("INTERVAL_BENCH_POSTGRES_URL")
                .or_else(|_| std::env::var("INTERVAL_TEST_POSTGRES_URL"))
                .expect("INTERVAL_BENCH_POSTGRES_URL names a PostgreSQL database");
            nodes(&database).await
        }),
        _ => runtime.block_on(run()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn config() -> ServerConfig {
    ServerConfig::default().port(0).limits(Limits {
        browser_requests_per_second: 1_000_000,
        host_calls_per_second: 1_000_000,
        ..Limits::default()
    })
}

/// A bare WebSocket echo server on loopback; returns its URL.
async fn echo_server() -> String {
    use axum::extract::ws::{Message as AxumMessage, WebSocketUpgrade};
    let app = axum::Router::new().route(
        "/",
        axum::routing::any(|ws: WebSocketUpgrade| async move {
            ws.on_upgrade(|mut socket| async move {
                while let Some(Ok(message)) = socket.recv().await {
                    if let AxumMessage::Text(text) = message {
                        if socket.send(AxumMessage::Text(text)).await.is_err() {
                            break;
                        }
                    }
                }
            })
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("ws://{addr}/")
}

async fn echo_round_trips(url: &str) -> Vec<Duration> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let started = Instant::now();
        socket
            .send(Message::text(format!("{{\"n\":{i}}}")))
            .await
            .unwrap();
        socket.next().await.unwrap().unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    times
}

async fn echo_rate(url: &str) -> f64 {
    let started = Instant::now();
    let per_client = TRANSACTIONS / CONCURRENCY;
    let clients = (0..CONCURRENCY).map(|_| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            for i in 0..per_client {
                socket
                    .send(Message::text(format!("{{\"n\":{i}}}")))
                    .await
                    .unwrap();
                socket.next().await.unwrap().unwrap();
            }
        })
    });
    for client in clients {
        client.await.unwrap();
    }
    (per_client * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

async fn host(endpoint: String, key: String) -> Interval {
    let interval = Interval::builder()
        .endpoint(endpoint)
        .api_key(key)
        .log_level(interval_core::LogLevel::Quiet)
        .action(
            "echo",
            Action::new(|io, _ctx| async move {
                loop {
                    io.input().text("Say something").await?;
                }
                #[allow(unreachable_code)]
                Ok::<_, Error>(())
            }),
        )
        .action(
            "noop",
            Action::new(|_io, _ctx| async move { Ok::<_, Error>(1) }),
        )
        .action(
            "wait",
            Action::new(|io, _ctx| async move { io.input().text("Waiting").await }),
        )
        .build();
    interval.listen().await.expect("the host connects");
    interval
}

async fn interval_round_trips(dashboard: &mut Dashboard) -> Vec<Duration> {
    let Ok(Reply::TransactionStarted { transaction_id }) = dashboard
        .request(Request::StartTransaction {
            slug: "echo".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await
    else {
        panic!("not started")
    };
    let mut render = next_render(dashboard).await;
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let started = Instant::now();
        let response = BrowserResponse {
            id: render.id.clone(),
            input_group_key: render.input_group_key.clone(),
            kind: IoResponseKind::Return,
            values: vec![json!(format!("message {i}"))],
            values_meta: None,
            choice: None,
        };
        dashboard
            .request(Request::Respond {
                transaction_id: transaction_id.clone(),
                response,
                password: None,
            })
            .await
            .unwrap();
        render = next_render(dashboard).await;
        times.push(started.elapsed());
    }
    times.sort();
    times
}

async fn next_render(dashboard: &mut Dashboard) -> IoRender {
    loop {
        if let Event::Render { render, .. } = dashboard.event().await {
            return render;
        }
    }
}

async fn transaction_rate(server: &interval_server::RunningServer) -> f64 {
    let per_client = TRANSACTIONS / CONCURRENCY;
    let mut dashboards = Vec::new();
    for _ in 0..CONCURRENCY {
        dashboards.push(Dashboard::connect(server).await);
    }
    let started = Instant::now();
    let clients = dashboards.into_iter().map(|mut dashboard| {
        tokio::spawn(async move {
            for _ in 0..per_client {
                dashboard
                    .request(Request::StartTransaction {
                        slug: "noop".into(),
                        params: Default::default(),
                        queued_action_id: None,
                    })
                    .await
                    .unwrap();
                loop {
                    if let Event::Completed { .. } = dashboard.event().await {
                        break;
                    }
                }
            }
        })
    });
    for client in clients {
        client.await.unwrap();
    }
    (per_client * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

/// Child mode: runs a server (or a bare axum baseline) and prints its address.
async fn serve_child(baseline: bool) {
    if baseline {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    } else {
        let server = interval_server::start(config().api_key(support::KEY))
            .await
            .unwrap();
        println!("{}", server.addr());
        server.closed().await;
    }
}

/// Round trip p50 and p99, and transactions per second, of a server with
/// `config`.
async fn figures(config: ServerConfig) -> (Duration, Duration, f64) {
    let server = interval_server::start(config.api_key(support::KEY))
        .await
        .unwrap();
    let host = host(server.endpoint(), support::KEY.into()).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let rt = interval_round_trips(&mut dashboard).await;
    let rate = transaction_rate(&server).await;
    host.immediately_close();
    server.shutdown();
    server.closed().await;
    (percentile(&rt, 0.5), percentile(&rt, 0.99), rate)
}

/// The same figures with the state in a SQLite file, then in PostgreSQL.
async fn engines(database: &str) {
    let file =
        std::env::temp_dir().join(format!("interval-bench-{}.db", interval_protocol::new_id()));
    let sqlite = figures(config().database(&file)).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let mut postgres = config().database_url(database);
    postgres.database_options.schema =
        Some(format!("bench_{}", interval_protocol::new_id().simple()));
    let postgres = figures(postgres).await;
    println!("\nState in PostgreSQL (loopback) against a SQLite file, one node");
    for (what, pg, lite) in [("p50", postgres.0, sqlite.0), ("p99", postgres.1, sqlite.1)] {
        println!(
            "  round trip {what} {pg:>10.3?}   SQLite file {lite:>10.3?}   ratio {:.2}x",
            pg.as_secs_f64() / lite.as_secs_f64()
        );
    }
    println!(
        "  transactions {:>8.0}/s   SQLite file {:>8.0}/s   ratio {:.2}",
        postgres.2,
        sqlite.2,
        postgres.2 / sqlite.2
    );
}

/// A node of the state in `schema` of PostgreSQL `database`.
fn node(database: &str, schema: &str) -> ServerConfig {
    let mut config = config().database_url(database).api_key(support::KEY);
    config.database_options.schema = Some(schema.to_owned());
    config
}

/// The round trip and the transaction rate with the host on node A and
/// the dashboards on node B (their messages pass through PostgreSQL),
/// against host and dashboards on one node of the same database.
async fn nodes(database: &str) {
    let schema = format!("bench_{}", interval_protocol::new_id().simple());
    let one = figures(node(database, &schema)).await;
    let schema = format!("bench_{}", interval_protocol::new_id().simple());
    let a = interval_server::start(node(database, &schema))
        .await
        .unwrap();
    let b = interval_server::start(node(database, &schema))
        .await
        .unwrap();
    let host = host(a.endpoint(), support::KEY.into()).await;
    let mut dashboard = Dashboard::connect(&b).await;
    // Node B lists the host of node A once it has read the hosts table.
    loop {
        let routes = dashboard.request(Request::Routes).await.unwrap();
        if matches!(&routes, Reply::Routes { actions, .. } if actions.iter().any(|a| a.slug == "echo"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rt = interval_round_trips(&mut dashboard).await;
    let rate = transaction_rate(&b).await;
    host.immediately_close();
    for server in [a, b] {
        server.shutdown();
        server.closed().await;
    }
    let two = (percentile(&rt, 0.5), percentile(&rt, 0.99), rate);
    println!(
        "\nHost on node A, dashboards on node B (PostgreSQL, loopback) against both on one node"
    );
    for (what, cross, same) in [("p50", two.0, one.0), ("p99", two.1, one.1)] {
        println!(
            "  round trip {what} {cross:>10.3?}   one node {same:>10.3?}   ratio {:.2}x",
            cross.as_secs_f64() / same.as_secs_f64()
        );
    }
    println!(
        "  transactions {:>8.0}/s   one node {:>8.0}/s   ratio {:.2}",
        two.2,
        one.2,
        two.2 / one.2
    );
}

async fn run() {
    println!(
        "interval-server benchmark (loopback, {} CPUs)\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    let echo = echo_server().await;
    let baseline_rt = echo_round_trips(&echo).await;
    let server = interval_server::start(config().api_key(support::KEY))
        .await
        .unwrap();
    let _host = host(server.endpoint(), support::KEY.into()).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let rt = interval_round_trips(&mut dashboard).await;
    let (b50, b99) = (
        percentile(&baseline_rt, 0.5),
        percentile(&baseline_rt, 0.99),
    );
    let (p50, p99) = (percentile(&rt, 0.5), percentile(&rt, 0.99));
    println!("I/O round trip host -> server -> dashboard -> host ({ROUND_TRIPS} round trips)");
    println!(
        "  p50 {p50:>10.3?}   baseline (bare WebSocket echo) {b50:>10.3?}   ratio {:.1}x",
        p50.as_secs_f64() / b50.as_secs_f64()
    );
    println!(
        "  p99 {p99:>10.3?}   baseline (bare WebSocket echo) {b99:>10.3?}   ratio {:.1}x",
        p99.as_secs_f64() / b99.as_secs_f64()
    );

    let baseline_rate = echo_rate(&echo).await;
    let rate = transaction_rate(&server).await;
    println!("\nTransactions started and completed per second ({TRANSACTIONS}, {CONCURRENCY} dashboards)");
    println!(
        "  {rate:>10.0}/s   baseline (bare echo messages) {baseline_rate:>10.0}/s   ratio {:.2}",
        rate / baseline_rate
    );

    let baseline = Child::start("--serve-baseline");
    let child = Child::start("--serve");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (baseline_idle, idle) = (baseline.rss_kib(), child.rss_kib());
    let endpoint = format!("ws://{}/websocket", child.1);
    let waiting_host = host(endpoint, support::KEY.into()).await;
    let url = format!("ws://{}/api/dashboard", child.1);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    for id in 0..OPEN_TRANSACTIONS {
        let request = json!({"id": id, "request": {"type": "start_transaction", "slug": "wait"}});
        socket
            .send(Message::text(request.to_string()))
            .await
            .unwrap();
    }
    let mut renders = 0;
    while renders < OPEN_TRANSACTIONS {
        if let Some(Ok(Message::Text(text))) = socket.next().await {
            if text.as_str().contains("\"type\":\"render\"") {
                renders += 1;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open = child.rss_kib();
    waiting_host.immediately_close();
    println!("\nResident memory of a server process");
    println!("  idle                     {:>8.1} MiB   baseline (bare axum process) {:>6.1} MiB   ratio {:.1}x", idle as f64 / 1024.0, baseline_idle as f64 / 1024.0, idle as f64 / baseline_idle as f64);
    println!(
        "  {OPEN_TRANSACTIONS} open transactions   {:>8.1} MiB   (+{:.1} KiB per transaction)",
        open as f64 / 1024.0,
        (open.saturating_sub(idle)) as f64 / OPEN_TRANSACTIONS as f64
    );

    let database = std::env::var("INTERVAL_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("INTERVAL_TEST_POSTGRES_URL"));
    match database {
        Ok(database) => {
            engines(&database).await;
            nodes(&database).await;
        }
        Err(_) => {
            println!("\n(no INTERVAL_BENCH_POSTGRES_URL: SQLite against PostgreSQL not measured)")
        }
    }
}
