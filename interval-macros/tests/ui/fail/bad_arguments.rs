use interval::{action, page, Ctx, Io, Layout, PageCtx};

#[action]
async fn unknown(_name: Vec<String>, _io: &Io) {}

#[action]
async fn twice(_a: Io, _b: Io) {}

#[action]
async fn page_ctx(_ctx: PageCtx) {}

#[page]
async fn action_ctx(_ctx: Ctx) -> Layout {
    Layout::new()
}

#[action]
async fn generic<T>(_io: Io) {}

fn main() {
    let _ = (unknown(), twice(), page_ctx(), action_ctx(), generic());
}
