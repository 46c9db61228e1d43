use interval::{action, page, Io, Layout};

#[action]
fn refund(_io: Io) {}

#[page]
fn users() -> Layout {
    Layout::new()
}

fn main() {
    // The fns still exist with their final types: no follow-up errors here.
    let _ = (refund(), users());
}
