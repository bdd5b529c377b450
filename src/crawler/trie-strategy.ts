import { createIdTrie, ID_BITS, ID_BYTES, type IdTrie } from '../native/index.js';
import { FULL_BUCKET_RECORDS as BUCKET_RECORDS, type CrawlStrategy, type StrategyNode } from './strategy.js';

/** Discovered IDs are buffered and inserted in one batch (one native call) before the next plan. */
const BATCH_IDS = 256;
/** Visits per yield measurement. */
const YIELD_WINDOW = 250;

export interface TrieStrategyOptions {
  /** The set of discovered IDs; default createIdTrie() (native addon, or the TypeScript fallback). */
  trie?: IdTrie;
  /**
   * Hole filling asks a distance only if its subtree is expected to hold at least this many IDs
   * (estimated from the IDs seen so far), so the bucket is full and its 16 records are a sample.
   */
  minExpected?: number;
  /**
   * Switch to enumeration once a window of visits brings fewer new IDs than this per visit on
   * average (0: never).
   */
  enumerateBelowYield?: number;
  /** Distances per request in enumeration mode (1..3). */
  enumerateDistances?: number;
  /** Enumeration starts at the depth whose subtrees are expected to hold about this many IDs. */
  enumerateTarget?: number;
}

/**
 * `trie`: every discovered ID goes into an IdTrie, and each visit asks the distance most likely to
 * return unseen IDs. One FINDNODE per node, like prefix. Two phases:
 *
 * 1. Hole filling. The peer is asked the distance whose subtree (the 2^(d-1) IDs at log-distance d
 *    from it) holds the fewest seen IDs relative to its share of the ID space (`suggestDistance`),
 *    among distances whose subtree should fill a bucket. A full bucket returns 16 records drawn
 *    from the subtree, so the emptier the subtree looks, the more of them are new.
 * 2. Enumeration. Once the new-ID yield per visit drops (most sampled records are known), what is
 *    left are records few tables sample. A sparse bucket returns its whole subtree instead of a
 *    sample, so each peer is asked its ~16-ID neighbourhood: the depth where subtrees hold about
 *    16 IDs and the next two deeper ones in one request (at most 16 records come back either way).
 */
export class TrieStrategy implements CrawlStrategy {
  readonly name = 'trie';
  readonly stopAfterEmpty = false;
  /** Visit records seen again first: they are likelier live (see CrawlStrategy.promoteOnRepeat). */
  readonly promoteOnRepeat = true;
  readonly trie: IdTrie;
  private readonly minExpected: number;
  private readonly enumBelow: number;
  private readonly enumDistances: number;
  private readonly enumTarget: number;
  private readonly pending = new Uint8Array(BATCH_IDS * ID_BYTES);
  private pendingCount = 0;
  private plans = 0;
  private news = 0;
  private windowPlans = 0;
  private windowNews = 0;
  /** New IDs per visit over the last complete window (NaN before the first). */
  yieldPerVisit = Number.NaN;
  /** True once the strategy has switched to enumeration (it stays there). */
  enumerating = false;

  constructor(o: TrieStrategyOptions = {}) {
    this.trie = o.trie ?? createIdTrie();
    this.minExpected = o.minExpected ?? 2 * BUCKET_RECORDS;
    this.enumBelow = o.enumerateBelowYield ?? 0.5;
    this.enumDistances = Math.min(3, Math.max(1, Math.floor(o.enumerateDistances ?? 3)));
    this.enumTarget = o.enumerateTarget ?? BUCKET_RECORDS;
    if (!(this.minExpected >= 1)) throw new RangeError('minExpected must be >= 1');
    if (!(this.enumTarget >= 1)) throw new RangeError('enumerateTarget must be >= 1');
    if (!(this.enumBelow >= 0)) throw new RangeError('enumerateBelowYield must be >= 0');
  }

  onDiscovered(id: Uint8Array): void {
    if (id.length !== ID_BYTES) return;
    this.news++;
    this.pending.set(id, this.pendingCount * ID_BYTES);
    if (++this.pendingCount === BATCH_IDS) this.flush();
  }

  /** IDs seen (including those still buffered). */
  get seen(): number { return this.trie.size() + this.pendingCount; }

  /**
   * Smallest distance hole filling asks: the subtree at distance d covers 2^(d-257) of the ID space,
   * so with n IDs seen it should hold n * 2^(d-257). n underestimates the network early on, which only
   * makes this more cautious (farther, surely full buckets).
   */
  minDistance(): number {
    const n = this.trie.size();
    if (n < 2 * this.minExpected) return ID_BITS;
    return clampDistance(Math.ceil(ID_BITS + 1 - Math.log2(n / this.minExpected)), 1);
  }

  plan(node: StrategyNode): number[][] {
    this.flush();
    if (++this.plans - this.windowPlans >= YIELD_WINDOW) {
      this.yieldPerVisit = (this.news - this.windowNews) / (this.plans - this.windowPlans);
      this.windowPlans = this.plans;
      this.windowNews = this.news;
      if (this.enumBelow > 0 && this.yieldPerVisit < this.enumBelow) this.enumerating = true;
    }
    if (node.id.length !== ID_BYTES) return [[ID_BITS]];
    if (this.enumerating) return [this.enumeration()];
    return [[this.trie.suggestDistance(node.id, this.minDistance())]];
  }

  /**
   * Every distance hole filling may ask of this peer (minDistance() to 256), the most under-explored subtree
   * first: what to ask next once the first choice has been asked.
   */
  rankedDistances(id: Uint8Array): number[] {
    this.flush();
    const min = this.minDistance();
    return this.trie.suggestDistances(id, ID_BITS + 1 - min, min);
  }

  /** Distances of an enumeration request: the depth with ~enumerateTarget IDs per subtree, then deeper. */
  enumeration(): number[] {
    const n = Math.max(1, this.trie.size());
    const d = clampDistance(Math.floor(ID_BITS + 1 - Math.log2(n / this.enumTarget)), this.enumDistances);
    const out: number[] = [];
    for (let i = 0; i < this.enumDistances; i++) out.push(d - i);
    return out;
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    this.trie.insertBatch(this.pending.subarray(0, this.pendingCount * ID_BYTES));
    this.pendingCount = 0;
  }
}

function clampDistance(d: number, min: number): number {
  return Math.min(ID_BITS, Math.max(min, d));
}

