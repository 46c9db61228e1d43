//! The dashboard in a real headless Chromium, driven like a person would:
//! a form with a validation error, a select, a confirm, a loading state, a
//! result, a table paged and sorted in the page (every row was sent) and
//! searched by the host, a select table and its
//! "select all", a searchable select and a multiple search (comboboxes
//! used with the keyboard), an error result, a page with a menu item, markdown/HTML
//! whose scripts must not run, and the prompt before leaving a running
//! transaction. Once with an official `@interval/sdk` host, once with a
//! Rust host; the same browser script (tests/e2e/browser.mjs) checks both.
//!
//! Then, for both hosts, a spreadsheet filled in (typed, pasted into, rows
//! added and removed) and a file uploaded to host-provided URLs on a store
//! of another origin (tests/e2e/sheets.mjs, tests/support/sheets.rs).
//!
//! Then the `CONFIRM_IDENTITY` password form, behind a dashboard login
//! (tests/e2e/identity.mjs).
//!
//! And an accessibility scan of every kind of page with axe-core, signed
//! in and in open mode (tests/e2e/axe.mjs).
//!
//! `UPDATE_SCREENSHOTS=1 cargo test -p interval-server --test e2e` also
//! rewrites the README's screenshots in docs/screenshots/ (from the Rust
//! host's run).

#[path = "support/e2e.rs"]
mod e2e;
#[path = "support/sheets.rs"]
mod sheets;
mod support;

use std::path::Path;
use std::time::Duration;

use interval_core::io::{
    ButtonTheme, Choice, GridItem, Image, ImageFit, MetaItem, SearchResult, SelectOption,
};
use interval_core::{
    Action, Error, Interval, Layout, LoadingOptions, MenuItem, Page, Redirect, Timestamp,
};
use interval_server::ServerConfig;
use serde::Serialize;
use serde_json::json;
use support::{log_in, server, server_with, Dashboard, KEY};

#[tokio::test(flavor = "multi_thread")]
async fn an_official_node_host_in_a_real_browser() {
    let server = server().await;
    let _host = e2e::node_host(&server);
    Dashboard::connect(&server)
        .await
        .wait_for_action("team/add")
        .await;
    e2e::run_browser(&server, None).await;
}

#[derive(Clone, Serialize)]
struct User {
    id: u32,
    email: String,
    role: &'static str,
}

fn users(n: u32) -> Vec<User> {
    (0..n)
        .map(|i| User {
            id: i,
            email: format!("user{i}@example.com"),
            role: if i % 3 == 0 { "admin" } else { "member" },
        })
        .collect()
}

#[derive(Clone, Serialize)]
struct Order {
    customer: &'static str,
    amount: u32,
    placed: Timestamp,
}

/// Every row sent at once (fewer than a page): the dashboard sorts them.
fn orders() -> Vec<Order> {
    let at = |iso| Timestamp::parse(iso).expect("a date");
    vec![
        Order {
            customer: "bob",
            amount: 10,
            placed: at("2024-03-01T12:00:00.000Z"),
        },
        Order {
            customer: "Alice",
            amount: 9,
            placed: at("2023-12-31T23:00:00.000Z"),
        },
        Order {
            customer: "carol",
            amount: 100,
            placed: at("2024-01-15T08:30:00.000Z"),
        },
    ]
}

/// The options of the searchable select, with descriptions and an image.
fn countries() -> Vec<SelectOption> {
    vec![
        SelectOption::new("France", "fr").description("Europe"),
        SelectOption::new("Japan", "jp")
            .description("Asia")
            .image(Image::new(AVATAR)),
        SelectOption::new("Kenya", "ke").description("Africa"),
        SelectOption::new("Peru", "pe").description("South America"),
    ]
}

