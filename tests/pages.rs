//! Pages: OPEN_PAGE runs the handler, SEND_PAGE carries the layout (title
//! computed later re-sends it), SET_STATE on a table in the page re-renders
//! the page, CLOSE_PAGE stops everything; handler errors are shown.

mod support;

use std::time::Duration;

use interval::io::MetaItem;
use interval::protocol::host::{SendLoadingCall, SendPage};
use interval::protocol::layout::Layout as WireLayout;
use interval::protocol::server::{
    ClosePage, ClosePageInputs, OpenPage, OpenPageInputs, OpenPageReturns,
};
use interval::protocol::types::PageRef;
use interval::protocol::Method;
use interval::{Error, Layout, MenuItem, Page};
use serde_json::json;
use support::io::Host;

fn open(key: &str, slug: &str) -> OpenPageInputs {
    OpenPageInputs {
        page_key: key.into(),
        page: PageRef { slug: slug.into() },
        environment: "development".into(),
        user: support::start("x", "x").user,
        params: serde_json::from_value(json!({"team": "ops"})).unwrap(),
        params_meta: None,
    }
}

/// The next layout sent (loading calls on the way are accepted and
/// checked).
async fn layout(host: &mut Host) -> WireLayout {
    layout_and_json(host).await.0
}

/// The next layout, also as raw JSON (where `title: null` is visible).
async fn layout_and_json(host: &mut Host) -> (WireLayout, serde_json::Value) {
    loop {
        let message = host.peer.next_call().await;
        match message.method_name.as_str() {
            "SEND_LOADING_CALL" => {
                let inputs = SendLoadingCall::decode_inputs(message.data).unwrap();
                assert_eq!(inputs.state.label.as_deref(), Some("Counting"));
                host.peer.respond::<SendLoadingCall>(message.id, &true);
            }
            "SEND_PAGE" => {
                let inputs = SendPage::decode_inputs(message.data).unwrap();
                host.peer.respond::<SendPage>(message.id, &true);
                let text = inputs.page.expect("a layout");
                return (
                    serde_json::from_str(&text).unwrap(),
                    serde_json::from_str(&text).unwrap(),
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
}

#[tokio::test]
async fn pages_render_layouts_and_rerender_on_state() {
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = errors.clone();
    let mut host = Host::start(move |b| {
        b.on_error(move |event| {
            seen.lock()
                .unwrap()
                .push((event.route, event.error.message))
        })
        .page(
            "users",
            Page::new("Users")
                .handler(|io, ctx| async move {
                    ctx.loading().start("Counting");
                    let team = ctx.param("team").cloned();
                    Ok::<_, Error>(
                        Layout::new()
                            .title_later(async {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                Ok::<_, Error>("Users".to_owned())
                            })
                            .description(format!("team {}", team.unwrap_or_default()))
                            .menu_item(MenuItem::route("Add", "users/add"))
                            .child(io.display().heading("All users"))
                            .child(
                                io.display()
                                    .table("Users", (0..100).map(|i| json!({"id": i}))),
                            ),
                    )
                })
                .page(
                    "broken",
                    Page::new("Broken")
                        .handler(|_io, _ctx| async move { Err::<Layout, _>("no database") }),
                ),
        )
    })
    .await;

    let reply = host.peer.call::<OpenPage>(&open("p1", "users")).await;
    assert_eq!(
        reply,
        OpenPageReturns::Success {
            page_key: "p1".into()
        }
    );
    // Title still loading: null. Then it arrives and the layout is re-sent.
    let (mut first, mut raw) = layout_and_json(&mut host).await;
    while first.children.is_none() {
        (first, raw) = layout_and_json(&mut host).await;
    }
    let children = first.children.clone().unwrap();
    assert_eq!(children.to_render.len(), 2);
    assert_eq!(
        children.to_render[1].props["data"]
            .as_array()
            .unwrap()
            .len(),
        100,
        "every row of the 100 (Node's first render: up to 500)"
    );
    assert_eq!(first.description, Some(Some("team \"ops\"".into())));
    if raw["title"] != "Users" {
        assert_eq!(raw["title"], serde_json::Value::Null);
        assert!(raw.as_object().unwrap().contains_key("title"));
        let mut titled = first.clone();
        while titled.title.clone().flatten().is_none() {
            titled = layout(&mut host).await;
        }
        assert_eq!(titled.title, Some(Some("Users".into())));
    }
    // SET_STATE on the table (transactionId = page key) re-renders the page.
    host.set_state(
        "p1",
        &children,
        json!([null, {"offset": 20, "pageSize": 10}]),
    );
    let next = loop {
        let l = layout(&mut host).await;
        if l.children.as_ref().unwrap().id != children.id {
            break l;
        }
    };
    let table = &next.children.unwrap().to_render[1];
    assert_eq!(table.props["data"][0]["key"], "20");
    assert_eq!(
        table.props["data"].as_array().unwrap().len(),
        30,
        "as Node's: the page asked for and the next two"
    );

    // A failing handler shows its error.
    let reply = host
        .peer
        .call::<OpenPage>(&open("p2", "users/broken"))
        .await;
    assert!(matches!(reply, OpenPageReturns::Success { .. }));
    let mut broken = layout(&mut host).await;
    while broken.errors.as_ref().map_or(true, |e| e.is_empty()) {
        broken = layout(&mut host).await;
    }
    assert_eq!(broken.errors.unwrap()[0].message, "no database");
    assert_eq!(
        errors.lock().unwrap().clone(),
        [("users/broken".to_owned(), "no database".to_owned())],
        "on_error hears of page handler errors"
    );

    // Unknown pages are refused; closed pages send nothing more.
    let reply = host.peer.call::<OpenPage>(&open("p3", "nope")).await;
    assert_eq!(
        reply,
        OpenPageReturns::Error {
            message: Some("No page handler found.".into())
        }
    );
    host.peer
        .call::<ClosePage>(&ClosePageInputs {
            page_key: "p1".into(),
        })
        .await;
    host.peer
        .call::<ClosePage>(&ClosePageInputs {
            page_key: "p2".into(),
        })
        .await;
    // Drain the loading call, then silence.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut calls = Vec::new();
    while let Ok(m) = tokio::time::timeout(Duration::from_millis(300), host.peer.next_call()).await
    {
        calls.push(m.method_name);
    }
    assert!(
        calls
            .iter()
            .all(|m| m == "SEND_LOADING_CALL" || m == "SEND_PAGE"),
        "{calls:?}"
    );
    host.peer.expect_silence(Duration::from_millis(300)).await;
    host.check_interop();
}

/// Metadata in a page whose value loads later: the layout is sent with the
/// item's value absent, then re-sent (same input group) once it arrives.
#[tokio::test]
async fn page_metadata_loading_later_resends_the_layout() {
    let (count, gate) = tokio::sync::oneshot::channel::<u32>();
    let gate = std::sync::Mutex::new(Some(gate));
    let mut host = Host::start(move |b| {
        b.page(
            "stats",
            Page::new("Stats").handler(move |io, _ctx| {
                let gate = gate.lock().unwrap().take();
                async move {
                    let gate = gate.expect("the page opens once");
                    Ok::<_, Error>(Layout::new().title("Stats").child(io.display().metadata(
                        "Users",
                        [MetaItem::new("Teams", 3), MetaItem::later("Active", gate)],
                    )))
                }
            }),
        )
    })
    .await;
    let reply = host.peer.call::<OpenPage>(&open("p1", "stats")).await;
    assert!(matches!(reply, OpenPageReturns::Success { .. }));
    let mut first = layout(&mut host).await;
    while first.children.is_none() {
        first = layout(&mut host).await;
    }
    let children = first.children.clone().unwrap();
    assert_eq!(
        children.to_render[0].props["data"],
        json!([{"label": "Teams", "value": 3}, {"label": "Active"}])
    );
    host.peer.expect_silence(Duration::from_millis(100)).await;
    count.send(17).unwrap();
    let next = layout(&mut host).await;
    assert_eq!(next.title, Some(Some("Stats".into())));
    let next_children = next.children.unwrap();
    assert_eq!(next_children.input_group_key, children.input_group_key);
    assert_ne!(next_children.id, children.id);
    assert_eq!(
        next_children.to_render[0].props["data"][1],
        json!({"label": "Active", "value": 17})
    );
    host.peer
        .call::<ClosePage>(&ClosePageInputs {
            page_key: "p1".into(),
        })
        .await;
    host.check_interop();
}

/// A layout whose description comes later goes out once with its children
/// (as the Node SDK sends it), not first without them, on a runtime with
/// several workers (where the layout's sender and the children's first
/// render run in parallel).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layout_goes_out_with_its_children_while_its_description_loads() {
    let mut host = Host::start(move |b| {
        b.page(
            "team",
            Page::new("Team").handler(move |io, _ctx| async move {
                // A description that is still loading when the page closes.
                let description = async {
                    std::future::pending::<()>().await;
                    Ok::<_, Error>("Everyone on call".to_owned())
                };
                Ok::<_, Error>(
                    Layout::new()
                        .title("Team")
                        .description_later(description)
                        .child(io.display().markdown("**4** people")),
                )
            }),
        )
    })
    .await;
    for i in 0..20 {
        let key = format!("p{i}");
        let reply = host.peer.call::<OpenPage>(&open(&key, "team")).await;
        assert!(matches!(reply, OpenPageReturns::Success { .. }));
        let (first, json) = layout_and_json(&mut host).await;
        let children = first
            .children
            .unwrap_or_else(|| panic!("page {i}: the first layout has no children"));
        assert_eq!(children.to_render[0].method_name, "DISPLAY_MARKDOWN");
        assert_eq!(json["description"], serde_json::Value::Null);
        host.peer
            .call::<ClosePage>(&ClosePageInputs { page_key: key })
            .await;
    }
    host.check_interop();
}
