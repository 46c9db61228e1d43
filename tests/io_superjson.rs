//! superjson both ways: dates, big integers, `undefined` and
//! `["custom","time"]` in props, values and results.

mod support;

use interval::protocol::io::IoResponseKind;
use interval::{Action, Error, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::io::Host;

#[derive(Debug, Serialize, Deserialize)]
struct Row {
    at: Timestamp,
    big: u64,
    time: String,
}

#[tokio::test]
async fn dates_bigints_undefined_and_times_round_trip() {
    let mut host = Host::start(|b| {
        b.action(
            "sj",
            Action::new(|io, _| async move {
                let row = Row {
                    at: Timestamp::from_millis(1_704_164_645_000),
                    big: 9_007_199_254_740_993,
                    time: "09:30:00".into(),
                };
                io.display().object("Row", &row).await?;
                let rows: Vec<Row> = io.experimental().spreadsheet("Rows").await?;
                Ok::<_, Error>((row, rows.len(), rows[0].at.as_millis()))
            }),
        )
    })
    .await;
    host.run("t1", "sj").await;
    let r = host.render().await;
    let c = &r.to_render[0];
    assert_eq!(
        c.props["data"],
        json!({"at": "2024-01-02T03:04:05.000Z", "big": "9007199254740993", "time": "09:30:00"})
    );
    assert_eq!(
        serde_json::to_value(c.props_meta.clone().unwrap()).unwrap(),
        json!({"values": {"data.at": ["Date"], "data.big": ["bigint"], "data.time": [["custom", "time"]]}})
    );
    host.answer("t1", &r, json!([null]));
    let r = host.render().await;
    host.respond(
        "t1",
        &r,
        IoResponseKind::Return,
        json!([[{"at": "2024-01-02T03:04:05.000Z", "big": "12", "time": "10:00:00", "extra": null}]]),
        Some(json!({"values": {"0.0.at": ["Date"], "0.0.big": ["bigint"], "0.0.time": [["custom", "time"]], "0.0.extra": ["undefined"]}})),
        Some("Continue"),
    );
    let (_, result) = host.result().await;
    assert_eq!(
        result.data,
        json!([{"at": "2024-01-02T03:04:05.000Z", "big": "9007199254740993", "time": "09:30:00"}, 1, 1_704_164_645_000u64])
    );
    assert_eq!(
        serde_json::to_value(result.meta.unwrap()).unwrap(),
        json!({"values": {"0.at": ["Date"], "0.big": ["bigint"], "0.time": [["custom", "time"]]}})
    );
    host.check_interop();
}
