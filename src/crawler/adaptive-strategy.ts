import { createIdTrie, ID_BITS, ID_BYTES, type IdTrie } from '../native/index.js';
import { FULL_BUCKET_RECORDS, SWEEP_LOWEST, type CrawlStrategy, type StrategyNode, type StrategyReply } from './strategy.js';
import { TrieStrategy } from './trie-strategy.js';

/** Records a neighbourhood read should find at most: one full bucket's worth, so none are cut off. */
const REGION_RECORDS = FULL_BUCKET_RECORDS;
/** Distances per request of a neighbourhood or table read: the most geth's own lookups ask at once. */
const READ_DISTANCES = 3;
/**
 * Times each record should be returned, on average over the crawl. A record returned m times on average is
 * missed with probability ~e^-m; tables keep live records likelier than dead ones, so live ones fare better.
 * 7, not less: the last visits of a crawl go to records few tables hold (mostly dead), after every live node
 * has answered, so the crawl ends ~20% below the mean it aimed for (2,000 live + 23,000 dead: 5.4-5.6).
 */
const SIGHTINGS_TARGET = 7;

export interface AdaptiveStrategyOptions {
  /** The set of discovered IDs (see TrieStrategy). */
  trie?: IdTrie;
  /** Mean times a record is returned that the crawl aims for; default SIGHTINGS_TARGET (0: no rule 3). */
  sightingsTarget?: number;
  /** Read each region's neighbourhood (rule 2); default true. */
  regionReads?: boolean;
}

/**
 * `adaptive`, the default: one FINDNODE per node, then more of the nodes that answered, only where the
 * replies show they are needed. Each extra request goes to a live node in its open session, so it costs no
 * handshake and no timeout. The node-ID trie of every record seen sizes the network for each rule.
 *
 * First request: the prefix rotation, over the distances whose buckets the trie expects to be full (at least
 * 32 records: TrieStrategy.minDistance). No request goes to an empty bucket, and neighbours ask different
 * distances: steering every node to the trie's biggest hole (`trie`) made a whole neighbourhood ask the same
 * one, so the records it held at the other distances were never returned (5,000-node simnet, 1-4 missed).
 *
 * 1. Small network: a whole first reply short of a full bucket, at a distance expected full, means the node
 *    knows few peers. Its whole table is read (256 to 239, three distances per request): devnets of a few
 *    nodes, even a chain where each node knows one other.
 * 2. Neighbourhoods: a node's nearest peers are listed only in its sparse buckets, which a request for a full
 *    one never returns, so one request per node misses a few live nodes (1-7% of 300, ~0.1% of 20,000).
 *    The first live node to answer in each region of the ID space that holds about 16 records (by the trie's
 *    count) is asked the region's 3 distances nearest it, where its buckets hold the region whole, not a sample.
 * 3. Dead tables: when most records are dead, one reply of 16 records per live node returns each record too
 *    few times and the crawl dies out before it reaches every live node (prefix: 55% of 2,000 live nodes
 *    among 23,000 dead records). Live nodes are asked further distances, the trie's most under-explored
 *    first, while the records returned are fewer than sightingsTarget per node visited.
 */
export class AdaptiveStrategy implements CrawlStrategy {
  readonly name = 'adaptive';
  readonly stopAfterEmpty = false;
  /** Visit records seen again first: they are likelier live (see CrawlStrategy.promoteOnRepeat). */
  readonly promoteOnRepeat = true;
  /** The trie of IDs seen, its size estimate and its ranking of a peer's subtrees (it never plans here). */
  readonly holes: TrieStrategy;
  private readonly target: number;
  private readonly regionReads: boolean;
  private rotation = 0;
  /** IDs of nodes that read their region at depth readersDepth, and at the depth before (still 3/4 covered). */
  private readers: IdTrie;
  private readersBefore: IdTrie | null = null;
  private readersDepth = -1;
  /**
   * Visits planned. Counted when they start, not when they end: a dead node's visit ends a timeout after the
   * live ones, which would hide the deficit until no live node is left to ask.
   */
  visits = 0;
  /** Records in every reply so far. */
  recordsReturned = 0;
  /** Rule 3's requests not answered yet (by identity: the crawler hands back the arrays it was given). */
  private readonly inFlight = new WeakSet<readonly number[]>();
  /** Records those requests should bring (a full bucket each), counted now so that replies on the way do not ask again. */
  private promised = 0;
  /** Extra requests added, by rule. */
  readonly extra = { table: 0, region: 0, sightings: 0 };

