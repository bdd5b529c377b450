// npm run bench:monitor — a campaign against a churning simnet: 20,000 live nodes (and dead records up to
// 250,000 tracked), periodic crawls and a liveness prober, in their own processes. Reports probes/s between
// crawls, CPU per probe, peak RSS per tracked node, database growth per node-day and the RSS slope, and checks
// the measured churn against the simnet's script. The last line is JSON.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI_NODE_FLAGS } from '../src/app/runtime.js';
import { parseDurationMs } from '../src/util/args.js';
import { benchArgs, machine } from './util.js';
import { spawnSimnet } from './harness.js';

const { flags } = benchArgs('monitor.bench.js [options]',
  'A monitor campaign against a churning simnet (both in their own processes). Probes/s and CPU per probe are\n' +
  'taken between crawls (a crawl takes most of the CPU while it runs); peak RSS is over the whole campaign;\n' +
  'database growth is the monitor tables\' blocks per tracked node-day (crawls: bytes per crawl); the RSS slope is\n' +
  'a least-squares fit after the first crawl. Churn: entered/left and the median session against the script.\n' +
  'Between crawls it also reports probes/s per second (median, p10), the answered share of the probes that ended,\n' +
  'CPU per probe of the monitor (all threads, and its main thread) and of the simnet\'s processes (Linux /proc).\n\n' +
  'Probe capacity (issue 16: >= 5,000/s at 20,000 live): one crawl, then a quiet spell with more demand than\n' +
  'budget, on a network that does not churn (every node should answer, so the answered share shows overload):\n' +
  '  --dead 0 --joins 0 --stable 1 --duration 150s --crawl-every 10m --probe-rate 20000 --probe-min 1s --probe-max 1s', {
    nodes: { type: 'int', help: 'live simnet nodes', default: 20_000, min: 2 },
    dead: { type: 'int', help: 'dead records (tracked, never answering)', default: 230_000, min: 0 },
    duration: { type: 'string', help: 'campaign length', default: '600s' },
    'crawl-every': { type: 'string', help: 'full crawl period', default: '180s' },
    'probe-rate': { type: 'number', help: 'probe budget, probes/s', default: 8000, min: 1 },
    'probe-min': { type: 'string', help: 'shortest re-check interval', default: '2s' },
    'probe-max': { type: 'string', help: 'longest re-check interval', default: '20s' },
    rate: { type: 'number', help: 'crawl FINDNODE rate limit', default: 3000, min: 1 },
    threads: { type: 'int', help: 'crypto threads of the crawls', default: 2, min: 1 },
    session: { type: 'string', help: 'scripted session lengths (s)', default: 'uniform:120:360' },
    offline: { type: 'string', help: 'scripted time down (s)', default: 'uniform:60:180' },
    joins: { type: 'int', help: 'nodes joining during the script', default: 200, min: 0 },
    stable: { type: 'number', help: 'share of nodes that never go down', default: 0.2, min: 0, max: 1 },
    port: { type: 'int', help: 'simnet UDP port', default: 30303, min: 1, max: 65535 },
    seed: { type: 'string', help: 'simnet seed', default: 'monitor' },
  });

/** The machine's load before this bench added its own (it is shared). */
const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
const durationMs = parseDurationMs(flags.duration as string, 'duration');
const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--seed', String(flags.seed), '--port', String(flags.port),
  '--churn', '--session', String(flags.session), '--offline', String(flags.offline), '--joins', String(flags.joins), '--stable', String(flags.stable),
  '--churn-horizon', `${Math.ceil(durationMs / 1000) + 120}s`, '--json']);