/// A 1×1 PNG, inline: the test needs no network.
const AVATAR: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// The routes of tests/e2e/node-host.mjs, written with interval-rs; its
/// uploads go to `store` ([`sheets::Store`]).
fn rust_host(endpoint: String, store: &str) -> Interval {
    let onboard = Action::new(|io, ctx| async move {
        let (name, age, email) = io
            .group((
                io.input().text("Name").placeholder("Ada Lovelace"),
                io.input().number("Age").min(0.0),
                io.input().email("Email").optional(),
            ))
            .validate(|(name, age, _)| {
                if *age < 18.0 {
                    Err(format!("{name} must be an adult"))
                } else {
                    Ok(())
                }
            })
            .await?;
        let plan = io
            .select()
            .single("Plan", ["Free", "Pro", "Enterprise"])
            .await?;
        let sure = io
            .confirm(format!("Create an account for {name}?"))
            .prop("helpText", "This sends an email.")
            .await?;
        if !sure {
            return Ok::<_, Error>(json!("Nothing created"));
        }
        ctx.loading()
            .start(LoadingOptions::label("Creating the account").items_in_queue(3));
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(700)).await;
            ctx.loading().complete_one();
        }
        ctx.log(format!("created {name}")).await;
        Ok(json!({
            "name": name,
            "age": age,
            "email": email.unwrap_or_else(|| "none".into()),
            "plan": plan,
        }))
    })
    .name("Onboard a customer")
    .description("A form, a select, a confirmation and a long job");

    let browse = Action::new(|io, _ctx| async move {
        io.display()
            .table("Users", users(60))
            .columns(["email", "role"])
            .default_page_size(10)
            .await?;
        let picked = io
            .select()
            .table("Pick users", users(25))
            .columns(["email"])
            .default_page_size(10)
            .min_selections(1)
            .max_selections(10)
            .await?;
        let emails: Vec<String> = picked.into_iter().map(|u| u.email).collect();
        Ok::<_, Error>(json!({ "picked": emails.join(", ") }))
    })
    .name("Browse users")
    .description("A table searched by the host");

    let journey = Action::new(|io, _ctx| async move {
        io.display().markdown("**Welcome** aboard").await?;
        io.display()
            // More rows than a host sends up front (500): the dashboard
            // asks the host for each page.
            .table("Crew", users(600))
            .columns(["id", "email"])
            .default_page_size(10)
            .await?;
        let name = io.input().text("Your name").await?;
        let colour = io.input().text("Favourite colour").await?;
        Ok::<_, Error>(json!({ "journey": format!("{name} likes {colour}") }))
    })
    .name("A journey of steps")
    .description("Displays, a table and questions, one after the other");

    let report = Action::new(|io, _ctx| async move {
        let all = orders();
        io.group((
            io.display()
                .table("Orders", all.clone())
                .columns(["customer", "amount", "placed"])
                .help_text(
                    "Sorted **here**: see [the guide](https://example.com/guide) or `sort`.",
                ),
            io.display()
                .table("Only order", all[..1].to_vec())
                .columns(["customer", "amount"]),
            io.display()
                .metadata("Summary", [MetaItem::new("First order", all[1].placed)]),
        ))
        .await?;
        Ok::<_, Error>(json!({ "latest": all[0].placed }))
    })
    .name("Sales report")
    .description("Tables sorted by the dashboard, dates and help text");

    let fail =
        Action::new(
            |_io, _ctx| async move { Err::<(), _>(std::io::Error::other("Something broke")) },
        )
        .name("Fail");

    let xss = Action::new(|io, _ctx| async move {
        io.group((
            io.display().markdown(
                "## Untrusted\n\n<script>window.__pwned = 1</script>\n\n\
                 <img src=\"x\" onerror=\"window.__pwned = 2\">\n\n[click](javascript:window.__pwned=3)",
            ),
            io.display().html(
                "Raw HTML",
                "<b>bold</b><script>window.__pwned = 4</script><a href=\"javascript:window.__pwned=5\">x</a>",
            ),
        ))
        .await?;
        Ok::<_, Error>("shown")
    })
    .name("Show untrusted content");

    let everything = Action::new(|io, _ctx| async move {
        let all = users(60);
        let (day, level, notes, colors, user, file, agree) = io
            .group((
                io.input().date("Start date"),
                io.input().slider("Level", 1.0, 5.0),
                io.input().rich_text("Notes").optional(),
                io.select().multiple("Colors", ["Red", "Green", "Blue"]),
                io.search(
                    "Find a user",
                    move |query: String| {
                        let found: Vec<User> = all
                            .iter()
                            .filter(|u| u.email.contains(&query))
                            .take(5)
                            .cloned()
                            .collect();
                        async move { Ok::<_, Error>(found) }
                    },
                    |u: &User| SearchResult::new(u.email.clone()).description(u.role),
                ),
                io.input().file("Attachment").allowed_extensions([".txt"]),
                io.input().boolean("I agree"),
            ))
            .await?;
        let (choice, _) = io
            .group((
                io.display()
                    .code("Snippet", "fn main() {}")
                    .language("rust"),
                io.display()
                    .link("Read the docs")
                    .url("https://example.com/docs"),
                io.display()
                    .metadata("Facts", [MetaItem::new("Level", level)]),
                io.display().grid("Cards", users(3), |u: &User| {
                    GridItem::new(u.email.clone())
                        .description(u.role)
                        .image_url(AVATAR)
                        .image_alt(format!("Avatar of {}", u.email))
                        .image_fit(ImageFit::Contain)
                        .image_aspect_ratio(1.0)
                }),
            ))
            .with_choices([
                Choice::new("Approve", "approve").theme(ButtonTheme::Primary),
                Choice::new("Reject", "reject").theme(ButtonTheme::Danger),
            ])
            .await?;
        Ok::<_, Error>(json!({
            "choice": choice,
            "day": format!("{}-{}-{}", day.year, day.month, day.day),
            "level": level,
            "colors": colors.join("+"),
            "user": user.email,
            "file": file.text().await?,
            "agree": agree,
            "notes": notes.unwrap_or_default(),
        }))
    })
    .name("Every kind of field");

    let pick = Action::new(|io, _ctx| async move {
        let all = users(60);
        let (country, members) = io
            .group((
                io.select().single("Country", countries()).searchable(true),
                io.search(
                    "Team members",
                    move |query: String| {
                        let found: Vec<User> = all
                            .iter()
                            .filter(|u| u.email.contains(&query))
                            .take(5)
                            .cloned()
                            .collect();
                        async move { Ok::<_, Error>(found) }
                    },
                    |u: &User| {
                        SearchResult::new(u.email.clone())
                            .description(u.role)
                            .image(Image::new(AVATAR))
                    },
                )
                .multiple()
                .default_values([users(8)[7].clone()]),
            ))
            .await?;
        let emails: Vec<String> = members.into_iter().map(|u| u.email).collect();
        Ok::<_, Error>(json!({ "country": country.value(), "members": emails.join(", ") }))
    })
    .name("Pick people")
    .description("A searchable select and a search of several people");

    let go = Action::new(|io, ctx| async move {
        ctx.notify("Someone went elsewhere")
            .title("Heads up")
            .delivery("ops@example.com", None)
            .await?;
        io.confirm("Go elsewhere now?").await?;
        ctx.redirect(Redirect::route("secret")).await?;
        Ok::<_, Error>("redirected")
    })
    .name("Go elsewhere");

    let greet = Action::new(|io, _ctx| async move {
        let (name, greeting) = io
            .group((
                io.input().text("Name").default_value("Ada").disabled(true),
                io.input().text("Greeting").default_value("Hello"),
            ))
            .await?;
        Ok::<_, Error>(format!("{greeting} {name}"))
    })
    .name("Greet a customer");

    let note = Action::new(|io, _ctx| async move {
        let note = io.input().text("Note").await?;
        Ok::<_, Error>(format!("noted {note}"))
    })
    .name("Jot a note")
    .warn_on_close(false);

    let secret = Action::new(|_io, _ctx| async move { Ok::<_, Error>("found") })
        .name("Secret")
        .unlisted(true);

    let add = Action::new(|io, _ctx| async move {
        let who = io.input().text("Member name").await?;
        Ok::<_, Error>(format!("added {who}"))
    })
    .name("Add member");

    let team = Page::new("Team")
        .description("People and what they can do")
        .handler(|io, _ctx| async move {
            Ok::<_, Error>(
                Layout::new()
                    .title("Team")
                    .description("Everyone on the team")
                    .menu_item(
                        MenuItem::route("Add member", "team/add").theme(ButtonTheme::Primary),
                    )
                    .child(io.display().markdown("**3** members"))
                    .child(
                        io.display()
                            .table("Members", users(25))
                            .columns(["email"])
                            .default_page_size(10),
                    ),
            )
        })
        .action("add", add);

    Interval::builder()
        .endpoint(endpoint)
        .api_key(KEY)
        .action("onboard", onboard)
        .action("users", browse)
        .action("journey", journey)
        .action("report", report)
        .action("fail", fail)
        .action("xss", xss)
        .action("everything", everything)
        .action("pick", pick)
        .action("go", go)
        .action("greet", greet)
        .action("note", note)
        .action("secret", secret)
        .action("stock", sheets::stock())
        .action("receipt", sheets::receipt(store.to_owned()))
        .page("team", team)
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rust_host_in_a_real_browser() {
    let server = server().await;
    let host = rust_host(server.endpoint(), NO_STORE);
    host.listen().await.expect("the Rust host connects");
    Dashboard::connect(&server)
        .await
        .wait_for_action("team/add")
        .await;
    let screenshots = std::env::var_os("UPDATE_SCREENSHOTS")
        .map(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots"));
    e2e::run_browser(&server, screenshots).await;
    host.immediately_close();
}

/// The screens of Interval's own screenshots (`../shared/reference/`) with
/// the same action, an official Node SDK host's, and window size: the
/// action list, and a result with its step (tests/e2e/reference.mjs).
/// `UPDATE_SCREENSHOTS=1` also writes ours for the README's side-by-side.
#[tokio::test(flavor = "multi_thread")]
async fn the_screens_of_interval_s_own_screenshots() {
    let server = server().await;
    let _host = support::NodeHost::script(&server, &e2e::e2e_dir().join("hello-node-host.mjs"));
    Dashboard::connect(&server)
        .await
        .wait_for_action("hello_world")
        .await;
    let screenshots = std::env::var_os("UPDATE_SCREENSHOTS").map(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/screenshots")
            .into_os_string()
    });
    let env = screenshots.map(|dir| ("SCREENSHOTS", dir));
    e2e::run_script(&server, "reference.mjs", env.into_iter().collect()).await;
}

