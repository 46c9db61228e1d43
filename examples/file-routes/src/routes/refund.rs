use interval::{action, Error, Io};
use serde_json::{json, Value};

/// Refunds an order in full. Keeps running when the runner leaves the page.
#[action(backgroundable, access(teams = ["support"]))]
async fn refund(io: Io) -> Result<Value, Error> {
    let (order, amount) = io
        .group((
            io.input().text("Order id").min_length(3),
            io.input().number("Amount").min(0.0).decimals(2).prepend("$"),
        ))
        .await?;
    Ok(json!({ "order": order, "refunded": amount }))
}
