//! The quickstart: two actions. `cargo run --example quickstart` serves them
//! on the embedded server and prints the dashboard URL; with
//! `INTERVAL_ENDPOINT` and `INTERVAL_API_KEY` it serves them to that server.

use interval::{Action, Error, Interval};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let hello = Action::new(|io, ctx| async move {
        let name = io.input().text("Your name").placeholder("Ada").await?;
        Ok::<_, Error>(format!("Hello, {name}! (run by {})", ctx.user().email))
    })
    .name("Say hello")
    .description("Asks for a name and greets it");

    let split_bill = Action::new(|io, _ctx| async move {
        let (total, people, tip) = io
            .group((
                io.input().number("Total").min(0.0).decimals(2).prepend("$"),
                io.input().number("People").min(1.0),
                io.input().boolean("Add a 15% tip?"),
            ))
            .validate(|(_, people, _)| {
                if people.fract() != 0.0 {
                    Err("People must be a whole number".into())
                } else {
                    Ok(())
                }
            })
            .await?;
        let total = if tip { total * 1.15 } else { total };
        Ok::<_, Error>(serde_json::json!({ "each": (total / people * 100.0).round() / 100.0 }))
    })
    .name("Split the bill");

    let interval = Interval::from_env()
        .action("hello", hello)
        .action("split-bill", split_bill)
        .build();

    interval.listen().await?;
    // Ctrl-C or SIGTERM: close safely (a second one closes at once).
    interval.run_until_signal().await?;
    Ok(())
}