const PASSWORD: &str = "correct-horse-battery";

/// The store of tests that upload nothing to one.
const NO_STORE: &str = "http://127.0.0.1:9";

/// A spreadsheet filled in (typed, pasted into, rows added and removed)
/// and a file uploaded to host-provided URLs on another origin
/// (tests/e2e/sheets.mjs), with the official Node SDK host.
#[tokio::test(flavor = "multi_thread")]
async fn a_spreadsheet_and_an_upload_to_another_origin_with_an_official_node_host() {
    let server = server().await;
    let store = sheets::Store::start().await;
    let url = std::ffi::OsString::from(&store.url);
    let _host = support::NodeHost::script_with_key(
        &server,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/node-host.mjs"),
        KEY,
        &[("STORE_URL", &url)],
    );
    Dashboard::connect(&server)
        .await
        .wait_for_action("receipt")
        .await;
    e2e::run_script(&server, "sheets.mjs", vec![("STORE_URL", url)]).await;
}

/// The same with a Rust host.
#[tokio::test(flavor = "multi_thread")]
async fn a_spreadsheet_and_an_upload_to_another_origin_with_a_rust_host() {
    let server = server().await;
    let store = sheets::Store::start().await;
    let host = rust_host(server.endpoint(), &store.url);
    host.listen().await.expect("the Rust host connects");
    Dashboard::connect(&server)
        .await
        .wait_for_action("receipt")
        .await;
    e2e::run_script(
        &server,
        "sheets.mjs",
        vec![("STORE_URL", store.url.clone().into())],
    )
    .await;
    host.immediately_close();
}

