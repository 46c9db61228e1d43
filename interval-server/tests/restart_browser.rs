//! A server restart with a form open in a real headless Chromium
//! (tests/e2e/restart.mjs): the tab reconnects by itself, the host replays
//! the question, and the person answers it in the same tab; a transaction
//! whose host never comes back says so and offers "Run again".

#[path = "support/e2e.rs"]
mod e2e;
mod support;

use std::time::Duration;

use interval_core::{Action, Error, Interval};
use interval_server::{RunningServer, ServerConfig};
use support::KEY;

fn config(path: &std::path::Path, port: u16) -> ServerConfig {
    ServerConfig::default()
        .database(path)
        .port(port)
        .port_fallback(false)
        .api_key(KEY)
        .host_reconnect_grace(Duration::from_secs(3))
}

/// Waits until `server` has a running transaction.
async fn wait_for_running(server: &RunningServer) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while server.state().transactions_in_memory() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "nothing started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a server on a new database file (and then on `port`, the same
/// file, for the restart), with a host whose one action asks a name.
async fn server_and_host() -> (std::path::PathBuf, RunningServer, Interval) {
    let path = std::env::temp_dir().join(format!(
        "interval-restart-browser-{}.db",
        interval_protocol::new_id()
    ));
    let server = interval_server::start(config(&path, 0)).await.unwrap();
    let ask = Action::new(|io, _ctx| async move {
        let name = io.input().text("Name").await?;
        Ok::<_, Error>(format!("Hello, {name}!"))
    })
    .name("Ask a name");
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action("ask", ask)
        .build();
    host.listen().await.expect("the host connects");
    support::Dashboard::connect(&server)
        .await
        .wait_for_action("ask")
        .await;
    (path, server, host)
}

fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let _ = std::fs::remove_dir_all(format!("{}.uploads", path.display()));
}

/// The host is gone for good when the server comes back: after the grace
/// period the tab says the transaction is lost and offers "Run again".
#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_whose_host_never_returns_offers_run_again() {
    let (path, first, host) = server_and_host().await;
    let port = first.addr().port();
    let url = first.url();
    let browser = tokio::spawn(async move {
        e2e::run_script_at(&url, "restart-lost.mjs", vec![]).await;
    });
    wait_for_running(&first).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    host.immediately_close();
    first.shutdown();
    first.closed().await;
    drop(first);
    let second = interval_server::start(config(&path, port)).await.unwrap();
    browser.await.expect("the browser script");
    second.shutdown();
    second.closed().await;
    remove_database(&path);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_leaves_the_tab_working() {
    let (path, first, host) = server_and_host().await;
    let port = first.addr().port();
    let url = first.url();
    let browser = tokio::spawn(async move {
        e2e::run_script_at(&url, "restart.mjs", vec![]).await;
    });
    // The script opens the action; once its question is out, restart.
    wait_for_running(&first).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.shutdown();
    first.closed().await;
    drop(first);
    let second = interval_server::start(config(&path, port)).await.unwrap();
    browser.await.expect("the browser script");
    host.immediately_close();
    second.shutdown();
    second.closed().await;
    remove_database(&path);
}
