//! The development server that outlives its host: with the embedded server
//! in detached mode, the first run of a program starts this same program
//! again in the background as the server (`INTERVAL_EMBEDDED_SERVE` set),
//! which writes where it listens to `server.json` in the state directory;
//! later runs find it there and connect to it. The dashboard tab stays
//! open across edits, rebuilds and reruns. The server exits once no host
//! has been connected for a while (`INTERVAL_EMBEDDED_IDLE_SECS`, 600).

use std::path::{Path, PathBuf};
use std::time::Duration;

use interval_server::RunningServer;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Set in the background process that serves the dashboard.
pub(crate) const SERVE: &str = "INTERVAL_EMBEDDED_SERVE";

/// How long the background server waits for a host before it exits.
const DEFAULT_IDLE: Duration = Duration::from_secs(600);

/// How long a run waits for the server it started to be ready.
const STARTUP: Duration = Duration::from_secs(30);

/// Where a background server listens, as `server.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Running {
    /// The dashboard.
    pub url: String,
    /// Where hosts connect.
    pub endpoint: String,
    /// The key hosts present.
    pub api_key: String,
    /// The server's process id.
    pub pid: u32,
}

/// Whether this process is the background server.
pub(crate) fn serving() -> bool {
    std::env::var_os(SERVE).is_some()
}

fn record(dir: &Path) -> PathBuf {
    dir.join("server.json")
}

/// The background server recorded in `dir`, if it answers.
async fn find(dir: &Path) -> Option<Running> {
    let text = std::fs::read_to_string(record(dir)).ok()?;
    let running: Running = serde_json::from_str(&text).ok()?;
    let health = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .ok()?
        .get(format!("{}/health", running.url))
        .send()
        .await
        .ok()?;
    health.status().is_success().then_some(running)
}

/// The background server of state directory `dir`: the one running, or a
/// new one (this program, started again in its own process group so that
/// Ctrl-C here does not stop it; its log goes to `server.log` there).
pub(crate) async fn find_or_start(dir: &Path) -> Result<Running> {
    if let Some(running) = find(dir).await {
        return Ok(running);
    }
    let exe = std::env::current_exe().map_err(|e| {
        Error::Config(format!(
            "could not find this program to start the dev server: {e}"
        ))
    })?;
    let mut log = std::fs::OpenOptions::new();
    log.create(true).append(true);
    // Owner-only, as the rest of the state directory.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut log, 0o600);
    let log = log
        .open(dir.join("server.log"))
        .map_err(|e| Error::Config(format!("could not open the dev server's log: {e}")))?;
    let mut command = std::process::Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env(SERVE, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command
        .spawn()
        .map_err(|e| Error::Config(format!("could not start the dev server: {e}")))?;
    let deadline = tokio::time::Instant::now() + STARTUP;
    loop {
        if let Some(running) = find(dir).await {
            // Another run may have started one first: whichever recorded
            // itself serves; the other exits when it sees it is not.
            return Ok(running);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::Config(format!(
                "the dev server (process {}) did not start; see {}",
                child.id(),
                dir.join("server.log").display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serves as the background server of state directory `dir` until no host
/// has been connected for the idle time, then exits the process. If
/// another one is already recorded and answering, exits at once.
pub(crate) async fn serve(server: RunningServer, dir: &Path) -> ! {
    if find(dir).await.is_some() {
        server.shutdown();
        server.closed().await;
        std::process::exit(0);
    }
    let running = Running {
        url: server.url(),
        endpoint: server.endpoint(),
        api_key: server.api_key().to_owned(),
        pid: std::process::id(),
    };
    if let Err(e) = write_private(&record(dir), &running) {
        eprintln!("error: could not record the dev server: {e}");
        std::process::exit(1);
    }
    let idle_for = std::env::var("INTERVAL_EMBEDDED_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_IDLE);
    let tick = (idle_for / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    let mut idle = Duration::ZERO;
    while idle < idle_for {
        tokio::time::sleep(tick).await;
        idle = match server.state().registry_host_count() {
            0 => idle + tick,
            _ => Duration::ZERO,
        };
    }
    eprintln!("no host for {idle_for:?}: the dev server stops");
    // Only its own record goes (a newer server may have replaced it).
    let still_mine = std::fs::read_to_string(record(dir))
        .ok()
        .and_then(|text| serde_json::from_str::<Running>(&text).ok())
        .is_some_and(|r| r.pid == running.pid);
    if still_mine {
        let _ = std::fs::remove_file(record(dir));
    }
    server.shutdown();
    server.closed().await;
    std::process::exit(0);
}

/// Writes `running` to `path` readable by its owner only (it holds the
/// hosts' key), in one step (a reader never sees half of it).
fn write_private(path: &Path, running: &Running) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(running).map_err(std::io::Error::other)?;
    let partial = path.with_extension("json.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&partial)?, text.as_bytes())?;
    std::fs::rename(partial, path)
}
