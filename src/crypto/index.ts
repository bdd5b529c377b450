import { loadLibsecp } from './libsecp.js';
import { loadNoble } from './noble.js';
import type { Secp256k1Backend } from './types.js';
import { aesBackend, keccakBackend, shaBackend } from './hash.js';

export * from './types.js';
export { keccak256, keccakBackend, aesBackend, shaBackend, sha256, hkdfSha256, aes128Ctr, aesGcmEncrypt, aesGcmDecrypt } from './hash.js';

let selected: Secp256k1Backend | null = null;
let fallbackReason: string | null = null;

/**
 * The process-wide secp256k1 backend, chosen once: libsecp256k1 unless DHTSCOPE_CRYPTO=js
 * or the native binding fails to load (then one warning on stderr).
 */
export function secp(): Secp256k1Backend {
  if (selected) return selected;
  if (process.env.DHTSCOPE_CRYPTO === 'js') {
    fallbackReason = 'forced by DHTSCOPE_CRYPTO=js';
    selected = loadNoble();
    return selected;
  }
  try {
    selected = loadLibsecp();
  } catch (e) {
    fallbackReason = (e as Error).message.split('\n')[0] ?? 'load failed';
    process.emitWarning(`dhtscope: libsecp256k1 unavailable (${fallbackReason}); using pure-JS secp256k1 (much slower)`);
    selected = loadNoble();
  }
  return selected;
}

/** Both backends, for tests and benchmarks that compare them. Missing native is reported as null. */
export function allSecpBackends(): { libsecp: Secp256k1Backend | null; noble: Secp256k1Backend } {
  let libsecp: Secp256k1Backend | null = null;
  try { libsecp = loadLibsecp(); } catch { libsecp = null; }
  return { libsecp, noble: loadNoble() };
}

export function cryptoInfo(): { secp256k1: string; keccak: string; aes: string; sha256: string; fallbackReason: string | null } {
  const s = secp();
  return { secp256k1: s.name, keccak: keccakBackend(), aes: aesBackend(), sha256: shaBackend(), fallbackReason };
}
