import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatHelp, parseArgs, type FlagSpecs } from './args.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { runCrawlJob } from './crawl-job.js';
import { onSignals } from './crawl.js';
import { compareWithTruth } from './truth-compare.js';
import { SIMNET_FLAGS, simnetOptionsFromFlags } from './simnet.js';
import { version } from './version.js';
import { startSimnet, type Truth } from '../simnet/simnet.js';
import { strategyNames } from '../crawler/strategy.js';
import '../crawler/trie-strategy.js';
import { renderPng, renderSvg, type Series } from '../report/plot.js';
import { toHex } from '../util/bytes.js';
import { DhtscopeError, UsageError } from '../util/errors.js';

export class CompareError extends DhtscopeError {}

const SIM_KEYS = ['nodes', 'dead', 'nat', 'loss', 'rtt', 'mix', 'seed', 'port', 'live-octet'] as const;

const FLAGS: FlagSpecs = {
  strategies: { type: 'string', help: 'comma-separated strategies to compare', default: 'prefix,sweep,random,trie', valueName: 'list' },
  runs: { type: 'int', help: 'crawls per strategy (the order rotates every run)', default: 3, min: 1, max: 100 },
  rate: { type: 'number', help: 'crawl rate limit, requests/s', default: 1000, min: 1 },
  out: { type: 'string', help: 'output folder: compare.duckdb, curves.csv, curves.png, curves.svg (overwritten)', default: './compare-out', valueName: 'dir' },
  ...Object.fromEntries(SIM_KEYS.map((k) => [k, SIMNET_FLAGS[k]!])),
  nodes: { ...SIMNET_FLAGS.nodes!, default: 5000 },
  dead: { ...SIMNET_FLAGS.dead!, default: 7500 },
};

export const COMPARE_HELP = formatHelp('dhtscope compare [--strategies LIST] [--nodes N] [--dead N] [--runs N] [--seed S] [options]',
  'Starts one local simnet (shard processes as needed) and crawls it with each strategy in turn, every crawl\n' +
  'with a fresh identity and an empty record set, the order rotated run by run so drift favours none.\n' +
  'Every crawl goes into <out>/compare.duckdb (crawls.strategy names it). Prints, per strategy, the median\n' +
  '(min-max) time to 50/90/99% of live nodes measured, requests and bytes per live node, live and dead\n' +
  'coverage and the duplicate-record ratio; writes the discovery curves as CSV, PNG and SVG.', FLAGS);

/** One crawl of the comparison. */
export interface CompareRun {
  strategy: string;
  run: number;
  /** Position in this run's order (0 = first). */
  slot: number;
  crawlId: number | null;
  t50Ms: number | null; t90Ms: number | null; t99Ms: number | null;
  requests: number;
  bytes: number;
  liveMeasured: number;
  liveTotal: number;
  deadDiscovered: number;
  deadTotal: number;
  coverageLive: number;
  coverageDead: number;
  recordsReceived: number;
  duplicateRecords: number;
  elapsedMs: number;
  /** Sorted ms since crawl start at which each measured live node was first measured. */
  liveTimesMs: number[];
}

export interface StrategyResult {
  strategy: string;
  runs: number;
  t50Ms: number | null; t90Ms: number | null; t99Ms: number | null;
  t50MsRange: [number | null, number | null]; t90MsRange: [number | null, number | null]; t99MsRange: [number | null, number | null];
  requestsPerLiveNode: number;
  bytesPerLiveNode: number;
  coverageLive: number;
  coverageDead: number;
  duplicateRatio: number;
  requests: number;
  elapsedMs: number;
}

/** Strategy order of run `r` (0-based): the list rotated by r, so each strategy takes each slot in turn. */
export function runOrder(strategies: string[], r: number): string[] {
  const k = r % strategies.length;
  return [...strategies.slice(k), ...strategies.slice(0, k)];
}

/** Median of numbers where null means "never reached" (sorts last); null if the median is unreached. */
export function medianOf(xs: Array<number | null>): number | null {
  if (xs.length === 0) return null;
  const v = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const m = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return Number.isFinite(m) ? m : null;
}

function rangeOf(xs: Array<number | null>): [number | null, number | null] {
  const ok = xs.filter((x): x is number => x !== null);
  return [ok.length ? Math.min(...ok) : null, ok.length === xs.length && ok.length ? Math.max(...ok) : null];
}

