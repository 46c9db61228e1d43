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
