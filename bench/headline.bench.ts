// npm run bench:headline — dhtscope multi-threaded vs single-threaded vs a crawler built only on
// @chainsafe/discv5's public API, on the S-50k simnet (own processes), medians of interleaved runs.
// Flags: --nodes --dead --runs --rates 1000,1500,2000,3000 --baseline-concurrency 64,256 --threads N
import { execFile } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchArgs, machine, median, S50K_FLAGS } from './util.js';
import { spawnSimnet } from './harness.js';
import { CLI_NODE_FLAGS } from '../src/app/runtime.js';
import { coverageAt, runBaselineCrawl, timeToFraction, measuredLive, type BaselineResult } from './baseline-chainsafe.js';

const run = promisify(execFile);
const { flags } = benchArgs('headline.bench.js [options]',
  'dhtscope multi-threaded (at the fastest rate of a sweep), dhtscope single-threaded at 1,000 req/s and a\n' +
  'breadth-first crawler on @chainsafe/discv5 (at its best concurrency), on one S-50k simnet in its own\n' +
  'processes; medians over interleaved runs. Prints a table, then one JSON line. CPU us/req is all the crawler\'s\n' +
  'threads (cpuUsPerReq); main us/req is dhtscope\'s main (event-loop) thread alone (mainThreadUsPerReq, from\n' +
  '/proc on Linux; - for the baseline), the rest being otherThreadsUsPerReq (workers, DuckDB, libuv, V8). CPU ms/live is\n' +
  'CPU ms per live node measured (cpuMsPerLiveNode); the baseline\'s coverage at dhtscope\'s t99 is printed too.', {
    ...S50K_FLAGS,
    runs: { type: 'int', help: 'interleaved runs per crawler (medians need 3+)', default: 3, min: 1 },
    rates: { type: 'string', help: 'rate limits swept for the multi-threaded run, req/s', default: '1000,1500,2000,3000' },
    'baseline-concurrency': { type: 'string', help: 'baseline concurrencies tried; the best is kept', default: '64,256' },
    threads: { type: 'int', help: 'threads for the multi-threaded run', default: availableParallelism(), min: 1 },
    port: { type: 'int', help: 'simnet UDP port', default: 30403, min: 1, max: 65535 },
    'baseline-max-ms': { type: 'int', help: 'cap on one baseline crawl, ms', default: 600_000, min: 1000 },
  });

interface CrawlRun {
  reqPerSec: number; requests: number; elapsedMs: number; t90Ms: number | null; t99Ms: number | null; coverageLive: number; coverageDead: number;
  cpuUsPerReq: number; mainThreadUsPerReq: number | null; otherThreadsUsPerReq: number | null; peakRssMB: number; eventLoopP99Ms: number;
  /** CPU ms (all threads) per live node measured: what a crawler pays for what it is for. */
  cpuMsPerLiveNode?: number | null;
}

/** CPU ms per live node measured, from a run's per-request figures. */
function cpuPerLive(r: CrawlRun, liveTotal: number): number | null {
  const liveMeasured = r.coverageLive * liveTotal;
  return liveMeasured > 0 ? Number(((r.cpuUsPerReq * r.requests) / 1e3 / liveMeasured).toFixed(3)) : null;
}
const CHILD = fileURLToPath(new URL('./crawl-child.js', import.meta.url));

