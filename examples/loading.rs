//! Loading states and logs: a progress bar that counts items, and a log
//! line per item. `cargo run --example loading`.

use std::time::Duration;

use interval::{Action, Error, Interval, LoadingOptions, Routes};

/// The routes of this example.
pub fn routes() -> Routes {
    Routes::new().action(
        "import",
        Action::new(|io, ctx| async move {
            let count = io
                .input()
                .number("How many records?")
                .min(1.0)
                .max(100.0)
                .await? as u64;
            ctx.loading().start(
                LoadingOptions::label("Importing records")
                    .description("One at a time")
                    .items_in_queue(count),
            );
            for i in 1..=count {
                tokio::time::sleep(Duration::from_millis(100)).await; // the real work
                ctx.log(format!("record {i} imported")).await;
                ctx.loading().complete_one();
            }
            Ok::<_, Error>(format!("Imported {count} records"))
        })
        .name("Import records")
        .backgroundable(true),
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
