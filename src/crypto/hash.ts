import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { loadNativeAddon } from '../native/addon.js';
import type { NativeCrypto } from '../native/native-trie.js';
import { CryptoError } from '../util/errors.js';

/** AES-GCM authentication tag size discv5 uses. */
export const GCM_TAG_SIZE = 16;
export const AES128_KEY_SIZE = 16;
/** aes-128-ctr takes a whole block as its initial counter. */
export const AES_CTR_IV_SIZE = 16;
/** The GCM nonce size discv5 uses; the only one the native code supports. */
export const GCM_NONCE_SIZE = 12;
export const SHA256_SIZE = 32;
/** node:crypto's hkdfSync limits; larger requests go to it so they fail the same way. */
const HKDF_MAX_INFO_SIZE = 1024;
const HKDF_MAX_LENGTH = 255 * SHA256_SIZE;
/** Parts the native sha256 hashes in one call; more are concatenated first. */
const NATIVE_SHA256_MAX_PARTS = 8;

interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Uint8Array): void;
  absorbLastFewBits(bits: number): void;
  squeeze(len: number): Buffer;
}
type KeccakStateCtor = new () => KeccakState;

// Keccak-256 parameters: rate 1088 bits, capacity 512, original Keccak padding (0x01, not SHA-3's 0x06).
const KECCAK_RATE = 1088;
const KECCAK_CAPACITY = 512;
const KECCAK_SUFFIX = 0x01;

let nativeKeccak: KeccakStateCtor | null = null;
try {
  // The `keccak` package's prebuilt addon, loaded without its stream wrapper, which only adds time per hash;
  // both beat @noble/hashes (see BENCHMARKS.md, "Crypto primitives").
  const require = createRequire(import.meta.url);
  const gyp = require('node-gyp-build') as (dir: string) => unknown;
  const ctor = gyp(dirname(require.resolve('keccak/bindings.js')));
  if (typeof ctor === 'function') nativeKeccak = ctor as KeccakStateCtor;
} catch {
  nativeKeccak = null;
}

export function keccakBackend(): 'native' | 'noble' {
  return nativeKeccak && process.env.DHTSCOPE_CRYPTO !== 'js' ? 'native' : 'noble';
}

/**
 * One native state per thread, re-initialised for every hash. A new state per call held its native memory
 * until a full GC collected its wrapper (V8 does not see the native size). Worker isolates, whose heaps stay
 * tiny, almost never run one, so the pool's workers piled them up (see BENCHMARKS.md, "Scale").
 */
let keccakState: KeccakState | null = null;

