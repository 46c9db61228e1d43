//! The host runtime driven end to end against a scripted server on a real
//! loopback socket.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interval::protocol::host::{
    BeginHostShutdown, InitializeHost, InitializeHostReturns, MarkTransactionComplete, SendIoCall,
    SendIoCallReturns,
};
use interval::protocol::io::{IoRender, IoResponse, IoResponseKind};
use interval::protocol::result::{ActionResult, ActionResultStatus};
use interval::protocol::server::{
    CloseTransaction, CloseTransactionInputs, IoResponse as IoResponseCall, IoResponseInputs,
    StartTransaction,
};
use interval::protocol::types::SuccessOrError;
use interval::{Action, Error, Interval};
use serde_json::{json, Value};
use support::{start, Behaviour, Peer, TestServer, WAIT};

fn greet() -> Action {
    Action::new(|io, _ctx| async move {
        let (name, age) = io
            .group((
                io.input().text("Name").min_length(2),
                io.input().number("Age").min(0.0),
            ))
            .validate(|(name, age)| {
                if name == "root" && *age < 18.0 {
                    Err("root must be an adult".into())
                } else {
                    Ok(())
                }
            })
            .await?;
        Ok::<_, Error>(json!({ "name": name, "age": age }))
    })
    .name("Greet")
}

/// Waits for a `SEND_IO_CALL`, answers `true`, returns the decoded render.
/// An action that asks for a name and returns it.
fn ask_name() -> Action {
    Action::new(|io, _ctx| async move { io.input().text("Name").await })
}

async fn expect_render(peer: &mut Peer) -> IoRender {
    let (id, inputs) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    serde_json::from_str(&inputs.io_call).expect("ioCall is a render")
}

/// Sends an IO response for `render` of `transaction_id`.
fn answer(
    peer: &mut Peer,
    transaction_id: &str,
    render: &IoRender,
    kind: IoResponseKind,
    values: Value,
) {
    let response = IoResponse {
        id: render.id.clone(),
        input_group_key: Some(render.input_group_key.clone()),
        transaction_id: transaction_id.into(),
        kind,
        choice: Some("Continue".into()),
        values: serde_json::from_value(values).unwrap(),
        values_meta: None,
    };
    peer.call_no_wait::<IoResponseCall>(&IoResponseInputs {
        value: serde_json::to_string(&response).unwrap(),
        transaction_id: transaction_id.into(),
    });
}

/// Waits for `MARK_TRANSACTION_COMPLETE`, answers `true`, returns the result.
async fn expect_result(peer: &mut Peer) -> (String, ActionResult) {
    let (id, inputs) = peer.expect::<MarkTransactionComplete>().await;
    peer.respond::<MarkTransactionComplete>(id, &true);
    let result: ActionResult = serde_json::from_str(inputs.result.as_deref().unwrap()).unwrap();
    (inputs.transaction_id, result)
}

/// Refuses the render of SEND_IO_CALL `id`; the waiting call fails with it.
async fn refuse_and_expect_failure(peer: &mut Peer, id: String) {
    peer.respond::<SendIoCall>(
        id,
        &serde_json::from_value(json!({"type": "ERROR", "message": "Transaction not found."}))
            .unwrap(),
    );
    let (_, result) = expect_result(peer).await;
    assert_eq!(
        result.data,
        json!({"error": "IOError", "message": "Transaction not found."})
    );
}

async fn listen(server: &mut TestServer, interval: &Interval) -> Peer {
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let (peer, _) = server.accept_initialized().await;
    listening.await.unwrap().expect("listen");
    peer
}

