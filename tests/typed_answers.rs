//! Answers that keep their meaning: validators that see the clicked choice
//! (a single input and a group), whole-number inputs, and params decoded
//! through their superjson meta (`paramsMeta`).

mod support;

use interval::protocol::io::IoResponseKind;
use interval::protocol::server::StartTransaction;
use interval::{Action, Error, Timestamp};
use serde::Deserialize;
use serde_json::json;
use support::io::Host;

#[tokio::test]
async fn with_choices_validators_see_the_choice() {
    let mut host = Host::start(|b| {
        b.action(
            "choices",
            Action::new(|io, _| async move {
                let (choice, n) = io
                    .input()
                    .number("Amount")
                    .with_choices(["Refund", "Skip"])
                    .validate(|choice, n| match choice {
                        "Refund" if *n <= 0.0 => Err(format!("Cannot refund {n}.")),
                        _ => Ok(()),
                    })
                    .await?;
                let (choice2, (name, count)) = io
                    .group((
                        io.input().text("Name"),
                        io.input().number("Count").integer(),
                    ))
                    .validate(|_| Err("replaced by the choice validator".into()))
                    .with_choices(["Go", "Stop"])
                    .validate(|choice, (name, count)| match choice {
                        "Go" if name.is_empty() => Err(format!("Name the {count} items.")),
                        _ => Ok(()),
                    })
                    .await?;
                Ok::<_, Error>(json!([choice, n, choice2, name, count]))
            }),
        )
    })
    .await;
    host.run("t1", "choices").await;
    let first = host.render().await;
    let say = |host: &mut Host, r, values, choice| {
        host.respond("t1", r, IoResponseKind::Return, values, None, Some(choice))
    };
    say(&mut host, &first, json!([-1]), "Refund");
    // Refused above the form, same group, asked again.
    let second = host.render().await;
    assert_eq!(second.input_group_key, first.input_group_key);
    assert_eq!(
        second.validation_error_message.as_deref(),
        Some("Cannot refund -1.")
    );
    assert_eq!(second.to_render[0].validation_error_message, None);
    // The same value with the other button is fine.
    say(&mut host, &second, json!([-1]), "Skip");

    let group = host.render().await;
    assert_eq!(group.to_render.len(), 2);
    say(&mut host, &group, json!(["", 3]), "Go");
    let again = host.render().await;
    assert_eq!(
        again.validation_error_message.as_deref(),
        Some("Name the 3 items.")
    );
    say(&mut host, &again, json!(["", 3]), "Stop");
    assert_eq!(host.success().await, json!(["Skip", -1.0, "Stop", "", 3]));
    host.check_interop();
}

#[tokio::test]
async fn integer_inputs_refuse_fractions() {
    let mut host = Host::start(|b| {
        b.action(
            "seats",
            Action::new(|io, _| async move {
                let seats: i64 = io
                    .input()
                    .number("Seats")
                    .decimals(2)
                    .integer()
                    .min(1.0)
                    .await?;
                let maybe: Option<i64> = io.input().number("More").integer().optional().await?;
                Ok::<_, Error>(json!([seats, maybe]))
            }),
        )
    })
    .await;
    host.run("t1", "seats").await;
    let first = host.render().await;
    let props = &first.to_render[0].props;
    assert_eq!(props.get("decimals"), None, "integers are the default");
    assert_eq!(props["min"], json!(1.0));
    host.answer("t1", &first, json!([2.5]));
    let second = host.render().await;
    assert_eq!(
        second.to_render[0].validation_error_message.as_deref(),
        Some("Please enter a whole number.")
    );
    host.answer("t1", &second, json!([3]));
    let optional = host.render().await;
    host.answer("t1", &optional, json!([1.5]));
    let optional = host.render().await;
    assert!(optional.to_render[0].validation_error_message.is_some());
    host.answer("t1", &optional, json!([null]));
    assert_eq!(host.success().await, json!([3, null]));
    host.check_interop();
}

#[derive(Deserialize)]
struct Params {
    when: Timestamp,
    n: i128,
    small: u64,
    at: String,
}

#[tokio::test]
async fn params_keep_their_superjson_types() {
    let mut host = Host::start(|b| {
        b.action(
            "typed",
            Action::new(|_io, ctx| async move {
                let p: Params = ctx.params_as()?;
                assert_eq!(ctx.param("small"), Some(&json!(9007199254740993u64)));
                let meta = ctx.params_meta().expect("paramsMeta");
                let kind = |key| interval::protocol::superjson::annotation(meta, &[key]);
                Ok::<_, Error>(json!({
                    "when": p.when.to_string(),
                    "n": p.n.to_string(),
                    "small": p.small,
                    "at": p.at,
                    "raw_n": ctx.param("n"),
                    "raw_small": ctx.param("small"),
                    "bigint": ctx.param_bigint("n").map(|n| n.to_string()),
                    "timestamp": ctx.param_timestamp("when").map(|t| t.as_millis()),
                    "kinds": [kind("when"), kind("n"), kind("at"), kind("other")],
                }))
            }),
        )
    })
    .await;
    // What the Node SDK / server sends for
    // `{when: new Date(...), n: 10n ** 21n, small: 2n ** 53n + 1n, at: "12:00:00"}`.
    let mut start = support::start("t1", "typed");
    start.params = serde_json::from_value(json!({
        "when": "2024-01-02T03:04:05.000Z",
        "n": "1000000000000000000000",
        "small": "9007199254740993",
        "at": "12:00:00",
    }))
    .unwrap();
    start.params_meta = Some(
        serde_json::from_value(json!({"values": {
            "when": ["Date"],
            "n": ["bigint"],
            "small": ["bigint"],
            "at": [["custom", "time"]],
        }}))
        .unwrap(),
    );
    host.peer.call::<StartTransaction>(&start).await;
    // (Numbers beyond 2^53 go back as superjson bigints: strings here.)
    assert_eq!(
        host.success().await,
        json!({
            "when": "2024-01-02T03:04:05.000Z",
            "n": "1000000000000000000000",
            "small": "9007199254740993",
            "at": "12:00:00",
            "raw_n": "1000000000000000000000",
            "raw_small": "9007199254740993",
            "bigint": "1000000000000000000000",
            "timestamp": 1_704_164_645_000u64,
            "kinds": ["Date", "bigint", "custom", null],
        })
    );
}
