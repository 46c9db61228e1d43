//! How the server treats hosts: keys, drops, reconnects, failover, restarts,
//! bad frames and floods.

mod support;

use std::time::Duration;

use interval_protocol::host::{
    MarkTransactionComplete, MarkTransactionCompleteInputs, SendIoCall, SendIoCallInputs,
    SendIoCallReturns,
};
use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::result::ActionResult;
use interval_protocol::server::{CloseTransaction, IoResponse as IoResponseCall, StartTransaction};
use interval_protocol::types::ResultStatus;
use interval_server::api::{BrowserResponse, Event, Reply, Request};
use interval_server::{Limits, ServerConfig};
use serde_json::{json, Value};
use support::raw_host::RawHost;
use support::{server, server_with, Dashboard, NodeHost, KEY};

fn start(slug: &str) -> Request {
    Request::StartTransaction {
        slug: slug.into(),
        params: Default::default(),
        queued_action_id: None,
    }
}

async fn started(dashboard: &mut Dashboard, slug: &str) -> String {
    match dashboard.request(start(slug)).await {
        Ok(Reply::TransactionStarted { transaction_id }) => transaction_id,
        other => panic!("not started: {other:?}"),
    }
}

fn render_json(label: &str) -> String {
    json!({
        "id": interval_protocol::new_id().to_string(),
        "inputGroupKey": "group-1",
        "toRender": [{"methodName": "INPUT_TEXT", "label": label, "props": {}, "isStateful": false, "isOptional": false, "isMultiple": false}],
        "kind": "RENDER"
    })
    .to_string()
}

#[tokio::test]
async fn wrong_or_missing_keys_are_closed_with_the_protocol_message() {
    let server = server().await;
    let mut host = RawHost::connect(&server.endpoint(), Some("dev_wrong"), "a").await;
    let closed = host.closed().await;
    assert_eq!(closed.code, Some(1008));
    assert!(closed.reason.starts_with("Invalid API key"), "{closed:?}");

    let mut host = RawHost::connect(&server.endpoint(), None, "b").await;
    let closed = host.closed().await;
    assert_eq!(closed.code, Some(1008));
    assert!(closed.reason.starts_with("Missing API key"), "{closed:?}");

    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    RawHost::initialized(&server.endpoint(), &live, "c", &["ok"]).await;
}

