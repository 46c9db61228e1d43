use interval::{action, Ctx, Error, Io};

/// Asks for a name and greets it.
#[action(name = "Say hello")]
async fn hello(io: Io, ctx: Ctx) -> Result<String, Error> {
    let name = io.input().text("Your name").placeholder("Ada").await?;
    Ok(format!("Hello, {name}! (run by {})", ctx.user().email))
}
