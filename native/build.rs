// Node-API symbols live in the node executable that dlopen()s the addon.
// GNU ld accepts undefined symbols in a cdylib by default; Apple's ld64 must
// be told to resolve them at load time.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    }
}
