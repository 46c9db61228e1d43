//! Attacks of hosts (and HTTP API clients) that hold a valid key: each test
//! does something the server must refuse, and fails on a server that lets it
//! through.

mod support;

use std::future::Future;
use std::time::Duration;

use interval_protocol::host::{
    InitializeHost, InitializeHostInputs, InitializeHostReturns, MarkTransactionComplete,
    MarkTransactionCompleteInputs, SendIoCall, SendIoCallInputs, SendIoCallReturns,
    SendLoadingCall, SendLoadingCallInputs, SendLog, SendLogInputs, SendPage, SendPageInputs,
    SendRedirect, SendRedirectInputs,
};
use interval_protocol::result::ActionResultStatus;
use interval_protocol::server::{OpenPage, StartTransaction};
use interval_protocol::types::{
    ActionDefinition, LinkTarget, LoadingState, PageDefinition, ResultStatus,
};
use interval_protocol::Method;
use interval_server::api::{Event, Reply, Request};
use interval_server::{Limits, RunningServer, ServerConfig};
use serde_json::{json, Value};
use support::raw_host::RawHost;
use support::{server, server_with, Dashboard, KEY};

/// How long a test waits for what must happen at once (or within a
/// configured fraction of a second); a server without the fix makes it
/// wait forever.
const BOUND: Duration = Duration::from_secs(5);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within {BOUND:?}"))
}

fn action(slug: &str) -> ActionDefinition {
    ActionDefinition {
        slug: slug.into(),
        ..Default::default()
    }
}

fn page(slug: &str) -> PageDefinition {
    PageDefinition {
        slug: slug.into(),
        name: slug.into(),
        has_handler: Some(true),
        ..Default::default()
    }
}

/// Connects a raw host and sends INITIALIZE_HOST; returns the host and the
/// answer.
async fn initialize(
    server: &RunningServer,
    instance: &str,
    actions: Vec<ActionDefinition>,
    pages: Vec<PageDefinition>,
) -> (RawHost, Option<InitializeHostReturns>) {
    let mut host = RawHost::connect(&server.endpoint(), Some(KEY), instance).await;
    let inputs = InitializeHostInputs {
        actions,
        groups: Some(pages),
        sdk_name: Some("@interval/sdk".into()),
        sdk_version: Some("2.1.0".into()),
        ..Default::default()
    };
    let reply = host.call::<InitializeHost>(&inputs).await;
    (host, reply)
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

/// Starts `slug` from a new dashboard; `host` takes it and renders one call.
async fn start_on(server: &RunningServer, host: &mut RawHost, slug: &str) -> (Dashboard, String) {
    let mut dashboard = Dashboard::connect(server).await;
    // The host is ready for transactions a moment after it has its
    // INITIALIZE_HOST answer (once the server has the ACK).
    dashboard.wait_for_action(slug).await;
    let request = Request::StartTransaction {
        slug: slug.into(),
        params: Default::default(),
        queued_action_id: None,
    };
    let task = tokio::spawn(async move {
        let reply = dashboard.request(request).await;
        (dashboard, reply)
    });
    let (call, _) = host.expect::<StartTransaction>().await;
    host.respond(&call, Value::Null).await;
    let (mut dashboard, reply) = task.await.unwrap();
    let Ok(Reply::TransactionStarted { transaction_id: tx }) = reply else {
        panic!("not started: {reply:?}")
    };
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.clone(),
            io_call: render_json("Name"),
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, SendIoCallReturns::Accepted(true));
    assert!(matches!(dashboard.event().await, Event::Render { .. }));
    (dashboard, tx)
}

fn loading(id: &str, label: &str) -> SendLoadingCallInputs {
    SendLoadingCallInputs {
        transaction_id: id.into(),
        state: LoadingState {
            label: Some(label.into()),
            ..Default::default()
        },
        skip_client_call: None,
    }
}

fn redirect(id: &str) -> SendRedirectInputs {
    SendRedirectInputs {
        transaction_id: id.into(),
        target: LinkTarget::Url {
            url: "https://evil.example/".into(),
            download: None,
        },
        replace: None,
        skip_client_call: None,
    }
}

