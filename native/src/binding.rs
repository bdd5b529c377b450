//! JS glue: `createTrie()` returns a plain object of methods over one
//! `trie::Trie`, plus `noop()` for measuring the bare Node-API call cost, and
//! stateless crypto functions (`aes128Ctr`, `aesGcmSeal`, `aesGcmOpen`,
//! `sha256`, `hkdfSha256`, `cryptoSupported`), and `recvDelayNs` (kernel
//! receive timestamps, netstamp.rs).
//! Every input is validated here and reported as a JS Error with a stable
//! `code` (panic=abort must never fire).
//!
//! Why not napi_define_class + napi_wrap: napi_unwrap is a private-symbol
//! property lookup per call, several times the cost of the trie walk on small
//! tries (see BENCHMARKS.md, "Native trie"). Instead each method function
//! carries the trie pointer as its callback data, and every function holds
//! one reference on the shared cell, released by its finalizer. A callable
//! function is alive, so its pointer is valid; no foreign object can be
//! passed in place of ours.

use crate::aes::{self, Aes128, Gcm};
use crate::napi::*;
use crate::sha256::{self, Sha256};
use crate::trie::{InsertError, Trie, ID_BITS, ID_BYTES, MAX_HIST_DEPTH};
use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_void, CStr, CString};
use std::ptr;

/// One trie shared by the method functions of one JS trie object.
struct Shared {
    /// Live method functions (plus one held by createTrie while it builds them).
    refs: Cell<usize>,
    trie: UnsafeCell<Trie>,
}

// Stable error codes; the TypeScript side maps them onto TrieError.
const ERR_BAD_ID: &CStr = c"ERR_TRIE_BAD_ID";
const ERR_BAD_PREFIX: &CStr = c"ERR_TRIE_BAD_PREFIX";
const ERR_BAD_DEPTH: &CStr = c"ERR_TRIE_BAD_DEPTH";
const ERR_BAD_ARG: &CStr = c"ERR_TRIE_BAD_ARG";
const ERR_FULL: &CStr = c"ERR_TRIE_FULL";
const ERR_BAD_THIS: &CStr = c"ERR_TRIE_BAD_THIS";
const ERR_NAPI: &CStr = c"ERR_TRIE_NAPI";

// Crypto error codes. src/crypto/hash.ts only calls with valid sizes, so
// these report misuse of the addon itself.
const ERR_CRYPTO_BAD_KEY: &CStr = c"ERR_CRYPTO_BAD_KEY";
const ERR_CRYPTO_BAD_IV: &CStr = c"ERR_CRYPTO_BAD_IV";
const ERR_CRYPTO_BAD_NONCE: &CStr = c"ERR_CRYPTO_BAD_NONCE";
const ERR_CRYPTO_BAD_ARG: &CStr = c"ERR_CRYPTO_BAD_ARG";
const ERR_CRYPTO_BAD_LENGTH: &CStr = c"ERR_CRYPTO_BAD_LENGTH";
const ERR_CRYPTO_UNSUPPORTED: &CStr = c"ERR_CRYPTO_UNSUPPORTED";
const ERR_CRYPTO_NAPI: &CStr = c"ERR_CRYPTO_NAPI";

/// Most arguments any trie method takes.
const MAX_ARGS: usize = 3;
/// key, iv/nonce, data, ad.
const CRYPTO_ARGS: usize = 4;
/// sha256(...parts) hashes up to this many arguments without a JS-side concat.
const SHA256_MAX_PARTS: usize = 8;

struct JsError {
    code: &'static CStr,
    msg: String,
}

type JsResult<T> = Result<T, JsError>;

fn err<T>(code: &'static CStr, msg: impl Into<String>) -> JsResult<T> {
    Err(JsError {
        code,
        msg: msg.into(),
    })
}

fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        err(
            ERR_NAPI,
            format!("Node-API call {what} failed with status {status}"),
        )
    }
}

unsafe fn throw(env: napi_env, e: JsError) {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if pending {
        return; // keep the original exception, it is more precise
    }
    let msg = CString::new(e.msg).unwrap_or_default();
    napi_throw_error(env, e.code.as_ptr(), msg.as_ptr());
}

/// One call's arguments; N is how many are fetched (napi fills each slot).
struct Call<const N: usize = MAX_ARGS> {
    env: napi_env,
    data: *mut c_void,
    argc: usize,
    argv: [napi_value; N],
}

