import type { Crawler } from '../crawler/crawler.js';
import type { Truth } from '../simnet/simnet.js';
import { toHex } from '../util/bytes.js';

export interface Coverage {
  liveTotal: number; liveMeasured: number; coverageLive: number;
  deadTotal: number; deadDiscovered: number; coverageDead: number;
  natTotal: number; natDiscovered: number;
  /** Live nodes whose record was discovered (reachable records found). */
  liveDiscovered: number;
  /** Time until 50/90/99% of live nodes were measured (ms since crawl start); null if never reached. */
  t50Ms: number | null; t90Ms: number | null; t99Ms: number | null;
  /** Nodes measured that the truth does not list (should be 0 on a simnet). */
  unexpectedMeasured: number;
}

/** Compares what a crawler found with a simnet truth file. */
export function compareWithTruth(crawler: Crawler, truth: Truth): Coverage {
  const found = new Map<string, { measuredAtMs: number }>();
  for (const n of crawler.allNodes()) found.set(toHex(n.id), n);
  const liveTimes: number[] = [];
  let liveDiscovered = 0;
  const liveIds = new Set<string>();
  for (const l of truth.live) {
    liveIds.add(l.nodeId);
    const n = found.get(l.nodeId);
    if (!n) continue;
    liveDiscovered++;
    if (n.measuredAtMs >= 0) liveTimes.push(n.measuredAtMs);
  }
  liveTimes.sort((a, b) => a - b);
  const at = (q: number): number | null => {
    const k = Math.ceil(q * truth.live.length);
    return liveTimes.length >= k && k > 0 ? Math.round(liveTimes[k - 1]!) : null;
  };
  const deadDiscovered = truth.dead.filter((d) => found.has(d.nodeId)).length;
  const natDiscovered = truth.nat.filter((d) => found.has(d.nodeId)).length;
  let unexpectedMeasured = 0;
  for (const n of crawler.allNodes()) if (n.measuredAtMs >= 0 && !liveIds.has(toHex(n.id))) unexpectedMeasured++;
  return {
    liveTotal: truth.live.length, liveMeasured: liveTimes.length, coverageLive: liveTimes.length / truth.live.length,
    deadTotal: truth.dead.length, deadDiscovered, coverageDead: truth.dead.length ? deadDiscovered / truth.dead.length : 1,
    natTotal: truth.nat.length, natDiscovered, liveDiscovered,
    t50Ms: at(0.5), t90Ms: at(0.9), t99Ms: at(0.99), unexpectedMeasured,
  };
}
