import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DUCKDB_MEMORY_MB, EDGE_IX, PACKET_TRAIN, PROGRESS, RECORDS, SCHEMA_VERSION, Store, StoreError, VISITS, type InputRow,
} from '../../../src/store/index.js';
import { DUCKDB_ALLOCATOR_CONF } from '../../../src/store/allocator.js';
import { fillUp, tryMountTmpfs } from '../../helpers.js';
import { createEnr, type EnrValue } from '../../../src/enr/index.js';
import { rawExec, TEST_BACKENDS } from '../../pg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-store-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Deterministic 32-byte id for node i. */
function nid(i: number): Uint8Array {
  const b = new Uint8Array(32);
  new DataView(b.buffer).setUint32(0, i * 2654435761 >>> 0);
  new DataView(b.buffer).setUint32(28, i);
  return b;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

/** A real signed record for node i (the writer decodes the stored columns from it). */
function enrOf(i: number, seq: bigint) {
  const sk = new Uint8Array(32).fill(7);
  new DataView(sk.buffer).setUint32(0, i + 1);
  const eth2 = Uint8Array.of(0xb5, 0x30, 0x3f, 0x2a, 5, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255);
  return createEnr(sk, seq, {
    ip: Uint8Array.of(10, 0, (i >> 8) & 255, i & 255), udp: 9000 + (i % 100), ...(i % 3 === 0 ? {} : { tcp: 9000 + (i % 100) }),
    eth2, attnets: new Uint8Array(8).fill(255), syncnets: Uint8Array.of(15), ...(i % 2 ? {} : { c: 'teku' }),
  });
}

const RECORD_CACHE = new Map<string, Uint8Array>();
function record(crawl: number, i: number, seq: bigint, atMs: number): InputRow<typeof RECORDS> {
  const k = `${i}/${seq}`;
  let raw = RECORD_CACHE.get(k);
  if (!raw) RECORD_CACHE.set(k, (raw = enrOf(i, seq).raw));
  return { crawl_id: crawl, node_id: nid(i), seq, raw, first_seen: atMs };
}

function visit(crawl: number, i: number, atMs: number, ok: boolean): InputRow<typeof VISITS> {
  return {
    crawl_id: crawl, node_id: nid(i), ip: `10.0.${(i >> 8) & 255}.${i & 255}`, udp: 9000 + (i % 100),
    status: ok ? 'measured' : 'failed', error: ok ? null : 'timeout', rtt1_ms: ok ? 12.5 + i : null, rtt2_ms: ok ? 30.25 : null,
    bytes_in: 1200, bytes_out: 300, packets_in: 4, packets_out: 3, requests: 3, records_returned: ok ? 16 : 0,
    started_at: atMs, ended_at: atMs + 100.6, distances: '256,255,254',
    dispersion_mbps: ok ? 48.25 : null, train_packets: ok ? 3 : null, dispersion_low_confidence: ok ? i % 2 === 0 : null, cpl_errors: null,
  };
}

interface CrawlShape { nodes: number; from: number; atMs: number; failEvery: number }

/** Writes a crawl touching every table; returns the number of rows handed to the store per table. */
async function writeCrawl(s: Store, shape: CrawlShape): Promise<{ id: number; counts: Record<string, number> }> {
  const id = await s.beginCrawl({ params: { concurrency: 64, big: 2n ** 60n }, vantage: 'test-vm', version: '0.1.0', strategy: 'bfs', startedAtMs: shape.atMs });
  const counts = { records: 0, visits: 0, packet_train: 0, edges: 0, progress: 0 };
  for (let k = 0; k < shape.nodes; k++) {
    const i = shape.from + k;
    const at = shape.atMs + k;
    s.touchNode(nid(i), at);
    s.add(RECORDS, record(id, i, 1n, at));
    counts.records++;
    if (k % 2 === 0) { s.add(RECORDS, record(id, i, 2n, at + 2)); counts.records++; }
    if (k % 10 === 9) continue; // discovered only, never visited
    const ok = k % shape.failEvery !== 0;
    s.add(VISITS, visit(id, i, at, ok));
    counts.visits++;
    if (!ok) continue;
    for (let p = 0; p < 3; p++) {
      s.add(PACKET_TRAIN, { crawl_id: id, node_id: nid(i), request_no: 1, packet_index: p, arrival_ns: BigInt(at) * 1_000_000n + BigInt(p), size: 1100 + p });
      counts.packet_train++;
    }
    for (let e = 1; e <= 16; e++) { s.addEdge(id, nid(i), nid(shape.from + ((k + e) % shape.nodes)), 1n); counts.edges++; }
    if (k % 20 === 0) {
      s.add(PROGRESS, { crawl_id: id, t_ms: k * 10.4, discovered: k, queued: 5, pending: 2, measured: k, failed: 0, requests: k * 3, records: k * 16 });
      counts.progress++;
    }
  }
  return { id, counts };
}

/** Rows in an exported file, read back by DuckDB whichever backend wrote it. */
async function countFile(reader: string, file: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return Number((await con.runAndReadAll(`SELECT count(*) FROM ${reader}('${file.replaceAll("'", "''")}')`)).getRowsJS()[0]![0]);
  } finally {
    con.closeSync(); inst.closeSync();
  }
}

