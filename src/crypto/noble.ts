import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CryptoError } from '../util/errors.js';
import type { Secp256k1Backend } from './types.js';

// noble's sync sign needs these hooks set once.
secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg);

/** Pure-JS fallback: correct everywhere, far slower than libsecp256k1 (see BENCHMARKS.md, "Crypto primitives"). */
export function loadNoble(): Secp256k1Backend {
  return {
    name: 'noble',
    generatePrivateKey: () => secp.utils.randomSecretKey(),
    publicKeyCreate(sk, compressed) {
      try { return secp.getPublicKey(sk, compressed); } catch (e) { throw wrap(e); }
    },
    publicKeyConvert(pk, compressed) {
      try { return secp.Point.fromBytes(pk).toBytes(compressed); } catch (e) { throw wrap(e); }
    },
    ecdh(pk, sk) {
      try { return secp.getSharedSecret(sk, pk, true); } catch (e) { throw wrap(e); }
    },
    sign(hash, sk) {
      try { return secp.sign(hash, sk, { prehash: false, lowS: true }); } catch (e) { throw wrap(e); }
    },
    verify(sig, hash, pk) {
      try { return secp.verify(sig, hash, pk, { prehash: false, lowS: true }); } catch { return false; }
    },
  };
}

function wrap(e: unknown): CryptoError {
  return new CryptoError('ERR_CRYPTO_SECP256K1', `secp256k1: ${(e as Error).message}`);
}
