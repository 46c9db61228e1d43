//! A server restart with a form open in a real headless Chromium
//! (tests/e2e/restart.mjs): the tab reconnects by itself, the host replays
//! the question, and the person answers it in the same tab; a transaction
//! whose host never comes back says so and offers "Run again". The restart
//! runs on a SQLite file, and on PostgreSQL when `INTERVAL_TEST_POSTGRES_URL`
//! names a database (`.ci/run` starts one): there the second server reads
//! what the first one wrote, as another node would.

#[path = "support/e2e.rs"]
mod e2e;
mod support;

use std::time::Duration;

use interval_core::{Action, Error, Interval};
use interval_server::{RunningServer, ServerConfig};
use support::KEY;

/// Where the servers of one test keep their state.
enum Storage {
    /// A SQLite file.
    File(std::path::PathBuf),
    /// A PostgreSQL database, in a schema of the test's own.
    Postgres { url: String, schema: String },
}

impl Storage {
    fn file() -> Storage {
        Storage::File(std::env::temp_dir().join(format!(
            "interval-restart-browser-{}.db",
            interval_protocol::new_id()
        )))
    }

    fn postgres() -> Option<Storage> {
        let url = std::env::var("INTERVAL_TEST_POSTGRES_URL").ok()?;
        Some(Storage::Postgres {
            url,
            schema: format!("restart_{}", interval_protocol::new_id().simple()),
        })
    }

    fn remove(&self) {
        if let Storage::File(path) = self {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let _ = std::fs::remove_dir_all(format!("{}.uploads", path.display()));
        }
    }
}

fn config(storage: &Storage, port: u16) -> ServerConfig {
    let config = match storage {
        Storage::File(path) => ServerConfig::default().database(path),
        Storage::Postgres { url, schema } => {
            let mut config = ServerConfig::default().database_url(url);
            config.database_options.schema = Some(schema.clone());
            config
        }
    };
    config
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

/// Starts a server on a new database (and then on `port`, the same
/// database, for the restart), with a host whose one action asks a name.
async fn server_and_host(storage: &Storage) -> (RunningServer, Interval) {
    let server = interval_server::start(config(storage, 0)).await.unwrap();
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
    (server, host)
}

/// The host is gone for good when the server comes back: after the grace
/// period the tab says the transaction is lost and offers "Run again".
#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_whose_host_never_returns_offers_run_again() {
    let storage = Storage::file();
    let (first, host) = server_and_host(&storage).await;
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
    let second = interval_server::start(config(&storage, port))
        .await
        .unwrap();
    browser.await.expect("the browser script");
    second.shutdown();
    second.closed().await;
    storage.remove();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_leaves_the_tab_working() {
    restart_leaves_the_tab_working(Storage::file()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_on_postgres_leaves_the_tab_working() {
    let Some(storage) = Storage::postgres() else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    restart_leaves_the_tab_working(storage).await;
}

async fn restart_leaves_the_tab_working(storage: Storage) {
    let (first, host) = server_and_host(&storage).await;
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
    let second = interval_server::start(config(&storage, port))
        .await
        .unwrap();
    browser.await.expect("the browser script");
    host.immediately_close();
    second.shutdown();
    second.closed().await;
    storage.remove();
}
