//! Attacks on the server, each bounded and on loopback: DNS rebinding,
//! cross-site requests, guessing the dashboard password or a live key, and
//! starving the async workers with slow secret checks.

mod support;

use std::time::Duration;

use interval_server::{CheckLimits, ServerConfig};
use support::raw_host::RawHost;
use support::server_with;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "correct-horse-battery";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Checks that lock out after 3 failures, with near-zero delays.
fn quick_lockout() -> CheckLimits {
    CheckLimits {
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        address_lockout_after: 3,
        account_lockout_after: 100,
        ..CheckLimits::default()
    }
}

#[tokio::test]
async fn a_rebound_name_gets_neither_pages_nor_the_dashboard_socket() {
    let server = server_with(ServerConfig::default()).await;
    let (url, addr) = (server.url(), server.addr());
    let rebound = format!("attacker.example:{}", addr.port());

    let page = http()
        .get(format!("{url}/"))
        .header("host", &rebound)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 421, "a page for a rebound name");
    let history = http()
        .get(format!("{url}/history"))
        .header("host", &rebound)
        .send()
        .await
        .unwrap();
    assert_eq!(history.status(), 421);

    // The dashboard socket, as the rebound page would open it.
    let mut request = format!("ws://{addr}/api/dashboard")
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("host", rebound.parse().unwrap());
    headers.insert("origin", format!("http://{rebound}").parse().unwrap());
    let upgrade = tokio_tungstenite::connect_async(request).await;
    assert!(upgrade.is_err(), "the socket upgraded for a rebound name");

    // The names nobody else controls still work.
    for host in [
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
    ] {
        let page = http()
            .get(format!("{url}/"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn another_site_cannot_drive_the_dashboard() {
    let server = server_with(ServerConfig::default()).await;
    let (url, addr) = (server.url(), server.addr());

    let mut request = format!("ws://{addr}/api/dashboard")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert!(
        tokio_tungstenite::connect_async(request).await.is_err(),
        "the socket upgraded for another site"
    );
    let form = http()
        .post(format!("{url}/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "admin@localhost"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);

    // The dashboard's own pages do.
    let mut request = format!("ws://{addr}/api/dashboard")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", format!("http://{addr}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

#[tokio::test]
async fn a_public_url_is_the_one_other_name_answered() {
    let config = ServerConfig::default().public_url("https://tools.example.com");
    let server = server_with(config).await;
    let ok = http()
        .get(format!("{}/", server.url()))
        .header("host", "tools.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let other = http()
        .get(format!("{}/", server.url()))
        .header("host", "other.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 421);
}

#[tokio::test]
async fn guessing_the_password_locks_the_address_out() {
    let config = ServerConfig::default()
        .dashboard_password(PASSWORD)
        .secret_checks(quick_lockout());
    let server = server_with(config).await;
    let login = |password: &'static str| {
        let url = format!("{}/login", server.url());
        async move {
            http()
                .post(url)
                .form(&[("email", "admin@localhost"), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(login("wrong guess").await, 401);
    }
    // Locked out: not even the right password is checked.
    assert_eq!(login(PASSWORD).await, 429);
}

#[tokio::test]
async fn guessing_a_live_key_locks_the_address_out() {
    let config = ServerConfig::default().secret_checks(quick_lockout());
    let server = server_with(config).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let endpoint = server.endpoint();
    // Same key id, another secret: the argon2 check fails.
    let (id_part, _secret) = live.rsplit_once('_').unwrap();
    let guess = format!("{id_part}_guessedsecret");
    for i in 0..3 {
        let mut host = RawHost::connect(&endpoint, Some(&guess), &format!("g{i}")).await;
        let closed = host.closed().await;
        assert_eq!(closed.reason, interval_server::INVALID_KEY, "guess {i}");
    }
    let mut host = RawHost::connect(&endpoint, Some(&live), "real").await;
    let closed = host.closed().await;
    assert!(
        closed.reason.contains("Too many failed attempts"),
        "the right key after a lockout: {closed:?}"
    );
    // The HTTP API refuses the address too.
    let enqueue = http()
        .post(format!("{}/api/actions/enqueue", server.url()))
        .bearer_auth(&live)
        .body(r#"{"slug":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(enqueue.status(), 429);
}

/// On a single worker thread, a password check must not stop the server:
/// `/health`, asked while the check runs, answers before it.
#[tokio::test(flavor = "current_thread")]
async fn a_password_check_does_not_block_the_async_workers() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let url = server.url();
    let login = tokio::spawn({
        let url = url.clone();
        async move {
            http()
                .post(format!("{url}/login"))
                .form(&[("email", "admin@localhost"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            std::time::Instant::now()
        }
    });
    // Let the login reach its argon2 check (tens of ms in a release build,
    // far longer in a debug one).
    tokio::time::sleep(Duration::from_millis(30)).await;
    let health = http().get(format!("{url}/health")).send().await.unwrap();
    let health_done = std::time::Instant::now();
    assert_eq!(health.status(), 200);
    let login_done = login.await.unwrap();
    assert!(
        health_done < login_done,
        "/health waited for the password check"
    );
}

fn start(slug: &str) -> interval_server::api::Request {
    interval_server::api::Request::StartTransaction {
        slug: slug.into(),
        params: Default::default(),
        queued_action_id: None,
    }
}

/// Waits until `n` hosts are ready for transactions: a host is ready once
/// the server has its ACK of the INITIALIZE_HOST answer, a moment after the
/// host has the answer itself.
async fn wait_for_hosts(server: &interval_server::RunningServer, n: usize) {
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while server.state().registry_host_count() < n {
        assert!(tokio::time::Instant::now() < deadline, "hosts not ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A host "h" serving `refund`, ready, and a dashboard.
async fn refund_host(server: &interval_server::RunningServer) -> (RawHost, support::Dashboard) {
    let host = RawHost::initialized(&server.endpoint(), support::KEY, "h", &["refund"]).await;
    wait_for_hosts(server, 1).await;
    (host, support::Dashboard::connect(server).await)
}

/// Starts `slug` from `dashboard`; `host` must be the one that gets it.
async fn run_on(
    dashboard: &mut support::Dashboard,
    host: &mut RawHost,
    slug: &str,
) -> interval_protocol::server::StartTransactionInputs {
    use interval_protocol::server::StartTransaction;
    let request = dashboard.request(start(slug));
    let taken = async {
        let (call, inputs) = host.expect::<StartTransaction>().await;
        host.respond(&call, serde_json::Value::Null).await;
        inputs
    };
    let (reply, inputs) = tokio::join!(request, taken);
    assert!(reply.is_ok(), "{reply:?}");
    inputs
}

#[tokio::test]
async fn development_hosts_never_get_production_runs() {
    use interval_protocol::server::StartTransaction;
    let server = server_with(ServerConfig::default()).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let endpoint = server.endpoint();
    let mut production = RawHost::initialized(&endpoint, &live, "prod", &["refund"]).await;
    let mut development =
        RawHost::initialized(&endpoint, support::KEY, "dev", &["refund", "draft"]).await;
    wait_for_hosts(&server, 2).await;
    let mut dashboard = support::Dashboard::connect(&server).await;

    for _ in 0..4 {
        let inputs = run_on(&mut dashboard, &mut production, "refund").await;
        assert_eq!(inputs.environment, "production");
    }
    let leaked = tokio::time::timeout(
        Duration::from_millis(300),
        development.expect::<StartTransaction>(),
    )
    .await;
    assert!(leaked.is_err(), "a development host got a production run");

    // In production, what only a development host serves does not exist.
    let refused = dashboard.request(start("draft")).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("There is no action")),
        "{refused:?}"
    );
    // In the owner's development environment it runs there.
    let mut console =
        support::Dashboard::connect_as(&server, Some("interval_environment=development")).await;
    let inputs = run_on(&mut console, &mut development, "draft").await;
    assert_eq!(inputs.environment, "development");
    assert_eq!(inputs.user.email, "admin@localhost");
}

#[tokio::test]
async fn an_instance_id_stays_with_the_key_that_first_used_it() {
    let server = server_with(ServerConfig::default()).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let endpoint = server.endpoint();
    let mut production = RawHost::initialized(&endpoint, &live, "prod", &["refund"]).await;

    // A development host claiming the production host's instance id.
    let mut impostor = RawHost::connect(&endpoint, Some(support::KEY), "prod").await;
    let closed = impostor.closed().await;
    assert_eq!(closed.reason, interval_server::INSTANCE_OF_ANOTHER_KEY);

    // The production host was not closed, and still gets its runs.
    wait_for_hosts(&server, 1).await;
    let mut dashboard = support::Dashboard::connect(&server).await;
    let inputs = run_on(&mut dashboard, &mut production, "refund").await;
    assert_eq!(inputs.environment, "production");
}

/// The database (API keys, params, results) is readable by its owner only,
/// even when it existed before with wider permissions.
#[cfg(unix)]
#[tokio::test]
async fn the_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("interval-perms-{}", interval_protocol::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fresh = dir.join("fresh.db");
    let widened = dir.join("widened.db");
    std::fs::write(&widened, b"").unwrap();
    std::fs::set_permissions(&widened, std::fs::Permissions::from_mode(0o644)).unwrap();
    for path in [&fresh, &widened] {
        let server = server_with(ServerConfig::default().database(path)).await;
        for file in [path.clone(), path.with_extension("db-wal")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "{} is mode {:o}",
                file.display(),
                mode & 0o777
            );
        }
        server.shutdown();
        server.closed().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_link_from_another_site_waits_for_a_click() {
    let server = server_with(ServerConfig::default()).await;
    let (_host, _dashboard) = refund_host(&server).await;
    let url = format!("{}/actions/refund?amount=100", server.url());
    let cross_site = http()
        .get(&url)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cross_site.contains("data-confirm"), "{cross_site}");
    assert!(cross_site.contains("Run this action?"));
    assert!(
        cross_site.contains("<dt>amount</dt>"),
        "the params are shown"
    );
    let from_another_referer = http()
        .get(&url)
        .header("referer", "https://evil.example/page")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(from_another_referer.contains("data-confirm"));

    for site in ["same-origin", "none"] {
        let own = http()
            .get(&url)
            .header("sec-fetch-site", site)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!own.contains("data-confirm"), "{site}");
    }
}

/// A dashboard that attaches after a transaction completed (a reload, a
/// reconnect after being too slow to read) still gets its outcome.
#[tokio::test]
async fn a_late_dashboard_gets_the_outcome() {
    use interval_protocol::host::{MarkTransactionComplete, MarkTransactionCompleteInputs};
    use interval_protocol::result::ActionResult;
    use interval_server::api::{Event, Reply, Request};
    let server = server_with(ServerConfig::default()).await;
    let (mut host, mut first) = refund_host(&server).await;
    let id = run_on(&mut first, &mut host, "refund").await.transaction_id;
    let result = ActionResult::success(serde_json::json!({"refunded": 42}), None);
    let done = host
        .call::<MarkTransactionComplete>(&MarkTransactionCompleteInputs {
            transaction_id: id.clone(),
            result_status: None,
            result: Some(serde_json::to_string(&result).unwrap()),
            skip_client_call: None,
        })
        .await;
    assert!(done);

    let mut late = support::Dashboard::connect(&server).await;
    let attached = late
        .request(Request::Attach {
            transaction_id: id.clone(),
        })
        .await;
    assert_eq!(attached, Ok(Reply::Ok));
    match late.event().await {
        Event::Completed {
            transaction_id,
            result: Some(result),
            ..
        } => {
            assert_eq!(transaction_id, id);
            assert_eq!(result.data, serde_json::json!({"refunded": 42}));
        }
        other => panic!("no outcome for a late dashboard: {other:?}"),
    }
}

/// A dashboard that re-attaches after a server restart, before the host
/// replays its call, gets the render once the host does.
#[tokio::test(flavor = "multi_thread")]
async fn a_dashboard_back_before_its_host_gets_the_replayed_render() {
    use interval_protocol::host::{SendIoCall, SendIoCallInputs};
    use interval_server::api::{Event, Reply, Request};
    let path = std::env::temp_dir().join(format!(
        "interval-reattach-{}.db",
        interval_protocol::new_id()
    ));
    let config = || ServerConfig::default().database(&path);
    let render = serde_json::json!({
        "id": interval_protocol::new_id().to_string(),
        "inputGroupKey": "group-1",
        "toRender": [{"methodName": "INPUT_TEXT", "label": "Amount", "props": {}, "isStateful": false, "isOptional": false, "isMultiple": false}],
        "kind": "RENDER"
    })
    .to_string();

    let server = server_with(config()).await;
    let (mut host, mut dashboard) = refund_host(&server).await;
    let id = run_on(&mut dashboard, &mut host, "refund")
        .await
        .transaction_id;
    let send = SendIoCallInputs {
        transaction_id: id.clone(),
        io_call: render.clone(),
        skip_client_call: None,
    };
    host.call::<SendIoCall>(&send).await;
    assert!(matches!(dashboard.event().await, Event::Render { .. }));
    host.drop_connection();
    server.shutdown();
    server.closed().await;

    let server = server_with(config()).await;
    let mut dashboard = support::Dashboard::connect(&server).await;
    let attached = dashboard
        .request(Request::Attach {
            transaction_id: id.clone(),
        })
        .await;
    assert_eq!(attached, Ok(Reply::Ok));
    // The host comes back and replays its pending call.
    let mut host = RawHost::initialized(&server.endpoint(), support::KEY, "h", &["refund"]).await;
    host.call::<SendIoCall>(&send).await;
    loop {
        match dashboard.event().await {
            Event::Render { transaction_id, .. } => {
                assert_eq!(transaction_id, id);
                break;
            }
            Event::HostClosed { .. } | Event::HostReconnected { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
    server.shutdown();
    server.closed().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn dashboard_connections_are_capped_per_address() {
    let limits = interval_server::Limits {
        max_dashboard_connections_per_address: 3,
        ..interval_server::Limits::default()
    };
    let server = server_with(ServerConfig::default().limits(limits)).await;
    let url = format!("ws://{}/api/dashboard", server.addr());
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(
            tokio_tungstenite::connect_async(&url)
                .await
                .expect("within the cap"),
        );
    }
    let refused = tokio_tungstenite::connect_async(&url).await;
    assert!(refused.is_err(), "a fourth connection from one address");
    // Closing one frees its slot.
    let (mut first, _) = open.remove(0);
    first.close(None).await.unwrap();
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = tokio_tungstenite::connect_async(&url).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        reopened.is_some(),
        "the slot of a closed connection was not given back"
    );
}

/// The typed dashboard API (`respond`) is held to the form's own checks:
/// `min 1` does not accept 0, `maxLength` does not accept more.
#[tokio::test]
async fn typed_answers_are_checked_as_the_form_is() {
    use interval_protocol::host::{SendIoCall, SendIoCallInputs};
    use interval_protocol::io::IoResponseKind;
    use interval_protocol::server::IoResponse as IoResponseCall;
    use interval_server::api::{BrowserResponse, Event, Reply, Request};
    let server = server_with(ServerConfig::default()).await;
    let (mut host, mut dashboard) = refund_host(&server).await;
    let id = run_on(&mut dashboard, &mut host, "refund")
        .await
        .transaction_id;
    let render_id = interval_protocol::new_id().to_string();
    let render = serde_json::json!({
        "id": render_id,
        "inputGroupKey": "g",
        "toRender": [
            {"methodName": "INPUT_NUMBER", "label": "Amount", "props": {"min": 1}, "isStateful": false, "isOptional": false, "isMultiple": false},
            {"methodName": "INPUT_TEXT", "label": "Reason", "props": {"maxLength": 5}, "isStateful": false, "isOptional": false, "isMultiple": false}
        ],
        "kind": "RENDER"
    });
    host.call::<SendIoCall>(&SendIoCallInputs {
        transaction_id: id.clone(),
        io_call: render.to_string(),
        skip_client_call: None,
    })
    .await;
    assert!(matches!(dashboard.event().await, Event::Render { .. }));
    let answer = |values: Vec<serde_json::Value>| Request::Respond {
        transaction_id: id.clone(),
        response: BrowserResponse {
            id: render_id.clone(),
            input_group_key: "g".into(),
            kind: IoResponseKind::Return,
            values,
            values_meta: None,
            choice: None,
        },
        password: None,
    };

    let refused = dashboard
        .request(answer(vec![
            serde_json::json!(0),
            serde_json::json!("far too long"),
        ]))
        .await;
    let Ok(Reply::Invalid { errors }) = refused else {
        panic!("out-of-range typed values were taken: {refused:?}");
    };
    assert_eq!(errors.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 1]);

    let taken = async {
        let (call, inputs) = host.expect::<IoResponseCall>().await;
        host.respond(&call, serde_json::Value::Null).await;
        inputs.value
    };
    let (reply, value) = tokio::join!(
        dashboard.request(answer(vec![
            serde_json::json!(5),
            serde_json::json!("late")
        ])),
        taken
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert!(value.contains("\"late\""), "{value}");
}

/// Finished transactions leave the server's memory once no dashboard shows
/// them (the store keeps them), and get no more upload URLs.
#[tokio::test]
async fn finished_transactions_are_forgotten_and_take_no_uploads() {
    use interval_protocol::host::{MarkTransactionComplete, MarkTransactionCompleteInputs};
    use interval_server::api::{Event, Request, UploadRequest};
    let server = server_with(ServerConfig::default()).await;
    let (mut host, mut dashboard) = refund_host(&server).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        let id = run_on(&mut dashboard, &mut host, "refund")
            .await
            .transaction_id;
        let done = host
            .call::<MarkTransactionComplete>(&MarkTransactionCompleteInputs {
                transaction_id: id.clone(),
                result_status: None,
                result: None,
                skip_client_call: None,
            })
            .await;
        assert!(done);
        assert!(matches!(dashboard.event().await, Event::Completed { .. }));
        ids.push(id);
    }
    let urls = dashboard
        .request(Request::UploadUrls {
            transaction_id: ids[0].clone(),
            files: vec![UploadRequest {
                name: "a.txt".into(),
                mime: "text/plain".into(),
                size: 1,
            }],
            input_group_key: None,
            index: None,
        })
        .await;
    assert!(
        urls.is_err(),
        "upload URLs for a finished transaction: {urls:?}"
    );

    // The dashboard that showed them leaves: they are forgotten.
    drop(dashboard);
    let mut forgotten = false;
    for _ in 0..100 {
        if server.state().transactions_in_memory() == 0 {
            forgotten = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        forgotten,
        "{} still in memory",
        server.state().transactions_in_memory()
    );
    // A dashboard that attaches later gets the outcome from the store.
    let mut late = support::Dashboard::connect(&server).await;
    late.request(Request::Attach {
        transaction_id: ids[3].clone(),
    })
    .await
    .unwrap();
    assert!(matches!(late.event().await, Event::Completed { .. }));
}

/// A host that sends calls and never reads the answers holds a bounded
/// number of calls in the server.
#[tokio::test]
async fn a_host_that_never_reads_holds_few_calls() {
    use interval_protocol::host::{SendLog, SendLogInputs};
    let limits = interval_server::Limits {
        host_calls_in_flight: 4,
        host_calls_per_second: 100_000,
        ..interval_server::Limits::default()
    };
    let server = server_with(ServerConfig::default().limits(limits)).await;
    let mut host = RawHost::initialized(&server.endpoint(), support::KEY, "h", &["x"]).await;
    let log = SendLogInputs {
        transaction_id: "not-mine".into(),
        data: "y".repeat(4_000),
        index: Some(0),
        timestamp: None,
        skip_client_call: None,
    };
    let mut sent = 0;
    for _ in 0..2_000 {
        let send = host.call_no_wait::<SendLog>(&log);
        if tokio::time::timeout(Duration::from_millis(100), send)
            .await
            .is_err()
        {
            break; // the server stopped reading: back-pressure
        }
        sent += 1;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, peak) = server.state().host_calls_in_flight();
    assert!(sent > 4, "only {sent} calls were sent");
    assert!((1..=4).contains(&peak), "{peak} calls in flight at once");
}

/// The binding of an instance id to its key outlives a server restart.
#[tokio::test(flavor = "multi_thread")]
async fn an_instance_id_stays_with_its_key_across_a_restart() {
    let path =
        std::env::temp_dir().join(format!("interval-bind-{}.db", interval_protocol::new_id()));
    let config = || ServerConfig::default().database(&path);
    let server = server_with(config()).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let production = RawHost::initialized(&server.endpoint(), &live, "prod", &["refund"]).await;
    production.drop_connection();
    server.shutdown();
    server.closed().await;

    let server = server_with(config()).await;
    let mut impostor = RawHost::connect(&server.endpoint(), Some(support::KEY), "prod").await;
    let closed = impostor.closed().await;
    assert_eq!(closed.reason, interval_server::INSTANCE_OF_ANOTHER_KEY);
    RawHost::initialized(&server.endpoint(), &live, "prod", &["refund"]).await;
    server.shutdown();
    server.closed().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A live key given to a server (the embedded one picks up
/// INTERVAL_API_KEY) would be stored in clear as its development key:
/// refused, saying what to do.
#[tokio::test]
async fn a_live_key_is_never_kept_as_the_development_key() {
    let config = ServerConfig::default()
        .port(0)
        .api_key("live_abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyz");
    let error = interval_server::start(config).await.err().expect("refused");
    assert!(error.to_string().contains("INTERVAL_ENDPOINT"), "{error}");
}
