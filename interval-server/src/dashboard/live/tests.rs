//! Tests of the live view: renders become patches, forms become typed
//! responses, table states go to the host or are shown from the rows in hand.

use super::*;
use crate::dashboard::io::testing::{component, render};
use interval_protocol::io::IoResponseKind;
use interval_protocol::types::LinkTarget;
use serde_json::json;

async fn session() -> Session {
    let store = crate::db::Store::open(None).await.unwrap();
    let auth = crate::auth::Auth::new(crate::auth::AuthSettings {
        lifetime: std::time::Duration::from_secs(60),
        idle_timeout: std::time::Duration::from_secs(60),
        secure_cookies: false,
        open_allowed: true,
        proxy: None,
    })
    .unwrap();
    let app = Arc::new(crate::AppState::new(
        crate::ServerConfig::default(),
        store,
        auth,
        None,
    ));
    let viewer = Viewer {
        person: crate::people::Person {
            id: "owner".into(),
            email: "admin@localhost".into(),
            first_name: None,
            last_name: None,
            role: crate::people::Role::Admin,
            teams: vec![],
        },
        session: None,
        via: SignedInVia::Open,
    };
    Session::new(Dashboard::new(app).unwrap(), viewer, KeyKind::Development)
}

fn patches(messages: Vec<ServerMessage>) -> Vec<Patch> {
    match messages.as_slice() {
        [ServerMessage::Patch { patches }] => patches.clone(),
        other => panic!("expected patches, got {other:?}"),
    }
}

fn render_event(r: &IoRender) -> ServerMessage {
    ServerMessage::Event {
        event: Event::Render {
            transaction_id: "tx".into(),
            render: r.clone(),
            append: false,
        },
    }
}

