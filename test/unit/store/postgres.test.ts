// What only the PostgreSQL backend has to show: a server that is down or goes away, several writers on one
// database, the schema's version check, and readers that see the same rows as from a DuckDB file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_IX, exportSql, PROGRESS, Store, StoreError, StoreReader, VISITS } from '../../../src/store/index.js';
import { isoMicros } from '../../../src/store/postgres.js';
import { freshPgDb, PG_SKIP, pgExec } from '../../pg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-pg-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const nid = (i: number) => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(28, i); return b; };
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

async function code(p: Promise<unknown>): Promise<StoreError> {
  try { await p; } catch (e) { assert.ok(e instanceof StoreError, String(e)); return e; }
  assert.fail('expected a StoreError');
}

function progress(crawl: number, i: number) {
  return { crawl_id: crawl, t_ms: i, discovered: i, queued: 0, pending: 0, measured: 0, failed: 0, requests: 0, records: 0 };
}

test('timestamps go to PostgreSQL with their microseconds, in UTC', () => {
  assert.equal(isoMicros(T0 + 0.6), '2026-01-02T03:04:05.678600');
  assert.equal(isoMicros(0), '1970-01-01T00:00:00.000000');
});

test('a server that is not there fails the open at once with one line, and no password is printed', { skip: PG_SKIP }, async () => {
  const t0 = performance.now();
  const e = await code(Store.open('postgres://someone:secret@127.0.0.1:1/nothing'));
  assert.equal(e.code, 'ERR_STORE_UNREACHABLE');
  assert.doesNotMatch(e.message, /secret|\n/);
  assert.match(e.message, /^cannot open database postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing: /);
  assert.ok(performance.now() - t0 < 15_000);
  const r = await code(StoreReader.open('postgres://someone@127.0.0.1:1/nothing', { memoryLimitMB: 64 }));
  assert.equal(r.code, 'ERR_STORE_UNREACHABLE');
});

test('a database of a newer schema is refused before anything is created in it', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('newer');
  await pgExec(url, `CREATE TABLE meta (key varchar PRIMARY KEY, value varchar)`);
  await pgExec(url, `INSERT INTO meta VALUES ('schema_version', '99')`);
  const e = await code(Store.open(url));
  assert.equal(e.code, 'ERR_STORE_INVALID');
  assert.match(e.message, /schema version 99/);
  const tables = (await pgExec(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).rows;
  assert.deepEqual(tables.map((t) => t.table_name), ['meta']);
  assert.equal((await code(StoreReader.open(url, { memoryLimitMB: 64 }))).code, 'ERR_STORE_INVALID');
  const empty = await freshPgDb('empty');
  assert.match((await code(StoreReader.open(empty, { memoryLimitMB: 64 }))).message, /not a dhtscope database/);
});

