import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Truth } from '../src/simnet/simnet.js';

const BIN = fileURLToPath(new URL('../../bin/dhtscope.js', import.meta.url));

export interface SimnetProcess { truth: Truth; truthFile: string; child: ChildProcess; stop(): Promise<void> }

/** Runs `dhtscope simnet` in its own process tree and waits for its truth file (= ready). */
export async function spawnSimnet(args: string[], readyTimeoutMs = 600_000): Promise<SimnetProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-'));
  const truthFile = join(dir, 'truth.json');
  // BENCH_SIMNET_NODE_ARGS adds node flags to the simnet and (through fork's execArgv) its shards, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SIMNET_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'simnet', '--truth', truthFile, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = Date.now();
  while (!existsSync(truthFile)) {
    if (child.exitCode !== null) throw new Error(`simnet exited with ${child.exitCode}`);
    if (Date.now() - t0 > readyTimeoutMs) { child.kill('SIGKILL'); throw new Error('simnet did not become ready'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Truth;
  return {
    truth, truthFile, child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }),
  };
}

/** Samples this process's RSS every `ms` and keeps the peak. */
export function rssPeak(ms = 100): { stop(): number; atPeak(): NodeJS.MemoryUsage; peakAtMs(): number } {
  const t0 = performance.now();
  let at = process.memoryUsage();
  let atMs = 0;
  const sample = () => { const m = process.memoryUsage(); if (m.rss > at.rss) { at = m; atMs = performance.now() - t0; } };
  const t = setInterval(sample, ms);
  t.unref();
  return {
    stop() { clearInterval(t); sample(); return at.rss; },
    /** When the peak was sampled, in ms since rssPeak() was called. */
    peakAtMs() { return Math.round(atMs); },
    /** The whole memoryUsage() sample taken at the peak: JS heap, external buffers, and the rest (native: DuckDB). */
    atPeak() { return at; },
  };
}
