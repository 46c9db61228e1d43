use interval::{page, Layout};

#[page(backgroundable, warn_on_close = false)]
async fn users() -> Layout {
    Layout::new()
}

fn main() {
    let _ = users();
}