console.error(`bench:monitor: simnet ready (${sim.truth.live.length} live, ${sim.truth.dead.length} dead, ${sim.truth.churn?.events.length ?? 0} churn events) in ${(sim.truth.startupMs / 1000).toFixed(1)} s`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-monitor-'));
const CHILD = fileURLToPath(new URL('./monitor-child.js', import.meta.url));
try {
  const rate = flags.rate as number;
  const cfg = {
    truthFile: sim.truthFile, simnetPid: sim.child.pid, bootnodes: sim.truth.bootnodes.slice(0, 1), db: join(dir, 'monitor.duckdb'),
    crawl: { ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)), threads: flags.threads, durationMs: parseDurationMs(flags['crawl-every'] as string, 'crawl-every') },
    monitor: {
      durationMs, crawlEveryMs: parseDurationMs(flags['crawl-every'] as string, 'crawl-every'), probeRatePerSec: flags['probe-rate'],
      probeMinMs: parseDurationMs(flags['probe-min'] as string, 'probe-min'), probeMaxMs: parseDurationMs(flags['probe-max'] as string, 'probe-max'),
      checkpointEveryMs: 30_000, sampleEveryMs: 10_000, maxTracked: 2_000_000,
    },
  };
  const { stdout } = await promisify(execFile)(process.execPath, [...CLI_NODE_FLAGS, CHILD, JSON.stringify(cfg)], { maxBuffer: 1 << 24, timeout: durationMs + 900_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  const t = r.truth, m = r.measured;
  const dev = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Number((((a - b) / b) * 100).toFixed(1)));
  const result = {
    bench: 'monitor', machine: machine(), network: `${sim.truth.live.length} live (${flags.joins} joining) + ${sim.truth.dead.length} dead, session ${flags.session} s, offline ${flags.offline} s`,
    durationMs, crawls: r.summary.crawlsDone, probes: r.summary.probes,
    probesPerSecBetweenCrawls: r.probesPerSecBetweenCrawls, probesPerSecP50: r.probesPerSecP50, probesPerSecP10: r.probesPerSecP10, quietSeconds: r.quietSeconds,
    answeredShareBetweenCrawls: r.answeredShareBetweenCrawls, probesBetweenCrawls: r.probesBetweenCrawls,
    cpuUsPerProbe: r.cpuUsPerProbe, mainThreadUsPerProbe: r.mainThreadUsPerProbe, simnetCpuUsPerProbe: r.simnetCpuUsPerProbe, monitorCores: r.monitorCores, simnetCores: r.simnetCores,
    loadAverageBefore: loadBefore, loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
    peakRssMB: r.peakRssMB, memoryAtPeakMB: r.memoryAtPeakMB, peakAtMs: r.peakAtMs, quietPeakRssMB: r.quietPeakRssMB, quietTracked: r.quietTracked, maxTracked: r.maxTracked, rssKBPerTrackedNode: r.rssKBPerTrackedNode, rssSlopeMBPerHour: r.rssSlopeMBPerHour,
    db: r.db,
    churn: { windowMs: r.windowMs, entered: [m.entered, t?.entered], enteredNew: [m.enteredNew, t?.joined], left: [m.left, t?.left], medianSessionMs: [m.medianSessionMs, t?.sessions.medianMs],
      deviationPct: { entered: dev(m.entered, t?.entered), left: dev(m.left, t?.left), medianSession: dev(m.medianSessionMs, t?.sessions.medianMs) } },
    nodes: m.nodes,
  };
  console.log(`monitor benchmark on ${result.machine}`);
  console.log(`  network                ${result.network}`);
  console.log(`  campaign               ${(durationMs / 1000).toFixed(0)} s, ${result.crawls} crawls, ${result.probes.whoareyou} probes (${result.probes.ok} answered, ${result.probes.failed} not, ${result.probes.busy} busy)`);
  const pb = result.probesBetweenCrawls;
  console.log(`  probes/s between crawls ${result.probesPerSecBetweenCrawls} over ${result.quietSeconds} s (median second ${Math.round(result.probesPerSecP50 ?? 0)}, p10 ${Math.round(result.probesPerSecP10 ?? 0)}); answered ${pb.ok} of ${pb.ok + pb.failed} (${((result.answeredShareBetweenCrawls ?? 0) * 100).toFixed(2)}%), busy ${pb.busy}`);
  console.log(`  CPU per probe          monitor ${result.cpuUsPerProbe} us (main thread ${result.mainThreadUsPerProbe ?? '-'}), ${result.monitorCores} cores; simnet ${result.simnetCpuUsPerProbe ?? '-'} us, ${result.simnetCores ?? '-'} cores; load average ${result.loadAverageBefore.join(' ')} before, ${result.loadAverageAfter.join(' ')} after`);
  console.log(`  peak RSS               ${result.peakRssMB} MB with ${result.maxTracked} tracked (${result.rssKBPerTrackedNode} KB per node) at ${((result.peakAtMs ?? 0) / 1000).toFixed(0)} s (${Object.entries(result.memoryAtPeakMB).map(([k, v]) => `${k} ${v}`).join(', ')} MB); slope ${result.rssSlopeMBPerHour ?? '-'} MB/h after the first crawl`);
  console.log(`  peak RSS between crawls ${result.quietPeakRssMB} MB with ${result.quietTracked} tracked`);
  console.log(`  database               ${(r.db.fileBytes / 1e6).toFixed(1)} MB file; monitor tables ${r.db.monitorBytesPerNodeDay} B per node-day; crawl tables ${(r.db.crawlBytesPerCrawl / 1e6).toFixed(1)} MB per crawl`);
  console.log(`  churn vs script        entered ${m.entered}/${t?.entered} (${result.churn.deviationPct.entered}%; new ${m.enteredNew}/${t?.joined}), left ${m.left}/${t?.left} (${result.churn.deviationPct.left}%), median session ${m.medianSessionMs}/${t?.sessions.medianMs} ms (${result.churn.deviationPct.medianSession}%) over ${(r.windowMs / 1000).toFixed(0)} s`);
  console.log(JSON.stringify(result));
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
