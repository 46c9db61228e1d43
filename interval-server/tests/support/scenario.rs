//! The path both host kinds take through the server in the tests: a group
//! with a validation error, a table paged by the host, a loading state, a
//! log, a result, a failure, then a page with a menu item and a table. The
//! hosts are tests/interop/node-host.mjs and the Rust host of rust_host.rs.

use interval_protocol::io::{IoRender, IoResponseKind};
use interval_protocol::types::ResultStatus;
use interval_server::api::{Event, Reply, Request};
use serde_json::{json, Value};

use super::Dashboard;

/// How the two hosts legitimately differ.
pub struct HostTraits {
    /// The age in the result (Node keeps the integer; Rust's number input is an `f64`).
    pub age: Value,
}

/// Runs the path against whichever host serves `register`, `fail` and the
/// `users` page.
pub async fn run(dashboard: &mut Dashboard, host: HostTraits) {
    dashboard.wait_for_action("register").await;

    let Ok(Reply::Routes { actions, pages }) = dashboard.request(Request::Routes).await else {
        panic!("no routes")
    };
    let slugs: Vec<_> = actions.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["fail", "register", "users/ban"]);
    assert_eq!(actions[1].name, "Register");
    assert_eq!(actions[0].name, "Fail", "derived from the slug");
    assert_eq!(
        (pages[0].slug.as_str(), pages[0].has_handler),
        ("users", true)
    );

    let started = dashboard
        .request(Request::StartTransaction {
            slug: "register".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await;
    let Ok(Reply::TransactionStarted { transaction_id: tx }) = started else {
        panic!("not started: {started:?}")
    };
    assert_eq!(tx.len(), 21);

    // A group with a validation error.
    let group = dashboard.next_render().await;
    let methods: Vec<_> = group
        .to_render
        .iter()
        .map(|c| c.method_name.as_str())
        .collect();
    assert_eq!(methods, ["INPUT_TEXT", "INPUT_NUMBER"]);
    dashboard
        .respond(&tx, &group, IoResponseKind::Return, json!(["Ada", 12]))
        .await;
    let again = dashboard.next_render().await;
    assert_eq!(again.input_group_key, group.input_group_key);
    assert_eq!(
        again.validation_error_message.as_deref(),
        Some("Ada must be an adult")
    );
    dashboard
        .respond(&tx, &again, IoResponseKind::Return, json!(["Ada", 36]))
        .await;

    // A table, paged by the host while the question after it waits
    // (append-UI: the display resolved at once).
    let table = dashboard.next_render().await;
    assert_eq!(table.to_render[0].method_name, "DISPLAY_TABLE");
    assert_eq!(table.to_render[0].props["totalRecords"], json!(1000));
    assert_eq!(
        table.to_render[0].props["data"].as_array().unwrap().len(),
        500,
        "the first 500 rows up front"
    );
    let question = dashboard.next_render().await;
    assert_eq!(question.to_render[0].method_name, "CONFIRM");
    dashboard
        .respond(
            &tx,
            &table,
            IoResponseKind::SetState,
            json!([{"offset": 10, "pageSize": 10}]),
        )
        .await;
    let page = dashboard.next_render().await;
    assert_eq!(
        page.input_group_key, table.input_group_key,
        "the earlier step rendered again"
    );
    // Both hosts answer a SET_STATE as Node's IOClient does: the render
    // the table's new state triggers, then the one that always follows,
    // identical but for its id.
    let again = dashboard.next_render().await;
    assert_ne!(again.id, page.id);
    assert_eq!(
        IoRender {
            id: page.id.clone(),
            ..again
        },
        page,
        "the second render differs from the first in more than its id"
    );
    let rows = page.to_render[0].props["data"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        30,
        "the rows the host sends for a page of 10: three pages' worth"
    );
    assert_eq!(rows[0]["key"], json!("10"));
    assert_eq!(rows[0]["data"]["email"], json!("user10@example.com"));
    dashboard
        .respond(&tx, &question, IoResponseKind::Return, json!([true]))
        .await;

    // Loading, a log, the result.
    let mut loading = None;
    let mut log = None;
    let result = loop {
        match dashboard.event().await {
            Event::Loading { state, .. } => loading = Some(state),
            Event::Log { data, index, .. } => log = Some((index, data)),
            Event::Completed {
                result_status,
                result,
                ..
            } => break (result_status, result),
            other => panic!("unexpected {other:?}"),
        }
    };
    let loading = loading.expect("a loading state");
    assert_eq!(loading.label.as_deref(), Some("Registering"));
    assert_eq!(loading.items_in_queue, Some(2));
    assert_eq!(log, Some((0, "registered Ada".to_owned())));
    assert_eq!(result.0, ResultStatus::Success);
    assert_eq!(
        result.1.unwrap().data,
        json!({"name": "Ada", "age": host.age})
    );

    let Ok(Reply::Transaction { transaction, logs }) = dashboard
        .request(Request::Transaction {
            transaction_id: tx.clone(),
        })
        .await
    else {
        panic!("no transaction")
    };
    assert_eq!(transaction.status, "COMPLETED");
    assert_eq!(transaction.result_status.as_deref(), Some("SUCCESS"));
    assert_eq!(logs.len(), 1);

    // A failing action.
    let Ok(Reply::TransactionStarted { .. }) = dashboard
        .request(Request::StartTransaction {
            slug: "fail".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await
    else {
        panic!("not started")
    };
    match dashboard.event().await {
        Event::Completed {
            result_status,
            result,
            ..
        } => {
            assert_eq!(result_status, ResultStatus::Failure);
            assert_eq!(result.unwrap().data["message"], json!("Something broke"));
        }
        other => panic!("unexpected {other:?}"),
    }

    // The page.
    let opened = dashboard
        .request(Request::OpenPage {
            slug: "users".into(),
            params: Default::default(),
        })
        .await;
    let Ok(Reply::PageOpened { page_key }) = opened else {
        panic!("{opened:?}")
    };
    let layout = loop {
        match dashboard.event().await {
            Event::PageRender {
                page_key: key,
                layout: Some(layout),
            } if key == page_key => {
                if layout.children.is_some() {
                    break layout;
                }
            }
            Event::PageRender { .. } | Event::Loading { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(layout.title, Some(Some("Users".into())));
    assert_eq!(layout.menu_items.unwrap()[0]["route"], json!("register"));
    let children = layout.children.unwrap();
    assert_eq!(children.to_render[0].method_name, "DISPLAY_TABLE");
    assert_eq!(
        dashboard.request(Request::ClosePage { page_key }).await,
        Ok(Reply::Ok)
    );
}
