// A full garbage collection on request, for a long-running process that has just dropped a large structure (a
// monitor's finished crawl). Without one V8 keeps that garbage until the heap grows into the limit it set at its
// peak, so the next crawl would be built on top of the last one's remains.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** Runs a full, blocking GC; false where the runtime offers none. */
export function fullGc(): boolean {
  if (gcFn === undefined) {
    gcFn = (globalThis as { gc?: () => void }).gc ?? null;
    if (!gcFn) {
      // --expose-gc applies to contexts created after it is set: a new context's global `gc` collects the whole heap.
      try { setFlagsFromString('--expose-gc'); gcFn = runInNewContext('gc') as () => void; } catch { gcFn = null; }
      if (typeof gcFn !== 'function') gcFn = null;
    }
  }
  gcFn?.();
  return gcFn !== null;
}
