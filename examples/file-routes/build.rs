fn main() {
    // src/routes → $OUT_DIR/interval_routes.rs
    interval_build::routes();
}