impl<const N: usize> Call<N> {
    unsafe fn new(env: napi_env, info: napi_callback_info) -> JsResult<Self> {
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        let mut data = ptr::null_mut();
        check(
            napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                &mut data,
            ),
            "napi_get_cb_info",
        )?;
        Ok(Call {
            env,
            data,
            argc,
            argv,
        })
    }

    fn arg(&self, i: usize) -> Option<napi_value> {
        // argc reports the real count, which may exceed N.
        (i < self.argc.min(N)).then(|| self.argv[i])
    }

    /// The trie this method function was created for. Methods never call back
    /// into JS while holding it, so the &mut cannot alias.
    // The &mut comes from the Shared cell's UnsafeCell, not from &self.
    #[allow(clippy::mut_from_ref)]
    unsafe fn trie(&self) -> JsResult<&mut Trie> {
        if self.data.is_null() {
            return err(ERR_BAD_THIS, "trie method has no trie attached");
        }
        Ok(&mut *(*(self.data as *const Shared)).trie.get())
    }

    /// Borrow a Uint8Array argument. The slice lives as long as the JS value,
    /// i.e. for this call (Node-API materialises on-heap arrays off-heap).
    unsafe fn bytes(&self, i: usize, code: &'static CStr, what: &str) -> JsResult<&[u8]> {
        let Some(v) = self.arg(i) else {
            return err(code, format!("{what} must be a Uint8Array"));
        };
        let mut ty = 0i32;
        let mut len = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let st = napi_get_typedarray_info(
            self.env,
            v,
            &mut ty,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        );
        if st != NAPI_OK || ty != NAPI_UINT8_ARRAY {
            return err(code, format!("{what} must be a Uint8Array"));
        }
        if len == 0 || data.is_null() {
            return Ok(&[]);
        }
        Ok(std::slice::from_raw_parts(data as *const u8, len))
    }

    /// A Uint8Array argument of exactly L bytes.
    unsafe fn array<const L: usize>(
        &self,
        i: usize,
        code: &'static CStr,
        what: &str,
    ) -> JsResult<&[u8; L]> {
        let b = self.bytes(i, code, what)?;
        match b.try_into() {
            Ok(a) => Ok(a),
            Err(_) => err(code, format!("{what} must be {L} bytes, got {}", b.len())),
        }
    }

    unsafe fn id(&self, i: usize, what: &str) -> JsResult<&[u8; ID_BYTES]> {
        let b = self.bytes(i, ERR_BAD_ID, what)?;
        match b.try_into() {
            Ok(id) => Ok(id),
            Err(_) => err(
                ERR_BAD_ID,
                format!("{what} must be {ID_BYTES} bytes, got {}", b.len()),
            ),
        }
    }

    unsafe fn id_batch(&self, i: usize) -> JsResult<&[u8]> {
        let b = self.bytes(i, ERR_BAD_ID, "ids")?;
        if b.len() % ID_BYTES != 0 {
            return err(
                ERR_BAD_ID,
                format!("ids length {} is not a multiple of {ID_BYTES}", b.len()),
            );
        }
        Ok(b)
    }

    /// Integer argument in [lo, hi].
    unsafe fn int(
        &self,
        i: usize,
        lo: u32,
        hi: u32,
        code: &'static CStr,
        what: &str,
    ) -> JsResult<u32> {
        let mut x = f64::NAN;
        let ok = match self.arg(i) {
            Some(v) => napi_get_value_double(self.env, v, &mut x) == NAPI_OK,
            None => false,
        };
        if !ok || x.fract() != 0.0 || x < lo as f64 || x > hi as f64 {
            return err(code, format!("{what} must be an integer in [{lo}, {hi}]"));
        }
        Ok(x as u32)
    }
}

unsafe fn js_bool(env: napi_env, b: bool) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(napi_get_boolean(env, b, &mut v), "napi_get_boolean")?;
    Ok(v)
}

unsafe fn js_u32(env: napi_env, x: u32) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(napi_create_uint32(env, x, &mut v), "napi_create_uint32")?;
    Ok(v)
}

unsafe fn js_f64(env: napi_env, x: f64) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(napi_create_double(env, x, &mut v), "napi_create_double")?;
    Ok(v)
}

