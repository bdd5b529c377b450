//! AES-128 (FIPS-197) in CTR mode and in GCM (SP 800-38D, 96-bit nonces) on
//! x86-64 AES-NI + PCLMULQDQ. No portable fallback: `Aes128::new` and
//! `Gcm::new` return None when the CPU (or target) lacks the instructions,
//! and the caller uses node:crypto instead. Holding an `Aes128` proves the
//! features were detected, so its methods are safe to call.

pub const KEY_SIZE: usize = 16;
pub const BLOCK_SIZE: usize = 16;
/// aes-128-ctr takes a whole block as the initial counter.
pub const CTR_IV_SIZE: usize = BLOCK_SIZE;
pub const GCM_NONCE_SIZE: usize = 12;
pub const GCM_TAG_SIZE: usize = 16;

/// True when this CPU can run the AES and GCM code here.
pub fn supported() -> bool {
    imp::supported()
}

pub use imp::{Aes128, Gcm};

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::{BLOCK_SIZE, CTR_IV_SIZE, GCM_NONCE_SIZE, GCM_TAG_SIZE, KEY_SIZE};
    use core::arch::x86_64::*;

    const ROUNDS: usize = 10;
    /// Blocks in flight per loop iteration: hides AESENC and PCLMULQDQ latency.
    const LANES: usize = 4;
    const WIDE: usize = LANES * BLOCK_SIZE;
    /// Bytes of the big-endian block counter GCM increments (the rest is the nonce).
    const GCM_CTR_SIZE: usize = BLOCK_SIZE - GCM_NONCE_SIZE;
    /// J0 = nonce || 1 masks the tag; data blocks count from 2.
    const GCM_FIRST_DATA_CTR: u32 = 2;
    const GCM_J0_CTR: u32 = 1;

    pub fn supported() -> bool {
        // SSE2 is part of the x86-64 baseline.
        is_x86_feature_detected!("aes")
            && is_x86_feature_detected!("pclmulqdq")
            && is_x86_feature_detected!("ssse3")
    }

    #[derive(Clone)]
    pub struct Aes128 {
        rk: [__m128i; ROUNDS + 1],
    }

    impl Aes128 {
        /// None when AES-NI is unavailable.
        pub fn new(key: &[u8; KEY_SIZE]) -> Option<Self> {
            if !supported() {
                return None;
            }
            // SAFETY: features checked just above.
            Some(unsafe { expand_key(key) })
        }

        pub fn encrypt_block(&self, block: &mut [u8; BLOCK_SIZE]) {
            // SAFETY: an Aes128 exists only after feature detection.
            unsafe {
                let b = encrypt1(&self.rk, _mm_loadu_si128(block.as_ptr().cast()));
                _mm_storeu_si128(block.as_mut_ptr().cast(), b);
            }
        }

        /// aes-128-ctr: `out = data ^ keystream`, the whole 16-byte IV being a
        /// big-endian counter that wraps modulo 2^128 (as OpenSSL does).
        /// Panics if `out` is not exactly as long as `data`.
        pub fn ctr_xor(&self, iv: &[u8; CTR_IV_SIZE], data: &[u8], out: &mut [u8]) {
            assert_eq!(data.len(), out.len(), "ctr_xor: out length");
            let mut ctr = u128::from_be_bytes(*iv);
            // SAFETY: feature detection as above; the closure uses SSE2 only.
            unsafe {
                xor_keystream(
                    &self.rk,
                    || {
                        let b = be128(ctr);
                        ctr = ctr.wrapping_add(1);
                        b
                    },
                    data,
                    out,
                )
            }
        }
    }

    /// AES-128-GCM for one key: the round keys and H, H^2, H^3, H^4.
    pub struct Gcm {
        aes: Aes128,
        /// Powers of the hash key, bit-reflected (see `reflect`): h[i] = H^(i+1).
        h: [__m128i; LANES],
    }

    impl Gcm {
        /// None when AES-NI or PCLMULQDQ is unavailable.
        pub fn new(key: &[u8; KEY_SIZE]) -> Option<Self> {
            let aes = Aes128::new(key)?;
            // SAFETY: Aes128::new checked every feature `supported` lists.
            Some(unsafe { gcm_init(aes) })
        }

        /// Encrypts `pt` and appends the tag: `out` must be `pt.len() + 16` bytes.
        pub fn seal(&self, nonce: &[u8; GCM_NONCE_SIZE], pt: &[u8], ad: &[u8], out: &mut [u8]) {
            assert_eq!(out.len(), pt.len() + GCM_TAG_SIZE, "seal: out length");
            let (ct, tag) = out.split_at_mut(pt.len());
            self.apply(nonce, pt, ct);
            tag.copy_from_slice(&self.tag(nonce, ad, ct));
        }

        /// Checks `tag` over `ad` and `ct` in constant time. Nothing is
        /// decrypted, so a caller can allocate the output only on success.
        pub fn verify(
            &self,
            nonce: &[u8; GCM_NONCE_SIZE],
            ct: &[u8],
            ad: &[u8],
            tag: &[u8; GCM_TAG_SIZE],
        ) -> bool {
            let want = self.tag(nonce, ad, ct);
            // SAFETY: SSE2 is baseline on x86-64.
            unsafe {
                let diff = _mm_xor_si128(
                    _mm_loadu_si128(want.as_ptr().cast()),
                    _mm_loadu_si128(tag.as_ptr().cast()),
                );
                // One compare of all 16 bytes at once: no early exit.
                _mm_movemask_epi8(_mm_cmpeq_epi8(diff, _mm_setzero_si128())) == 0xffff
            }
        }

        /// CTR part of GCM (encrypt = decrypt): `out = data ^ keystream`.
        pub fn apply(&self, nonce: &[u8; GCM_NONCE_SIZE], data: &[u8], out: &mut [u8]) {
            assert_eq!(data.len(), out.len(), "gcm apply: out length");
            // SAFETY: feature detection as above; the closure uses SSE2 only.
            unsafe {
                let base = nonce_block(nonce);
                let mut ctr = GCM_FIRST_DATA_CTR;
                xor_keystream(
                    &self.aes.rk,
                    || {
                        let b = with_ctr32(base, ctr);
                        ctr = ctr.wrapping_add(1); // inc32 wraps within the low word
                        b
                    },
                    data,
                    out,
                )
            }
        }

        /// The ciphertext part of `ct_and_tag` if its trailing tag verifies;
        /// None on a bad tag or an input shorter than a tag.
        pub fn verify_sealed<'a>(
            &self,
            nonce: &[u8; GCM_NONCE_SIZE],
            ct_and_tag: &'a [u8],
            ad: &[u8],
        ) -> Option<&'a [u8]> {
            let n = ct_and_tag.len().checked_sub(GCM_TAG_SIZE)?;
            let (ct, tag) = ct_and_tag.split_at(n);
            let tag = tag.try_into().ok()?;
            self.verify(nonce, ct, ad, tag).then_some(ct)
        }

        /// Verifies, then decrypts into `out` (`ct_and_tag.len() - 16` bytes).
        /// False, with `out` untouched, on a bad tag or a too-short input.
        pub fn open(
            &self,
            nonce: &[u8; GCM_NONCE_SIZE],
            ct_and_tag: &[u8],
            ad: &[u8],
            out: &mut [u8],
        ) -> bool {
            let Some(ct) = self.verify_sealed(nonce, ct_and_tag, ad) else {
                return false;
            };
            self.apply(nonce, ct, out);
            true
        }

        /// GHASH(ad, ct) ^ E(J0).
        pub fn tag(
            &self,
            nonce: &[u8; GCM_NONCE_SIZE],
            ad: &[u8],
            ct: &[u8],
        ) -> [u8; GCM_TAG_SIZE] {
            // SAFETY: a Gcm exists only after feature detection.
            unsafe {
                let mut y = _mm_setzero_si128();
                ghash(&self.h, &mut y, ad);
                ghash(&self.h, &mut y, ct);
                // Lengths in bits; usize -> u64 cannot truncate on x86-64.
                let bits = |n: usize| (n as u64).wrapping_mul(8);
                let mut lens = [0u8; BLOCK_SIZE];
                lens[..8].copy_from_slice(&bits(ad.len()).to_be_bytes());
                lens[8..].copy_from_slice(&bits(ct.len()).to_be_bytes());
                ghash(&self.h, &mut y, &lens);
                let j0 = encrypt1(&self.aes.rk, with_ctr32(nonce_block(nonce), GCM_J0_CTR));
                let mut tag = [0u8; GCM_TAG_SIZE];
                _mm_storeu_si128(tag.as_mut_ptr().cast(), _mm_xor_si128(reflect(y), j0));
                tag
            }
        }
    }

    #[target_feature(enable = "aes,sse2")]
    unsafe fn expand_step(prev: __m128i, assist: __m128i) -> __m128i {
        // Word 3 of the assist is RotWord(SubWord(w3)) ^ rcon; every new word
        // is the running xor of the previous key's words with it.
        let t = _mm_shuffle_epi32::<0xff>(assist);
        let mut k = prev;
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, t)
    }

    #[target_feature(enable = "aes,sse2")]
    unsafe fn expand_key(key: &[u8; KEY_SIZE]) -> Aes128 {
        let mut rk = [_mm_setzero_si128(); ROUNDS + 1];
        rk[0] = _mm_loadu_si128(key.as_ptr().cast());
        // The round constant must be an immediate, hence one line per round.
        rk[1] = expand_step(rk[0], _mm_aeskeygenassist_si128::<0x01>(rk[0]));
        rk[2] = expand_step(rk[1], _mm_aeskeygenassist_si128::<0x02>(rk[1]));
        rk[3] = expand_step(rk[2], _mm_aeskeygenassist_si128::<0x04>(rk[2]));
        rk[4] = expand_step(rk[3], _mm_aeskeygenassist_si128::<0x08>(rk[3]));
        rk[5] = expand_step(rk[4], _mm_aeskeygenassist_si128::<0x10>(rk[4]));
        rk[6] = expand_step(rk[5], _mm_aeskeygenassist_si128::<0x20>(rk[5]));
        rk[7] = expand_step(rk[6], _mm_aeskeygenassist_si128::<0x40>(rk[6]));
        rk[8] = expand_step(rk[7], _mm_aeskeygenassist_si128::<0x80>(rk[7]));
        rk[9] = expand_step(rk[8], _mm_aeskeygenassist_si128::<0x1b>(rk[8]));
        rk[10] = expand_step(rk[9], _mm_aeskeygenassist_si128::<0x36>(rk[9]));
        Aes128 { rk }
    }

    #[inline]
    #[target_feature(enable = "aes,sse2")]
    unsafe fn encrypt1(rk: &[__m128i; ROUNDS + 1], block: __m128i) -> __m128i {
        let mut b = _mm_xor_si128(block, rk[0]);
        for k in &rk[1..ROUNDS] {
            b = _mm_aesenc_si128(b, *k);
        }
        _mm_aesenclast_si128(b, rk[ROUNDS])
    }

    #[inline]
    #[target_feature(enable = "aes,sse2")]
    unsafe fn encrypt4(rk: &[__m128i; ROUNDS + 1], b: &mut [__m128i; LANES]) {
        for x in b.iter_mut() {
            *x = _mm_xor_si128(*x, rk[0]);
        }
        for k in &rk[1..ROUNDS] {
            for x in b.iter_mut() {
                *x = _mm_aesenc_si128(*x, *k);
            }
        }
        for x in b.iter_mut() {
            *x = _mm_aesenclast_si128(*x, rk[ROUNDS]);
        }
    }

    /// `out = data ^ E(c0) || E(c1) || ...` with counter blocks from `next`.
    #[target_feature(enable = "aes,sse2")]
    unsafe fn xor_keystream(
        rk: &[__m128i; ROUNDS + 1],
        mut next: impl FnMut() -> __m128i,
        data: &[u8],
        out: &mut [u8],
    ) {
        let n = data.len();
        let mut i = 0;
        while i + WIDE <= n {
            let mut ks = [next(), next(), next(), next()];
            encrypt4(rk, &mut ks);
            for (j, k) in ks.iter().enumerate() {
                let at = i + j * BLOCK_SIZE;
                let d = _mm_loadu_si128(data.as_ptr().add(at).cast());
                _mm_storeu_si128(out.as_mut_ptr().add(at).cast(), _mm_xor_si128(d, *k));
            }
            i += WIDE;
        }
        while i + BLOCK_SIZE <= n {
            let k = encrypt1(rk, next());
            let d = _mm_loadu_si128(data.as_ptr().add(i).cast());
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm_xor_si128(d, k));
            i += BLOCK_SIZE;
        }
        if i < n {
            let mut ks = [0u8; BLOCK_SIZE];
            _mm_storeu_si128(ks.as_mut_ptr().cast(), encrypt1(rk, next()));
            for ((o, d), k) in out[i..].iter_mut().zip(&data[i..]).zip(&ks) {
                *o = d ^ k;
            }
        }
    }

    /// The block whose bytes are `c` as a big-endian 128-bit integer.
    #[inline]
    unsafe fn be128(c: u128) -> __m128i {
        let hi = ((c >> 64) as u64).swap_bytes();
        let lo = (c as u64).swap_bytes();
        _mm_set_epi64x(lo as i64, hi as i64)
    }

    /// nonce || 0x00000000.
    #[inline]
    unsafe fn nonce_block(nonce: &[u8; GCM_NONCE_SIZE]) -> __m128i {
        let mut b = [0u8; BLOCK_SIZE];
        b[..GCM_NONCE_SIZE].copy_from_slice(nonce);
        _mm_loadu_si128(b.as_ptr().cast())
    }

    /// `base` (low counter word zero) with the last 4 bytes set to `ctr`, big-endian.
    #[inline]
    unsafe fn with_ctr32(base: __m128i, ctr: u32) -> __m128i {
        const _: () = assert!(GCM_CTR_SIZE == 4);
        // Lane 3 holds bytes 12..16; byte-swap so they read big-endian.
        _mm_or_si128(base, _mm_set_epi32(ctr.swap_bytes() as i32, 0, 0, 0))
    }

    /// Byte-reverses a block. GCM numbers field bits from the first byte's
    /// top bit, so after the byte reversal x^i sits at register bit 127 - i:
    /// a fully bit-reflected polynomial, which PCLMULQDQ can multiply as is.
    #[inline]
    #[target_feature(enable = "ssse3")]
    unsafe fn reflect(x: __m128i) -> __m128i {
        let rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        _mm_shuffle_epi8(x, rev)
    }

    /// Unreduced 256-bit carry-less product as (low, high) halves.
    #[inline]
    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn clmul(a: __m128i, b: __m128i) -> (__m128i, __m128i) {
        let lo = _mm_clmulepi64_si128::<0x00>(a, b);
        let hi = _mm_clmulepi64_si128::<0x11>(a, b);
        let mid = _mm_xor_si128(
            _mm_clmulepi64_si128::<0x01>(a, b),
            _mm_clmulepi64_si128::<0x10>(a, b),
        );
        (
            _mm_xor_si128(lo, _mm_slli_si128::<8>(mid)),
            _mm_xor_si128(hi, _mm_srli_si128::<8>(mid)),
        )
    }

    /// Reduces a reflected 256-bit product modulo x^128 + x^7 + x^2 + x + 1.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn reduce(lo: __m128i, hi: __m128i) -> __m128i {
        // Reflected n-bit operands give a product whose x^k sits at bit 254 - k;
        // shift the 256-bit value left once so x^k sits at 255 - k.
        let lo_c = _mm_srli_epi64::<63>(lo);
        let hi_c = _mm_srli_epi64::<63>(hi);
        let lo = _mm_or_si128(_mm_slli_epi64::<1>(lo), _mm_slli_si128::<8>(lo_c));
        let hi = _mm_or_si128(
            _mm_or_si128(_mm_slli_epi64::<1>(hi), _mm_slli_si128::<8>(hi_c)),
            _mm_srli_si128::<8>(lo_c),
        );
        // Now the low half holds x^128..x^255. Folding with x^128 = 1 + x + x^2 + x^7
        // moves each bit up by 128, 127, 126 and 121 positions. The last three push
        // the lowest 7 bits back into the low half (bits 121..127): fold those in first.
        let spill = _mm_xor_si128(
            _mm_xor_si128(_mm_slli_epi64::<63>(lo), _mm_slli_epi64::<62>(lo)),
            _mm_slli_epi64::<57>(lo),
        );
        let m = _mm_xor_si128(lo, _mm_slli_si128::<8>(spill));
        // The high half gains m ^ m>>1 ^ m>>2 ^ m>>7 (128-bit shifts, built from
        // per-lane shifts plus the bits crossing from the upper lane).
        let lanes = _mm_xor_si128(
            _mm_xor_si128(_mm_srli_epi64::<1>(m), _mm_srli_epi64::<2>(m)),
            _mm_srli_epi64::<7>(m),
        );
        let cross = _mm_xor_si128(
            _mm_xor_si128(_mm_slli_epi64::<63>(m), _mm_slli_epi64::<62>(m)),
            _mm_slli_epi64::<57>(m),
        );
        _mm_xor_si128(
            _mm_xor_si128(hi, m),
            _mm_xor_si128(lanes, _mm_srli_si128::<8>(cross)),
        )
    }

    #[inline]
    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn gf_mul(a: __m128i, b: __m128i) -> __m128i {
        let (lo, hi) = clmul(a, b);
        reduce(lo, hi)
    }

    #[target_feature(enable = "aes,pclmulqdq,sse2,ssse3")]
    unsafe fn gcm_init(aes: Aes128) -> Gcm {
        let h1 = reflect(encrypt1(&aes.rk, _mm_setzero_si128()));
        let h2 = gf_mul(h1, h1);
        let h3 = gf_mul(h2, h1);
        let h4 = gf_mul(h2, h2);
        Gcm {
            aes,
            h: [h1, h2, h3, h4],
        }
    }

    #[inline]
    #[target_feature(enable = "ssse3")]
    unsafe fn load_reflected(p: *const u8) -> __m128i {
        reflect(_mm_loadu_si128(p.cast()))
    }

    /// Absorbs `data` into the GHASH state `y`, zero-padding a final partial block.
    #[target_feature(enable = "pclmulqdq,sse2,ssse3")]
    unsafe fn ghash(h: &[__m128i; LANES], y: &mut __m128i, data: &[u8]) {
        let n = data.len();
        let p = data.as_ptr();
        let mut acc = *y;
        let mut i = 0;
        // Four blocks per reduction: y' = (y^x0)H^4 ^ x1 H^3 ^ x2 H^2 ^ x3 H.
        while i + WIDE <= n {
            let x0 = _mm_xor_si128(acc, load_reflected(p.add(i)));
            let (mut lo, mut hi) = clmul(x0, h[3]);
            for j in 1..LANES {
                let (l, u) = clmul(load_reflected(p.add(i + j * BLOCK_SIZE)), h[LANES - 1 - j]);
                lo = _mm_xor_si128(lo, l);
                hi = _mm_xor_si128(hi, u);
            }
            acc = reduce(lo, hi);
            i += WIDE;
        }
        while i + BLOCK_SIZE <= n {
            acc = gf_mul(_mm_xor_si128(acc, load_reflected(p.add(i))), h[0]);
            i += BLOCK_SIZE;
        }
        if i < n {
            let mut last = [0u8; BLOCK_SIZE];
            last[..n - i].copy_from_slice(&data[i..]);
            acc = gf_mul(_mm_xor_si128(acc, load_reflected(last.as_ptr())), h[0]);
        }
        *y = acc;
    }
}

