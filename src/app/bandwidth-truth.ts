// Dispersion rate against a simnet's truth: how far each measured node's reply-train rate is from the link
// rate the simnet paced its replies with, by the length of the longest train the estimate used.
import type { TruthNode } from '../simnet/simnet.js';

/** The train-length classes reported: 2, 3 and 4 packets, then 5 and more. */
export const TRAIN_CLASSES = ['2', '3', '4', '5+'] as const;
export type TrainClass = typeof TRAIN_CLASSES[number];

/**
 * Truth-rate bands (Mbit/s, lower bounds) for trains of 3+ packets: where a rate's spacing (1,000 bytes take
 * 1.6 ms at 5 Mbit/s, 16 µs at 500) falls against the simnet's 1 ms delay wheel.
 */
export const RATE_BANDS_MBPS = [0, 10, 50, 200] as const;

/** Within this relative error an estimate counts as close (issue 17's ±20%). */
export const CLOSE_RELATIVE_ERROR = 0.2;

export interface DispersionErrorStats {
  /** Nodes with an estimate and a truth rate. */
  n: number;
  /** Nodes whose trains arrived without spread (no estimate); not in n. */
  unresolved: number;
  /** Median of |estimate / truth − 1|; null when n is 0. */
  medianAbsRelError: number | null;
  /** Share of the n within ±CLOSE_RELATIVE_ERROR; null when n is 0. */
  withinClose: number | null;
  /** Median of estimate / truth: above 1 the estimates run high; null when n is 0. */
  medianRatio: number | null;
}

export interface DispersionTruthReport {
  all: DispersionErrorStats;
  /** Trains of 3+ packets (the estimates not flagged low-confidence for length). */
  threePlus: DispersionErrorStats;
  byTrain: Record<TrainClass, DispersionErrorStats>;
  /** Trains of 3+ packets by the truth's rate: key `LOW-HIGH` Mbit/s (`LOW+` for the last band). */
  threePlusByRate: Record<string, DispersionErrorStats>;
}

/** One node's estimate as the visits table holds it. */
export interface MeasuredDispersion { nodeId: string; mbps: number | null; trainPackets: number }

/** Report resolution: 4 decimals. */
const ROUND = 1e4;
const round = (x: number) => Math.round(x * ROUND) / ROUND;

const classOf = (packets: number): TrainClass => (packets >= 5 ? '5+' : String(packets) as TrainClass);

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

function stats(ratios: number[], unresolved: number): DispersionErrorStats {
  const errs = ratios.map((r) => Math.abs(r - 1)).sort((a, b) => a - b);
  const med = median(errs), ratio = median([...ratios].sort((a, b) => a - b));
  const close = errs.filter((e) => e <= CLOSE_RELATIVE_ERROR).length;
  return {
    n: ratios.length, unresolved, medianAbsRelError: med === null ? null : round(med),
    withinClose: ratios.length === 0 ? null : round(close / ratios.length), medianRatio: ratio === null ? null : round(ratio),
  };
}

/** Compares every estimate (one per node, `trainPackets` >= 2) with the truth's `bandwidthMbps`; nodes without one are skipped. */
export function dispersionTruthError(measured: Iterable<MeasuredDispersion>, live: readonly TruthNode[]): DispersionTruthReport {
  // Bound: the truth's live nodes.
  const truth = new Map<string, number>();
  for (const l of live) if (l.bandwidthMbps !== undefined) truth.set(l.nodeId, l.bandwidthMbps);
  const ratios = new Map<TrainClass, number[]>(TRAIN_CLASSES.map((c) => [c, []]));
  const bands = RATE_BANDS_MBPS.map(() => ({ ratios: [] as number[], unresolved: 0 }));
  const unresolved = new Map<TrainClass, number>(TRAIN_CLASSES.map((c) => [c, 0]));
  for (const m of measured) {
    const t = truth.get(m.nodeId);
    if (t === undefined || m.trainPackets < 2) continue;
    const c = classOf(m.trainPackets);
    if (m.mbps === null) unresolved.set(c, unresolved.get(c)! + 1);
    else ratios.get(c)!.push(m.mbps / t);
    if (c === '2') continue;
    let b = RATE_BANDS_MBPS.length - 1;
    while (b > 0 && t < RATE_BANDS_MBPS[b]!) b--;
    if (m.mbps === null) bands[b]!.unresolved++; else bands[b]!.ratios.push(m.mbps / t);
  }
  const bandName = (b: number) => (b + 1 < RATE_BANDS_MBPS.length ? `${RATE_BANDS_MBPS[b]}-${RATE_BANDS_MBPS[b + 1]}` : `${RATE_BANDS_MBPS[b]}+`);
  const pick = (cs: readonly TrainClass[]) => stats(cs.flatMap((c) => ratios.get(c)!), cs.reduce((a, c) => a + unresolved.get(c)!, 0));
  return {
    all: pick(TRAIN_CLASSES),
    threePlus: pick(['3', '4', '5+']),
    byTrain: Object.fromEntries(TRAIN_CLASSES.map((c) => [c, pick([c])])) as Record<TrainClass, DispersionErrorStats>,
    threePlusByRate: Object.fromEntries(bands.map((x, b) => [bandName(b), stats(x.ratios, x.unresolved)])),
  };
}
