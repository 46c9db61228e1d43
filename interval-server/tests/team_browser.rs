//! A team in a real headless Chromium (tests/e2e/team.mjs): two people in
//! different teams each see and run only what their teams may run; an
//! action queued for one is in that person's queue only; a developer's
//! development actions are invisible to everyone else; and a key revoked on
//! the keys page disconnects its host.

#[path = "support/e2e.rs"]
mod e2e;
mod support;

use std::time::Duration;

use interval_core::{Action, Error, Interval};
use interval_protocol::types::AccessControl;
use interval_server::db::NewPerson;
use interval_server::people::Role;
use interval_server::ServerConfig;
use serde_json::{json, Value};
use support::server_with;

const PASSWORD: &str = "correct-horse-battery";

/// An action that says who ran it, with which order.
fn whoami(name: &str) -> Action {
    Action::new(|_io, ctx| async move {
        let order = ctx
            .params()
            .get("order")
            .and_then(Value::as_str)
            .unwrap_or("no order")
            .to_owned();
        let user = ctx.user();
        Ok::<_, Error>(format!(
            "{} ran this for {order} (teams: {})",
            user.email,
            user.teams.join(", ")
        ))
    })
    .name(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_people_in_different_teams_in_a_real_browser() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let store = &server.state().store;
    let hash = interval_server::keys::hash(PASSWORD).unwrap();
    let add = |email: &'static str, first: &'static str, role: Role, team: &'static str| {
        let hash = hash.clone();
        async move {
            let person = store
                .add_person(&NewPerson {
                    email,
                    first_name: Some(first),
                    last_name: None,
                    role,
                    password_hash: Some(hash),
                })
                .await
                .unwrap();
            store.join_team(team, &person.id).await.unwrap();
            person
        }
    };
    add("sam@example.com", "Sam", Role::Member, "support").await;
    let fay = add("fay@example.com", "Fay", Role::Developer, "finance").await;
    store.put_team("support", "Support").await.unwrap();
    store.put_team("finance", "Finance").await.unwrap();

    let live = store.create_live_key("Production", None).await.unwrap();
    let production = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(&live)
        .action(
            "refund",
            whoami("Refund an order").access(AccessControl::teams(["support"])),
        )
        .action(
            "payroll",
            whoami("Run payroll").access(AccessControl::teams(["finance"])),
        )
        .action(
            "status",
            whoami("Check status").access(AccessControl::entire_organization()),
        )
        .build();
    production
        .listen()
        .await
        .expect("the production host connects");
    let fay_key = store.create_dev_key(&fay.id, "Fay's laptop").await.unwrap();
    let development = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(&fay_key)
        .action("experiment", whoami("Try an experiment"))
        .build();
    development
        .listen()
        .await
        .expect("the development host connects");

    // Two refunds queued: one for Sam, one for nobody in particular.
    let http = reqwest::Client::new();
    for body in [
        json!({"slug": "refund", "assignee": "sam@example.com", "params": {"order": "A-1"}}),
        json!({"slug": "payroll", "assignee": "fay@example.com", "params": {"order": "P-9"}}),
    ] {
        let reply: Value = http
            .post(format!("{}/api/actions/enqueue", server.url()))
            .bearer_auth(&live)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(reply["type"], "success", "{reply}");
    }

    e2e::run_script(&server, "team.mjs", vec![("PASSWORD", PASSWORD.into())]).await;

    // The script revoked Fay's key on the keys page: her host is gone, and
    // stays gone (its reconnects are refused).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.state().registry_host_count() != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the revoked key's host is still connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.state().registry_host_count(), 1);
    production.immediately_close();
    development.immediately_close();
}
