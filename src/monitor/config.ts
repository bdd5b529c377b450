import { DhtscopeError } from '../util/errors.js';

export class MonitorConfigError extends DhtscopeError {}

/** Every monitor knob (the crawls it runs take a CrawlConfig of their own); units are in the names. */
export interface MonitorConfig {
  /** Stop after this long (null: until stopped). */
  durationMs: number | null;
  /** A full crawl starts this long after the previous one started (or right after it, if it ran longer). */
  crawlEveryMs: number;
  /** Liveness probes per second at most (their own budget; the crawl's --rate is not touched). */
  probeRatePerSec: number;
  /** How long a probe waits for its WHOAREYOU before a resend (the crawl's retransmits apply). */
  probeTimeoutMs: number;
  /** Re-check interval of a node that is up: clamp(f x uptime so far, min, max), f drawn from [factorLow, factorHigh]. */
  probeMinMs: number;
  probeMaxMs: number;
  probeFactorLow: number;
  probeFactorHigh: number;
  /** Failed probes in a row that end an uptime session (K). */
  failuresToEnd: number;
  /** The open sessions and the checkpoint are written this often. */
  checkpointEveryMs: number;
  /** A monitor_samples row this often. */
  sampleEveryMs: number;
  /** Bound on tracked nodes; past it new nodes are counted and not tracked. */
  maxTracked: number;
  /** While a crawl runs, probes take at most this share of --probe-rate: the crawl's traffic goes first. */
  duringCrawlShare: number;
  /** Run a full GC after each crawl, so its garbage is gone before the next crawl starts. */
  gcAfterCrawl: boolean;
  /** Shared campaigns: a vantage's shard leases lapse this long after its last renewal (a killed one's are then taken). */
  leaseMs: number;
  /**
   * Shared campaigns: a vantage deletes its own `probes` rows this much older than its latest checkpoint (the
   * others read only the last seconds of them); null keeps them all.
   */
  probeRowsKeepMs: number | null;
  /** Shared campaigns: every vantage probes every node (reachability per vantage) instead of splitting the probes. */
  probeEveryVantage: boolean;
}

export const DEFAULT_MONITOR_CONFIG: MonitorConfig = {
  durationMs: null,
  crawlEveryMs: 30 * 60_000,
  probeRatePerSec: 1000,
  probeTimeoutMs: 1000,
  probeMinMs: 60_000,
  probeMaxMs: 15 * 60_000,
  probeFactorLow: 0.5,
  probeFactorHigh: 1.2,
  failuresToEnd: 3,
  checkpointEveryMs: 60_000,
  sampleEveryMs: 60_000,
  maxTracked: 2_000_000,
  // A quarter keeps probing alive during a long crawl without taking the CPU the crawl's handshakes need.
  duringCrawlShare: 0.25,
  gcAfterCrawl: true,
  // Long enough that a database stall of a few seconds does not hand shards around; short enough that a killed
  // vantage's nodes go unprobed for less than the shortest probe interval.
  leaseMs: 30_000,
  // Two days: a researcher looking at a campaign's probes sees the last two, the table stays bounded.
  probeRowsKeepMs: 2 * 86_400_000,
  probeEveryVantage: false,
};

/**
 * probeTimeoutMs of a libp2p campaign unless given: its probe is a dial (TCP, Noise and Yamux take three round
 * trips and a signature each way, which a loaded peer across the world stretches to seconds).
 */
export const DEFAULT_LIBP2P_PROBE_TIMEOUT_MS = 5000;

export function validateMonitorConfig(c: MonitorConfig): MonitorConfig {
  const bad = (m: string): never => { throw new MonitorConfigError('ERR_USAGE_MONITOR_CONFIG', m); };
  const pos = (k: keyof MonitorConfig) => { if (!((c[k] as number) > 0)) bad(`${k} must be > 0`); };
  pos('crawlEveryMs'); pos('probeRatePerSec'); pos('probeTimeoutMs'); pos('probeMinMs'); pos('probeMaxMs');
  pos('checkpointEveryMs'); pos('sampleEveryMs'); pos('maxTracked');
  if (c.durationMs !== null && !(c.durationMs > 0)) bad('durationMs must be > 0');
  if (c.probeMaxMs < c.probeMinMs) bad('the probe interval maximum must be >= its minimum');
  if (!(c.probeFactorLow > 0 && c.probeFactorHigh >= c.probeFactorLow)) bad('probe factors must satisfy 0 < low <= high');
  if (!(Number.isInteger(c.failuresToEnd) && c.failuresToEnd >= 1)) bad('failuresToEnd must be an integer >= 1');
  if (!(c.leaseMs >= 300)) bad('leaseMs must be >= 300');
  if (c.probeRowsKeepMs !== null && !(c.probeRowsKeepMs > 0)) bad('probeRowsKeepMs must be > 0 (or null: keep them all)');
  if (!(c.duringCrawlShare >= 0 && c.duringCrawlShare <= 1)) bad('duringCrawlShare must be in [0, 1]');
  return c;
}
