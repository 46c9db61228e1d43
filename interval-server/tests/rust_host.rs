//! An interval-rs host (interval-core) through our server, driven by a client
//! of the dashboard API: the same path as the official Node host's test.

mod support;

use std::time::Duration;

use interval_core::{Action, Error, Interval, Layout, LoadingOptions, MenuItem, Page};
use serde::Serialize;
use serde_json::json;
use support::scenario::{self, HostTraits};
use support::{server, Dashboard, KEY};

#[derive(Clone, Serialize)]
struct User {
    id: u32,
    email: String,
}

fn users() -> Vec<User> {
    (0..1000)
        .map(|id| User {
            id,
            email: format!("user{id}@example.com"),
        })
        .collect()
}

async fn host(endpoint: String) -> Interval {
    let register = Action::new(|io, ctx| async move {
        let (name, age) = io
            .group((io.input().text("Name"), io.input().number("Age")))
            .validate(|(name, age)| {
                if *age < 18.0 {
                    Err(format!("{name} must be an adult"))
                } else {
                    Ok(())
                }
            })
            .await?;
        io.display()
            .table("Users", users())
            .default_page_size(10)
            .await?;
        ctx.loading()
            .start(LoadingOptions::label("Registering").items_in_queue(2));
        ctx.loading().complete_one();
        tokio::time::sleep(Duration::from_millis(300)).await;
        ctx.loading().complete_one();
        ctx.log(format!("registered {name}")).await;
        Ok::<_, Error>(json!({ "name": name, "age": age }))
    })
    .name("Register");
    let fail = Action::new(|_io, _ctx| async move { Err::<(), _>("Something broke") });
    let users_page = Page::new("Users")
        .description("All users")
        .handler(|io, _ctx| async move {
            Ok::<_, Error>(
                Layout::new()
                    .title("Users")
                    .description("1000 users")
                    .menu_item(MenuItem::route("Register", "register"))
                    .child(io.display().table("All users", users())),
            )
        })
        .action(
            "ban",
            Action::new(|_io, _ctx| async move { Ok::<_, Error>("banned") }),
        );
    let interval = Interval::builder()
        .endpoint(endpoint)
        .api_key(KEY)
        .action("register", register)
        .action("fail", fail)
        .page("users", users_page)
        .build();
    interval.listen().await.expect("the Rust host connects");
    interval
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rust_host_runs_a_transaction_and_a_page() {
    let server = server().await;
    let host = host(server.endpoint()).await;
    let mut dashboard = Dashboard::connect(&server).await;
    let traits = HostTraits {
        page_rows: 10,
        age: json!(36.0),
    };
    scenario::run(&mut dashboard, traits).await;
    host.immediately_close();
}

/// The history's status follows the steps: a question is AWAITING_INPUT, a
/// display-only step RUNNING, a second question AWAITING_INPUT again (a
/// render with the status already stored writes nothing), and the end
/// COMPLETED.
#[tokio::test(flavor = "multi_thread")]
async fn the_stored_status_follows_the_steps() {
    use interval_protocol::io::IoResponseKind;
    use interval_server::api::{Reply, Request};
    let server = server().await;
    let steps = Action::new(|io, _ctx| async move {
        let first = io.input().text("First").await?;
        let second = io.input().text("Second").await?;
        io.display().markdown(format!("{first} {second}")).await?;
        let third = io.input().text("Third").await?;
        Ok::<_, Error>(third)
    });
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action("steps", steps)
        .build();
    host.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("steps").await;
    let Ok(Reply::TransactionStarted { transaction_id: tx }) = dashboard
        .request(Request::StartTransaction {
            slug: "steps".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await
    else {
        panic!("not started");
    };
    let store = &server.state().store;
    // The status is written just after the render goes out: wait for it.
    let status_becomes = |expected: &'static str| {
        let tx = tx.clone();
        async move {
            let deadline = tokio::time::Instant::now() + support::WAIT;
            loop {
                let status = store.transaction(&tx).await.unwrap().unwrap().status;
                if status == expected {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "status {status}, not {expected}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    for answer in ["a", "b"] {
        let render = dashboard.next_render().await;
        status_becomes("AWAITING_INPUT").await;
        dashboard
            .respond(&tx, &render, IoResponseKind::Return, json!([answer]))
            .await;
    }
    // The display-only step.
    let shown = dashboard.next_render().await;
    status_becomes("RUNNING").await;
    dashboard
        .respond(&tx, &shown, IoResponseKind::Return, json!([null]))
        .await;
    let last = dashboard.next_render().await;
    status_becomes("AWAITING_INPUT").await;
    dashboard
        .respond(&tx, &last, IoResponseKind::Return, json!(["c"]))
        .await;
    status_becomes("COMPLETED").await;
    host.immediately_close();
}

/// Every run is in the audit log: who ran which action with which params.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_is_audited_with_its_params() {
    use interval_server::api::{Reply, Request};
    let server = server().await;
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action(
            "ban",
            Action::new(|_io, _ctx| async move { Ok::<_, Error>("banned") }),
        )
        .build();
    host.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("ban").await;
    let params = json!({ "user": "ada@example.com" });
    let started = dashboard
        .request(Request::StartTransaction {
            slug: "ban".into(),
            params: serde_json::from_value(params).unwrap(),
            queued_action_id: None,
        })
        .await;
    assert!(matches!(started, Ok(Reply::TransactionStarted { .. })));
    let audit = server.state().store.audit_log(10).await.unwrap();
    let run = audit
        .iter()
        .find(|line| line.event == "action_run")
        .expect("the run is audited");
    assert_eq!(run.actor.as_deref(), Some("admin@localhost"));
    assert!(run.detail.starts_with("ban "), "{}", run.detail);
    assert!(run.detail.contains("ada@example.com"), "{}", run.detail);
    host.immediately_close();
}
