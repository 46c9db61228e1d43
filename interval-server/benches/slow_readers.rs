//! What dashboards that never read cost the server (a bench binary, not a
//! timed test):
//!
//! ```sh
//! cargo bench -p interval-server --bench slow_readers
//! ```
//!
//! A server process (this binary, as a child, so that only its memory is
//! counted) with 500 transactions in its history; its resident memory idle,
//! then while 4 dashboard sockets each ask for `history` (limit 500, about
//! half a megabyte a reply) 150 times a second for 10 seconds and never
//! read, then after they left. Their budgets (requests in flight, queued
//! bytes) keep the server's memory flat.

#[path = "support/child.rs"]
mod child;

use child::Child;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use interval_server::db::TransactionRecord;
use interval_server::{Limits, ServerConfig};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const READERS: usize = 4;
const RATE: u64 = 150;
const STORM: Duration = Duration::from_secs(10);
const HISTORY: usize = 500;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    match std::env::args().nth(1).as_deref() {
        Some("--serve") => runtime.block_on(serve()),
        _ => runtime.block_on(run()),
    }
}

/// The child: a server with a history to ask for.
async fn serve() {
    let config = ServerConfig::default().port(0).limits(Limits {
        // The rate limit is not what is measured: stay under it.
        browser_requests_per_second: 1_000,
        ..Limits::default()
    });
    let server = interval_server::start(config)
        .await
        .expect("the server starts");
    let store = &server.state().store;
    for i in 0..HISTORY {
        let record = TransactionRecord {
            id: format!("t{i:05}"),
            action_slug: "refund-order".into(),
            status: "COMPLETED".into(),
            result_status: Some("SUCCESS".into()),
            params: json!({"order": format!("A-{i}"), "note": "x".repeat(400)}),
            result: Some(json!({"schemaVersion": 1, "status": "SUCCESS", "data": {"refunded": i}})),
            host_instance_id: Some("bench".into()),
            runner_email: "ops@example.com".into(),
            runner_id: None,
            environment: "production".into(),
            created_at: i as i64,
            completed_at: Some(i as i64 + 1),
            node_id: None,
        };
        store
            .insert_transaction(&record, None)
            .await
            .expect("a transaction is stored");
    }
    println!("{}", server.addr());
    server.closed().await;
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn run() {
    let server = Child::start("--serve");
    let url = format!("ws://{}/api/dashboard", server.1);
    // Warm up: one reader that reads, so that the idle figure includes a
    // served history.
    {
        let (mut socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connects");
        let request = json!({"id": 1, "request": {"type": "history", "limit": HISTORY}});
        socket
            .send(Message::text(request.to_string()))
            .await
            .expect("sends");
        let _ = futures_util::StreamExt::next(&mut socket).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.rss_kib();

    let mut readers = Vec::new();
    for _ in 0..READERS {
        let url = url.clone();
        readers.push(tokio::spawn(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(&url)
                .await
                .expect("connects");
            let start = Instant::now();
            let mut id = 1u64;
            while start.elapsed() < STORM {
                let request = json!({"id": id, "request": {"type": "history", "limit": HISTORY}});
                // Sends only; never reads. A send that blocks is the
                // server's back-pressure.
                let sent = tokio::time::timeout(
                    Duration::from_millis(200),
                    socket.send(Message::text(request.to_string())),
                )
                .await;
                if matches!(sent, Ok(Err(_))) {
                    break;
                }
                id += 1;
                tokio::time::sleep(Duration::from_millis(1_000 / RATE)).await;
            }
            socket
        }));
    }
    let mut peak = idle;
    let start = Instant::now();
    while start.elapsed() < STORM {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(server.rss_kib());
    }
    let mut sockets = Vec::new();
    for reader in readers {
        if let Ok(socket) = reader.await {
            sockets.push(socket);
        }
    }
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_kib();

    println!("server resident memory (VmRSS), {HISTORY} transactions in its history:");
    println!(
        "  idle:                                   {:.1} MiB",
        mib(idle)
    );
    println!(
        "  peak, {READERS} dashboards not reading for {}s: {:.1} MiB ({:.2}x idle)",
        STORM.as_secs(),
        mib(peak),
        peak as f64 / idle as f64
    );
    println!(
        "  2 s after they left:                    {:.1} MiB",
        mib(after)
    );
}