/// New typed array of `len` elements of `elem` bytes; returns (value, backing memory).
unsafe fn js_typed(
    env: napi_env,
    ty: i32,
    elem: usize,
    len: usize,
) -> JsResult<(napi_value, *mut u8)> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut ab = ptr::null_mut();
    check(
        napi_create_arraybuffer(env, len * elem, &mut data, &mut ab),
        "napi_create_arraybuffer",
    )?;
    let mut ta = ptr::null_mut();
    check(
        napi_create_typedarray(env, ty, len, ab, 0, &mut ta),
        "napi_create_typedarray",
    )?;
    Ok((ta, data as *mut u8))
}

unsafe fn js_u32_array(env: napi_env, xs: &[u32]) -> JsResult<napi_value> {
    let (ta, data) = js_typed(env, NAPI_UINT32_ARRAY, 4, xs.len())?;
    if !xs.is_empty() {
        // ArrayBuffer memory is at least 8-byte aligned, but copy bytes to be safe.
        ptr::copy_nonoverlapping(xs.as_ptr() as *const u8, data, xs.len() * 4);
    }
    Ok(ta)
}

/// Runs a method body, turning Err into a thrown JS error.
unsafe fn run(
    env: napi_env,
    info: napi_callback_info,
    f: impl FnOnce(&Call) -> JsResult<napi_value>,
) -> napi_value {
    run_n(env, info, f)
}

/// `run` fetching N arguments.
unsafe fn run_n<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
    f: impl FnOnce(&Call<N>) -> JsResult<napi_value>,
) -> napi_value {
    match Call::<N>::new(env, info).and_then(|c| f(&c)) {
        Ok(v) => v,
        Err(e) => {
            throw(env, e);
            ptr::null_mut()
        }
    }
}

fn full_error<T>() -> JsResult<T> {
    err(ERR_FULL, "trie is full (2^31-1 entries)")
}

/// Drops one reference; frees the trie with the last one.
unsafe fn release(shared: *mut Shared) {
    let refs = (*shared).refs.get() - 1;
    (*shared).refs.set(refs);
    if refs == 0 {
        drop(Box::from_raw(shared));
    }
}

/// Finalizer of each method function (finalizers run on the JS thread).
unsafe extern "C" fn finalize_method(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        release(data as *mut Shared);
    }
}

type Method = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

const METHODS: [(&CStr, Method); 11] = [
    (c"insert", m_insert),
    (c"remove", m_remove),
    (c"has", m_has),
    (c"size", m_size),
    (c"insertBatch", m_insert_batch),
    (c"hasBatch", m_has_batch),
    (c"countPrefix", m_count_prefix),
    (c"countsAtDepth", m_counts_at_depth),
    (c"holes", m_holes),
    (c"suggestDistances", m_suggest_distances),
    (c"memoryBytes", m_memory_bytes),
];

/// `createTrie()`: a fresh object whose methods share one new trie.
unsafe extern "C" fn f_create_trie(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |_| {
        let shared = Box::into_raw(Box::new(Shared {
            refs: Cell::new(1),
            trie: UnsafeCell::new(Trie::new()),
        }));
        let result = build_trie_object(env, shared);
        // Drop the builder's reference: on failure this frees the trie unless a
        // finalizer-owning function already exists (those are unreachable, so GC frees it).
        release(shared);
        result
    })
}

unsafe fn build_trie_object(env: napi_env, shared: *mut Shared) -> JsResult<napi_value> {
    let mut obj = ptr::null_mut();
    check(napi_create_object(env, &mut obj), "napi_create_object")?;
    for (name, cb) in METHODS {
        let mut f = ptr::null_mut();
        check(
            napi_create_function(
                env,
                name.as_ptr(),
                AUTO_LENGTH,
                Some(cb),
                shared as *mut c_void,
                &mut f,
            ),
            "napi_create_function",
        )?;
        check(
            napi_add_finalizer(
                env,
                f,
                shared as *mut c_void,
                Some(finalize_method),
                ptr::null_mut(),
                ptr::null_mut(),
            ),
            "napi_add_finalizer",
        )?;
        (*shared).refs.set((*shared).refs.get() + 1);
        check(
            napi_set_named_property(env, obj, name.as_ptr(), f),
            "napi_set_named_property",
        )?;
    }
    Ok(obj)
}

unsafe extern "C" fn m_insert(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let id = c.id(0, "id")?;
        match c.trie()?.insert(id) {
            Ok(b) => js_bool(env, b),
            Err(InsertError::Full) => full_error(),
        }
    })
}

unsafe extern "C" fn m_remove(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let id = c.id(0, "id")?;
        js_bool(env, c.trie()?.remove(id))
    })
}

