//! End-to-end helpers (each test file uses some of them): the e2e Node host (tests/e2e/node-host.mjs) and the
//! browser scripts (tests/e2e/browser.mjs, identity.mjs, axe.mjs) that drive a
//! headless Chromium.

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use interval_server::RunningServer;

use crate::support::{ensure_npm_packages, NodeHost, KEY};

pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e")
}

/// The Chromium to drive: `$CHROMIUM`, else the Debian package's binary.
pub fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} is missing: install Chromium (`apt-get install chromium`, as .ci/run does) or set CHROMIUM",
        path.display()
    );
    path
}

/// Installs playwright-core and axe-core too (an older checkout's
/// node_modules may lack them).
fn ensure_playwright() {
    ensure_npm_packages();
    let interop = e2e_dir().join("../interop");
    let installed = ["playwright-core", "axe-core"].iter().all(|package| {
        interop
            .join("node_modules")
            .join(package)
            .join("package.json")
            .exists()
    });
    if !installed {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&interop)
            .status()
            .expect("npm is needed for these tests");
        assert!(status.success(), "npm ci failed in {}", interop.display());
    }
}

/// Runs the browser script against `server`; panics when a step fails.
/// With `screenshots`, the script also writes the README's PNGs there.
pub async fn run_browser(server: &RunningServer, screenshots: Option<PathBuf>) {
    let env = screenshots.map(|dir| ("SCREENSHOTS", dir.into_os_string()));
    run_script(server, "browser.mjs", env.into_iter().collect()).await;
}

/// Runs the browser script tests/e2e/`script` against `server`, with
/// `env` added to its environment; panics when a step fails.
pub async fn run_script(server: &RunningServer, script: &str, env: Vec<(&str, OsString)>) {
    run_script_at(&server.url(), script, env).await
}

/// Runs the browser script tests/e2e/`script` against the dashboard at
/// `url` (a server the test may restart meanwhile).
pub async fn run_script_at(url: &str, script: &str, env: Vec<(&str, OsString)>) {
    ensure_playwright();
    let mut command = Command::new("node");
    command
        .arg(e2e_dir().join(script))
        .env("BASE_URL", url)
        .env("API_KEY", KEY)
        .env("CHROMIUM", chromium())
        .envs(env)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let status = tokio::task::spawn_blocking(move || command.status())
        .await
        .expect("the browser script's thread")
        .expect("node is needed for these tests");
    assert!(
        status.success(),
        "the browser script {script} failed ({status})"
    );
}

/// The official `@interval/sdk` host of the e2e routes, killed on drop.
pub fn node_host(server: &RunningServer) -> NodeHost {
    NodeHost::script(server, &e2e_dir().join("node-host.mjs"))
}
