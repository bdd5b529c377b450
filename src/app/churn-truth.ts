// What a churning simnet's script says a campaign should measure, with the same definitions as
// campaign-stats.ts: events in a window, and session lengths (Kaplan–Meier, censored at the data's end).
import type { TruthChurn } from '../simnet/simnet.js';
import { kaplanMeier, survivalQuantile } from '../monitor/survival.js';

export interface ChurnTruthStats {
  /** Sessions that started in [fromMs, toMs): returns and joins. */
  entered: number;
  /** Of them, joins of new nodes. */
  joined: number;
  /** Sessions that ended in [fromMs, toMs): downs and final leaves. */
  left: number;
  /** Sessions starting at or after fromMs, ended by endMs or censored there. */
  sessions: { n: number; ended: number; medianMs: number | null };
}

/** All times unix ms; the script's event times count from churn.startedAtMs. */
export function churnTruthStats(churn: TruthChurn, fromMs: number, toMs: number, endMs: number): ChurnTruthStats {
  let entered = 0, joined = 0, left = 0;
  const openSince = new Map<string, number>();
  const dur: number[] = [], ended: boolean[] = [];
  for (const e of churn.events) {
    const t = churn.startedAtMs + e.tMs;
    if (t > endMs) break;
    const up = e.kind === 'up' || e.kind === 'join';
    if (t >= fromMs && t < toMs) { if (up) entered++; else left++; if (e.kind === 'join') joined++; }
    if (up) openSince.set(e.nodeId, t);
    else {
      const s = openSince.get(e.nodeId);
      openSince.delete(e.nodeId);
      if (s !== undefined && s >= fromMs) { dur.push(t - s); ended.push(true); }
    }
  }
  for (const s of openSince.values()) if (s >= fromMs) { dur.push(endMs - s); ended.push(false); }
  const km = kaplanMeier(dur, ended);
  return { entered, joined, left, sessions: { n: dur.length, ended: ended.filter(Boolean).length, medianMs: survivalQuantile(km, 0.5) } };
}
