//! `#[derive(Layout)]` refuses what a generated JS reader could not follow, at compile time
//! and at the offending field or attribute (`tests/layout-fail/*.rs`, with the compiler's
//! messages in the `.stderr` files beside them: `TRYBUILD=overwrite` rewrites those).
#![cfg(feature = "layout")]

#[test]
fn unsupported_types_and_reprs_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/layout-fail/*.rs");
}
