use interval::{action, Ctx};

/// Rebuilds the search index. Unlisted: reachable by URL only.
#[action(unlisted, warn_on_close = false)]
async fn rebuild(ctx: Ctx) -> String {
    format!("index rebuilt for {}", ctx.organization().name)
}
