use interval::page;

struct Report;

#[page]
async fn users() -> Report {
    Report
}

fn main() {
    let _ = users();
}
