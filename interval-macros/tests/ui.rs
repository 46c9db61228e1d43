//! Compile tests of `#[action]` and `#[page]` (trybuild): `pass/` must
//! build, `fail/` must fail with the checked-in `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