/// With a dashboard password, the `CONFIRM_IDENTITY` form asks for it: a
/// wrong one is refused on the page and the host hears nothing; the right
/// one lets the host hear `true`.
#[tokio::test(flavor = "multi_thread")]
async fn confirm_identity_asks_for_the_password_in_a_real_browser() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    // No grace period, so the password is asked right after the login.
    let confirm = Action::new(|io, _ctx| async move {
        let confirmed = io.confirm_identity("Delete everything?").await?;
        Ok::<_, Error>(if confirmed {
            "host got true"
        } else {
            "host got false"
        })
    })
    .name("Delete everything");
    let host = Interval::builder()
        .endpoint(server.endpoint())
        .api_key(KEY)
        .action("confirm", confirm)
        .build();
    host.listen().await.expect("the Rust host connects");
    Dashboard::connect_as(&server, Some(&log_in(&server, PASSWORD).await))
        .await
        .wait_for_action("confirm")
        .await;
    e2e::run_script(&server, "identity.mjs", vec![("PASSWORD", PASSWORD.into())]).await;
    host.immediately_close();
}

/// An accessibility scan with axe-core (tests/e2e/axe.mjs) of every kind
/// of dashboard page, behind a dashboard login so that the sign-in page is
/// scanned too: a serious or critical violation fails it.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_passes_an_axe_accessibility_scan() {
    let server = server_with(ServerConfig::default().dashboard_password(PASSWORD)).await;
    let host = rust_host(server.endpoint(), NO_STORE);
    host.listen().await.expect("the Rust host connects");
    Dashboard::connect_as(&server, Some(&log_in(&server, PASSWORD).await))
        .await
        .wait_for_action("team/add")
        .await;
    e2e::run_script(&server, "axe.mjs", vec![("PASSWORD", PASSWORD.into())]).await;
    host.immediately_close();
}

/// The same scan in open mode (no password yet): the actions list, the
/// set-up page and a link from another site.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_in_open_mode_passes_an_axe_accessibility_scan() {
    let server = server().await;
    let host = rust_host(server.endpoint(), NO_STORE);
    host.listen().await.expect("the Rust host connects");
    Dashboard::connect(&server)
        .await
        .wait_for_action("team/add")
        .await;
    e2e::run_script(&server, "axe.mjs", vec![]).await;
    host.immediately_close();
}
