//! Runs the example's binary against the test server of the root crate and
//! checks what it declares (the routes of `src/routes/` plus the inline
//! `ping`), that its action and page handlers run, and that every message
//! satisfies the official `@interval/sdk` schemas.
//!
//! `tests/interop` is a link to the root crate's `tests/interop`, where the
//! shared validator (`support::interop`) finds the npm packages.

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::process::{Child, Command, Stdio};

use interval_protocol::host::{MarkTransactionComplete, MarkTransactionCompleteInputs, SendPage};
use interval_protocol::result::ActionResult;
use interval_protocol::server::{OpenPage, OpenPageInputs, StartTransaction};
use interval_protocol::types::PageRef;
use serde_json::{json, Value};
use support::{interop, start, Peer, TestServer};

#[tokio::test]
async fn the_file_routes_example_declares_its_routes() {
    let mut server = TestServer::start().await;
    let _host = Host(
        Command::new(env!("CARGO_BIN_EXE_file-routes"))
            .env("INTERVAL_ENDPOINT", server.endpoint())
            .env("INTERVAL_API_KEY", "test_key")
            .stdout(Stdio::null())
            .spawn()
            .expect("the example's binary runs"),
    );
    let (mut peer, inputs) = server.accept_initialized().await;

    let declared = serde_json::to_value(&inputs).unwrap();
    let actions: Vec<Value> = declared["actions"].as_array().unwrap().clone();
    let slugs: Vec<String> = actions
        .iter()
        .map(|a| match a["groupSlug"].as_str() {
            Some(group) => format!("{group}/{}", a["slug"].as_str().unwrap()),
            None => a["slug"].as_str().unwrap().to_owned(),
        })
        .collect();
    assert_eq!(
        slugs,
        [
            "hello",
            "rebuild-index",
            "refund",
            "users/admin/audit-log",
            "users/ban",
            "ping"
        ]
    );
    let action = |slug: &str| {
        actions
            .iter()
            .find(|a| a["slug"] == slug)
            .unwrap_or_else(|| panic!("no action {slug}"))
            .clone()
    };
    assert_eq!(action("hello")["name"], "Say hello");
    assert_eq!(
        action("hello")["description"],
        "Asks for a name and greets it."
    );
    assert_eq!(action("refund")["backgroundable"], true);
    assert_eq!(action("refund")["access"], json!({"teams": ["support"]}));
    assert_eq!(action("refund").get("name"), None, "the dashboard names it");
    assert_eq!(action("rebuild-index")["unlisted"], true);
    assert_eq!(action("rebuild-index")["warnOnClose"], false);
    assert_eq!(action("ban")["groupSlug"], "users");
    let groups = declared["groups"].as_array().unwrap();
    let pages: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g["slug"].as_str().unwrap(), g["name"].as_str().unwrap()))
        .collect();
    assert_eq!(pages, [("users", "Users"), ("users/admin", "Admin")]);
    assert_eq!(groups[0]["description"], "Everyone with an account.");
    assert_eq!(groups[0]["hasHandler"], true, "users/mod.rs has a #[page]");
    assert_eq!(groups[1]["hasHandler"], false, "users/admin/ has no mod.rs");

    // The handlers are wired: run the inline route and a file route.
    for (slug, expected) in [
        ("ping", json!("pong")),
        (
            "users/admin/audit-log",
            json!(["ada@example.com", "grace@example.com"]),
        ),
    ] {
        let done = run(&mut peer, slug).await;
        let result: ActionResult = serde_json::from_str(done.result.as_deref().unwrap()).unwrap();
        let result = serde_json::to_value(result).unwrap();
        assert_eq!(result["status"], "SUCCESS", "{result}");
        assert_eq!(result["data"], expected, "{result}");
    }

    // The page handler of users/mod.rs renders its layout.
    peer.call::<OpenPage>(&OpenPageInputs {
        page_key: "p1".into(),
        page: PageRef {
            slug: "users".into(),
        },
        environment: "development".into(),
        user: start("p1", "users").user,
        params: Default::default(),
        params_meta: None,
    })
    .await;
    let (id, sent) = peer.expect::<SendPage>().await;
    peer.respond::<SendPage>(id, &true);
    let layout: Value = serde_json::from_str(sent.page.as_deref().unwrap()).unwrap();
    assert_eq!(layout["title"], "Users", "{layout}");
    assert_eq!(
        layout["description"], "Viewed by ada@example.com",
        "{layout}"
    );

    let records = server.recorded();
    assert!(records
        .iter()
        .any(|r| r["method"] == "INITIALIZE_HOST" && r["kind"] == "call"));
    let (ok, output) = interop::validate(&records);
    assert!(ok, "the official schemas reject a message:\n{output}");
}

/// Starts a transaction of `slug` and returns its completion. (The host
/// waits for its INITIALIZE_HOST answer to be processed before it takes a
/// START_TRANSACTION, so the first one is not lost.)
async fn run(peer: &mut Peer, slug: &str) -> MarkTransactionCompleteInputs {
    peer.call::<StartTransaction>(&start(slug, slug)).await;
    let (id, done) = peer.expect::<MarkTransactionComplete>().await;
    peer.respond::<MarkTransactionComplete>(id, &true);
    done
}

/// The example's process, killed when the test ends (even on failure).
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
