// npm run bench:bandwidth — reply-train dispersion rate against the simnet's link rates: an S-50k crawl
// (20,000 live + 30,000 dead, RTT 10-300 ms, 1% loss) into a DuckDB file, then each measured node's
// visits.dispersion_mbps against its truth bandwidthMbps, by the length of the longest train used.
// Flags: --nodes N --dead N --rate R --loss L --port P --threads T (--nodes 2000 --dead 0 for a quick run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrawlJob } from '../src/app/crawl-job.js';
import { CLOSE_RELATIVE_ERROR, dispersionTruthError, TRAIN_CLASSES, type DispersionErrorStats, type MeasuredDispersion } from '../src/app/bandwidth-truth.js';
import { Store } from '../src/store/index.js';
import { benchArgs, machine, S50K_FLAGS } from './util.js';
import { spawnSimnet } from './harness.js';

const { flags } = benchArgs('bandwidth.bench.js [options]',
  'Crawls a simnet into a DuckDB file and compares every measured node\'s reply-train dispersion rate\n' +
  '(visits.dispersion_mbps) with the link rate the simnet paced its replies with (truth bandwidthMbps):\n' +
  'median |estimate/truth - 1| and the share within ±20%, by the longest train used (2, 3, 4, 5+ packets),\n' +
  'and for trains of 3+ packets by truth rate. The last line is JSON.', {
    ...S50K_FLAGS,
    rate: { type: 'number', help: 'request rate limit, req/s', default: 1000, min: 1 },
    loss: { type: 'number', help: 'packet loss per link, 0..1', default: 0.01, min: 0, max: 1 },
    rtt: { type: 'string', help: 'simnet round-trip range, ms (MIN-MAX)', default: '10-300' },
    port: { type: 'int', help: 'simnet UDP port', default: 30303, min: 1, max: 65535 },
    seed: { type: 'string', help: 'simnet population seed', default: '50' },
    threads: { type: 'int', help: 'crypto threads: 1 inline, N a pool of N workers', default: 1, min: 1 },
  });

const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--rtt', String(flags.rtt), '--loss', String(flags.loss),
  '--seed', String(flags.seed), '--port', String(flags.port), '--json']);
console.error(`bench:bandwidth: simnet ready (${sim.truth.live.length} live, ${sim.truth.dead.length} dead) in ${(sim.truth.startupMs / 1000).toFixed(1)} s`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-bandwidth-'));
try {
  const db = join(dir, 'bench.duckdb');
  const rate = flags.rate as number;
  const { summary } = await runCrawlJob({
    config: { bindAddress: '127.0.0.1', ratePerSec: rate, burst: Math.max(1, Math.round(rate / 20)), threads: flags.threads as number },
    bootnodes: sim.truth.bootnodes.slice(0, 1), dbPath: db, keyFile: null, freshIdentity: true, version: 'bench',
  });
  const store = await Store.open(db);
  // One estimate per node: its latest measured visit that used a train.
  const rows = await store.query<{ node_id: string; mbps: number | null; packets: number }>(
    `SELECT node_id, arg_max(dispersion_mbps, ended_at) AS mbps, arg_max(train_packets, ended_at) AS packets
     FROM visits WHERE status = 'measured' AND train_packets IS NOT NULL GROUP BY node_id`);
  const [{ measured }] = await store.query<{ measured: bigint }>(`SELECT count(DISTINCT node_id) AS measured FROM visits WHERE status = 'measured'`) as [{ measured: bigint }];
  await store.close();
  const est: MeasuredDispersion[] = rows.map((r) => ({ nodeId: r.node_id, mbps: r.mbps, trainPackets: r.packets }));
  const report = dispersionTruthError(est, sim.truth.live);

  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  const num = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  const line = (label: string, s: DispersionErrorStats) =>
    console.log(`  ${label.padEnd(12)} ${String(s.n).padStart(7)} ${String(s.unresolved).padStart(10)} ${pct(s.medianAbsRelError).padStart(12)} ${pct(s.withinClose).padStart(10)} ${num(s.medianRatio).padStart(12)}`);
  console.log(`reply-train dispersion benchmark on ${machine()}`);
  console.log(`  network ${sim.truth.live.length} live + ${sim.truth.dead.length} dead, rtt ${flags.rtt} ms, loss ${flags.loss}; ${summary.requests} requests in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
  console.log(`  ${Number(measured)} nodes measured, ${rows.length} with a train of 2+ packets`);
  console.log(`  ${'train'.padEnd(12)} ${'nodes'.padStart(7)} ${'unresolved'.padStart(10)} ${'median |err|'.padStart(12)} ${`±${CLOSE_RELATIVE_ERROR * 100}%`.padStart(10)} ${'median ratio'.padStart(12)}`);
  for (const c of TRAIN_CLASSES) line(`${c} packets`, report.byTrain[c]);
  line('3+ packets', report.threePlus);
  line('all', report.all);
  console.log('  trains of 3+ packets by truth rate (Mbit/s):');
  for (const [band, s] of Object.entries(report.threePlusByRate)) line(band, s);
  console.log(JSON.stringify({
    bench: 'bandwidth', machine: machine(), network: `${sim.truth.live.length} live + ${sim.truth.dead.length} dead, rtt ${flags.rtt} ms, loss ${flags.loss}`,
    rateLimit: rate, requests: summary.requests, elapsedMs: summary.elapsedMs, measured: Number(measured), withTrain: rows.length, ...report,
  }));
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
