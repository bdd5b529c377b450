/** Bytes in a discv5 node ID. */
export const ID_BYTES = 32;
/** Bits in a discv5 node ID; also the largest log-distance. */
export const ID_BITS = 256;
/** Deepest histogram: 2^20 buckets (4 MiB of counts) resolves 1e6 IDs finely enough. */
export const MAX_HIST_DEPTH = 20;
/**
 * Default lower bound for suggestDistance. With ~1e5 nodes a FINDNODE at
 * distances below ~239 almost surely returns nothing, so they are not worth asking.
 */
export const DEFAULT_MIN_DISTANCE = 239;
/** Largest `limit` accepted by holes() (u32 on the native side). */
export const MAX_U32 = 0xffff_ffff;

/** A prefix at some depth that holds fewer IDs than a uniform spread would predict. */
export interface TrieHole {
  /** The first `depth` bits of the prefix as an unsigned integer (MSB first). */
  prefix: number;
  depth: number;
  /** IDs seen under this prefix. */
  count: number;
  /** size() / 2^depth, the count under a uniform distribution. */
  expected: number;
}

/**
 * A set of 256-bit node IDs with per-prefix counts. Both backends (native
 * Rust addon and TypeScript fallback) implement identical semantics and throw
 * TrieError (see errors.ts) on invalid input. Bits are numbered from the most
 * significant bit of byte 0.
 */
export interface IdTrie {
  /** Adds a 32-byte ID; true if it was not present. */
  insert(id: Uint8Array): boolean;
  /** Removes a 32-byte ID; true if it was present. */
  remove(id: Uint8Array): boolean;
  /** True if the 32-byte ID is present. */
  has(id: Uint8Array): boolean;
  /** Number of IDs stored. */
  size(): number;
  /** Inserts n concatenated 32-byte IDs in one call (one Node-API crossing); returns how many were new. */
  insertBatch(ids: Uint8Array): number;
  /** Membership of n concatenated 32-byte IDs: one byte per ID, 1 if present else 0. */
  hasBatch(ids: Uint8Array): Uint8Array;
  /**
   * IDs whose first `bits` (0..256) bits equal those of `prefix`. The prefix must
   * hold at least ceil(bits/8) bytes; bits past `bits` are ignored. bits=0 counts all.
   */
  countPrefix(prefix: Uint8Array, bits: number): number;
  /** Histogram over the 2^depth prefixes of length depth (1..20); index = prefix as integer. */
  countsAtDepth(depth: number): Uint32Array;
  /**
   * Up to `limit` prefixes at `depth` (1..20) whose count is below size/2^depth,
   * largest deficit (expected - count) first; ties by smaller prefix.
   */
  holes(depth: number, limit: number): TrieHole[];
  /**
   * The log-distance d in [minDistance, 256] (default 239) from `peerId` whose
   * subtree (IDs sharing the first 256-d bits with the peer and differing at bit
   * 256-d, i.e. 2^(d-1) of the ID space) is most under-explored: largest deficit
   * ratio 1 - count/expected with expected = size * 2^(d-1-256). Ties -> larger d.
   */
  suggestDistance(peerId: Uint8Array, minDistance?: number): number;
  /** The top `n` (0..256) distances by the same ranking as suggestDistance, best first. */
  suggestDistances(peerId: Uint8Array, n: number, minDistance?: number): number[];
  /** Approximate bytes held by the structure (allocated capacity, not just used). */
  memoryBytes(): number;
}
