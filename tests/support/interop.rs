//! Runs `tests/interop/validate.mjs` (the official `@interval/sdk` schemas)
//! over recorded messages, installing its npm packages on first use.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Installs the npm packages once (`npm ci`), so that a fresh checkout needs
/// nothing but Node and npm.
fn ensure_installed() {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return;
    }
    let dir = interop_dir();
    if !dir.join("node_modules/@interval/sdk/package.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the interop tests (install Node 20 and npm)");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    *installed = true;
}

/// Validates `records` with the official schemas; returns the validator's
/// success and its output.
pub fn validate(records: &[Value]) -> (bool, String) {
    ensure_installed();
    let file = tempfile_path();
    std::fs::write(&file, serde_json::to_vec_pretty(records).unwrap()).unwrap();
    let output = Command::new("node")
        .arg(interop_dir().join("validate.mjs"))
        .arg(&file)
        .output()
        .expect("node is needed for the interop tests");
    let _ = std::fs::remove_file(&file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn tempfile_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "interval-interop-{}.json",
        interval_protocol::new_id()
    ))
}