unsafe extern "C" fn m_has(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let id = c.id(0, "id")?;
        js_bool(env, c.trie()?.has(id))
    })
}

unsafe extern "C" fn m_size(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| js_u32(env, c.trie()?.len() as u32))
}

unsafe extern "C" fn m_insert_batch(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let ids = c.id_batch(0)?;
        let t = c.trie()?;
        let mut added = 0u32;
        for chunk in ids.chunks_exact(ID_BYTES) {
            // chunks_exact guarantees the length; try_into cannot fail.
            let Ok(id) = chunk.try_into() else { continue };
            match t.insert(id) {
                Ok(true) => added += 1,
                Ok(false) => {}
                Err(InsertError::Full) => return full_error(),
            }
        }
        js_u32(env, added)
    })
}

unsafe extern "C" fn m_has_batch(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let ids = c.id_batch(0)?;
        let t = c.trie()?;
        let n = ids.len() / ID_BYTES;
        let (ta, out) = js_typed(env, NAPI_UINT8_ARRAY, 1, n)?;
        for (i, chunk) in ids.chunks_exact(ID_BYTES).enumerate() {
            let hit = chunk.try_into().map(|id| t.has(id)).unwrap_or(false);
            *out.add(i) = hit as u8;
        }
        Ok(ta)
    })
}

unsafe extern "C" fn m_count_prefix(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let prefix = c.bytes(0, ERR_BAD_PREFIX, "prefix")?;
        let bits = c.int(1, 0, ID_BITS, ERR_BAD_PREFIX, "bits")?;
        if (prefix.len() as u64) * 8 < bits as u64 {
            return err(
                ERR_BAD_PREFIX,
                format!(
                    "prefix has {} bytes, too short for {bits} bits",
                    prefix.len()
                ),
            );
        }
        js_u32(env, c.trie()?.count_prefix(prefix, bits))
    })
}

unsafe extern "C" fn m_counts_at_depth(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let depth = c.int(0, 1, MAX_HIST_DEPTH, ERR_BAD_DEPTH, "depth")?;
        let t = c.trie()?;
        let n = 1usize << depth;
        let (ta, out) = js_typed(env, NAPI_UINT32_ARRAY, 4, n)?;
        // ArrayBuffer backing stores are allocated with at least 8-byte alignment.
        let hist = std::slice::from_raw_parts_mut(out as *mut u32, n);
        t.counts_at_depth(depth, hist);
        Ok(ta)
    })
}

/// Returns a flat Uint32Array [prefix0, count0, prefix1, count1, ...].
unsafe extern "C" fn m_holes(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let depth = c.int(0, 1, MAX_HIST_DEPTH, ERR_BAD_DEPTH, "depth")?;
        let limit = c.int(1, 0, u32::MAX, ERR_BAD_ARG, "limit")?;
        let holes = c.trie()?.holes(depth, limit as usize);
        let flat: Vec<u32> = holes.iter().flat_map(|&(p, n)| [p, n]).collect();
        js_u32_array(env, &flat)
    })
}

unsafe extern "C" fn m_suggest_distances(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let peer = c.id(0, "peerId")?;
        let n = c.int(1, 0, ID_BITS, ERR_BAD_ARG, "n")?;
        let min = c.int(2, 1, ID_BITS, ERR_BAD_ARG, "minDistance")?;
        let ds = c.trie()?.suggest_distances(peer, n as usize, min);
        let mut arr = ptr::null_mut();
        check(
            napi_create_array_with_length(env, ds.len(), &mut arr),
            "napi_create_array_with_length",
        )?;
        for (i, &d) in ds.iter().enumerate() {
            check(
                napi_set_element(env, arr, i as u32, js_u32(env, d)?),
                "napi_set_element",
            )?;
        }
        Ok(arr)
    })
}

unsafe extern "C" fn m_memory_bytes(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| js_f64(env, c.trie()?.memory_bytes() as f64))
}

/// Does nothing: the baseline cost of crossing into native code.
unsafe extern "C" fn f_noop(env: napi_env, _info: napi_callback_info) -> napi_value {
    let mut v = ptr::null_mut();
    napi_get_undefined(env, &mut v);
    v
}

