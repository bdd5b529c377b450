// Locates and loads native/dhtscope.node. Never throws: a missing, stale or
// broken addon yields a reason string and callers fall back to TypeScript.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native-trie.js';

const PACKAGE_NAME = 'dhtscope';
/** Relative to the package root; written by scripts/build-native.js. */
const ADDON_PATH = join('native', 'dhtscope.node');
/** Set to "0" to force the TypeScript fallback. */
export const NATIVE_ENV = 'DHTSCOPE_NATIVE';

export type AddonLoad =
  | { ok: true; addon: NativeAddon; path: string }
  | { ok: false; forced: boolean; reason: string };

/**
 * Walks up from this file to the package.json named "dhtscope". Works from
 * src/native (ts runners) and dist/src/native (compiled) alike.
 */
export function findPackageRoot(start: string = dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // unreadable package.json: keep walking
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

function isAddon(x: unknown): x is NativeAddon {
  const a = x as Partial<NativeAddon> | null;
  return typeof a?.createTrie === 'function' && typeof a.noop === 'function';
}

let cached: AddonLoad | undefined;

/** Loads the addon once per module instance; the result (success or reason) is cached. */
export function loadNativeAddon(): AddonLoad {
  if (cached) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): AddonLoad {
  if (process.env[NATIVE_ENV] === '0') {
    return { ok: false, forced: true, reason: `forced by ${NATIVE_ENV}=0` };
  }
  const root = findPackageRoot();
  if (!root) return { ok: false, forced: false, reason: `package root (${PACKAGE_NAME}) not found` };
  const path = join(root, ADDON_PATH);
  if (!existsSync(path)) return { ok: false, forced: false, reason: `${path} not built (run npm run build:native)` };
  try {
    const addon: unknown = createRequire(import.meta.url)(path);
    // A stub or older build loads fine but lacks the trie.
    if (!isAddon(addon)) return { ok: false, forced: false, reason: `${path} lacks createTrie/noop exports (stale build?)` };
    return { ok: true, addon, path };
  } catch (e) {
    return { ok: false, forced: false, reason: `failed to load ${path}: ${(e as Error).message}` };
  }
}
