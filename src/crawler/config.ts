import { DhtscopeError } from '../util/errors.js';

export class CrawlConfigError extends DhtscopeError {}

/** Every crawl knob in one place; units are in the names. Validated by `validateCrawlConfig`. */
export interface CrawlConfig {
  /** Global FINDNODE rate limit (token bucket). */
  ratePerSec: number;
  /** Lower the rate while the event loop, CPUs, RTTs or the worker pool show saturation (see AdaptiveRate); false holds ratePerSec fixed. */
  adaptiveRate: boolean;
  /** Token bucket depth: how many requests may go out at once after an idle spell. */
  burst: number;
  /** Visits in flight at most (each holds a session slot until it answers or times out). */
  concurrency: number;
  requestTimeoutMs: number;
  /** Extra FINDNODE visits for a node whose visit failed. */
  retries: number;
  /** Resends of the same request packet on timeout (UDP loss), before a visit counts as failed. */
  retransmits: number;
  /** Stop after this long (null: run until the cycles finish). */
  durationMs: number | null;
  /** Repeat the crawl over the accumulated record set. */
  cycles: number;
  strategy: string;
  /** Progress-curve sampling period. */
  progressIntervalMs: number;
  /** Bound on distinct nodes kept; past it new records are counted and dropped. */
  maxNodes: number;
  /** Local UDP endpoint. */
  bindAddress: string;
  bindPort: number;
  /** Label of where the crawl runs from, stored with the crawl. */
  vantage: string;
  /** Crypto threads: 1 runs handshakes and record checks on the main thread, N > 1 on a worker pool of N. */
  threads: number;
}

export const DEFAULT_CRAWL_CONFIG: CrawlConfig = {
  ratePerSec: 1000,
  adaptiveRate: true,
  burst: 50, // 50 ms worth at the default rate
  concurrency: 4000, // rate x (timeout x (1 + retransmits)) with headroom: dead nodes hold slots until they time out
  requestTimeoutMs: 1000,
  retries: 0,
  retransmits: 1,
  durationMs: null,
  cycles: 1,
  strategy: 'prefix',
  progressIntervalMs: 100,
  maxNodes: 2_000_000,
  bindAddress: '0.0.0.0',
  bindPort: 0,
  vantage: 'local',
  threads: 1,
};

export function validateCrawlConfig(c: CrawlConfig): CrawlConfig {
  const bad = (m: string): never => { throw new CrawlConfigError('ERR_USAGE_CRAWL_CONFIG', m); };
  const posInt = (k: keyof CrawlConfig, min = 1) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) bad(`${k} must be an integer >= ${min}`);
  };
  if (!(c.ratePerSec > 0)) bad('ratePerSec must be > 0');
  posInt('burst'); posInt('concurrency'); posInt('requestTimeoutMs'); posInt('cycles'); posInt('progressIntervalMs'); posInt('maxNodes');
  posInt('threads'); posInt('retries', 0); posInt('retransmits', 0); posInt('bindPort', 0);
  if (c.durationMs !== null && !(c.durationMs > 0)) bad('durationMs must be > 0');
  return c;
}
