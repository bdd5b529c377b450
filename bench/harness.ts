import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Truth } from '../src/simnet/simnet.js';
import { runCrawlJob, type CrawlSummary } from '../src/app/crawl-job.js';
import { LATENESS_SIGNAL, type SimnetLateness } from '../src/simnet/lateness.js';

const BIN = fileURLToPath(new URL('../../bin/dhtscope.js', import.meta.url));

export interface SimnetProcess {
  truth: Truth; truthFile: string;
  /** Where the simnet writes its reply lateness on LATENESS_SIGNAL (see readSimnetLateness). */
  latenessFile: string;
  child: ChildProcess; stop(): Promise<void>;
}

/** Runs `dhtscope simnet` in its own process tree and waits for its truth file (= ready). */
export async function spawnSimnet(args: string[], readyTimeoutMs = 600_000): Promise<SimnetProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-'));
  const truthFile = join(dir, 'truth.json');
  const latenessFile = join(dir, 'lateness.json');
  // BENCH_SIMNET_NODE_ARGS adds node flags to the simnet and (through fork's execArgv) its shards, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SIMNET_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'simnet', '--truth', truthFile, '--lateness', latenessFile, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = Date.now();
  while (!existsSync(truthFile)) {
    if (child.exitCode !== null) throw new Error(`simnet exited with ${child.exitCode}`);
    if (Date.now() - t0 > readyTimeoutMs) { child.kill('SIGKILL'); throw new Error('simnet did not become ready'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Truth;
  return {
    truth, truthFile, latenessFile, child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }),
  };
}

/** A simnet of 250k nodes writes its lateness (tens of MB of JSON) in seconds; longer means it is not coming. */
const LATENESS_TIMEOUT_MS = 60_000;
const POLL_MS = 50;

/**
 * Asks a running simnet (by pid: a benchmark's crawl child holds no handle) for its reply lateness so far and
 * reads it. Benchmark-only: it signals the process and waits for the file to appear.
 */
export async function readSimnetLateness(pid: number, file: string, timeoutMs = LATENESS_TIMEOUT_MS): Promise<SimnetLateness> {
  rmSync(file, { force: true });
  process.kill(pid, LATENESS_SIGNAL);
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`simnet ${pid} wrote no lateness file in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return JSON.parse(readFileSync(file, 'utf8')) as SimnetLateness;
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

/** Starts a simnet of `nodes` live + `dead` records, crawls it once into `db` (fresh identity), stops the simnet. */
export async function crawlSimnetInto(db: string, o: { nodes: number; dead: number; port: number; ratePerSec: number; threads: number }, log: (s: string) => void): Promise<CrawlSummary> {
  log(`starting simnet: ${o.nodes} live + ${o.dead} dead`);
  const sim = await spawnSimnet(['--nodes', String(o.nodes), '--dead', String(o.dead), '--port', String(o.port)]);
  try {
    const { summary } = await runCrawlJob({
      config: { bindAddress: '127.0.0.1', ratePerSec: o.ratePerSec, threads: o.threads },
      bootnodes: sim.truth.bootnodes.slice(0, 1), dbPath: db, keyFile: null, freshIdentity: true, version: 'bench',
    });
    log(`crawled: ${summary.measured} measured, ${summary.failed} failed in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
    return summary;
  } finally {
    await sim.stop();
  }
}
