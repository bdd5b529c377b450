import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../util/errors.js';
import type { Secp256k1Backend } from './types.js';

interface SecpBinding {
  privateKeyVerify(sk: Uint8Array): boolean;
  publicKeyCreate(sk: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pk: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyTweakMul(pk: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg: Uint8Array, sk: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
}

/**
 * Loads the `secp256k1` package's native bindings directly. Its index silently falls back to
 * `elliptic` (pure JS), which would hide a broken prebuild; we want to know.
 */
export function loadLibsecp(): Secp256k1Backend {
  const require = createRequire(import.meta.url);
  const s = require('secp256k1/bindings') as SecpBinding;
  return {
    name: 'libsecp256k1',
    generatePrivateKey() {
      for (;;) {
        const k = new Uint8Array(randomBytes(32));
        if (s.privateKeyVerify(k)) return k;
      }
    },
    publicKeyCreate(sk, compressed) {
      try { return s.publicKeyCreate(sk, compressed); } catch (e) { throw wrap(e); }
    },
    publicKeyConvert(pk, compressed) {
      try { return s.publicKeyConvert(pk, compressed); } catch (e) { throw wrap(e); }
    },
    // pk * sk as a compressed point is exactly discv5's ECDH output; tweakMul avoids the JS hash callback.
    ecdh(pk, sk) {
      try { return s.publicKeyTweakMul(pk, sk, true); } catch (e) { throw wrap(e); }
    },
    sign(hash, sk) {
      try { return s.ecdsaSign(hash, sk).signature; } catch (e) { throw wrap(e); }
    },
    verify(sig, hash, pk) {
      try { return s.ecdsaVerify(sig, hash, pk); } catch { return false; }
    },
  };
}

function wrap(e: unknown): CryptoError {
  return new CryptoError('ERR_CRYPTO_SECP256K1', `secp256k1: ${(e as Error).message}`);
}
