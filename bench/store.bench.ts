// node dist/bench/store.bench.js [rows=500000] (or --rows N) [--backend duckdb|postgres] — store ingest: hot-path
// add cost vs the writer thread's, and rows/s per table. Rows come in crawler ratios per visited node: 1 visit,
// 3 packets, 16 edges, ~2.5 records, 1 node touch. `--backend postgres` runs DuckDB too, for the comparison.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { EDGE_IX, PACKET_TRAIN, PROGRESS, RECORDS, Store, VISITS, type InputRow, type TableDecl } from '../src/store/index.js';
import { createEnr } from '../src/enr/index.js';
import { benchArgs, machine } from './util.js';

// A bare first argument is the row count (the older form): it goes through the same checks as --rows.
const argv = process.argv.slice(2);
if (argv[0] !== undefined && !argv[0].startsWith('-')) argv.unshift('--rows');
const { flags } = benchArgs('store.bench.js [rows] [options]',
  'Store ingest in crawler row ratios: hot-path add cost, writer-thread cost, event-loop stalls, rows/s end to end.\n' +
  'With --backend postgres, DuckDB runs first in the same process for the comparison; the server is --pg, or a\n' +
  'throwaway cluster (fsync on) started by scripts/pg-test-server.sh. The last line is JSON.', {
    rows: { type: 'int', help: 'rows to write (also accepted as the first argument)', default: 500_000, min: 1000 },
    backend: { type: 'string', help: 'duckdb, or postgres (runs both)', default: 'duckdb' },
    pg: { type: 'string', help: 'with --backend postgres: the server, postgres://user@host:port/db (default: start a throwaway one)', valueName: 'url' },
  }, argv);
if (!['duckdb', 'postgres'].includes(flags.backend as string)) throw new Error('--backend must be duckdb or postgres');
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

// Build every row up front so the timed loop measures only the store. Records are real signed ENRs (the writer
// decodes each one), 64 distinct ones reused under many node IDs.
const ids = Array.from({ length: nodes }, (_, i) => id(i));
const t0 = Date.now();
const enrs = Array.from({ length: 64 }, (_, k) => createEnr(id(1e9 + k), BigInt(k + 1), {
  ip: Uint8Array.of(10, 0, k >> 8, k & 255), udp: 9000 + k, tcp: 9000 + k, eth2: new Uint8Array(16).fill(k), attnets: new Uint8Array(8).fill(255),
}).raw);
type Row<T extends TableDecl> = InputRow<T>;
interface NodeRows { visit: Row<typeof VISITS>; packets: Row<typeof PACKET_TRAIN>[]; records: Row<typeof RECORDS>[]; edges: number[] }
const plan = (crawl: number): NodeRows[] => ids.map((nodeId, i) => ({
  visit: {
    crawl_id: crawl, node_id: nodeId, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, udp: 9000, status: i % 5 ? 'measured' : 'failed',
    error: i % 5 ? null : 'timeout', rtt1_ms: 40 + (i % 100), rtt2_ms: i % 5 ? 90 : null, bytes_in: 4800, bytes_out: 600,
    packets_in: 5, packets_out: 4, requests: 3, records_returned: 16, started_at: t0 + i, ended_at: t0 + i + 300, distances: '256,255,254',
    dispersion_mbps: i % 5 ? 20 + (i % 300) : null, train_packets: i % 5 ? 3 : null, dispersion_low_confidence: i % 5 ? false : null, cpl_errors: null,
  },
  packets: [0, 1, 2].map((p) => ({ crawl_id: crawl, node_id: nodeId, request_no: 1, packet_index: p, arrival_ns: BigInt(i) * 1_000_000n + BigInt(p * 1000), size: 1180 })),
  records: Array.from({ length: i % 2 ? 3 : 2 }, (_, k) => ({
    crawl_id: crawl, node_id: ids[(i + k * 7919) % nodes]!, seq: BigInt(k + 1), raw: enrs[(i + k) % enrs.length]!, first_seen: t0 + i,
  })),
  edges: Array.from({ length: 16 }, (_, e) => (i * 31 + e * 977) % nodes),
}));

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-store-bench-'));

/** A throwaway PostgreSQL cluster with fsync on (the tests' runs without it), for a fair comparison. */
function startPg(): { url: string; stop: () => void } {
  const script = new URL('../../scripts/pg-test-server.sh', import.meta.url).pathname;
  const pgDir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-pg-')); // its own: the server's user must reach it
  const url = execFileSync('bash', [script, 'start', pgDir, '54339'], { encoding: 'utf8', env: { ...process.env, DHTSCOPE_PG_FSYNC: 'on' } }).trim();
  return { url, stop: () => { execFileSync('bash', [script, 'stop', pgDir]); rmSync(pgDir, { recursive: true, force: true }); } };
}

