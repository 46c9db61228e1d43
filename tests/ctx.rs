//! `ctx`: user, params, environment, organization, action; loading states
//! debounced, logs numbered from 0 and capped, notify over HTTP with the
//! transaction id, redirects.

mod support;

use std::time::Duration;

use interval::protocol::host::{SendLoadingCall, SendLog, SendRedirect};
use interval::protocol::server::StartTransaction;
use interval::{Action, Error, LoadingOptions, Redirect, Timestamp};
use serde::Deserialize;
use serde_json::json;
use support::io::Host;

#[derive(Deserialize)]
struct Params {
    order: String,
    amount: f64,
}

#[tokio::test]
async fn ctx_loading_logs_notify_and_redirect() {
    let mut host = Host::start(|b| {
        b.action(
            "work",
            Action::new(|_io, ctx| async move {
                let p: Params = ctx.params_as()?;
                ctx.loading()
                    .start(LoadingOptions::label("Refunding").items_in_queue(3));
                for _ in 0..3 {
                    ctx.loading().complete_one();
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                ctx.loading()
                    .update(LoadingOptions::default().description("almost"));
                ctx.log("first").await;
                ctx.log_json(&json!({"a": 1})).await;
                ctx.log("x".repeat(10_050)).await;
                ctx.notify("Refunded")
                    .title("Done")
                    .delivery("ops@example.com", None)
                    .await?;
                ctx.redirect(Redirect::route("orders/view").params(json!({"id": p.order})))
                    .await?;
                Ok::<_, Error>(json!({
                    "amount": p.amount,
                    "user": ctx.user().email,
                    "env": ctx.environment(),
                    "org": ctx.organization().slug,
                    "action": ctx.action().slug,
                }))
            }),
        )
    })
    .await;
    host.server.reply_http(json!({"type": "success"}));
    let mut start = support::start("t1", "work");
    start.params = serde_json::from_value(json!({"order": "A-1", "amount": 12.5})).unwrap();
    host.peer.call::<StartTransaction>(&start).await;

    // Four loading changes within 100 ms: one call with the last state.
    let (id, loading) = host.peer.expect::<SendLoadingCall>().await;
    host.peer.respond::<SendLoadingCall>(id, &true);
    assert_eq!(loading.transaction_id, "t1");
    assert_eq!(loading.state.label.as_deref(), Some("Refunding"));
    assert_eq!(
        (loading.state.items_in_queue, loading.state.items_completed),
        (Some(3), Some(3))
    );
    let mut logs = Vec::new();
    let mut saw_update = false;
    while logs.len() < 3 {
        let message = host.peer.next_call().await;
        match message.method_name.as_str() {
            "SEND_LOADING_CALL" => {
                let i =
                    <SendLoadingCall as interval::protocol::Method>::decode_inputs(message.data)
                        .unwrap();
                assert_eq!(i.state.description.as_deref(), Some("almost"));
                assert_eq!(i.state.label.as_deref(), Some("Refunding"));
                saw_update = true;
                host.peer.respond::<SendLoadingCall>(message.id, &true);
            }
            "SEND_LOG" => {
                let i =
                    <SendLog as interval::protocol::Method>::decode_inputs(message.data).unwrap();
                host.peer.respond::<SendLog>(message.id, &true);
                logs.push(i);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        logs.iter().map(|l| l.index).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    assert_eq!(logs[0].data, "first");
    assert_eq!(logs[1].data, "{\n  \"a\": 1\n}");
    assert!(logs[2].data.starts_with(&"x".repeat(10_000)));
    assert!(logs[2]
        .data
        .ends_with("try separating your data into multiple ctx.log() calls."));
    // The debounced "almost" update may also come now.
    let (id, redirect) = loop {
        let message = host.peer.next_call().await;
        if message.method_name == "SEND_LOADING_CALL" {
            let i = <SendLoadingCall as interval::protocol::Method>::decode_inputs(message.data)
                .unwrap();
            assert_eq!(i.state.description.as_deref(), Some("almost"));
            saw_update = true;
            host.peer.respond::<SendLoadingCall>(message.id, &true);
            continue;
        }
        assert_eq!(message.method_name, "SEND_REDIRECT", "{message:?}");
        let inputs =
            <SendRedirect as interval::protocol::Method>::decode_inputs(message.data).unwrap();
        break (message.id, inputs);
    };
    host.peer.respond::<SendRedirect>(id, &true);
    let redirect = serde_json::to_value(&redirect).unwrap();
    assert_eq!(
        redirect,
        json!({"transactionId": "t1", "route": "orders/view", "params": {"id": "A-1"}})
    );
    let data = host.success().await;
    assert_eq!(
        data,
        json!({"amount": 12.5, "user": "ada@example.com", "env": "development", "org": "acme", "action": "work"})
    );
    if !saw_update {
        let (id, i) = host.peer.expect::<SendLoadingCall>().await;
        host.peer.respond::<SendLoadingCall>(id, &true);
        assert_eq!(i.state.description.as_deref(), Some("almost"));
    }
    let notify = &host.server.http_requests()[0];
    assert_eq!(notify.path, "/api/notify");
    assert_eq!(notify.body["transactionId"], "t1");
    assert_eq!(
        notify.body["deliveryInstructions"][0]["to"],
        "ops@example.com"
    );
    host.check_interop();
}

/// `log!` / `ctx.log_args`: several values in one line, as Node's
/// `ctx.log(...args)` writes them; `()` uses up a line number.
#[tokio::test]
async fn log_args_joins_values_like_node() {
    let mut host = Host::start(|b| {
        b.action(
            "log",
            Action::new(|_io, ctx| async move {
                let orders = vec![3, 4];
                ctx.log("first").await;
                interval::log!(ctx, "Refunded", orders.len(), "orders:", &orders, 12.0).await;
                ctx.log_args(()).await;
                interval::log!(
                    ctx,
                    json!({"id": 7, "at": Timestamp::from_millis(0)}),
                    None::<u8>,
                    Timestamp::from_millis(1_000),
                )
                .await;
                ctx.log_args(("x".repeat(6_000), "y".repeat(6_000))).await;
                Ok::<_, Error>(())
            }),
        )
    })
    .await;
    host.peer
        .call::<StartTransaction>(&support::start("t1", "log"))
        .await;
    let mut logs = Vec::new();
    for _ in 0..4 {
        let (id, log) = host.peer.expect::<SendLog>().await;
        host.peer.respond::<SendLog>(id, &true);
        logs.push(log);
    }
    host.success().await;
    assert_eq!(
        logs.iter().map(|l| l.index).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(3), Some(4)]
    );
    assert_eq!(logs[0].data, "first");
    assert_eq!(logs[1].data, "Refunded 2 orders: [\n  3,\n  4\n] 12");
    assert_eq!(
        logs[2].data,
        "{\n  \"id\": 7,\n  \"at\": \"1970-01-01T00:00:00.000Z\"\n} null \"1970-01-01T00:00:01.000Z\""
    );
    // Joined first, then cut at 10,000 characters.
    let long = &logs[3].data;
    assert!(long.starts_with(&format!("{} {}", "x".repeat(6_000), "y".repeat(3_999))));
    assert!(long[10_000..].starts_with("...\n^ Warning: 10k logline character limit reached."));
    host.check_interop();
}