async function dhtscope(threads: number, rate: number): Promise<CrawlRun> {
  const cfg = { truthFile: sim.truthFile, bootnodes: sim.truth.bootnodes.slice(0, 1), db: join(tmpdir(), `dhtscope-headline-${process.pid}-${Date.now()}.duckdb`), config: { threads, ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)) } };
  const { stdout } = await run(process.execPath, [...CLI_NODE_FLAGS, CHILD, JSON.stringify(cfg)], { maxBuffer: 1 << 24, timeout: 900_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as CrawlRun;
  return { ...r, cpuMsPerLiveNode: cpuPerLive(r, live.length) };
}

function fromBaseline(r: BaselineResult, live: string[]): CrawlRun {
  const cov = measuredLive(r, live) / live.length;
  return {
    reqPerSec: Math.round((r.requests * 1000) / Math.max(1, r.elapsedMs)), requests: r.requests, elapsedMs: r.elapsedMs,
    t90Ms: timeToFraction(r, live, 0.9), t99Ms: timeToFraction(r, live, 0.99), coverageLive: cov, coverageDead: NaN,
    cpuUsPerReq: Math.round(r.cpuUs / Math.max(1, r.requests)), mainThreadUsPerReq: null, otherThreadsUsPerReq: null, peakRssMB: Math.round(r.peakRssBytes / 2 ** 20), eventLoopP99Ms: r.eventLoopP99Ms,
    cpuMsPerLiveNode: measuredLive(r, live) > 0 ? Number((r.cpuUs / 1e3 / measuredLive(r, live)).toFixed(3)) : null,
  };
}

const log = (s: string) => console.error(`bench:headline: ${s}`);
const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--rtt', '10-300', '--loss', '0.01', '--seed', 'headline', '--port', String(flags.port), '--json']);
const live = sim.truth.live.map((n) => n.nodeId);
log(`simnet ready: ${live.length} live, ${sim.truth.dead.length} dead (${(sim.truth.startupMs / 1000).toFixed(1)} s)`);
try {
  const threads = flags.threads as number;
  // 1. Raise the multi-threaded rate until coverage degrades.
  const sweep: { rate: number; run: CrawlRun }[] = [];
  for (const rate of (flags.rates as string).split(',').map(Number)) {
    const r = await dhtscope(threads, rate);
    sweep.push({ rate, run: r });
    log(`rate sweep ${rate} req/s, ${threads} threads: coverage ${(r.coverageLive * 100).toFixed(2)}%, t99 ${r.t99Ms} ms, sustained ${r.reqPerSec} req/s`);
    if (r.coverageLive < 0.99) break;
  }
  const ok = sweep.filter((s) => s.run.coverageLive >= 0.99);
  const bestRate = ok.length ? ok.reduce((a, b) => ((a.run.t99Ms ?? Infinity) <= (b.run.t99Ms ?? Infinity) ? a : b)).rate : sweep[0]!.rate;
  // 2. Tune the baseline's concurrency once.
  let bestConc = 0, bestT = Infinity, bestCov = -1;
  for (const c of (flags['baseline-concurrency'] as string).split(',').map(Number)) {
    const r = await runBaselineCrawl({ bootnodes: sim.truth.bootnodes.slice(0, 1), concurrency: c, maxDurationMs: flags['baseline-max-ms'] as number });
    const b = fromBaseline(r, live);
    log(`baseline concurrency ${c}: coverage ${(b.coverageLive * 100).toFixed(2)}%, t99 ${b.t99Ms} ms, ${b.reqPerSec} req/s`);
    const t = b.t99Ms ?? Infinity;
    if (t < bestT || (t === bestT && b.coverageLive > bestCov)) { bestT = t; bestCov = b.coverageLive; bestConc = c; }
  }
  // 3. Interleaved runs. The baseline's raw answers are kept to read its coverage at dhtscope's t99.
  const baselineRaw: BaselineResult[] = [];
  const baselineRun = async () => {
    const r = await runBaselineCrawl({ bootnodes: sim.truth.bootnodes.slice(0, 1), concurrency: bestConc, maxDurationMs: flags['baseline-max-ms'] as number });
    baselineRaw.push(r);
    return r;
  };
  const results: Record<'mt' | 'st' | 'baseline', CrawlRun[]> = { mt: [], st: [], baseline: [] };
  const order: ('mt' | 'st' | 'baseline')[] = ['mt', 'st', 'baseline'];
  for (let i = 0; i < (flags.runs as number); i++) {
    for (let j = 0; j < order.length; j++) {
      const which = order[(i + j) % order.length]!;
      const r = which === 'mt' ? await dhtscope(threads, bestRate)
        : which === 'st' ? await dhtscope(1, 1000)
        : fromBaseline(await baselineRun(), live);
      results[which].push(r);
      log(`run ${i + 1} ${which}: t99 ${r.t99Ms} ms, coverage ${(r.coverageLive * 100).toFixed(2)}%, ${r.reqPerSec} req/s`);
    }
  }
  const med = (rs: CrawlRun[], k: keyof CrawlRun) => {
    const xs = rs.map((r) => r[k] as number | null).filter((x): x is number => x !== null && !Number.isNaN(x));
    return xs.length === rs.length ? Math.round(median(xs) * 1000) / 1000 : null;
  };
  // Times to a coverage level: the median over the runs that reached it, with how many did (a run that stopped
  // short has no time to count, and one such run should not blank the figure).
  const medReached = (rs: CrawlRun[], k: 't90Ms' | 't99Ms') => {
    const xs = rs.map((r) => r[k]).filter((x): x is number => x !== null);
    return { ms: xs.length ? Math.round(median(xs)) : null, reached: xs.length };
  };
  const table = Object.fromEntries(Object.entries(results).map(([k, rs]) => {
    const t90 = medReached(rs, 't90Ms'), t99 = medReached(rs, 't99Ms');
    return [k, {
      t90Ms: t90.ms, t90Reached: t90.reached, t99Ms: t99.ms, t99Reached: t99.reached, runs: rs.length,
      coverageLive: med(rs, 'coverageLive'), reqPerSec: med(rs, 'reqPerSec'),
      cpuUsPerReq: med(rs, 'cpuUsPerReq'), cpuMsPerLiveNode: med(rs, 'cpuMsPerLiveNode'), mainThreadUsPerReq: med(rs, 'mainThreadUsPerReq'), otherThreadsUsPerReq: med(rs, 'otherThreadsUsPerReq'), peakRssMB: med(rs, 'peakRssMB'), eventLoopP99Ms: med(rs, 'eventLoopP99Ms'),
    }];
  }));
  const mt = table.mt!, st = table.st!, bl = table.baseline!;
  const speedup = mt.t99Ms && bl.t99Ms ? Number((bl.t99Ms / mt.t99Ms).toFixed(1)) : null;
  const speedup90 = mt.t90Ms && bl.t90Ms ? Number((bl.t90Ms / mt.t90Ms).toFixed(1)) : null;
  // Baseline runs that never reached 99% ran for elapsedMs (their cap) without it: the ratio is at least that over ours.
  const blShort = results.baseline.filter((r) => r.t99Ms === null);
  const speedupAtLeast = speedup === null && mt.t99Ms && blShort.length
    ? Number((Math.min(...blShort.map((r) => r.elapsedMs)) / mt.t99Ms).toFixed(1)) : null;
  // Where the baseline stood when dhtscope had measured 99% of live nodes: the speed-up's lower bound in coverage terms.
  const baselineAtOurT99 = mt.t99Ms === null || baselineRaw.length === 0 ? null
    : Number(median(baselineRaw.map((r) => coverageAt(r, live, mt.t99Ms!))).toFixed(4));
  const throughputRatio = mt.reqPerSec && bl.reqPerSec ? Number((mt.reqPerSec / bl.reqPerSec).toFixed(1)) : null;
  console.log(`headline benchmark on ${machine()}; S-50k: ${live.length} live + ${sim.truth.dead.length} dead, RTT 10-300 ms, 1% loss, simnet sharing the cores`);
  console.log(`rate sweep (${threads} threads): ${sweep.map((s) => `${s.rate} -> ${(s.run.coverageLive * 100).toFixed(1)}% / t99 ${s.run.t99Ms ?? '-'} ms`).join('; ')}`);
  console.log(`medians of ${flags.runs} interleaved runs:`);
  console.log('crawler'.padEnd(34), 't90 ms'.padStart(8), 't99 ms'.padStart(8), 'live %'.padStart(8), 'req/s'.padStart(7), 'CPU us/req'.padStart(11), 'main us/req'.padStart(12), 'CPU ms/live'.padStart(12), 'RSS MB'.padStart(7), 'loop p99'.padStart(9));
  const reached = (ms: number | null, n: number, of: number) => (ms === null ? '-' : n < of ? `${ms}(${n}/${of})` : String(ms));
  const row = (name: string, t: typeof mt) => console.log(name.padEnd(34), reached(t.t90Ms, t.t90Reached, t.runs).padStart(8), reached(t.t99Ms, t.t99Reached, t.runs).padStart(8),
    (t.coverageLive === null ? '-' : (t.coverageLive * 100).toFixed(2)).padStart(8), String(t.reqPerSec ?? '-').padStart(7), String(t.cpuUsPerReq ?? '-').padStart(11), String(t.mainThreadUsPerReq ?? '-').padStart(12),
    String(t.cpuMsPerLiveNode ?? '-').padStart(12), String(t.peakRssMB ?? '-').padStart(7), String(t.eventLoopP99Ms ?? '-').padStart(9));
  row(`dhtscope ${threads} threads @ ${bestRate} req/s`, mt);
  row('dhtscope 1 thread @ 1000 req/s', st);
  row(`chainsafe baseline, concurrency ${bestConc}`, bl);
  console.log(`speed-up to 99%: ${speedup ?? (speedupAtLeast ? `> ${speedupAtLeast} (the baseline did not reach 99% within its cap)` : 'n/a')}; to 90%: ${speedup90 ?? 'n/a'}; by throughput ${throughputRatio ?? 'n/a'}`);
  if (baselineAtOurT99 !== null) console.log(`when dhtscope had measured 99% of live nodes (${(mt.t99Ms! / 1000).toFixed(1)} s), the baseline had measured ${(baselineAtOurT99 * 100).toFixed(2)}% (median over its runs)`);
  console.log('(a time with (n/m) is the median over the n of m runs that reached that coverage; CPU ms/live: CPU ms, all threads, per live node measured)');
  console.log(JSON.stringify({
    bench: 'headline', machine: machine(), threads, bestRate, baselineConcurrency: bestConc,
    reqPerSec: mt.reqPerSec, t90Ms: mt.t90Ms, t99Ms: mt.t99Ms, coverageLive: mt.coverageLive, cpuUsPerReq: mt.cpuUsPerReq, mainThreadUsPerReq: mt.mainThreadUsPerReq,
    otherThreadsUsPerReq: mt.otherThreadsUsPerReq, peakRssMB: mt.peakRssMB,
    eventLoopP99Ms: mt.eventLoopP99Ms, baselineT90Ms: bl.t90Ms, baselineT99Ms: bl.t99Ms, baselineCoverageLive: bl.coverageLive, baselineCoverageAtT99: baselineAtOurT99, cpuMsPerLiveNode: mt.cpuMsPerLiveNode, baselineCpuSecPerLiveNode: bl.cpuMsPerLiveNode,
    t99Reached: `${mt.t99Reached}/${mt.runs}`, speedupVsBaseline: speedup, speedupVsBaselineAtLeast: speedupAtLeast, speedupVsBaselineT90: speedup90,
    throughputVsBaseline: throughputRatio, singleThread: st, sweep: sweep.map((s) => ({ rate: s.rate, ...s.run })), runs: results,
  }));
} finally {
  await sim.stop();
}