async function run(backend: 'duckdb' | 'postgres', db: string) {
  const store = await Store.open(db);
  const crawl = await store.beginCrawl({ params: { bench: true }, vantage: 'bench', version: '0', strategy: 'bench' });
  const rowsOf = plan(crawl);
  // Each node numbered once and the number kept, as the crawler does.
  const refs = new Array<number>(nodes).fill(-1);
  const ref = (i: number) => (refs[i]! >= 0 ? refs[i]! : (refs[i] = store.newNodeRef(crawl, ids[i]!)));
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
      const n = rowsOf[i]!;
      store.touchNode(n.visit.node_id, t0 + i);
      store.add(VISITS, n.visit);
      for (const p of n.packets) store.add(PACKET_TRAIN, p);
      for (const r of n.records) store.add(RECORDS, r);
      for (const e of n.edges) store.add(EDGE_IX, { crawl_id: crawl, from_ix: ref(i), to_ix: ref(e), seq: 1n });
      rows += 2 + n.packets.length + n.records.length + n.edges.length;
      if (i % 1000 === 0) {
        store.add(PROGRESS, { crawl_id: crawl, t_ms: i, discovered: i, queued: 0, pending: 0, measured: i, failed: 0, requests: i * 3, records: i * 16 });
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
  const tables = Object.fromEntries(Object.entries(st.committed).map(([t, n]) => [t, {
    rows: n, rowsPerSec: Math.round(n / ((st.tableMs[t] ?? 0) / 1000)),
  }]));
  const result = {
    bench: 'store',
    backend,
    tables,
    rows,
    nodes,
    rowsWritten: st.rowsWritten,
    ingestRowsPerSec: Math.round(rows / (wallMs / 1000)),
    wallMs: Math.round(wallMs),
    addUsPerRow: Number((Number(addNs) / 1000 / rows).toFixed(3)),
    addMsTotal: Math.round(Number(addNs) / 1e6),
    appendMs: Math.round(st.appendMs),
    commitMs: Math.round(st.commitMs),
    cpuUsPerRow: Number((cpuUs / rows).toFixed(2)),
    mergeMs: Math.round(st.mergeMs),
    writerRowsPerSec: Math.round(store.rowsPerSec()),
    writes: st.writes,
    blocks: st.blocks,
    blockedMs: Math.round(st.blockedMs),
    peakBuffered,
    loopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(2)),
    loopDelayMaxMs: Number((loop.max / 1e6).toFixed(2)),
    dbBytes: backend === 'duckdb' ? statSync(db).size : null,
    machine: machine(),
  };
  console.log(`store ingest into ${backend} on ${result.machine}`);
  console.log(`  ${rows} rows (${nodes} visited nodes) in ${result.wallMs} ms: ${result.ingestRowsPerSec} rows/s end to end`);
  console.log(`  hot path add: ${result.addUsPerRow} us/row (${result.addMsTotal} ms total, of which ${result.blockedMs} ms waiting for the writer in ${result.blocks} blocks)`);
  console.log(`  writer thread: ${result.appendMs} ms appending + ${result.commitMs} ms committing over ${result.writes} writes = ${result.writerRowsPerSec} rows/s; nodes merge ${result.mergeMs} ms`);
  console.log(`  process CPU ${result.cpuUsPerRow} us/row (all threads)`);
  console.log(`  peak buffered ${peakBuffered} rows; event-loop delay p99 ${result.loopDelayP99Ms} ms, max ${result.loopDelayMaxMs} ms${result.dbBytes === null ? '' : `; db ${(result.dbBytes / 2 ** 20).toFixed(1)} MiB`}`);
  for (const [t, v] of Object.entries(tables)) console.log(`  ${t.padEnd(14)} ${String(v.rows).padStart(9)} rows  ${String(v.rowsPerSec).padStart(9)} rows/s (append or COPY, commits apart)`);
  return result;
}

let pg: { url: string; stop: () => void } | null = null;
try {
  const results = [await run('duckdb', join(dir, 'bench.duckdb'))];
  if (flags.backend === 'postgres') {
    const url = (flags.pg as string | undefined) ?? (pg = startPg()).url;
    results.push(await run('postgres', url));
  }
  console.log(JSON.stringify(results.length === 1 ? results[0] : { bench: 'store', backends: results }));
} finally {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
