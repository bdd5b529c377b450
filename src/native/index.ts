// Public entry for the node-ID trie: native Rust addon when available,
// TypeScript fallback otherwise (same IdTrie semantics either way).
import { loadNativeAddon } from './addon.js';
import { JsIdTrie } from './js-trie.js';
import { NativeIdTrie } from './native-trie.js';
import type { IdTrie } from './types.js';

export { TrieError, TrieErrorCode } from './errors.js';
export type { IdTrie, TrieHole } from './types.js';
export { DEFAULT_MIN_DISTANCE, ID_BITS, ID_BYTES, MAX_HIST_DEPTH } from './types.js';
export { JsIdTrie } from './js-trie.js';
export { NativeIdTrie } from './native-trie.js';
export { loadNativeAddon, NATIVE_ENV } from './addon.js';

/**
 * Gives the C heap's free pages back to the OS (glibc's malloc_trim, through the addon). glibc on its own only
 * returns the top of its heap, so memory a long-running process freed in the middle stays resident. False
 * without the addon or glibc.
 */
export function trimNativeHeap(): boolean {
  const load = loadNativeAddon();
  return load.ok && typeof load.addon.trimMalloc === 'function' ? load.addon.trimMalloc() : false;
}

export type TrieBackend = 'native' | 'js';

// A global symbol, not a module variable, so that two copies of this module
// (e.g. src and dist in one process) still warn only once.
const WARNED = Symbol.for('dhtscope.native.fallbackWarned');

function warnOnce(message: string): void {
  const g = globalThis as { [WARNED]?: boolean };
  if (g[WARNED]) return;
  g[WARNED] = true;
  process.stderr.write(`${message}\n`);
}

/** Which backend createIdTrie() uses. Emits one stderr line per process on fallback. */
export function trieBackend(): TrieBackend {
  const load = loadNativeAddon();
  if (load.ok) return 'native';
  warnOnce(
    load.forced
      ? `dhtscope: native trie disabled (${load.reason}); using TypeScript fallback`
      : `dhtscope: warning: native trie unavailable (${load.reason}); using slower TypeScript fallback`,
  );
  return 'js';
}

/** A new, empty IdTrie on the best available backend. */
export function createIdTrie(): IdTrie {
  const load = loadNativeAddon();
  return trieBackend() === 'native' && load.ok ? new NativeIdTrie(load.addon) : new JsIdTrie();
}
