//! The official `@interval/sdk` (from npm) as the host, our server in the
//! middle, a client of the dashboard API as the browser.

mod support;

use serde_json::json;
use support::scenario::{self, HostTraits};
use support::{server, Dashboard, NodeHost};

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
    let traits = HostTraits {
        page_rows: 30,
        age: json!(36),
    };
    scenario::run(&mut dashboard, traits).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_official_node_host_runs_a_transaction_and_a_page() {
    let server = server().await;
    let _host = NodeHost::start(&server);
    let mut dashboard = Dashboard::connect(&server).await;
    let traits = HostTraits {
        page_rows: 30,
        age: json!(36),
    };
    scenario::run(&mut dashboard, traits).await;
}
