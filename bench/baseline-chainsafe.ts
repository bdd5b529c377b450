/**
 * The baseline of the headline benchmark: a crawler built only on @chainsafe/discv5's public API
 * (a breadth-first `sendFindNode` loop with a concurrency setting), i.e. what a TypeScript user
 * would write today without dhtscope. The crawl runs in its own process (bench/baseline-child.ts)
 * so its CPU, RSS and event-loop figures are its own.
 *
 * Fairness notes (details in baseline-child.ts): chainsafe uses pure-JS secp256k1, so handshakes
 * and the signature check of every received record cost milliseconds of CPU each; its default
 * request timeout is 1 s with no retransmission; it accepts at most 5 NODES packets per reply.
 * Its background traffic is switched off as far as its config allows (no periodic lookups exist in
 * v11, `enrUpdate: false`, `pingInterval` at the timer maximum).
 *
 *   const r = await runBaselineCrawl({ bootnodes: truth.bootnodes, concurrency: 64 });
 *   const t99 = timeToFraction(r, truth.live.map((n) => n.nodeId), 0.99);
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BaselineChildResult, BaselineConfig } from './baseline-child.js';

export interface BaselineOptions {
  /** ENR texts to start from. */
  bootnodes: string[];
  /** FINDNODE requests in flight at once. */
  concurrency: number;
  /** chainsafe `requestTimeout` in ms (default: chainsafe's 1,000). */
  timeoutMs?: number;
  /** 'prefix' (default): one distance rotating 256..241 across requests; 'all': [256, 255, 254]. */
  distances?: 'prefix' | 'all';
  /** Crawl time limit (default 10 min); the child is killed 30 s after it. */
  maxDurationMs?: number;
}

export interface BaselineResult extends BaselineChildResult {
  concurrency: number;
  distances: 'prefix' | 'all';
}

const CHILD = fileURLToPath(new URL('./baseline-child.js', import.meta.url));
const DEFAULT_MAX_DURATION_MS = 600_000;
/** Allowance for chainsafe start-up, stop and sending the result back. */
const KILL_GRACE_MS = 30_000;

type ChildReply = { ok: true; result: BaselineChildResult } | { ok: false; error: string };

/** Runs one baseline crawl in a fresh child process and returns its measurements. */
export function runBaselineCrawl(opts: BaselineOptions): Promise<BaselineResult> {
  const cfg: BaselineConfig = {
    bootnodes: opts.bootnodes,
    concurrency: Math.max(1, Math.floor(opts.concurrency)),
    distances: opts.distances ?? 'prefix',
    maxDurationMs: opts.maxDurationMs ?? DEFAULT_MAX_DURATION_MS,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  };
  return new Promise<BaselineResult>((resolve, reject) => {
    const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    let settled = false;
    const done = (err: Error | null, r?: BaselineChildResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      if (err) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(err);
      } else {
        resolve({ ...r!, concurrency: cfg.concurrency, distances: cfg.distances });
      }
    };
    const killer = setTimeout(() => {
      done(new Error(`baseline crawl did not report within ${cfg.maxDurationMs + KILL_GRACE_MS} ms`));
    }, cfg.maxDurationMs + KILL_GRACE_MS);
    child.once('message', (m: ChildReply) => {
      if (m.ok) done(null, m.result);
      else done(new Error(`baseline child failed: ${m.error}`));
    });
    child.once('error', (e) => done(e));
    child.once('exit', (code, signal) => done(new Error(`baseline child exited (${signal ?? code}) without a result`)));
    child.send(cfg);
  });
}

/**
 * Milliseconds until `fraction` of `liveNodeIds` had answered a FINDNODE, or null if never.
 * Node IDs compare as lowercase hex without 0x.
 */
export function timeToFraction(r: Pick<BaselineResult, 'measured'>, liveNodeIds: Iterable<string>, fraction: number): number | null {
  const live = new Set<string>();
  for (const id of liveNodeIds) live.add(id.toLowerCase().replace(/^0x/, ''));
  const need = Math.ceil(live.size * fraction);
  if (need === 0) return 0;
  const times = r.measured.filter(([id]) => live.has(id)).map(([, t]) => t).sort((a, b) => a - b);
  return times.length >= need ? times[need - 1]! : null;
}

/** Share of `liveNodeIds` that had answered by `atMs` into the crawl. */
export function coverageAt(r: Pick<BaselineResult, 'measured'>, liveNodeIds: Iterable<string>, atMs: number): number {
  const live = new Set<string>();
  for (const id of liveNodeIds) live.add(id.toLowerCase().replace(/^0x/, ''));
  if (live.size === 0) return 1;
  let n = 0;
  for (const [id, t] of r.measured) if (t <= atMs && live.has(id)) n++;
  return n / live.size;
}

/** Live nodes (of `liveNodeIds`) that answered. */
export function measuredLive(r: Pick<BaselineResult, 'measured'>, liveNodeIds: Iterable<string>): number {
  const live = new Set<string>();
  for (const id of liveNodeIds) live.add(id.toLowerCase().replace(/^0x/, ''));
  let n = 0;
  for (const [id] of r.measured) if (live.has(id)) n++;
  return n;
}

export interface TuneRun { concurrency: number; result: BaselineResult; measuredLive: number; t99Ms: number | null }
export interface TuneResult { best: TuneRun; runs: TuneRun[] }

/**
 * Runs the baseline once per concurrency (sequentially) and returns the best run: the fastest to
 * 99% of live nodes, or, if no run gets there, the one that measured the most nodes (ties: faster
 * crawl). Pass `liveNodeIds` (e.g. a simnet truth's live IDs) to judge against ground truth;
 * without it, 99% refers to the largest measured count of any run.
 */
export async function tune(opts: Omit<BaselineOptions, 'concurrency'> & { concurrencies: number[]; liveNodeIds?: Iterable<string>; onRun?: (run: TuneRun) => void }): Promise<TuneResult> {
  if (opts.concurrencies.length === 0) throw new Error('tune: no concurrencies given');
  const { concurrencies, liveNodeIds, onRun, ...base } = opts;
  const truthIds = liveNodeIds ? [...liveNodeIds] : undefined;
  const results: BaselineResult[] = [];
  for (const concurrency of concurrencies) {
    const result = await runBaselineCrawl({ ...base, concurrency });
    results.push(result);
    onRun?.({
      concurrency, result,
      measuredLive: truthIds ? measuredLive(result, truthIds) : result.measured.length,
      t99Ms: truthIds ? timeToFraction(result, truthIds, 0.99) : null,
    });
  }
  // Without ground truth, the reference set is every node any run measured.
  const reference = truthIds ?? [...new Set(results.flatMap((r) => r.measured.map(([id]) => id)))];
  const runs: TuneRun[] = results.map((result) => ({
    concurrency: result.concurrency, result,
    measuredLive: measuredLive(result, reference),
    t99Ms: timeToFraction(result, reference, 0.99),
  }));
  const better = (a: TuneRun, b: TuneRun): boolean => {
    if (a.t99Ms !== null || b.t99Ms !== null) {
      if (a.t99Ms === null) return false;
      if (b.t99Ms === null) return true;
      return a.t99Ms < b.t99Ms;
    }
    if (a.measuredLive !== b.measuredLive) return a.measuredLive > b.measuredLive;
    return a.result.elapsedMs < b.result.elapsedMs;
  };
  let best = runs[0]!;
  for (const r of runs) if (better(r, best)) best = r;
  return { best, runs };
}
