//! Metadata from the attribute and the doc comment.

use interval::{action, Ctx, Error, Interval};

/// Refunds an order
/// in full.
///
/// Careful.
#[action(name = "Refund", backgroundable, access(teams = ["support", "billing"]))]
async fn refund(ctx: Ctx) -> Result<String, Error> {
    Ok(ctx.user().email.clone())
}

/// Ignored: the attribute's description wins.
#[action(
    description = "Hidden",
    unlisted,
    warn_on_close = false,
    backgroundable = false,
    access(entire_organization)
)]
async fn hidden() {}

#[action(access(teams = []))]
async fn admins_only() {}

fn main() {
    let refund = format!("{:?}", refund());
    assert!(refund.contains("name: Some(\"Refund\")"), "{refund}");
    assert!(refund.contains("description: Some(\"Refunds an order in full.\\n\\nCareful.\")"), "{refund}");
    assert!(refund.contains("backgroundable: Some(true)"), "{refund}");
    assert!(refund.contains("\"support\", \"billing\""), "{refund}");
    let hidden = format!("{:?}", hidden());
    assert!(hidden.contains("description: Some(\"Hidden\")"), "{hidden}");
    assert!(hidden.contains("unlisted: Some(true)"), "{hidden}");
    assert!(hidden.contains("warn_on_close: Some(false)"), "{hidden}");
    assert!(hidden.contains("EntireOrganization"), "{hidden}");
    let _ = Interval::builder()
        .action("refund", crate::refund())
        .action("hidden", crate::hidden())
        .action("admins", admins_only());
}
