// The `users` page: its handler, and helpers for the routes inside.

use interval::{page, Error, Io, Layout, PageCtx};

/// The people with an account.
pub fn all_users() -> Vec<&'static str> {
    vec!["ada@example.com", "grace@example.com"]
}

/// Everyone with an account.
#[page]
async fn users(display: Io, ctx: PageCtx) -> Result<Layout, Error> {
    Ok(Layout::new()
        .title("Users")
        .description(format!("Viewed by {}", ctx.user().email))
        .child(display.display().markdown(format!("**{}** users", all_users().len()))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn users_are_emails() {
        assert!(super::all_users().iter().all(|u| u.contains('@')));
    }
}
