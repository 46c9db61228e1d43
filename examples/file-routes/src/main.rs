//! File-based routes: every file under `src/routes/` is an action, every
//! directory a page; `build.rs` turns the tree into a route table.
//!
//! ```sh
//! cargo run -p file-routes   # with the embedded server, or:
//! INTERVAL_ENDPOINT=ws://localhost:3000/websocket INTERVAL_API_KEY=dev_... \
//!     cargo run -p file-routes
//! ```

use interval::{action, Error, Interval};

/// Answers at once (an inline route, next to the file routes).
#[action]
async fn ping() -> &'static str {
    "pong"
}

#[tokio::main]
async fn main() {
    let interval = Interval::from_env()
        .routes(interval::include_routes!())
        .action("ping", ping())
        .build();
    if let Err(e) = run(&interval).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(interval: &Interval) -> Result<(), Error> {
    interval.listen().await?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => interval.safely_close().await?,
        _ = interval.closed() => {}
    }
    Ok(())
}
