//! The examples run for real: each example's routes are served to the
//! scripted test server, which plays the dashboard (answers every form with
//! a valid value, accepts loading states and logs) until the transaction
//! completes; its result and renders are checked, and everything the host
//! sent is checked against the official schemas.

mod support;

#[allow(dead_code)]
#[path = "../examples/displays.rs"]
mod displays;
#[allow(dead_code)]
#[path = "../examples/inputs.rs"]
mod inputs;
#[allow(dead_code)]
#[path = "../examples/loading.rs"]
mod loading;
#[allow(dead_code)]
#[path = "../examples/pages.rs"]
mod pages;
#[allow(dead_code)]
#[path = "../examples/selects.rs"]
mod selects;
#[allow(dead_code)]
#[path = "../examples/tables.rs"]
mod tables;

use interval::protocol::host::{
    MarkTransactionComplete, SendIoCall, SendIoCallReturns, SendLoadingCall, SendLog, SendPage,
};
use interval::protocol::io::{ComponentToRender, IoRender};
use interval::protocol::layout::Layout as WireLayout;
use interval::protocol::result::{ActionResult, ActionResultStatus};
use interval::protocol::server::{OpenPage, OpenPageInputs, OpenPageReturns};
use interval::protocol::types::PageRef;
use interval::protocol::Method;
use interval::Routes;
use serde_json::{json, Value};
use support::io::Host;

/// What one transaction did.
#[derive(Debug, Default)]
struct Run {
    /// The result's data (the run fails the test unless it is a success).
    result: Value,
    /// The methods rendered, in order.
    methods: Vec<String>,
    /// Log lines.
    logs: Vec<String>,
    /// Loading states sent: (label, items in queue, items completed).
    loading: Vec<(Option<String>, Option<u64>, Option<u64>)>,
}

async fn host(routes: Routes) -> Host {
    Host::start(|b| b.routes(routes)).await
}

/// A value a person could submit for `c`.
fn answer(c: &ComponentToRender) -> Value {
    let p = &c.props;
    match c.method_name.as_str() {
        "INPUT_TEXT" | "INPUT_RICH_TEXT" => json!("Ada"),
        "INPUT_EMAIL" => json!("ada@example.com"),
        "INPUT_NUMBER" | "INPUT_SLIDER" => {
            let (min, max) = (p["min"].as_f64(), p["max"].as_f64());
            json!(if min.unwrap_or(3.0) <= 3.0 && max.unwrap_or(3.0) >= 3.0 {
                3.0
            } else {
                min.unwrap_or(0.0)
            })
        }
        "INPUT_BOOLEAN" | "CONFIRM" | "CONFIRM_IDENTITY" => json!(true),
        "INPUT_DATE" => json!({"year": 2025, "month": 3, "day": 4}),
        "SELECT_SINGLE" => p["options"][0].clone(),
        "SELECT_MULTIPLE" => json!([p["options"][0], p["options"][2]]),
        "SELECT_TABLE" => json!([{"key": p["data"][0]["key"]}, {"key": p["data"][1]["key"]}]),
        "SEARCH" => p["results"][0]["value"].clone(),
        m if m.starts_with("DISPLAY_") => Value::Null,
        m => panic!("the example test cannot answer {m} yet"),
    }
}

/// Runs transaction `tx` of `slug` to its result, as the dashboard would.
async fn run(host: &mut Host, tx: &str, slug: &str) -> Run {
    host.run(tx, slug).await;
    let mut run = Run::default();
    // Groups answered: a re-render of one (a value that loaded later) is
    // not answered twice.
    let mut answered = std::collections::HashSet::new();
    loop {
        let message = host.peer.next_call().await;
        let (id, data) = (message.id, message.data);
        match message.method_name.as_str() {
            "SEND_IO_CALL" => {
                let inputs = SendIoCall::decode_inputs(data).unwrap();
                host.peer
                    .respond::<SendIoCall>(id, &SendIoCallReturns::Accepted(true));
                let render: IoRender = serde_json::from_str(&inputs.io_call).unwrap();
                if !answered.insert(render.input_group_key.clone()) {
                    continue;
                }
                assert_eq!(render.validation_error_message, None, "{slug}: refused");
                for c in &render.to_render {
                    assert_eq!(c.validation_error_message, None, "{slug}: refused");
                    run.methods.push(c.method_name.clone());
                }
                let values = render.to_render.iter().map(answer).collect();
                host.answer(tx, &render, Value::Array(values));
            }
            "SEND_LOADING_CALL" => {
                let s = SendLoadingCall::decode_inputs(data).unwrap().state;
                host.peer.respond::<SendLoadingCall>(id, &true);
                run.loading
                    .push((s.label, s.items_in_queue, s.items_completed));
            }
            "SEND_LOG" => {
                run.logs.push(SendLog::decode_inputs(data).unwrap().data);
                host.peer.respond::<SendLog>(id, &true);
            }
            "MARK_TRANSACTION_COMPLETE" => {
                let inputs = MarkTransactionComplete::decode_inputs(data).unwrap();
                host.peer.respond::<MarkTransactionComplete>(id, &true);
                let result: ActionResult =
                    serde_json::from_str(inputs.result.as_deref().unwrap()).unwrap();
                assert_eq!(
                    result.status,
                    ActionResultStatus::Success,
                    "{slug}: {result:?}"
                );
                run.result = result.data;
                return run;
            }
            other => panic!("{slug}: unexpected {other}"),
        }
    }
}

