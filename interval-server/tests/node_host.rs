//! The official `@interval/sdk` (from npm) as the host, our server in the
//! middle, a client of the dashboard API as the browser.

mod support;

use std::time::Duration;

use interval_server::api::{Event, Reply, Request};
use serde_json::json;
use support::scenario::{self, HostTraits};
use support::{interop_dir, server, Dashboard, NodeHost};

/// The same path with the host on node A and the dashboard on node B of
/// one PostgreSQL: every request, render, loading state, log and page
/// update passes between the nodes.
#[tokio::test(flavor = "multi_thread")]
async fn an_official_node_host_on_one_node_serves_a_dashboard_on_another() {
    let Some((a, b, _store)) = support::two_nodes().await else {
        return;
    };
    let _host = NodeHost::start(&a);
    let mut dashboard = Dashboard::connect(&b).await;
    let traits = HostTraits { age: json!(36) };
    scenario::run(&mut dashboard, traits).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_official_node_host_runs_a_transaction_and_a_page() {
    let server = server().await;
    let _host = NodeHost::start(&server);
    let mut dashboard = Dashboard::connect(&server).await;
    let traits = HostTraits { age: json!(36) };
    scenario::run(&mut dashboard, traits).await;
}

/// Append-UI (PROTOCOL §6.6, gotcha 21): the official host keeps a finished
/// transaction until CLOSE_TRANSACTION, so its `safelyClose` waits; the
/// server sends it when the dashboard leaves the transaction.
#[tokio::test(flavor = "multi_thread")]
async fn leaving_a_finished_transaction_lets_an_official_node_host_close_safely() {
    let server = server().await;
    let mut host = NodeHost::script(&server, &interop_dir().join("closing-node-host.mjs"));
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("hello").await;
    let transaction_id = dashboard.start("hello").await;
    // The display resolved at once: no answer is given.
    loop {
        if let Event::Completed { result, .. } = dashboard.event().await {
            assert_eq!(result.expect("a result").data, json!("done"));
            break;
        }
    }
    let status = std::process::Command::new("kill")
        .args(["-USR2", &host.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        host.exited().is_none(),
        "the host closed while it kept a finished transaction"
    );
    let left = dashboard.request(Request::Leave { transaction_id }).await;
    assert_eq!(left, Ok(Reply::Ok));
    let deadline = tokio::time::Instant::now() + support::WAIT;
    let status = loop {
        if let Some(status) = host.exited() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the host still waits for its transaction"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