/// `trimMalloc()`: hands the C heap's free pages back to the OS (glibc's malloc_trim, every arena); true if it
/// returned any. glibc only returns the top of its main heap on its own, so the buffers a finished crawl freed in
/// the middle stay resident. False where there is no glibc.
unsafe extern "C" fn f_trim_malloc(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |_| js_bool(env, trim_malloc()))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_malloc() -> bool {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim takes the allocator's own locks; any thread may call it.
    unsafe { malloc_trim(0) != 0 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_malloc() -> bool {
    false
}

/// `recvDelayNs(fd)`: how long the datagram just read from socket `fd` waited since the kernel received it
/// (ns), or -1 when unknown (see netstamp.rs).
unsafe extern "C" fn f_recv_delay_ns(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let fd = c.int(0, 0, i32::MAX as u32, ERR_BAD_ARG, "fd")?;
        js_f64(env, crate::netstamp::recv_delay_ns(fd as i32).unwrap_or(-1.0))
    })
}

/// A fresh Uint8Array of `len` bytes (one ArrayBuffer) and its memory.
unsafe fn out_bytes<'a>(env: napi_env, len: usize) -> JsResult<(napi_value, &'a mut [u8])> {
    let (ta, data) = js_typed(env, NAPI_UINT8_ARRAY, 1, len).map_err(|e| JsError {
        code: ERR_CRYPTO_NAPI,
        msg: e.msg,
    })?;
    if len == 0 {
        // An empty ArrayBuffer may have no memory at all.
        return Ok((ta, &mut []));
    }
    if data.is_null() {
        return err(
            ERR_CRYPTO_NAPI,
            "napi_create_arraybuffer returned no memory",
        );
    }
    Ok((ta, std::slice::from_raw_parts_mut(data, len)))
}

fn unsupported<T>() -> JsResult<T> {
    err(
        ERR_CRYPTO_UNSUPPORTED,
        "this CPU lacks AES-NI/PCLMULQDQ (check cryptoSupported())",
    )
}

/// `cryptoSupported()`: whether the AES functions can run here. The hashes always can.
unsafe extern "C" fn f_crypto_supported(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |_| js_bool(env, aes::supported()))
}

/// `aes128Ctr(key, iv, data)`: data ^ AES-128-CTR keystream (128-bit big-endian counter).
unsafe extern "C" fn f_aes128_ctr(env: napi_env, info: napi_callback_info) -> napi_value {
    run(env, info, |c| {
        let key = c.array::<{ aes::KEY_SIZE }>(0, ERR_CRYPTO_BAD_KEY, "key")?;
        let iv = c.array::<{ aes::CTR_IV_SIZE }>(1, ERR_CRYPTO_BAD_IV, "iv")?;
        let data = c.bytes(2, ERR_CRYPTO_BAD_ARG, "data")?;
        let Some(cipher) = Aes128::new(key) else {
            return unsupported();
        };
        let (ta, out) = out_bytes(env, data.len())?;
        cipher.ctr_xor(iv, data, out);
        Ok(ta)
    })
}

/// `aesGcmSeal(key, nonce, pt, ad)`: ciphertext || 16-byte tag.
unsafe extern "C" fn f_aes_gcm_seal(env: napi_env, info: napi_callback_info) -> napi_value {
    run_n::<CRYPTO_ARGS>(env, info, |c| {
        let key = c.array::<{ aes::KEY_SIZE }>(0, ERR_CRYPTO_BAD_KEY, "key")?;
        let nonce = c.array::<{ aes::GCM_NONCE_SIZE }>(1, ERR_CRYPTO_BAD_NONCE, "nonce")?;
        let pt = c.bytes(2, ERR_CRYPTO_BAD_ARG, "plaintext")?;
        let ad = c.bytes(3, ERR_CRYPTO_BAD_ARG, "ad")?;
        let Some(gcm) = Gcm::new(key) else {
            return unsupported();
        };
        let (ta, out) = out_bytes(env, pt.len() + aes::GCM_TAG_SIZE)?;
        gcm.seal(nonce, pt, ad, out);
        Ok(ta)
    })
}