#[tokio::test]
async fn handshake_declares_routes_with_headers_and_sdk_identity() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .action("greet", greet())
        .page(
            "users",
            interval::Page::new("Users").action("ban", greet().backgroundable(true)),
        )
        .build();
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let mut peer = server.accept().await;
    let declared = peer.initialize().await;
    listening.await.unwrap().unwrap();

    assert_eq!(peer.headers["x-api-key"], "test_key");
    let instance = peer.headers["x-instance-id"].to_str().unwrap();
    assert_eq!(instance, interval.instance_id());
    assert!(uuid::Uuid::parse_str(instance).is_ok());
    assert!(
        *peer.authenticated_acked.lock().unwrap(),
        "\"authenticated\" was not ACKed"
    );
    assert_eq!(declared.sdk_name.as_deref(), Some("@interval/sdk"));
    let version = declared.sdk_version.unwrap();
    // The server compares versions as strings: this must open every gate.
    for gate in ["0.18.0", "0.34.0", "0.38.0", "0.38.1", "1.4.0", "2.1.0"] {
        assert!(version.as_str() >= gate, "{version} < {gate}");
    }
    assert!(declared.timestamp.unwrap() > 1.7e12);
    let actions: Vec<_> = declared
        .actions
        .iter()
        .map(|a| (a.group_slug.as_deref(), a.slug.as_str(), a.backgroundable))
        .collect();
    assert_eq!(
        actions,
        [(None, "greet", None), (Some("users"), "ban", Some(true))]
    );
    let groups = declared.groups.unwrap();
    assert_eq!(
        (groups[0].slug.as_str(), groups[0].name.as_str()),
        ("users", "Users")
    );
    assert!(interval.is_connected());
    assert!(interval.ping().await.unwrap());
}

#[tokio::test]
async fn initialization_errors_fail_listen() {
    let mut server = TestServer::start().await;
    for (reply, expected) in [
        (
            Some(InitializeHostReturns::Error {
                message: "Unsupported SDK version".into(),
                sdk_alert: None,
            }),
            "Unsupported SDK version",
        ),
        (None, "Unknown error"),
    ] {
        let interval = server.host().action("greet", greet()).build();
        let host = interval.clone();
        let listening = tokio::spawn(async move { host.listen().await });
        let mut peer = server.accept().await;
        let (id, _) = peer.expect::<InitializeHost>().await;
        peer.respond::<InitializeHost>(id, &reply);
        let error = listening.await.unwrap().unwrap_err();
        assert_eq!(error.to_string(), expected);
        assert!(!interval.is_connected());
    }
}

