import { hkdfSha256, sha256 } from './hash.js';
import { secp } from './index.js';
import type { Secp256k1Backend } from './types.js';

const KEY_AGREEMENT_INFO = new TextEncoder().encode('discovery v5 key agreement');
const ID_PROOF_PREFIX = new TextEncoder().encode('discovery v5 identity proof');
/** Two AES-128 keys come out of one HKDF expand. */
const SESSION_KEYS_SIZE = 32;
export const SESSION_KEY_SIZE = 16;
export const NODE_ID_SIZE = 32;

export interface SessionKeys {
  /** Key for messages from the initiator (node A) to the recipient (node B). */
  initiatorKey: Uint8Array;
  /** Key for messages from B to A. */
  recipientKey: Uint8Array;
}

/** HKDF-SHA256 over the ECDH secret, with the WHOAREYOU challenge-data as salt. */
export function deriveSessionKeys(sharedSecret: Uint8Array, idA: Uint8Array, idB: Uint8Array, challengeData: Uint8Array): SessionKeys {
  const info = new Uint8Array(KEY_AGREEMENT_INFO.length + NODE_ID_SIZE * 2);
  info.set(KEY_AGREEMENT_INFO, 0);
  info.set(idA, KEY_AGREEMENT_INFO.length);
  info.set(idB, KEY_AGREEMENT_INFO.length + NODE_ID_SIZE);
  const okm = hkdfSha256(sharedSecret, challengeData, info, SESSION_KEYS_SIZE);
  return { initiatorKey: okm.subarray(0, SESSION_KEY_SIZE), recipientKey: okm.subarray(SESSION_KEY_SIZE) };
}

/** The 32-byte hash the id-signature covers. */
export function idSignatureHash(challengeData: Uint8Array, ephemeralPubkey: Uint8Array, destId: Uint8Array): Uint8Array {
  return sha256(ID_PROOF_PREFIX, challengeData, ephemeralPubkey, destId);
}

export function signIdNonce(staticKey: Uint8Array, challengeData: Uint8Array, ephemeralPubkey: Uint8Array, destId: Uint8Array,
  backend: Secp256k1Backend = secp()): Uint8Array {
  return backend.sign(idSignatureHash(challengeData, ephemeralPubkey, destId), staticKey);
}

export function verifyIdNonce(pubkey: Uint8Array, sig: Uint8Array, challengeData: Uint8Array, ephemeralPubkey: Uint8Array,
  destId: Uint8Array, backend: Secp256k1Backend = secp()): boolean {
  return backend.verify(sig, idSignatureHash(challengeData, ephemeralPubkey, destId), pubkey);
}

/**
 * Initiator side of the handshake's crypto: a fresh ephemeral key, ECDH with the recipient's static
 * key, the session keys and the id-signature, in one call so that a worker can run it whole.
 */
export function initiatorHandshake(staticKey: Uint8Array, localId: Uint8Array, remoteId: Uint8Array, remotePubkey: Uint8Array,
  challengeData: Uint8Array, backend: Secp256k1Backend = secp()): { ephemeralPubkey: Uint8Array; keys: SessionKeys; idSignature: Uint8Array } {
  const eph = backend.generatePrivateKey();
  const ephemeralPubkey = backend.publicKeyCreate(eph, true);
  const secret = backend.ecdh(remotePubkey, eph);
  const keys = deriveSessionKeys(secret, localId, remoteId, challengeData);
  const idSignature = signIdNonce(staticKey, challengeData, ephemeralPubkey, remoteId, backend);
  return { ephemeralPubkey, keys, idSignature };
}

/** Recipient side: ECDH with the initiator's ephemeral key and our static key, then the keys. */
export function recipientKeys(staticKey: Uint8Array, ephemeralPubkey: Uint8Array, remoteId: Uint8Array, localId: Uint8Array,
  challengeData: Uint8Array, backend: Secp256k1Backend = secp()): SessionKeys {
  const secret = backend.ecdh(ephemeralPubkey, staticKey);
  return deriveSessionKeys(secret, remoteId, localId, challengeData);
}
