import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** How busy something the crawl depends on was since the previous call, 0..1 (sampled every ADAPT_INTERVAL_MS). */
export interface LoadProbe {
  utilization(): number;
}

/** The main thread's event-loop utilisation: 1.0 means datagrams wait in the socket queue. */
export function eventLoopProbe(): LoadProbe {
  let prev = performance.eventLoopUtilization();
  return {
    utilization() {
      const cur = performance.eventLoopUtilization();
      const u = performance.eventLoopUtilization(cur, prev).utilization;
      prev = cur;
      return u;
    },
  };
}

/** CPU time summed over all cores, busy and total (ms), from the kernel's counters. */
export type CpuTimes = () => { busy: number; total: number };

function osCpuTimes(): { busy: number; total: number } {
  let busy = 0, total = 0;
  for (const c of cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/**
 * The whole machine's CPU utilisation. The event loop alone misses saturation once work runs on other
 * threads (DuckDB's commits, the crypto pool) or other processes: the peers' replies and our own reads are
 * then late although the loop looks idle, and RTTs measured under CPU contention are wrong anyway.
 */
export function systemCpuProbe(times: CpuTimes = osCpuTimes): LoadProbe {
  let prev = times();
  return {
    utilization() {
      const cur = times();
      const total = cur.total - prev.total;
      const u = total > 0 ? (cur.busy - prev.busy) / total : 0;
      prev = cur;
      return u;
    },
  };
}

/** The busiest of several signals. */
export function maxProbe(...probes: LoadProbe[]): LoadProbe {
  return { utilization: () => probes.reduce((m, p) => Math.max(m, p.utilization()), 0) };
}

/** Samples kept per control interval for the RTT median: a reservoir, so a fast crawl costs no more memory. */
const RTT_RESERVOIR = 256;
/** Fewer samples than this in an interval say little about the median: the previous reading stands. */
const RTT_MIN_SAMPLES = 24;
/** Per interval without enough samples, the last reading shrinks by this factor (halves in ~300 ms). */
const RTT_STALE_DECAY = 0.8;
/** Weight of a new interval's median in the smoothed median (smooths ~3 intervals, ~300 ms). */
const RTT_SMOOTHING = 0.3;
/**
 * Intervals after the first sample before the smoothed median may become the baseline. Early in a crawl only
 * the fast peers have answered, so the median of finished requests is low for about one request timeout
 * (1 s by default); a baseline taken then makes every later interval look congested.
 */
const RTT_WARMUP_INTERVALS = 20;
/**
 * Share of the gap by which the baseline follows a higher median each interval (time constant ~5 s), so a
 * baseline set by a lucky run of near peers cannot hold the crawl down for good; real queueing builds
 * within a second and is acted on long before the baseline catches up.
 */
const RTT_BASELINE_DRIFT = 0.02;
/**
 * Rise of the smoothed median RTT above its lowest value this crawl that counts as saturated. Requests then
 * queue somewhere: in our socket buffer, our event loop, the path, or the peers (in a simnet, the same
 * CPUs). 50 ms keeps measured RTTs honest to within a few tens of ms and stays clear of the median's noise
 * (~7 ms smoothed at 40 samples per interval, the fewest a 1,000 req/s crawl of a 40%-live network gives).
 */
export const RTT_INFLATION_LIMIT_MS = 50;

/**
 * Delay-based load: how far the median round trip has risen above the crawl's baseline, as a share of
 * RTT_INFLATION_LIMIT_MS. Peers' round trips differ, but the crawler visits them in an order unrelated to
 * their RTT, so the median over a control interval is stable unless something queues. This is the signal
 * that matters for coverage: replies that queue past the request timeout are lost, and queued RTTs are
 * wrong measurements. A busy machine whose replies are still on time is not a reason to slow down.
 */
export class RttInflationProbe implements LoadProbe {
  private readonly samples = new Float64Array(RTT_RESERVOIR);
  private n = 0;
  private seen = 0;
  private smoothed = -1;
  private intervals = 0;
  private baselineMs = Infinity;
  private load = 0;
  constructor(private readonly limitMs = RTT_INFLATION_LIMIT_MS, private readonly random: () => number = Math.random) {}

  /** One request's round trip (ms). */
  add(rttMs: number): void {
    this.seen++;
    if (this.n < RTT_RESERVOIR) { this.samples[this.n++] = rttMs; return; }
    const j = Math.floor(this.random() * this.seen);
    if (j < RTT_RESERVOIR) this.samples[j] = rttMs;
  }

  /** The lowest smoothed median so far (ms), or null before the warm-up. */
  get baseline(): number | null { return Number.isFinite(this.baselineMs) ? this.baselineMs : null; }

  utilization(): number {
    if (this.n < RTT_MIN_SAMPLES) {
      // Too few samples (a slow crawl, or one already backed off): keep them for the next reading, and let
      // the old reading fade, so a backed-off crawl that sends too little to measure cannot stay stuck.
      if (this.intervals > 0) this.intervals++;
      this.load *= RTT_STALE_DECAY;
      return this.load;
    }
    const s = this.samples.subarray(0, this.n).sort();
    const median = this.n % 2 ? s[this.n >> 1]! : (s[(this.n >> 1) - 1]! + s[this.n >> 1]!) / 2;
    this.smoothed = this.smoothed < 0 ? median : this.smoothed + RTT_SMOOTHING * (median - this.smoothed);
    if (Number.isFinite(this.baselineMs)) this.baselineMs = Math.min(this.smoothed, this.baselineMs + RTT_BASELINE_DRIFT * (this.smoothed - this.baselineMs));
    else if (this.intervals >= RTT_WARMUP_INTERVALS) this.baselineMs = this.smoothed;
    this.load = Number.isFinite(this.baselineMs) ? Math.min(1, Math.max(0, (this.smoothed - this.baselineMs) / this.limitMs)) : 0;
    this.intervals++;
    this.n = 0;
    this.seen = 0;
    return this.load;
  }

}

/** Anything that can say how long work waited in its queue lately (the crypto pool). */
export interface QueueDelaySource {
  /** Longest of: the mean wait of items completed since the last call, and the age of the oldest still waiting (ms). */
  queueDelayMs(): number;
}

/**
 * Wait in the crypto pool that counts as saturated. A handshake waiting there delays the request it belongs
 * to (the node holds its challenge, the request timer runs), so a growing queue must slow the crawl before it
 * reaches the request timeout. 100 ms is 10% of the default timeout and ~20 batches of handshakes.
 */
export const POOL_DELAY_LIMIT_MS = 100;

export function queueDelayProbe(source: QueueDelaySource, limitMs = POOL_DELAY_LIMIT_MS): LoadProbe {
  return { utilization: () => Math.min(1, source.queueDelayMs() / limitMs) };
}

/**
 * What the crawler watches by default: its event loop (a saturated loop leaves replies in the socket queue),
 * the machine's CPUs (other threads and processes: the pool, DuckDB, a simnet's peers), the round trips it
 * measures (queueing anywhere, also when the CPUs look fine), and the crypto pool's queue when it has one.
 * Interleaved on S-50k at a 3,000 req/s limit, RTT and pool alone held the same rate as machine CPU alone
 * but measured fewer live nodes; all of them together keep the better coverage (see BENCHMARKS.md,
 * "Findings behind the crawl loop's design").
 */
export function defaultLoadProbe(...more: LoadProbe[]): LoadProbe {
  return maxProbe(eventLoopProbe(), systemCpuProbe(), ...more);
}

/** Period of the adaptive-rate control loop: a few round trips, so it reacts before requests time out. */
export const ADAPT_INTERVAL_MS = 100;
/** Above this utilisation the loop cannot drain its socket: back off. */
const SATURATED = 0.98;
/** Below this there is headroom: climb back towards the configured rate. */
const HEADROOM = 0.9;
/** Multiplicative decrease per saturated interval. */
const DECREASE = 0.8;
/**
 * Intervals after a decrease before the next one: the RTT signal lags the rate by a round trip plus its
 * smoothing, so deciding again at once would cut for the same queue twice (halves the rate in ~600 ms).
 */
const DECREASE_EVERY = 2;
/** Additive increase per interval with headroom, as a share of the configured rate (full rate back in 2 s). */
const INCREASE_SHARE = 0.05;
/** Never below this share of the configured rate, so a loop saturated by something else still progresses. */
const FLOOR_SHARE = 0.1;

/**
 * AIMD on load (default: the busiest of event-loop and machine CPU utilisation, RTT inflation and crypto-pool wait). A crawler whose loop is saturated (typically verifying the flood of new
 * records early in a crawl) lets replies queue in the kernel; their round trips then include that wait
 * and pass the request timeout, and a handshake answering a stale challenge fails. Sending slower loses
 * nothing: the same nodes are reached a little later and measured correctly.
 */
export class AdaptiveRate {
  rate: number;
  /** Lowest rate set so far, and time spent below the configured rate (for the crawl summary). */
  minRate: number;
  throttledMs = 0;
  private sinceDecrease = DECREASE_EVERY;
  constructor(readonly maxRate: number) {
    this.rate = maxRate;
    this.minRate = maxRate;
  }

  /** Feeds one interval's utilisation; returns the rate for the next interval. */
  update(utilization: number, intervalMs = ADAPT_INTERVAL_MS): number {
    if (this.rate < this.maxRate) this.throttledMs += intervalMs;
    this.sinceDecrease++;
    if (utilization >= SATURATED) {
      if (this.sinceDecrease >= DECREASE_EVERY) {
        this.rate = Math.max(this.maxRate * FLOOR_SHARE, this.rate * DECREASE);
        this.sinceDecrease = 0;
      }
    } else if (utilization < HEADROOM) this.rate = Math.min(this.maxRate, this.rate + this.maxRate * INCREASE_SHARE);
    this.minRate = Math.min(this.minRate, this.rate);
    return this.rate;
  }
}
