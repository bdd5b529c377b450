//! SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869).
//! The compression function is plain Rust, portable, so these stay native
//! even without AES-NI; x86-64 CPUs with the SHA extensions run it much faster
//! (plain Rust alone is slower than node:crypto; see BENCHMARKS.md, "Crypto
//! primitives").

pub const DIGEST_SIZE: usize = 32;
pub const BLOCK_SIZE: usize = 64;
/// RFC 5869: at most 255 expand blocks.
pub const HKDF_MAX_OUTPUT: usize = 255 * DIGEST_SIZE;
/// Big-endian message bit length that ends the padding.
const LENGTH_SIZE: usize = 8;
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

#[derive(Clone)]
pub struct Sha256 {
    state: [u32; 8],
    buf: [u8; BLOCK_SIZE],
    buf_len: usize,
    /// Bytes absorbed so far (the padding encodes it in bits, mod 2^64).
    total: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    pub fn new() -> Self {
        Sha256 {
            state: H0,
            buf: [0; BLOCK_SIZE],
            buf_len: 0,
            total: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (BLOCK_SIZE - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < BLOCK_SIZE {
                return;
            }
            compress(&mut self.state, &self.buf);
            self.buf_len = 0;
        }
        let whole = data.len() - data.len() % BLOCK_SIZE;
        let (blocks, rest) = data.split_at(whole);
        compress(&mut self.state, blocks);
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    pub fn finalize(mut self) -> [u8; DIGEST_SIZE] {
        let bits = self.total.wrapping_mul(8);
        let n = self.buf_len;
        self.buf[n] = 0x80;
        self.buf[n + 1..].fill(0);
        if n + 1 > BLOCK_SIZE - LENGTH_SIZE {
            compress(&mut self.state, &self.buf);
            self.buf.fill(0);
        }
        self.buf[BLOCK_SIZE - LENGTH_SIZE..].copy_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, &self.buf);
        let mut out = [0u8; DIGEST_SIZE];
        for (o, s) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        out
    }
}

pub fn sha256(data: &[u8]) -> [u8; DIGEST_SIZE] {
    let mut h = Sha256::new();
    h.update(data);
    h.finalize()
}

/// Runs the compression function over `blocks` (a whole number of blocks).
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    debug_assert_eq!(blocks.len() % BLOCK_SIZE, 0);
    if blocks.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if shani::supported() {
        // SAFETY: the CPU features were just detected.
        unsafe { shani::compress(state, blocks) };
        return;
    }
    compress_soft(state, blocks);
}

fn compress_soft(state: &mut [u32; 8], blocks: &[u8]) {
    for b in blocks.chunks_exact(BLOCK_SIZE) {
        // chunks_exact yields whole blocks.
        compress_block(state, b.try_into().unwrap());
    }
}