export function summarise(strategy: string, runs: CompareRun[]): StrategyResult {
  const med = (f: (r: CompareRun) => number) => medianOf(runs.map(f)) ?? 0;
  const t = (k: 't50Ms' | 't90Ms' | 't99Ms') => medianOf(runs.map((r) => r[k]));
  const rm = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    strategy, runs: runs.length,
    t50Ms: rm(t('t50Ms')), t90Ms: rm(t('t90Ms')), t99Ms: rm(t('t99Ms')),
    t50MsRange: rangeOf(runs.map((r) => r.t50Ms)), t90MsRange: rangeOf(runs.map((r) => r.t90Ms)), t99MsRange: rangeOf(runs.map((r) => r.t99Ms)),
    requestsPerLiveNode: round3(med((r) => r.requests / Math.max(1, r.liveMeasured))),
    bytesPerLiveNode: Math.round(med((r) => r.bytes / Math.max(1, r.liveMeasured))),
    coverageLive: round4(med((r) => r.coverageLive)),
    coverageDead: round4(med((r) => r.coverageDead)),
    duplicateRatio: round4(med((r) => r.duplicateRecords / Math.max(1, r.recordsReceived))),
    requests: Math.round(med((r) => r.requests)),
    elapsedMs: Math.round(med((r) => r.elapsedMs)),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round4 = (x: number) => Math.round(x * 10000) / 10000;

/** The run whose t99 (then final count) is the median of a strategy's runs: the one plotted. */
export function medianRun(runs: CompareRun[]): CompareRun {
  const key = (r: CompareRun) => (r.t99Ms ?? Infinity);
  const s = [...runs].sort((a, b) => key(a) - key(b) || b.liveMeasured - a.liveMeasured || a.run - b.run);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Curve points (ms, live measured): about `max` steps plus the first and the last. */
export function curvePoints(timesMs: number[], max = 400): Array<[number, number]> {
  const pts: Array<[number, number]> = [[0, 0]];
  const step = Math.max(1, Math.floor(timesMs.length / max));
  for (let i = 0; i < timesMs.length; i++) {
    const k = i + 1;
    if (k % step === 0 || k === timesMs.length) pts.push([Math.round(timesMs[i]!), k]);
  }
  return pts;
}

function fmtS(ms: number | null): string { return ms === null ? 'n/r' : (ms / 1000).toFixed(1); }

/** The human table: one row per strategy. */
export function formatTable(results: StrategyResult[], liveTotal: number, deadTotal: number): string {
  const head = ['strategy', 'runs', 't50 s', 't90 s', 't99 s', 'req/live', 'bytes/live', 'live cov', 'dead cov', 'dup ratio'];
  const rows = results.map((r) => {
    const t = (m: number | null, g: [number | null, number | null]) => `${fmtS(m)} (${fmtS(g[0])}-${fmtS(g[1])})`;
    return [r.strategy, String(r.runs), t(r.t50Ms, r.t50MsRange), t(r.t90Ms, r.t90MsRange), t(r.t99Ms, r.t99MsRange),
      r.requestsPerLiveNode.toFixed(2), String(r.bytesPerLiveNode), `${(r.coverageLive * 100).toFixed(2)}%`,
      `${(r.coverageDead * 100).toFixed(2)}%`, r.duplicateRatio.toFixed(3)];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [
    `median (min-max) over runs; times to 50/90/99% of ${liveTotal} live nodes measured; n/r = not reached; ${deadTotal} dead records`,
    line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line),
  ].join('\n');
}

export function parseStrategies(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new UsageError('ERR_USAGE_BAD_STRATEGY', '--strategies needs at least one strategy');
  const known = strategyNames();
  for (const s of list) {
    if (!known.includes(s)) throw new UsageError('ERR_USAGE_BAD_STRATEGY', `unknown strategy "${s}" (known: ${known.join(', ')})`);
  }
  const dup = list.find((s, i) => list.indexOf(s) !== i);
  if (dup) throw new UsageError('ERR_USAGE_BAD_STRATEGY', `strategy "${dup}" is listed twice`);
  return list;
}

export async function runCompare(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, FLAGS);
  if (flags.help) { io.out(COMPARE_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const strategies = parseStrategies(flags.strategies as string);
  const runs = flags.runs as number;
  const rate = flags.rate as number;
  const simOpts = { ...simnetOptionsFromFlags(flags), shards: 'auto' as const };
  const outDir = resolve(flags.out as string);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new UsageError('ERR_USAGE_BAD_OUT', `--out ${outDir} exists and is not a folder`);
  try { mkdirSync(outDir, { recursive: true }); } catch (e) {
    throw new UsageError('ERR_USAGE_BAD_OUT', `cannot create --out ${outDir}: ${(e as Error).message}`);
  }
  const dbPath = join(outDir, 'compare.duckdb');
  for (const f of [dbPath, dbPath + '.wal']) rmSync(f, { force: true });
  const log = (l: string) => io.err(`compare: ${l}`);

  log(`starting simnet: ${simOpts.nodes} live nodes, ${simOpts.dead} dead records, seed ${simOpts.seed}...`);
  const net = await startSimnet(simOpts);
  const truth = net.truth;
  const liveIds = new Set(truth.live.map((l) => l.nodeId));
  const all: CompareRun[] = [];
  let interrupted = false;
  let stopCurrent: (() => void) | null = null;
  const off = onSignals(() => { interrupted = true; stopCurrent?.(); });
  try {
    log(`simnet ready in ${(truth.startupMs / 1000).toFixed(1)} s (${truth.live.length} live, ${truth.dead.length} dead, ${truth.nat.length} NAT'd); ` +
      `${runs} run(s) x ${strategies.length} strategies at ${rate} req/s into ${dbPath}`);
    outer: for (let r = 0; r < runs; r++) {
      const order = runOrder(strategies, r);
      for (let slot = 0; slot < order.length; slot++) {
        if (interrupted) break outer;
        const strategy = order[slot]!;
        let lastLog = performance.now();
        const { summary, crawler } = await runCrawlJob({
          config: { strategy, ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)), bindAddress: '127.0.0.1' },
          bootnodes: truth.bootnodes.slice(0, 1), dbPath, keyFile: null, freshIdentity: true, version: version(),
          extraParams: { compare: { run: r + 1, slot, order, strategies }, simnet: truth.params },
          onStart: (stop) => { stopCurrent = stop; },
          onProgress: (s, rps) => {
            const now = performance.now();
            if (now - lastLog < 5000) return;
            lastLog = now;
            log(`  ${strategy} run ${r + 1}: ${(s.tMs / 1000).toFixed(0)} s, ${s.records} known, ${s.measured} measured, ${Math.round(rps)} req/s`);
          },
        });
        stopCurrent = null;
        if (summary.stopped) break outer;
        const run = measure(strategy, r + 1, slot, summary.crawlId, crawler, truth, liveIds, summary);
        all.push(run);
        log(`run ${r + 1}/${runs} ${strategy}: ${run.liveMeasured}/${run.liveTotal} live in ${(run.elapsedMs / 1000).toFixed(1)} s ` +
          `(t99 ${fmtS(run.t99Ms)} s), ${run.requests} requests, dead ${run.deadDiscovered}/${run.deadTotal}`);
      }
    }
  } finally {
    off();
    await net.stop();
  }
  if (interrupted || all.length < runs * strategies.length) {
    if (all.length === 0) throw new CompareError('ERR_COMPARE_INTERRUPTED', 'interrupted before any crawl finished');
    log(`interrupted: reporting the ${all.length} finished crawl(s)`);
  }

  const results = strategies.map((s) => all.filter((r) => r.strategy === s)).filter((rs) => rs.length > 0).map((rs) => summarise(rs[0]!.strategy, rs));
  const files = writeOutputs(outDir, strategies, all, truth, rate);
  if (flags.json) for (const r of results) io.out(toJson(r));
  else io.out(formatTable(results, truth.live.length, truth.dead.length));
  log(`wrote ${files.join(', ')} and ${dbPath}`);
  return interrupted ? 130 : 0;
}

function measure(
  strategy: string, run: number, slot: number, crawlId: number | null,
  crawler: Awaited<ReturnType<typeof runCrawlJob>>['crawler'], truth: Truth, liveIds: Set<string>,
  summary: Awaited<ReturnType<typeof runCrawlJob>>['summary'],
): CompareRun {
  const cov = compareWithTruth(crawler, truth);
  const times: number[] = [];
  for (const n of crawler.allNodes()) if (n.measuredAtMs >= 0 && liveIds.has(toHex(n.id))) times.push(n.measuredAtMs);
  times.sort((a, b) => a - b);
  return {
    strategy, run, slot, crawlId, t50Ms: cov.t50Ms, t90Ms: cov.t90Ms, t99Ms: cov.t99Ms,
    requests: summary.requests, bytes: summary.bytesIn + summary.bytesOut,
    liveMeasured: cov.liveMeasured, liveTotal: cov.liveTotal, deadDiscovered: cov.deadDiscovered, deadTotal: cov.deadTotal,
    coverageLive: cov.coverageLive, coverageDead: cov.coverageDead,
    recordsReceived: crawler.counters.recordsReceived, duplicateRecords: crawler.counters.duplicateRecords,
    elapsedMs: summary.elapsedMs, liveTimesMs: times,
  };
}

/** curves.csv (every run), curves.svg and curves.png (each strategy's median run). */
function writeOutputs(outDir: string, strategies: string[], all: CompareRun[], truth: Truth, rate: number): string[] {
  const csv: string[] = ['strategy,run,t_ms,live_measured'];
  for (const r of all) for (const [t, k] of curvePoints(r.liveTimesMs)) csv.push(`${r.strategy},${r.run},${t},${k}`);
  const series: Series[] = [];
  for (const s of strategies) {
    const rs = all.filter((r) => r.strategy === s);
    if (rs.length === 0) continue;
    const m = medianRun(rs);
    series.push({ name: `${s} (run ${m.run})`, points: curvePoints(m.liveTimesMs).map(([t, k]) => [t / 1000, k]) });
  }
  const L = truth.live.length;
  const chart = {
    title: `discovery: live nodes measured (${L} live, ${truth.dead.length} dead, ${rate} req/s)`,
    xLabel: 'time since crawl start (s)', yLabel: 'live nodes measured', series,
    hLines: [0.5, 0.9, 0.99].map((q) => ({ y: Math.ceil(q * L), label: `${q * 100}%` })),
  };
  const files = { csv: join(outDir, 'curves.csv'), svg: join(outDir, 'curves.svg'), png: join(outDir, 'curves.png') };
  writeFileSync(files.csv, csv.join('\n') + '\n');
  writeFileSync(files.svg, renderSvg(chart));
  writeFileSync(files.png, renderPng(chart));
  return [files.csv, files.svg, files.png];
}
