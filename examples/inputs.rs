//! Inputs: text, email, number, boolean and date fields in one form, with a
//! validator. `cargo run --example inputs` serves it on the embedded server.

use interval::io::Date;
use interval::{Action, Error, Interval, Routes};

/// The routes of this example.
pub fn routes() -> Routes {
    Routes::new().action(
        "sign-up",
        Action::new(|io, _ctx| async move {
            let (name, email, age, newsletter, start) = io
                .group((
                    io.input().text("Name").min_length(2).placeholder("Ada"),
                    io.input().email("Email"),
                    io.input().number("Age").min(18.0).optional(),
                    io.input().boolean("Send me the newsletter"),
                    io.input().date("Start on"),
                ))
                .validate(|(_, email, ..)| {
                    if email.ends_with("@example.com") {
                        Ok(())
                    } else {
                        Err("Use your @example.com address".into())
                    }
                })
                .await?;
            let Date { year, month, day } = start;
            let age = age.map_or("no age given".to_owned(), |a| format!("{a} years old"));
            Ok::<_, Error>(format!(
                "{name} <{email}>, {age}, newsletter: {newsletter}, starts {year}-{month:02}-{day:02}"
            ))
        })
        .name("Sign up"),
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