#[tokio::test]
async fn a_rejected_key_fails_listen_at_once_with_the_reason() {
    let server = TestServer::start().await;
    server.set_behaviour(Behaviour {
        reject: Some((
            1008,
            "Invalid API key, please check the apiKey property.".into(),
        )),
        ..Behaviour::default()
    });
    let started = std::time::Instant::now();
    let error = server.host().build().listen().await.unwrap_err();
    assert!(error.to_string().contains("Invalid API key"), "{error}");
    assert!(error.to_string().contains("1008"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_transaction_with_a_group_field_errors_and_a_group_error() {
    let mut server = TestServer::start().await;
    let interval = server.host().action("greet", greet()).build();
    let mut peer = listen(&mut server, &interval).await;

    peer.call::<StartTransaction>(&start("tx1", "greet")).await;
    let first = expect_render(&mut peer).await;
    assert_eq!(first.to_render.len(), 2);
    assert_eq!(first.to_render[0].method_name, "INPUT_TEXT");
    assert_eq!(first.to_render[0].props, json!({"minLength": 2}));
    assert_eq!(first.to_render[1].method_name, "INPUT_NUMBER");

    // A missing name and a wrong-typed age: both fields get a message.
    answer(
        &mut peer,
        "tx1",
        &first,
        IoResponseKind::Return,
        json!([null, "old"]),
    );
    let second = expect_render(&mut peer).await;
    assert_eq!(second.input_group_key, first.input_group_key);
    assert_ne!(second.id, first.id);
    let messages: Vec<_> = second
        .to_render
        .iter()
        .map(|c| c.validation_error_message.as_deref())
        .collect();
    assert_eq!(
        messages,
        [
            Some("This field is required."),
            Some("Received invalid value for field.")
        ]
    );

    // Valid fields, but the group validator refuses them.
    answer(
        &mut peer,
        "tx1",
        &second,
        IoResponseKind::Return,
        json!(["root", 12]),
    );
    let third = expect_render(&mut peer).await;
    assert_eq!(
        third.validation_error_message.as_deref(),
        Some("root must be an adult")
    );
    assert!(third
        .to_render
        .iter()
        .all(|c| c.validation_error_message.is_none()));

    // A SET_STATE re-renders the same group.
    answer(
        &mut peer,
        "tx1",
        &third,
        IoResponseKind::SetState,
        json!([null, null]),
    );
    let fourth = expect_render(&mut peer).await;
    assert_eq!(fourth.input_group_key, first.input_group_key);

    answer(
        &mut peer,
        "tx1",
        &fourth,
        IoResponseKind::Return,
        json!(["Ada", 36]),
    );
    let (transaction_id, result) = expect_result(&mut peer).await;
    assert_eq!(transaction_id, "tx1");
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({"schemaVersion": 1, "status": "SUCCESS", "data": {"name": "Ada", "age": 36.0}})
    );
}

#[tokio::test]
async fn cancel_while_waiting_sends_no_result_and_closes_later_calls() {
    let mut server = TestServer::start().await;
    let outcome = Arc::new(Mutex::new(None));
    let seen = outcome.clone();
    let interval = server
        .host()
        .action(
            "ask",
            Action::new(move |io, _ctx| {
                let seen = seen.clone();
                async move {
                    let first = io.input().text("Name").await;
                    let canceled = matches!(&first, Err(e) if e.is_canceled());
                    let second = io.input().text("Again").await;
                    *seen.lock().unwrap() = Some((canceled, second.map_err(|e| e.to_string())));
                    first.map(|_| ())
                }
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let render = expect_render(&mut peer).await;
    answer(
        &mut peer,
        "tx1",
        &render,
        IoResponseKind::Canceled,
        json!([]),
    );
    peer.expect_silence(Duration::from_millis(300)).await;
    let (canceled, second) = outcome.lock().unwrap().clone().unwrap();
    assert!(canceled);
    assert!(second.unwrap_err().contains("closed"));
}

#[tokio::test]
async fn a_dropped_connection_mid_transaction_reconnects_replays_and_completes() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .action(
            "ask",
            Action::new(|io, _ctx| async move {
                let name = io.input().text("Name").await?;
                Ok::<_, Error>(format!("Hello, {name}"))
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    let instance = peer.headers["x-instance-id"].clone();
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let (_, first) = peer.expect::<SendIoCall>().await;
    peer.drop_connection();

    let mut peer = server.accept().await;
    assert_eq!(peer.headers["x-instance-id"], instance, "same instance id");
    peer.initialize().await;
    let (id, replayed) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    assert_eq!(
        replayed.io_call, first.io_call,
        "the pending call is replayed verbatim"
    );
    assert!(interval.is_connected());

    let render: IoRender = serde_json::from_str(&replayed.io_call).unwrap();
    answer(
        &mut peer,
        "tx1",
        &render,
        IoResponseKind::Return,
        json!(["Ada"]),
    );
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.data, json!("Hello, Ada"));
}

#[tokio::test]
async fn a_render_refused_after_a_reconnect_ends_the_transaction_as_a_cancel() {
    let mut server = TestServer::start().await;
    let failures = Arc::new(AtomicUsize::new(0));
    let counted = failures.clone();
    let interval = server
        .host()
        .action("ask", ask_name())
        .on_error(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    assert_eq!(interval.open_count(), 1);
    peer.drop_connection();

    let mut peer = server.accept().await;
    peer.initialize().await;
    let (id, replayed) = peer.expect::<SendIoCall>().await;
    assert_eq!(replayed.transaction_id, "tx1");
    peer.respond::<SendIoCall>(
        id,
        &serde_json::from_value(json!({"type": "ERROR", "message": "Transaction not found."}))
            .unwrap(),
    );
    // As a cancel: no result for a transaction the server no longer runs,
    // no on_error, and nothing left running for a safe shutdown to wait for.
    peer.expect_silence(Duration::from_millis(300)).await;
    assert_eq!(interval.open_count(), 0);
    assert_eq!(failures.load(Ordering::SeqCst), 0);
}

/// Append-UI (§6.6): display steps resolve at once and stay on the page;
/// as Node's, their groups keep answering until the transaction is closed:
/// a table shown earlier pages on `SET_STATE` while a later question waits,
/// and a metadata value that loads later is rendered when it arrives, even
/// after the action finished.
#[tokio::test]
async fn append_ui_steps_keep_answering_after_they_resolved() {
    use interval::io::MetaItem;
    let mut server = TestServer::start().await;
    let (value_tx, value_rx) = tokio::sync::oneshot::channel::<u32>();
    let value_rx = Mutex::new(Some(value_rx));
    let interval = server
        .host()
        .action(
            "steps",
            Action::new(move |io, _ctx| {
                let value_rx = value_rx.lock().unwrap().take();
                async move {
                    let rows: Vec<Value> = (0..100).map(|n| json!({ "n": n })).collect();
                    io.display().table("Rows", rows).await?;
                    let later = async move {
                        match value_rx {
                            Some(rx) => rx.await.map_err(|e| e.to_string()),
                            None => Err("no value".to_owned()),
                        }
                    };
                    io.display()
                        .metadata("Totals", [MetaItem::later("Count", later)])
                        .await?;
                    io.input().text("Name").await
                }
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    let mut inputs = start("tx1", "steps");
    inputs.display_resolves_immediately = Some(true);
    peer.call::<StartTransaction>(&inputs).await;
    let table = expect_render(&mut peer).await;
    let metadata = expect_render(&mut peer).await;
    let question = expect_render(&mut peer).await;
    assert_eq!(question.to_render[0].label, "Name");

    // The table shown first, page 3, while the question waits.
    answer(
        &mut peer,
        "tx1",
        &table,
        IoResponseKind::SetState,
        json!([{ "offset": 40, "pageSize": 20 }]),
    );
    // As Node's host: the table's render, then the one after every
    // SET_STATE, identical but for their ids.
    let paged = expect_render(&mut peer).await;
    support::io::assert_same_but_id(&paged, &expect_render(&mut peer).await);
    assert_eq!(paged.input_group_key, table.input_group_key);
    let rows = serde_json::to_string(&paged.to_render[0].props).unwrap();
    assert!(
        rows.contains(r#""n":40"#) && !rows.contains(r#""n":0,"#),
        "{rows}"
    );

    // The question is answered: the action completes.
    answer(
        &mut peer,
        "tx1",
        &question,
        IoResponseKind::Return,
        json!(["Ada"]),
    );
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.status, ActionResultStatus::Success);

    // The value loads after the end: the metadata step shows it.
    value_tx.send(7).unwrap();
    let loaded = expect_render(&mut peer).await;
    assert_eq!(loaded.input_group_key, metadata.input_group_key);
    let props = serde_json::to_string(&loaded.to_render[0].props).unwrap();
    assert!(props.contains(r#""value":7"#), "{props}");

    // Closed: the earlier steps stop answering.
    peer.call::<CloseTransaction>(&CloseTransactionInputs {
        transaction_id: "tx1".into(),
    })
    .await;
    answer(
        &mut peer,
        "tx1",
        &table,
        IoResponseKind::SetState,
        json!([{ "offset": 60, "pageSize": 20 }]),
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(500), peer.expect::<SendIoCall>())
            .await
            .is_err(),
        "a closed transaction renders nothing"
    );
}

#[tokio::test]
async fn an_append_ui_display_that_resolved_at_once_is_replayed_after_a_reconnect() {
    let mut server = TestServer::start().await;
    let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
    let finish = Mutex::new(Some(finish_rx));
    let interval = server
        .host()
        .action(
            "show",
            Action::new(move |io, _ctx| {
                let finish = finish.lock().unwrap().take();
                async move {
                    io.display().heading("Working").await?;
                    // Still running, with nothing waiting for the browser.
                    if let Some(finish) = finish {
                        let _ = finish.await;
                    }
                    Ok::<_, Error>(())
                }
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    let mut inputs = start("tx1", "show");
    inputs.display_resolves_immediately = Some(true);
    peer.call::<StartTransaction>(&inputs).await;
    let (id, first) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    peer.drop_connection();

    let mut peer = server.accept().await;
    peer.initialize().await;
    let (id, replayed) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    assert_eq!(
        replayed.io_call, first.io_call,
        "the settled render is replayed verbatim"
    );
    let _ = finish_tx.send(());
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.status, ActionResultStatus::Success);
}

#[tokio::test]
async fn immediately_close_fails_a_waiting_call_with_not_connected() {
    let mut server = TestServer::start().await;
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = Mutex::new(Some(tx));
    let interval = server
        .host()
        .action(
            "ask",
            Action::new(move |io, _ctx| {
                let tx = tx.lock().unwrap().take();
                async move {
                    let outcome = io.input().text("Name").await;
                    if let (Some(tx), Err(e)) = (tx, &outcome) {
                        let _ = tx.send(format!("{e:?}"));
                    }
                    outcome
                }
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
    interval.immediately_close();
    let error = tokio::time::timeout(WAIT, rx).await.unwrap().unwrap();
    assert!(error.contains("NotConnected"), "{error}");
}

#[tokio::test]
async fn ping_errors_without_a_connection_and_after_timeout() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .ping_timeout(Duration::from_millis(200))
        .build();
    assert!(matches!(interval.ping().await, Err(Error::NotConnected)));
    let peer = listen(&mut server, &interval).await;
    assert!(interval.ping().await.unwrap());
    peer.freeze();
    match interval.ping().await {
        Err(Error::Timeout(message)) => assert!(message.contains("pong"), "{message}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    interval.immediately_close();
    assert!(matches!(interval.ping().await, Err(Error::NotConnected)));
}

#[tokio::test]
async fn safely_close_waits_for_the_running_action_and_refuses_new_ones() {
    let mut server = TestServer::start().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let interval = server
        .host()
        .action(
            "ask",
            Action::new(move |io, _ctx| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { io.input().boolean("Sure?").await }
            }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let render = expect_render(&mut peer).await;

    let host = interval.clone();
    let closing = tokio::spawn(async move { host.safely_close().await });
    let (id, _) = peer.expect::<BeginHostShutdown>().await;
    peer.respond::<BeginHostShutdown>(id, &SuccessOrError::Success);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !closing.is_finished(),
        "closed while a transaction was running"
    );

    peer.call::<StartTransaction>(&start("tx2", "ask")).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "a new transaction started while closing"
    );

    answer(
        &mut peer,
        "tx1",
        &render,
        IoResponseKind::Return,
        json!([true]),
    );
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.data, json!(true));
    tokio::time::timeout(WAIT, closing)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    peer.wait_closed().await;
    assert!(!interval.is_connected());
}

#[tokio::test]
async fn a_server_that_never_answers_gives_clear_timeouts() {
    // Never ACKs: every attempt times out, then listen fails (with
    // `fail_fast`; without it listen would try again, with back-off).
    let server = TestServer::start().await;
    server.set_behaviour(Behaviour {
        ack: false,
        ..Behaviour::default()
    });
    let error = server
        .host()
        .send_timeout(Duration::from_millis(100))
        .max_resend_attempts(2)
        .fail_fast(true)
        .build()
        .listen()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(error.to_string().contains("INITIALIZE_HOST"), "{error}");

    // ACKs but never responds.
    server.set_behaviour(Behaviour::default());
    let error = server
        .host()
        .response_timeout(Duration::from_millis(300))
        .fail_fast(true)
        .build()
        .listen()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("did not answer INITIALIZE_HOST"),
        "{error}"
    );

    // Never authenticates.
    server.set_behaviour(Behaviour {
        authenticate: false,
        ..Behaviour::default()
    });
    let error = server
        .host()
        .connect_timeout(Duration::from_millis(300))
        .fail_fast(true)
        .build()
        .listen()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(error.to_string().contains("authenticated"), "{error}");
}

#[tokio::test]
async fn bad_input_from_the_server_is_logged_and_loses_nothing() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .action(
            "ask",
            Action::new(|io, _ctx| async move { io.input().number("Amount").await }),
        )
        .build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let render = expect_render(&mut peer).await;

    peer.send_text("not json".into());
    peer.send_text(r#"{"type":"MESSAGE","data":"no id"}"#.into());
    peer.send_message("not an rpc message");
    peer.send_message(r#"{"id":"x1","kind":"CALL","methodName":"NO_SUCH_METHOD","data":{}}"#);
    peer.send_message(
        r#"{"id":"x2","kind":"CALL","methodName":"START_TRANSACTION","data":{"transactionId":5}}"#,
    );
    peer.send_message(r#"{"id":"x3","kind":"CALL","methodName":"IO_RESPONSE","data":{"value":"{oops","transactionId":"tx1"}}"#);
    peer.send_message(r#"{"id":"x4","kind":"RESPONSE","methodName":"SEND_LOG","data":true}"#);
    // A duplicate START_TRANSACTION is ignored.
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    // A response for a transaction that does not exist.
    answer(
        &mut peer,
        "nope",
        &render,
        IoResponseKind::Return,
        json!([1]),
    );
    // A wrong-typed value re-renders with a message.
    answer(
        &mut peer,
        "tx1",
        &render,
        IoResponseKind::Return,
        json!(["ten"]),
    );
    let again = expect_render(&mut peer).await;
    assert_eq!(
        again.to_render[0].validation_error_message.as_deref(),
        Some("Received invalid value for field.")
    );
    // Too many values: asked again, with a group message.
    answer(
        &mut peer,
        "tx1",
        &again,
        IoResponseKind::Return,
        json!([1, 2]),
    );
    let again = expect_render(&mut peer).await;
    assert!(again.validation_error_message.is_some());

    answer(
        &mut peer,
        "tx1",
        &again,
        IoResponseKind::Return,
        json!([10]),
    );
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.data, json!(10.0));
    assert!(interval.ping().await.unwrap(), "the connection survived");
}

#[tokio::test]
async fn handler_errors_and_panics_become_failures() {
    let mut server = TestServer::start().await;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let interval = server
        .host()
        .action(
            "fail",
            Action::new(|_io, _ctx| async move { Err::<(), _>("User not found") }),
        )
        .action(
            "panic",
            Action::new(|_io, _ctx| async move {
                if true {
                    panic!("boom");
                }
                Ok::<_, Error>(())
            }),
        )
        .on_error(move |event| {
            seen.lock()
                .unwrap()
                .push((event.route, event.error.message))
        })
        .build();
    let mut peer = listen(&mut server, &interval).await;

    peer.call::<StartTransaction>(&start("tx1", "fail")).await;
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({"schemaVersion": 1, "status": "FAILURE", "data": {"error": "Error", "message": "User not found"}})
    );

    peer.call::<StartTransaction>(&start("tx2", "panic")).await;
    let (_, result) = expect_result(&mut peer).await;
    assert_eq!(result.data["message"], json!("The action panicked: boom"));
    assert!(
        interval.ping().await.unwrap(),
        "the host survived the panic"
    );
    assert_eq!(
        errors.lock().unwrap().clone(),
        [
            ("fail".to_owned(), "User not found".to_owned()),
            ("panic".to_owned(), "The action panicked: boom".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_refused_render_fails_the_io_call() {
    let mut server = TestServer::start().await;
    let interval = server.host().action("ask", ask_name()).build();
    let mut peer = listen(&mut server, &interval).await;
    peer.call::<StartTransaction>(&start("tx1", "ask")).await;
    let (id, _) = peer.expect::<SendIoCall>().await;
    refuse_and_expect_failure(&mut peer, id).await;
}

#[tokio::test]
async fn routes_changed_at_run_time_are_declared_once_after_the_batch_timeout() {
    let mut server = TestServer::start().await;
    let interval = server
        .host()
        .reinitialize_batch_timeout(Duration::from_millis(100))
        .action("greet", greet())
        .build();
    let mut peer = listen(&mut server, &interval).await;
    interval.add_route("second", interval::Route::Action(greet()));
    interval.add_route("third", interval::Route::Action(greet()));
    assert!(interval.remove_route("greet").is_some());
    let declared = peer.initialize().await;
    let slugs: Vec<_> = declared.actions.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["second", "third"]);
    peer.expect_silence(Duration::from_millis(300)).await;
    // The new route runs.
    peer.call::<StartTransaction>(&start("tx1", "third")).await;
    let render = expect_render(&mut peer).await;
    assert_eq!(render.to_render[0].label, "Name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sent_right_after_the_initialization_answer_runs() {
    // The server may start a transaction as soon as our ACK of its
    // INITIALIZE_HOST answer arrives, before the host has read that answer.
    let mut server = TestServer::start().await;
    for round in 0..30 {
        let interval = server.host().action("greet", greet()).build();
        let host = interval.clone();
        let listening = tokio::spawn(async move { host.listen().await });
        let mut peer = server.accept().await;
        let (id, _) = peer.expect::<InitializeHost>().await;
        peer.respond::<InitializeHost>(id, &Some(support::init_success()));
        peer.call_no_wait::<StartTransaction>(&start("tx", "greet"));
        let (id, _) = peer.expect::<SendIoCall>().await;
        peer.respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
        listening
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        interval.immediately_close();
    }
}

#[tokio::test]
async fn routes_from_a_table_add_to_inline_routes() {
    let mut server = TestServer::start().await;
    let mut table = interval::Routes::default();
    table.insert("second".into(), interval::Route::Action(greet()));
    table.insert(
        "first".into(),
        interval::Route::Action(greet().name("Replaced")),
    );
    let interval = server
        .host()
        .action("first", greet())
        .routes(table)
        .action("third", greet())
        .build();
    let host = interval.clone();
    let listening = tokio::spawn(async move { host.listen().await });
    let (_, declared) = server.accept_initialized().await;
    listening.await.unwrap().unwrap();
    let actions: Vec<_> = declared
        .actions
        .iter()
        .map(|a| (a.slug.as_str(), a.name.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("first", Some("Replaced")),
            ("second", Some("Greet")),
            ("third", Some("Greet"))
        ]
    );
}
