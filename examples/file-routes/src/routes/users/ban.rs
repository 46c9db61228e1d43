use interval::{action, Io};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Bans a user from signing in.
#[action(name = "Ban a user")]
async fn ban(io: Io) -> Result<String, BoxError> {
    let email = io.input().text("Email").await?;
    if !super::all_users().contains(&email.as_str()) {
        return Err(format!("no user {email}").into());
    }
    Ok(format!("{email} is banned"))
}
