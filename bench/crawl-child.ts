// One dhtscope crawl in its own process, so CPU, RSS and event-loop delay are the crawler's alone.
// argv: JSON of { truthFile, config, db } ; prints one JSON result line on stdout.
import { readFileSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runCrawlJob } from '../src/cli/crawl-job.js';
import { compareWithTruth } from '../src/cli/truth-compare.js';
import type { Truth } from '../src/simnet/simnet.js';
import { rssPeak } from './harness.js';

const args = JSON.parse(process.argv[2]!) as { truthFile: string; config: Record<string, unknown>; db: string | null };
const truth = JSON.parse(readFileSync(args.truthFile, 'utf8')) as Truth;
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const rss = rssPeak();
const cpu0 = process.cpuUsage();
const { summary, crawler } = await runCrawlJob({
  config: { bindAddress: '127.0.0.1', ...args.config }, bootnodes: truth.bootnodes.slice(0, 1), dbPath: args.db,
  keyFile: null, freshIdentity: true, version: 'bench',
});
const cpu = process.cpuUsage(cpu0);
lag.disable();
const cov = compareWithTruth(crawler, truth);
const busy = crawler.samples.filter((s) => s.queued > 0);
const sustained = busy.length > 1 ? ((busy[busy.length - 1]!.requests - busy[0]!.requests) * 1000) / Math.max(1, busy[busy.length - 1]!.tMs - busy[0]!.tMs) : summary.reqPerSec;
if (args.db) { rmSync(args.db, { force: true }); rmSync(args.db + '.wal', { force: true }); }
console.log(JSON.stringify({
  reqPerSec: Math.round(sustained), requests: summary.requests, elapsedMs: summary.elapsedMs,
  t50Ms: cov.t50Ms, t90Ms: cov.t90Ms, t99Ms: cov.t99Ms, coverageLive: cov.coverageLive, coverageDead: cov.coverageDead,
  cpuUsPerReq: Math.round((cpu.user + cpu.system) / Math.max(1, summary.requests)), peakRssMB: Math.round(rss.stop() / 2 ** 20),
  eventLoopP99Ms: Number((lag.percentile(99) / 1e6).toFixed(1)), dbRowsPerSec: summary.dbRowsPerSec, failures: summary.failures,
}));
process.exit(0);
