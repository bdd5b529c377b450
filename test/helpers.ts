import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allSecpBackends, type Secp256k1Backend } from '../src/crypto/index.js';

/** Repo root: the nearest folder up from here holding package.json named dhtscope. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(d, 'package.json');
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name === 'dhtscope') return d;
    d = dirname(d);
  }
  throw new Error('repo root not found');
}

/** Spec vectors live in test/fixtures/vectors (DHTSCOPE_VECTORS overrides). */
export function vectorsDir(): string {
  const d = process.env.DHTSCOPE_VECTORS ?? join(repoRoot(), 'test', 'fixtures', 'vectors');
  if (!existsSync(d)) throw new Error(`test vectors not found at ${d}`);
  return d;
}

export function loadVectors<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(vectorsDir(), name), 'utf8')) as T;
}

/** Backends to run each vector suite on; libsecp256k1 must load on linux-x64. */
export function backends(): Secp256k1Backend[] {
  const { libsecp, noble } = allSecpBackends();
  if (!libsecp) throw new Error('libsecp256k1 binding failed to load');
  return [libsecp, noble];
}

/** Deterministic PRNG (xorshift32) so fuzz and property tests replay by seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Decodes a PNG (CRCs and zlib checked) and fails unless it has a real size and more than one colour. */
export function assertPng(buf: Uint8Array, minWidth = 100): { width: number; height: number } {
  const img = PNG.sync.read(Buffer.from(buf));
  assert.ok(img.width >= minWidth && img.height >= 50, `PNG is ${img.width}x${img.height}`);
  const d = img.data;
  let differs = false;
  for (let i = 4; i < d.length && !differs; i += 4) differs = d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2];
  assert.ok(differs, 'PNG is a single colour');
  return { width: img.width, height: img.height };
}

/**
 * Mounts a tmpfs of `sizeMB` on a new folder under `parent`, for tests that fill a disk. Where this host cannot
 * (not root, no mount), returns the reason the caller skips with (t.skip prints it).
 */
export function tryMountTmpfs(parent: string, sizeMB: number): { dir: string; unmount(): void } | { skip: string } {
  if (process.platform !== 'linux') return { skip: `needs a Linux tmpfs (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'needs root to mount a small tmpfs' };
  const dir = mkdtempSync(join(parent, 'tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMB}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n')[0]}` };
  }
  return { dir, unmount: () => { execFileSync('umount', [dir]); rmSync(dir, { recursive: true, force: true }); } };
}

/** Writes to `file` until the filesystem is full. */
export function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

/** The monitor issue's tolerances: entered and left within 5% of the script, the median session within 15% (or one longest probe interval). */
export const CHURN_TOLERANCE = { events: 0.05, medianSession: 0.15 } as const;

/**
 * Asserts a campaign's churn figures over one window against what the script says, within the monitor issue's
 * tolerances; `minEvents`: the script must enter and leave more than this for the test to mean anything.
 * Returns the one-line detail (measured and truth) for a diagnostic.
 */
export function assertChurnMatches(
  s: { all: { windows: { entered: number; left: number }[]; sessionLength: { km: { medianMs: number | null } } } },
  truth: { entered: number; left: number; sessions: { medianMs: number | null } },
  o: { minEvents: number; probeMaxMs: number; events?: number },
): string {
  const w = s.all.windows[0]!;
  const within = (measured: number, expected: number, share: number) => Math.abs(measured - expected) <= share * expected;
  const detail = JSON.stringify({ measured: { entered: w.entered, left: w.left, km: s.all.sessionLength.km }, truth });
  const share = o.events ?? CHURN_TOLERANCE.events;
  assert.ok(truth.entered > o.minEvents && truth.left > o.minEvents, `the script must churn enough to test: ${detail}`);
  assert.ok(within(w.entered, truth.entered, share), `entered: ${detail}`);
  assert.ok(within(w.left, truth.left, share), `left: ${detail}`);
  const med = s.all.sessionLength.km.medianMs, tmed = truth.sessions.medianMs!;
  assert.ok(med !== null && (within(med, tmed, CHURN_TOLERANCE.medianSession) || Math.abs(med - tmed) <= o.probeMaxMs), `median session: ${detail}`);
  return detail;
}