#[tokio::test]
async fn a_host_cannot_write_into_another_hosts_transaction() {
    let server = server().await;
    let (mut owner, _) = initialize(&server, "owner", vec![action("ask")], vec![]).await;
    let (mut intruder, _) = initialize(&server, "intruder", vec![action("other")], vec![]).await;
    let (mut dashboard, tx) = start_on(&server, &mut owner, "ask").await;

    // Every write gets the answer of an unknown transaction.
    let unknown = intruder
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: "no-such-transaction".into(),
            io_call: render_json("Password"),
            skip_client_call: None,
        })
        .await;
    let reply = intruder
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.clone(),
            io_call: render_json("Password"),
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, unknown);
    assert!(reply.refusal().is_some(), "{reply:?}");
    let log = SendLogInputs {
        transaction_id: tx.clone(),
        data: "written by the intruder".into(),
        index: None,
        timestamp: None,
        skip_client_call: None,
    };
    assert!(!intruder.call::<SendLog>(&log).await);
    assert!(!intruder.call::<SendRedirect>(&redirect(&tx)).await);
    assert!(
        !intruder
            .call::<SendLoadingCall>(&loading(&tx, "Hacked"))
            .await
    );
    let forged = MarkTransactionCompleteInputs {
        transaction_id: tx.clone(),
        result_status: Some(ResultStatus::Success),
        result: Some(r#"{"schemaVersion":1,"status":"SUCCESS","data":"forged"}"#.into()),
        skip_client_call: None,
    };
    assert!(!intruder.call::<MarkTransactionComplete>(&forged).await);

    // Nothing reached the dashboard: the owner's line is the next event.
    let line = SendLogInputs {
        data: "written by the owner".into(),
        ..log
    };
    assert!(owner.call::<SendLog>(&line).await);
    match dashboard.event().await {
        Event::Log { data, .. } => assert_eq!(data, "written by the owner"),
        other => panic!("the intruder reached the dashboard: {other:?}"),
    }
    // Nor the store.
    let Ok(Reply::Transaction { transaction, logs }) = dashboard
        .request(Request::Transaction {
            transaction_id: tx.clone(),
        })
        .await
    else {
        panic!("no transaction")
    };
    assert_ne!(transaction.status, "COMPLETED");
    assert_eq!(transaction.result_status, None);
    assert_eq!(transaction.result, None);
    let lines: Vec<_> = logs.iter().map(|l| l.data.as_str()).collect();
    assert_eq!(lines, ["written by the owner"]);

    // The owner still completes it.
    let done = MarkTransactionCompleteInputs {
        result: Some(r#"{"schemaVersion":1,"status":"SUCCESS","data":"mine"}"#.into()),
        ..forged
    };
    assert!(owner.call::<MarkTransactionComplete>(&done).await);
    // And a retried forgery of the completed transaction is still refused.
    assert!(
        !intruder
            .call::<MarkTransactionComplete>(&MarkTransactionCompleteInputs {
                transaction_id: tx.clone(),
                result_status: None,
                result: None,
                skip_client_call: None,
            })
            .await
    );
}

#[tokio::test]
async fn a_host_cannot_write_into_another_hosts_page() {
    let server = server().await;
    let (mut owner, _) = initialize(&server, "owner", vec![], vec![page("dash")]).await;
    let (mut intruder, _) = initialize(&server, "intruder", vec![action("x")], vec![]).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let opening = tokio::spawn(async move {
        let reply = dashboard
            .request(Request::OpenPage {
                slug: "dash".into(),
                params: Default::default(),
            })
            .await;
        (dashboard, reply)
    });
    let (call, inputs) = owner.expect::<OpenPage>().await;
    owner
        .respond(
            &call,
            json!({"type": "SUCCESS", "pageKey": inputs.page_key.clone()}),
        )
        .await;
    let (mut dashboard, reply) = opening.await.unwrap();
    let Ok(Reply::PageOpened { page_key }) = reply else {
        panic!("not opened: {reply:?}")
    };

    let layout = |title: &str| json!({"kind": "BASIC", "title": title}).to_string();
    let forged = SendPageInputs {
        page_key: page_key.clone(),
        page: Some(layout("Hacked")),
    };
    assert!(!intruder.call::<SendPage>(&forged).await);
    assert!(
        !intruder
            .call::<SendLoadingCall>(&loading(&page_key, "Hacked"))
            .await
    );
    assert!(!intruder.call::<SendRedirect>(&redirect(&page_key)).await);

    let real = SendPageInputs {
        page_key: page_key.clone(),
        page: Some(layout("Dashboard")),
    };
    assert!(owner.call::<SendPage>(&real).await);
    match dashboard.event().await {
        Event::PageRender { layout, .. } => {
            assert_eq!(layout.unwrap().title, Some(Some("Dashboard".into())))
        }
        other => panic!("the intruder reached the dashboard: {other:?}"),
    }
}

#[tokio::test]
async fn an_unreadable_failure_is_stored_as_a_failure() {
    let server = server().await;
    let (mut host, _) = initialize(&server, "h", vec![action("ask")], vec![]).await;
    let (mut dashboard, tx) = start_on(&server, &mut host, "ask").await;
    let done = host
        .call::<MarkTransactionComplete>(&MarkTransactionCompleteInputs {
            transaction_id: tx.clone(),
            result_status: Some(ResultStatus::Failure),
            result: Some("{not json".into()),
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
            assert_eq!(result_status, ResultStatus::Failure);
            let result = result.expect("a result explaining the failure");
            assert_eq!(result.status, ActionResultStatus::Failure);
            let message = result.data["message"].as_str().unwrap_or_default();
            assert!(message.contains("could not be read"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let record = server
        .state()
        .store
        .transaction(&tx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, "COMPLETED");
    assert_eq!(record.result_status.as_deref(), Some("FAILURE"));
}

/// A method no Interval server has.
struct Bogus;

impl Method for Bogus {
    const NAME: &'static str = "EXFILTRATE_EVERYTHING";
    type Inputs = Value;
    type Returns = Value;
}

#[tokio::test]
async fn an_unknown_method_is_answered_at_once() {
    let server = server().await;
    let (mut host, _) = initialize(&server, "h", vec![action("x")], vec![]).await;
    let reply = bounded(
        "an answer to an unknown method",
        host.call::<Bogus>(&json!({"all": true})),
    )
    .await;
    assert_eq!(reply["type"], "error", "{reply}");
    let message = reply["message"].as_str().unwrap_or_default();
    assert!(message.contains("EXFILTRATE_EVERYTHING"), "{message}");
    // The connection is still fine.
    let log = SendLogInputs {
        transaction_id: "nope".into(),
        data: "x".into(),
        index: None,
        timestamp: None,
        skip_client_call: None,
    };
    assert!(!host.call::<SendLog>(&log).await);
}

#[tokio::test]
async fn path_like_and_huge_slugs_are_invalid() {
    let server = server().await;
    let huge = "a".repeat(100_000);
    let nested = |group: &str, slug: &str| ActionDefinition {
        group_slug: Some(group.into()),
        slug: slug.into(),
        ..Default::default()
    };
    let actions = vec![
        action("fine.v2"),
        action(".."),
        action(".hidden"),
        action("trailing."),
        action("a..b"),
        action(&huge),
        nested("..", "x"),
        nested("users/..", "y"),
    ];
    let pages = vec![page("users"), page("users/.."), page(&huge)];
    let (_host, reply) = initialize(&server, "h", actions, pages).await;
    let Some(InitializeHostReturns::Success { invalid_slugs, .. }) = reply else {
        panic!("not initialized: {reply:?}")
    };
    let mut expected = vec![
        "..".to_owned(),
        ".hidden".into(),
        "trailing.".into(),
        "a..b".into(),
        huge.clone(),
        "../x".into(),
        "users/../y".into(),
    ];
    expected.sort();
    let mut invalid_slugs = invalid_slugs;
    invalid_slugs.sort();
    assert_eq!(invalid_slugs, expected);

    let mut dashboard = Dashboard::connect(&server).await;
    let Ok(Reply::Routes { actions, pages }) = dashboard.request(Request::Routes).await else {
        panic!("no routes")
    };
    let actions: Vec<_> = actions.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(actions, ["fine.v2"]);
    let pages: Vec<_> = pages.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(pages, ["users"]);
}

#[tokio::test]
async fn a_host_cannot_declare_countless_routes() {
    let limits = Limits {
        max_host_routes: 100,
        ..Limits::default()
    };
    let server = server_with(ServerConfig::default().limits(limits)).await;
    let actions = |n: usize| (0..n).map(|i| action(&format!("a{i}"))).collect::<Vec<_>>();
    let pages = |n: usize| (0..n).map(|i| page(&format!("p{i}"))).collect::<Vec<_>>();

    let (_flood, reply) = initialize(&server, "flood", actions(60), pages(41)).await;
    match reply {
        Some(InitializeHostReturns::Error { message, .. }) => {
            assert!(message.contains("101 actions and pages"), "{message}");
            assert!(message.contains("at most 100"), "{message}");
        }
        other => panic!("not refused: {other:?}"),
    }
    let mut dashboard = Dashboard::connect(&server).await;
    let Ok(Reply::Routes { actions: none, .. }) = dashboard.request(Request::Routes).await else {
        panic!("no routes")
    };
    assert!(none.is_empty(), "{none:?}");

    // Up to the limit is fine.
    let (_host, reply) = initialize(&server, "fine", actions(60), pages(40)).await;
    assert!(
        matches!(reply, Some(InitializeHostReturns::Success { .. })),
        "{reply:?}"
    );
}

#[tokio::test]
async fn only_bearer_authorization_is_taken() {
    let server = server().await;
    let http = reqwest::Client::new();
    let enqueue = |authorization: String| {
        http.post(format!("{}/api/actions/enqueue", server.url()))
            .header("authorization", authorization)
            .json(&json!({"slug": "no-such-action"}))
            .send()
    };
    for scheme in ["Basic", "Token", "Digest", "Bearerx", ""] {
        let reply = enqueue(format!("{scheme} {KEY}")).await.unwrap();
        assert_eq!(reply.status(), 401, "scheme {scheme:?}");
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["type"], "error", "{body}");
    }
    // The key itself was good: with the Bearer scheme, in any case, the
    // request gets past authorization (to "Action not found.").
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply = enqueue(format!("{scheme} {KEY}")).await.unwrap();
        assert_eq!(reply.status(), 404, "scheme {scheme:?}");
    }
}

#[tokio::test]
async fn a_host_that_stops_answering_pings_is_dropped() {
    let limits = Limits {
        host_ping_interval: Duration::from_millis(100),
        host_pong_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = server_with(ServerConfig::default().limits(limits)).await;
    let (mut silent, _) = initialize(&server, "silent", vec![action("ask")], vec![]).await;
    let (mut awake, _) = initialize(&server, "awake", vec![action("other")], vec![]).await;
    let (mut dashboard, tx) = start_on(&server, &mut silent, "ask").await;

    // The awake host keeps reading (and so answers pings) while it waits.
    let waiting = tokio::spawn(async move {
        let (call, _) = awake.expect::<StartTransaction>().await;
        awake.respond(&call, Value::Null).await;
        awake
    });
    // The silent host's socket stays open but is no longer read: its pongs
    // never leave. The server notices and closes it.
    let event = bounded("the drop of the silent host", dashboard.event()).await;
    assert_eq!(event, Event::HostClosed { id: tx });
    let Ok(Reply::Routes { actions, .. }) = dashboard.request(Request::Routes).await else {
        panic!("no routes")
    };
    let actions: Vec<_> = actions.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(actions, ["other"]);
    let closed = bounded("the close of the silent socket", silent.closed()).await;
    assert!(
        closed.code.is_none() || closed.code == Some(1011),
        "{closed:?}"
    );

    // The host that answers pings is still served.
    let started = dashboard
        .request(Request::StartTransaction {
            slug: "other".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await;
    assert!(
        matches!(started, Ok(Reply::TransactionStarted { .. })),
        "{started:?}"
    );
    bounded("the start on the awake host", waiting)
        .await
        .unwrap();
}
