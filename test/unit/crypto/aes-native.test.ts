// The addon's AES-CTR, AES-GCM, SHA-256 and HKDF against node:crypto on seeded
// random inputs (odd-offset views included), tamper rejection, argument checks,
// and the src/crypto/hash.ts dispatch. Skipped with a reason when the addon is
// not built, predates the crypto exports, or the CPU lacks AES-NI/PCLMULQDQ.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  aes128Ctr, aesBackend, aesGcmDecrypt, aesGcmEncrypt, GCM_TAG_SIZE, hkdfSha256, sha256, shaBackend,
} from '../../../src/crypto/hash.js';
import { loadNativeAddon } from '../../../src/native/addon.js';
import type { NativeCrypto } from '../../../src/native/native-trie.js';
import { CryptoError } from '../../../src/util/errors.js';
import { randomBytes, rng } from '../../helpers.js';

const CASES = 2_000;
const SEED = 0x5eed_ae5;
const KEY_SIZE = 16;
const CTR_IV_SIZE = 16;
const NONCE_SIZE = 12;
const MAX_DATA = 1300;
const MAX_AD = 200;
const MAX_HKDF_OUT = 100;
const MAX_HKDF_INPUT = 64;
const MAX_INFO = 100;
/** Offsets views start at inside their backing buffer: 0 and odd ones. */
const MAX_VIEW_OFFSET = 7;
/** More parts than the native sha256 takes in one call (8), to hit the concat path. */
const MAX_SHA_PARTS = 11;
const CHILD_TIMEOUT_MS = 10_000;

/** dist/src/crypto, seen from dist/test/unit/crypto. */
const COMPILED_HASH_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'crypto', 'hash.js');

type Rand = () => number;

