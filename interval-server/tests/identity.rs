//! `CONFIRM_IDENTITY` with a dashboard password: the server refuses answers
//! until the person re-enters the password (or logged in within the grace
//! period), so the host never hears an unconfirmed `true`.

mod support;

use interval_protocol::host::{SendIoCall, SendIoCallInputs, SendIoCallReturns};
use interval_protocol::io::{IoResponse, IoResponseKind};
use interval_protocol::server::{IoResponse as IoResponseCall, StartTransaction};
use interval_server::api::{BrowserResponse, Reply, Request};
use interval_server::ServerConfig;
use serde_json::{json, Value};
use support::raw_host::RawHost;
use support::{log_in, server, server_with, Dashboard, KEY};

const PASSWORD: &str = "correct-horse-battery";

/// The host renders a CONFIRM_IDENTITY (render `render_id`) in `tx`; the
/// server accepts it.
async fn render_confirm_identity(
    host: &mut RawHost,
    tx: &str,
    render_id: &str,
    label: &str,
    props: Value,
) {
    let io_call = json!({
        "id": render_id,
        "inputGroupKey": format!("group-{render_id}"),
        "toRender": [{"methodName": "CONFIRM_IDENTITY", "label": label, "props": props,
                      "isStateful": false, "isOptional": false, "isMultiple": false}],
        "kind": "RENDER"
    })
    .to_string();
    let reply = host
        .call::<SendIoCall>(&SendIoCallInputs {
            transaction_id: tx.to_owned(),
            io_call,
            skip_client_call: None,
        })
        .await;
    assert_eq!(reply, SendIoCallReturns::Accepted(true));
}

/// A transaction of `ask` waiting on a CONFIRM_IDENTITY render `render_id`
/// (the dashboard shows it as HTML); returns the transaction id and the
/// form's HTML.
async fn confirming(
    dashboard: &mut Dashboard,
    host: &mut RawHost,
    render_id: &str,
    props: Value,
) -> (String, String) {
    assert_eq!(dashboard.request(Request::Html).await, Ok(Reply::Ok));
    let start = Request::StartTransaction {
        slug: "ask".into(),
        params: Default::default(),
        queued_action_id: None,
    };
    let (started, _) = tokio::join!(dashboard.request(start), async {
        let (call, _) = host.expect::<StartTransaction>().await;
        host.respond(&call, Value::Null).await;
    });
    let Ok(Reply::TransactionStarted { transaction_id: tx }) = started else {
        panic!("not started: {started:?}")
    };
    render_confirm_identity(host, &tx, render_id, "Delete everything?", props).await;
    let patches = dashboard.next_patches().await;
    let form = patches
        .into_iter()
        .find(|p| p.target == "io")
        .expect("the form")
        .html;
    (tx, form)
}

fn submit(tx: &str, render_id: &str, answer: &str, password: Option<&str>) -> Request {
    Request::Submit {
        transaction_id: tx.into(),
        render_id: render_id.into(),
        input_group_key: format!("group-{render_id}"),
        choice: None,
        fields: vec![vec![answer.into()]],
        password: password.map(str::to_owned),
    }
}

fn answer(render_id: &str, value: bool, marker: &str) -> BrowserResponse {
    BrowserResponse {
        id: render_id.into(),
        input_group_key: format!("group-{render_id}"),
        kind: IoResponseKind::Return,
        values: vec![json!(value)],
        values_meta: None,
        choice: Some(marker.into()),
    }
}

fn invalid_message(reply: Result<Reply, String>) -> String {
    match reply {
        Ok(Reply::Invalid { errors }) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].index, 0);
            errors[0].message.clone()
        }
        other => panic!("expected the form refused, got {other:?}"),
    }
}

/// The next IO response the host receives (answering its call).
async fn host_hears(host: &mut RawHost) -> IoResponse {
    let (call, inputs) = host.expect::<IoResponseCall>().await;
    host.respond(&call, Value::Null).await;
    serde_json::from_str(&inputs.value).unwrap()
}

