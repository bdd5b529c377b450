// Schema 10: libp2p crawls in the same store. crawls name their protocol, `peers` holds identify's answers,
// visits take NULL packet counters and carry cpl_errors; a schema-9 database migrates with its rows unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS, SCHEMA_VERSION, Store, VISITS, type InputRow } from '../../../src/store/index.js';
import { rawExec, TEST_BACKENDS } from '../../pg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-peers-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const nid = (i: number) => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(28, i); return b; };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function discv5Visit(crawl: number, i: number): InputRow<typeof VISITS> {
  return {
    crawl_id: crawl, node_id: nid(i), ip: '10.0.0.1', udp: 9000, status: 'measured', error: null, rtt1_ms: 12.5, rtt2_ms: 30.25,
    bytes_in: 1200, bytes_out: 300, packets_in: 4, packets_out: 3, requests: 3, records_returned: 16,
    started_at: T0, ended_at: T0 + 100, distances: '256,255,254', dispersion_mbps: 48.25, train_packets: 3, dispersion_low_confidence: false, cpl_errors: null,
  };
}

function libp2pVisit(crawl: number, i: number, ok: boolean): InputRow<typeof VISITS> {
  return {
    crawl_id: crawl, node_id: nid(i), ip: null, udp: null, status: ok ? 'measured' : 'failed', error: ok ? null : 'refused',
    rtt1_ms: ok ? 4.5 : null, rtt2_ms: null, bytes_in: null, bytes_out: null, packets_in: null, packets_out: null,
    requests: ok ? 16 : 0, records_returned: ok ? 20 : 0, started_at: T0, ended_at: T0 + 50, distances: ok ? '256,255' : '',
    dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null, cpl_errors: ok ? 4 : null,
  };
}

function peer(crawl: number, i: number): InputRow<typeof PEERS> {
  return {
    crawl_id: crawl, node_id: nid(i), peer_id: `12D3KooWpeer${i}`, agent_version: 'kubo/0.29.0', protocol_version: 'ipfs/0.1.0',
    protocols: JSON.stringify(['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0']), listen_addrs: JSON.stringify(['/p2p-circuit']),
    dialed_addrs: JSON.stringify(['/ip4/1.2.3.4/tcp/4001']), nat: true, nat_evidence: 'relay-only',
  };
}

/** What schema 9 had: no peers table, no crawls.protocol or visits.cpl_errors, NOT NULL packet counters. */
const BACK_TO_9 = [
  'DROP TABLE peers', 'ALTER TABLE crawls DROP COLUMN protocol', 'ALTER TABLE visits DROP COLUMN cpl_errors',
  ...['bytes_in', 'bytes_out', 'packets_in', 'packets_out'].map((c) => `ALTER TABLE visits ALTER COLUMN ${c} SET NOT NULL`),
  `UPDATE meta SET value = '9' WHERE key = 'schema_version'`,
];

for (const be of TEST_BACKENDS) test(`[${be.name}] libp2p rows: peers, visits with NULL counters, crawls.protocol (default discv5)`, { skip: be.skip }, async () => {
  const s = await Store.open(await be.db(tmp, 'p10'), { flushIntervalMs: 3_600_000 });
  try {
    const d = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
    const l = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'buckets', protocol: 'libp2p' });
    s.add(VISITS, discv5Visit(d, 1));
    s.add(VISITS, libp2pVisit(l, 2, true));
    s.add(VISITS, libp2pVisit(l, 3, false));
    s.add(PEERS, peer(l, 2));
    s.add(PEERS, { ...peer(l, 3), agent_version: null, protocol_version: null, protocols: null, listen_addrs: null, nat: null, nat_evidence: null });
    s.addEdge(l, nid(2), nid(3), 0n);
    await s.flush();
    const crawls = await s.query<{ id: number; protocol: string }>('SELECT id, protocol FROM crawls ORDER BY id');
    assert.deepEqual(crawls.map((r) => [r.id, r.protocol]), [[d, 'discv5'], [l, 'libp2p']]);
    const v = await s.query(`SELECT node_id, status, error, bytes_in, packets_out, cpl_errors FROM visits ORDER BY node_id`);
    assert.deepEqual(v.map((r) => ({ ...r })), [
      { node_id: hex(nid(1)), status: 'measured', error: null, bytes_in: 1200, packets_out: 3, cpl_errors: null },
      { node_id: hex(nid(2)), status: 'measured', error: null, bytes_in: null, packets_out: null, cpl_errors: 4 },
      { node_id: hex(nid(3)), status: 'failed', error: 'refused', bytes_in: null, packets_out: null, cpl_errors: null },
    ]);
    const p = await s.query(`SELECT node_id, peer_id, agent_version, protocols::VARCHAR AS protocols, nat, nat_evidence FROM peers ORDER BY node_id`);
    assert.deepEqual(p.map((r) => ({ ...r, protocols: r.protocols == null ? null : JSON.parse(r.protocols as string) })), [
      { node_id: hex(nid(2)), peer_id: '12D3KooWpeer2', agent_version: 'kubo/0.29.0', protocols: ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0'], nat: true, nat_evidence: 'relay-only' },
      { node_id: hex(nid(3)), peer_id: '12D3KooWpeer3', agent_version: null, protocols: null, nat: null, nat_evidence: null },
    ]);
    const e = await s.query<{ from_node: string; to_node: string }>('SELECT from_node, to_node FROM edges WHERE crawl_id = $1', [l]);
    assert.deepEqual(e.map((r) => [r.from_node, r.to_node]), [[hex(nid(2)), hex(nid(3))]]);
    // A peer's row joins its visit on (crawl, node_id), as every table does.
    const j = await s.query<{ n: bigint }>('SELECT count(*) AS n FROM peers p JOIN visits v ON v.crawl_id = p.crawl_id AND v.node_id = p.node_id');
    assert.equal(Number(j[0]!.n), 2);
  } finally {
    await s.close();
  }
});

for (const be of TEST_BACKENDS) test(`[${be.name}] a schema-9 database migrates to 10: older rows unchanged, crawls.protocol NULL, libp2p rows fit`, { skip: be.skip }, async () => {
  const db = await be.db(tmp, 'v9');
  const s9 = await Store.open(db, { flushIntervalMs: 3_600_000 });
  const c1 = await s9.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 's' });
  s9.add(VISITS, discv5Visit(c1, 1));
  await s9.close();
  await rawExec(db, BACK_TO_9);
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  try {
    assert.equal((await s.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
    const c2 = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'buckets', protocol: 'libp2p' });
    s.add(VISITS, libp2pVisit(c2, 2, true));
    s.add(PEERS, peer(c2, 2));
    await s.flush();
    const crawls = await s.query<{ id: number; protocol: string | null }>('SELECT id, protocol FROM crawls ORDER BY id');
    assert.deepEqual(crawls.map((r) => [r.id, r.protocol]), [[c1, null], [c2, 'libp2p']]);
    const v = await s.query(`SELECT crawl_id, bytes_in, bytes_out, packets_in, packets_out, distances, cpl_errors FROM visits ORDER BY crawl_id`);
    assert.deepEqual(v.map((r) => ({ ...r })), [
      { crawl_id: c1, bytes_in: 1200, bytes_out: 300, packets_in: 4, packets_out: 3, distances: '256,255,254', cpl_errors: null },
      { crawl_id: c2, bytes_in: null, bytes_out: null, packets_in: null, packets_out: null, distances: '256,255', cpl_errors: 4 },
    ]);
    assert.equal((await s.query('SELECT * FROM peers')).length, 1);
  } finally {
    await s.close();
  }
});
