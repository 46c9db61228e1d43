//! Every input method rendered to the test server, checked against the
//! official schemas, answered wrongly (refused with a message, transaction
//! kept) and then rightly (the value arrives as the Rust type).

mod support;

use interval::io::{Currency, Date, DateTime, FileUrls, Time};
use interval::{Action, Error};
use serde_json::{json, Value};
use support::io::Host;

fn action<F, Fut, T>(f: F) -> Action
where
    F: Fn(interval::Io) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
    T: serde::Serialize,
{
    Action::new(move |io, _ctx| f(io))
}

#[tokio::test]
async fn every_input_method_round_trips() {
    let mut host = Host::start(|b| {
        b.action(
            "text",
            action(|io| async move {
                io.input()
                    .text("Name")
                    .placeholder("Ada")
                    .default_value("A")
                    .multiline(true)
                    .lines(3)
                    .min_length(1)
                    .max_length(9)
                    .help_text("h")
                    .disabled(false)
                    .await
            }),
        )
        .action(
            "email",
            action(|io| async move {
                io.input()
                    .email("Email")
                    .placeholder("a@b")
                    .default_value("x@y")
                    .await
            }),
        )
        .action(
            "number",
            action(|io| async move {
                io.input()
                    .number("Amount")
                    .min(0.0)
                    .max(10.0)
                    .decimals(2)
                    .currency(Currency::EUR)
                    .prepend("€")
                    .await
            }),
        )
        .action(
            "slider",
            action(|io| async move {
                io.input()
                    .slider("Level", 0.0, 10.0)
                    .step(0.5)
                    .default_value(2.0)
                    .await
            }),
        )
        .action(
            "boolean",
            action(|io| async move { io.input().boolean("OK?").default_value(true).await }),
        )
        .action(
            "rich",
            action(|io| async move { io.input().rich_text("Bio").placeholder("..").await }),
        )
        .action(
            "url",
            action(|io| async move {
                let url = io.input().url("Site").allowed_protocols(["https"]).await?;
                Ok(url.host_str().map(str::to_owned))
            }),
        )
        .action(
            "date",
            action(|io| async move {
                let d = Date {
                    year: 2024,
                    month: 1,
                    day: 2,
                };
                io.input()
                    .date("Day")
                    .default_value(d)
                    .min(d)
                    .max(Date {
                        year: 2025,
                        month: 1,
                        day: 1,
                    })
                    .await
            }),
        )
        .action(
            "time",
            action(|io| async move {
                io.input()
                    .time("At")
                    .default_value(Time {
                        hour: 9,
                        minute: 30,
                    })
                    .await
            }),
        )
        .action(
            "datetime",
            action(|io| async move {
                io.input()
                    .datetime("When")
                    .min(DateTime {
                        year: 2024,
                        month: 1,
                        day: 2,
                        hour: 3,
                        minute: 4,
                    })
                    .await
            }),
        )
        .action(
            "file",
            action(|io| async move {
                let file = io
                    .input()
                    .file("Upload")
                    .allowed_extensions([".csv"])
                    .await?;
                Ok(json!({
                    "name": file.name,
                    "ext": file.extension(),
                    "type": file.mime_type,
                    "modified": file.last_modified.to_string(),
                }))
            }),
        )
    })
    .await;

    let cases: Vec<(&str, &str, Value, Value, Value)> = vec![
        ("text", "INPUT_TEXT", json!(5), json!("Ada"), json!("Ada")),
        (
            "email",
            "INPUT_EMAIL",
            json!(true),
            json!("a@b.c"),
            json!("a@b.c"),
        ),
        ("number", "INPUT_NUMBER", json!("x"), json!(2.5), json!(2.5)),
        ("slider", "INPUT_SLIDER", json!({}), json!(3), json!(3.0)),
        (
            "boolean",
            "INPUT_BOOLEAN",
            json!("yes"),
            json!(false),
            json!(false),
        ),
        (
            "rich",
            "INPUT_RICH_TEXT",
            json!([1]),
            json!("<p>hi</p>"),
            json!("<p>hi</p>"),
        ),
        (
            "url",
            "INPUT_URL",
            json!("not a url"),
            json!("https://example.com/x"),
            json!("example.com"),
        ),
        (
            "date",
            "INPUT_DATE",
            json!({"year": 2024}),
            json!({"year": 2024, "month": 5, "day": 6}),
            json!({"year": 2024, "month": 5, "day": 6}),
        ),
        (
            "time",
            "INPUT_TIME",
            json!("09:30"),
            json!({"hour": 9, "minute": 30}),
            json!({"hour": 9, "minute": 30}),
        ),
        (
            "datetime",
            "INPUT_DATETIME",
            json!({"hour": 1}),
            json!({"year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8}),
            json!({"year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8}),
        ),
        (
            "file",
            "UPLOAD_FILE",
            json!({"name": "a.csv"}),
            json!({"name": "a.csv", "type": "text/csv", "lastModified": 1.7e12, "size": 3, "url": "http://127.0.0.1/a.csv"}),
            json!({"name": "a.csv", "ext": ".csv", "type": "text/csv", "modified": "2023-11-14T22:13:20.000Z"}),
        ),
    ];
    for (i, (slug, method, bad, good, expected)) in cases.into_iter().enumerate() {
        let tx = format!("tx{i}");
        host.run(&tx, slug).await;
        let data = host.round_trip(&tx, method, bad, good).await;
        assert_eq!(data, expected, "{slug}");
    }
    host.check_interop();
}

#[tokio::test]
async fn required_optional_and_multiple_files() {
    let mut host = Host::start(|b| {
        b.action(
            "opt",
            action(|io| async move {
                io.group((
                    io.input().text("A").optional(),
                    io.input().number("B").optional(),
                ))
                .await
            }),
        )
        .action(
            "files",
            action(|io| async move {
                let files = io
                    .input()
                    .file("Files")
                    .presigned_urls(|f| async move {
                        Ok::<_, std::convert::Infallible>(FileUrls {
                            upload_url: format!("http://s3/up/{}", f.name),
                            download_url: format!("http://s3/down/{}", f.name),
                        })
                    })
                    .multiple()
                    .await?;
                Ok(files.into_iter().map(|f| f.url).collect::<Vec<_>>())
            }),
        )
    })
    .await;

    // Optional fields accept null and undefined (null + meta).
    host.run("t1", "opt").await;
    let r = host.render().await;
    assert!(r.to_render.iter().all(|c| c.is_optional));
    host.respond(
        "t1",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([null, null]),
        Some(json!({"values": {"1": ["undefined"]}})),
        Some("Continue"),
    );
    assert_eq!(host.success().await, json!([null, null]));

    // Files with host-supplied URLs: fileUrls null, then one per file.
    host.run("t2", "files").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert!(c.is_stateful && c.is_multiple);
    assert_eq!(c.props["fileUrls"], Value::Null);
    assert_eq!(c.multiple_props, Some(json!({})));
    host.set_state("t2", &r, json!([{"files": [{"name": "a.txt", "type": "text/plain"}, {"name": "b.txt", "type": "text/plain"}]}]));
    let r = host.renders_of_new_state().await;
    assert_eq!(
        r.to_render[0].props["fileUrls"][1]["uploadUrl"],
        "http://s3/up/b.txt"
    );
    host.answer("t2", &r, json!([[
        {"name": "a.txt", "type": "text/plain", "lastModified": 1, "size": 1, "url": "http://s3/down/a.txt"}
    ]]));
    assert_eq!(host.success().await, json!(["http://s3/down/a.txt"]));
    host.check_interop();
}

/// `File::extension` is Node's `path.extname` of the name (with the dot),
/// `None` where Node gives `""`.
#[test]
fn file_extension_is_nodes_extname() {
    let ext = |name: &str| {
        let file: interval::io::File = serde_json::from_value(json!({
            "name": name, "type": "", "size": 0, "lastModified": 0, "url": ""
        }))
        .unwrap();
        file.extension().map(str::to_owned)
    };
    for (name, expected) in [
        ("a.png", Some(".png")),
        ("a.b.tar.gz", Some(".gz")),
        ("a.", Some(".")),
        (".a.b", Some(".b")),
        ("..a", Some(".a")),
        (".bashrc", None),
        ("..", None),
        ("noext", None),
    ] {
        assert_eq!(ext(name).as_deref(), expected, "{name:?}");
    }
}