#[tokio::test]
async fn confirm_identity_needs_the_password() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let cookie = log_in(&server, PASSWORD).await;
    let mut dashboard = Dashboard::connect_as(&server, Some(&cookie)).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "h", &["ask"]).await;
    // No grace period: the password is asked even right after the login.
    let (tx, form) = confirming(&mut dashboard, &mut host, "r1", json!({})).await;
    assert!(
        form.contains(r#"name="__password" type="password""#),
        "{form}"
    );

    // `true` without the password: refused, on the form and on the typed API.
    let message = invalid_message(dashboard.request(submit(&tx, "r1", "true", None)).await);
    assert!(message.contains("password"), "{message}");
    let refused = dashboard
        .request(Request::Respond {
            transaction_id: tx.clone(),
            response: answer("r1", true, "no password"),
            password: None,
        })
        .await;
    assert!(refused.unwrap_err().contains("password"));

    // A wrong password: refused the same ways.
    let message = invalid_message(
        dashboard
            .request(submit(&tx, "r1", "true", Some("nope")))
            .await,
    );
    assert!(message.contains("Wrong password"), "{message}");
    let refused = dashboard
        .request(Request::Respond {
            transaction_id: tx.clone(),
            response: answer("r1", true, "wrong password"),
            password: Some("nope".into()),
        })
        .await;
    assert!(refused.unwrap_err().contains("Wrong password"));

    // An answer to something else is refused while the requirement stands.
    let refused = dashboard
        .request(Request::Respond {
            transaction_id: tx.clone(),
            response: answer("other", true, "other render"),
            password: Some(PASSWORD.into()),
        })
        .await;
    assert!(refused.unwrap_err().contains("identity"));

    // The right password: the host hears `true`, and it is the first
    // answer it hears (the submissions without a choice and the marked
    // refused answers never reached it).
    let (reply, heard) = tokio::join!(
        dashboard.request(Request::Respond {
            transaction_id: tx.clone(),
            response: answer("r1", true, "right"),
            password: Some(PASSWORD.into()),
        }),
        host_hears(&mut host)
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert_eq!(heard.choice.as_deref(), Some("right"));
    assert_eq!(heard.values, vec![json!(true)]);
    assert_eq!(heard.id, "r1");

    // The form path works too, on a second confirmation.
    render_confirm_identity(&mut host, &tx, "r2", "Again?", json!({})).await;
    dashboard.next_patches().await;
    let (reply, heard) = tokio::join!(
        dashboard.request(submit(&tx, "r2", "true", Some(PASSWORD))),
        host_hears(&mut host)
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert_eq!(
        (heard.id.as_str(), heard.values.clone()),
        ("r2", vec![json!(true)])
    );
}

#[tokio::test]
async fn declining_needs_no_password() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let cookie = log_in(&server, PASSWORD).await;
    let mut dashboard = Dashboard::connect_as(&server, Some(&cookie)).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "h", &["ask"]).await;
    let (tx, _) = confirming(&mut dashboard, &mut host, "r1", json!({})).await;
    let (reply, heard) = tokio::join!(
        dashboard.request(submit(&tx, "r1", "false", None)),
        host_hears(&mut host)
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert_eq!(heard.values, vec![json!(false)]);
}

#[tokio::test]
async fn within_the_grace_period_of_the_login_no_password_is_asked() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let cookie = log_in(&server, PASSWORD).await;
    let mut dashboard = Dashboard::connect_as(&server, Some(&cookie)).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "h", &["ask"]).await;
    let (tx, form) = confirming(
        &mut dashboard,
        &mut host,
        "r1",
        json!({"gracePeriodMs": 600_000}),
    )
    .await;
    // The field is offered (the grace may run out while the form is open)
    // but not needed.
    assert!(form.contains("signed in recently"), "{form}");
    let (reply, heard) = tokio::join!(
        dashboard.request(submit(&tx, "r1", "true", None)),
        host_hears(&mut host)
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert_eq!(heard.values, vec![json!(true)]);
}

#[tokio::test]
async fn without_a_password_the_confirmation_is_taken_as_is() {
    let server = server().await;
    let mut dashboard = Dashboard::connect(&server).await;
    let mut host = RawHost::initialized(&server.endpoint(), KEY, "h", &["ask"]).await;
    let (tx, form) = confirming(&mut dashboard, &mut host, "r1", json!({})).await;
    assert!(!form.contains("__password"), "{form}");
    assert!(form.contains("no password"), "{form}");
    let (reply, heard) = tokio::join!(
        dashboard.request(submit(&tx, "r1", "true", None)),
        host_hears(&mut host)
    );
    assert_eq!(reply, Ok(Reply::Ok));
    assert_eq!(heard.values, vec![json!(true)]);
}
