// One dhtscope crawl in its own process, so CPU, RSS and event-loop delay are the crawler's alone.
// argv: JSON of { truthFile, bootnodes, config, db, simnetPid?, latenessFile? }; prints one JSON result line on stdout.
// The truth file (every record of the simnet) is read only after the crawl: a real crawl does not hold it,
// and at 250k records it would inflate the peak RSS being measured (see BENCHMARKS.md, "Scale").
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { runCrawlJob } from '../src/app/crawl-job.js';
import { compareWithTruth } from '../src/app/truth-compare.js';
import { rttTruthError } from '../src/app/rtt-truth.js';
import type { Truth } from '../src/simnet/simnet.js';
import { toHex } from '../src/util/bytes.js';
import { readSimnetLateness, rssPeak } from './harness.js';
import { readThreadCpu, threadCpuSplit } from './thread-cpu.js';
import { isPostgresUrl } from '../src/store/index.js';

const args = JSON.parse(process.argv[2]!) as {
  truthFile: string; bootnodes: string[]; config: Record<string, unknown>; db: string | null; dbMemoryMB?: number;
  /** The simnet's process and lateness file, to split the RTT error into its share and the crawler's. */
  simnetPid?: number; latenessFile?: string;
};
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const rss = rssPeak();
const cpu0 = process.cpuUsage();
const threads0 = readThreadCpu();
const job0 = performance.now();
// Diagnosis: BENCH_HEAP_SNAPSHOT_AT_MS=<ms> (with BENCH_HEAP_SNAPSHOT=<file>) writes the snapshot that far into the job instead, mid-crawl.
const snapAtMs = Number(process.env.BENCH_HEAP_SNAPSHOT_AT_MS ?? 0);
if (snapAtMs > 0 && process.env.BENCH_HEAP_SNAPSHOT) setTimeout(() => writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT), snapAtMs).unref();
const { summary, crawler } = await runCrawlJob({
  config: { bindAddress: '127.0.0.1', ...args.config }, bootnodes: args.bootnodes, dbPath: args.db, dbMemoryMB: args.dbMemoryMB,
  keyFile: null, freshIdentity: true, version: 'bench',
});
const cpu = process.cpuUsage(cpu0);
const threads1 = readThreadCpu();
const jobMs = performance.now() - job0;
// Diagnosis: BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot once the crawl is done (its nodes are still held).
if (process.env.BENCH_HEAP_SNAPSHOT && !(snapAtMs > 0)) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
const peakRssMB = Math.round(rss.stop() / 2 ** 20);
const pk = rss.atPeak();
const peakAtMs = rss.peakAtMs();
const MB = (b: number) => Math.round(b / 2 ** 20);
// At the peak: V8 heap, ArrayBuffer backing stores and other external memory, and the rest (DuckDB, code, stacks).
const memoryAtPeakMB = { heapUsed: MB(pk.heapUsed), heapTotal: MB(pk.heapTotal), arrayBuffers: MB(pk.arrayBuffers), external: MB(pk.external), native: MB(pk.rss - pk.heapTotal - pk.external) };
lag.disable();
const truth = JSON.parse(readFileSync(args.truthFile, 'utf8')) as Truth;
const cov = compareWithTruth(crawler, truth);
// Read after the crawl: the simnet has sent every reply the crawler measured.
let latenessError: string | null = null;
const lateness = args.simnetPid && args.latenessFile
  ? await readSimnetLateness(args.simnetPid, args.latenessFile).catch((e: Error) => { latenessError = e.message; return null; })
  : null;
const rttError = rttTruthError(crawler.allNodes(), truth.live, lateness?.nodes ?? null);
// Diagnosis: BENCH_RTT_DUMP=<file> writes every measured node's rtt1, rtt2, measuredAtMs and truth rttMs as JSON lines.
if (process.env.BENCH_RTT_DUMP) {
  const rttOf = new Map(truth.live.map((l) => [l.nodeId, l.rttMs]));
  const lines: string[] = [];
  for (const n of crawler.allNodes()) {
    if (n.rtt1Ms === null) continue;
    const id = toHex(n.id);
    lines.push(JSON.stringify({ id, truthMs: rttOf.get(id) ?? null, rtt1Ms: n.rtt1Ms, rtt2Ms: n.rtt2Ms, measuredAtMs: n.measuredAtMs, late: lateness?.nodes[id] ?? null }));
  }
  writeFileSync(process.env.BENCH_RTT_DUMP, lines.join('\n') + '\n');
}
// Sustained rate: requests over the span in which the scheduler had work (first to last request).
const busy = crawler.samples.filter((s) => s.queued > 0);
const sustained = busy.length > 1 ? ((busy[busy.length - 1]!.requests - busy[0]!.requests) * 1000) / Math.max(1, busy[busy.length - 1]!.tMs - busy[0]!.tMs) : summary.reqPerSec;
// CPU per request over the same window as cpuUsPerReq (the whole job): the main thread's from /proc (null off Linux),
// the other threads' (crypto workers, DuckDB, libuv pool, V8's GC and compiler) as the rest of the process total,
// and those alive at the end by thread name, plus the ones that exited in the job (the worker pool closes before it ends).
const perReq = (us: number) => Math.round(us / Math.max(1, summary.requests));
const totalUs = cpu.user + cpu.system;
const split = threads0 && threads1 ? threadCpuSplit(threads0, threads1) : null;
const otherUs = split ? Math.max(0, totalUs - split.mainUs) : null;
const otherThreadsByName = split ? Object.fromEntries([
  ...Object.entries(split.byName).filter(([, v]) => v.us > 0).map(([k, v]) => [`${k} (${v.threads})`, perReq(v.us)]),
  ['exited', perReq(Math.max(0, otherUs! - Object.values(split.byName).reduce((a, v) => a + v.us, 0)))],
]) : null;
if (args.db && !isPostgresUrl(args.db)) { rmSync(args.db, { force: true }); rmSync(args.db + '.wal', { force: true }); }
console.log(JSON.stringify({
  strategy: summary.strategy, reqPerSec: Math.round(sustained), avgReqPerSec: summary.reqPerSec, requests: summary.requests, elapsedMs: summary.elapsedMs,
  t50Ms: cov.t50Ms, t90Ms: cov.t90Ms, t99Ms: cov.t99Ms, coverageLive: cov.coverageLive, coverageDead: cov.coverageDead,
  liveRecordsFound: cov.liveDiscovered, liveTotal: cov.liveTotal, natFound: cov.natDiscovered,
  cpuUsPerReq: perReq(totalUs), mainThreadUsPerReq: split ? perReq(split.mainUs) : null, otherThreadsUsPerReq: otherUs === null ? null : perReq(otherUs),
  otherThreadsByName, peakRssMB, memoryAtPeakMB, peakAtMs, jobMs: Math.round(jobMs),
  eventLoopP99Ms: Number((lag.percentile(99) / 1e6).toFixed(1)), dbRowsPerSec: summary.dbRowsPerSec, dbRows: summary.dbRowsWritten,
  contacts: summary.contacts, contactsPerSec: summary.contactsPerSec, bytesOutPerSec: summary.bytesOutPerSec, lateAdmissions: summary.lateAdmissions,
  throttle: summary.throttle, failures: summary.failures, session: summary.session,
  rttError, simnetReplyLatenessMs: lateness?.replies ?? null, ...(latenessError ? { latenessError } : {}),
}));
process.exit(0);
