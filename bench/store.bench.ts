// node dist/bench/store.bench.js [rows=500000] (or --rows N) — DuckDB store ingest: hot-path add* cost vs flush cost.
// Rows come in crawler ratios per visited node: 1 visit, 3 packets, 16 edges, ~2.5 records, 1 node touch.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Store, type PacketRow, type RecordRow, type VisitRow } from '../src/store/index.js';
import { benchArgs, machine } from './util.js';

// A bare first argument is the row count (the older form): it goes through the same checks as --rows.
const argv = process.argv.slice(2);
if (argv[0] !== undefined && !argv[0].startsWith('-')) argv.unshift('--rows');
const { flags } = benchArgs('store.bench.js [rows] [options]',
  'DuckDB store ingest in crawler row ratios: hot-path add* cost, flush cost, event-loop stalls, rows/s end to end.\n' +
  'The last line is JSON.', { rows: { type: 'int', help: 'rows to write (also accepted as the first argument)', default: 500_000, min: 1000 } }, argv);
const target = flags.rows as number;
const perNode = 1 + 3 + 16 + 2.5 + 1;
const nodes = Math.ceil(target / perNode);
const YIELD_EVERY = 100; // nodes per event-loop turn, roughly a busy crawler's batch of replies

function id(i: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  for (let w = 0; w < 8; w++) v.setUint32(w * 4, Math.imul(i + 1, 0x9e3779b1 + w * 0x85ebca6b) >>> 0);
  return b;
}

// Build every row up front so the timed loop measures only the store.
const ids = Array.from({ length: nodes }, (_, i) => id(i));
const t0 = Date.now();
interface NodeRows { visit: VisitRow; packets: PacketRow[]; records: RecordRow[]; edges: number[] }
const plan: NodeRows[] = ids.map((nodeId, i) => ({
  visit: {
    nodeId, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, udp: 9000, status: i % 5 ? 'measured' : 'failed',
    error: i % 5 ? null : 'timeout', rtt1Ms: 40 + (i % 100), rtt2Ms: i % 5 ? 90 : null, bytesIn: 4800, bytesOut: 600,
    packetsIn: 5, packetsOut: 4, requests: 3, recordsReturned: 16, startedAtMs: t0 + i, endedAtMs: t0 + i + 300,
    distances: [256, 255, 254],
  },
  packets: [0, 1, 2].map((p) => ({ nodeId, requestNo: 1, packetIndex: p, arrivalNs: BigInt(i) * 1_000_000n + BigInt(p * 1000), size: 1180 })),
  records: Array.from({ length: i % 2 ? 3 : 2 }, (_, k) => ({
    nodeId: ids[(i + k * 7919) % nodes]!, seq: BigInt(k + 1), raw: new Uint8Array(180).fill(k), enr: 'enr:-' + 'x'.repeat(236),
    ip: '10.0.0.1', udp: 9000, tcp: 9000, ip6: null, udp6: null, eth2ForkDigest: '6a95a1a9', eth2NextForkVersion: '06000000',
    eth2NextForkEpoch: 18446744073709551615n, attnets: 'ffffffffffffffff', syncnets: '0f', client: null, c: null,
    opstackChainId: null, opstackVersion: null, keys: ['attnets', 'eth2', 'id', 'ip', 'secp256k1', 'syncnets', 'udp'],
    network: 'mainnet', firstSeenMs: t0 + i,
  })),
  edges: Array.from({ length: 16 }, (_, e) => (i * 31 + e * 977) % nodes),
}));

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-store-bench-'));
const path = join(dir, 'bench.duckdb');
try {
  const store = await Store.open(path);
  const crawl = await store.beginCrawl({ params: { bench: true }, vantage: 'bench', version: '0', strategy: 'bench' });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let rows = 0;
  let addNs = 0n;
  let peakBuffered = 0;
  const wall0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let start = 0; start < nodes; start += YIELD_EVERY) {
    const a = process.hrtime.bigint();
    const end = Math.min(nodes, start + YIELD_EVERY);
    for (let i = start; i < end; i++) {
      const n = plan[i]!;
      store.touchNode(n.visit.nodeId, t0 + i);
      store.addVisit(crawl, n.visit);
      for (const p of n.packets) store.addPacket(crawl, p);
      for (const r of n.records) store.addRecord(crawl, r);
      for (const e of n.edges) store.addEdge(crawl, n.visit.nodeId, ids[e]!, 1n);
      rows += 2 + n.packets.length + n.records.length + n.edges.length;
      if (i % 1000 === 0) {
        store.addProgress(crawl, { tMs: i, discovered: i, queued: 0, pending: 0, measured: i, failed: 0, requests: i * 3, records: i * 16 });
        rows++;
      }
    }
    addNs += process.hrtime.bigint() - a;
    peakBuffered = Math.max(peakBuffered, store.stats().rowsBuffered);
    await yieldToLoop(); // the crawler would now serve sockets; the store's flush gets its turn here
  }
  await store.endCrawl(crawl, { rows });
  const ingestDone = process.hrtime.bigint();
  const cpuD = process.cpuUsage(cpu0);
  const cpuUs = cpuD.user + cpuD.system;
  await store.close();
  loop.disable();
  const wallMs = Number(ingestDone - wall0) / 1e6;
  const st = store.stats();
  const result = {
    bench: 'store',
    rows,
    nodes,
    rowsWritten: st.rowsWritten,
    ingestRowsPerSec: Math.round(rows / (wallMs / 1000)),
    wallMs: Math.round(wallMs),
    addUsPerRow: Number((Number(addNs) / 1000 / rows).toFixed(3)),
    // add* cost without the forced flushes that throttle a producer outrunning DuckDB
    pushUsPerRow: Number(((Number(addNs) / 1e6 - st.syncFlushMs) * 1000 / rows).toFixed(3)),
    addMsTotal: Math.round(Number(addNs) / 1e6),
    flushMs: Math.round(st.flushMs),
    commitMs: Math.round(st.commitMs),
    cpuUsPerRow: Number((cpuUs / rows).toFixed(2)),
    mergeMs: Math.round(st.mergeMs),
    duckdbRowsPerSec: Math.round(store.rowsPerSec()),
    flushes: st.flushes,
    syncFlushes: st.syncFlushes,
    syncFlushMs: Math.round(st.syncFlushMs),
    peakBuffered,
    loopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(2)),
    loopDelayMaxMs: Number((loop.max / 1e6).toFixed(2)),
    dbBytes: statSync(path).size,
    machine: machine(),
  };
  console.log(`store ingest on ${result.machine}`);
  console.log(`  ${rows} rows (${nodes} visited nodes) in ${result.wallMs} ms: ${result.ingestRowsPerSec} rows/s end to end`);
  console.log(`  hot path add*: ${result.addUsPerRow} us/row (${result.addMsTotal} ms total, of which ${result.syncFlushMs} ms forced flushes; ${result.pushUsPerRow} us/row without them)`);
  console.log(`  flush: ${result.flushMs} ms on the event loop + ${result.commitMs} ms of COMMIT on DuckDB's thread over ${result.flushes} flushes (${result.syncFlushes} forced) = ${result.duckdbRowsPerSec} rows/s in DuckDB; nodes merge ${result.mergeMs} ms`);
  console.log(`  process CPU ${result.cpuUsPerRow} us/row (all threads)`);
  console.log(`  peak buffered ${peakBuffered} rows; event-loop delay p99 ${result.loopDelayP99Ms} ms, max ${result.loopDelayMaxMs} ms; db ${(result.dbBytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
