// npm run bench:crawl — the S-50k reference crawl: 20,000 live nodes + 30,000 dead records,
// RTT 10-300 ms, 1% loss, simnet in its own processes, one bootnode, single-threaded crawler.
// Flags: --nodes N --dead N --rate R --strategy S --loss L --port P (defaults: S-50k at 1,000 req/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runCrawlJob } from '../src/cli/crawl-job.js';
import { compareWithTruth } from '../src/cli/truth-compare.js';
import { parseArgs } from '../src/cli/args.js';
import { machine } from './util.js';
import { rssPeak, spawnSimnet } from './harness.js';

const { flags } = parseArgs(process.argv.slice(2), {
  nodes: { type: 'int', help: '', default: 20_000 },
  dead: { type: 'int', help: '', default: 30_000 },
  rate: { type: 'number', help: '', default: 1000 },
  strategy: { type: 'string', help: '', default: 'prefix' },
  loss: { type: 'number', help: '', default: 0.01 },
  rtt: { type: 'string', help: '', default: '10-300' },
  port: { type: 'int', help: '', default: 30303 },
  seed: { type: 'string', help: '', default: '50' },
  concurrency: { type: 'int', help: '', default: 4000 },
  threads: { type: 'int', help: '', default: 1 },
});

const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--rtt', String(flags.rtt), '--loss', String(flags.loss),
  '--seed', String(flags.seed), '--port', String(flags.port), '--json']);
console.error(`bench:crawl: simnet ready (${sim.truth.live.length} live, ${sim.truth.dead.length} dead) in ${(sim.truth.startupMs / 1000).toFixed(1)} s`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-crawl-'));
try {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const rss = rssPeak();
  const rate = flags.rate as number;
  const { summary, crawler } = await runCrawlJob({
    config: { strategy: flags.strategy as string, ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)), concurrency: flags.concurrency as number, threads: flags.threads as number, bindAddress: '127.0.0.1' },
    bootnodes: sim.truth.bootnodes.slice(0, 1), dbPath: join(dir, 'bench.duckdb'), keyFile: null, freshIdentity: true, version: 'bench',
  });
  const peakRssMB = Math.round(rss.stop() / 2 ** 20);
  lag.disable();
  const cov = compareWithTruth(crawler, sim.truth);
  // Sustained rate: requests over the span in which the scheduler had work (first to last request).
  const samples = crawler.samples;
  const busy = samples.filter((s) => s.queued > 0);
  const sustained = busy.length > 1 ? Math.round(((busy[busy.length - 1]!.requests - busy[0]!.requests) * 1000) / Math.max(1, busy[busy.length - 1]!.tMs - busy[0]!.tMs)) : summary.reqPerSec;
  const result = {
    bench: 'crawl', machine: machine(), network: `${sim.truth.live.length} live + ${sim.truth.dead.length} dead, rtt ${flags.rtt} ms, loss ${flags.loss}`,
    strategy: summary.strategy, rateLimit: rate,
    reqPerSec: sustained, avgReqPerSec: summary.reqPerSec, requests: summary.requests, elapsedMs: summary.elapsedMs,
    t50Ms: cov.t50Ms, t90Ms: cov.t90Ms, t99Ms: cov.t99Ms,
    coverageLive: Number(cov.coverageLive.toFixed(4)), coverageDead: Number(cov.coverageDead.toFixed(4)),
    liveRecordsFound: cov.liveDiscovered, liveTotal: cov.liveTotal, natFound: cov.natDiscovered,
    cpuUsPerReq: summary.cpuUsPerRequest, peakRssMB, eventLoopP99Ms: Number((lag.percentile(99) / 1e6).toFixed(1)),
    dbRowsPerSec: summary.dbRowsPerSec, dbRows: summary.dbRowsWritten, failures: summary.failures, session: summary.session,
  };
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(`S-50k crawl on ${result.machine}`);
  console.log(`  network               ${result.network}`);
  console.log(`  strategy / rate limit ${result.strategy} / ${rate} req/s`);
  console.log(`  sustained req/s       ${result.reqPerSec} (average over the whole crawl ${result.avgReqPerSec})`);
  console.log(`  time to 50/90/99%     ${result.t50Ms} / ${result.t90Ms} / ${result.t99Ms} ms of live nodes measured`);
  console.log(`  crawl finished in     ${result.elapsedMs} ms (${result.requests} requests)`);
  console.log(`  coverage live / dead  ${pct(cov.coverageLive)} / ${pct(cov.coverageDead)} (live records found ${cov.liveDiscovered}/${cov.liveTotal})`);
  console.log(`  crawler CPU           ${result.cpuUsPerReq} us per FINDNODE`);
  console.log(`  crawler peak RSS      ${peakRssMB} MB; event-loop p99 ${result.eventLoopP99Ms} ms`);
  console.log(`  DuckDB ingest         ${result.dbRowsPerSec} rows/s (${result.dbRows} rows)`);
  console.log(JSON.stringify(result));
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
