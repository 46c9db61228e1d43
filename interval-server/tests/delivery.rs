//! Delivery of notifications: e-mail through a real SMTP server (aiosmtpd,
//! run with the system Python), Slack through a local webhook, retries and
//! failures as the dashboard shows them, development keys, idempotency and
//! deliveries resumed after a restart.
//!
//! The SMTP test needs `/usr/bin/python3` with aiosmtpd (Debian package
//! `python3-aiosmtpd`, installed by `.ci/run`): without it the test fails,
//! unless `INTERVAL_SKIP_SMTP_TESTS=1` is set.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use interval_protocol::host::{Notify, NotifyInputs};
use interval_protocol::types::{DeliveryInstruction, DeliveryMethod};
use interval_server::db::{DeliveryRecord, DeliveryStatus};
use interval_server::{DeliveryConfig, RunningServer, ServerConfig, SmtpConfig, SmtpSecurity};
use serde_json::{json, Value};
use support::raw_host::RawHost;
use support::{server_with, KEY, WAIT};

const SINK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// POSTs `body` to `/api/notify` with `key`; returns the status and reply.
async fn notify(server: &RunningServer, key: &str, body: Value) -> (u16, Value) {
    let reply = http()
        .post(format!("{}/api/notify", server.url()))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap())
}

/// Every delivery stored, in order.
async fn deliveries(server: &RunningServer) -> Vec<DeliveryRecord> {
    let store = &server.state().store;
    let notifications = store.notifications(1000).await.unwrap();
    let ids: Vec<&str> = notifications.iter().map(|n| n.id.as_str()).collect();
    let mut all: Vec<DeliveryRecord> = store
        .deliveries_of(&ids)
        .await
        .unwrap()
        .into_values()
        .flatten()
        .collect();
    all.sort_by_key(|d| d.id);
    all
}

