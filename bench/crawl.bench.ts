// npm run bench:crawl — the S-50k reference crawl: 20,000 live nodes + 30,000 dead records,
// RTT 10-300 ms, 1% loss, simnet in its own processes, one bootnode, single-threaded crawler.
// The crawler runs in its own process too (bench/crawl-child), so its CPU and RSS are its alone.
// CPU per FINDNODE: cpuUsPerReq (all threads) = mainThreadUsPerReq (the event loop, from /proc on Linux) + otherThreadsUsPerReq.
// RTT truth: rttError.{rtt1,rtt2}.{overall,crawler} = measured − simnet rttMs (− the simnet's own reply lateness for the crawler's share).
// Flags: --nodes N --dead N --rate R --strategy S --order seen|fifo --loss L --port P --fixed-rate --no-db --db FILE|URL --db-memory-mb M (defaults: S-50k at 1,000 req/s).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_DUCKDB_MEMORY_MB } from '../src/store/index.js';
import { DEFAULT_CRAWL_CONFIG } from '../src/crawler/config.js';
import { strategyNames } from '../src/crawler/strategies.js';
import { CLI_NODE_FLAGS } from '../src/app/runtime.js';
import { benchArgs, machine, S50K_FLAGS } from './util.js';
import { spawnSimnet } from './harness.js';

const { flags } = benchArgs('crawl.bench.js [options]',
  'The S-50k reference crawl: a simnet in its own processes, one crawl from one bootnode in its own process,\n' +
  'then coverage against the simnet truth, CPU per FINDNODE, peak RSS and event-loop p99. The last line is JSON.\n' +
  'CPU per FINDNODE (us, over the whole job): cpuUsPerReq for all the crawler\'s threads, mainThreadUsPerReq for the\n' +
  'main (event-loop) thread alone, from /proc/<pid>/task (Linux, 10 ms ticks; null elsewhere), otherThreadsUsPerReq\n' +
  'for the rest (crypto workers, DuckDB, libuv pool, V8 GC/compiler), otherThreadsByName splits it by thread name\n' +
  '(count in brackets; "exited": threads gone by the end, such as the worker pool).\n' +
  'RTT error against truth (ms, p50/p95 over measured live nodes): rttError.rtt1 (random packet -> WHOAREYOU) and\n' +
  '.rtt2 (handshake -> first NODES); overall = measured - the node\'s rttMs, crawler = that minus how late the simnet\'s\n' +
  'reply left against its schedule (its timers and event loop); simnetReplyLatenessMs summarises that lateness.', {
    ...S50K_FLAGS,
    rate: { type: 'number', help: 'request rate limit, req/s', default: 1000, min: 1 },
    strategy: { type: 'string', help: `target-distance strategy: ${strategyNames().join(', ')}`, default: DEFAULT_CRAWL_CONFIG.strategy },
    order: { type: 'string', help: 'visit order: seen (returned most often first) or fifo', default: 'seen' },
    loss: { type: 'number', help: 'packet loss per link, 0..1', default: 0.01, min: 0, max: 1 },
    rtt: { type: 'string', help: 'simnet round-trip range, ms (MIN-MAX)', default: '10-300' },
    port: { type: 'int', help: 'simnet UDP port', default: 30303, min: 1, max: 65535 },
    seed: { type: 'string', help: 'simnet population seed', default: '50' },
    concurrency: { type: 'int', help: 'requests in flight; 0 derives it from the rate', default: 0, min: 0 },
    threads: { type: 'int', help: 'crypto threads: 1 inline, N a pool of N workers', default: 1, min: 1 },
    'fixed-rate': { type: 'bool', help: 'hold the rate instead of adapting it to load' },
    'no-db': { type: 'bool', help: 'crawl without the DuckDB store' },
    db: { type: 'string', help: 'store into this database instead of a new DuckDB file, e.g. postgres://user@host:port/db (give it empty)', valueName: 'file|url' },
    'db-memory-mb': { type: 'int', help: 'DuckDB buffer-pool cap, MB', default: DEFAULT_DUCKDB_MEMORY_MB, min: 16 },
  });

// The crawler runs with the CLI's node flags; BENCH_CHILD_NODE_ARGS adds node flags to the crawler process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const childNodeArgs = () => (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CHILD = fileURLToPath(new URL('./crawl-child.js', import.meta.url));
const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--rtt', String(flags.rtt), '--loss', String(flags.loss),
  '--seed', String(flags.seed), '--port', String(flags.port), '--json']);
