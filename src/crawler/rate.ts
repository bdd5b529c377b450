import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Token bucket: `ratePerSec` sustained, `burst` tokens at most (so a stall is not followed by a flood). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(public ratePerSec: number, readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = Math.min(burst, 1);
    this.last = now();
  }
  /** Takes one token if available. */
  take(): boolean {
    this.refill();
    if (this.tokens >= 1) { this.tokens -= 1; return true; }
    return false;
  }
  available(): number { this.refill(); return Math.floor(this.tokens); }
  /** Changes the sustained rate from now on (tokens earned so far are kept). */
  setRate(ratePerSec: number): void { this.refill(); this.ratePerSec = ratePerSec; }
  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
  }
}

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

/** What the crawler watches by default: its event loop and the machine's CPUs. */
export function defaultLoadProbe(): LoadProbe {
  return maxProbe(eventLoopProbe(), systemCpuProbe());
}

/** Period of the adaptive-rate control loop: a few round trips, so it reacts before requests time out. */
export const ADAPT_INTERVAL_MS = 100;
/** Above this utilisation the loop cannot drain its socket: back off. */
const SATURATED = 0.98;
/** Below this there is headroom: climb back towards the configured rate. */
const HEADROOM = 0.9;
/** Multiplicative decrease per saturated interval (halves the rate in ~300 ms). */
const DECREASE = 0.8;
/** Additive increase per interval with headroom, as a share of the configured rate (full rate back in 2 s). */
const INCREASE_SHARE = 0.05;
/** Never below this share of the configured rate, so a loop saturated by something else still progresses. */
const FLOOR_SHARE = 0.1;

/**
 * AIMD on load (default: the busier of event-loop and machine CPU utilisation). A crawler whose loop is saturated (typically verifying the flood of new
 * records early in a crawl) lets replies queue in the kernel; their round trips then include that wait
 * and pass the request timeout, and a handshake answering a stale challenge fails. Sending slower loses
 * nothing: the same nodes are reached a little later and measured correctly.
 */
export class AdaptiveRate {
  rate: number;
  /** Lowest rate set so far, and time spent below the configured rate (for the crawl summary). */
  minRate: number;
  throttledMs = 0;
  constructor(readonly maxRate: number) {
    this.rate = maxRate;
    this.minRate = maxRate;
  }

  /** Feeds one interval's utilisation; returns the rate for the next interval. */
  update(utilization: number, intervalMs = ADAPT_INTERVAL_MS): number {
    if (this.rate < this.maxRate) this.throttledMs += intervalMs;
    if (utilization >= SATURATED) this.rate = Math.max(this.maxRate * FLOOR_SHARE, this.rate * DECREASE);
    else if (utilization < HEADROOM) this.rate = Math.min(this.maxRate, this.rate + this.maxRate * INCREASE_SHARE);
    this.minRate = Math.min(this.minRate, this.rate);
    return this.rate;
  }
}
