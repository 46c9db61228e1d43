//! Selects, search, confirm, the experimental methods and choice buttons:
//! rendered, checked against the official schemas, answered wrongly and
//! rightly; the value comes back as the caller's own type.

mod support;

use interval::io::{
    Choice, Image, ImageSize, SearchResult, SelectOption, SpreadsheetType, ToOption,
};
use interval::{Action, Error, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::io::Host;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Color {
    name: String,
    hex: String,
}

impl ToOption for Color {
    fn to_option(&self) -> SelectOption {
        SelectOption::new(&self.name, &self.hex).description(format!("#{}", self.hex))
    }
}

fn colors() -> Vec<Color> {
    [("Red", "f00"), ("Green", "0f0"), ("Blue", "00f")]
        .into_iter()
        .map(|(n, h)| Color {
            name: n.into(),
            hex: h.into(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
struct User {
    id: u32,
    email: String,
}

fn users() -> Vec<User> {
    (0..50)
        .map(|i| User {
            id: i,
            email: format!("user{i}@example.com"),
        })
        .collect()
}

#[tokio::test]
async fn selects_return_the_callers_values() {
    let mut host = Host::start(|b| {
        b.action(
            "single",
            Action::new(|io, _| async move {
                let c = io
                    .select()
                    .single("Color", colors())
                    .default_value(&colors()[1])
                    .searchable(true)
                    .help_text("pick")
                    .await?;
                Ok::<_, Error>(c)
            }),
        )
        .action(
            "multiple",
            Action::new(|io, _| async move {
                let all = colors();
                let c = io
                    .select()
                    .multiple("Colors", all.clone())
                    .default_value(&all[..1])
                    .min_selections(1)
                    .max_selections(2)
                    .await?;
                Ok::<_, Error>(c)
            }),
        )
        .action(
            "prims",
            Action::new(|io, _| async move { io.select().single("N", [1u32, 2, 3]).await }),
        )
        .action(
            "table",
            Action::new(|io, _| async move {
                let picked = io
                    .select()
                    .table("Users", users())
                    .columns(["email"])
                    .initially_selected(|u| u.id == 3)
                    .min_selections(1)
                    .await?;
                Ok::<_, Error>(picked.into_iter().map(|u| u.id).collect::<Vec<_>>())
            }),
        )
    })
    .await;

    host.run("t1", "single").await;
    let data = host
        .round_trip(
            "t1",
            "SELECT_SINGLE",
            json!({"label": "Pink", "value": "fcc"}),
            json!({"label": "Blue", "value": "00f"}),
        )
        .await;
    assert_eq!(data, json!({"name": "Blue", "hex": "00f"}));

    host.run("t2", "multiple").await;
    let data = host
        .round_trip(
            "t2",
            "SELECT_MULTIPLE",
            json!({"value": "f00"}),
            json!([{"label": "Red", "value": "f00"}, {"label": "Blue", "value": "00f"}]),
        )
        .await;
    assert_eq!(
        data,
        json!([{"name": "Red", "hex": "f00"}, {"name": "Blue", "hex": "00f"}])
    );

    host.run("t3", "prims").await;
    let data = host
        .round_trip(
            "t3",
            "SELECT_SINGLE",
            json!({"label": 9, "value": 9}),
            json!({"label": 2, "value": 2}),
        )
        .await;
    assert_eq!(data, json!(2));

    // A select table: paged on the host, select-all, keys back to rows.
    host.run("t4", "table").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert_eq!(c.method_name, "SELECT_TABLE");
    assert!(c.is_stateful);
    assert_eq!(
        c.props["data"].as_array().unwrap().len(),
        50,
        "every row (Node's first render: up to 500)"
    );
    assert_eq!(c.props["totalRecords"], 50);
    assert_eq!(c.props["selectedKeys"], json!(["3"]));
    host.set_state(
        "t4",
        &r,
        json!([{"queryTerm": "user4", "offset": 0, "pageSize": 5, "isSelectAll": true}]),
    );
    let r = host.renders_of_new_state().await;
    let c = &r.to_render[0];
    assert_eq!(c.props["totalRecords"], 11);
    assert_eq!(
        c.props["data"].as_array().unwrap().len(),
        11,
        "as Node's: up to 500 rows whatever the page size"
    );
    assert_eq!(c.props["selectedKeys"].as_array().unwrap().len(), 11);
    host.answer("t4", &r, json!([[{"key": "99"}]]));
    let r = host.render().await;
    assert_eq!(
        r.to_render[0].validation_error_message.as_deref(),
        Some(support::io::INVALID)
    );
    host.answer("t4", &r, json!([[{"key": "41"}, {"key": "4"}]]));
    assert_eq!(host.success().await, json!([4, 41]));
    host.check_interop();
}

#[tokio::test]
async fn search_maps_results_back_to_items() {
    let mut host = Host::start(|b| {
        b.action(
            "search",
            Action::new(|io, _| async move {
                let user = io
                    .search(
                        "User",
                        |query: String| async move {
                            Ok::<_, String>(
                                users()
                                    .into_iter()
                                    .filter(|u| u.email.contains(&query))
                                    .take(3)
                                    .collect(),
                            )
                        },
                        |u: &User| {
                            SearchResult::new(u.email.clone()).description(format!("id {}", u.id))
                        },
                    )
                    .initial_results(users().into_iter().take(2))
                    .placeholder("Search")
                    .await?;
                Ok::<_, Error>(user.id)
            }),
        )
        .action(
            "many",
            Action::new(|io, _| async move {
                let picked = io
                    .search(
                        "Users",
                        |_q: String| async move { Ok::<_, String>(users()) },
                        |u: &User| SearchResult::new(u.email.clone()),
                    )
                    .multiple()
                    .default_values(users().into_iter().skip(7).take(1))
                    .await?;
                Ok::<_, Error>(picked.into_iter().map(|u| u.id).collect::<Vec<_>>())
            }),
        )
    })
    .await;

    host.run("t1", "search").await;
    let r = host.render().await;
    assert_eq!(r.to_render[0].props["results"][1]["value"], "0:1");
    host.set_state("t1", &r, json!([{"queryTerm": "user1"}]));
    let r = host.renders_of_new_state().await;
    let results = r.to_render[0].props["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2]["value"], "1:2");
    assert_eq!(results[2]["label"], "user11@example.com");
    host.answer("t1", &r, json!(["7:0"]));
    let r = host.render().await;
    assert_eq!(
        r.to_render[0].validation_error_message.as_deref(),
        Some(support::io::INVALID)
    );
    host.answer("t1", &r, json!(["1:2"]));
    assert_eq!(host.success().await, json!(11));

    host.run("t2", "many").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert!(c.is_multiple);
    assert_eq!(
        c.multiple_props,
        Some(json!({"defaultValue": ["default:0"]}))
    );
    host.answer("t2", &r, json!([["default:0"]]));
    assert_eq!(host.success().await, json!([7]));
    host.check_interop();
}

/// `search_in`: a search over items the action has, filtered per query
/// by a plain predicate.
#[tokio::test]
async fn search_in_filters_the_items_it_was_given() {
    let mut host = Host::start(|b| {
        b.action(
            "find",
            Action::new(|io, _| async move {
                let user = io
                    .search_in(
                        "User",
                        users(),
                        |u: &User, query| u.email.starts_with(query),
                        |u: &User| SearchResult::new(u.email.clone()),
                    )
                    .await?;
                Ok::<_, Error>(user.id)
            }),
        )
    })
    .await;
    host.run("t1", "find").await;
    let r = host.render().await;
    host.set_state("t1", &r, json!([{"queryTerm": "user2"}]));
    let r = host.renders_of_new_state().await;
    let results = r.to_render[0].props["results"].as_array().unwrap().clone();
    let labels: Vec<&str> = results
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert!(!labels.is_empty());
    assert!(labels.iter().all(|l| l.starts_with("user2")), "{labels:?}");
    let value = results[0]["value"].as_str().unwrap().to_owned();
    host.answer("t1", &r, json!([value]));
    assert_eq!(host.success().await, json!(2));
    host.check_interop();
}

/// A multiple search with defaults sends what the Node SDK sends for
/// `.multiple({ defaultValue })`: the defaults among the results and in
/// `multipleProps.defaultValue`, and no single `props.defaultValue`.
#[tokio::test]
async fn multiple_search_defaults_go_in_multiple_props_only() {
    let mut host = Host::start(|b| {
        b.action(
            "defaults",
            Action::new(|io, _| async move {
                let picked = io
                    .search(
                        "Users",
                        |_q: String| async move { Ok::<_, String>(users()) },
                        |u: &User| SearchResult::new(u.email.clone()),
                    )
                    .multiple()
                    .default_values(users().into_iter().skip(7).take(1))
                    .await?;
                Ok::<_, Error>(picked.into_iter().map(|u| u.id).collect::<Vec<_>>())
            }),
        )
        .action(
            "single_then_multiple",
            Action::new(|io, _| async move {
                let picked = io
                    .search(
                        "Users",
                        |_q: String| async move { Ok::<_, String>(users()) },
                        |u: &User| SearchResult::new(u.email.clone()),
                    )
                    .default_value(users()[3].clone())
                    .multiple()
                    .await?;
                Ok::<_, Error>(picked.into_iter().map(|u| u.id).collect::<Vec<_>>())
            }),
        )
    })
    .await;

    for (tx, slug, id) in [("t1", "defaults", 7), ("t2", "single_then_multiple", 3)] {
        host.run(tx, slug).await;
        let r = host.render().await;
        let c = &r.to_render[0];
        assert!(c.is_multiple);
        assert_eq!(c.props.get("defaultValue"), None, "{slug}: {:?}", c.props);
        assert_eq!(
            c.multiple_props,
            Some(json!({"defaultValue": ["default:0"]})),
            "{slug}"
        );
        let results = c.props["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["value"], "default:0");
        assert_eq!(results[0]["label"], format!("user{id}@example.com"));
        host.answer(tx, &r, json!([["default:0"]]));
        assert_eq!(host.success().await, json!([id]));
    }
    host.check_interop();
}

#[derive(Debug, Deserialize, Serialize)]
struct Row {
    name: String,
    qty: f64,
}

#[tokio::test]
async fn confirm_experimental_and_choices() {
    let mut host = Host::start(|b| {
        b.action(
            "confirm",
            Action::new(|io, _| async move {
                let sure = io.confirm("Delete?").help_text("No undo").await?;
                let me = io
                    .confirm_identity("Again")
                    .grace_period(std::time::Duration::from_secs(60))
                    .await?;
                Ok::<_, Error>((sure, me))
            }),
        )
        .action(
            "sheet",
            Action::new(|io, _| async move {
                let rows: Vec<Row> = io
                    .experimental()
                    .spreadsheet("Stock")
                    .column("name", SpreadsheetType::String)
                    .column("qty", SpreadsheetType::Number)
                    .await?;
                Ok::<_, Error>(rows)
            }),
        )
        .action(
            "creds",
            Action::new(|io, _| async move {
                let c = io
                    .experimental()
                    .credentials("github")
                    .params(json!({"scope": "repo"}))
                    .await?;
                Ok::<_, Error>(c.token)
            }),
        )
        .action(
            "choices",
            Action::new(|io, _| async move {
                let (choice, n) = io
                    .input()
                    .number("N")
                    .with_choices([Choice::new("Save", "save").primary(), "Skip".into()])
                    .await?;
                let (choice2, (a, b)) = io
                    .group((io.input().text("A"), io.display().heading("H")))
                    .with_choices(["Go"])
                    .await?;
                Ok::<_, Error>(json!([choice, n, choice2, a, b]))
            }),
        )
    })
    .await;

    host.run("t1", "confirm").await;
    let r = host.render().await;
    assert_eq!(r.to_render[0].method_name, "CONFIRM");
    host.respond(
        "t1",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!(["yes"]),
        None,
        None,
    );
    let r = host.render().await;
    assert_eq!(
        r.to_render[0].validation_error_message.as_deref(),
        Some(support::io::INVALID)
    );
    host.respond(
        "t1",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([true]),
        None,
        None,
    );
    let r = host.render().await;
    assert_eq!(r.to_render[0].method_name, "CONFIRM_IDENTITY");
    assert_eq!(r.to_render[0].props["gracePeriodMs"], 60000);
    host.respond(
        "t1",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([false]),
        None,
        None,
    );
    assert_eq!(host.success().await, json!([true, false]));

    host.run("t2", "sheet").await;
    let data = host
        .round_trip(
            "t2",
            "INPUT_SPREADSHEET",
            json!([{"name": 1}]),
            json!([{"name": "bolts", "qty": 3}]),
        )
        .await;
    assert_eq!(data, json!([{"name": "bolts", "qty": 3.0}]));

    host.run("t3", "creds").await;
    let data = host
        .round_trip(
            "t3",
            "CREDENTIALS",
            json!({"secret": "s"}),
            json!({"token": "tok"}),
        )
        .await;
    assert_eq!(data, json!("tok"));

    host.run("t4", "choices").await;
    let r = host.render().await;
    let buttons = r.choice_buttons.clone().unwrap();
    assert_eq!(
        (buttons[0].value.as_str(), buttons[1].value.as_str()),
        ("save", "Skip")
    );
    // An unknown choice is refused with a message.
    host.respond(
        "t4",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([1]),
        None,
        Some("nope"),
    );
    let r = host.render().await;
    assert!(r.validation_error_message.is_some());
    host.respond(
        "t4",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([1]),
        None,
        Some("save"),
    );
    let r = host.render().await;
    assert_eq!(r.to_render.len(), 2);
    host.respond(
        "t4",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!(["x", null]),
        None,
        Some("Go"),
    );
    assert_eq!(host.success().await, json!(["save", 1.0, "Go", "x", null]));
    host.check_interop();
}

/// The options a host gets back can be read: label, value, description and
/// image (the host needs no type of its own to know what was chosen).
#[tokio::test]
async fn chosen_select_options_can_be_read_back() {
    let mut host = Host::start(|b| {
        b.action(
            "sizes",
            Action::new(|io, _| async move {
                let options = vec![
                    SelectOption::new("Small", "s").description("up to 1 kg"),
                    SelectOption::new("Large", 2).image(
                        Image::new("https://x/l.png")
                            .alt("large")
                            .size(ImageSize::Small),
                    ),
                ];
                let picked = io.select().multiple("Size", options).await?;
                let read: Vec<_> = picked
                    .iter()
                    .map(|o| {
                        json!({
                            "label": o.label(),
                            "value": o.value(),
                            "description": o.get_description(),
                            "image": o.get_image().map(|i| {
                                json!([i.url(), i.get_alt(), i.width(), i.height()])
                            }),
                        })
                    })
                    .collect();
                Ok::<_, Error>(read)
            }),
        )
    })
    .await;

    host.run("t1", "sizes").await;
    let r = host.render().await;
    host.answer(
        "t1",
        &r,
        json!([[{"label": "Small", "value": "s"}, {"label": "Large", "value": 2}]]),
    );
    assert_eq!(
        host.success().await,
        json!([
            {"label": "Small", "value": "s", "description": "up to 1 kg", "image": null},
            {"label": "Large", "value": 2, "description": null,
             "image": ["https://x/l.png", "large", "small", "small"]},
        ])
    );
    host.check_interop();

    // A date reads back as its ISO-8601 string, not in its wire form.
    let day = Timestamp::from_millis(1_704_164_645_000);
    let option = SelectOption::new(day, day);
    assert_eq!(option.value(), json!("2024-01-02T03:04:05.000Z"));
    assert_eq!(option.label(), json!("2024-01-02T03:04:05.000Z"));
}

/// An option whose value is a date goes out as a superjson `Date` and is
/// recognised when the answer comes back as a plain ISO string.
#[tokio::test]
async fn date_valued_options_round_trip() {
    let days = [
        Timestamp::from_millis(1_704_164_645_000),
        Timestamp::from_millis(1_704_251_045_000),
    ];
    let mut host = Host::start(move |b| {
        b.action(
            "day",
            Action::new(move |io, _| async move {
                let options = days.map(|d| SelectOption::new(format!("day {}", d.as_millis()), d));
                let picked = io.select().single("Day", options).await?;
                Ok::<_, Error>(picked.value())
            }),
        )
        .action(
            "days",
            Action::new(move |io, _| async move {
                let options = days.map(|d| SelectOption::new(d, d));
                let picked = io
                    .select()
                    .multiple("Days", options.clone())
                    .default_value(&options[..1])
                    .await?;
                Ok::<_, Error>(picked.iter().map(SelectOption::value).collect::<Vec<_>>())
            }),
        )
    })
    .await;

    host.run("t1", "day").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert_eq!(c.props["options"][1]["value"], "2024-01-03T03:04:05.000Z");
    let meta = serde_json::to_value(&c.props_meta).unwrap();
    assert_eq!(meta["values"]["options.1.value"], json!(["Date"]), "{meta}");
    // The browser answers with the option, its date annotated.
    host.respond(
        "t1",
        &r,
        interval::protocol::io::IoResponseKind::Return,
        json!([{"label": "day 1704251045000", "value": "2024-01-03T03:04:05.000Z"}]),
        Some(json!({"values": {"0.value": ["Date"]}})),
        Some("Continue"),
    );
    assert_eq!(host.success().await, json!("2024-01-03T03:04:05.000Z"));

    // Several, one of them a default; labels are dates too.
    host.run("t2", "days").await;
    let r = host.render().await;
    host.answer(
        "t2",
        &r,
        json!([[
            {"label": "2024-01-02T03:04:05.000Z", "value": "2024-01-02T03:04:05.000Z"},
            {"label": "2024-01-03T03:04:05.000Z", "value": "2024-01-03T03:04:05.000Z"},
        ]]),
    );
    assert_eq!(
        host.success().await,
        json!(["2024-01-02T03:04:05.000Z", "2024-01-03T03:04:05.000Z"])
    );
    host.check_interop();
}

/// `SET_STATE` is answered as Node's host answers it (`IOClient.ts`): one
/// render for each component that took a new state, then one more, always.
/// A search given a new query is rendered twice, identical but for the ids
/// (Interval's dashboard highlights the first result, which Enter then
/// picks, only thanks to the second); a state that changes nothing, once.
#[tokio::test]
async fn set_state_renders_once_per_new_state_then_once_more() {
    use std::time::Duration;
    use support::io::assert_same_but_id;
    let find = |label: &'static str| {
        move |io: &interval::Io| {
            io.search_in(
                label,
                users(),
                |u: &User, query| u.email.starts_with(query),
                |u: &User| SearchResult::new(u.email.clone()),
            )
        }
    };
    let mut host = Host::start(|b| {
        b.action(
            "find",
            Action::new(move |io, _| async move {
                let user = find("User")(&io).await?;
                Ok::<_, Error>(user.id)
            }),
        )
        .action(
            "pair",
            Action::new(move |io, _| async move {
                let (a, b) = io.group((find("A")(&io), find("B")(&io))).await?;
                Ok::<_, Error>([a.id, b.id])
            }),
        )
    })
    .await;
    let labels = |r: &interval::protocol::io::IoRender, i: usize| -> Vec<String> {
        r.to_render[i].props["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["label"].as_str().unwrap().to_owned())
            .collect()
    };

    host.run("t1", "find").await;
    let first = host.render().await;
    // A new query: the search's render, then the one that always follows.
    host.set_state("t1", &first, json!([{"queryTerm": "user4"}]));
    let searched = host.render().await;
    let again = host.render().await;
    assert_same_but_id(&searched, &again);
    assert_eq!(searched.input_group_key, first.input_group_key);
    assert_eq!(labels(&again, 0).len(), 11);
    assert!(labels(&again, 0).iter().all(|l| l.starts_with("user4")));
    // The same query again: nothing taken, only the render that follows.
    host.set_state("t1", &again, json!([{"queryTerm": "user4"}]));
    let same = host.render().await;
    assert_same_but_id(&again, &same);
    host.peer.expect_silence(Duration::from_millis(300)).await;
    // No state at all (null): one render too.
    host.set_state("t1", &same, json!([null]));
    let last = host.render().await;
    assert_same_but_id(&same, &last);
    host.peer.expect_silence(Duration::from_millis(300)).await;
    let value = last.to_render[0].props["results"][0]["value"].clone();
    host.answer("t1", &last, json!([value]));
    assert_eq!(host.success().await, json!(4));

    // Two components given new states at once: three renders. As Node's,
    // the first shows the first component's new results beside the second's
    // old ones (each render shows the props of its moment).
    host.run("t2", "pair").await;
    let first = host.render().await;
    let old_b = labels(&first, 1);
    host.set_state(
        "t2",
        &first,
        json!([{"queryTerm": "user1"}, {"queryTerm": "user2"}]),
    );
    let after_a = host.render().await;
    let after_b = host.render().await;
    let last = host.render().await;
    assert!(labels(&after_a, 0).iter().all(|l| l.starts_with("user1")));
    assert_eq!(labels(&after_a, 1), old_b);
    assert!(labels(&after_b, 1).iter().all(|l| l.starts_with("user2")));
    assert_same_but_id(&after_b, &last);
    host.peer.expect_silence(Duration::from_millis(300)).await;
    // One of them changed: two renders.
    host.set_state(
        "t2",
        &last,
        json!([{"queryTerm": "user1"}, {"queryTerm": "user3"}]),
    );
    let changed = host.renders_of_new_state().await;
    assert!(labels(&changed, 1).iter().all(|l| l.starts_with("user3")));
    host.peer.expect_silence(Duration::from_millis(300)).await;
    let a = changed.to_render[0].props["results"][0]["value"].clone();
    let b = changed.to_render[1].props["results"][0]["value"].clone();
    host.answer("t2", &changed, json!([a, b]));
    assert_eq!(host.success().await, json!([1, 3]));
    host.check_interop();
}
