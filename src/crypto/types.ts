/** secp256k1 operations discv5 and ENR v4 need. Two implementations: libsecp256k1 and pure JS. */
export interface Secp256k1Backend {
  readonly name: 'libsecp256k1' | 'noble';
  /** 32 random bytes that form a valid secret key. */
  generatePrivateKey(): Uint8Array;
  /** Public key for a secret key, 33 bytes compressed or 65 uncompressed. */
  publicKeyCreate(sk: Uint8Array, compressed: boolean): Uint8Array;
  /** Re-encodes a public key (33 or 65 bytes) compressed or uncompressed; throws on an invalid point. */
  publicKeyConvert(pk: Uint8Array, compressed: boolean): Uint8Array;
  /** ECDH as discv5 defines it: the 33-byte compressed shared point pk*sk. */
  ecdh(pk: Uint8Array, sk: Uint8Array): Uint8Array;
  /** ECDSA over a 32-byte hash: 64-byte r||s, low-s, RFC 6979 nonce. */
  sign(hash: Uint8Array, sk: Uint8Array): Uint8Array;
  /** Verifies a 64-byte r||s over a 32-byte hash; false (never throws) on any mismatch. */
  verify(sig: Uint8Array, hash: Uint8Array, pk: Uint8Array): boolean;
}

export const SECRET_KEY_SIZE = 32;
export const COMPRESSED_PUBKEY_SIZE = 33;
export const UNCOMPRESSED_PUBKEY_SIZE = 65;
export const SIGNATURE_SIZE = 64;
export const HASH_SIZE = 32;
