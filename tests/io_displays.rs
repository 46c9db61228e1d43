//! Every display method rendered and checked against the official schemas;
//! tables and grids paged, sorted and searched on the host; append-UI mode
//! and CLOSE_TRANSACTION.

mod support;

use interval::io::{
    Cell, Column, GridItem, HighlightColor, Image, ImageSize, MetaItem, MetadataLayout,
    ProgressItem, TablePage,
};
use interval::protocol::server::{CloseTransaction, CloseTransactionInputs};
use interval::{Action, Error, MenuItem};
use serde::Serialize;
use serde_json::{json, Value};
use support::io::Host;

#[derive(Debug, Clone, Serialize)]
struct Row {
    id: u32,
    name: String,
    score: Option<f64>,
}

fn rows(n: u32) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            id: i,
            name: format!("row {i}"),
            score: (i % 7 != 0).then_some((i % 13) as f64),
        })
        .collect()
}

fn displays() -> Action {
    Action::new(|io, _| async move {
        let d = io.display();
        io.group((
            d.code("Code", "fn main() {}").language("rust"),
            d.heading("Title")
                .level(3)
                .description("sub")
                .menu_item(MenuItem::route("Edit", "edit").params(json!({"id": 1}))),
            d.markdown("**bold**"),
            d.html("Html", "<b>hi</b>"),
            d.image("Logo", "https://example.com/a.png")
                .alt("logo")
                .size(ImageSize::Small),
            d.image_bytes("Pixel", b"\x89PNG\r\n"),
            d.link("Docs")
                .url("https://example.com")
                .theme(interval::io::ButtonTheme::Primary),
            d.link("Other").route("users/edit").params(json!({"id": 3})),
            d.metadata(
                "Meta",
                [
                    MetaItem::new("Name", "Ada"),
                    MetaItem::new("Age", 36).url("https://x"),
                    MetaItem::new("Big", 9007199254740993u64),
                ],
            )
            .layout(MetadataLayout::Card),
            d.object("Obj", json!({"a": [1, {"b": null}]})),
            d.video("Clip", "https://example.com/a.mp4")
                .size(ImageSize::Large)
                .looping(true)
                .muted(true),
            d.progress_through_list(
                "Steps",
                [
                    ProgressItem::new("one", true).result("done"),
                    ProgressItem::new("two", false),
                ],
            ),
        ))
        .await?;
        Ok::<_, Error>("shown")
    })
}

