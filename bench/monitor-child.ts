// One dhtscope monitor campaign in its own process, so its CPU and RSS are its alone.
// argv: JSON of { truthFile, bootnodes, db, crawl, monitor, simnetPid? }; prints one JSON result line on stdout.
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { runMonitorJob, type MonitorStatus } from '../src/app/monitor-job.js';
import { campaignStats } from '../src/app/campaign-stats.js';
import { churnTruthStats } from '../src/app/churn-truth.js';
import type { Truth } from '../src/simnet/simnet.js';
import { Store } from '../src/store/index.js';
import { rssPeak } from './harness.js';
import { clockTicksPerSec, parseTaskStat, processTreeCpuUs } from './thread-cpu.js';

const args = JSON.parse(process.argv[2]!) as {
  truthFile: string; bootnodes: string[]; db: string; crawl: Record<string, unknown>; monitor: Record<string, unknown>;
  /** The simnet's root process: its tree's CPU between crawls is reported beside the monitor's. */
  simnetPid?: number;
};
const rss = rssPeak();
/** BENCH_MEM_LOG=FILE: one JSON line per status (1 s) with process.memoryUsage() in MB, to see where memory goes. */
const memLog = process.env.BENCH_MEM_LOG;
const MB = (b: number) => Math.round(b / 2 ** 20);
// Diagnosis: BENCH_HEAP_SNAPSHOT=<prefix> with BENCH_HEAP_SNAPSHOT_AT_MS=<ms>[,<ms>...] writes <prefix>-<ms>.heapsnapshot at those times.
for (const ms of (process.env.BENCH_HEAP_SNAPSHOT_AT_MS ?? '').split(',').filter(Boolean).map(Number)) {
  if (process.env.BENCH_HEAP_SNAPSHOT) setTimeout(() => writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}-${ms}.heapsnapshot`), ms).unref();
}
const t0 = Date.now();
/** The main (event-loop) thread's CPU, µs; null off Linux. */
const mainCpuUs = (): number | null => {
  try { const s = parseTaskStat(readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8')); return ((s.utimeTicks + s.stimeTicks) * 1e6) / clockTicksPerSec(); } catch { return null; }
};
const simCpuUs = () => (args.simnetPid ? processTreeCpuUs(args.simnetPid) : null);
// Per status (1 s): the process's CPU and probes since the previous one, and whether a crawl ran meanwhile.
let lastCpu = process.cpuUsage(), lastProbes = 0, lastCrawls = 0, lastOk = 0, lastFailed = 0, lastBusy = 0;
let lastMain = mainCpuUs(), lastSim = simCpuUs();
let idleCpuUs = 0, idleProbes = 0, idleMs = 0, idleOk = 0, idleFailed = 0, idleBusy = 0;
let idleMainUs: number | null = lastMain === null ? null : 0, idleSimUs: number | null = lastSim === null ? null : 0;
const perSec: number[] = [];
const rssSeries: Array<{ tMs: number; rssMB: number; tracked: number }> = [];
let firstCrawlDoneAt: number | null = null;
let maxTracked = 0;
/** Peak RSS outside crawls: the prober and tracker at steady state, a finished crawl's memory returned or not. */
let quietPeakRssMB = 0, quietTracked = 0;
let lastAt = performance.now();
const onStatus = (s: MonitorStatus) => {
  const now = performance.now();
  const cpu = process.cpuUsage();
  const dCpu = cpu.user + cpu.system - lastCpu.user - lastCpu.system;
  const dProbes = s.probes.whoareyou - lastProbes;
  const main = mainCpuUs(), sim = simCpuUs();
  const quiet = !s.crawlRunning && s.crawlsDone === lastCrawls && s.crawlsDone > 0;
  if (quiet) {
    idleCpuUs += dCpu; idleProbes += dProbes; idleMs += now - lastAt; perSec.push((dProbes * 1000) / (now - lastAt));
    idleOk += s.probes.ok - lastOk; idleFailed += s.probes.failed - lastFailed; idleBusy += s.probes.busy - lastBusy;
    if (idleMainUs !== null && main !== null && lastMain !== null) idleMainUs += main - lastMain;
    if (idleSimUs !== null && sim !== null && lastSim !== null) idleSimUs += sim - lastSim;
  }
  if (s.crawlsDone > 0 && firstCrawlDoneAt === null) firstCrawlDoneAt = s.elapsedMs;
  lastCpu = cpu; lastProbes = s.probes.whoareyou; lastCrawls = s.crawlsDone; lastAt = now;
  lastOk = s.probes.ok; lastFailed = s.probes.failed; lastBusy = s.probes.busy; lastMain = main; lastSim = sim;
  maxTracked = Math.max(maxTracked, s.tracked);
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  rssSeries.push({ tMs: s.elapsedMs, rssMB, tracked: s.tracked });
  if (memLog) {
    const m = process.memoryUsage();
    appendFileSync(memLog, JSON.stringify({ t: s.elapsedMs, crawl: s.crawlRunning, crawls: s.crawlsDone, tracked: s.tracked, rss: MB(m.rss), heapUsed: MB(m.heapUsed), heapTotal: MB(m.heapTotal), external: MB(m.external), arrayBuffers: MB(m.arrayBuffers) }) + '\n');
  }
  if (quiet && rssMB > quietPeakRssMB) { quietPeakRssMB = rssMB; quietTracked = s.tracked; }
};
const summary = await runMonitorJob({
  crawl: { bindAddress: '127.0.0.1', allowPrivate: true, ...args.crawl }, monitor: args.monitor as never, bootnodes: args.bootnodes, dbPath: args.db,
  keyFile: null, freshIdentity: true, version: 'bench', onStatus,
});
const peakRssMB = rss.stop() / 2 ** 20;
const pk = rss.atPeak();
const memoryAtPeakMB = { heapUsed: MB(pk.heapUsed), heapTotal: MB(pk.heapTotal), arrayBuffers: MB(pk.arrayBuffers), external: MB(pk.external), native: MB(pk.rss - pk.heapTotal - pk.external) };
// RSS slope after the first crawl (MB per hour): a campaign's memory must stay flat.
const tail = rssSeries.filter((x) => firstCrawlDoneAt !== null && x.tMs >= firstCrawlDoneAt);
let slope: number | null = null;
if (tail.length > 10) {
  const mx = tail.reduce((a, x) => a + x.tMs, 0) / tail.length, my = tail.reduce((a, x) => a + x.rssMB, 0) / tail.length;
  const sxy = tail.reduce((a, x) => a + (x.tMs - mx) * (x.rssMB - my), 0), sxx = tail.reduce((a, x) => a + (x.tMs - mx) ** 2, 0);
  slope = (sxy / sxx) * 3_600_000;
}
/** The q-quantile (nearest rank) of xs; null when empty. */
function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const memory = { peakRssMB: Math.round(peakRssMB), memoryAtPeakMB, peakAtMs: rss.peakAtMs(), quietPeakRssMB: Math.round(quietPeakRssMB), quietTracked, maxTracked, rssSlopeMBPerHour: slope === null ? null : Number(slope.toFixed(1)) };
// The campaign's figures are printed even if the analysis after it fails.
process.on('uncaughtException', (e) => { console.log(JSON.stringify({ summary, memory, analysisError: (e as Error).message })); process.exit(1); });
const truth = JSON.parse(readFileSync(args.truthFile, 'utf8')) as Truth;
const store = await Store.open(args.db, { memoryLimitMB: 512 });
const from = t0 + (firstCrawlDoneAt ?? 15_000) + 5000;
const { endAtMs } = await campaignStats(store, summary.campaignId, 1e12);
// New nodes are found by crawls: the window ends with the last crawl, so every join in it had a crawl after it.
const lastCrawlEnd = Number((await store.query<{ e: bigint | null }>(`SELECT epoch_ms(max(ended_at)) AS e FROM crawls WHERE campaign_id = $1`, [summary.campaignId]))[0]?.e ?? endAtMs);
const to = Math.min(endAtMs - 10_000, lastCrawlEnd);
// One crawl (a probe-capacity run) leaves no window after it: no churn figures then (campaignStats would loop).
const hasWindow = to - from >= 1000;
const st = hasWindow ? await campaignStats(store, summary.campaignId, to - from, from) : null;
const w = st?.all.windows[0] ?? null;
const churn = truth.churn && hasWindow ? churnTruthStats(truth.churn, from, to, endAtMs) : null;
// Bytes on disk per table: DuckDB's blocks (256 KiB) each table's segments use.
const blockBytes = 262_144;
const tableBytes = async (t: string) => Number((await store.query<{ n: bigint }>(`SELECT count(DISTINCT block_id) AS n FROM pragma_storage_info('${t}') WHERE block_id >= 0`))[0]!.n) * blockBytes;
const monitorTables = ['uptime_sessions', 'node_changes', 'monitor_samples', 'monitor_gaps'];
let monitorBytes = 0;
for (const t of monitorTables) monitorBytes += await tableBytes(t);
let crawlBytes = 0;
for (const t of ['records', 'visits', 'edge_ix', 'crawl_nodes', 'packet_train', 'progress']) crawlBytes += await tableBytes(t);
await store.close();
const campaignDays = (endAtMs - t0) / 86_400_000;
console.log(JSON.stringify({
  summary, windowMs: hasWindow ? to - from : 0,
  measured: { entered: w?.entered ?? null, enteredNew: w?.enteredNew ?? null, left: w?.left ?? null, medianSessionMs: st?.all.sessionLength.km.medianMs ?? null, nodes: st?.all.nodes ?? null },
  truth: churn,
  probesPerSecBetweenCrawls: idleMs > 0 ? Math.round((idleProbes * 1000) / idleMs) : null,
  probesPerSecP50: quantile(perSec, 0.5),
  probesPerSecP10: quantile(perSec, 0.1),
  quietSeconds: perSec.length,
  /** Of the probes that ended between crawls: answered over answered + not (busy ones were not sent). */
  answeredShareBetweenCrawls: idleOk + idleFailed > 0 ? Number((idleOk / (idleOk + idleFailed)).toFixed(4)) : null,
  probesBetweenCrawls: { started: idleProbes, ok: idleOk, failed: idleFailed, busy: idleBusy },
  cpuUsPerProbe: idleProbes > 0 ? Math.round(idleCpuUs / idleProbes) : null,
  mainThreadUsPerProbe: idleProbes > 0 && idleMainUs !== null ? Math.round(idleMainUs / idleProbes) : null,
  simnetCpuUsPerProbe: idleProbes > 0 && idleSimUs !== null ? Math.round(idleSimUs / idleProbes) : null,
  /** Cores in use between crawls: the monitor's and the simnet's (2 on this machine is all of it). */
  monitorCores: idleMs > 0 ? Number((idleCpuUs / (idleMs * 1000)).toFixed(2)) : null,
  simnetCores: idleMs > 0 && idleSimUs !== null ? Number((idleSimUs / (idleMs * 1000)).toFixed(2)) : null,
  peakRssMB: Math.round(peakRssMB), memoryAtPeakMB, peakAtMs: rss.peakAtMs(), quietPeakRssMB: Math.round(quietPeakRssMB), quietTracked, maxTracked, rssKBPerTrackedNode: maxTracked > 0 ? Number(((peakRssMB * 1024) / maxTracked).toFixed(2)) : null,
  rssSlopeMBPerHour: slope === null ? null : Number(slope.toFixed(1)),
  db: { fileBytes: statSync(args.db).size, monitorTableBytes: monitorBytes, crawlTableBytes: crawlBytes, crawls: summary.crawlsDone,
    monitorBytesPerNodeDay: maxTracked > 0 && campaignDays > 0 ? Math.round(monitorBytes / (maxTracked * campaignDays)) : null,
    crawlBytesPerCrawl: summary.crawlsDone > 0 ? Math.round(crawlBytes / summary.crawlsDone) : null },
}));
