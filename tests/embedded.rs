//! With no endpoint, `listen()` starts the server in-process: the host, the
//! embedded server and a dashboard client run one transaction end to end.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interval::{Action, Error, Interval};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server sent nothing")
            .expect("closed")
            .expect("websocket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn next_kind(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let message = receive(socket).await;
        if message["kind"] == kind {
            return message;
        }
    }
}

#[tokio::test]
async fn listen_without_an_endpoint_runs_the_embedded_server() {
    // SAFETY-free in edition 2021: this test binary holds only this test.
    std::env::set_var("INTERVAL_PORT", "0");
    std::env::set_var("INTERVAL_DATABASE", ":memory:");
    std::env::remove_var("INTERVAL_ENDPOINT");
    let interval = Interval::from_env()
        .action(
            "hello",
            Action::new(|io, ctx| async move {
                let name = io.input().text("Name").await?;
                Ok::<_, Error>(format!("Hello, {name} (from {})", ctx.user().email))
            }),
        )
        .build();
    interval
        .listen()
        .await
        .expect("listen starts the embedded server");
    let url = interval.embedded_dashboard_url().expect("a dashboard URL");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let health: Value = reqwest::get(format!("{url}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["hosts"], json!(1));

    let endpoint = format!("{}/api/dashboard", url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(endpoint).await.unwrap();
    let request = json!({"id": 1, "request": {"type": "start_transaction", "slug": "hello"}});
    socket
        .send(Message::text(request.to_string()))
        .await
        .unwrap();
    let mut render = None;
    let mut transaction_id = None;
    while render.is_none() || transaction_id.is_none() {
        let message = receive(&mut socket).await;
        match message["kind"].as_str() {
            Some("reply") => {
                transaction_id = message["result"]["transaction_id"]
                    .as_str()
                    .map(str::to_owned)
            }
            Some("event") if message["event"]["type"] == "render" => {
                render = Some(message["event"]["render"].clone())
            }
            _ => {}
        }
    }
    let render = render.unwrap();
    assert_eq!(render["toRender"][0]["methodName"], "INPUT_TEXT");
    let respond = json!({"id": 2, "request": {
        "type": "respond",
        "transaction_id": transaction_id.unwrap(),
        "response": {"id": render["id"], "input_group_key": render["inputGroupKey"], "kind": "RETURN", "values": ["Ada"]}
    }});
    socket
        .send(Message::text(respond.to_string()))
        .await
        .unwrap();
    let completed = loop {
        let event = next_kind(&mut socket, "event").await;
        if event["event"]["type"] == "completed" {
            break event["event"].clone();
        }
    };
    assert_eq!(completed["result_status"], "SUCCESS");
    assert_eq!(
        completed["result"]["data"],
        json!("Hello, Ada (from admin@localhost)")
    );

    // The HTTP API goes to the embedded server too.
    let error = interval.enqueue("nope").await.unwrap_err();
    assert!(error.to_string().contains("Action not found"), "{error}");
    let queued = interval
        .enqueue("hello")
        .params(json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(
        interval.dequeue(&queued.id).await.unwrap().params["n"],
        json!(1)
    );

    interval.immediately_close();
}