/// `aesGcmOpen(key, nonce, ctWithTag, ad)`: the plaintext, or null when the
/// tag does not verify (or the input is shorter than a tag). The output is
/// allocated only after the tag checks out.
unsafe extern "C" fn f_aes_gcm_open(env: napi_env, info: napi_callback_info) -> napi_value {
    run_n::<CRYPTO_ARGS>(env, info, |c| {
        let key = c.array::<{ aes::KEY_SIZE }>(0, ERR_CRYPTO_BAD_KEY, "key")?;
        let nonce = c.array::<{ aes::GCM_NONCE_SIZE }>(1, ERR_CRYPTO_BAD_NONCE, "nonce")?;
        let sealed = c.bytes(2, ERR_CRYPTO_BAD_ARG, "ciphertext")?;
        let ad = c.bytes(3, ERR_CRYPTO_BAD_ARG, "ad")?;
        let Some(gcm) = Gcm::new(key) else {
            return unsupported();
        };
        let Some(ct) = gcm.verify_sealed(nonce, sealed, ad) else {
            let mut v = ptr::null_mut();
            check(napi_get_null(env, &mut v), "napi_get_null")?;
            return Ok(v);
        };
        let (ta, out) = out_bytes(env, ct.len())?;
        gcm.apply(nonce, ct, out);
        Ok(ta)
    })
}

/// `sha256(...parts)`: digest of the concatenated parts (at most 8).
unsafe extern "C" fn f_sha256(env: napi_env, info: napi_callback_info) -> napi_value {
    run_n::<SHA256_MAX_PARTS>(env, info, |c| {
        if c.argc > SHA256_MAX_PARTS {
            return err(
                ERR_CRYPTO_BAD_ARG,
                format!(
                    "sha256 takes at most {SHA256_MAX_PARTS} parts, got {}",
                    c.argc
                ),
            );
        }
        let mut h = Sha256::new();
        for i in 0..c.argc {
            h.update(c.bytes(i, ERR_CRYPTO_BAD_ARG, "part")?);
        }
        let (ta, out) = out_bytes(env, sha256::DIGEST_SIZE)?;
        out.copy_from_slice(&h.finalize());
        Ok(ta)
    })
}

/// `hkdfSha256(ikm, salt, info, length)`: RFC 5869 extract + expand.
unsafe extern "C" fn f_hkdf_sha256(env: napi_env, info: napi_callback_info) -> napi_value {
    run_n::<CRYPTO_ARGS>(env, info, |c| {
        let ikm = c.bytes(0, ERR_CRYPTO_BAD_ARG, "ikm")?;
        let salt = c.bytes(1, ERR_CRYPTO_BAD_ARG, "salt")?;
        let hkdf_info = c.bytes(2, ERR_CRYPTO_BAD_ARG, "info")?;
        let len = c.int(
            3,
            0,
            sha256::HKDF_MAX_OUTPUT as u32,
            ERR_CRYPTO_BAD_LENGTH,
            "length",
        )?;
        let (ta, out) = out_bytes(env, len as usize)?;
        // The length was range-checked above, so expand cannot refuse it.
        if sha256::hkdf(ikm, salt, hkdf_info, out).is_err() {
            return err(ERR_CRYPTO_BAD_LENGTH, "hkdf output too long");
        }
        Ok(ta)
    })
}

/// `NAPI_AUTO_LENGTH`: the name is NUL-terminated.
const AUTO_LENGTH: usize = usize::MAX;

unsafe fn export_fn(env: napi_env, exports: napi_value, name: &CStr, cb: Method) -> JsResult<()> {
    let mut f = ptr::null_mut();
    check(
        napi_create_function(
            env,
            name.as_ptr(),
            AUTO_LENGTH,
            Some(cb),
            ptr::null_mut(),
            &mut f,
        ),
        "napi_create_function",
    )?;
    check(
        napi_set_named_property(env, exports, name.as_ptr(), f),
        "napi_set_named_property",
    )
}

unsafe fn init(env: napi_env, exports: napi_value) -> JsResult<napi_value> {
    export_fn(env, exports, c"createTrie", f_create_trie)?;
    export_fn(env, exports, c"noop", f_noop)?;
    export_fn(env, exports, c"cryptoSupported", f_crypto_supported)?;
    export_fn(env, exports, c"aes128Ctr", f_aes128_ctr)?;
    export_fn(env, exports, c"aesGcmSeal", f_aes_gcm_seal)?;
    export_fn(env, exports, c"aesGcmOpen", f_aes_gcm_open)?;
    export_fn(env, exports, c"sha256", f_sha256)?;
    export_fn(env, exports, c"hkdfSha256", f_hkdf_sha256)?;
    export_fn(env, exports, c"recvDelayNs", f_recv_delay_ns)?;
    export_fn(env, exports, c"trimMalloc", f_trim_malloc)?;
    Ok(exports)
}

pub unsafe fn register(env: napi_env, exports: napi_value) -> napi_value {
    match init(env, exports) {
        Ok(v) => v,
        Err(e) => {
            throw(env, e);
            ptr::null_mut()
        }
    }
}
