//! Pages: a page whose handler returns a layout (title, description, a menu
//! item, a table), with an action inside it. `cargo run --example pages`.

use interval::{Action, Error, Interval, Layout, MenuItem, Page, Routes};
use serde_json::json;

/// The routes of this example.
pub fn routes() -> Routes {
    let invite = Action::new(|io, _ctx| async move {
        let email = io.input().email("Email").await?;
        Ok::<_, Error>(format!("Invited {email}"))
    })
    .name("Invite a user");

    let users = Page::new("Users")
        .description("Everyone with an account")
        .handler(|io, ctx| async move {
            let users =
                (1..=50).map(|i| json!({ "id": i, "email": format!("user{i}@example.com") }));
            Ok::<_, Error>(
                Layout::new()
                    .title("Users")
                    .description(format!("Viewed by {}", ctx.user().email))
                    .menu_item(MenuItem::route("Invite", "users/invite"))
                    .child(io.display().table("Accounts", users)),
            )
        })
        .action("invite", invite);

    Routes::new().page("users", users)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let interval = Interval::from_env().routes(routes()).build();
    interval.listen().await?;
    // Ctrl-C or SIGTERM: close safely (a second one closes at once).
    interval.run_until_signal().await?;
    Ok(())
}
