/** Buckets per doubling: a percentile read from a bucket's upper edge is at most 2^(1/8) - 1 = 9% high. */
const BUCKETS_PER_OCTAVE = 8;
/** Smallest value resolved, as a power of two of the unit (ms: 2^-10 ≈ 1 µs); smaller values share bucket 0. */
const MIN_EXP = -10;
/** Largest value resolved (ms: 2^20 ≈ 17 min, beyond any reply delay); larger ones share the last bucket. */
const MAX_EXP = 20;
/** Fixed bucket count: the histogram's size does not grow with what it records, and shards merge by index. */
export const HISTOGRAM_BUCKETS = (MAX_EXP - MIN_EXP) * BUCKETS_PER_OCTAVE + 1;

export interface HistogramJson { counts: number[]; max: number }
export interface HistogramSummary { n: number; p50: number | null; p90: number | null; p99: number | null; max: number | null }

/** Log-bucketed histogram of non-negative values: fixed size, mergeable, percentiles within 9%. */
export class LogHistogram {
  private readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  private n = 0;
  private max = 0;

  get count(): number { return this.n; }

  add(v: number): void {
    const x = v > 0 ? v : 0;
    this.counts[bucketOf(x)]!++;
    this.n++;
    if (x > this.max) this.max = x;
  }

  merge(h: HistogramJson): void {
    const m = Math.min(h.counts.length, HISTOGRAM_BUCKETS);
    for (let i = 0; i < m; i++) { this.counts[i]! += h.counts[i]!; this.n += h.counts[i]!; }
    if (h.max > this.max) this.max = h.max;
  }

  /** The upper edge of the bucket holding the q-quantile (nearest rank), capped at the largest value seen; null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  summary(round = (x: number) => x): HistogramSummary {
    const r = (x: number | null) => (x === null ? null : round(x));
    return { n: this.n, p50: r(this.quantile(0.5)), p90: r(this.quantile(0.9)), p99: r(this.quantile(0.99)), max: this.n ? round(this.max) : null };
  }

  toJSON(): HistogramJson { return { counts: Array.from(this.counts), max: this.max }; }
}

function bucketOf(x: number): number {
  if (x < 2 ** MIN_EXP) return 0;
  const b = Math.floor((Math.log2(x) - MIN_EXP) * BUCKETS_PER_OCTAVE) + 1;
  return Math.min(b, HISTOGRAM_BUCKETS - 1);
}

/** The last bucket also holds everything above 2^MAX_EXP: no edge of its own (the largest value caps it). */
function upperEdge(i: number): number {
  return i === HISTOGRAM_BUCKETS - 1 ? Infinity : 2 ** (MIN_EXP + i / BUCKETS_PER_OCTAVE);
}
