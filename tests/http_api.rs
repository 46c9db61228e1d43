//! enqueue, dequeue and notify: bodies, headers and error handling.

mod support;

use interval::{DeliveryMethod, Error};
use serde_json::json;
use support::TestServer;

#[tokio::test]
async fn enqueue_dequeue_and_notify_send_the_documented_bodies() {
    let server = TestServer::start().await;
    let interval = server.host().build();

    server.reply_http(json!({"type": "success", "id": "q1"}));
    let queued = interval
        .enqueue("refunds/refund")
        .assignee("ops@example.com")
        .params(json!({"order": "A-1", "big": 9007199254740993u64}))
        .await
        .unwrap();
    assert_eq!(queued.id, "q1");
    assert_eq!(queued.assignee.as_deref(), Some("ops@example.com"));

    server.reply_http(json!({
        "type": "success", "id": "q1", "assignee": "ops@example.com",
        "params": {"order": "A-1", "big": "9007199254740993"},
        "paramsMeta": {"values": {"big": ["bigint"]}}
    }));
    let dequeued = interval.dequeue("q1").await.unwrap();
    assert_eq!(dequeued.params["big"], json!(9007199254740993u64));

    server.reply_http(json!({"type": "success"}));
    interval
        .notify("Refund done")
        .title("Refunds")
        .delivery("ops@example.com", Some(DeliveryMethod::Email))
        .transaction_id("tx1")
        .idempotency_key("refund-A-1")
        .await
        .unwrap();

    let requests = server.http_requests();
    let paths: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/actions/enqueue",
            "/api/actions/dequeue",
            "/api/notify"
        ]
    );
    for request in &requests {
        assert_eq!(request.headers["authorization"], "Bearer test_key");
        assert_eq!(request.headers["content-type"], "application/json");
    }
    assert_eq!(
        requests[0].body,
        json!({
            "slug": "refunds/refund", "assignee": "ops@example.com",
            "params": {"order": "A-1", "big": "9007199254740993"},
            "paramsMeta": {"values": {"big": ["bigint"]}}
        })
    );
    assert_eq!(requests[1].body, json!({"id": "q1"}));
    let notify = &requests[2].body;
    let created_at = notify["createdAt"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    assert_eq!(
        notify,
        &json!({
            "message": "Refund done", "title": "Refunds", "transactionId": "tx1",
            "idempotencyKey": "refund-A-1",
            "deliveryInstructions": [{"to": "ops@example.com", "method": "EMAIL"}],
            "createdAt": created_at
        })
    );
}

#[tokio::test]
async fn api_errors_are_clear() {
    let server = TestServer::start().await;
    let interval = server.host().build();

    server.reply_http(json!({"type": "error", "message": "Action not found."}));
    let error = interval.enqueue("nope").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "There was a problem enqueuing the action: Action not found."
    );

    server.reply_http(json!({"unexpected": true}));
    let error = interval.dequeue("q1").await.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Received invalid API response"),
        "{error}"
    );

    let error = interval
        .enqueue("x")
        .params(json!([1, 2]))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Invalid input"), "{error}");

    let error = interval::Interval::builder()
        .build()
        .notify("hi")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}
