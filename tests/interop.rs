//! Every message the Rust host sends, checked against the official
//! `@interval/sdk` schemas from npm (see `tests/interop/`), with unknown keys
//! reported (zod would strip them silently).

mod support;

use std::time::Duration;

use interval::protocol::host::{BeginHostShutdown, SendIoCall, SendIoCallReturns};
use interval::protocol::io::{IoRender, IoResponse, IoResponseKind};
use interval::protocol::server::{
    CloseTransaction, CloseTransactionInputs, IoResponse as IoResponseCall, IoResponseInputs,
    OpenPage, OpenPageInputs, StartTransaction,
};
use interval::protocol::types::{AccessControl, PageRef, SuccessOrError};
use interval::{Action, DeliveryMethod, Error, Page};
use serde_json::{json, Value};
use support::{interop, start, Peer, TestServer};

async fn render(peer: &mut Peer) -> IoRender {
    let (id, inputs) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    serde_json::from_str(&inputs.io_call).unwrap()
}

fn answer(peer: &mut Peer, tx: &str, render: &IoRender, values: Value) {
    let response = IoResponse {
        id: render.id.clone(),
        input_group_key: Some(render.input_group_key.clone()),
        transaction_id: tx.into(),
        kind: IoResponseKind::Return,
        choice: None,
        values: serde_json::from_value(values).unwrap(),
        values_meta: None,
    };
    peer.call_no_wait::<IoResponseCall>(&IoResponseInputs {
        value: serde_json::to_string(&response).unwrap(),
        transaction_id: tx.into(),
    });
}

