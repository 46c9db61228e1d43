//! Displays: a heading, markdown, metadata (one value loading later), code,
//! a link and an object on one screen. `cargo run --example displays`.

use std::time::Duration;

use interval::io::MetaItem;
use interval::{Action, Error, Interval, Routes};
use serde_json::json;

/// The routes of this example.
pub fn routes() -> Routes {
    Routes::new().action(
        "server-status",
        Action::new(|io, _ctx| async move {
            let d = io.display();
            io.group((
                d.heading("api-1").description("eu-west, up 12 days"),
                d.markdown("All checks **passed**. See the [runbook](https://example.com)."),
                d.metadata(
                    "Figures",
                    [
                        MetaItem::new("CPU", "12%"),
                        MetaItem::new("Requests/s", 1_250),
                        // Shown as loading, filled in when the query returns.
                        MetaItem::later("Errors today", async {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            Ok::<_, Error>(3)
                        }),
                    ],
                ),
                d.code("Config", "[server]\nport = 8080").language("toml"),
                d.link("Open the logs").url("https://example.com/logs"),
                d.object("Last deploy", json!({ "version": "1.4.2", "by": "ada" })),
            ))
            .await?;
            Ok::<_, Error>("shown")
        })
        .name("Server status"),
    )
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let interval = Interval::from_env().routes(routes()).build();
    interval.listen().await?;
    // Ctrl-C or SIGTERM: close safely (a second one closes at once).
    interval.run_until_signal().await?;
    Ok(())
}
