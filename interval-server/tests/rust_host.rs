//! An interval-rs host (interval-core) through our server, driven by a client
//! of the dashboard API: the same path as the official Node host's test.

mod support;

use std::sync::Arc;
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
        io.confirm("Register them?").await?;
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
    let traits = HostTraits { age: json!(36.0) };
    scenario::run(&mut dashboard, traits).await;
    host.immediately_close();
}

/// The same path with the host on node A and the dashboard on node B of
/// one PostgreSQL: every request, render, loading state, log and page
/// update passes between the nodes.
#[tokio::test(flavor = "multi_thread")]
async fn a_rust_host_on_one_node_serves_a_dashboard_on_another() {
    let Some((a, b, _store)) = support::two_nodes().await else {
        return;
    };
    let host = host(a.endpoint()).await;
    let mut dashboard = Dashboard::connect(&b).await;
    let traits = HostTraits { age: json!(36.0) };
    scenario::run(&mut dashboard, traits).await;
    host.immediately_close();
}

/// Across nodes, a render too large for a PostgreSQL notification arrives
/// whole (through the `bus_messages` table, emptied as it is read); the
/// answer, a cancel and a closed dashboard reach node A.
#[tokio::test(flavor = "multi_thread")]
async fn large_renders_cancels_and_closed_dashboards_cross_nodes() {
    use interval_protocol::io::IoResponseKind;
    use interval_server::api::{Reply, Request};
    let Some((a, b, store)) = support::two_nodes().await else {
        return;
    };
    let big = "Lorem ipsum dolor sit amet. ".repeat(1_000);
    let shown = big.clone();
    let answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = answered.clone();
    let interval = Interval::builder()
        .endpoint(a.endpoint())
        .api_key(KEY)
        .action(
            "big",
            Action::new(move |io, _ctx| {
                let shown = shown.clone();
                async move {
                    let name = io.input().text("Name").help_text(shown.as_str()).await?;
                    Ok::<_, Error>(format!("Hello, {name}!"))
                }
            }),
        )
        .action(
            "wait",
            Action::new(move |io, _ctx| {
                let seen = seen.clone();
                async move {
                    let answer = io.input().text("Never answered").await;
                    seen.store(answer.is_err(), std::sync::atomic::Ordering::SeqCst);
                    answer
                }
            }),
        )
        .build();
    interval.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&b).await;
    dashboard.wait_for_action("big").await;
    let transaction_id = dashboard.start("big").await;
    let render = dashboard.next_render().await;
    assert!(
        serde_json::to_string(&render).unwrap().contains(&big),
        "the whole help text crossed the nodes"
    );
    dashboard
        .respond(
            &transaction_id,
            &render,
            IoResponseKind::Return,
            json!(["Ada"]),
        )
        .await;
    assert_eq!(dashboard.result_data().await, json!("Hello, Ada!"));

    // A cancel from node B reaches the action on node A.
    let transaction_id = dashboard.start("wait").await;
    dashboard.next_render().await;
    assert_eq!(
        dashboard
            .request(Request::Cancel {
                transaction_id: transaction_id.clone()
            })
            .await,
        Ok(Reply::Ok)
    );
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while !answered.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the action was not canceled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let record = store.transaction(&transaction_id).await.unwrap().unwrap();
    assert_eq!(record.result_status.as_deref(), Some("CANCELED"));

    // Node A served the dashboard through a stand-in connection, gone with
    // the dashboard; no kept message body is left behind.
    assert_eq!(
        a.state().dashboard_backlogs().len(),
        1,
        "one stand-in on node A"
    );
    drop(dashboard);
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while !a.state().dashboard_backlogs().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stand-in stayed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.sweep_bus_messages(-60_000).await.unwrap(),
        0,
        "every kept message body was taken"
    );
    interval.immediately_close();
}

