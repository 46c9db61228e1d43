//! Fuzzing, on stable Rust and for a time budget, of the server's decoders
//! of outside input: dashboard API messages, the dashboard's form fields
//! read against a host's render, markdown and HTML from hosts, and HTTP API
//! bodies. Frames, RPC messages and superjson are fuzzed in
//! interval-protocol. A panic fails the test and prints the seed that
//! reproduces it (`ARBTEST_SEED=<seed> cargo test ...`).

#[path = "../../interval-protocol/tests/fuzz_input/mod.rs"]
mod fuzz_input;

use fuzz_input::{budget, fuzz, text, value, WORDS};
use interval_protocol::http::{DequeueBody, EnqueueBody, NotifyBody};
use interval_protocol::io::{ComponentToRender, IoRender, RenderKind};
use interval_server::api::ClientMessage;
use interval_server::dashboard::{sanitize, values};
use serde_json::{Map, Value};

const DASHBOARD: &[&str] = &[
    r#"{"id":1,"request":{"type":"start_transaction","slug":"refund","params":{"a":"1"},"queued_action_id":null}}"#,
    r#"{"id":2,"request":{"type":"respond","transaction_id":"t","response":{"id":"r","inputGroupKey":"g","kind":"RETURN","values":[1]},"password":null}}"#,
    r#"{"id":3,"request":{"type":"history","limit":500}}"#,
    r#"{"id":4,"request":{"type":"submit","transaction_id":"t","fields":[["Ada"],["36"]],"choice":null}}"#,
];

const HTTP: &[&str] = &[
    r#"{"slug":"refund","assignee":"a@b","params":{"n":"9007199254740993"},"paramsMeta":{"values":{"n":["bigint"]}}}"#,
    r#"{"id":"q1"}"#,
    r#"{"message":"hi","title":"t","deliveryInstructions":[{"to":"a@b","method":"EMAIL"}],"createdAt":"2024-01-01T00:00:00Z"}"#,
];

#[test]
fn dashboard_messages_never_panic() {
    fuzz(DASHBOARD, |text| {
        serde_json::from_str::<ClientMessage>(text).is_ok()
    });
}

#[test]
fn http_api_bodies_never_panic() {
    fuzz(HTTP, |text| {
        let enqueue = serde_json::from_str::<EnqueueBody>(text).is_ok();
        let dequeue = serde_json::from_str::<DequeueBody>(text).is_ok();
        enqueue | dequeue | serde_json::from_str::<NotifyBody>(text).is_ok()
    });
}

#[test]
fn markdown_and_html_from_hosts_never_panic() {
    fuzz(
        &["# Hi\n\n[x](/a) <a href=\"/\\\\b\">c</a> <img src=\"data:image/png;base64,AA\">"],
        |text| {
            let _ = sanitize::markdown(text);
            let _ = sanitize::html(text);
            let _ = sanitize::link_url(text);
            sanitize::media_url(text).is_some() || !text.is_empty()
        },
    );
}

const METHODS: &[&str] = &[
    "INPUT_TEXT",
    "INPUT_EMAIL",
    "INPUT_NUMBER",
    "INPUT_BOOLEAN",
    "INPUT_RICH_TEXT",
    "INPUT_URL",
    "INPUT_DATE",
    "INPUT_TIME",
    "INPUT_DATETIME",
    "INPUT_SLIDER",
    "INPUT_SPREADSHEET",
    "UPLOAD_FILE",
    "CONFIRM",
    "CONFIRM_IDENTITY",
    "SEARCH",
    "SELECT_SINGLE",
    "SELECT_MULTIPLE",
    "SELECT_TABLE",
    "DISPLAY_HEADING",
    "DISPLAY_TABLE",
];

/// The browser's form fields read against a host's render: both sides are
/// outside input.
#[test]
fn form_fields_read_against_any_render_never_panic() {
    arbtest::arbtest(|u| {
        let count = u.int_in_range(1..=4)?;
        let mut to_render = Vec::new();
        for _ in 0..count {
            let props = match value(u, 4)? {
                props @ Value::Object(_) => props,
                _ => Value::Object(Map::new()),
            };
            to_render.push(ComponentToRender {
                method_name: (*u.choose(METHODS)?).to_owned(),
                label: u.arbitrary()?,
                props,
                props_meta: None,
                is_stateful: u.arbitrary()?,
                is_optional: u.arbitrary()?,
                is_multiple: u.arbitrary()?,
                validation_error_message: None,
                multiple_props: None,
            });
        }
        let render = IoRender {
            id: "r".into(),
            input_group_key: "g".into(),
            to_render,
            validation_error_message: None,
            kind: RenderKind::Render,
            choice_buttons: None,
        };
        let mut fields = Vec::new();
        for _ in 0..u.int_in_range(0..=5)? {
            let mut field = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                field.push(match u.int_in_range(0..=2)? {
                    0 => (*u.choose(WORDS)?).to_owned(),
                    1 => text(u, &["36", "2024-01-02", "12:30", "true", "0", "-1e309"])?,
                    _ => u.arbitrary()?,
                });
            }
            fields.push(field);
        }
        let _ = values::read_all(&render, &fields);
        Ok(())
    })
    .budget_ms(budget());
}