#[tokio::test]
async fn every_host_message_satisfies_the_official_schemas() {
    let mut server = TestServer::start().await;
    let form = Action::new(|io, _ctx| async move {
        let (name, email, age, amount, subscribed, note) = io
            .group((
                io.input()
                    .text("Name")
                    .placeholder("Ada")
                    .help_text("Your name")
                    .default_value("Ada")
                    .min_length(2)
                    .max_length(40)
                    .validate(|n| if n.len() < 3 { Err("too short".into()) } else { Ok(()) }),
                io.input().text("Bio").multiline(true).lines(4).disabled(false),
                io.input().number("Age").min(0.0).max(130.0).default_value(30.0),
                io.input()
                    .number("Amount")
                    .decimals(2)
                    .prepend("$")
                    .currency(interval::io::Currency::USD)
                    .placeholder("0.00"),
                io.input().boolean("Subscribe?").default_value(true),
                io.input().text("Note").optional(),
            ))
            .validate(|_| Err("group says no".into()))
            .await?;
        Ok::<_, Error>(json!({"name": name, "email": email, "age": age, "amount": amount, "subscribed": subscribed, "note": note}))
    })
    .name("Form")
    .description("Every input")
    .backgroundable(true)
    .unlisted(false)
    .warn_on_close(true)
    .access(AccessControl::teams(["ops"]));
    let failing = Action::new(|_io, _ctx| async move { Err::<(), _>("nope") });
    let interval = server
        .host()
        .action("form", form)
        .action("failing", failing)
        .page(
            "admin",
            Page::new("Admin")
                .description("Admin tools")
                .unlisted(true)
                .access(AccessControl::entire_organization())
                .page(
                    "deep",
                    Page::new("Deep").action(
                        "noop",
                        Action::new(|_io, _ctx| async { Ok::<_, Error>(()) }),
                    ),
                ),
        )
        .build();
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let (mut peer, _) = server.accept_initialized().await;
    listening.await.unwrap().unwrap();

    // A form with field errors, then a group error.
    peer.call::<StartTransaction>(&start("tx1", "form")).await;
    let first = render(&mut peer).await;
    answer(
        &mut peer,
        "tx1",
        &first,
        json!(["Al", "", 1, 2.5, "yes", null]),
    );
    let second = render(&mut peer).await;
    answer(
        &mut peer,
        "tx1",
        &second,
        json!(["Alan", "", 1, 2.5, true, null]),
    );
    let third = render(&mut peer).await;
    assert!(third.validation_error_message.is_some());
    // Cancel it; then a failing action.
    let cancel = IoResponse {
        id: third.id.clone(),
        input_group_key: Some(third.input_group_key.clone()),
        transaction_id: "tx1".into(),
        kind: IoResponseKind::Canceled,
        choice: None,
        values: vec![],
        values_meta: None,
    };
    peer.call::<IoResponseCall>(&IoResponseInputs {
        value: serde_json::to_string(&cancel).unwrap(),
        transaction_id: "tx1".into(),
    })
    .await;
    peer.call::<CloseTransaction>(&CloseTransactionInputs {
        transaction_id: "tx1".into(),
    })
    .await;
    peer.call::<StartTransaction>(&start("tx2", "failing"))
        .await;
    let (id, _) = peer
        .expect::<interval::protocol::host::MarkTransactionComplete>()
        .await;
    peer.respond::<interval::protocol::host::MarkTransactionComplete>(id, &true);
    peer.call::<StartTransaction>(&start("tx3", "admin/deep/noop"))
        .await;
    let (id, _) = peer
        .expect::<interval::protocol::host::MarkTransactionComplete>()
        .await;
    peer.respond::<interval::protocol::host::MarkTransactionComplete>(id, &true);
    let _ = peer
        .call::<OpenPage>(&OpenPageInputs {
            page_key: "p1".into(),
            page: PageRef {
                slug: "admin".into(),
            },
            environment: "development".into(),
            user: start("x", "x").user,
            params: Default::default(),
            params_meta: None,
        })
        .await;

    // The HTTP API.
    server.reply_http(json!({"type": "success", "id": "q1"}));
    interval
        .enqueue("form")
        .assignee("a@example.com")
        .params(json!({"n": 1}))
        .await
        .unwrap();
    server.reply_http(json!({"type": "success", "id": "q1"}));
    interval.dequeue("q1").await.unwrap();
    server.reply_http(json!({"type": "success"}));
    interval
        .notify("hi")
        .title("t")
        .delivery("a@example.com", Some(DeliveryMethod::Email))
        .delivery("#ops", None)
        .idempotency_key("k")
        .transaction_id("tx2")
        .await
        .unwrap();

    // Shutdown.
    let host = interval.clone();
    let closing = tokio::spawn(async move { host.safely_close().await });
    let (id, _) = peer.expect::<BeginHostShutdown>().await;
    peer.respond::<BeginHostShutdown>(id, &SuccessOrError::Success);
    tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    let records: Vec<Value> = server
        .recorded()
        .into_iter()
        .filter(|r| r["kind"] != "server_call")
        .collect();
    let kinds = |kind: &str, method: &str| {
        records
            .iter()
            .filter(|r| r["kind"] == kind && (r["method"] == method || r["path"] == method))
            .count()
    };
    for method in [
        "INITIALIZE_HOST",
        "SEND_IO_CALL",
        "MARK_TRANSACTION_COMPLETE",
        "BEGIN_HOST_SHUTDOWN",
    ] {
        assert!(kinds("call", method) > 0, "no {method} recorded");
    }
    for method in [
        "START_TRANSACTION",
        "IO_RESPONSE",
        "CLOSE_TRANSACTION",
        "OPEN_PAGE",
    ] {
        assert!(
            kinds("response", method) > 0,
            "no response to {method} recorded"
        );
    }
    for path in [
        "/api/actions/enqueue",
        "/api/actions/dequeue",
        "/api/notify",
    ] {
        assert_eq!(kinds("http", path), 1, "no {path} recorded");
    }
    let (ok, output) = interop::validate(&records);
    assert!(ok, "the official schemas refused a message:\n{output}");
    let checked = output.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(
        checked,
        records.len(),
        "not every record was checked:\n{output}"
    );
}

#[tokio::test]
async fn the_validator_catches_an_unknown_key() {
    let mut records = vec![json!({
        "kind": "call",
        "method": "INITIALIZE_HOST",
        "inputs": {"actions": [{"slug": "a"}], "sdkName": "@interval/sdk", "sdkVersion": "2.1.0", "timestamp": 1.7e12}
    })];
    assert!(interop::validate(&records).0);
    records[0]["inputs"]["actions"][0]["backgrondable"] = json!(true);
    let (ok, output) = interop::validate(&records);
    assert!(!ok, "a misspelled key passed:\n{output}");
    assert!(output.contains("backgrondable"), "{output}");
}
