// Timers longer than setTimeout allows.

/** setTimeout's limit: a longer delay fires after 1 ms (Node only warns, TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer { clear(): void }

/** Calls fn once after `ms`, however long, by chaining timers of at most `maxStepMs`. */
export function setLongTimeout(fn: () => void, ms: number, maxStepMs = MAX_TIMER_MS): LongTimer {
  let left = ms;
  let t: NodeJS.Timeout;
  const arm = () => {
    const step = Math.min(left, maxStepMs);
    t = setTimeout(() => {
      left -= step;
      if (left > 0) arm(); else fn();
    }, step);
  };
  arm();
  return { clear: () => clearTimeout(t) };
}