/// `safely_close` of a host on node A, seen from a dashboard on node B: B
/// stops offering its actions at once, the transaction it runs completes
/// from B, and then the host closes.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_closing_safely_on_one_node_is_seen_on_another() {
    use interval_protocol::io::IoResponseKind;
    use interval_server::api::{Reply, Request};
    let Some((a, b, _store)) = support::two_nodes().await else {
        return;
    };
    let interval = Interval::builder()
        .endpoint(a.endpoint())
        .api_key(KEY)
        .action(
            "wait",
            Action::new(|io, _ctx| async move { io.input().text("Name").await }),
        )
        .build();
    interval.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&b).await;
    dashboard.wait_for_action("wait").await;
    let transaction_id = dashboard.start("wait").await;
    let render = dashboard.next_render().await;
    let closing = interval.clone();
    let closed = tokio::spawn(async move { closing.safely_close().await });
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let Ok(Reply::Routes { actions, .. }) = dashboard.request(Request::Routes).await else {
            panic!("no routes")
        };
        if actions.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B still offers the closing host's actions"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = dashboard
        .request(Request::StartTransaction {
            slug: "wait".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await;
    assert!(
        matches!(&refused, Err(message) if message.contains("There is no action")),
        "{refused:?}"
    );
    dashboard
        .respond(
            &transaction_id,
            &render,
            IoResponseKind::Return,
            json!(["Ada"]),
        )
        .await;
    assert_eq!(dashboard.result_data().await, json!("Ada"));
    tokio::time::timeout(support::WAIT, closed)
        .await
        .expect("safely_close ends once its transaction did")
        .expect("the closing task")
        .expect("closed safely");
}

/// The history's status follows the steps: a question is AWAITING_INPUT, a
/// display-only step RUNNING, a second question AWAITING_INPUT again (a
/// render with the status already stored writes nothing), and the end
/// COMPLETED.
#[tokio::test(flavor = "multi_thread")]
async fn the_stored_status_follows_the_steps() {
    use interval_protocol::io::IoResponseKind;
    let server = server().await;
    // In append-UI mode the display resolves at once: the action waits here
    // until the test has seen the display-only step's status.
    let seen = Arc::new(tokio::sync::Notify::new());
    let waits = seen.clone();
    let steps = Action::new(move |io, _ctx| {
        let waits = waits.clone();
        async move {
            let first = io.input().text("First").await?;
            let second = io.input().text("Second").await?;
            io.display().markdown(format!("{first} {second}")).await?;
            waits.notified().await;
            let third = io.input().text("Third").await?;
            Ok::<_, Error>(third)
        }
    });
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action("steps", steps)
        .build();
    host.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("steps").await;
    let tx = dashboard.start("steps").await;
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
    // The display-only step (it needs no answer in append-UI mode).
    let shown = dashboard.next_render().await;
    assert_eq!(shown.to_render[0].method_name, "DISPLAY_MARKDOWN");
    status_becomes("RUNNING").await;
    seen.notify_one();
    let last = dashboard.next_render().await;
    status_becomes("AWAITING_INPUT").await;
    dashboard
        .respond(&tx, &last, IoResponseKind::Return, json!(["c"]))
        .await;
    status_becomes("COMPLETED").await;
    host.immediately_close();
}

/// Append-UI (PROTOCOL §6.6, CLOSE_TRANSACTION): the host keeps a finished
/// transaction until the server closes it, which it does when the dashboard
/// that ran it leaves it (a Leave request, or its connection closing): only
/// then does a safe close of the host end.
#[tokio::test(flavor = "multi_thread")]
async fn leaving_a_finished_transaction_closes_it_on_the_host() {
    use interval_server::api::{Event, Reply, Request};
    for by_closing_the_connection in [false, true] {
        let server = server().await;
        let host = Interval::builder()
            .endpoint(server.endpoint())
            .api_key(KEY)
            .action(
                "hello",
                Action::new(|io, _ctx| async move {
                    io.display().markdown("Hello").await?;
                    Ok::<_, Error>("done")
                }),
            )
            .build();
        host.listen().await.expect("the host connects");
        let mut dashboard = Dashboard::connect(&server).await;
        dashboard.wait_for_action("hello").await;
        let tx = dashboard.start("hello").await;
        // The display resolved at once: no answer is given.
        loop {
            match dashboard.event().await {
                Event::Render { append, .. } => assert!(append, "an append-UI transaction"),
                Event::Completed { .. } => break,
                _ => {}
            }
        }
        let closing = {
            let host = host.clone();
            tokio::spawn(async move { host.safely_close().await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !closing.is_finished(),
            "the host keeps a finished transaction until CLOSE_TRANSACTION"
        );
        if by_closing_the_connection {
            drop(dashboard);
        } else {
            let left = dashboard
                .request(Request::Leave {
                    transaction_id: tx.clone(),
                })
                .await;
            assert_eq!(left, Ok(Reply::Ok));
        }
        // Well before the host gives up waiting on its own.
        tokio::time::timeout(Duration::from_secs(3), closing)
            .await
            .expect("the safe close ends once the transaction was closed")
            .expect("the closing task")
            .expect("closed safely");
    }
}

/// A backgroundable append-UI transaction that finishes with no dashboard
/// following it (left while it ran) is closed on its host at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_background_run_finishing_unwatched_is_closed_on_the_host() {
    use interval_server::api::{Reply, Request};
    let server = server().await;
    let go = Arc::new(tokio::sync::Notify::new());
    let waits = go.clone();
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action(
            "later",
            Action::new(move |io, _ctx| {
                let waits = waits.clone();
                async move {
                    io.display().markdown("Working").await?;
                    waits.notified().await;
                    Ok::<_, Error>("done")
                }
            })
            .backgroundable(true),
        )
        .build();
    host.listen().await.expect("the host connects");
    let mut dashboard = Dashboard::connect(&server).await;
    dashboard.wait_for_action("later").await;
    let tx = dashboard.start("later").await;
    dashboard.next_render().await;
    let left = dashboard
        .request(Request::Leave {
            transaction_id: tx.clone(),
        })
        .await;
    assert_eq!(left, Ok(Reply::Ok), "it runs on in the background");
    go.notify_one();
    let store = &server.state().store;
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while store.transaction(&tx).await.unwrap().unwrap().status != "COMPLETED" {
        assert!(tokio::time::Instant::now() < deadline, "not completed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closing = {
        let host = host.clone();
        tokio::spawn(async move { host.safely_close().await })
    };
    tokio::time::timeout(Duration::from_secs(3), closing)
        .await
        .expect("the safe close ends: the finished transaction was closed")
        .expect("the closing task")
        .expect("closed safely");
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
