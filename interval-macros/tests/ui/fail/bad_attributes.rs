use interval::action;

#[action(nmae = "Refund", warnOnClose = false, backgroundable = "yes", name = 3)]
async fn refund() {}

#[action(name = "A", name = "B", access(teams = "support"))]
async fn twice() {}

fn main() {
    let _ = (refund(), twice());
}
