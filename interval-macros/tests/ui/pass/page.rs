//! Pages: handlers with and without arguments, plain layouts and results,
//! names from the attribute or derived from the fn name.

use interval::{page, Error, Interval, Io, Layout, Page, PageCtx};

/// Everyone who has an account.
#[page]
async fn user_settings(display: Io, ctx: PageCtx) -> Result<Layout, Error> {
    Ok(Layout::new()
        .title(ctx.user().email.clone())
        .child(display.display().markdown("**42** users")))
}

#[page(name = "Reports", description = "Numbers", unlisted, access(entire_organization))]
pub async fn reports(_ctx: PageCtx) -> Layout {
    Layout::new().title("Reports")
}

#[page]
async fn empty() -> Layout {
    Layout::new()
}

fn main() {
    let settings = format!("{:?}", user_settings());
    assert!(settings.contains("name: \"User settings\""), "{settings}");
    assert!(settings.contains("Everyone who has an account."), "{settings}");
    let reports = format!("{:?}", reports());
    assert!(reports.contains("name: \"Reports\""), "{reports}");
    assert!(reports.contains("unlisted: Some(true)"), "{reports}");
    // The companion names the page after the slug it is given.
    let named = format!("{:?}", __interval_page_empty("billingV2"));
    assert!(named.contains("name: \"Billing v2\""), "{named}");
    let pages: Vec<Page> = vec![empty(), __interval_page_reports("ignored")];
    let _ = Interval::builder()
        .page("users", user_settings())
        .page("reports", pages[1].clone());
}
