//! Build script: napi-rs link settings for the `.node` (on macOS, undefined Node-API symbols
//! are resolved at load time).
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    napi_build::setup();
}