#[tokio::test]
async fn every_display_method_renders() {
    let mut host = Host::start(|b| {
        b.action("displays", displays()).action(
            "progress",
            Action::new(|io, _| async move {
                io.display()
                    .progress_steps("Import", 1, 3)
                    .current_step("Parsing")
                    .sub_title("file.csv")
                    .await?;
                io.display().progress_indeterminate("Waiting").await?;
                Ok::<_, Error>(())
            }),
        )
    })
    .await;
    host.run("t1", "displays").await;
    let r = host.render().await;
    let methods: Vec<_> = r.to_render.iter().map(|c| c.method_name.as_str()).collect();
    assert_eq!(
        methods,
        [
            "DISPLAY_CODE",
            "DISPLAY_HEADING",
            "DISPLAY_MARKDOWN",
            "DISPLAY_HTML",
            "DISPLAY_IMAGE",
            "DISPLAY_IMAGE",
            "DISPLAY_LINK",
            "DISPLAY_LINK",
            "DISPLAY_METADATA",
            "DISPLAY_OBJECT",
            "DISPLAY_VIDEO",
            "DISPLAY_PROGRESS_THROUGH_LIST"
        ]
    );
    assert!(r.to_render[5].props["url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBOR"));
    // The big integer travels as a superjson bigint.
    let meta = r.to_render[8].props_meta.clone().unwrap();
    assert_eq!(
        serde_json::to_value(meta).unwrap(),
        json!({"values": {"data.2.value": ["bigint"]}})
    );
    // Wrong length: refused with a message, asked again.
    host.answer("t1", &r, json!([null]));
    let r2 = host.render().await;
    assert!(r2.validation_error_message.is_some());
    host.answer("t1", &r2, Value::Array(vec![Value::Null; 12]));
    assert_eq!(host.success().await, json!("shown"));

    // Progress indicators resolve at once, in every mode.
    host.run("t2", "progress").await;
    let r = host.render().await;
    assert_eq!(r.to_render[0].method_name, "DISPLAY_PROGRESS_STEPS");
    let r = host.render().await;
    assert_eq!(r.to_render[0].method_name, "DISPLAY_PROGRESS_INDETERMINATE");
    assert_eq!(host.success().await, Value::Null);
    host.check_interop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_page_sort_and_search_on_the_host() {
    let mut host = Host::start(|b| {
        b.action(
            "big",
            Action::new(|io, _| async move {
                io.display()
                    .table("Rows", rows(100_000))
                    .columns([
                        Column::new("ID").accessor("id"),
                        Column::new("name"),
                        Column::new("Score")
                            .accessor("score")
                            .render(|r: &Row| match r.score {
                                Some(s) if s > 10.0 => Cell::new(format!("{s}!"))
                                    .value(s)
                                    .highlight(HighlightColor::Green),
                                _ => Cell::new("-").value(r.score),
                            }),
                    ])
                    .row_menu(|r| {
                        vec![MenuItem::route("Open", "rows/open").params(json!({"id": r.id}))]
                    })
                    .help_text("all rows")
                    .await?;
                Ok::<_, Error>(())
            }),
        )
        .action(
            "async",
            Action::new(|io, _| async move {
                io.display()
                    .table_async("Remote", |q: interval::io::TableQuery| async move {
                        let data: Vec<Row> = rows(1000)
                            .into_iter()
                            .skip(q.offset)
                            .take(q.page_size)
                            .collect();
                        Ok::<_, String>(TablePage {
                            data,
                            total_records: Some(1000),
                        })
                    })
                    .columns(["id", "name"])
                    .await?;
                Ok::<_, Error>(())
            }),
        )
        .action(
            "generous",
            Action::new(|io, _| async move {
                // Returns more rows than the page asked for.
                io.display()
                    .table_async("Remote", |q: interval::io::TableQuery| async move {
                        let data: Vec<Row> =
                            rows(1000).into_iter().skip(q.offset).take(25).collect();
                        Ok::<_, String>(TablePage {
                            data,
                            total_records: None,
                        })
                    })
                    .await?;
                Ok::<_, Error>(())
            }),
        )
        .action(
            "grid",
            Action::new(|io, _| async move {
                io.display()
                    .grid("Cards", rows(60), |r| {
                        GridItem::new(r.name.clone())
                            .description("card")
                            .image_url("https://x/p.png")
                            .route("rows/open", json!({"id": r.id}))
                    })
                    .ideal_column_width(200)
                    .await?;
                Ok::<_, Error>(())
            }),
        )
    })
    .await;

    host.run("t1", "big").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert!(c.is_stateful);
    assert_eq!(c.props["totalRecords"], 100_000);
    assert_eq!(
        c.props["data"].as_array().unwrap().len(),
        500,
        "as Node's: the first 500 rows"
    );
    assert_eq!(c.props["data"][499]["key"], "499");
    // Page 3 of rows matching "row 9", sorted by score descending.
    host.set_state("t1", &r, json!([{"queryTerm": "ROW 9", "sortColumn": "score", "sortDirection": "desc", "offset": 50, "pageSize": 25}]));
    let r = host.renders_of_new_state().await;
    let data = r.to_render[0].props["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 75, "as Node's: three pages of 25");
    assert_eq!(r.to_render[0].props["totalRecords"], 11_111);
    assert!(data
        .iter()
        .all(|row| row["data"]["name"].as_str().unwrap().starts_with("row 9")));
    assert_eq!(data[0]["data"]["score"]["value"], 12.0);
    assert_eq!(data[0]["menu"][0]["route"], "rows/open");
    // Bad state is ignored, but a render still follows (one: the state
    // was not taken).
    host.set_state("t1", &r, json!([{"offset": "x"}]));
    let again = host.render().await;
    assert_eq!(
        again.to_render[0].props["data"],
        r.to_render[0].props["data"]
    );
    host.answer("t1", &again, json!([null]));
    host.success().await;

    host.run("t2", "async").await;
    let r = host.render().await;
    assert_eq!(r.to_render[0].props["isAsync"], true);
    assert_eq!(r.to_render[0].props["data"], json!([]));
    host.set_state("t2", &r, json!([{"offset": 40, "pageSize": 10}]));
    let r = host.renders_of_new_state().await;
    let props = &r.to_render[0].props;
    assert_eq!(props["data"][0]["key"], "40");
    assert_eq!(props["data"].as_array().unwrap().len(), 10);
    assert_eq!(props["totalRecords"], 1000);
    host.answer("t2", &r, json!([null]));
    host.success().await;

    // As Node's getData: every row the function returned is sent.
    host.run("t2b", "generous").await;
    let r = host.render().await;
    host.set_state("t2b", &r, json!([{"offset": 40, "pageSize": 10}]));
    let r = host.renders_of_new_state().await;
    let props = &r.to_render[0].props;
    assert_eq!(props["data"].as_array().unwrap().len(), 25);
    assert_eq!(props["data"][24]["key"], "64");
    assert!(props.get("totalRecords").is_none());
    host.answer("t2b", &r, json!([null]));
    host.success().await;

    host.run("t3", "grid").await;
    let r = host.render().await;
    assert_eq!(
        r.to_render[0].props["data"].as_array().unwrap().len(),
        60,
        "every card (Node's first render: up to 500)"
    );
    assert_eq!(r.to_render[0].props["totalRecords"], 60);
    host.set_state(
        "t3",
        &r,
        json!([{"queryTerm": "row 5", "offset": 0, "pageSize": 4}]),
    );
    let r = host.renders_of_new_state().await;
    assert_eq!(r.to_render[0].props["totalRecords"], 11);
    assert_eq!(
        r.to_render[0].props["data"].as_array().unwrap().len(),
        11,
        "the 11 matching cards: fewer than three pages of 4"
    );
    assert_eq!(r.to_render[0].props["data"][3]["data"]["label"], "row 52");
    host.answer("t3", &r, json!([null]));
    host.success().await;

    // The 100,000-row table is too large to validate wholesale; its renders
    // are small, so check everything recorded.
    host.check_interop();
}

/// Rows up front as Node's host sends them (`TABLE_DATA_BUFFER_SIZE`): a
/// table of 600 rows sends the first 500 with `totalRecords: 600`; a display
/// table's `SET_STATE` answers three pages (at most 500), a select table's
/// 500 rows from the offset whatever the page size.
#[tokio::test]
async fn tables_send_rows_up_front_as_node_does() {
    let mut host = Host::start(|b| {
        b.action(
            "display",
            Action::new(|io, _| async move {
                io.display().table("Rows", rows(600)).await?;
                Ok::<_, Error>(())
            }),
        )
        .action(
            "select",
            Action::new(|io, _| async move {
                let picked = io.select().table("Rows", rows(600)).await?;
                Ok::<_, Error>(picked.into_iter().map(|r| r.id).collect::<Vec<_>>())
            }),
        )
    })
    .await;
    let keys = |r: &interval::protocol::io::IoRender| -> Vec<String> {
        r.to_render[0].props["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let range =
        |from: usize, to: usize| -> Vec<String> { (from..to).map(|k| k.to_string()).collect() };

    for (tx, slug) in [("t1", "display"), ("t2", "select")] {
        host.run(tx, slug).await;
        let first = host.render().await;
        assert_eq!(keys(&first), range(0, 500), "{slug}: the first 500 rows");
        assert_eq!(first.to_render[0].props["totalRecords"], 600, "{slug}");

        // Page 2 of 20 rows.
        host.set_state(tx, &first, json!([{"offset": 20, "pageSize": 20}]));
        let r = host.renders_of_new_state().await;
        let expected = if slug == "display" {
            range(20, 80) // three pages of 20
        } else {
            range(20, 520) // 500 rows
        };
        assert_eq!(keys(&r), expected, "{slug}");
        assert_eq!(r.to_render[0].props["totalRecords"], 600, "{slug}");

        // Near the end: what is left.
        host.set_state(tx, &r, json!([{"offset": 580, "pageSize": 20}]));
        let r = host.renders_of_new_state().await;
        assert_eq!(keys(&r), range(580, 600), "{slug}");

        // A large page: still at most 500 rows.
        host.set_state(tx, &r, json!([{"offset": 0, "pageSize": 200}]));
        let r = host.renders_of_new_state().await;
        assert_eq!(keys(&r), range(0, 500), "{slug}");

        // Searched: the filtered count, and the matching rows.
        host.set_state(
            tx,
            &r,
            json!([{"queryTerm": "row 1", "offset": 0, "pageSize": 20}]),
        );
        let r = host.renders_of_new_state().await;
        // row 1, 10–19, 100–199: 111 rows.
        assert_eq!(r.to_render[0].props["totalRecords"], 111, "{slug}");
        let shown = if slug == "display" { 60 } else { 111 };
        assert_eq!(keys(&r).len(), shown, "{slug}");

        let answer = if slug == "display" {
            json!([null])
        } else {
            json!([[{"key": "599"}]])
        };
        host.answer(tx, &r, answer);
        let expected = if slug == "display" {
            Value::Null
        } else {
            json!([599])
        };
        assert_eq!(host.success().await, expected, "{slug}");
    }
    host.check_interop();
}

#[tokio::test]
async fn append_ui_resolves_displays_and_close_transaction_frees_it() {
    let mut host = Host::start(|b| {
        b.action(
            "steps",
            Action::new(|io, _| async move {
                io.display().heading("Step 1").await?;
                io.display().markdown("step 2").await?;
                io.input().text("Name").await
            }),
        )
    })
    .await;
    host.run_append_ui("t1", "steps").await;
    let a = host.render().await;
    let b = host.render().await;
    let c = host.render().await;
    assert_eq!(a.to_render[0].method_name, "DISPLAY_HEADING");
    assert_eq!(b.to_render[0].method_name, "DISPLAY_MARKDOWN");
    assert_ne!(a.input_group_key, b.input_group_key);
    host.answer("t1", &c, json!(["Ada"]));
    assert_eq!(host.success().await, json!("Ada"));
    // Kept until CLOSE_TRANSACTION (safe shutdown would wait for it).
    let closing = {
        let interval = host.interval.clone();
        tokio::spawn(async move { interval.safely_close().await })
    };
    let (id, _) = host
        .peer
        .expect::<interval::protocol::host::BeginHostShutdown>()
        .await;
    host.peer
        .respond::<interval::protocol::host::BeginHostShutdown>(
            id,
            &interval::protocol::types::SuccessOrError::Success,
        );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!closing.is_finished(), "closed before CLOSE_TRANSACTION");
    host.peer
        .call::<CloseTransaction>(&CloseTransactionInputs {
            transaction_id: "t1".into(),
        })
        .await;
    tokio::time::timeout(std::time::Duration::from_secs(5), closing)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    host.check_interop();
}

/// A metadata value that loads later: rendered first without it, again (same
/// input group) as each load arrives; a failed load is only logged.
#[tokio::test]
async fn metadata_values_load_later() {
    let (revenue, gate) = tokio::sync::oneshot::channel::<u64>();
    let gate = std::sync::Mutex::new(Some(gate));
    let mut host = Host::start(move |b| {
        b.action(
            "meta",
            Action::new(move |io, _| {
                let gate = gate.lock().unwrap().take();
                async move {
                    let gate = gate.expect("the action runs once");
                    io.display()
                        .metadata(
                            "Today",
                            [
                                MetaItem::new("Name", "Ada"),
                                MetaItem::later("Revenue", gate).url_later(async {
                                    Ok::<_, String>("https://x/revenue".to_owned())
                                }),
                                MetaItem::new("Cost", 0)
                                    .value_later(async { Err::<u32, _>("db down") }),
                                MetaItem::new("Logo", "acme")
                                    .image_later(async { Ok::<_, String>(image()) }),
                            ],
                        )
                        .layout(MetadataLayout::List)
                        .await?;
                    Ok::<_, Error>("shown")
                }
            }),
        )
    })
    .await;
    host.run("t1", "meta").await;
    let first = host.render().await;
    let props = &first.to_render[0].props;
    assert_eq!(
        props["data"],
        json!([
            {"label": "Name", "value": "Ada"},
            {"label": "Revenue"},
            {"label": "Cost"},
            {"label": "Logo", "value": "acme"},
        ])
    );
    assert_eq!(props["layout"], "list");
    // The URL and the image arrive at once (one render); the failed cost
    // does not render.
    let second = host.render().await;
    assert_eq!(second.input_group_key, first.input_group_key);
    assert_ne!(second.id, first.id);
    let data = &second.to_render[0].props["data"];
    assert_eq!(
        data[1],
        json!({"label": "Revenue", "url": "https://x/revenue"})
    );
    assert_eq!(data[2], json!({"label": "Cost"}));
    assert_eq!(data[3]["image"]["url"], "https://x");
    // The revenue arrives while the call waits: a third render.
    revenue.send(9007199254740993).unwrap();
    let third = host.render().await;
    assert_eq!(third.input_group_key, first.input_group_key);
    let component = &third.to_render[0];
    assert_eq!(component.props["layout"], "list");
    assert_eq!(
        component.props["data"][1],
        json!({"label": "Revenue", "url": "https://x/revenue", "value": "9007199254740993"})
    );
    assert_eq!(
        serde_json::to_value(component.props_meta.clone().unwrap()).unwrap(),
        json!({"values": {"data.1.value": ["bigint"]}})
    );
    host.peer
        .expect_silence(std::time::Duration::from_millis(200))
        .await;
    host.answer("t1", &third, json!([null]));
    assert_eq!(host.success().await, json!("shown"));
    host.check_interop();
}

fn image() -> Image {
    Image::new("https://x").alt("a").size(ImageSize::Thumbnail)
}

/// A column with a render function and no explicit accessor is render-only,
/// as Node's `{ label, renderCell }`: no `accessorKey`, its cells keyed by
/// the column's index.
#[tokio::test]
async fn render_only_columns_send_no_accessor_key() {
    let mut host = Host::start(|b| {
        b.action(
            "cols",
            Action::new(|io, _| async move {
                io.display()
                    .table("Rows", rows(3))
                    .columns([
                        Column::new("ID").accessor("id"),
                        Column::new("Role").render(|r: &Row| format!("role {}", r.id)),
                        Column::new("Name")
                            .accessor("name")
                            .render(|r: &Row| r.name.to_uppercase()),
                        Column::new("score"),
                    ])
                    .await?;
                Ok::<_, Error>(())
            }),
        )
    })
    .await;

    host.run("t1", "cols").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert_eq!(
        c.props["columns"],
        json!([
            {"label": "ID", "accessorKey": "id"},
            {"label": "Role"},
            {"label": "Name", "accessorKey": "name"},
            {"label": "score", "accessorKey": "score"},
        ])
    );
    assert_eq!(
        c.props["data"][2]["data"],
        json!({"id": 2, "1": "role 2", "name": "ROW 2", "score": 2.0})
    );
    host.answer("t1", &r, json!([null]));
    host.success().await;
    host.check_interop();
}
