//! Several server nodes, and one killed (`kill -9`) with a form open in a
//! real headless Chromium: two `interval-server` processes share one
//! PostgreSQL behind nginx (Debian's, on loopback, started by the test; see
//! deploy/nginx-nodes.conf). The test's nginx sends hosts and dashboards
//! each to a chosen node first, the other as `backup`, so that the test
//! knows where each one is.
//!
//! - Hosts on node A, the browser on node B: the browser completes a form
//!   through an official Node SDK host and through a Rust host (their
//!   messages pass between the nodes), then node A is killed
//!   mid-transaction; the hosts reconnect to B, which takes the transaction
//!   over, and the same tab completes it (tests/e2e/multinode.mjs).
//! - Host and browser on node A, which is killed mid-transaction: both
//!   reconnect through the balancer to node B, which takes the transaction
//!   over once A's heartbeat is stale, and the same tab completes it
//!   (tests/e2e/restart.mjs: no reload, the answer given once). The same
//!   with node A stopped for a deploy (SIGTERM).
//!
//! Needs `INTERVAL_TEST_POSTGRES_URL` (`.ci/run` starts a PostgreSQL) and
//! nginx (`.ci/run` installs it).

#[path = "support/e2e.rs"]
mod e2e;
mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use interval_core::{Action, Error, Interval};
use support::KEY;
use tokio::net::TcpStream;

/// One `interval-server` process, killed on drop.
struct Node {
    child: Child,
    port: u16,
}

impl Node {
    /// Starts a node on a free port with its state in `schema` of the test
    /// database; returns once it is ready.
    async fn start(database: &str, schema: &str) -> Node {
        Node::start_with(database, schema, &[]).await
    }