/// Waits until `done` holds of the stored deliveries; returns them.
async fn wait_for_deliveries(
    server: &RunningServer,
    what: &str,
    done: impl Fn(&[DeliveryRecord]) -> bool,
) -> Vec<DeliveryRecord> {
    let start = Instant::now();
    loop {
        let all = deliveries(server).await;
        if done(&all) {
            return all;
        }
        assert!(
            start.elapsed() < WAIT,
            "timed out waiting for {what}: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The dashboard's notifications page.
async fn notifications_page(server: &RunningServer) -> String {
    let reply = http()
        .get(format!("{}/notifications", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.text().await.unwrap()
}

// --- E-mail ------------------------------------------------------------

/// An aiosmtpd server on a free loopback port that writes each message it
/// gets to a file, one JSON line each.
struct SmtpSink {
    child: Child,
    port: u16,
    messages: PathBuf,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "interval-delivery-{name}-{}-{}",
            std::process::id(),
            interval_protocol::new_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl SmtpSink {
    /// Starts the sink; `None` when SMTP tests are skipped on purpose
    /// (`INTERVAL_SKIP_SMTP_TESTS=1`). Panics, saying what to install,
    /// when the system Python has no aiosmtpd.
    fn start() -> Option<SmtpSink> {
        let has_aiosmtpd = Command::new(SYSTEM_PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            if std::env::var("INTERVAL_SKIP_SMTP_TESTS").is_ok_and(|v| v == "1") {
                eprintln!("skipping the SMTP test: INTERVAL_SKIP_SMTP_TESTS=1");
                return None;
            }
            panic!(
                "the SMTP test needs {SYSTEM_PYTHON} with aiosmtpd: install the Debian package \
                 python3-aiosmtpd (`apt-get install python3-aiosmtpd`; .ci/run does), or set \
                 INTERVAL_SKIP_SMTP_TESTS=1 to skip this test"
            );
        }
        let dir = TempDir::new("smtp");
        let messages = dir.path().join("messages.jsonl");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(SYSTEM_PYTHON)
            .arg(SINK_SCRIPT)
            .arg(port.to_string())
            .arg(&messages)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starts the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Some(SmtpSink {
            child,
            port,
            messages,
            _dir: dir,
        })
    }

    /// The messages received so far.
    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.messages)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Waits until `count` messages have arrived; returns them.
    async fn wait_for(&self, count: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {count} e-mail(s): {messages:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_live_key_notification_is_sent_by_email_once() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let smtp = SmtpConfig::new("127.0.0.1", "Interval <interval@example.com>")
        .port(sink.port)
        .security(SmtpSecurity::None);
    let server =
        server_with(ServerConfig::default().delivery(DeliveryConfig::default().smtp(smtp))).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();

    let body = json!({
        "message": "The nightly export finished with 3 warnings.",
        "title": "Export done",
        "idempotencyKey": "export-2024-05-01",
        "deliveryInstructions": [{"to": "ops@example.com", "method": "EMAIL"}],
        "createdAt": "2024-05-01T00:00:00.000Z",
    });
    let (status, reply) = notify(&server, &live, body.clone()).await;
    assert_eq!((status, reply), (200, json!({"type": "success"})));

    let messages = sink.wait_for(1).await;
    let mail = &messages[0];
    assert_eq!(mail["to"], json!(["ops@example.com"]));
    assert_eq!(mail["from"], "interval@example.com");
    assert_eq!(mail["subject"], "Export done");
    assert_eq!(mail["content_type"], "text/plain");
    let text = mail["body"].as_str().unwrap();
    assert!(
        text.contains("The nightly export finished with 3 warnings."),
        "{text}"
    );

    // The same idempotency key again: a no-op, no second e-mail.
    let (status, _) = notify(&server, &live, body).await;
    assert_eq!(status, 200);
    // Without a title, the subject names the organization; it comes after
    // the repeated one would have, so its arrival shows there was none.
    let (status, _) = notify(
        &server,
        &live,
        json!({
            "message": "Second one",
            "deliveryInstructions": [{"to": "ops@example.com"}],
            "createdAt": "2024-05-01T00:00:01.000Z",
        }),
    )
    .await;
    assert_eq!(status, 200);
    let messages = sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages_later = sink.messages();
    assert_eq!(
        messages_later.len(),
        2,
        "one e-mail per notification: {messages_later:#?}"
    );
    assert_eq!(messages[1]["subject"], "Notification from Local");
    assert!(messages[1]["body"].as_str().unwrap().contains("Second one"));

    let stored = wait_for_deliveries(&server, "two sent deliveries", |all| {
        all.len() == 2 && all.iter().all(|d| d.status == DeliveryStatus::Sent)
    })
    .await;
    assert!(stored
        .iter()
        .all(|d| d.method == DeliveryMethod::Email && d.attempts == 1));
    assert_eq!(
        server.state().store.notifications(10).await.unwrap().len(),
        2
    );
    let page = notifications_page(&server).await;
    assert!(page.contains("Sent to ops@example.com by email"), "{page}");
}

// --- Slack -------------------------------------------------------------

/// A Slack incoming webhook: records each JSON body; answers 500 for the
/// channel `#broken`.
#[derive(Clone, Default)]
struct Webhook {
    received: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    async fn start() -> (Webhook, String) {
        let webhook = Webhook::default();
        let app = Router::new()
            .route("/services/T0/B0/hook", post(Webhook::receive))
            .with_state(webhook.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (webhook, format!("http://{addr}/services/T0/B0/hook"))
    }

    async fn receive(
        State(webhook): State<Webhook>,
        Json(body): Json<Value>,
    ) -> (StatusCode, &'static str) {
        let broken = body["channel"] == "#broken";
        webhook.received.lock().unwrap().push(body);
        if broken {
            (StatusCode::INTERNAL_SERVER_ERROR, "boom")
        } else {
            (StatusCode::OK, "ok")
        }
    }

    /// The bodies posted for `channel`.
    fn to(&self, channel: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["channel"] == channel)
            .cloned()
            .collect()
    }
}

fn quick_retries(config: DeliveryConfig) -> DeliveryConfig {
    config
        .max_attempts(3)
        .retry_delay(Duration::from_millis(50))
        .timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn slack_deliveries_are_posted_retried_and_their_failures_shown() {
    let (webhook, url) = Webhook::start().await;
    let config = quick_retries(DeliveryConfig::default().slack_webhook_url(url));
    let server = server_with(ServerConfig::default().delivery(config)).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();

    let body = json!({
        "message": "Refund #42 needs <approval> & a look",
        "title": "Refund waiting",
        "idempotencyKey": "refund-42",
        "deliveryInstructions": [
            {"to": "#ops", "method": "SLACK"},
            // No method: a channel goes to Slack.
            {"to": "#broken"},
            // E-mail on a server without SMTP.
            {"to": "ada@example.com", "method": "EMAIL"},
        ],
        "createdAt": "2024-05-01T00:00:00.000Z",
    });
    let (status, _) = notify(&server, &live, body.clone()).await;
    assert_eq!(status, 200);
    let stored = wait_for_deliveries(&server, "the failing delivery to give up", |all| {
        all.len() == 3 && all.iter().all(|d| d.status != DeliveryStatus::Pending)
    })
    .await;

    let ops = webhook.to("#ops");
    assert_eq!(ops.len(), 1, "{ops:#?}");
    let text = ops[0]["text"].as_str().unwrap();
    assert!(
        text.contains("*Refund waiting*"),
        "the title in bold: {text}"
    );
    assert!(
        text.contains("Refund #42 needs &lt;approval&gt; &amp; a look"),
        "the message, escaped for Slack: {text}"
    );
    assert_eq!(stored[0].status, DeliveryStatus::Sent);
    assert_eq!(stored[0].to, "#ops");

    // Three attempts, then failed with Slack's answer.
    assert_eq!(webhook.to("#broken").len(), 3);
    assert_eq!(stored[1].method, DeliveryMethod::Slack);
    assert_eq!(stored[1].status, DeliveryStatus::Failed);
    assert_eq!(stored[1].attempts, 3);
    let error = stored[1].last_error.as_deref().unwrap();
    assert_eq!(error, "Slack answered 500 Internal Server Error: boom");

    assert_eq!(stored[2].status, DeliveryStatus::Failed);
    assert_eq!(stored[2].attempts, 0);
    assert_eq!(
        stored[2].last_error.as_deref(),
        Some("SMTP is not configured on this server")
    );

    // The same idempotency key again: nothing new stored or posted.
    let (status, _) = notify(&server, &live, body).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deliveries(&server).await.len(), 3);
    assert_eq!(webhook.to("#ops").len(), 1);

    let page = notifications_page(&server).await;
    assert!(page.contains("Sent to #ops on Slack"), "{page}");
    assert!(
        page.contains("Not sent to #broken on Slack. Failed: Slack answered 500 Internal Server Error: boom (3 attempts)"),
        "{page}"
    );
    assert!(
        page.contains(
            "Not sent to ada@example.com by email. Failed: SMTP is not configured on this server"
        ),
        "{page}"
    );
}

#[tokio::test]
async fn a_host_notify_call_with_a_live_key_is_delivered_with_a_link() {
    let (webhook, url) = Webhook::start().await;
    let config = quick_retries(DeliveryConfig::default().slack_webhook_url(url));
    let server = server_with(ServerConfig::default().delivery(config)).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let mut host = RawHost::initialized(&server.endpoint(), &live, "notifier", &["report"]).await;
    let inputs = |transaction_id: &str| NotifyInputs {
        transaction_id: transaction_id.into(),
        message: "Report ready".into(),
        title: None,
        idempotency_key: None,
        delivery_instructions: Some(vec![DeliveryInstruction {
            to: "@ada".into(),
            method: None,
        }]),
        created_at: "2024-05-01T00:00:00.000Z".into(),
    };
    // A host notifies about the transactions it runs, and no other.
    assert!(!host.call::<Notify>(&inputs("tx-123")).await);
    server
        .state()
        .store
        .insert_transaction(
            &interval_server::db::TransactionRecord {
                id: "tx-123".into(),
                action_slug: "report".into(),
                status: "RUNNING".into(),
                result_status: None,
                params: serde_json::json!({}),
                result: None,
                host_instance_id: Some("notifier".into()),
                runner_email: "admin@localhost".into(),
                runner_id: None,
                environment: "production".into(),
                created_at: 1,
                completed_at: None,
                node_id: None,
            },
            None,
        )
        .await
        .unwrap();
    let sent = host
        .call::<Notify>(&NotifyInputs {
            transaction_id: "tx-123".into(),
            message: "Report ready".into(),
            title: None,
            idempotency_key: None,
            delivery_instructions: Some(vec![DeliveryInstruction {
                to: "@ada".into(),
                method: None,
            }]),
            created_at: "2024-05-01T00:00:00.000Z".into(),
        })
        .await;
    assert!(sent);
    wait_for_deliveries(&server, "the delivery", |all| {
        all.len() == 1 && all[0].status == DeliveryStatus::Sent
    })
    .await;
    let posted = webhook.to("@ada");
    let text = posted[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Report ready"), "{text}");
    let link = format!("<{}/history/tx-123|View the transaction>", server.url());
    assert!(text.contains(&link), "{text}");
}

#[tokio::test]
async fn a_development_key_notification_is_recorded_and_not_delivered() {
    let (webhook, url) = Webhook::start().await;
    let smtp = SmtpConfig::new("127.0.0.1", "interval@example.com")
        .port(9)
        .security(SmtpSecurity::None);
    let config = quick_retries(DeliveryConfig::default().slack_webhook_url(url).smtp(smtp));
    let server = server_with(ServerConfig::default().delivery(config)).await;

    let (status, _) = notify(
        &server,
        KEY,
        json!({
            "message": "Only on the dashboard",
            "deliveryInstructions": [{"to": "#ops"}, {"to": "ops@example.com"}],
            "createdAt": "2024-05-01T00:00:00.000Z",
        }),
    )
    .await;
    assert_eq!(status, 200);
    let stored = deliveries(&server).await;
    assert_eq!(stored.len(), 2);
    for d in &stored {
        assert_eq!(d.status, DeliveryStatus::Skipped);
        assert_eq!(d.last_error.as_deref(), Some("development key"));
        assert_eq!(d.attempts, 0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(webhook.received.lock().unwrap().is_empty());
    let page = notifications_page(&server).await;
    assert!(page.contains("Only on the dashboard"), "{page}");
    assert!(
        page.contains("Not sent to #ops on Slack: sent with a development key"),
        "{page}"
    );
}

#[tokio::test]
async fn pending_deliveries_are_resumed_after_a_restart() {
    let dir = TempDir::new("restart");
    let database = dir.path().join("interval.db");
    let (webhook, url) = Webhook::start().await;

    // First run: the webhook cannot be reached (nothing listens on port
    // 1), and the retry is far away.
    let config = DeliveryConfig::default()
        .slack_webhook_url("http://127.0.0.1:1/services/T0/B0/hook")
        .retry_delay(Duration::from_secs(3600));
    let server = server_with(ServerConfig::default().database(&database).delivery(config)).await;
    let live = server
        .state()
        .store
        .create_live_key("test", None)
        .await
        .unwrap();
    let (status, _) = notify(
        &server,
        &live,
        json!({
            "message": "Survives a restart",
            "deliveryInstructions": [{"to": "#ops"}],
            "createdAt": "2024-05-01T00:00:00.000Z",
        }),
    )
    .await;
    assert_eq!(status, 200);
    let stored = wait_for_deliveries(&server, "a failed first attempt", |all| {
        all.len() == 1 && all[0].attempts == 1
    })
    .await;
    assert_eq!(stored[0].status, DeliveryStatus::Pending);
    assert!(
        stored[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("Slack could not be reached"),
        "{stored:?}"
    );
    server.shutdown();
    server.closed().await;

    // Second run, with the right URL: the delivery goes out at once.
    let config = DeliveryConfig::default().slack_webhook_url(url);
    let server = server_with(ServerConfig::default().database(&database).delivery(config)).await;
    let stored = wait_for_deliveries(&server, "the resumed delivery", |all| {
        all.len() == 1 && all[0].status == DeliveryStatus::Sent
    })
    .await;
    assert_eq!(stored[0].attempts, 2);
    assert_eq!(webhook.to("#ops").len(), 1);
}
