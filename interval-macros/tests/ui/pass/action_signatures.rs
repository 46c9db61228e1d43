//! Every handler shape: arguments in any order or none, plain values and
//! `Result`s, paths to the types.

use interval::{action, Action, Ctx, Error, Io};

#[action]
async fn nothing() {}

#[action]
async fn io_only(io: Io) -> Result<String, Error> {
    io.input().text("Name").await
}

#[action]
async fn ctx_first(ctx: Ctx, _io: interval::Io) -> String {
    ctx.user().email.clone()
}

#[action]
pub async fn boxed_error(_: Ctx) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(1)
}

#[action]
pub(crate) async fn json(_ctx: interval::Ctx) -> serde_json::Value {
    serde_json::json!({ "ok": true })
}

#[action]
async fn r#type() -> interval::Result<()> {
    Ok(())
}

fn main() {
    let actions: Vec<Action> = vec![
        nothing(),
        io_only(),
        ctx_first(),
        boxed_error(),
        json(),
        r#type(),
        __interval_action_nothing(),
        __interval_action_type(),
    ];
    assert_eq!(actions.len(), 8);
}
