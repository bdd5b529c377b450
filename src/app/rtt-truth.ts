// RTT error against a simnet's truth: what the crawler measured minus the delay the simnet was told to add,
// overall and with the simnet's own lateness taken out (what is left is the crawler's share).
import type { NodeLateness } from '../simnet/lateness.js';
import type { TruthNode } from '../simnet/simnet.js';
import { toHex } from '../util/bytes.js';

export interface RttErrorStats {
  /** Live nodes with both a measurement and a truth (and, for the crawler's share, the simnet's lateness). */
  n: number;
  /** Nearest-rank percentiles of the error (ms), null when n is 0. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface RttTruthError {
  /** measured − truth rttMs. */
  overall: RttErrorStats;
  /** measured − truth rttMs − how late the simnet's reply left: the share the crawler's receive path adds. */
  crawler: RttErrorStats;
}

export interface RttTruthReport { rtt1: RttTruthError; rtt2: RttTruthError }

/** What the comparison reads of a crawled node: CrawlNode fits. */
export interface MeasuredRtt { id: Uint8Array; rtt1Ms: number | null; rtt2Ms: number | null }

/** Report resolution: 10 µs. */
const ROUND = 100;

/** Nearest-rank percentiles of the errors; sorts `errors` in place. */
export function errorStats(errors: number[]): RttErrorStats {
  errors.sort((a, b) => a - b);
  const at = (q: number) => errors.length === 0 ? null : Math.round(errors[Math.max(1, Math.ceil(q * errors.length)) - 1]! * ROUND) / ROUND;
  return { n: errors.length, p50Ms: at(0.5), p95Ms: at(0.95) };
}

/**
 * rtt1 (random packet → WHOAREYOU) and rtt2 (handshake → first response) errors of every measured live node.
 * `lateness` (by node ID hex: [WHOAREYOU, response] ms) is the simnet's report; without it, or without a node
 * in it, the crawler's share leaves that node out (its n says how many were counted).
 */
export function rttTruthError(measured: Iterable<MeasuredRtt>, live: readonly TruthNode[], lateness: Readonly<Record<string, NodeLateness>> | null): RttTruthReport {
  // Bound: the truth's live nodes.
  const truthMs = new Map<string, number>();
  for (const l of live) if (l.rttMs !== undefined) truthMs.set(l.nodeId, l.rttMs);
  const e1: number[] = [], e2: number[] = [], c1: number[] = [], c2: number[] = [];
  for (const m of measured) {
    if (m.rtt1Ms === null && m.rtt2Ms === null) continue;
    const id = toHex(m.id);
    const t = truthMs.get(id);
    if (t === undefined) continue;
    const late = lateness?.[id];
    if (m.rtt1Ms !== null) {
      e1.push(m.rtt1Ms - t);
      if (late && late[0] !== null) c1.push(m.rtt1Ms - t - late[0]);
    }
    if (m.rtt2Ms !== null) {
      e2.push(m.rtt2Ms - t);
      if (late && late[1] !== null) c2.push(m.rtt2Ms - t - late[1]);
    }
  }
  return {
    rtt1: { overall: errorStats(e1), crawler: errorStats(c1) },
    rtt2: { overall: errorStats(e2), crawler: errorStats(c2) },
  };
}
