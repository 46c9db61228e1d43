//! Ctrl-C and SIGTERM close a host (`run_until_signal`) within its
//! `shutdown_timeout` even with a form open, and a second signal closes it at
//! once. The host is this test binary run again as a child process.

#![cfg(unix)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use interval::protocol::host::{BeginHostShutdown, SendIoCall, SendIoCallReturns};
use interval::protocol::server::StartTransaction;
use interval::protocol::types::SuccessOrError;
use interval::{Action, Error, Interval};
use support::{start, Peer, TestServer};

const ENDPOINT: &str = "SIGNALS_TEST_ENDPOINT";
const TIMEOUT_MS: &str = "SIGNALS_TEST_SHUTDOWN_MS";

/// The child: a host with one action that waits on a form; runs until a
/// signal. Does nothing in an ordinary test run.
#[test]
fn child_host() {
    let Ok(endpoint) = std::env::var(ENDPOINT) else {
        return;
    };
    let timeout: u64 = std::env::var(TIMEOUT_MS).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let interval = Interval::builder()
            .endpoint(endpoint)
            .api_key("test_key")
            .shutdown_timeout(Duration::from_millis(timeout))
            .action(
                "ask",
                Action::new(|io, _ctx| async move {
                    let name = io.input().text("Name").await?;
                    Ok::<_, Error>(name)
                }),
            )
            .build();
        interval.listen().await.unwrap();
        interval.run_until_signal().await.unwrap();
    });
}

fn spawn_child(server: &TestServer, shutdown_timeout: Duration) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_host", "--nocapture", "--test-threads=1"])
        .env(ENDPOINT, server.endpoint())
        .env(TIMEOUT_MS, shutdown_timeout.as_millis().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child to exit; `None` if it did not within `within`.
async fn exited(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Connects the child and opens a form in one transaction.
async fn with_a_form_open(server: &mut TestServer) -> Peer {
    let (mut peer, _) = server.accept_initialized().await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    // `run_until_signal` listens right after `listen()` returned.
    tokio::time::sleep(Duration::from_millis(300)).await;
    peer
}

async fn accept_shutdown(peer: &mut Peer) {
    let (id, _) = peer.expect::<BeginHostShutdown>().await;
    peer.respond::<BeginHostShutdown>(id, &SuccessOrError::Success);
}

#[tokio::test]
async fn ctrl_c_with_a_form_open_closes_within_the_shutdown_timeout() {
    let mut server = TestServer::start().await;
    let mut child = spawn_child(&server, Duration::from_millis(800));
    let mut peer = with_a_form_open(&mut server).await;
    let signaled = Instant::now();
    kill(&child, "-INT");
    accept_shutdown(&mut peer).await;
    let status = exited(&mut child, Duration::from_secs(5)).await;
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("still running 5 s after Ctrl-C");
    };
    assert!(status.success(), "{status}");
    let took = signaled.elapsed();
    assert!(took >= Duration::from_millis(700), "did not wait: {took:?}");
}

#[tokio::test]
async fn a_second_signal_closes_at_once() {
    let mut server = TestServer::start().await;
    let mut child = spawn_child(&server, Duration::from_secs(60));
    let mut peer = with_a_form_open(&mut server).await;
    kill(&child, "-TERM");
    accept_shutdown(&mut peer).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "closed before the form"
    );
    kill(&child, "-INT");
    let Some(status) = exited(&mut child, Duration::from_secs(3)).await else {
        child.kill().unwrap();
        panic!("still running 3 s after the second signal");
    };
    assert!(status.success(), "{status}");
}