/// Other targets: nothing is ever constructed, so the methods are unreachable.
#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{BLOCK_SIZE, CTR_IV_SIZE, GCM_NONCE_SIZE, GCM_TAG_SIZE, KEY_SIZE};

    enum Never {}

    pub fn supported() -> bool {
        false
    }

    pub struct Aes128(Never);

    impl Aes128 {
        pub fn new(_key: &[u8; KEY_SIZE]) -> Option<Self> {
            None
        }
        pub fn encrypt_block(&self, _block: &mut [u8; BLOCK_SIZE]) {
            match self.0 {}
        }
        pub fn ctr_xor(&self, _iv: &[u8; CTR_IV_SIZE], _data: &[u8], _out: &mut [u8]) {
            match self.0 {}
        }
    }

    pub struct Gcm(Never);

    impl Gcm {
        pub fn new(_key: &[u8; KEY_SIZE]) -> Option<Self> {
            None
        }
        pub fn seal(&self, _nonce: &[u8; GCM_NONCE_SIZE], _pt: &[u8], _ad: &[u8], _out: &mut [u8]) {
            match self.0 {}
        }
        pub fn verify(
            &self,
            _nonce: &[u8; GCM_NONCE_SIZE],
            _ct: &[u8],
            _ad: &[u8],
            _tag: &[u8; GCM_TAG_SIZE],
        ) -> bool {
            match self.0 {}
        }
        pub fn apply(&self, _nonce: &[u8; GCM_NONCE_SIZE], _data: &[u8], _out: &mut [u8]) {
            match self.0 {}
        }
        pub fn verify_sealed<'a>(
            &self,
            _nonce: &[u8; GCM_NONCE_SIZE],
            _ct_and_tag: &'a [u8],
            _ad: &[u8],
        ) -> Option<&'a [u8]> {
            match self.0 {}
        }
        pub fn open(
            &self,
            _nonce: &[u8; GCM_NONCE_SIZE],
            _ct_and_tag: &[u8],
            _ad: &[u8],
            _out: &mut [u8],
        ) -> bool {
            match self.0 {}
        }
        pub fn tag(
            &self,
            _nonce: &[u8; GCM_NONCE_SIZE],
            _ad: &[u8],
            _ct: &[u8],
        ) -> [u8; GCM_TAG_SIZE] {
            match self.0 {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_vectors::hex;

    fn arr<const N: usize>(s: &str) -> [u8; N] {
        hex(s).try_into().unwrap()
    }

    /// The tests need AES-NI; say so instead of failing on other CPUs.
    fn skip() -> bool {
        if supported() {
            return false;
        }
        eprintln!("skipping: CPU lacks AES-NI/PCLMULQDQ");
        true
    }

    #[test]
    fn fips197_block() {
        if skip() {
            return;
        }
        // FIPS-197 appendix C.1 and appendix B.
        let cases = [
            (
                "000102030405060708090a0b0c0d0e0f",
                "00112233445566778899aabbccddeeff",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "3243f6a8885a308d313198a2e0370734",
                "3925841d02dc09fbdc118597196a0b32",
            ),
        ];
        for (k, p, c) in cases {
            let aes = Aes128::new(&arr(k)).unwrap();
            let mut b = arr(p);
            aes.encrypt_block(&mut b);
            assert_eq!(b.to_vec(), hex(c));
        }
    }

    #[test]
    fn sp800_38a_ctr() {
        if skip() {
            return;
        }
        // SP 800-38A F.5.1 CTR-AES128.Encrypt.
        let aes = Aes128::new(&arr("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let iv = arr("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let pt = hex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
             30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
        );
        let ct = hex(
            "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff
             5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee",
        );
        // Every length exercises the 4-wide, single-block and partial paths.
        for n in 0..=pt.len() {
            let mut out = vec![0u8; n];
            aes.ctr_xor(&iv, &pt[..n], &mut out);
            assert_eq!(out, ct[..n], "length {n}");
        }
    }

    #[test]
    fn ctr_counter_carries_across_all_128_bits() {
        if skip() {
            return;
        }
        let aes = Aes128::new(&[7u8; KEY_SIZE]).unwrap();
        let data = [0u8; 9 * BLOCK_SIZE + 5];
        for start in [
            u64::MAX as u128 - 2,
            u128::MAX - 3,
            0x00ff_ffff_ffff_ffff_ffff_ffff_ffff_fffe,
        ] {
            let mut out = vec![0u8; data.len()];
            aes.ctr_xor(&start.to_be_bytes(), &data, &mut out);
            for (i, chunk) in out.chunks(BLOCK_SIZE).enumerate() {
                let mut b = start.wrapping_add(i as u128).to_be_bytes();
                aes.encrypt_block(&mut b);
                assert_eq!(chunk, &b[..chunk.len()], "start {start:x} block {i}");
            }
        }
    }

    struct GcmCase {
        key: &'static str,
        nonce: &'static str,
        pt: &'static str,
        ad: &'static str,
        ct: &'static str,
        tag: &'static str,
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1-4.
    const MCGREW_VIEGA: [GcmCase; 4] = [
        GcmCase {
            key: "00000000000000000000000000000000",
            nonce: "000000000000000000000000",
            pt: "",
            ad: "",
            ct: "",
            tag: "58e2fccefa7e3061367f1d57a4e7455a",
        },
        GcmCase {
            key: "00000000000000000000000000000000",
            nonce: "000000000000000000000000",
            pt: "00000000000000000000000000000000",
            ad: "",
            ct: "0388dace60b6a392f328c2b971b2fe78",
            tag: "ab6e47d42cec13bdf53a67b21257bddf",
        },
        GcmCase {
            key: "feffe9928665731c6d6a8f9467308308",
            nonce: "cafebabefacedbaddecaf888",
            pt: "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
                 1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255",
            ad: "",
            ct: "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e
                 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091473f5985",
            tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
        },
        GcmCase {
            key: "feffe9928665731c6d6a8f9467308308",
            nonce: "cafebabefacedbaddecaf888",
            pt: "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
                 1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39",
            ad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ct: "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e
                 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091",
            tag: "5bc94fbc3221a5db94fae95ae7121a47",
        },
    ];

    #[test]
    fn mcgrew_viega_seal_and_open() {
        if skip() {
            return;
        }
        for (i, c) in MCGREW_VIEGA.iter().enumerate() {
            let g = Gcm::new(&arr(c.key)).unwrap();
            let nonce = arr(c.nonce);
            let (pt, ad) = (hex(c.pt), hex(c.ad));
            let mut sealed = vec![0u8; pt.len() + GCM_TAG_SIZE];
            g.seal(&nonce, &pt, &ad, &mut sealed);
            let mut want = hex(c.ct);
            want.extend(hex(c.tag));
            assert_eq!(sealed, want, "case {}", i + 1);

            let mut opened = vec![0u8; pt.len()];
            assert!(g.open(&nonce, &sealed, &ad, &mut opened), "case {}", i + 1);
            assert_eq!(opened, pt);
        }
    }

    #[test]
    fn open_rejects_any_flipped_bit() {
        if skip() {
            return;
        }
        let c = &MCGREW_VIEGA[3];
        let g = Gcm::new(&arr(c.key)).unwrap();
        let nonce = arr(c.nonce);
        let (pt, ad) = (hex(c.pt), hex(c.ad));
        let mut sealed = vec![0u8; pt.len() + GCM_TAG_SIZE];
        g.seal(&nonce, &pt, &ad, &mut sealed);
        let mut out = vec![0xaa; pt.len()];
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!g.open(&nonce, &bad, &ad, &mut out), "bit {bit}");
        }
        for bit in 0..ad.len() * 8 {
            let mut bad = ad.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!g.open(&nonce, &sealed, &bad, &mut out), "ad bit {bit}");
        }
        // A failed open leaves the output alone.
        assert!(out.iter().all(|&b| b == 0xaa));
        assert!(!g.open(&nonce, &sealed[..GCM_TAG_SIZE - 1], &ad, &mut []));
    }

    /// Tag from the spec's definition, with a bit-serial field multiply.
    fn reference_tag(
        key: &[u8; KEY_SIZE],
        nonce: &[u8; GCM_NONCE_SIZE],
        ad: &[u8],
        ct: &[u8],
    ) -> [u8; GCM_TAG_SIZE] {
        let aes = Aes128::new(key).unwrap();
        let mut hk = [0u8; BLOCK_SIZE];
        aes.encrypt_block(&mut hk);
        let h = u128::from_be_bytes(hk);
        let mut y = 0u128;
        for part in [ad, ct] {
            for ch in part.chunks(BLOCK_SIZE) {
                let mut b = [0u8; BLOCK_SIZE];
                b[..ch.len()].copy_from_slice(ch);
                y = gf_mul_ref(y ^ u128::from_be_bytes(b), h);
            }
        }
        let lens = ((ad.len() as u128 * 8) << 64) | (ct.len() as u128 * 8);
        y = gf_mul_ref(y ^ lens, h);
        let mut j0 = [0u8; BLOCK_SIZE];
        j0[..GCM_NONCE_SIZE].copy_from_slice(nonce);
        j0[BLOCK_SIZE - 1] = 1;
        aes.encrypt_block(&mut j0);
        (y ^ u128::from_be_bytes(j0)).to_be_bytes()
    }

    #[test]
    fn tag_matches_bit_serial_reference() {
        if skip() {
            return;
        }
        // Lengths around the 4-block stride check the aggregated reduction.
        let key = arr("feffe9928665731c6d6a8f9467308308");
        let g = Gcm::new(&key).unwrap();
        let nonce = [3u8; GCM_NONCE_SIZE];
        let data: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 300] {
            for m in [0, 5, 64, 71] {
                let (ad, ct) = (&data[..m], &data[300 - n..]);
                assert_eq!(
                    g.tag(&nonce, ad, ct),
                    reference_tag(&key, &nonce, ad, ct),
                    "ad {m} ct {n}"
                );
            }
        }
    }

    /// SP 800-38D algorithm 1, bit by bit (x^0 is the most significant bit).
    fn gf_mul_ref(x: u128, y: u128) -> u128 {
        const R: u128 = 0xe1 << 120;
        let mut z = 0u128;
        let mut v = y;
        for i in 0..128 {
            if (x >> (127 - i)) & 1 == 1 {
                z ^= v;
            }
            v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
        }
        z
    }
}
