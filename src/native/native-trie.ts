// IdTrie over the Rust addon. The addon validates every argument itself
// (same codes as validate.ts); here we only convert its plain coded Errors
// into TrieError and reshape results that are cheaper to build in JS.
import { toTrieError } from './errors.js';
import { DEFAULT_MIN_DISTANCE, type IdTrie, type TrieHole } from './types.js';

/**
 * The object returned by the addon's createTrie(): its methods are functions
 * bound to one Rust trie (see native/src/binding.rs for why not a class).
 */
export interface NativeTrieHandle {
  insert(id: Uint8Array): boolean;
  remove(id: Uint8Array): boolean;
  has(id: Uint8Array): boolean;
  size(): number;
  insertBatch(ids: Uint8Array): number;
  hasBatch(ids: Uint8Array): Uint8Array;
  countPrefix(prefix: Uint8Array, bits: number): number;
  countsAtDepth(depth: number): Uint32Array;
  /** Flat [prefix0, count0, prefix1, count1, ...]: avoids building objects in Rust. */
  holes(depth: number, limit: number): Uint32Array;
  suggestDistances(peerId: Uint8Array, n: number, minDistance: number): number[];
  memoryBytes(): number;
}

/**
 * Stateless crypto exports (native/src/binding.rs). Sizes are validated in
 * Rust (key 16, iv 16, nonce 12; errors coded ERR_CRYPTO_*); every result is
 * a fresh Uint8Array over its own ArrayBuffer.
 */
export interface NativeCrypto {
  /** Whether the AES functions can run on this CPU (AES-NI + PCLMULQDQ); the hashes always can. */
  cryptoSupported(): boolean;
  /** data ^ AES-128-CTR keystream, the whole iv being a 128-bit big-endian counter. */
  aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** ciphertext || 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array;
  /** The plaintext, or null when the tag does not verify or the input is shorter than a tag. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, ctWithTag: Uint8Array, ad: Uint8Array): Uint8Array | null;
  /** Digest of the concatenated parts; at most 8 parts. */
  sha256(...parts: Uint8Array[]): Uint8Array;
  /** RFC 5869 extract + expand; length in [0, 8160]. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

/** The crypto exports are optional: an addon built before them still loads (crypto falls back to node:crypto). */
export interface NativeAddon extends Partial<NativeCrypto> {
  createTrie(): NativeTrieHandle;
  /** Empty function: measures the bare cost of a Node-API call. */
  noop(): void;
  /** How long the datagram just read from socket `fd` waited since the kernel received it, ns; -1 if unknown. */
  recvDelayNs?(fd: number): number;
  /** glibc's malloc_trim(0): true if it gave pages back; false without glibc (absent in addons built before it). */
  trimMalloc?(): boolean;
}

export class NativeIdTrie implements IdTrie {
  readonly #t: NativeTrieHandle;

  constructor(addon: NativeAddon) {
    this.#t = addon.createTrie();
  }

  insert(id: Uint8Array): boolean {
    try {
      return this.#t.insert(id);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  remove(id: Uint8Array): boolean {
    try {
      return this.#t.remove(id);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  has(id: Uint8Array): boolean {
    try {
      return this.#t.has(id);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  size(): number {
    return this.#t.size();
  }

  insertBatch(ids: Uint8Array): number {
    try {
      return this.#t.insertBatch(ids);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  hasBatch(ids: Uint8Array): Uint8Array {
    try {
      return this.#t.hasBatch(ids);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  countPrefix(prefix: Uint8Array, bits: number): number {
    try {
      return this.#t.countPrefix(prefix, bits);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  countsAtDepth(depth: number): Uint32Array {
    try {
      return this.#t.countsAtDepth(depth);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  holes(depth: number, limit: number): TrieHole[] {
    let flat: Uint32Array;
    try {
      flat = this.#t.holes(depth, limit);
    } catch (e) {
      throw toTrieError(e);
    }
    const expected = this.#t.size() / 2 ** depth;
    const out: TrieHole[] = new Array(flat.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = { prefix: flat[2 * i]!, depth, count: flat[2 * i + 1]!, expected };
    return out;
  }

  suggestDistance(peerId: Uint8Array, minDistance: number = DEFAULT_MIN_DISTANCE): number {
    return this.suggestDistances(peerId, 1, minDistance)[0]!;
  }

  suggestDistances(peerId: Uint8Array, n: number, minDistance: number = DEFAULT_MIN_DISTANCE): number[] {
    try {
      return this.#t.suggestDistances(peerId, n, minDistance);
    } catch (e) {
      throw toTrieError(e);
    }
  }

  memoryBytes(): number {
    return this.#t.memoryBytes();
  }
}
