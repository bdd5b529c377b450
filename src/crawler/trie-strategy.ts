import { createIdTrie, ID_BITS, ID_BYTES, type IdTrie } from '../native/index.js';
import { registerStrategy, type CrawlStrategy, type StrategyNode } from './strategy.js';

/** Records a NODES reply holds at most (k-bucket size). */
const BUCKET_RECORDS = 16;
/** Discovered IDs are buffered and inserted in one batch (one native call) before the next plan. */
const BATCH_IDS = 256;

export interface TrieStrategyOptions {
  /** The set of discovered IDs; default createIdTrie() (native addon, or the TypeScript fallback). */
  trie?: IdTrie;
  /**
   * A distance is asked only if its subtree is expected to hold at least this many IDs (a full
   * bucket's worth or more), estimated from the IDs seen so far. Deeper, sparse subtrees return
   * fewer than 16 records and their records are not live-weighted by the answering tables.
   */
  minExpected?: number;
  /** Distances per FINDNODE (1..3): the best-ranked ones, in order. */
  distancesPerRequest?: number;
}

/**
 * Hole-filling strategy: every discovered ID goes into an IdTrie; each visit asks the peer the one
 * distance whose subtree (the 2^(d-1) IDs at log-distance d from the peer) holds the fewest seen IDs
 * relative to its share of the ID space, i.e. where a reply most likely brings unseen records.
 * Only distances whose subtree is expected to fill a bucket are considered, so a request is never
 * spent on a near-empty bucket. One FINDNODE per node, like prefix.
 */
export class TrieStrategy implements CrawlStrategy {
  readonly name = 'trie';
  readonly stopAfterEmpty = false;
  readonly trie: IdTrie;
  private readonly minExpected: number;
  private readonly perRequest: number;
  private readonly pending = new Uint8Array(BATCH_IDS * ID_BYTES);
  private pendingCount = 0;

  constructor(o: TrieStrategyOptions = {}) {
    this.trie = o.trie ?? createIdTrie();
    this.minExpected = o.minExpected ?? 2 * BUCKET_RECORDS;
    this.perRequest = Math.min(3, Math.max(1, Math.floor(o.distancesPerRequest ?? 1)));
    if (!(this.minExpected >= 1)) throw new RangeError('minExpected must be >= 1');
  }

  onDiscovered(id: Uint8Array): void {
    if (id.length !== ID_BYTES) return;
    this.pending.set(id, this.pendingCount * ID_BYTES);
    if (++this.pendingCount === BATCH_IDS) this.flush();
  }

  /** Seen IDs (including those still buffered). */
  get seen(): number { return this.trie.size() + this.pendingCount; }

  /**
   * Smallest distance worth asking: the subtree at distance d covers 2^(d-257) of the ID space, so with
   * n IDs seen it is expected to hold n * 2^(d-257) of them. n underestimates the network early on,
   * which only makes this more cautious (farther, surely full buckets).
   */
  minDistance(): number {
    const n = this.trie.size();
    if (n < 2 * this.minExpected) return ID_BITS;
    const d = Math.ceil(ID_BITS + 1 - Math.log2(n / this.minExpected));
    return Math.min(ID_BITS, Math.max(1, d));
  }

  plan(node: StrategyNode): number[][] {
    this.flush();
    if (node.id.length !== ID_BYTES) return [[ID_BITS]];
    const min = this.minDistance();
    if (this.perRequest === 1 || min === ID_BITS) return [[this.trie.suggestDistance(node.id, min)]];
    return [this.trie.suggestDistances(node.id, Math.min(this.perRequest, ID_BITS - min + 1), min)];
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    this.trie.insertBatch(this.pending.subarray(0, this.pendingCount * ID_BYTES));
    this.pendingCount = 0;
  }
}

registerStrategy('trie', () => new TrieStrategy());
