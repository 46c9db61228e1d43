//! An interval-rs host (interval-core) through our server, driven by a client
//! of the dashboard API: the same path as the official Node host's test.

mod support;

use std::time::Duration;

use interval_core::{Action, Error, Interval, Layout, LoadingOptions, MenuItem, Page};
use interval_protocol::io::IoResponseKind;
use interval_protocol::types::ResultStatus;
use interval_server::api::{Event, Reply, Request};
use serde::Serialize;
use serde_json::json;
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
    dashboard.wait_for_action("register").await;

    let Ok(Reply::Routes { actions, pages }) = dashboard.request(Request::Routes).await else {
        panic!("no routes")
    };
    let slugs: Vec<_> = actions.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["fail", "register", "users/ban"]);
    assert_eq!(
        (pages[0].slug.as_str(), pages[0].has_handler),
        ("users", true)
    );

    let Ok(Reply::TransactionStarted { transaction_id: tx }) = dashboard
        .request(Request::StartTransaction {
            slug: "register".into(),
            params: Default::default(),
            queued_action_id: None,
        })
        .await
    else {
        panic!("not started")
    };

    let group = dashboard.next_render().await;
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

    let table = dashboard.next_render().await;
    assert_eq!(table.to_render[0].method_name, "DISPLAY_TABLE");
    assert_eq!(table.to_render[0].props["totalRecords"], json!(1000));
    dashboard
        .respond(
            &tx,
            &table,
            IoResponseKind::SetState,
            json!([{"offset": 10, "pageSize": 10}]),
        )
        .await;
    let page = dashboard.next_render().await;
    let rows = page.to_render[0].props["data"].as_array().unwrap();
    assert_eq!(rows.len(), 10, "exactly the page asked for");
    assert_eq!(rows[0]["key"], json!("10"));
    assert_eq!(rows[0]["data"]["email"], json!("user10@example.com"));
    dashboard
        .respond(&tx, &page, IoResponseKind::Return, json!([null]))
        .await;

    let mut loading = None;
    let mut log = None;
    let (status, result) = loop {
        match dashboard.event().await {
            Event::Loading { state, .. } => loading = Some(state),
            Event::Log { data, index, .. } => log = Some((index, data)),
            Event::Render { .. } => continue,
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
    assert_eq!(status, ResultStatus::Success);
    assert_eq!(result.unwrap().data, json!({"name": "Ada", "age": 36.0}));

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
                layout: Some(layout),
                ..
            } if layout.children.is_some() => break layout,
            Event::PageRender { .. } | Event::Loading { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(layout.title, Some(Some("Users".into())));
    assert_eq!(layout.menu_items.unwrap()[0]["route"], json!("register"));
    assert_eq!(
        layout.children.unwrap().to_render[0].method_name,
        "DISPLAY_TABLE"
    );
    assert_eq!(
        dashboard.request(Request::ClosePage { page_key }).await,
        Ok(Reply::Ok)
    );
    host.immediately_close();
}
