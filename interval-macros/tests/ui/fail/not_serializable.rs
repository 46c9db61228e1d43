use interval::action;

struct Secret;

#[action]
async fn leak() -> Secret {
    Secret
}

fn main() {
    let _ = leak();
}