console.error(`bench:crawl: simnet ready (${sim.truth.live.length} live, ${sim.truth.dead.length} dead) in ${(sim.truth.startupMs / 1000).toFixed(1)} s`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-crawl-'));
try {
  const rate = flags.rate as number;
  const cfg = {
    truthFile: sim.truthFile, simnetPid: sim.child.pid, latenessFile: sim.latenessFile, bootnodes: sim.truth.bootnodes.slice(0, 1), db: flags['no-db'] ? null : (flags.db as string | undefined) ?? join(dir, 'bench.duckdb'), dbMemoryMB: flags['db-memory-mb'] as number,
    config: {
      strategy: flags.strategy as string, ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)), concurrency: flags.concurrency as number,
      threads: flags.threads as number, adaptiveRate: !flags['fixed-rate'], queueOrder: flags.order as string,
    },
  };
  const { stdout } = await promisify(execFile)(process.execPath, [...CLI_NODE_FLAGS, ...childNodeArgs(), CHILD, JSON.stringify(cfg)], { maxBuffer: 1 << 24, timeout: 1_800_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  const result = {
    bench: 'crawl', machine: machine(), network: `${sim.truth.live.length} live + ${sim.truth.dead.length} dead, rtt ${flags.rtt} ms, loss ${flags.loss}`,
    rateLimit: rate, adaptiveRate: !flags['fixed-rate'], ...r,
    coverageLive: Number(r.coverageLive.toFixed(4)), coverageDead: Number(r.coverageDead.toFixed(4)),
  };
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const th = r.throttle && r.throttle.throttledMs > 0 ? `; backed off ${(r.throttle.throttledMs / 1000).toFixed(1)} s, down to ${r.throttle.minRatePerSec} req/s` : '';
  console.log(`crawl benchmark on ${result.machine}`);
  console.log(`  network               ${result.network}`);
  console.log(`  strategy / rate limit ${r.strategy} / ${rate} req/s${result.adaptiveRate ? ' (adaptive)' : ' (fixed)'}`);
  console.log(`  sustained req/s       ${r.reqPerSec} (average over the whole crawl ${r.avgReqPerSec})${th}`);
  console.log(`  time to 50/90/99%     ${r.t50Ms} / ${r.t90Ms} / ${r.t99Ms} ms of live nodes measured`);
  console.log(`  crawl finished in     ${r.elapsedMs} ms (${r.requests} requests)`);
  console.log(`  coverage live / dead  ${pct(r.coverageLive)} / ${pct(r.coverageDead)} (live records found ${r.liveRecordsFound}/${r.liveTotal})`);
  console.log(`  failures              ${JSON.stringify(r.failures)}`);
  const byName = r.otherThreadsByName ? ` (${Object.entries(r.otherThreadsByName).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  console.log(`  crawler CPU           ${r.cpuUsPerReq} us per FINDNODE: main thread ${r.mainThreadUsPerReq ?? '-'}, other threads ${r.otherThreadsUsPerReq ?? '-'}${byName}`);
  console.log(`  crawler peak RSS      ${r.peakRssMB} MB (${Object.entries(r.memoryAtPeakMB).map(([k, v]) => `${k} ${v}`).join(', ')} MB) at ${(r.peakAtMs / 1000).toFixed(1)} s of the ${(r.jobMs / 1000).toFixed(1)} s job (crawl ${(r.elapsedMs / 1000).toFixed(1)} s, then flush and close); event-loop p99 ${r.eventLoopP99Ms} ms`);
  console.log(`  DuckDB ingest         ${r.dbRowsPerSec} rows/s (${r.dbRows} rows)`);
  const ms = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}`);
  for (const k of ['rtt1', 'rtt2'] as const) {
    const e = r.rttError[k];
    console.log(`  ${k} error vs truth    p50 ${ms(e.overall.p50Ms)} / p95 ${ms(e.overall.p95Ms)} ms (n ${e.overall.n}); crawler's share p50 ${ms(e.crawler.p50Ms)} / p95 ${ms(e.crawler.p95Ms)} ms (n ${e.crawler.n})`);
  }
  const late = r.simnetReplyLatenessMs?.total;
  if (late) console.log(`  simnet reply lateness p50 ${late.p50} / p90 ${late.p90} / p99 ${late.p99} / max ${late.max} ms over ${late.n} replies (timer p99 ${r.simnetReplyLatenessMs.timer.p99}, request hold p99 ${r.simnetReplyLatenessMs.hold.p99})`);
  else console.log(`  simnet reply lateness not available${r.latenessError ? `: ${r.latenessError}` : ''}`);
  const { session: _s, ...line } = result;
  console.log(JSON.stringify(line));
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
