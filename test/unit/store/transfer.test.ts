// export --to: a DuckDB store copied into a PostgreSQL one that already holds crawls of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyDuckDbToPostgres, exportSql, Store, StoreError, StoreReader, UPTIME_SESSIONS, VISITS } from '../../../src/store/index.js';
import { freshPgDb, PG_SKIP, pgExec } from '../../pg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-transfer-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const nid = (i: number) => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(28, i); return b; };
const T0 = Date.UTC(2026, 5, 1);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A crawl of nodes [from, from + n): sightings at `atMs + i`, a visit each, a ring of edges. */
async function crawl(s: Store, from: number, n: number, atMs: number, campaignId: number | null = null): Promise<number> {
  const id = await s.beginCrawl({ params: { from }, vantage: 'old', version: '0', strategy: 's', startedAtMs: atMs, campaignId });
  for (let i = from; i < from + n; i++) {
    s.touchNode(nid(i), atMs + i);
    s.add(VISITS, {
      crawl_id: id, node_id: nid(i), ip: `10.0.0.${i % 250}`, udp: 9000, status: 'measured', error: null, rtt1_ms: i + 0.5, rtt2_ms: null,
      bytes_in: 1, bytes_out: 1, packets_in: 1, packets_out: 1, requests: 1, records_returned: 1, started_at: atMs + i, ended_at: atMs + i + 5,
      distances: '256', dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null, cpl_errors: null,
    });
    s.addEdge(id, nid(i), nid(from + ((i - from + 1) % n)), BigInt(i));
  }
  await s.endCrawl(id, { n }, atMs + 60_000);
  return id;
}

test('a DuckDB store joins a PostgreSQL one: ids shifted past the server\'s, rows and edges intact, sightings merged', { skip: PG_SKIP }, async () => {
  const file = join(tmp, 'old.duckdb');
  const s = await Store.open(file, { flushIntervalMs: 3_600_000 });
  const camp = await s.beginCampaign({ params: {}, vantage: 'old', version: '0', startedAtMs: T0 });
  await crawl(s, 0, 40, T0, camp);
  await crawl(s, 20, 40, T0 + 86_400_000, camp);
  s.add(UPTIME_SESSIONS, {
    campaign_id: camp, node_id: nid(3), ip: '10.0.0.3', udp: 9000, started_at: T0, last_ok: T0 + 1000, first_fail: null, ended_at: null,
    answers: 4, failures: 0, open: true, observed_start: false, new_node: false, end_reason: null, snapshot: 1, vantage: null, last_fail: null,
  });
  await s.endCampaign(camp, {}, T0 + 2 * 86_400_000);
  await s.close();

  const url = await freshPgDb('transfer');
  const p = await Store.open(url, { flushIntervalMs: 3_600_000 });
  await crawl(p, 50, 20, T0 - 86_400_000); // node 50..59 overlap the file's second crawl; seen earlier here
  const pc = await p.beginCampaign({ params: {}, vantage: 'new', version: '0', startedAtMs: T0 });
  await p.close();

  const lines: string[] = [];
  const r = await copyDuckDbToPostgres(file, url, (l) => lines.push(l));
  assert.deepEqual(r.crawls, [{ from: 1, to: 2 }, { from: 2, to: 3 }]);
  assert.deepEqual(r.campaigns, [{ from: 1, to: pc + 1 }]);
  assert.equal(r.rows.visits, 80);
  assert.equal(r.rows.nodes, 60);
  assert.ok(lines.some((l) => /copied edge_ix: 80 rows/.test(l)), lines.join('\n'));

  const crawls = (await pgExec(url, `SELECT id, vantage, campaign_id FROM crawls ORDER BY id`)).rows;
  assert.deepEqual(crawls, [{ id: 1, vantage: 'old', campaign_id: null }, { id: 2, vantage: 'old', campaign_id: pc + 1 }, { id: 3, vantage: 'old', campaign_id: pc + 1 }]);
  assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM uptime_sessions WHERE campaign_id = $1`, [pc + 1])).rows[0].n, 1);
  const nodes = (await pgExec(url, `SELECT count(*)::int AS n FROM nodes`)).rows[0].n;
  assert.equal(nodes, 70);
  const n55 = (await pgExec(url, `SELECT epoch_ms(first_seen)::float8 AS f, epoch_ms(last_seen)::float8 AS l FROM nodes WHERE node_id = $1`, [hex(nid(55))])).rows[0];
  assert.deepEqual(n55, { f: T0 - 86_400_000 + 55, l: T0 + 86_400_000 + 55 });

  // The copied crawls read as they did in the file, edges included (node numbers shifted with them).
  const pr = await StoreReader.open(url, { memoryLimitMB: 128 });
  const dr = await StoreReader.open(file, { memoryLimitMB: 128 });
  try {
    for (const [from, to] of [[1, 2], [2, 3]] as const) {
      for (const q of ['nodes', 'visits', 'edges'] as const) {
        // nodes.first_seen / last_seen are across all crawls, so the server's earlier sightings show there (checked above).
        const strip = (rows: Record<string, unknown>[]) => rows.map(({ first_seen: _f, last_seen: _l, ...rest }) => rest);
        assert.deepEqual(strip(await pr.query(exportSql(q, to, true))), strip(await dr.query(exportSql(q, from, true))), `${q} of crawl ${from}`);
      }
    }
  } finally {
    pr.close();
    dr.close();
  }
});

test('a copy that fails midway leaves the server as it was', { skip: PG_SKIP }, async () => {
  const file = join(tmp, 'fail.duckdb');
  const s = await Store.open(file, { flushIntervalMs: 3_600_000 });
  await crawl(s, 0, 10, T0);
  await s.close();
  const url = await freshPgDb('transfer_fail');
  (await Store.open(url)).close();
  // A column the copy needs is gone on the server: the COPY of visits fails after crawls went in.
  await pgExec(url, `ALTER TABLE visits DROP COLUMN distances`);
  await assert.rejects(copyDuckDbToPostgres(file, url), (e: unknown) => e instanceof StoreError && /copy .*fail\.duckdb into/.test(e.message));
  assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM crawls`)).rows[0].n, 0);
  assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM nodes`)).rows[0].n, 0);
});