#[tokio::test]
async fn events_stay_events_until_html_is_asked_for() {
    let session = session().await;
    let r = render(vec![component("INPUT_TEXT", "Name", json!({}))]);
    assert!(matches!(
        session.present(render_event(&r)).await.as_slice(),
        [ServerMessage::Event { .. }]
    ));
    session.enable_html();
    let out = patches(session.present(render_event(&r)).await);
    assert_eq!(out[0].target, "io");
    assert!(out[0].html.contains(r#"<label for="c0">Name</label>"#));
    assert_eq!(
        (out[1].target.as_str(), out[1].html.as_str()),
        ("loading", "")
    );
}

#[tokio::test]
async fn forms_become_typed_responses() {
    let session = session().await;
    session.enable_html();
    let mut age = component("INPUT_NUMBER", "Age", json!({"min": 0}));
    age.is_optional = true;
    let r = render(vec![component("INPUT_TEXT", "Name", json!({})), age]);
    session.present(render_event(&r)).await;
    let refused = session
        .submission(
            "tx",
            "r1".into(),
            "g1".into(),
            None,
            &[vec![], vec!["-3".into()]],
        )
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.len(), 2);
    let response = session
        .submission(
            "tx",
            "r1".into(),
            "g1".into(),
            Some("save".into()),
            &[vec!["Ada".into()], vec!["".into()]],
        )
        .unwrap()
        .unwrap();
    assert_eq!(response.values, vec![json!("Ada"), Value::Null]);
    assert_eq!(
        response.values_meta,
        Some(json!({"values": {"1": ["undefined"]}}))
    );
    assert_eq!(response.choice.as_deref(), Some("save"));
    assert!(session
        .submission("tx", "r1".into(), "other".into(), None, &[])
        .is_err());
}

#[tokio::test]
async fn table_state_goes_to_the_host_and_shows_in_the_next_render() {
    let session = session().await;
    session.enable_html();
    let rows: Vec<Value> = (0..30)
        .map(|i| json!({"key": i.to_string(), "data": {"n": i}}))
        .collect();
    let mut table = component(
        "DISPLAY_TABLE",
        "Numbers",
        json!({"data": rows, "totalRecords": 100, "defaultPageSize": 10}),
    );
    table.is_stateful = true;
    let r = render(vec![table]);
    session.present(render_event(&r)).await;
    let Ok(StateChange::Host(response)) =
        session.state_change("tx", "g1".into(), 0, json!({"offset": 10, "pageSize": 10}))
    else {
        panic!("a page the dashboard does not have is the host's to send");
    };
    assert_eq!(response.kind, IoResponseKind::SetState);
    assert_eq!(response.values, vec![json!({"offset": 10, "pageSize": 10})]);
    let out = patches(session.present(render_event(&r)).await);
    assert!(out[0].html.contains("11–20 of 100"), "{}", out[0].html);
    assert!(session
        .state_change("tx", "g1".into(), 3, json!({}))
        .is_err());
}

#[tokio::test]
async fn a_table_with_all_its_rows_is_sorted_and_paged_here_but_searched_by_the_host() {
    let session = session().await;
    session.enable_html();
    let rows: Vec<Value> = (0..12)
        .map(|i| json!({"key": i.to_string(), "data": {"n": i}}))
        .collect();
    let table = component(
        "DISPLAY_TABLE",
        "Numbers",
        json!({"data": rows, "totalRecords": 12, "defaultPageSize": 5}),
    );
    let r = render(vec![table]);
    session.present(render_event(&r)).await;
    let sort = json!({"offset": 0, "pageSize": 5, "sortColumn": "n", "sortDirection": "desc"});
    let Ok(StateChange::Shown(event)) = session.state_change("tx", "g1".into(), 0, sort) else {
        panic!("sorting rows in hand does not ask the host");
    };
    let out = patches(session.present(ServerMessage::Event { event }).await);
    let html = &out[0].html;
    assert!(html.contains("1–5 of 12"), "{html}");
    assert!(
        html.find("<td>11</td>") < html.find("<td>10</td>"),
        "{html}"
    );
    assert!(!html.contains("<td>6</td>"), "{html}");
    assert!(html.contains(r#"aria-sort="descending""#), "{html}");
    let search = json!({"offset": 0, "pageSize": 5, "queryTerm": "1"});
    assert!(matches!(
        session.state_change("tx", "g1".into(), 0, search),
        Ok(StateChange::Host(_))
    ));
}

#[tokio::test]
async fn redirects_navigate_and_results_replace_the_form() {
    let session = session().await;
    session.enable_html();
    let redirect = ServerMessage::Event {
        event: Event::Redirect {
            transaction_id: "tx".into(),
            target: LinkTarget::Url {
                url: "javascript:alert(1)".into(),
                download: None,
            },
            replace: false,
        },
    };
    assert!(matches!(
        session.present(redirect).await.as_slice(),
        [ServerMessage::Navigate { href, .. }] if href == "/"
    ));
    let redirect = ServerMessage::Event {
        event: Event::Redirect {
            transaction_id: "tx".into(),
            target: LinkTarget::Route {
                route: "users/edit".into(),
                params: json!({"id": 7}).as_object().cloned(),
            },
            replace: true,
        },
    };
    assert!(matches!(
        session.present(redirect).await.as_slice(),
        [ServerMessage::Navigate { href, replace: true }] if href == "/actions/users/edit?id=7"
    ));
    let done = ServerMessage::Event {
        event: Event::Completed {
            transaction_id: "tx".into(),
            result_status: interval_protocol::types::ResultStatus::Canceled,
            result: None,
        },
    };
    let out = patches(session.present(done).await);
    let targets: Vec<&str> = out.iter().map(|p| p.target.as_str()).collect();
    assert_eq!(targets, ["io", "loading", "result", "toolbar"]);
    assert!(out[2].html.contains("Canceled"));
    assert!(
        out[2].html.contains("data-ended"),
        "leaving needs no warning now"
    );
}

fn append_event(r: &IoRender) -> ServerMessage {
    ServerMessage::Event {
        event: Event::Render {
            transaction_id: "tx".into(),
            render: r.clone(),
            append: true,
        },
    }
}

#[tokio::test]
async fn append_ui_steps_accumulate_and_earlier_ones_stay_read_only() {
    let session = session().await;
    session.enable_html();
    // A display-only step waits for no Continue.
    let mut hello = render(vec![component("DISPLAY_HEADING", "Hello", json!({}))]);
    hello.input_group_key = "g0".into();
    hello.id = "r0".into();
    let out = patches(session.present(append_event(&hello)).await);
    assert_eq!(out[0].target, "io");
    assert_eq!(out[0].mode, PatchMode::Replace);
    assert!(out[0].html.contains(r#"id="io-step-0""#), "{}", out[0].html);
    assert!(!out[0].html.contains("Continue"), "{}", out[0].html);
    // A question below it.
    let name = render(vec![component("INPUT_TEXT", "Name", json!({}))]);
    let out = patches(session.present(append_event(&name)).await);
    assert_eq!(out[0].target, "io-step-0", "the display stays");
    assert_eq!(
        (out[1].target.as_str(), out[1].mode),
        ("io", PatchMode::Append)
    );
    assert!(out[1].html.contains(r#"id="io-step-1""#));
    assert!(out[1].html.contains(r#"<label for="s1-c0">Name</label>"#));
    assert!(out[1].html.contains("Continue"));
    session
        .submission("tx", "r1".into(), "g1".into(), None, &[vec!["Ada".into()]])
        .unwrap()
        .unwrap();
    // The next question: the answered one stays, read-only, with its answer.
    let mut colour = render(vec![component("INPUT_TEXT", "Colour", json!({}))]);
    colour.input_group_key = "g2".into();
    colour.id = "r2".into();
    let out = patches(session.present(append_event(&colour)).await);
    assert_eq!(out[0].target, "io-step-1");
    assert!(out[0].html.contains(r#"value="Ada""#), "{}", out[0].html);
    assert!(out[0].html.contains("disabled"), "{}", out[0].html);
    // No button: marked with the one it was given.
    assert!(!out[0].html.contains("<button"), "{}", out[0].html);
    assert!(
        out[0].html.contains("Submitted with </span>Continue"),
        "{}",
        out[0].html
    );
    assert!(out[1].html.contains(r#"<label for="s2-c0">Colour</label>"#));
    // An earlier group rendered again replaces its step, nothing else.
    let out = patches(session.present(append_event(&hello)).await);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].target, "io-step-0");
    // What the session keeps is keyed on the input group.
    assert!(session
        .submission("tx", "r2".into(), "g2".into(), None, &[vec!["teal".into()]])
        .unwrap()
        .is_ok());
    assert!(session
        .submission("tx", "r9".into(), "g9".into(), None, &[vec![]])
        .is_err());
}