    /// As [`Node::start`], with `extra` arguments.
    async fn start_with(database: &str, schema: &str, extra: &[&str]) -> Node {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_interval-server"))
            .args(["--port", &port.to_string()])
            .args(extra)
            .args(["--database", database, "--database-schema", schema])
            .args(["--api-key", KEY])
            .env(
                "RUST_LOG",
                std::env::var("INTERVAL_TEST_NODE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("INTERVAL_DATABASE")
            // The node's log (on stdout) when INTERVAL_TEST_NODE_LOG asks.
            .stdout(match std::env::var_os("INTERVAL_TEST_NODE_LOG") {
                Some(_) => Stdio::inherit(),
                None => Stdio::null(),
            })
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the interval-server binary starts");
        let node = Node { child, port };
        let ready = format!("http://127.0.0.1:{port}/ready");
        let deadline = tokio::time::Instant::now() + support::WAIT;
        loop {
            if let Ok(answer) = reqwest::get(&ready).await {
                if answer.status().is_success() {
                    return node;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "node on {port} is not ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `kill -9`: no goodbye to hosts, browsers or the database.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (see [`Node::stop`]) without waiting for the exit.
    fn terminate(&mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill(1)");
        assert!(stopped.success());
    }

    /// SIGTERM, as a deploy stops a node: it closes its connections (hosts
    /// and browsers move through the balancer), says in the database that
    /// it left, and exits.
    fn stop(&mut self) {
        self.terminate();
        let exited = self.child.wait().expect("the node exits");
        assert!(
            exited.success(),
            "the node exits cleanly on SIGTERM: {exited}"
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// nginx on a free loopback port, killed on drop: hosts (`/websocket`)
/// go to the first of `hosts`, dashboards (everything else) to the first of
/// `dashboards`, the others of each as `backup` (as
/// deploy/nginx-nodes.conf with a `backup`).
struct Balancer {
    nginx: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

impl Balancer {
    async fn start(backends: &[SocketAddr]) -> Balancer {
        Balancer::split(backends, backends).await
    }

    async fn split(hosts: &[SocketAddr], dashboards: &[SocketAddr]) -> Balancer {
        let dir =
            std::env::temp_dir().join(format!("interval-nginx-{}", interval_protocol::new_id()));
        std::fs::create_dir_all(&dir).expect("a directory for nginx");
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let servers = |backends: &[SocketAddr]| -> String {
            backends
                .iter()
                .enumerate()
                .map(|(i, b)| match i {
                    0 => format!("server {b} max_fails=1 fail_timeout=10s;\n"),
                    _ => format!("server {b} backup;\n"),
                })
                .collect()
        };
        let (host_servers, dashboard_servers) = (servers(hosts), servers(dashboards));
        let d = dir.display();
        let location = |path: &str, upstream: &str| {
            format!(
                "location {path} {{
      proxy_pass http://{upstream};
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $interval_connection;
      proxy_read_timeout 1h;
      proxy_buffering off;
    }}"
            )
        };
        let (to_hosts, to_dashboards) = (
            location("= /websocket", "interval_hosts"),
            location("/", "interval_dashboards"),
        );
        let config = format!(
            "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  map $http_upgrade $interval_connection {{ default upgrade; '' close; }}
  upstream interval_hosts {{ {host_servers} }}
  upstream interval_dashboards {{ {dashboard_servers} }}
  server {{
    listen {addr};
    proxy_http_version 1.1;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_connect_timeout 2s;
    {to_hosts}
    {to_dashboards}
  }}
}}
"
        );
        let file = dir.join("nginx.conf");
        std::fs::write(&file, config).expect("the nginx configuration");
        let nginx = Command::new(nginx_binary())
            .arg("-c")
            .arg(&file)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let deadline = tokio::time::Instant::now() + support::WAIT;
        while TcpStream::connect(addr).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nginx does not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Balancer { nginx, addr, dir }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx_binary() -> std::path::PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is needed for the failover test (Debian: apt-get install nginx)")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_loses_nothing_the_other_one_goes_on() {
    node_a_goes_away(Node::kill).await;
}

/// A rolling deploy: node A is stopped (SIGTERM) with a form open; its
/// transaction goes on on node B at once (A said it left).
#[tokio::test(flavor = "multi_thread")]
async fn a_node_stopped_for_a_deploy_hands_its_transaction_over() {
    node_a_goes_away(Node::stop).await;
}

async fn node_a_goes_away(away: fn(&mut Node)) {
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("failover_{}", interval_protocol::new_id().simple());
    let mut a = Node::start(&database, &schema).await;
    let b = Node::start(&database, &schema).await;
    let balancer = Balancer::start(&[a.addr(), b.addr()]).await;
    let front = balancer.addr;
    let url = format!("http://{front}");

    let (host, answers) = asking_host(format!("ws://{front}/websocket")).await;

    let script_url = url.clone();
    let browser = tokio::spawn(async move {
        e2e::run_script_at(&script_url, "restart.mjs", vec![]).await;
    });
    // The script opens the action; once its question is out, kill node A.
    wait_for_question(&database, &schema, "ask").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    away(&mut a);
    browser.await.expect("the browser script");
    assert_eq!(
        answers.load(Ordering::SeqCst),
        1,
        "the answer reached the action once"
    );
    // One transaction, completed by node B (A's heartbeat is gone).
    let store = support::schema_store(&database, &schema).await;
    let history = store.history(10).await.expect("the history");
    assert_eq!(history.len(), 1, "one transaction: {history:#?}");
    assert_eq!(history[0].status, "COMPLETED");
    assert_eq!(history[0].result_status.as_deref(), Some("SUCCESS"));
    assert!(history[0].node_id.is_some());
    host.immediately_close();
    drop(balancer);
    drop(b);
}

/// Several active nodes: an official Node SDK host and a Rust host on node
/// A, a browser on node B (nginx sends hosts to A and dashboards to B). The
/// browser completes a form through each host, its requests and the
/// hosts' renders passing between the nodes through PostgreSQL. Then node A
/// is killed with the Rust host's form open: the hosts reconnect to B, B
/// takes the transaction over, and the same tab completes it there, the
/// answer given once (tests/e2e/multinode.mjs).
#[tokio::test(flavor = "multi_thread")]
async fn a_browser_on_one_node_is_served_by_hosts_on_another() {
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("multinode_{}", interval_protocol::new_id().simple());
    let mut a = Node::start(&database, &schema).await;
    let b = Node::start(&database, &schema).await;
    let balancer = Balancer::split(&[a.addr(), b.addr()], &[b.addr(), a.addr()]).await;
    let front = balancer.addr;
    let endpoint = format!("ws://{front}/websocket");

    let (host, answers) = asking_host(&endpoint).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/e2e/multinode-node-host.mjs");
    let _node_host = support::NodeHost::at(&endpoint, &script, KEY, &[]);
    // Both hosts are on one node (A), as the database records them.
    let store = support::schema_store(&database, &schema).await;
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let (hosts, _) = store.hosts_elsewhere("none", 10_000).await.unwrap();
        if hosts.len() == 2 {
            assert_eq!(hosts[0].node_id, hosts[1].node_id, "{hosts:#?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hosts did not connect: {hosts:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Node B lists both hosts' actions (it reads the hosts table when one
    // changes, and every heartbeat).
    let mut on_b = support::Dashboard::connect_to(b.addr(), None).await;
    on_b.wait_for_action("greet_node").await;
    on_b.wait_for_action("ask").await;
    drop(on_b);

    let script_url = format!("http://{front}");
    let taken_over = std::env::temp_dir().join(format!(
        "interval-taken-over-{}",
        interval_protocol::new_id().simple()
    ));
    let killed = taken_over.with_extension("killed");
    let signals = vec![
        ("TAKEN_OVER", taken_over.clone().into_os_string()),
        ("KILLED", killed.clone().into_os_string()),
    ];
    let browser = tokio::spawn(async move {
        e2e::run_script_at(&script_url, "multinode.mjs", signals).await;
    });
    // The script completes the Node host's action, then opens the Rust
    // host's; once its question is out, node A is killed.
    wait_for_question(&database, &schema, "ask").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let node_a = history_of(&store, "ask").await.node_id;
    a.kill();
    std::fs::write(&killed, b"").expect("the signal file");
    // Node B runs it once the Rust host replayed it there: the tab goes on.
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while history_of(&store, "ask").await.node_id == node_a {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B did not take the transaction over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::write(&taken_over, b"").expect("the signal file");
    browser.await.expect("the browser script");
    assert_eq!(
        answers.load(Ordering::SeqCst),
        1,
        "the answer reached the action once"
    );
    let mut history = store.history(10).await.expect("the history");
    history.sort_by_key(|t| t.created_at);
    let slugs: Vec<&str> = history.iter().map(|t| t.action_slug.as_str()).collect();
    assert_eq!(slugs, ["greet_node", "ask"], "{history:#?}");
    for transaction in &history {
        assert_eq!(transaction.status, "COMPLETED", "{transaction:#?}");
        assert_eq!(transaction.result_status.as_deref(), Some("SUCCESS"));
    }
    // The Node host's run stayed on node A; the Rust host's moved to B.
    assert_ne!(history[0].node_id, history[1].node_id, "{history:#?}");
    let _ = std::fs::remove_file(&taken_over);
    let _ = std::fs::remove_file(&killed);
    host.immediately_close();
    drop(balancer);
    drop(b);
}

/// A node draining for a deploy (SIGTERM with `--shutdown-drain`) takes no
/// new connection: a host or dashboard upgrade gets 503, which the balancer
/// passes to the next node; the host it has keeps it until the drain ends,
/// and then moves too.
#[tokio::test(flavor = "multi_thread")]
async fn a_draining_node_sends_new_connections_to_the_others() {
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("drain_{}", interval_protocol::new_id().simple());
    let mut a = Node::start_with(&database, &schema, &["--shutdown-drain", "3s"]).await;
    let b = Node::start(&database, &schema).await;
    let balancer = Balancer::start(&[a.addr(), b.addr()]).await;
    let endpoint = format!("ws://{}/websocket", balancer.addr);
    let store = support::schema_store(&database, &schema).await;
    let connect = |slug: &'static str| {
        let endpoint = endpoint.clone();
        async move {
            let host = Interval::builder()
                .endpoint(endpoint)
                .api_key(KEY)
                .action(
                    slug,
                    Action::new(|_io, _ctx| async move { Ok::<_, Error>(()) }),
                )
                .build();
            host.listen().await.expect("the host connects");
            host
        }
    };
    let node_of = |slug: &'static str| {
        let store = &store;
        async move {
            let (hosts, _) = store.hosts_elsewhere("none", 10_000).await.unwrap();
            hosts
                .into_iter()
                .find(|h| h.actions.to_string().contains(slug))
                .map(|h| h.node_id)
        }
    };
    let patience = || tokio::time::Instant::now() + support::WAIT;
    let first = connect("first").await;
    let deadline = patience();
    let node_a = loop {
        if let Some(node) = node_of("first").await {
            break node;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first host is not listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    a.terminate();
    let ready = format!("http://{}/ready", a.addr());
    let deadline = patience();
    while reqwest::get(&ready).await.map(|r| r.status().as_u16()).ok() != Some(503) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node A does not drain"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Straight to node A: refused while it drains.
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/websocket", a.addr())).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 503)
        }
        other => panic!("a draining node took a connection: {other:?}"),
    }
    // Through the balancer: node B.
    let second = connect("second").await;
    let deadline = patience();
    let node_b = loop {
        if let Some(node) = node_of("second").await {
            break node;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second host is not listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(node_a, node_b, "the new host went to the other node");
    assert_eq!(
        node_of("first").await,
        Some(node_a.clone()),
        "the first host stays while A drains"
    );
    // The drain ends: node A exits, its host moves to B.
    let exited = a.child.wait().expect("node A exits");
    assert!(exited.success(), "{exited}");
    let deadline = patience();
    while node_of("first").await.as_deref() != Some(node_b.as_str()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first host did not move"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.immediately_close();
    second.immediately_close();
    drop(balancer);
    drop(b);
}

/// Three nodes: a host on node A, a dashboard on node B. Node A is killed
/// mid-transaction and the balancer sends the host to node C, which takes
/// the transaction over and tells node B (the database records where the
/// dashboard is); B's dashboard follows it to C, gets the replayed question
/// and completes it, the answer given once.
#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_moved_to_a_third_node_keeps_its_dashboard() {
    use interval_protocol::io::IoResponseKind;
    use interval_server::api::Event;
    use serde_json::json;
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("three_{}", interval_protocol::new_id().simple());
    let mut a = Node::start(&database, &schema).await;
    let b = Node::start(&database, &schema).await;
    let c = Node::start(&database, &schema).await;
    let balancer = Balancer::split(&[a.addr(), c.addr()], &[b.addr()]).await;
    let front = balancer.addr;

    let (host, answers) = asking_host(format!("ws://{front}/websocket")).await;

    let mut dashboard = support::Dashboard::connect_to(b.addr(), None).await;
    dashboard.wait_for_action("ask").await;
    let transaction_id = dashboard.start("ask").await;
    dashboard.next_render().await;
    let store = support::schema_store(&database, &schema).await;
    let node_a = history_of(&store, "ask").await.node_id;
    a.kill();

    // The question again, replayed by the host on node C.
    let render = loop {
        if let Event::Render { render, .. } = dashboard.event().await {
            break render;
        }
    };
    dashboard
        .respond(
            &transaction_id,
            &render,
            IoResponseKind::Return,
            json!(["Ada"]),
        )
        .await;
    assert_eq!(dashboard.result_data().await, json!("Hello, Ada!"));
    assert_eq!(answers.load(Ordering::SeqCst), 1);
    let record = history_of(&store, "ask").await;
    assert_eq!(record.status, "COMPLETED");
    assert_ne!(record.node_id, node_a, "node C runs it now");
    host.immediately_close();
    drop(balancer);
    drop((b, c));
}

/// Nodes started together on a new database: each migration is applied
/// once (an advisory lock), both nodes start, and they share one owner.
#[tokio::test(flavor = "multi_thread")]
async fn nodes_starting_together_on_a_new_database_share_it() {
    let Ok(database) = std::env::var("INTERVAL_TEST_POSTGRES_URL") else {
        eprintln!("skipped: INTERVAL_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("together_{}", interval_protocol::new_id().simple());
    let node = || {
        let mut config = interval_server::ServerConfig::default()
            .port(0)
            .database_url(&database);
        config.database_options.schema = Some(schema.clone());
        interval_server::start(config)
    };
    let (a, b, c) = tokio::join!(node(), node(), node());
    let (a, b, c) = (
        a.expect("node A starts"),
        b.expect("node B starts"),
        c.expect("node C starts"),
    );
    let people = a.state().store.people().await.expect("the accounts");
    assert_eq!(people.len(), 1, "one owner: {people:?}");
    for other in [&b, &c] {
        let owner = other.state().store.owner().await.unwrap().unwrap();
        assert_eq!(owner.id, people[0].id);
    }
    for node in [a, b, c] {
        node.shutdown();
        node.closed().await;
    }
}

/// Waits until node A's transaction waits for its answer (as the database
/// says: the test has no other view into a process).
async fn wait_for_question(database: &str, schema: &str, slug: &str) {
    let store = support::schema_store(database, schema).await;
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let history = store.history(10).await.expect("the history");
        if history
            .iter()
            .any(|t| t.status == "AWAITING_INPUT" && t.action_slug == slug)
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no question was asked"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A Rust host with action `ask` (a name, then a greeting), connected to
/// `endpoint`, and how many answers the action got.
async fn asking_host(endpoint: impl Into<String>) -> (Interval, Arc<AtomicUsize>) {
    let answers = Arc::new(AtomicUsize::new(0));
    let counted = answers.clone();
    let ask = Action::new(move |io, _ctx| {
        let counted = counted.clone();
        async move {
            let name = io.input().text("Name").await?;
            counted.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Error>(format!("Hello, {name}!"))
        }
    })
    .name("Ask a name");
    let host = Interval::builder()
        .endpoint(endpoint)
        .api_key(KEY)
        .action("ask", ask)
        .build();
    host.listen()
        .await
        .expect("the host connects through the balancer");
    (host, answers)
}

/// The latest transaction of action `slug`.
async fn history_of(
    store: &interval_server::db::Store,
    slug: &str,
) -> interval_server::db::TransactionRecord {
    let history = store.history(10).await.expect("the history");
    history
        .into_iter()
        .find(|t| t.action_slug == slug)
        .expect("a transaction of the action")
}
