// Session-length statistics: the Kaplan–Meier survival estimate (open sessions are right-censored) and the
// quantiles both it and the naive closed-only distribution give.

export interface SurvivalStep {
  /** Duration (the unit of the input). */
  t: number;
  /** S(t): share of sessions still up after t. */
  survival: number;
  atRisk: number;
  events: number;
  censored: number;
}

/**
 * Kaplan–Meier over (duration, ended) pairs: at each distinct duration with an end, S *= 1 - ends/at-risk. A
 * censored session leaves the risk set after its duration. Ties: ends count before censorings at one time.
 */
export function kaplanMeier(durations: readonly number[], ended: readonly boolean[]): SurvivalStep[] {
  const order = durations.map((_, i) => i).sort((a, b) => durations[a]! - durations[b]! || Number(ended[b]) - Number(ended[a]));
  const out: SurvivalStep[] = [];
  let atRisk = durations.length, s = 1;
  for (let k = 0; k < order.length;) {
    const t = durations[order[k]!]!;
    let d = 0, c = 0;
    while (k < order.length && durations[order[k]!] === t) { if (ended[order[k]!]) d++; else c++; k++; }
    if (d > 0) { s *= 1 - d / atRisk; out.push({ t, survival: s, atRisk, events: d, censored: c }); }
    else if (out.length > 0) out[out.length - 1]!.censored += c;
    atRisk -= d + c;
  }
  return out;
}

/** Smallest t with S(t) <= 1 - q (q = 0.5: the median); null when the curve never falls that far. */
export function survivalQuantile(steps: readonly SurvivalStep[], q: number): number | null {
  for (const st of steps) if (st.survival <= 1 - q + 1e-12) return st.t;
  return null;
}

/** Linear-interpolated quantile of a sample (q in [0, 1]); null for an empty one. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
