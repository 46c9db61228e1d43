//! The development loop: with the embedded server in detached mode (the
//! default when a person runs the program from a terminal), the first run
//! starts the server in the background (this program again), a rerun
//! after an edit finds it and connects to it, and the server exits once no
//! host has come back for a while. Its own test binary: the background
//! server is this binary run again, which runs this one test.

use std::path::Path;
use std::time::Duration;

use interval::{Action, Error, Interval};
use serde_json::Value;

fn host() -> Interval {
    Interval::from_env()
        .action(
            "hello",
            Action::new(|io, _ctx| async move {
                let name = io.input().text("Name").await?;
                Ok::<_, Error>(format!("Hello, {name}"))
            }),
        )
        .build()
}

fn recorded(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("server.json")).ok()?;
    serde_json::from_str(&text).ok()
}

#[tokio::test]
async fn the_dev_server_outlives_a_run_and_serves_the_next_one() {
    let dir = std::env::var_os("INTERVAL_TEST_DEV_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("interval-dev-{}", std::process::id()))
        });
    // Inherited by the background server (this binary run again).
    std::env::set_var("INTERVAL_TEST_DEV_DIR", &dir);
    std::env::set_var("INTERVAL_DATABASE", dir.join("interval.db"));
    std::env::set_var("INTERVAL_PORT", "0");
    std::env::set_var("INTERVAL_EMBEDDED", "detached");
    std::env::set_var("INTERVAL_EMBEDDED_IDLE_SECS", "2");
    std::env::remove_var("INTERVAL_ENDPOINT");
    std::fs::create_dir_all(&dir).unwrap();

    let first = host();
    first
        .listen()
        .await
        .expect("the first run starts the dev server");
    let url = first.embedded_dashboard_url().expect("a dashboard URL");
    let server = recorded(&dir).expect("the dev server recorded itself");
    let pid = server["pid"].as_u64().unwrap();
    assert_ne!(
        pid,
        u64::from(std::process::id()),
        "it runs in its own process"
    );
    assert_eq!(server["url"], url.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("server.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "it holds the hosts' key");
        let log = std::fs::metadata(dir.join("server.log")).unwrap();
        assert_eq!(log.permissions().mode() & 0o777, 0o600, "its log too");
    }
    // The program ends (as on Ctrl-C); the server stays.
    first.immediately_close();
    drop(first);

    let second = host();
    second.listen().await.expect("the rerun connects");
    assert_eq!(
        second.embedded_dashboard_url().as_deref(),
        Some(url.as_str())
    );
    assert_eq!(
        recorded(&dir).unwrap()["pid"].as_u64(),
        Some(pid),
        "the same server"
    );
    let health: Value = reqwest::get(format!("{url}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["hosts"], 1, "{health}");
    second.immediately_close();

    // No host comes back: it stops, and its record goes with it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while recorded(&dir).is_some() || reqwest::get(format!("{url}/health")).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle dev server did not stop"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
