//! Step latency in a real browser, a bench binary (not a timed test):
//!
//! ```sh
//! cargo bench -p interval-server --bench step_latency
//! ```
//!
//! For an official Node SDK host and for a Rust host (interval-core, in
//! this process), each on a fresh server: headless Chromium runs an action
//! of 60 text inputs, and tests/e2e/step-latency.mjs measures in the page
//! the time from the click on "Continue" to the next question's field.
//! The baseline, in the same run and the same browser: a bare page whose
//! form sends its value over a WebSocket to an echo server and shows the
//! next field when the echo comes back, the least any dashboard can do.
//! Needs Node, npm and Chromium, as the browser tests do.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/support/e2e.rs"]
mod e2e;

use std::ffi::OsString;

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::Html;
use interval_core::{Action, Error, Interval};
use interval_server::ServerConfig;

const STEPS: usize = 60;

/// The baseline page: a labelled field and a Continue button; the value
/// goes to `/echo` and the echo brings the next field.
const BASELINE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baseline</title></head>
<body><main><form id="form"><div id="io"></div><button>Continue</button></form></main>
<script>
  let step = 1
  const io = document.getElementById('io')
  const show = () => {
    io.innerHTML = `<label for="f${step}">Step ${step}</label><input id="f${step}" name="v">`
  }
  const socket = new WebSocket(`ws://${location.host}/echo`)
  socket.addEventListener('open', show)
  socket.addEventListener('message', () => { step += 1; show() })
  document.getElementById('form').addEventListener('submit', event => {
    event.preventDefault()
    socket.send(JSON.stringify({ step, value: io.querySelector('input').value }))
  })
</script></body></html>"#;

/// Serves the baseline page and its echo on loopback; returns its URL.
async fn baseline() -> String {
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { Html(BASELINE) }))
        .route(
            "/echo",
            axum::routing::any(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(message)) = socket.recv().await {
                        if let Message::Text(text) = message {
                            if socket.send(Message::Text(text)).await.is_err() {
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
    format!("http://{addr}/")
}

fn env(label: &str, baseline: &str) -> Vec<(&'static str, OsString)> {
    vec![
        ("BASELINE_URL", baseline.into()),
        ("STEPS", STEPS.to_string().into()),
        ("LABEL", label.into()),
    ]
}

#[tokio::main]
async fn main() {
    println!(
        "Step latency in headless Chromium: click on Continue to the next field ({STEPS} steps; {} CPUs)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let baseline = baseline().await;

    let server = support::server_with(ServerConfig::default()).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/steps-node-host.mjs");
    let steps = STEPS.to_string();
    let node_host = support::NodeHost::at(
        &server.endpoint(),
        &script,
        support::KEY,
        &[("STEPS", std::ffi::OsStr::new(&steps))],
    );
    support::Dashboard::connect(&server)
        .await
        .wait_for_action("steps")
        .await;
    e2e::run_script(
        &server,
        "step-latency.mjs",
        env("official Node SDK host", &baseline),
    )
    .await;
    drop(node_host);
    server.shutdown();
    server.closed().await;

    let server = support::server_with(ServerConfig::default()).await;
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(support::KEY)
        .log_level(interval_core::LogLevel::Quiet)
        .action(
            "steps",
            Action::new(|io, _ctx| async move {
                for i in 1..=STEPS + 1 {
                    io.input().text(format!("Step {i}")).await?;
                }
                Ok::<_, Error>("done")
            }),
        )
        .build();
    host.listen().await.expect("the Rust host connects");
    e2e::run_script(&server, "step-latency.mjs", env("Rust host", &baseline)).await;
    host.immediately_close();
    server.shutdown();
    server.closed().await;
}
