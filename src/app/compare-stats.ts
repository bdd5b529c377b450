// The statistics of `compare`: one crawl's figures against a simnet's truth, and their medians per strategy.
import type { Crawler } from '../crawler/crawler.js';
import type { Truth } from '../simnet/simnet.js';
import { toHex } from '../util/bytes.js';
import type { CrawlSummary } from './crawl-job.js';
import { compareWithTruth } from './truth-compare.js';

/** One crawl of the comparison. */
export interface CompareRun {
  strategy: string;
  run: number;
  /** Position in this run's order (0 = first). */
  slot: number;
  crawlId: number | null;
  t50Ms: number | null; t90Ms: number | null; t99Ms: number | null;
  requests: number;
  bytes: number;
  liveMeasured: number;
  liveTotal: number;
  deadDiscovered: number;
  deadTotal: number;
  coverageLive: number;
  coverageDead: number;
  recordsReceived: number;
  duplicateRecords: number;
  elapsedMs: number;
  /** Sorted ms since crawl start at which each measured live node was first measured. */
  liveTimesMs: number[];
}

export interface StrategyResult {
  strategy: string;
  runs: number;
  t50Ms: number | null; t90Ms: number | null; t99Ms: number | null;
  t50MsRange: [number | null, number | null]; t90MsRange: [number | null, number | null]; t99MsRange: [number | null, number | null];
  requestsPerLiveNode: number;
  bytesPerLiveNode: number;
  coverageLive: number;
  coverageDead: number;
  duplicateRatio: number;
  requests: number;
  elapsedMs: number;
}

/** Strategy order of run `r` (0-based): the list rotated by r, so each strategy takes each slot in turn. */
export function runOrder(strategies: string[], r: number): string[] {
  const k = r % strategies.length;
  return [...strategies.slice(k), ...strategies.slice(0, k)];
}

/** Median of numbers where null means "never reached" (sorts last); null if the median is unreached. */
export function medianOf(xs: Array<number | null>): number | null {
  if (xs.length === 0) return null;
  const v = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const m = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return Number.isFinite(m) ? m : null;
}

function rangeOf(xs: Array<number | null>): [number | null, number | null] {
  const ok = xs.filter((x): x is number => x !== null);
  return [ok.length ? Math.min(...ok) : null, ok.length === xs.length && ok.length ? Math.max(...ok) : null];
}

export function summarise(strategy: string, runs: CompareRun[]): StrategyResult {
  const med = (f: (r: CompareRun) => number) => medianOf(runs.map(f)) ?? 0;
  const t = (k: 't50Ms' | 't90Ms' | 't99Ms') => medianOf(runs.map((r) => r[k]));
  const rm = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    strategy, runs: runs.length,
    t50Ms: rm(t('t50Ms')), t90Ms: rm(t('t90Ms')), t99Ms: rm(t('t99Ms')),
    t50MsRange: rangeOf(runs.map((r) => r.t50Ms)), t90MsRange: rangeOf(runs.map((r) => r.t90Ms)), t99MsRange: rangeOf(runs.map((r) => r.t99Ms)),
    requestsPerLiveNode: round3(med((r) => r.requests / Math.max(1, r.liveMeasured))),
    bytesPerLiveNode: Math.round(med((r) => r.bytes / Math.max(1, r.liveMeasured))),
    coverageLive: round4(med((r) => r.coverageLive)),
    coverageDead: round4(med((r) => r.coverageDead)),
    duplicateRatio: round4(med((r) => r.duplicateRecords / Math.max(1, r.recordsReceived))),
    requests: Math.round(med((r) => r.requests)),
    elapsedMs: Math.round(med((r) => r.elapsedMs)),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round4 = (x: number) => Math.round(x * 10000) / 10000;

/** The run whose t99 (then final count) is the median of a strategy's runs: the one plotted. */
export function medianRun(runs: CompareRun[]): CompareRun {
  const key = (r: CompareRun) => (r.t99Ms ?? Infinity);
  const s = [...runs].sort((a, b) => key(a) - key(b) || b.liveMeasured - a.liveMeasured || a.run - b.run);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Curve points (ms, live measured): about `max` steps plus the first and the last. */
export function curvePoints(timesMs: number[], max = 400): Array<[number, number]> {
  const pts: Array<[number, number]> = [[0, 0]];
  const step = Math.max(1, Math.floor(timesMs.length / max));
  for (let i = 0; i < timesMs.length; i++) {
    const k = i + 1;
    if (k % step === 0 || k === timesMs.length) pts.push([Math.round(timesMs[i]!), k]);
  }
  return pts;
}

export function measureRun(
  strategy: string, run: number, slot: number, crawlId: number | null,
  crawler: Crawler, truth: Truth, liveIds: Set<string>,
  summary: CrawlSummary,
): CompareRun {
  const cov = compareWithTruth(crawler, truth);
  const times: number[] = [];
  for (const n of crawler.allNodes()) if (n.measuredAtMs >= 0 && liveIds.has(toHex(n.id))) times.push(n.measuredAtMs);
  times.sort((a, b) => a - b);
  return {
    strategy, run, slot, crawlId, t50Ms: cov.t50Ms, t90Ms: cov.t90Ms, t99Ms: cov.t99Ms,
    requests: summary.requests, bytes: summary.bytesIn + summary.bytesOut,
    liveMeasured: cov.liveMeasured, liveTotal: cov.liveTotal, deadDiscovered: cov.deadDiscovered, deadTotal: cov.deadTotal,
    coverageLive: cov.coverageLive, coverageDead: cov.coverageDead,
    recordsReceived: crawler.counters.recordsReceived, duplicateRecords: crawler.counters.duplicateRecords,
    elapsedMs: summary.elapsedMs, liveTimesMs: times,
  };
}
