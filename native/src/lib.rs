//! dhtscope native core: a Node-API addon exposing a crit-bit trie of
//! 256-bit node IDs and the symmetric crypto discv5 runs per packet (AES-CTR,
//! AES-GCM, SHA-256, HKDF). Zero dependencies (crates.io is unreachable), so
//! the Node-API surface is declared by hand in `napi.rs`.

pub mod aes;
pub mod netstamp;
pub mod sha256;
#[cfg(test)]
mod test_vectors;
pub mod trie;

// The binding references Node-API symbols that only exist inside a node
// process, so keep it out of `cargo test` binaries.
#[cfg(not(test))]
mod binding;
#[cfg(not(test))]
mod napi;

/// Entry point node looks up after dlopen()ing a Node-API addon.
///
/// # Safety
/// Called by node with a valid env and exports object.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(
    env: napi::napi_env,
    exports: napi::napi_value,
) -> napi::napi_value {
    binding::register(env, exports)
}
