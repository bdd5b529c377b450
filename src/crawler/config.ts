import { availableParallelism, hostname } from 'node:os';
import { DhtscopeError } from '../util/errors.js';

export class CrawlConfigError extends DhtscopeError {}

/** Every crawl knob in one place; units are in the names. Validated by `validateCrawlConfig`. */
export interface CrawlConfig {
  /** Global FINDNODE rate limit (token bucket): full visits (a handshake carries the first request) and their follow-ups. */
  ratePerSec: number;
  /**
   * First contacts per second at most: the random packet (~100 bytes) that a live node answers with WHOAREYOU
   * and a dead one not at all. They run ahead of the visits (src/crawler/contact.ts), so dead records cost
   * packets, not visit tokens. 0 derives it from the rate (effectiveContactRate).
   */
  contactRatePerSec: number;
  /** Lower the rate while the event loop, CPUs, RTTs or the worker pool show saturation (see AdaptiveRate); false holds ratePerSec fixed. */
  adaptiveRate: boolean;
  /** Token bucket depth: how many requests may go out at once after an idle spell. */
  burst: number;
  /** Visits in flight at most (each holds a session slot until it answers or times out); 0 derives it from the rate (effectiveConcurrency). */
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
  /**
   * Probe loopback and private endpoints even when a public peer returned them. Off: only records from loopback
   * or private peers (a simnet, a devnet) may send the crawler there (src/crawler/endpoints.ts).
   */
  allowPrivate: boolean;
  /** Local UDP endpoint. */
  bindAddress: string;
  bindPort: number;
  /** Label of where the crawl runs from, stored with the crawl. */
  vantage: string;
  /** Crypto threads: 1 runs handshakes and record checks on the main thread, N > 1 on a worker pool of N. */
  threads: number;
  /**
   * Which waiting node is visited next. 'seen': the one whose record was returned most often (capped at
   * SEEN_LEVELS), discovery order among equals; tables keep live nodes longer than dead ones, so live nodes
   * come first. 'fifo': discovery order.
   */
  queueOrder: QueueOrder;
}

export const QUEUE_ORDERS = ['seen', 'fifo'] as const;
export type QueueOrder = typeof QUEUE_ORDERS[number];
/** Sighting counts above this share the top level. */
export const SEEN_LEVELS = 8;

export const DEFAULT_CRAWL_CONFIG: CrawlConfig = {
  ratePerSec: 1000,
  contactRatePerSec: 0,
  adaptiveRate: true,
  burst: 50, // 50 ms worth at the default rate
  concurrency: 0,
  requestTimeoutMs: 1000,
  retries: 0,
  retransmits: 1,
  durationMs: null,
  cycles: 1,
  strategy: 'adaptive',
  progressIntervalMs: 100,
  maxNodes: 2_000_000,
  allowPrivate: false,
  bindAddress: '0.0.0.0',
  bindPort: 0,
  // Vantages sharing one database tell themselves apart by this; a machine's name is the natural default.
  vantage: hostname(),
  // One worker per core: even on 2 cores the pool measured more req/s and a lower t99 than inline crypto at a
  // 3,000 limit, and the same CPU per request at 1,000 (BENCHMARKS.md, "Scaling"). One core runs inline.
  threads: availableParallelism(),
  queueOrder: 'seen',
};

/**
 * The derived first-contact rate, as a multiple of the visit rate: with 60% of records dead (as in S-50k and
 * the real network's tables), contacts at 2.5x the visit rate keep the visits fed; 4x still does at 75% dead.
 * Contacts beyond what the visits can take wait (ContactAhead), so the factor only matters on dead-heavy tables.
 */
export const CONTACT_RATE_FACTOR = 4;

export function effectiveContactRate(c: Pick<CrawlConfig, 'contactRatePerSec' | 'ratePerSec'>): number {
  return c.contactRatePerSec > 0 ? c.contactRatePerSec : c.ratePerSec * CONTACT_RATE_FACTOR;
}

/**
 * Slots beyond the steady state: a dead node holds its slot for timeout x tries, so at the contact rate limit
 * the steady state is contact rate x timeout x tries if every node were dead; 25% more absorbs bursts. A fixed
 * 4,000 would cap any crawl at 2,000 contacts/s whatever its rate (4,000 slots / 2 s per dead visit).
 */
export const CONCURRENCY_HEADROOM = 1.25;
/** Floor for the derived value, for very low rates. */
export const MIN_AUTO_CONCURRENCY = 64;

/** Visits in flight at most: config.concurrency, or with 0, enough that dead nodes never stall the rate. */
export function effectiveConcurrency(
  c: Pick<CrawlConfig, 'concurrency' | 'ratePerSec' | 'contactRatePerSec' | 'requestTimeoutMs' | 'retransmits'>,
): number {
  if (c.concurrency > 0) return c.concurrency;
  const steady = (effectiveContactRate(c) * c.requestTimeoutMs * (1 + c.retransmits)) / 1000;
  return Math.max(MIN_AUTO_CONCURRENCY, Math.ceil(steady * CONCURRENCY_HEADROOM));
}

export function validateCrawlConfig(c: CrawlConfig): CrawlConfig {
  const bad = (m: string): never => { throw new CrawlConfigError('ERR_USAGE_CRAWL_CONFIG', m); };
  const posInt = (k: keyof CrawlConfig, min = 1) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) bad(`${k} must be an integer >= ${min}`);
  };
  if (!(c.ratePerSec > 0)) bad('ratePerSec must be > 0');
  if (!(c.contactRatePerSec >= 0)) bad('contactRatePerSec must be >= 0');
  posInt('burst'); posInt('concurrency', 0); posInt('requestTimeoutMs'); posInt('cycles'); posInt('progressIntervalMs'); posInt('maxNodes');
  posInt('threads'); posInt('retries', 0); posInt('retransmits', 0); posInt('bindPort', 0);
  if (c.durationMs !== null && !(c.durationMs > 0)) bad('durationMs must be > 0');
  if (!(QUEUE_ORDERS as readonly string[]).includes(c.queueOrder)) bad(`queueOrder must be one of ${QUEUE_ORDERS.join(', ')}`);
  return c;
}