  constructor(o: AdaptiveStrategyOptions = {}) {
    this.holes = new TrieStrategy({ trie: o.trie, enumerateBelowYield: 0 });
    this.target = o.sightingsTarget ?? SIGHTINGS_TARGET;
    this.regionReads = o.regionReads ?? true;
    if (!(this.target >= 0)) throw new RangeError('sightingsTarget must be >= 0');
    this.readers = createIdTrie();
  }

  get trie(): IdTrie { return this.holes.trie; }

  onDiscovered(id: Uint8Array): void { this.holes.onDiscovered(id); }

  plan(_node: StrategyNode): number[][] {
    this.visits++;
    const min = this.holes.minDistance();
    return [[ID_BITS - (this.rotation++ % (ID_BITS + 1 - min))]];
  }

  onReply(r: StrategyReply): number[][] | null {
    const first = r.asked.length === 1;
    if (this.inFlight.delete(r.asked[r.asked.length - 1]!)) this.promised -= FULL_BUCKET_RECORDS;
    if (!r.ok) return null;
    this.recordsReturned += r.records;
    if (r.pending > 0 || r.id.length !== ID_BYTES) return null;
    if (first && r.complete && r.records < FULL_BUCKET_RECORDS) {
      const reads = tableReads(r.asked[0]!);
      this.extra.table += reads.length;
      return reads;
    }
    if (first) {
      const region = this.regionRead(r.id);
      if (region) { this.extra.region++; return [region]; }
    }
    if (this.recordsReturned + this.promised >= this.target * this.visits) return null;
    const asked = new Set(r.asked.flat());
    for (const d of this.holes.rankedDistances(r.id)) {
      if (asked.has(d)) continue;
      const req = [d];
      this.inFlight.add(req);
      this.promised += FULL_BUCKET_RECORDS;
      this.extra.sightings++;
      return [req];
    }
    return null;
  }

  /**
   * Region depth: the ID-prefix length whose subtrees hold at most REGION_RECORDS of the IDs seen (more than
   * half of that on average), so the records of a node's region fit one reply.
   */
  regionDepth(): number {
    const n = this.holes.seen;
    if (n <= REGION_RECORDS) return 0;
    return Math.min(ID_BITS - READ_DISTANCES, Math.ceil(Math.log2(n / REGION_RECORDS)));
  }

  /** The distances of a neighbourhood read for this node, or null if its region has been read. */
  private regionRead(id: Uint8Array): number[] | null {
    if (!this.regionReads) return null;
    const p = this.regionDepth();
    if (p !== this.readersDepth) {
      // A read one level up asked this region's half and quarter whole: it still counts. Older ones sampled it.
      this.readersBefore = p === this.readersDepth + 1 ? this.readers : null;
      this.readers = createIdTrie();
      this.readersDepth = p;
    }
    if (this.readers.countPrefix(id, p) > 0 || (this.readersBefore?.countPrefix(id, p) ?? 0) > 0) return null;
    this.readers.insert(id);
    // The region is the IDs sharing p bits with the node: its half at distance 256-p, then the quarter, the eighth.
    const out: number[] = [];
    for (let i = 0; i < READ_DISTANCES; i++) out.push(ID_BITS - p - i);
    return out;
  }
}

/** The rest of a table: distances 256 down to SWEEP_LOWEST not asked yet, three per request. */
function tableReads(asked: readonly number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let d = ID_BITS; d >= SWEEP_LOWEST; d--) {
    if (asked.includes(d)) continue;
    cur.push(d);
    if (cur.length === READ_DISTANCES) { out.push(cur); cur = []; }
  }
  if (cur.length) out.push(cur);
  return out;
}