test('a dropped connection loses no row: the write fails, the writer reconnects, every row lands once', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('dropped');
  const s = await Store.open(url, { flushIntervalMs: 3_600_000 });
  const id = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  for (let i = 0; i < 100; i++) s.add(PROGRESS, progress(id, i));
  await s.flush();
  // The server ends the writer's session, as a restart or a failover would.
  const killed = await pgExec(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dhtscope writer' AND datname = current_database()`);
  assert.equal(killed.rowCount, 1);
  for (let i = 100; i < 250; i++) s.add(PROGRESS, progress(id, i));
  s.addEdge(id, nid(1), nid(2), 1n);
  let failures = 0;
  for (;;) {
    try { await s.flush(); break; } catch (e) {
      assert.ok(e instanceof StoreError && e.code === 'ERR_STORE_UNREACHABLE', String(e));
      if (++failures > 3) throw e;
    }
  }
  // The first write after the drop failed (in the background, or in a flush) and was retried on a new connection.
  assert.ok(s.stats().writeErrors >= 1, JSON.stringify(s.stats()));
  await s.endCrawl(id, {});
  await s.close();
  const rows = (await pgExec(url, `SELECT count(*)::int AS n, count(DISTINCT t_ms)::int AS d FROM progress WHERE crawl_id = $1`, [id])).rows[0];
  assert.deepEqual(rows, { n: 250, d: 250 });
  assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM edges`)).rows[0].n, 1);
});

test('several writers on one database: distinct crawl ids, every row, node sightings merged across them', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('writers');
  const stores = await Promise.all([0, 1, 2].map(() => Store.open(url, { flushIntervalMs: 3_600_000 })));
  const ids = await Promise.all(stores.map((s, k) => s.beginCrawl({ params: {}, vantage: `v${k}`, version: '0', strategy: 's', startedAtMs: T0 })));
  assert.equal(new Set(ids).size, 3);
  stores.forEach((s, k) => {
    for (let i = 0; i < 500; i++) {
      s.touchNode(nid(i), T0 + k * 1000 + i);
      s.addEdge(ids[k]!, nid(i), nid(i + 1), BigInt(k));
    }
  });
  await Promise.all(stores.map((s, k) => s.endCrawl(ids[k]!, {})));
  await Promise.all(stores.map((s) => s.close()));
  const nodes = (await pgExec(url, `SELECT count(*)::int AS n, min(epoch_ms(first_seen))::float8 AS f, max(epoch_ms(last_seen))::float8 AS l FROM nodes`)).rows[0];
  assert.deepEqual(nodes, { n: 500, f: T0, l: T0 + 2000 + 499 });
  assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM nodes_staging`)).rows[0].n, 0);
  const perCrawl = (await pgExec(url, `SELECT crawl_id, count(*)::int AS n, count(DISTINCT from_node)::int AS f FROM edges GROUP BY crawl_id ORDER BY crawl_id`)).rows;
  assert.deepEqual(perCrawl.map((r) => [r.n, r.f]), [[500, 500], [500, 500], [500, 500]]);
});

test('a reader of a PostgreSQL store sees what a reader of the same rows in a DuckDB file sees', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('reader');
  const file = join(tmp, 'same.duckdb');
  for (const db of [url, file]) {
    const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
    const id = await s.beginCrawl({ params: { k: 1 }, vantage: 'v', version: '0', strategy: 's', startedAtMs: T0 });
    for (let i = 0; i < 50; i++) {
      s.touchNode(nid(i), T0 + i);
      s.add(VISITS, {
        crawl_id: id, node_id: nid(i), ip: `10.0.0.${i}`, udp: 9000, status: i % 5 ? 'measured' : 'failed', error: i % 5 ? null : 'timeout',
        rtt1_ms: i % 5 ? i + 0.25 : null, rtt2_ms: null, bytes_in: i, bytes_out: 2, packets_in: 1, packets_out: 1, requests: 1, records_returned: 0,
        started_at: T0 + i + 0.5, ended_at: T0 + i + 9, distances: '256', dispersion_mbps: null, train_packets: null, dispersion_low_confidence: i % 2 === 0, cpl_errors: null,
      });
      s.add(EDGE_IX, { crawl_id: id, from_ix: s.nodeRef(id, nid(i)), to_ix: s.nodeRef(id, nid((i + 1) % 50)), seq: 2n ** 64n - 1n });
    }
    await s.endCrawl(id, { done: true }, T0 + 60_000);
    await s.close();
  }
  const lines: string[] = [];
  const pgr = await StoreReader.open(url, { memoryLimitMB: 128, onProgress: (l) => lines.push(l) });
  const dkr = await StoreReader.open(file, { memoryLimitMB: 128 });
  try {
    assert.match(lines.at(-1) ?? '', /^snapshot of postgres:\/\/.*: \d+ rows in [\d.]+ s$/, lines.join('\n'));
    assert.doesNotMatch(pgr.path, /\.duckdb$/);
    for (const sql of [exportSql('nodes', 1, true), exportSql('visits', 1, true), exportSql('edges', 1, true),
      `SELECT id, started_at, ended_at, params, summary FROM crawls`]) {
      assert.deepEqual(await pgr.query(sql), await dkr.query(sql), sql);
    }
  } finally {
    pgr.close();
    dkr.close();
  }
});