#[tokio::test]
async fn inputs_example() {
    let mut host = host(inputs::routes()).await;
    let run = run(&mut host, "t1", "sign-up").await;
    assert_eq!(
        run.methods,
        [
            "INPUT_TEXT",
            "INPUT_EMAIL",
            "INPUT_NUMBER",
            "INPUT_BOOLEAN",
            "INPUT_DATE"
        ]
    );
    assert_eq!(
        run.result,
        "Ada <ada@example.com>, 18 years old, newsletter: true, starts 2025-03-04"
    );
    host.check_interop();
}

#[tokio::test]
async fn selects_example() {
    let mut host = host(selects::routes()).await;
    let run = run(&mut host, "t1", "change-plan").await;
    assert_eq!(run.methods, ["SEARCH", "SELECT_SINGLE", "SELECT_MULTIPLE"]);
    assert_eq!(
        run.result,
        json!({
            "customer": "ada@example.com",
            "plan": {"id": 1, "name": "Free", "price": 0},
            "addons": ["SSO", "Priority support"],
        })
    );
    host.check_interop();
}

#[tokio::test]
async fn tables_example() {
    let mut host = host(tables::routes()).await;
    let run = run(&mut host, "t1", "refund").await;
    assert_eq!(run.methods, ["DISPLAY_TABLE", "SELECT_TABLE"]);
    assert_eq!(run.result, "Refunded 2 orders, $902.98");
    host.check_interop();
}

#[tokio::test]
async fn displays_example() {
    let mut host = host(displays::routes()).await;
    let run = run(&mut host, "t1", "server-status").await;
    assert_eq!(
        run.methods,
        [
            "DISPLAY_HEADING",
            "DISPLAY_MARKDOWN",
            "DISPLAY_METADATA",
            "DISPLAY_CODE",
            "DISPLAY_LINK",
            "DISPLAY_OBJECT"
        ]
    );
    assert_eq!(run.result, "shown");
    host.check_interop();
}

#[tokio::test]
async fn loading_example() {
    let mut host = host(loading::routes()).await;
    let run = run(&mut host, "t1", "import").await;
    assert_eq!(run.methods, ["INPUT_NUMBER"]);
    assert_eq!(
        run.logs,
        [
            "record 1 imported",
            "record 2 imported",
            "record 3 imported"
        ]
    );
    let label = Some("Importing records".to_owned());
    assert_eq!(
        run.loading.first(),
        Some(&(label.clone(), Some(3), Some(0)))
    );
    assert!(run.loading.iter().all(|l| l.0 == label && l.1 == Some(3)));
    assert_eq!(run.result, "Imported 3 records");
    host.check_interop();
}

#[tokio::test]
async fn pages_example() {
    let mut host = host(pages::routes()).await;
    let open = OpenPageInputs {
        page_key: "p1".into(),
        page: PageRef {
            slug: "users".into(),
        },
        environment: "development".into(),
        user: support::start("x", "x").user,
        params: Default::default(),
        params_meta: None,
    };
    let reply = host.peer.call::<OpenPage>(&open).await;
    assert_eq!(
        reply,
        OpenPageReturns::Success {
            page_key: "p1".into()
        }
    );
    let layout = loop {
        let (id, inputs) = host.peer.expect::<SendPage>().await;
        host.peer.respond::<SendPage>(id, &true);
        let layout: WireLayout = serde_json::from_str(&inputs.page.expect("a layout")).unwrap();
        if layout.children.is_some() {
            break layout;
        }
    };
    assert_eq!(layout.title, Some(Some("Users".into())));
    assert_eq!(
        layout.description,
        Some(Some("Viewed by ada@example.com".into()))
    );
    let table = &layout.children.expect("children").to_render[0];
    assert_eq!(table.method_name, "DISPLAY_TABLE");
    assert_eq!(table.props["totalRecords"], 50);

    let run = run(&mut host, "t1", "users/invite").await;
    assert_eq!(run.methods, ["INPUT_EMAIL"]);
    assert_eq!(run.result, "Invited ada@example.com");
    host.check_interop();
}
