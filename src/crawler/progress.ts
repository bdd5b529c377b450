// The crawler's progress series in memory: bounded for week-long crawls.
/**
 * Samples kept in memory at most: a day at the default 100 ms is 864,000 of them (~100 MB); 20,000 keep a curve
 * of a week-long crawl at a point every 30 s or better, and a 30-minute crawl whole.
 */
export const MAX_PROGRESS_SAMPLES = 20_000;

/** Halves a sample series in place, keeping the first, every other one, and the latest. */
export function thinSamples<T>(xs: T[]): void {
  const last = xs[xs.length - 1]!;
  let j = 0;
  for (let i = 0; i < xs.length; i += 2) xs[j++] = xs[i]!;
  xs.length = j;
  if (xs[j - 1] !== last) xs.push(last);
}