async function count(s: Store, table: string, crawlId?: number): Promise<number> {
  const rows = await s.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}${crawlId === undefined ? '' : ` WHERE crawl_id = ${crawlId}`}`);
  return Number(rows[0]!.n);
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<StoreError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

for (const be of TEST_BACKENDS) test(`[${be.name}] crawl round-trips through close and reopen; nodes upsert across crawls`, { skip: be.skip }, async () => {
  const path = await be.db(tmp, 'roundtrip');
  let s = await Store.open(path, { batchRows: 97, flushIntervalMs: 5 });
  const c1 = await writeCrawl(s, { nodes: 300, from: 0, atMs: T0, failEvery: 7 });
  await new Promise((r) => setTimeout(r, 30)); // let the background flusher run too
  await s.endCrawl(c1.id, { discovered: 300 });
  const st = s.stats();
  await s.close();
  await s.close(); // idempotent
  assert.equal(st.rowsBuffered, 0);
  assert.ok(st.writes > 1 && st.rowsWritten > 5000, JSON.stringify(st));

  s = await Store.open(path);
  for (const [t, n] of Object.entries(c1.counts)) assert.equal(await count(s, t, c1.id), n, t);
  assert.equal(await count(s, 'nodes'), 300);
  assert.equal(await count(s, 'nodes_staging'), 0);

  // second crawl overlaps nodes 200..299 and adds 300..449, seen later
  const t2 = T0 + 86_400_000;
  const c2 = await writeCrawl(s, { nodes: 250, from: 200, atMs: t2, failEvery: 3 });
  s.touchNode(nid(250), T0 - 5000); // an earlier sighting must lower first_seen
  await s.endCrawl(c2.id, { discovered: 250 });
  assert.equal(c2.id, c1.id + 1);
  for (const [t, n] of Object.entries(c2.counts)) assert.equal(await count(s, t, c2.id), n, t);
  assert.equal(await count(s, 'nodes'), 450);

  const nodes = await s.query<{ node_id: string; f: bigint; l: bigint }>(
    `SELECT node_id, epoch_ms(first_seen) AS f, epoch_ms(last_seen) AS l FROM nodes WHERE node_id IN ($1, $2, $3)`,
    [hex(nid(10)), hex(nid(210)), hex(nid(250))]);
  const byId = new Map(nodes.map((r) => [r.node_id, [Number(r.f), Number(r.l)]]));
  assert.deepEqual(byId.get(hex(nid(10))), [T0 + 10, T0 + 10]); // crawl 1 only
  assert.deepEqual(byId.get(hex(nid(210))), [T0 + 210, t2 + 10]); // both crawls
  assert.deepEqual(byId.get(hex(nid(250))), [T0 - 5000, t2 + 50]);

  // every record column round-trips: sent ones as given, the rest decoded from raw by the writer
  const [r] = await s.query(`SELECT *, epoch_ms(first_seen) AS fs FROM records WHERE crawl_id = ${c1.id} AND node_id = '${hex(nid(14))}' AND seq = 2`);
  const want = enrOf(14, 2n);
  assert.ok(r);
  assert.deepEqual(new Uint8Array(r.raw as Uint8Array), want.raw);
  assert.equal(r.enr, want.toText()); assert.equal(r.ip, '10.0.0.14'); assert.equal(r.udp, 9014); assert.equal(r.tcp, 9014);
  assert.equal(r.ip6, null); assert.equal(r.udp6, null); assert.equal(r.eth2_fork_digest, 'b5303f2a');
  assert.equal(r.eth2_next_fork_version, '05000000'); assert.equal(r.eth2_next_fork_epoch, 18446744073709551615n);
  assert.equal(r.attnets, 'ffffffffffffffff'); assert.equal(r.syncnets, '0f'); assert.equal(r.client, null); assert.equal(r.c, 'teku');
  assert.equal(r.opstack_chain_id, null); assert.equal(r.opstack_version, null); assert.equal(r.keys, 'attnets,c,eth2,id,ip,secp256k1,syncnets,tcp,udp');
  assert.equal(r.network, 'mainnet'); assert.equal(r.fork, 'phase0'); assert.equal(r.nfd, null); assert.equal(r.nfd_fork, null);
  assert.equal(r.cgc, null); assert.equal(Number(r.fs), T0 + 16);
  const [r3] = await s.query(`SELECT tcp, c FROM records WHERE crawl_id = ${c1.id} AND node_id = '${hex(nid(3))}'`);
  assert.equal(r3!.tcp, null); assert.equal(r3!.c, null);

  const [v] = await s.query(`SELECT *, epoch_ms(started_at) AS sa, epoch_ms(ended_at) AS ea FROM visits WHERE crawl_id = ${c1.id} AND node_id = '${hex(nid(1))}'`);
  assert.ok(v);
  assert.equal(v.status, 'measured'); assert.equal(v.error, null); assert.equal(v.rtt1_ms, 13.5); assert.equal(v.rtt2_ms, 30.25);
  assert.equal(v.bytes_in, 1200); assert.equal(v.records_returned, 16); assert.equal(v.distances, '256,255,254');
  assert.equal(Number(v.sa), T0 + 1); assert.equal(Number(v.ea), T0 + 101); // TIMESTAMP keeps µs; 100.6 ms -> .600 ms
  assert.equal(v.dispersion_mbps, 48.25); assert.equal(v.train_packets, 3); assert.equal(v.dispersion_low_confidence, false);
  const [vf] = await s.query(`SELECT dispersion_mbps, train_packets, dispersion_low_confidence FROM visits WHERE crawl_id = ${c1.id} AND status = 'failed' LIMIT 1`);
  assert.deepEqual({ ...vf }, { dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null });
  const [p] = await s.query(`SELECT * FROM packet_train WHERE crawl_id = ${c1.id} AND node_id = '${hex(nid(1))}' AND packet_index = 2`);
  assert.equal(p!.arrival_ns, BigInt(T0 + 1) * 1_000_000n + 2n); assert.equal(p!.size, 1102);
  const [pr] = await s.query(`SELECT * FROM progress WHERE crawl_id = ${c1.id} AND discovered = 20`);
  assert.equal(pr!.t_ms, 208); // 20 * 10.4, rounded

  const crawls = await s.listCrawls();
  assert.equal(crawls.length, 2);
  assert.deepEqual(crawls[0]!.params, { concurrency: 64, big: '1152921504606846976' });
  assert.deepEqual(crawls[0]!.summary, { discovered: 300 });
  assert.equal(crawls[0]!.startedAtMs, T0);
  assert.ok(crawls[0]!.endedAtMs! >= T0);
  assert.equal(crawls[1]!.strategy, 'bfs');
  assert.equal(await s.latestCrawlId(), c2.id);
  const meta = await s.query(`SELECT value FROM meta WHERE key = 'schema_version'`);
  assert.equal(meta[0]!.value, String(SCHEMA_VERSION));

  // exports as JS rows: the tables' column names, times in epoch ms
  const ex = await s.exportRows('nodes', c1.id);
  assert.equal(ex.length, 300);
  assert.deepEqual(ex.map((n) => n.node_id), [...ex.map((n) => n.node_id)].sort());
  const n0 = ex.find((n) => n.node_id === hex(nid(0)))!; // k=0: failed visit, seq 2 record
  assert.equal(n0.status, 'failed'); assert.equal(n0.seq, 2n); assert.equal(n0.enr, enrOf(0, 2n).toText()); assert.equal(n0.rtt_ms, null);
  const n1 = ex.find((n) => n.node_id === hex(nid(1)))!;
  assert.equal(n1.status, 'measured'); assert.equal(n1.seq, 1n); assert.equal(n1.rtt_ms, 13.5); assert.equal(n1.rtt2_ms, 30.25);
  assert.equal(n1.c, null); assert.equal(n1.eth2_fork_digest, 'b5303f2a'); assert.equal(Number(n1.first_seen), T0 + 1);
  assert.equal(n1.network, 'mainnet'); assert.equal(n1.fork, 'phase0');
  assert.equal(ex.find((n) => n.node_id === hex(nid(9)))!.status, 'discovered');
  assert.equal(ex.filter((n) => n.status === 'discovered').length, 30);
  const vx = await s.exportRows('visits', c1.id);
  assert.equal(vx.length, c1.counts.visits);
  assert.equal(Number(vx[0]!.started_at), T0);
  assert.deepEqual(Object.keys(vx[0]!), Object.keys(VISITS.columns).filter((c) => c !== 'crawl_id'));
  const ed = await s.exportRows('edges'); // latest crawl
  assert.equal(ed.length, c2.counts.edges);
  assert.equal(typeof ed[0]!.seq, 'bigint');

  // exports: files through COPY, read back with DuckDB
  for (const q of ['nodes', 'visits', 'edges'] as const) {
    const want = q === 'nodes' ? 300 : q === 'visits' ? c1.counts.visits : c1.counts.edges;
    for (const [fmt, reader] of [['csv', 'read_csv_auto'], ['parquet', 'read_parquet'], ['ndjson', 'read_json_auto']] as const) {
      const out = join(tmp, `it's-${q}.${fmt}`); // quote in the name on purpose
      assert.equal(await s.exportTable(q, c1.id, fmt, out), want, `${q} ${fmt}`);
      assert.equal(await countFile(reader, out), want, `${q} ${fmt} read back`);
    }
  }
  const csvHead = readFileSync(join(tmp, `it's-nodes.csv`), 'utf8').split('\n')[0];
  assert.equal(csvHead, 'node_id,enr,seq,ip,udp,tcp,status,error,rtt_ms,rtt2_ms,eth2_fork_digest,network,fork,client,c,attnets,keys,first_seen,last_seen');
  const nd = readFileSync(join(tmp, `it's-visits.ndjson`), 'utf8').trim().split('\n');
  assert.equal(JSON.parse(nd[0]!).status, 'failed');

  // nodes.json: geth nodeset
  const text = await s.nodesJson(c2.id);
  assert.equal(text, await s.nodesJson(c2.id)); // deterministic
  const set = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const keys = Object.keys(set);
  assert.equal(keys.length, 250);
  assert.deepEqual(keys, [...keys].sort());
  assert.match(keys[0]!, /^[0-9a-f]{64}$/);
  const sec = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  // node 201: measured in crawl 1 (k=201) and crawl 2 (k=1) -> score 2, responses span both crawls
  const e201 = set[hex(nid(201))]!;
  assert.deepEqual(e201, { seq: 1, record: enrOf(201, 1n).toText(), score: 2, firstResponse: sec(T0 + 201), lastResponse: sec(t2 + 1), lastCheck: sec(t2 + 1) });
  assert.deepEqual(Object.keys(e201), ['seq', 'record', 'score', 'firstResponse', 'lastResponse', 'lastCheck']);
  // node 206: measured in crawl 1, failed in crawl 2 -> score 1 halved to 0 (omitted), responses kept
  assert.deepEqual(set[hex(nid(206))], { seq: 2, record: enrOf(206, 2n).toText(), firstResponse: sec(T0 + 206), lastResponse: sec(T0 + 206), lastCheck: sec(t2 + 6) });
  // node 203: failed in both -> only lastCheck
  assert.deepEqual(set[hex(nid(203))], { seq: 1, record: enrOf(203, 1n).toText(), lastCheck: sec(t2 + 3) });
  // node 210: failed then measured -> score 1
  assert.equal(set[hex(nid(210))]!.score, 1);
  assert.equal(set[hex(nid(210))]!.firstResponse, sec(t2 + 10));
  // node 449 (k=249): discovered only, never checked
  assert.deepEqual(set[hex(nid(449))], { seq: 1, record: enrOf(449, 1n).toText() });
  assert.match(text, /^\{\n  "[0-9a-f]{64}": \{\n    "seq": /);

  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] closed store refuses writes; queries reject; close is idempotent`, { skip: be.skip }, async () => {
  const path = await be.db(tmp, 'closed');
  const s = await Store.open(path);
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s.addEdge(id, nid(1), nid(2), 3n);
  await s.close();
  await expectCode(() => s.addEdge(id, nid(1), nid(2), 3n), 'ERR_STORE_CLOSED');
  await expectCode(() => s.touchNode(nid(1), 1), 'ERR_STORE_CLOSED');
  await expectCode(s.flush(), 'ERR_STORE_CLOSED');
  await expectCode(s.exportRows('nodes'), 'ERR_STORE_CLOSED');
  await expectCode(s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' }), 'ERR_STORE_CLOSED');
  await s.close();
  const again = await Store.open(path);
  assert.equal((await again.exportRows('edges', id)).length, 1);
  await expectCode(again.exportRows('nodes', 99), 'ERR_STORE_NO_CRAWL');
  const bad = await expectCode(again.exportTable('edges', id, 'csv', join(tmp, 'no', 'such', 'dir.csv')), 'ERR_STORE_UNWRITABLE');
  assert.match(bad.message, /^cannot export to .*dir\.csv: /);
  await again.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a value that does not fit its column is refused at add time, with the row not taken`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'addtime', true), { flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  await expectCode(() => s.addEdge(id, new Uint8Array(31), nid(2), 1n), 'ERR_STORE_BAD_ROW');
  await expectCode(() => s.add(EDGE_IX, { crawl_id: id, from_ix: 0, to_ix: 1, seq: 5 as unknown as bigint }), 'ERR_STORE_BAD_ROW');
  await expectCode(() => s.add(VISITS, { ...visit(id, 1, T0, true), status: null as unknown as string }), 'ERR_STORE_BAD_ROW');
  await expectCode(() => s.add(VISITS, { ...visit(id, 1, T0, true), rtt1_ms: NaN }), 'ERR_STORE_BAD_ROW');
  await expectCode(() => s.add(RECORDS, { ...record(id, 1, 1n, T0), seq: undefined as unknown as bigint }), 'ERR_STORE_BAD_ROW');
  s.add(VISITS, visit(id, 2, T0, true));
  await s.flush(); // nothing refused reached the writer
  assert.equal(await count(s, 'visits', id), 1);
  assert.equal(s.stats().rowsRejected, 0);
  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] rows the database refuses are dropped and reported once; the rest of the batch lands`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'refused', true), { flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s.add(EDGE_IX, { crawl_id: id, from_ix: 0, to_ix: 1, seq: 1n });
  s.add(EDGE_IX, { crawl_id: 2 ** 40, from_ix: 2, to_ix: 1, seq: 2n }); // past INTEGER: the database refuses it
  s.add(EDGE_IX, { crawl_id: id, from_ix: 3, to_ix: 1, seq: 3n });
  await expectCode(s.flush(), 'ERR_STORE_BAD_ROW');
  await s.flush(); // reported once
  assert.deepEqual((await s.query<{ seq: bigint }>(`SELECT seq FROM edge_ix ORDER BY seq`)).map((r) => r.seq), [1n, 3n]);
  assert.equal(s.stats().rowsRejected, 1);
  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a batch over one DuckDB vector (2,048 rows) lands whole, records decoded on the writer`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'vector', true), { batchRows: 5000, flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  for (let i = 0; i < 4500; i++) s.add(RECORDS, record(id, i, 1n, T0 + i));
  s.add(RECORDS, { ...record(id, 4500, 1n, T0), raw: Uint8Array.of(0xc0) }); // undecodable: stored with its raw bytes, no fields
  await s.flush();
  assert.equal(await count(s, 'records', id), 4501);
  const [r] = await s.query<{ n: bigint; udp: number; epoch: bigint; nulls: bigint }>(
    `SELECT count(DISTINCT node_id) AS n, max(udp) AS udp, max(eth2_next_fork_epoch) AS epoch, count(*) FILTER (WHERE enr IS NULL) AS nulls FROM records WHERE crawl_id = ${id}`);
  assert.equal(Number(r!.n), 4501);
  assert.equal(r!.udp, 9099);
  assert.equal(r!.epoch, 18446744073709551615n);
  assert.equal(Number(r!.nulls), 1);
  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] memory is bounded: past maxBufferedRows add() waits for the writer; past half of it the load probe saturates`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'bounded', true), { batchRows: 10, flushIntervalMs: 3_600_000, maxBufferedRows: 50 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  let peak = 0, saturated = false;
  for (let i = 0; i < 1000; i++) {
    s.addEdge(id, nid(i), nid(i + 1), 1n);
    peak = Math.max(peak, s.stats().rowsBuffered);
    if (s.loadProbe.utilization() >= 1) saturated = true;
  }
  assert.ok(peak <= 50, `peak ${peak}`);
  assert.ok(saturated);
  assert.ok(s.stats().blocks > 0);
  await s.close();
  assert.equal(s.stats().rowsWritten, 1000 + 1001); // the edges and each node's crawl_nodes row
});

for (const be of TEST_BACKENDS) test(`[${be.name}] edges: nodeRef numbers a node once per crawl; numbered edges and ID edges land in the same edges view`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'edges', true), { flushIntervalMs: 3_600_000 });
  const c1 = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  const a = s.nodeRef(c1, nid(1)), b = s.nodeRef(c1, nid(2));
  assert.notEqual(a, b);
  assert.equal(s.nodeRef(c1, Uint8Array.from(nid(1))), a, 'by content, not by array identity');
  s.add(EDGE_IX, { crawl_id: c1, from_ix: a, to_ix: b, seq: 5n });
  const d = s.newNodeRef(c1, nid(4));
  assert.ok(d > b && s.newNodeRef(c1, nid(4)) === d + 1, 'newNodeRef: a fresh number each call, no lookup');
  s.add(EDGE_IX, { crawl_id: c1, from_ix: d, to_ix: a, seq: 4n });
  s.addEdge(c1, nid(2), nid(3), 6n);
  assert.throws(() => s.nodeRef(c1, new Uint8Array(31)), (e: StoreError) => e.code === 'ERR_STORE_BAD_ROW');
  await s.endCrawl(c1, {});
  const c2 = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s.addEdge(c2, nid(1), nid(3), 7n); // same IDs, another crawl: numbered afresh
  await s.flush();
  const rows = (await s.query<{ crawl_id: number; from_node: string; to_node: string; seq: bigint }>('SELECT * FROM edges ORDER BY seq'))
    .map((r) => [r.crawl_id, r.from_node, r.to_node, Number(r.seq)]);
  assert.deepEqual(rows, [[c1, hex(nid(4)), hex(nid(1)), 4], [c1, hex(nid(1)), hex(nid(2)), 5], [c1, hex(nid(2)), hex(nid(3)), 6], [c2, hex(nid(1)), hex(nid(3)), 7]]);
  assert.deepEqual((await s.exportRows('edges', c2)).map((e) => e.to_node), [hex(nid(3))]);
  await s.close();
});

test('a schema-1 file (edges as a table) is migrated on open: same edges, new ones numbered after the old', async () => {
  const path = join(tmp, 'v1.duckdb');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(path);
  const con = await inst.connect();
  await con.run(`CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
  await con.run(`INSERT INTO meta VALUES ('schema_version', '1')`);
  await con.run(`CREATE TABLE edges (crawl_id INTEGER NOT NULL, from_node VARCHAR NOT NULL, to_node VARCHAR NOT NULL, seq UBIGINT)`);
  await con.run(`INSERT INTO edges VALUES (1, '${hex(nid(1))}', '${hex(nid(2))}', 3), (1, '${hex(nid(2))}', '${hex(nid(1))}', 4), (2, '${hex(nid(1))}', '${hex(nid(2))}', 5)`);
  con.closeSync();
  inst.closeSync();

  const s = await Store.open(path, { flushIntervalMs: 3_600_000 });
  assert.equal((await s.query(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
  const edges = async () => (await s.query<{ crawl_id: number; from_node: string; to_node: string; seq: bigint }>('SELECT * FROM edges ORDER BY seq'))
    .map((r) => [r.crawl_id, r.from_node, r.to_node, Number(r.seq)]);
  assert.deepEqual(await edges(), [[1, hex(nid(1)), hex(nid(2)), 3], [1, hex(nid(2)), hex(nid(1)), 4], [2, hex(nid(1)), hex(nid(2)), 5]]);
  const c = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s.addEdge(c, nid(3), nid(4), 6n);
  await s.flush();
  assert.deepEqual((await edges()).at(-1), [c, hex(nid(3)), hex(nid(4)), 6]);
  const [{ n }] = await s.query<{ n: bigint }>('SELECT count(*) - count(DISTINCT ix) AS n FROM crawl_nodes') as [{ n: bigint }];
  assert.equal(Number(n), 0, 'numbers unique across old and new rows');
  await s.close();
});

test('a schema-4 file gets the visits\' dispersion columns on open: old visits NULL, new ones filled', async () => {
  const path = join(tmp, 'v4.duckdb');
  let s = await Store.open(path, { flushIntervalMs: 3_600_000 });
  const c = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s.add(VISITS, visit(c, 1, T0, true));
  await s.close();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(path);
  const con = await inst.connect();
  for (const col of ['dispersion_mbps', 'train_packets', 'dispersion_low_confidence', 'cpl_errors']) await con.run(`ALTER TABLE visits DROP COLUMN ${col}`);
  await con.run(`UPDATE meta SET value = '4' WHERE key = 'schema_version'`);
  con.closeSync();
  inst.closeSync();

  s = await Store.open(path, { flushIntervalMs: 3_600_000 });
  assert.equal((await s.query(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
  s.add(VISITS, visit(c, 3, T0, true));
  await s.flush();
  const rows = await s.query(`SELECT node_id, dispersion_mbps, train_packets, dispersion_low_confidence FROM visits ORDER BY node_id`);
  assert.deepEqual(rows.map((r) => [r.dispersion_mbps, r.train_packets, r.dispersion_low_confidence]), [[null, null, null], [48.25, 3, false]]);
  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a failed flush keeps its rows (a drain is one transaction: all of it) and a retry writes them`, { skip: be.skip }, async () => {
  const path = await be.db(tmp, 'retry');
  const s = await Store.open(path, { flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  await s.query('ALTER TABLE progress RENAME TO progress_away'); // the appender's table vanishes
  for (let i = 0; i < 5; i++) s.add(PROGRESS, { crawl_id: id, t_ms: i, discovered: i, queued: 0, pending: 0, measured: 0, failed: 0, requests: 0, records: 0 });
  s.addEdge(id, nid(1), nid(2), 1n);
  await assert.rejects(s.flush(), StoreError);
  assert.ok(s.lastError instanceof StoreError);
  // The edge and its two crawl_nodes rows shared the failed transaction, so they wait too.
  assert.equal(s.stats().rowsBuffered, 8);
  await assert.rejects(s.close(), StoreError); // close fails too and leaves the store open for a retry
  await s.query('ALTER TABLE progress_away RENAME TO progress');
  await s.close();
  const again = await Store.open(path);
  assert.equal(await count(again, 'progress', id), 5);
  assert.equal(await count(again, 'edges', id), 1);
  await again.close();
});

test('open errors: locked, unwritable, not a database', async () => {
  const path = join(tmp, 'locked.duckdb');
  const storeUrl = new URL('../../../src/store/index.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { Store } = await import(${JSON.stringify(storeUrl)});
    const s = await Store.open(${JSON.stringify(path)});
    process.stdout.write('ready\\n');
    process.stdin.on('end', async () => { await s.close(); process.exit(0); });
    process.stdin.resume();
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const e = await expectCode(Store.open(path), 'ERR_STORE_LOCKED');
    assert.ok(e.message.includes(path) && !e.message.includes('\n'), e.message);
    assert.match(e.message, new RegExp(`pid ${child.pid}`));
  } finally {
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
  }
  const s = await Store.open(path); // lock released with the child
  await s.close();

  const file = join(tmp, 'plain-file');
  writeFileSync(file, 'not a directory');
  const e1 = await expectCode(Store.open(join(file, 'x.duckdb')), 'ERR_STORE_UNWRITABLE');
  assert.ok(e1.message.includes(join(file, 'x.duckdb')), e1.message);
  await expectCode(Store.open(join(tmp, 'missing', 'dir', 'x.duckdb')), 'ERR_STORE_UNWRITABLE');
  await expectCode(Store.open(file), 'ERR_STORE_INVALID');
  await expectCode(Store.open(join(tmp, 'o.duckdb'), { batchRows: 0 }), 'ERR_STORE_OPTIONS');
  await expectCode(Store.open(join(tmp, 'o.duckdb'), { memoryLimitMB: 0 }), 'ERR_STORE_OPTIONS');
  // The buffer-pool cap reaches DuckDB (default 64 MB, --db-memory-mb overrides).
  for (const [opts, want] of [[{}, DEFAULT_DUCKDB_MEMORY_MB], [{ memoryLimitMB: 96 }, 96]] as const) {
    const m = await Store.open(join(tmp, `m${want}.duckdb`), opts);
    const [row] = await m.query<{ v: string }>(`SELECT current_setting('memory_limit') AS v`);
    await m.close();
    assert.equal(row!.v, `${(Math.floor((want * 1e7) / 2 ** 20) / 10).toFixed(1)} MiB`); // DuckDB: MB = 10^6 bytes, shown in MiB, truncated
  }
});

// Needs root and a tmpfs mount, so it only runs when asked: DHTSCOPE_TEST_DISKFULL=1. (It failed or hung on 2026-12-04;
// see the reliability suite's mid-crawl disk-full test, test/e2e/durability.test.ts, which runs wherever it can.)
test('disk full: flush and open report ERR_STORE_DISK_FULL; kept rows land exactly once after space returns', { skip: process.env.DHTSCOPE_TEST_DISKFULL !== '1' }, async (t) => {
  const m = tryMountTmpfs(tmp, 4);
  if ('skip' in m) { t.skip(m.skip); return; }
  const mnt = m.dir;
  try {
    // 'wal': the WAL append itself fails (nothing committed, batch retried).
    // 'checkpoint': a tiny autocheckpoint makes DuckDB fail after a durable commit and invalidate itself (batch kept, instance reopened).
    for (const mode of ['wal', 'checkpoint'] as const) {
      const path = join(mnt, `${mode}.duckdb`);
      const filler = join(mnt, 'filler');
      const s = await Store.open(path, { flushIntervalMs: 3_600_000, maxBufferedRows: 10_000_000 });
      if (mode === 'checkpoint') await s.query(`SET wal_autocheckpoint = '64KB'`);
      const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
      if (mode === 'wal') fillUp(filler);
      let added = 0;
      let err: unknown = null;
      for (let round = 0; round < 200 && !err; round++) {
        for (let i = 0; i < 1000; i++) { s.addEdge(id, nid(added), nid(added + 1), BigInt(added)); added++; }
        err = await s.flush().then(() => null, (e: unknown) => e);
      }
      assert.ok(err instanceof StoreError && err.code === 'ERR_STORE_DISK_FULL', String(err));
      t.diagnostic(`${mode}: ${err.message.slice(0, 90)}`); // the cause stays on the writer thread
      rmSync(filler, { force: true });
      rmSync(join(mnt, mode === 'wal' ? 'x' : 'wal.duckdb'), { force: true }); // free the first DB's space for the second run
      await s.close(); // retries (reopening if DuckDB invalidated itself) and writes the kept rows
      const again = await Store.open(path);
      assert.equal(await count(again, 'edges', id), added);
      assert.equal(Number((await again.query<{ n: bigint }>('SELECT count(DISTINCT seq) AS n FROM edges'))[0]!.n), added);
      await again.close();
    }
    fillUp(join(mnt, 'filler'));
    await expectCode(Store.open(join(mnt, 'new.duckdb')), 'ERR_STORE_DISK_FULL');
  } finally {
    m.unmount();
  }
});

test("DuckDB's allocator options are in place before its library loads, and a user's own setting is kept", () => {
  const storeUrl = new URL('../../../src/store/index.js', import.meta.url).href;
  // The library reads DUCKDB_JE_MALLOC_CONF once, at load: what matters is what the process sees right after importing the store.
  const probe = `await import(${JSON.stringify(storeUrl)}); process.stdout.write(String(process.env.DUCKDB_JE_MALLOC_CONF));`;
  const run = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
  const { DUCKDB_JE_MALLOC_CONF: _unset, ...clean } = process.env;
  assert.equal(run(clean), DUCKDB_ALLOCATOR_CONF);
  assert.equal(run({ ...clean, DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:5000' }), 'dirty_decay_ms:5000');
});

test('a file of a newer schema is refused before anything is written to it; a view found in a file is replaced by ours', async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const newer = join(tmp, 'newer.duckdb');
  let inst = await DuckDBInstance.create(newer);
  let con = await inst.connect();
  await con.run(`CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
  await con.run(`INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION + 1}')`);
  con.closeSync(); inst.closeSync();
  const e = await expectCode(Store.open(newer), 'ERR_STORE_INVALID');
  assert.match(e.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
  inst = await DuckDBInstance.create(newer);
  con = await inst.connect();
  const tables = (await con.runAndReadAll(`SELECT table_name FROM information_schema.tables ORDER BY 1`)).getRowsJS().map((r) => r[0]);
  con.closeSync(); inst.closeSync();
  assert.deepEqual(tables, ['meta'], 'nothing created in the refused file');

  // A crafted file whose edges view reads something else: opening it puts our view back.
  const crafted = join(tmp, 'crafted.duckdb');
  await (await Store.open(crafted)).close();
  inst = await DuckDBInstance.create(crafted);
  con = await inst.connect();
  await con.run(`CREATE OR REPLACE VIEW edges AS SELECT 1 AS crawl_id, 'secret' AS from_node, 'x' AS to_node, 0::UBIGINT AS seq`);
  con.closeSync(); inst.closeSync();
  const s = await Store.open(crafted);
  try {
    assert.equal((await s.query(`SELECT * FROM edges`)).length, 0);
  } finally {
    await s.close();
  }
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a full batch takes every open batch with it: an edge never reaches the file before the numbers of its ends`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'order', true), { batchRows: 4, flushIntervalMs: 3_600_000 });
  try {
    const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
    const [a, b, c] = [1, 2, 3].map((i) => s.newNodeRef(id, nid(i))) as [number, number, number];
    for (const [f, t] of [[a, b], [b, c], [c, a], [a, c]] as const) s.add(EDGE_IX, { crawl_id: id, from_ix: f, to_ix: t, seq: 1n });
    for (let i = 0; i < 50 && (s.stats().committed.edge_ix ?? 0) < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual({ ...s.stats().committed }, { crawl_nodes: 3, edge_ix: 4 });
  } finally {
    await s.close();
  }
});

/** A signed record with the given eth2 fork digest, and nfd and cgc when given. */
function forkRecord(i: number, digest: string | null, extra: { nfd?: string; cgc?: number; c?: string } = {}): Uint8Array {
  const sk = new Uint8Array(32).fill(9);
  new DataView(sk.buffer).setUint32(0, i + 1);
  const kv: Record<string, EnrValue> = {};
  if (digest !== null) kv.eth2 = Uint8Array.of(...Buffer.from(digest, 'hex'), 6, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255);
  if (extra.nfd) kv.nfd = Uint8Array.from(Buffer.from(extra.nfd, 'hex'));
  if (extra.cgc !== undefined) kv.cgc = extra.cgc;
  if (extra.c) kv.c = extra.c;
  return createEnr(sk, 1n, kv).raw;
}

const FORK_CASES = [
  { raw: forkRecord(1, 'cb0d1acc', { nfd: '8c9f62fe', cgc: 8 }), network: 'mainnet', fork: 'fulu+bpo1', nfd: '8c9f62fe', nfd_fork: 'mainnet/fulu+bpo2', cgc: 8 },
  { raw: forkRecord(2, '8c9f62fe', { nfd: '00000000', cgc: 128 }), network: 'mainnet', fork: 'fulu+bpo2', nfd: '00000000', nfd_fork: null, cgc: 128 },
  { raw: forkRecord(3, '0badf00d', { nfd: '12345678' }), network: 'eth2:0badf00d', fork: null, nfd: '12345678', nfd_fork: null, cgc: null },
  { raw: forkRecord(4, null, { c: 'trin' }), network: 'portal', fork: null, nfd: null, nfd_fork: null, cgc: null },
];

/** The fork columns of FORK_CASES' rows in a crawl, in FORK_CASES order (case k is node k). */
async function forkColumns(s: Store, crawl: number): Promise<Record<string, unknown>[]> {
  const rows = await s.query(`SELECT node_id, network, fork, nfd, nfd_fork, cgc FROM records WHERE crawl_id = ${crawl}`);
  const byId = new Map(rows.map(({ node_id, ...cols }) => [node_id, cols]));
  return FORK_CASES.map((_, k) => byId.get(hex(nid(k)))!);
}
const FORK_WANT = FORK_CASES.map(({ raw: _r, ...cols }) => cols);

for (const be of TEST_BACKENDS) test(`[${be.name}] records name the fork and next fork and carry cgc; unknown digests keep their hex; the nodes export has the fork`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'forks', true), { flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  FORK_CASES.forEach((c, k) => s.add(RECORDS, { crawl_id: id, node_id: nid(k), seq: 1n, raw: c.raw, first_seen: T0 }));
  await s.flush();
  assert.deepEqual(await forkColumns(s, id), FORK_WANT);
  const ex = await s.exportRows('nodes', id);
  assert.equal(ex.length, FORK_CASES.length);
  assert.deepEqual(Object.keys(ex[0]!).slice(11, 13), ['network', 'fork'], 'fork next to network');
  assert.equal(ex.find((n) => n.node_id === hex(nid(0)))!.fork, 'fulu+bpo1');
  assert.equal(ex.find((n) => n.node_id === hex(nid(1)))!.fork, 'fulu+bpo2');
  assert.equal(ex.find((n) => n.node_id === hex(nid(2)))!.fork, null);
  await s.close();
});

test('a schema-4 file gains the fork columns on open: old rows get their fork from the digest, new rows everything', async () => {
  const path = join(tmp, 'v4-records.duckdb');
  const s4 = await Store.open(path, { flushIntervalMs: 3_600_000 });
  const c1 = await s4.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  FORK_CASES.forEach((c, k) => s4.add(RECORDS, { crawl_id: c1, node_id: nid(k), seq: 1n, raw: c.raw, first_seen: T0 }));
  await s4.close();
  // Take the file back to schema 4: the records table as it was, without the four columns.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(path);
  const con = await inst.connect();
  for (const c of ['fork', 'nfd', 'nfd_fork', 'cgc']) await con.run(`ALTER TABLE records DROP COLUMN ${c}`);
  await con.run(`UPDATE meta SET value = '4' WHERE key = 'schema_version'`);
  con.closeSync(); inst.closeSync();

  const s = await Store.open(path, { flushIntervalMs: 3_600_000 });
  assert.equal((await s.query(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
  const old = await forkColumns(s, c1);
  assert.deepEqual(old.map((r) => r.fork), ['fulu+bpo1', 'fulu+bpo2', null, null]);
  assert.ok(old.every((r) => r.nfd === null && r.nfd_fork === null && r.cgc === null), 'never stored before schema 5');
  const c2 = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  FORK_CASES.forEach((c, k) => s.add(RECORDS, { crawl_id: c2, node_id: nid(k), seq: 1n, raw: c.raw, first_seen: T0 }));
  await s.flush();
  assert.deepEqual(await forkColumns(s, c2), FORK_WANT);
  await s.close();
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a schema-7 database gains the vantage address on open; older rows have none, new ones keep theirs`, { skip: be.skip }, async () => {
  const db = await be.db(tmp, 'v7');
  const s7 = await Store.open(db, { flushIntervalMs: 3_600_000 });
  const c1 = await s7.beginCrawl({ params: {}, vantage: 'a', version: '0', strategy: 's', vantageAddr: '127.0.0.5:9000' });
  await s7.close();
  await rawExec(db, [`ALTER TABLE crawls DROP COLUMN vantage_addr`, `ALTER TABLE campaigns DROP COLUMN vantage_addr`, `UPDATE meta SET value = '7' WHERE key = 'schema_version'`]);
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  try {
    assert.equal((await s.query(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
    const c2 = await s.beginCrawl({ params: {}, vantage: 'b', version: '0', strategy: 's', vantageAddr: '127.0.0.6:9000' });
    const camp = await s.beginCampaign({ params: {}, vantage: 'b', version: '0', vantageAddr: '127.0.0.6:9000' });
    const rows = await s.query<{ id: number; vantage: string; vantage_addr: string | null }>(`SELECT id, vantage, vantage_addr FROM crawls ORDER BY id`);
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ id: c1, vantage: 'a', vantage_addr: null }, { id: c2, vantage: 'b', vantage_addr: '127.0.0.6:9000' }]);
    assert.equal((await s.query<{ a: string }>(`SELECT vantage_addr AS a FROM campaigns WHERE id = $1`, [camp]))[0]!.a, '127.0.0.6:9000');
  } finally {
    await s.close();
  }
});
