use interval::action;

#[action]
struct Refund;

fn main() {}