export function keccak256Native(data: Uint8Array): Uint8Array {
  const s = (keccakState ??= new nativeKeccak!());
  s.initialize(KECCAK_RATE, KECCAK_CAPACITY);
  s.absorb(data);
  s.absorbLastFewBits(KECCAK_SUFFIX);
  const out = s.squeeze(32);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function keccak256Noble(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

export const keccak256: (data: Uint8Array) => Uint8Array =
  keccakBackend() === 'native' ? keccak256Native : keccak256Noble;

// The Rust addon's crypto (native/src/aes.rs, sha256.rs) skips node:crypto's
// per-call cipher/hash objects, most of node:crypto's cost at packet sizes
// (see BENCHMARKS.md, "Crypto primitives"). The hashes are
// portable Rust; AES needs AES-NI + PCLMULQDQ. Older addon builds lack the
// exports, and DHTSCOPE_NATIVE=0 keeps the addon unloaded: node:crypto then.
type NativeHash = Pick<NativeCrypto, 'sha256' | 'hkdfSha256'>;

function loadNativeCrypto(): { aes: NativeCrypto | null; hash: NativeHash | null } {
  const load = loadNativeAddon();
  if (!load.ok) return { aes: null, hash: null };
  const a = load.addon;
  const hash = typeof a.sha256 === 'function' && typeof a.hkdfSha256 === 'function' ? (a as NativeHash) : null;
  let aes: NativeCrypto | null = null;
  if (hash && typeof a.cryptoSupported === 'function' && typeof a.aes128Ctr === 'function'
    && typeof a.aesGcmSeal === 'function' && typeof a.aesGcmOpen === 'function') {
    try {
      if (a.cryptoSupported()) aes = a as NativeCrypto;
    } catch {
      aes = null;
    }
  }
  return { aes, hash };
}

const nativeCrypto = loadNativeCrypto();
const nativeAes = nativeCrypto.aes;
const nativeHash = nativeCrypto.hash;

/** Who runs aes128Ctr / aesGcmEncrypt / aesGcmDecrypt (for 16-byte keys, 16-byte CTR ivs and 12-byte nonces). */
export function aesBackend(): 'native' | 'node' {
  return nativeAes ? 'native' : 'node';
}

/** Who runs sha256 and hkdfSha256. */
export function shaBackend(): 'native' | 'node' {
  return nativeHash ? 'native' : 'node';
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (nativeHash === null) return sha256Node(...parts);
  return nativeHash.sha256(...(parts.length <= NATIVE_SHA256_MAX_PARTS ? parts : [concatParts(parts)]));
}

function concatParts(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** HKDF-SHA256 extract+expand. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (nativeHash !== null && Number.isInteger(length) && length >= 0 && length <= HKDF_MAX_LENGTH
    && info.length <= HKDF_MAX_INFO_SIZE) {
    return nativeHash.hkdfSha256(ikm, salt, info, length);
  }
  return hkdfSha256Node(ikm, salt, info, length);
}

/** AES-128-CTR keystream XOR; encryption and decryption are the same operation. */
export function aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (nativeAes !== null && key.length === AES128_KEY_SIZE && iv.length === AES_CTR_IV_SIZE) {
    return nativeAes.aes128Ctr(key, iv, data);
  }
  return aes128CtrNode(key, iv, data);
}

/** AES-128-GCM seal: ciphertext followed by the 16-byte tag. */
export function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array {
  if (nativeAes !== null && key.length === AES128_KEY_SIZE && nonce.length === GCM_NONCE_SIZE) {
    return nativeAes.aesGcmSeal(key, nonce, pt, ad);
  }
  return aesGcmEncryptNode(key, nonce, pt, ad);
}

/** AES-128-GCM open; throws ERR_CRYPTO_DECRYPT when the tag does not match. */
export function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, ad: Uint8Array): Uint8Array {
  if (ct.length < GCM_TAG_SIZE) throw new CryptoError('ERR_CRYPTO_DECRYPT', 'message shorter than GCM tag');
  if (nativeAes !== null && key.length === AES128_KEY_SIZE && nonce.length === GCM_NONCE_SIZE) {
    const pt = nativeAes.aesGcmOpen(key, nonce, ct, ad);
    if (pt === null) throw new CryptoError('ERR_CRYPTO_DECRYPT', 'message authentication failed');
    return pt;
  }
  return aesGcmDecryptNode(key, nonce, ct, ad);
}

// node:crypto implementations: the fallback, and the reference the tests and bench compare against.

export function sha256Node(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hkdfSha256Node(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

export function aes128CtrNode(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ctr', key, iv);
  const a = c.update(data);
  const b = c.final();
  return b.length ? new Uint8Array(Buffer.concat([a, b])) : new Uint8Array(a.buffer, a.byteOffset, a.length);
}

export function aesGcmEncryptNode(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: GCM_TAG_SIZE });
  c.setAAD(ad);
  const body = c.update(pt);
  c.final();
  const out = new Uint8Array(body.length + GCM_TAG_SIZE);
  out.set(body, 0);
  out.set(c.getAuthTag(), body.length);
  return out;
}

export function aesGcmDecryptNode(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, ad: Uint8Array): Uint8Array {
  if (ct.length < GCM_TAG_SIZE) throw new CryptoError('ERR_CRYPTO_DECRYPT', 'message shorter than GCM tag');
  try {
    const d = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: GCM_TAG_SIZE });
    d.setAAD(ad);
    d.setAuthTag(ct.subarray(ct.length - GCM_TAG_SIZE));
    const body = d.update(ct.subarray(0, ct.length - GCM_TAG_SIZE));
    d.final();
    return new Uint8Array(body.buffer, body.byteOffset, body.length);
  } catch {
    throw new CryptoError('ERR_CRYPTO_DECRYPT', 'message authentication failed');
  }
}