const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** n random bytes as a view at offset 0 or an odd offset into a larger buffer. */
function view(r: Rand, n: number): Uint8Array {
  const off = r() < 0.25 ? 0 : int(r, 0, (MAX_VIEW_OFFSET - 1) / 2) * 2 + 1;
  const back = randomBytes(r, off + n + int(r, 0, 3));
  return back.subarray(off, off + n);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

// node:crypto references, independent of hash.ts.
function refCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

function refSeal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: GCM_TAG_SIZE });
  c.setAAD(ad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function refSha(parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const load = loadNativeAddon();
const addon = load.ok ? load.addon : null;
const hasCrypto = (a: typeof addon): a is NativeCrypto & NonNullable<typeof addon> =>
  typeof a?.cryptoSupported === 'function' && typeof a.aes128Ctr === 'function' && typeof a.aesGcmSeal === 'function'
  && typeof a.aesGcmOpen === 'function' && typeof a.sha256 === 'function' && typeof a.hkdfSha256 === 'function';
const native: NativeCrypto | null = hasCrypto(addon) ? addon : null;

/** The addon's crypto, or null after t.skip() with the reason. */
function nativeOrSkip(t: TestContext, needAes: boolean): NativeCrypto | null {
  if (!load.ok) {
    t.skip(`native addon unavailable: ${load.reason}`);
    return null;
  }
  if (!native) {
    t.skip('native addon predates the crypto exports (rebuild with npm run build:native)');
    return null;
  }
  if (needAes && !native.cryptoSupported()) {
    t.skip('CPU lacks AES-NI/PCLMULQDQ');
    return null;
  }
  return native;
}

function flipBit(r: Rand, b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  const bit = int(r, 0, c.length * 8 - 1);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

function assertDecryptFails(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, ad: Uint8Array, what: string): void {
  assert.throws(() => aesGcmDecrypt(key, nonce, ct, ad),
    (e: unknown) => e instanceof CryptoError && e.code === 'ERR_CRYPTO_DECRYPT', what);
}

describe('native AES-128 / SHA-256 / HKDF vs node:crypto', () => {
  it('backends: hash.ts picks the addon exactly when it can', () => {
    const aesOk = native !== null && native.cryptoSupported();
    assert.equal(aesBackend(), aesOk ? 'native' : 'node');
    assert.equal(shaBackend(), native ? 'native' : 'node');
  });

  it(`AES-128-CTR: ${CASES} random cases`, (t) => {
    const n = nativeOrSkip(t, true);
    if (!n) return;
    const r = rng(SEED);
    for (let i = 0; i < CASES; i++) {
      const key = view(r, KEY_SIZE), iv = view(r, CTR_IV_SIZE), data = view(r, int(r, 0, MAX_DATA));
      // Counters near 2^64 and 2^128 exercise the carry across the whole IV.
      if (i % 16 === 0) iv.fill(0xff, int(r, 0, 8));
      const want = hex(refCtr(key, iv, data));
      assert.equal(hex(n.aes128Ctr(key, iv, data)), want, `case ${i}: addon`);
      assert.equal(hex(aes128Ctr(key, iv, data)), want, `case ${i}: hash.ts`);
    }
  });

  it(`AES-128-GCM seal/open: ${CASES} random cases, flipped bits rejected`, (t) => {
    const n = nativeOrSkip(t, true);
    if (!n) return;
    const r = rng(SEED + 1);
    for (let i = 0; i < CASES; i++) {
      const key = view(r, KEY_SIZE), nonce = view(r, NONCE_SIZE);
      const pt = view(r, int(r, 0, MAX_DATA)), ad = view(r, int(r, 0, MAX_AD));
      const sealed = refSeal(key, nonce, pt, ad);
      const want = hex(sealed);
      assert.equal(hex(n.aesGcmSeal(key, nonce, pt, ad)), want, `case ${i}: addon seal`);
      assert.equal(hex(aesGcmEncrypt(key, nonce, pt, ad)), want, `case ${i}: hash.ts seal`);

      // Open a view of the reference output at an odd offset.
      const off = 2 * (i % 3) + 1;
      const ctView = new Uint8Array(sealed.length + off).subarray(off);
      ctView.set(sealed);
      const opened = n.aesGcmOpen(key, nonce, ctView, ad);
      assert.ok(opened, `case ${i}: addon open`);
      assert.equal(hex(opened), hex(pt), `case ${i}: addon open`);
      assert.equal(hex(aesGcmDecrypt(key, nonce, ctView, ad)), hex(pt), `case ${i}: hash.ts open`);

      if (pt.length > 0) {
        const badCt = flipBit(r, sealed.subarray(0, pt.length));
        const tampered = Buffer.concat([badCt, sealed.subarray(pt.length)]);
        assert.equal(n.aesGcmOpen(key, nonce, tampered, ad), null, `case ${i}: ct bit`);
        assertDecryptFails(key, nonce, tampered, ad, `case ${i}: ct bit`);
      }
      const badTag = Buffer.concat([sealed.subarray(0, pt.length), flipBit(r, sealed.subarray(pt.length))]);
      assert.equal(n.aesGcmOpen(key, nonce, badTag, ad), null, `case ${i}: tag bit`);
      assertDecryptFails(key, nonce, badTag, ad, `case ${i}: tag bit`);
      if (ad.length > 0) {
        const badAd = flipBit(r, ad);
        assert.equal(n.aesGcmOpen(key, nonce, sealed, badAd), null, `case ${i}: ad bit`);
        assertDecryptFails(key, nonce, sealed, badAd, `case ${i}: ad bit`);
      }
    }
  });

  it('AES-128-GCM open: inputs shorter than a tag and truncated tags fail', (t) => {
    const n = nativeOrSkip(t, true);
    if (!n) return;
    const r = rng(SEED + 2);
    const key = randomBytes(r, KEY_SIZE), nonce = randomBytes(r, NONCE_SIZE), ad = randomBytes(r, 5);
    const sealed = refSeal(key, nonce, randomBytes(r, 40), ad);
    for (let len = 0; len < GCM_TAG_SIZE; len++) {
      assert.equal(n.aesGcmOpen(key, nonce, sealed.subarray(0, len), ad), null, `length ${len}`);
      assertDecryptFails(key, nonce, sealed.subarray(0, len), ad, `length ${len}`);
    }
    assert.equal(n.aesGcmOpen(key, nonce, sealed.subarray(0, sealed.length - 1), ad), null);
    // An empty plaintext seals to the bare tag and opens to an empty array.
    const empty = refSeal(key, nonce, new Uint8Array(0), ad);
    assert.equal(n.aesGcmOpen(key, nonce, empty, ad)?.length, 0);
  });

  it(`SHA-256: ${CASES} random cases of 0..${MAX_SHA_PARTS} parts`, (t) => {
    const n = nativeOrSkip(t, false);
    if (!n) return;
    const r = rng(SEED + 3);
    for (let i = 0; i < CASES; i++) {
      const parts = Array.from({ length: int(r, 0, MAX_SHA_PARTS) }, () => view(r, int(r, 0, r() < 0.8 ? 100 : MAX_DATA)));
      const want = hex(refSha(parts));
      if (parts.length <= 8) assert.equal(hex(n.sha256(...parts)), want, `case ${i}: addon`);
      assert.equal(hex(sha256(...parts)), want, `case ${i}: hash.ts`);
    }
  });

  it(`HKDF-SHA256: ${CASES} random cases, lengths 1..${MAX_HKDF_OUT}`, (t) => {
    const n = nativeOrSkip(t, false);
    if (!n) return;
    const r = rng(SEED + 4);
    for (let i = 0; i < CASES; i++) {
      const ikm = view(r, int(r, 0, MAX_HKDF_INPUT)), salt = view(r, int(r, 0, MAX_HKDF_INPUT));
      const info = view(r, int(r, 0, MAX_INFO)), len = int(r, 1, MAX_HKDF_OUT);
      const want = hex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, len)));
      assert.equal(hex(n.hkdfSha256(ikm, salt, info, len)), want, `case ${i}: addon`);
      assert.equal(hex(hkdfSha256(ikm, salt, info, len)), want, `case ${i}: hash.ts`);
    }
    // A salt longer than the HMAC block is hashed first; the longest output.
    const ikm = randomBytes(r, 33), salt = randomBytes(r, 131), info = randomBytes(r, 90);
    for (const len of [0, 255 * 32]) {
      assert.equal(hex(n.hkdfSha256(ikm, salt, info, len)), hex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, len))));
    }
  });

  it('results are fresh arrays the caller may keep and modify', (t) => {
    const n = nativeOrSkip(t, true);
    if (!n) return;
    const r = rng(SEED + 5);
    const key = randomBytes(r, KEY_SIZE), iv = randomBytes(r, CTR_IV_SIZE), data = randomBytes(r, 39);
    const a = n.aes128Ctr(key, iv, data);
    const b = n.aes128Ctr(key, iv, data);
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, a.length);
    const snapshot = hex(b);
    a.fill(0);
    assert.equal(hex(b), snapshot);
    assert.equal(hex(n.aes128Ctr(key, iv, data)), snapshot);
    assert.ok(n.sha256(data) instanceof Uint8Array);
  });

  it('the addon rejects bad arguments with coded errors', (t) => {
    const n = nativeOrSkip(t, true);
    if (!n) return;
    const k = new Uint8Array(KEY_SIZE), iv = new Uint8Array(CTR_IV_SIZE), nonce = new Uint8Array(NONCE_SIZE);
    const d = new Uint8Array(3);
    const code = (c: string) => (e: unknown) => (e as { code?: unknown }).code === c;
    const bad = (x: unknown) => x as Uint8Array;
    assert.throws(() => n.aes128Ctr(k.subarray(1), iv, d), code('ERR_CRYPTO_BAD_KEY'));
    assert.throws(() => n.aes128Ctr(k, iv.subarray(1), d), code('ERR_CRYPTO_BAD_IV'));
    assert.throws(() => n.aes128Ctr(k, iv, bad('abc')), code('ERR_CRYPTO_BAD_ARG'));
    assert.throws(() => n.aes128Ctr(k, iv, bad(new Uint16Array(2))), code('ERR_CRYPTO_BAD_ARG'));
    assert.throws(() => n.aesGcmSeal(k, iv, d, d), code('ERR_CRYPTO_BAD_NONCE'));
    assert.throws(() => n.aesGcmSeal(k, nonce, d, bad(undefined)), code('ERR_CRYPTO_BAD_ARG'));
    assert.throws(() => n.aesGcmOpen(bad(null), nonce, d, d), code('ERR_CRYPTO_BAD_KEY'));
    assert.throws(() => n.hkdfSha256(d, d, d, 255 * 32 + 1), code('ERR_CRYPTO_BAD_LENGTH'));
    assert.throws(() => n.hkdfSha256(d, d, d, 1.5), code('ERR_CRYPTO_BAD_LENGTH'));
    assert.throws(() => n.hkdfSha256(d, d, d, -1), code('ERR_CRYPTO_BAD_LENGTH'));
    assert.throws(() => n.sha256(...Array.from({ length: 9 }, () => d)), code('ERR_CRYPTO_BAD_ARG'));
  });

  it('sizes the addon does not take still go through node:crypto unchanged', () => {
    const r = rng(SEED + 6);
    const key = randomBytes(r, KEY_SIZE), pt = randomBytes(r, 50), ad = randomBytes(r, 20);
    // GCM with a 16-byte nonce (J0 from GHASH): valid for node:crypto.
    const nonce16 = randomBytes(r, 16);
    const sealed = aesGcmEncrypt(key, nonce16, pt, ad);
    assert.equal(hex(sealed), hex(refSeal(key, nonce16, pt, ad)));
    assert.equal(hex(aesGcmDecrypt(key, nonce16, sealed, ad)), hex(pt));
    // node:crypto's own errors for what it refuses.
    assert.throws(() => aes128Ctr(key.subarray(1), randomBytes(r, CTR_IV_SIZE), pt), { code: 'ERR_CRYPTO_INVALID_KEYLEN' });
    assert.throws(() => hkdfSha256(pt, ad, new Uint8Array(1025), 32), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => hkdfSha256(pt, ad, ad, 255 * 32 + 1), { code: 'ERR_CRYPTO_INVALID_KEYLEN' });
    assertDecryptFails(key, randomBytes(r, NONCE_SIZE), new Uint8Array(GCM_TAG_SIZE - 1), ad, 'short');
  });

  it('DHTSCOPE_NATIVE=0 selects node:crypto', () => {
    const script = `
      const m = await import(${JSON.stringify(pathToFileURL(COMPILED_HASH_JS).href)});
      const k = new Uint8Array(16), n = new Uint8Array(12);
      const ct = m.aesGcmEncrypt(k, n, new Uint8Array(3), new Uint8Array(0));
      console.log(JSON.stringify({ aes: m.aesBackend(), sha: m.shaBackend(), len: ct.length }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DHTSCOPE_NATIVE: '0' },
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
    });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { aes: 'node', sha: 'node', len: 3 + GCM_TAG_SIZE });
  });
});
