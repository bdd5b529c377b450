import { Prng } from '../util/prng.js';
import { BUCKET_SIZE, type NodeTable } from '../node/table.js';
import type { Enr } from '../enr/enr.js';
import type { PopulationRecord } from './population.js';

/** IDs compare on their top 52 bits (exact in a double); deeper buckets are practically never populated. */
const KEY_BITS = 52;
/** How much likelier a table keeps a live node than a dead or NAT'd one (liveness checks evict some, not all). */
const LIVE_WEIGHT = 2;

function key52(id: Uint8Array): number {
  const hi = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
  const lo = ((id[4]! << 24) | (id[5]! << 16) | (id[6]! << 8) | id[7]!) >>> 0;
  return hi * 2 ** 20 + Math.floor(lo / 2 ** 12);
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const m = (lo + hi) >>> 1; if (a[m]! < x) lo = m + 1; else hi = m; }
  return lo;
}

/** Sorted keys of the live and the other records, for range queries by prefix. */
export class PopulationIndex {
  readonly liveKeys: Float64Array;
  readonly liveIdx: Uint32Array;
  readonly otherKeys: Float64Array;
  readonly otherIdx: Uint32Array;

  constructor(readonly pop: PopulationRecord[]) {
    const live: [number, number][] = [], other: [number, number][] = [];
    pop.forEach((r, i) => (r.kind === 'live' ? live : other).push([key52(r.nodeId), i]));
    live.sort((a, b) => a[0] - b[0]);
    other.sort((a, b) => a[0] - b[0]);
    this.liveKeys = Float64Array.from(live, (x) => x[0]);
    this.liveIdx = Uint32Array.from(live, (x) => x[1]);
    this.otherKeys = Float64Array.from(other, (x) => x[0]);
    this.otherIdx = Uint32Array.from(other, (x) => x[1]);
  }

  /** Population indices with key in [lo, hi). */
  private range(keys: Float64Array, lo: number, hi: number): [number, number] {
    return [lowerBound(keys, lo), lowerBound(keys, hi)];
  }

  /**
   * The k-bucket table of population record `self`: up to 16 records per log-distance, picked
   * deterministically (seeded per node, so sharding does not change it), live ones preferred.
   */
  tableOf(self: number, seed: number | string): { idx: Uint32Array; dist: Uint16Array } {
    const x = key52(this.pop[self]!.nodeId);
    const r = new Prng(`${seed}/table/${self}`);
    const idx: number[] = [], dist: number[] = [];
    for (let L = 0; L < KEY_BITS; L++) {
      // Bucket at distance 256-L: same top L bits as x, bit L flipped.
      const span = 2 ** (KEY_BITS - L - 1);
      const own = Math.floor(x / span); // top L+1 bits of x
      const flipped = own ^ 1;
      const lo = flipped * span, hi = lo + span;
      const [la, lb] = this.range(this.liveKeys, lo, hi);
      const [oa, ob] = this.range(this.otherKeys, lo, hi);
      const nLive = lb - la, nOther = ob - oa;
      if (nLive + nOther > 0) {
        for (const i of sample(r, la, nLive, oa, nOther)) {
          idx.push(i < 0 ? this.otherIdx[-i - 1]! : this.liveIdx[i]!);
          dist.push(256 - L);
        }
      }
      // Stop once nothing but x itself shares the top L+1 bits.
      const [sa, sb] = this.range(this.liveKeys, own * span, own * span + span);
      const [ta, tb] = this.range(this.otherKeys, own * span, own * span + span);
      if (sb - sa + tb - ta <= 1) break;
    }
    return { idx: Uint32Array.from(idx), dist: Uint16Array.from(dist) };
  }
}

/** Up to k picks from a live range and an other range; live positions >= 0, others encoded as -(pos+1). */
function sample(r: Prng, la: number, nLive: number, oa: number, nOther: number): number[] {
  const k = BUCKET_SIZE;
  if (nLive + nOther <= k) {
    const all: number[] = [];
    for (let i = 0; i < nLive; i++) all.push(la + i);
    for (let i = 0; i < nOther; i++) all.push(-(oa + i) - 1);
    return all;
  }
  const wLive = nLive * LIVE_WEIGHT;
  let wantLive = Math.round((k * wLive) / (wLive + nOther));
  wantLive = Math.min(nLive, Math.max(k - nOther, wantLive));
  const out = pickDistinct(r, nLive, wantLive).map((i) => la + i);
  for (const i of pickDistinct(r, nOther, k - wantLive)) out.push(-(oa + i) - 1);
  return out;
}

function pickDistinct(r: Prng, n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const s = new Set<number>();
  while (s.size < k) s.add(r.int(n));
  return [...s];
}

/** A simnet node's table: population indices grouped by distance, records shared across nodes. */
export class StaticTable implements NodeTable {
  constructor(
    private readonly raws: Uint8Array[], private readonly idx: Uint32Array, private readonly dist: Uint16Array,
    /** Per population index, 1 while the node has not joined yet (churn): nobody lists it before. */
    private readonly hidden: Uint8Array | null = null,
  ) {}
  get size(): number { return this.idx.length; }
  recordsAt(d: number, limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const h = this.hidden;
    for (let i = 0; i < this.dist.length && out.length < limit; i++) {
      if (this.dist[i] === d && (h === null || h[this.idx[i]!] === 0)) out.push(this.raws[this.idx[i]!]!);
    }
    return out;
  }
  /** Simnet nodes learn peers only from handshakes (records are included when enr-seq is 0). */
  enrOf(_id: Uint8Array): Enr | undefined { return undefined; }
}