fn compress_block(state: &mut [u32; 8], block: &[u8; BLOCK_SIZE]) {
    let mut w = [0u32; 64];
    for (wi, b) in w.iter_mut().zip(block.chunks_exact(4)) {
        *wi = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[i])
            .wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

/// The compression function on the x86 SHA extensions (SHA256RNDS2 runs two
/// rounds on the state split as ABEF / CDGH; MSG1/MSG2 extend the schedule).
#[cfg(target_arch = "x86_64")]
mod shani {
    use super::{BLOCK_SIZE, K};
    use core::arch::x86_64::*;

    /// Schedule words per register, and registers per block.
    const WORDS: usize = 4;
    const GROUPS: usize = 64 / WORDS;
    const LOADED: usize = BLOCK_SIZE / 16;

    pub fn supported() -> bool {
        is_x86_feature_detected!("sha")
            && is_x86_feature_detected!("sse4.1")
            && is_x86_feature_detected!("ssse3")
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub unsafe fn compress(state: &mut [u32; 8], blocks: &[u8]) {
        // Big-endian words: byte-swap each 32-bit lane.
        let bswap = _mm_set_epi64x(0x0c0d0e0f_08090a0b, 0x04050607_00010203);
        let abcd = _mm_loadu_si128(state.as_ptr().cast());
        let efgh = _mm_loadu_si128(state.as_ptr().add(WORDS).cast());
        // Lanes low to high: ABEF = [f, e, b, a], CDGH = [h, g, d, c].
        let badc = _mm_shuffle_epi32::<0xb1>(abcd);
        let hgfe = _mm_shuffle_epi32::<0x1b>(efgh);
        let mut abef = _mm_alignr_epi8::<8>(badc, hgfe);
        let mut cdgh = _mm_blend_epi16::<0xf0>(hgfe, badc);

        for block in blocks.chunks_exact(BLOCK_SIZE) {
            let (abef0, cdgh0) = (abef, cdgh);
            let mut w = [_mm_setzero_si128(); LOADED];
            for (i, x) in w.iter_mut().enumerate() {
                *x = _mm_shuffle_epi8(_mm_loadu_si128(block.as_ptr().add(16 * i).cast()), bswap);
            }
            for g in 0..GROUPS {
                let m = if g < LOADED {
                    w[g]
                } else {
                    // w[t] = s1(w[t-2]) + w[t-7] + s0(w[t-15]) + w[t-16], four at a time.
                    let (w16, w12, w8, w4) =
                        (w[g % 4], w[(g + 1) % 4], w[(g + 2) % 4], w[(g + 3) % 4]);
                    let t =
                        _mm_add_epi32(_mm_sha256msg1_epu32(w16, w12), _mm_alignr_epi8::<4>(w4, w8));
                    let m = _mm_sha256msg2_epu32(t, w4);
                    w[g % 4] = m;
                    m
                };
                let wk = _mm_add_epi32(m, _mm_loadu_si128(K.as_ptr().add(WORDS * g).cast()));
                cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
                abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32::<0x0e>(wk));
            }
            abef = _mm_add_epi32(abef, abef0);
            cdgh = _mm_add_epi32(cdgh, cdgh0);
        }

        let abef_r = _mm_shuffle_epi32::<0x1b>(abef); // [a, b, e, f]
        let ghcd = _mm_shuffle_epi32::<0xb1>(cdgh); // [g, h, c, d]
        _mm_storeu_si128(
            state.as_mut_ptr().cast(),
            _mm_blend_epi16::<0xf0>(abef_r, ghcd),
        );
        _mm_storeu_si128(
            state.as_mut_ptr().add(WORDS).cast(),
            _mm_alignr_epi8::<8>(ghcd, abef_r),
        );
    }
}

/// HMAC-SHA256 with the padded key already absorbed, so one key can MAC many
/// messages (HKDF expand) without rehashing it.
#[derive(Clone)]
pub struct HmacSha256 {
    inner: Sha256,
    outer: Sha256,
}

impl HmacSha256 {
    pub fn new(key: &[u8]) -> Self {
        let mut k = [0u8; BLOCK_SIZE];
        if key.len() > BLOCK_SIZE {
            k[..DIGEST_SIZE].copy_from_slice(&sha256(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut pad = [0u8; BLOCK_SIZE];
        for (p, b) in pad.iter_mut().zip(&k) {
            *p = b ^ IPAD;
        }
        let mut inner = Sha256::new();
        inner.update(&pad);
        for (p, b) in pad.iter_mut().zip(&k) {
            *p = b ^ OPAD;
        }
        let mut outer = Sha256::new();
        outer.update(&pad);
        HmacSha256 { inner, outer }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub fn finalize(self) -> [u8; DIGEST_SIZE] {
        let mut outer = self.outer;
        outer.update(&self.inner.finalize());
        outer.finalize()
    }
}

/// HKDF-Extract. An empty salt acts as 32 zero bytes (the HMAC key padding makes them equal).
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> [u8; DIGEST_SIZE] {
    let mut m = HmacSha256::new(salt);
    m.update(ikm);
    m.finalize()
}

#[derive(Debug, PartialEq, Eq)]
pub struct OutputTooLong;

/// HKDF-Expand into `out`; at most `HKDF_MAX_OUTPUT` bytes.
pub fn hkdf_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), OutputTooLong> {
    if out.len() > HKDF_MAX_OUTPUT {
        return Err(OutputTooLong);
    }
    let keyed = HmacSha256::new(prk);
    let mut t = [0u8; DIGEST_SIZE];
    for (i, chunk) in out.chunks_mut(DIGEST_SIZE).enumerate() {
        let mut m = keyed.clone();
        if i > 0 {
            m.update(&t);
        }
        m.update(info);
        // i < 255 by the length check, so the block index fits in a byte.
        m.update(&[i as u8 + 1]);
        t = m.finalize();
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
    Ok(())
}

pub fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), OutputTooLong> {
    hkdf_expand(&hkdf_extract(salt, ikm), info, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_vectors::hex;

    #[test]
    fn fips180_vectors() {
        let cases: [(&[u8], &str); 3] = [
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (m, d) in cases {
            assert_eq!(sha256(m).to_vec(), hex(d));
        }
    }

    #[test]
    fn million_a_in_uneven_updates() {
        let mut h = Sha256::new();
        let chunk = [b'a'; 997];
        let mut left = 1_000_000;
        while left > 0 {
            let n = left.min(chunk.len());
            h.update(&chunk[..n]);
            left -= n;
        }
        assert_eq!(
            h.finalize().to_vec(),
            hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        );
    }

    #[test]
    fn split_updates_match_one_shot_at_padding_edges() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
        for n in [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200] {
            let whole = sha256(&data[..n]);
            for cut in 0..=n {
                let mut h = Sha256::new();
                h.update(&data[..cut]);
                h.update(&data[cut..n]);
                assert_eq!(h.finalize(), whole, "n {n} cut {cut}");
            }
        }
    }

    #[test]
    fn accelerated_and_plain_compression_agree() {
        #[cfg(target_arch = "x86_64")]
        {
            if !shani::supported() {
                eprintln!("skipping: CPU lacks the SHA extensions");
                return;
            }
            let mut x = 0x2545_f491u32;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x
            };
            for nblocks in [1, 2, 5] {
                let data: Vec<u8> = (0..nblocks * BLOCK_SIZE).map(|_| next() as u8).collect();
                let mut a: [u32; 8] = std::array::from_fn(|_| next());
                let mut b = a;
                compress_soft(&mut a, &data);
                // SAFETY: features detected above.
                unsafe { shani::compress(&mut b, &data) };
                assert_eq!(a, b, "{nblocks} blocks");
            }
        }
    }

    #[test]
    fn rfc4231_hmac() {
        let cases: [(Vec<u8>, &[u8], &str); 3] = [
            (
                vec![0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            // Test case 6: a key longer than the block is hashed first.
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (k, m, d) in cases {
            let mut h = HmacSha256::new(&k);
            h.update(m);
            assert_eq!(h.finalize().to_vec(), hex(d));
        }
    }

    #[test]
    fn rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        assert_eq!(
            hkdf_extract(&salt, &ikm).to_vec(),
            hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let mut okm = [0u8; 42];
        hkdf(&ikm, &salt, &info, &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }

    #[test]
    fn rfc5869_case_3_empty_salt_and_info() {
        let mut okm = [0u8; 42];
        hkdf(&[0x0b; 22], &[], &[], &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        );
    }

    #[test]
    fn hkdf_length_limit() {
        let mut max = vec![0u8; HKDF_MAX_OUTPUT];
        assert_eq!(hkdf(b"k", b"s", b"i", &mut max), Ok(()));
        let mut over = vec![0u8; HKDF_MAX_OUTPUT + 1];
        assert_eq!(hkdf(b"k", b"s", b"i", &mut over), Err(OutputTooLong));
        // Prefixes agree: the output is one stream cut at the requested length.
        let mut short = [0u8; 70];
        hkdf(b"k", b"s", b"i", &mut short).unwrap();
        assert_eq!(short[..], max[..70]);
    }
}