#[tokio::test]
async fn a_host_reconnecting_mid_transaction_gets_it_back() {
    let server = server().await;
    let mut dashboard = Dashboard::connect(&server).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "instance-1", &["ask"]).await;

    let dashboard_task = tokio::spawn(async move {
        let tx = started(&mut dashboard, "ask").await;
        (dashboard, tx)
    });
    let (call, inputs) = host.expect::<StartTransaction>().await;
    host.respond(&call, Value::Null).await;
    let (mut dashboard, tx) = dashboard_task.await.unwrap();
    assert_eq!(inputs.transaction_id, tx);
    assert_eq!(inputs.user.email, "admin@localhost");
    assert_eq!(inputs.environment, "development");

    let io_call = render_json("Name");
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.clone(),
            io_call: io_call.clone(),
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, SendIoCallReturns::Accepted(true));
    let Event::Render { render, .. } = dashboard.event().await else {
        panic!("no render")
    };

    host.drop_connection();
    assert_eq!(
        dashboard.event().await,
        Event::HostClosed { id: tx.clone() }
    );
    // While the host is away the answer cannot be delivered.
    let response = BrowserResponse {
        id: render.id.clone(),
        input_group_key: render.input_group_key.clone(),
        kind: IoResponseKind::Return,
        values: vec![json!("Ada")],
        values_meta: None,
        choice: None,
    };
    let refused = dashboard
        .request(Request::Respond {
            transaction_id: tx.clone(),
            response: response.clone(),
            password: None,
        })
        .await;
    assert!(refused.unwrap_err().contains("not connected"));

    // Same instance id: it re-initializes and replays its pending call.
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "instance-1", &["ask"]).await;
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.clone(),
            io_call,
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, SendIoCallReturns::Accepted(true));
    assert_eq!(
        dashboard.event().await,
        Event::HostReconnected { id: tx.clone() }
    );
    assert!(matches!(dashboard.event().await, Event::Render { .. }));

    let answer = tokio::spawn(async move {
        dashboard
            .request(Request::Respond {
                transaction_id: tx,
                response,
                password: None,
            })
            .await
            .unwrap();
        dashboard
    });
    let (call, inputs) = host.expect::<IoResponseCall>().await;
    host.respond(&call, Value::Null).await;
    let value: IoResponse = serde_json::from_str(&inputs.value).unwrap();
    assert_eq!(value.values, vec![json!("Ada")]);
    let mut dashboard = answer.await.unwrap();

    let result = serde_json::to_string(&ActionResult::success(json!("Hello, Ada"), None)).unwrap();
    let done = host
        .call::<MarkTransactionComplete>(&MarkTransactionCompleteInputs {
            transaction_id: value.transaction_id.clone(),
            result_status: Some(ResultStatus::Success),
            result: Some(result),
            skip_client_call: None,
        })
        .await;
    assert!(done);
    match dashboard.event().await {
        Event::Completed {
            result_status,
            result,
            ..
        } => {
            assert_eq!(result_status, ResultStatus::Success);
            assert_eq!(result.unwrap().data, json!("Hello, Ada"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_host_loses_its_transaction_and_another_host_takes_new_ones() {
    let server =
        server_with(ServerConfig::default().host_reconnect_grace(Duration::from_millis(300))).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let mut first = NodeHost::start(&server);
    dashboard.wait_for_action("register").await;
    let tx1 = started(&mut dashboard, "register").await;
    assert!(matches!(dashboard.event().await, Event::Render { .. }));

    let _second = NodeHost::start(&server);
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while server.state().registry_host_count() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second host never came"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();
    assert_eq!(
        dashboard.event().await,
        Event::HostClosed { id: tx1.clone() }
    );
    assert_eq!(
        dashboard.event().await,
        Event::HostDropped { id: tx1.clone() }
    );
    let Ok(Reply::Transaction { transaction, .. }) = dashboard
        .request(Request::Transaction {
            transaction_id: tx1,
        })
        .await
    else {
        panic!()
    };
    assert_eq!(transaction.status, "HOST_CONNECTION_DROPPED");

    let tx2 = started(&mut dashboard, "register").await;
    match dashboard.event().await {
        Event::Render {
            transaction_id,
            render,
            ..
        } => {
            assert_eq!(transaction_id, tx2);
            assert_eq!(render.to_render[0].method_name, "INPUT_TEXT");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_history_and_queued_actions() {
    let path = std::env::temp_dir().join(format!(
        "interval-restart-{}.db",
        interval_protocol::new_id()
    ));
    let config = || ServerConfig::default().database(&path);
    let server = server_with(config()).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let mut host = NodeHost::start(&server);
    dashboard.wait_for_action("register").await;
    let finished = started(&mut dashboard, "fail").await;
    assert!(matches!(dashboard.event().await, Event::Completed { .. }));
    let running = started(&mut dashboard, "register").await;
    assert!(matches!(dashboard.event().await, Event::Render { .. }));

    let http = reqwest::Client::new();
    let queued: Value = http
        .post(format!("{}/api/actions/enqueue", server.url()))
        .bearer_auth(KEY)
        .json(&json!({"slug": "register", "assignee": "admin@localhost", "params": {"n": 1}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued["type"], "success", "{queued}");
    host.kill();
    server.shutdown();
    server.closed().await;

    let server = server_with(config()).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let Ok(Reply::History { transactions }) =
        dashboard.request(Request::History { limit: None }).await
    else {
        panic!()
    };
    let status = |id: &str| {
        transactions
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.status.clone())
    };
    assert_eq!(status(&finished).as_deref(), Some("COMPLETED"));
    assert_eq!(status(&running).as_deref(), Some("HOST_CONNECTION_DROPPED"));
    let Ok(Reply::Queue { queued: items }) = dashboard.request(Request::Queue).await else {
        panic!()
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, queued["id"].as_str().unwrap());
    assert_eq!(items[0].assignee.as_deref(), Some("admin@localhost"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let _ = std::fs::remove_dir_all(format!("{}.uploads", path.display()));
}

#[tokio::test]
async fn malformed_frames_close_the_connection_clearly() {
    let server = server().await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "bad", &["x"]).await;
    host.send_text("this is not a frame".into()).await;
    let closed = host.closed().await;
    assert_eq!(closed.code, Some(1007));
    assert!(closed.reason.contains("Invalid frame"), "{closed:?}");
    // The server is fine.
    RawHost::initialized(&server.endpoint(), KEY, "good", &["x"]).await;
}

#[tokio::test]
async fn a_flood_of_calls_hits_the_rate_limit() {
    let limits = Limits {
        host_calls_per_second: 20,
        ..Limits::default()
    };
    let server = server_with(ServerConfig::default().limits(limits)).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "flood", &["x"]).await;
    for _ in 0..50 {
        host.call_no_wait::<SendIoCall>(&SendIoCallInputs {
            transaction_id: "nope".into(),
            io_call: render_json("x"),
            skip_client_call: None,
        })
        .await;
    }
    let closed = host.closed().await;
    assert_eq!(closed.code, Some(1008));
    assert!(
        closed.reason.starts_with("Rate limit exceeded"),
        "{closed:?}"
    );
}

#[tokio::test]
async fn io_calls_for_unknown_transactions_are_refused_with_a_message() {
    let server = server().await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "h", &["x"]).await;
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: "nope".into(),
            io_call: render_json("x"),
            skip_client_call: None,
        })
        .await;
    assert_eq!(
        serde_json::to_value(reply).unwrap(),
        json!({"type": "ERROR", "message": "Transaction not found."})
    );
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: "nope".into(),
            io_call: "{".into(),
            skip_client_call: None,
        })
        .await;
    assert_eq!(
        serde_json::to_value(reply).unwrap()["message"],
        json!("Invalid IO call.")
    );
}

/// Starts `slug` from a new dashboard and lets the raw host render one call.
async fn start_waiting(
    server: &interval_server::RunningServer,
    host: &mut RawHost,
    slug: &str,
) -> (Dashboard, String) {
    let mut dashboard = Dashboard::connect(server).await;
    let slug = slug.to_owned();
    let task = tokio::spawn(async move {
        let tx = started(&mut dashboard, &slug).await;
        (dashboard, tx)
    });
    let (call, _) = host.expect::<StartTransaction>().await;
    host.respond(&call, Value::Null).await;
    let (dashboard, tx) = task.await.unwrap();
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.clone(),
            io_call: render_json("Name"),
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, SendIoCallReturns::Accepted(true));
    (dashboard, tx)
}

#[tokio::test]
async fn leaving_cancels_what_cannot_run_in_the_background() {
    let server = server_with(
        ServerConfig::default().abandoned_transaction_grace(Duration::from_millis(200)),
    )
    .await;
    let definitions = vec![
        interval_protocol::types::ActionDefinition {
            slug: "ask".into(),
            ..Default::default()
        },
        interval_protocol::types::ActionDefinition {
            slug: "bg".into(),
            backgroundable: Some(true),
            ..Default::default()
        },
    ];
    let mut host = RawHost::declaring(&server.endpoint(), KEY, "h", definitions).await;

    // Leaving a backgroundable transaction leaves it running.
    let (mut dashboard, bg) = start_waiting(&server, &mut host, "bg").await;
    assert_eq!(
        dashboard
            .request(Request::Leave {
                transaction_id: bg.clone()
            })
            .await,
        Ok(Reply::Ok)
    );
    // Leaving a foreground one cancels it on the host.
    let (mut dashboard, ask) = start_waiting(&server, &mut host, "ask").await;
    let leaving = tokio::spawn(async move {
        dashboard
            .request(Request::Leave {
                transaction_id: ask.clone(),
            })
            .await
    });
    let (call, inputs) = host.expect::<IoResponseCall>().await;
    host.respond(&call, Value::Null).await;
    let value: IoResponse = serde_json::from_str(&inputs.value).unwrap();
    assert_eq!(value.kind, IoResponseKind::Canceled);
    // Canceled, it is closed on the (append-UI) host too.
    let (call, inputs) = host.expect::<CloseTransaction>().await;
    host.respond(&call, Value::Null).await;
    assert_eq!(inputs.transaction_id, value.transaction_id);
    assert_eq!(leaving.await.unwrap(), Ok(Reply::Ok));

    // A dashboard that drops gets a grace period, then its transaction is canceled.
    let (dashboard, dropped) = start_waiting(&server, &mut host, "ask").await;
    drop(dashboard);
    let (call, inputs) = host.expect::<IoResponseCall>().await;
    host.respond(&call, Value::Null).await;
    let value: IoResponse = serde_json::from_str(&inputs.value).unwrap();
    assert_eq!(
        (value.kind, value.transaction_id.as_str()),
        (IoResponseKind::Canceled, dropped.as_str())
    );
    let (call, inputs) = host.expect::<CloseTransaction>().await;
    host.respond(&call, Value::Null).await;
    assert_eq!(inputs.transaction_id, dropped);
    let record = server
        .state()
        .store
        .transaction(&dropped)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.result_status.as_deref(), Some("CANCELED"));
    // The backgroundable one still runs.
    let record = server
        .state()
        .store
        .transaction(&bg)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(record.status, "COMPLETED");
}
