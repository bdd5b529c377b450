import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FLAG_MAX, formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { runCrawlJob } from '../app/crawl-job.js';
import { onSignals } from '../app/signals.js';
import { curvePoints, measureRun, medianRun, runOrder, summarise, type CompareRun, type StrategyResult } from '../app/compare-stats.js';
import { SIMNET_FLAGS, simnetOptionsFromFlags } from './simnet.js';
import { version } from './version.js';
import { startSimnet, type Truth } from '../simnet/simnet.js';
import { strategyNames } from '../crawler/strategies.js';
import { lineChart, type Row } from '../report/charts.js';
import { specToSvg, svgToPng } from '../report/render.js';
import { colorScale } from '../report/theme.js';
import { DhtscopeError, UsageError } from '../util/errors.js';

export class CompareError extends DhtscopeError {}

const SIM_KEYS = ['nodes', 'dead', 'nat', 'loss', 'rtt', 'mix', 'seed', 'port', 'live-octet'] as const;

export const COMPARE_FLAGS: FlagSpecs = {
  strategies: { type: 'string', help: 'comma-separated strategies to compare', default: 'adaptive,prefix,sweep,random,trie', valueName: 'list' },
  runs: { type: 'int', help: 'crawls per strategy (the order rotates every run)', default: 3, min: 1, max: 100 },
  rate: { type: 'number', help: 'crawl rate limit, requests/s', default: 1000, min: 1, max: FLAG_MAX.perSec },
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
  'coverage and the duplicate-record ratio; writes the discovery curves as CSV, PNG and SVG.', COMPARE_FLAGS);

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
  const { flags, positional } = parseArgs(argv, COMPARE_FLAGS);
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
  const off = onSignals(() => { interrupted = true; stopCurrent?.(); }, io);
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
        const run = measureRun(strategy, r + 1, slot, summary.crawlId, crawler, truth, liveIds, summary);
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
  const files = await writeOutputs(outDir, strategies, all, truth, rate);
  if (flags.json) for (const r of results) io.out(toJson(r));
  else io.out(formatTable(results, truth.live.length, truth.dead.length));
  log(`wrote ${files.join(', ')} and ${dbPath}`);
  return interrupted ? 130 : 0;
}

/** curves.csv (every run), curves.svg and curves.png (each strategy's median run), drawn as the report's figures are. */
async function writeOutputs(outDir: string, strategies: string[], all: CompareRun[], truth: Truth, rate: number): Promise<string[]> {
  const csv: string[] = ['strategy,run,t_ms,live_measured'];
  for (const r of all) for (const [t, k] of curvePoints(r.liveTimesMs)) csv.push(`${r.strategy},${r.run},${t},${k}`);
  const data: Row[] = [];
  const names: string[] = [];
  for (const s of strategies) {
    const rs = all.filter((r) => r.strategy === s);
    if (rs.length === 0) continue;
    const m = medianRun(rs);
    const name = `${s} (run ${m.run})`;
    names.push(name);
    for (const [t, k] of curvePoints(m.liveTimesMs)) data.push({ strategy: name, t_s: t / 1000, live: k });
  }
  const L = truth.live.length;
  const spec = lineChart({
    title: `discovery: live nodes measured (${L} live, ${truth.dead.length} dead, ${rate} req/s)`,
    data, x: { field: 't_s', title: 'time since crawl start (s)' }, y: { field: 'live', title: 'live nodes measured' },
    series: { field: 'strategy', title: 'strategy (median run)', colors: colorScale(names, strategyNames().map((s) => names.find((n) => n.startsWith(`${s} `)) ?? s)) },
    rules: [0.5, 0.9, 0.99].map((q) => ({ y: Math.ceil(q * L), label: `${q * 100}%` })),
  });
  const files = { csv: join(outDir, 'curves.csv'), svg: join(outDir, 'curves.svg'), png: join(outDir, 'curves.png') };
  writeFileSync(files.csv, csv.join('\n') + '\n');
  const svg = await specToSvg(spec);
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, svgToPng(svg));
  return [files.csv, files.svg, files.png];
}
