//! File-based routes: every file under `src/routes/` is an action, every
//! directory a page; `build.rs` turns the tree into a route table.
//!
//! ```sh
//! cargo run -p file-routes   # with the embedded server, or:
//! INTERVAL_ENDPOINT=ws://localhost:3000/websocket INTERVAL_API_KEY=dev_... \
//!     cargo run -p file-routes
//! ```

// Tests include the route table a second time, as a module (see the end of
// this file).
#![cfg_attr(test, allow(clippy::duplicate_mod))]

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
    // Ctrl-C or SIGTERM: close safely (a second one closes at once).
    interval.run_until_signal().await?;
    Ok(())
}

// The same route table as a module: `cargo test` collects the `#[test]`s
// inside route files only there (the expression form above puts the route
// modules inside `main`).
#[cfg(test)]
interval::include_routes!(mod routes);

#[cfg(test)]
mod tests {
    use interval::Route;

    #[test]
    fn every_route_file_is_in_the_table() {
        let routes = super::routes::routes();
        let top: Vec<_> = routes.iter().map(|(slug, _)| slug).collect();
        assert_eq!(top, ["hello", "rebuild-index", "refund", "users"]);
        let Some((_, Route::Page(users))) = routes.iter().find(|(s, _)| *s == "users") else {
            panic!("users is a page");
        };
        assert!(format!("{users:?}").contains("name: \"Users\""));
    }
}
