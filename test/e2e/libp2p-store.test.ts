// Issue 22 item 5 ("same outputs"): `dhtscope crawl --protocol libp2p` writes a libp2p crawl into the same store
// as a discv5 crawl. A 50-node loopback libp2p simnet is crawled by the CLI in a child process; the store then
// holds a peers row per node matching the truth, a measured visit each, the edges, and the crawl marked libp2p;
// export still reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLibp2pSimnet } from '../../src/simnet/libp2p/simnet.js';
import { Store } from '../../src/store/index.js';
import { kadId } from '../../src/libp2p/keys.js';
import { peerIdFromString } from '@libp2p/peer-id';

const bin = fileURLToPath(new URL('../../../bin/dhtscope.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-store-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI; kills it past `timeoutMs` (the test then fails on its exit code). */
function cli(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

test('crawl --protocol libp2p stores a 50-node simnet crawl: peers match the truth, visits, edges, protocol; export reads it', { timeout: 180_000 }, async (t) => {
  const truthFile = join(tmp, 'truth.json');
  const db = join(tmp, 'l2p.duckdb');
  const net = await startLibp2pSimnet({ nodes: 50, seed: 'store-e2e', shards: 1, port: 4100 + Math.floor(Math.random() * 1000), tablePeers: 12, truthFile });
  try {
    const r = await cli(['crawl', '--protocol', 'libp2p', '--simnet', truthFile, '--db', db, '--concurrency', '32', '--bind', '127.0.0.1', '--json'], 120_000);
    t.diagnostic(r.err.slice(-2000));
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
    assert.equal(summary.protocol, 'libp2p');
    assert.equal(summary.measured, 50);
    assert.equal(summary.discovered, 50);
    assert.equal(summary.unreachable, 0);
    assert.equal(summary.nat, 0, 'loopback addresses are dialable on a loopback network');
    assert.equal(Object.values(summary.agentVersions as Record<string, number>).reduce((a, b) => a + b, 0), 50);
    assert.ok(summary.t90Ms !== null && summary.t99Ms >= summary.t90Ms);
  } finally {
    await net.stop();
  }

  const truth = new Map(net.truth.nodes.map((n) => [n.peerId, n]));
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  try {
    const [crawl] = await s.query<{ id: number; protocol: string; strategy: string; ended: boolean }>('SELECT id, protocol, strategy, ended_at IS NOT NULL AS ended FROM crawls');
    assert.equal(crawl!.protocol, 'libp2p');
    assert.ok(crawl!.ended);
    const peers = await s.query<{ node_id: string; peer_id: string; agent_version: string; protocols: string; nat: boolean; dialed: string }>(
      'SELECT node_id, peer_id, agent_version, protocols::VARCHAR AS protocols, nat, dialed_addrs::VARCHAR AS dialed FROM peers WHERE crawl_id = $1', [crawl!.id]);
    assert.equal(peers.length, 50);
    for (const p of peers) {
      const n = truth.get(p.peer_id);
      assert.ok(n, `${p.peer_id} is not in the truth`);
      assert.equal(p.agent_version, n.agentVersion);
      assert.deepEqual(JSON.parse(p.protocols), n.protocols);
      assert.equal(p.node_id, Buffer.from(kadId(peerIdFromString(p.peer_id).toMultihash().bytes)).toString('hex'));
      assert.equal(p.nat, false);
      assert.ok((JSON.parse(p.dialed) as string[]).length > 0);
    }
    const visits = await s.query<{ status: string; n: bigint; nulls: bigint; req: bigint; cpl: bigint }>(
      `SELECT status, count(*) AS n, count(*) FILTER (WHERE bytes_in IS NULL AND packets_out IS NULL AND rtt1_ms IS NOT NULL) AS nulls,
        min(requests) AS req, max(cpl_errors) AS cpl FROM visits WHERE crawl_id = $1 GROUP BY status`, [crawl!.id]);
    assert.deepEqual(visits.map((v) => [v.status, Number(v.n), Number(v.nulls), Number(v.req), Number(v.cpl)]), [['measured', 50, 50, 16, 0]]);
    const [e] = await s.query<{ n: bigint; from: bigint; to: bigint }>(
      'SELECT count(*) AS n, count(DISTINCT from_node) AS from, count(DISTINCT to_node) AS to FROM edges WHERE crawl_id = $1', [crawl!.id]);
    assert.equal(Number(e!.from), 50, 'every peer returned peers');
    assert.ok(Number(e!.n) >= 50);
    const ids = new Set(peers.map((p) => p.node_id));
    const [out] = await s.query<{ n: bigint }>(`SELECT count(*) AS n FROM edges WHERE crawl_id = $1 AND to_node NOT IN (SELECT node_id FROM peers WHERE crawl_id = $1)`, [crawl!.id]);
    assert.equal(Number(out!.n), 0, 'edges join peers on node_id');
    const nodes = await s.query<{ node_id: string }>('SELECT node_id FROM nodes');
    assert.deepEqual(new Set(nodes.map((n) => n.node_id)), ids, 'nodes holds every peer seen');
  } finally {
    await s.close();
  }

  const csv = join(tmp, 'nodes.csv');
  const x = await cli(['export', '--db', db, '--what', 'nodes', '--format', 'csv', '--out', csv], 60_000);
  assert.equal(x.code, 0, x.err);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines.length, 51, 'a header and a row per peer');
  assert.ok(lines.slice(1).every((l) => l.includes(',measured,')));
  const ev = await cli(['export', '--db', db, '--what', 'edges', '--format', 'ndjson'], 60_000);
  assert.equal(ev.code, 0, ev.err);
  assert.ok(ev.out.trim().split('\n').length >= 50);
});

test('crawl --protocol libp2p refuses a discv5 truth file and discv5-only flags in one line, exit 2', { timeout: 60_000 }, async () => {
  const discv5Truth = join(tmp, 'discv5-truth.json');
  writeFileSync(discv5Truth, JSON.stringify({ bootnodes: ['enr:-abc'], nodes: [] }));
  const a = await cli(['crawl', '--protocol', 'libp2p', '--simnet', discv5Truth, '--db', join(tmp, 'x.duckdb')], 30_000);
  assert.equal(a.code, 2);
  assert.match(a.err, /is a discv5 simnet; crawl it with --protocol discv5/);
  assert.equal(a.err.trim().split('\n').length, 1);
  const b = await cli(['crawl', '--protocol', 'libp2p', '--network', 'ipfs', '--threads', '2'], 30_000);
  assert.equal(b.code, 2);
  assert.match(b.err, /--threads applies to --protocol discv5 only/);
  const m = await cli(['monitor', '--protocol', 'libp2p', '--network', 'ipfs', '--db', join(tmp, 'm.duckdb'), '--strategy', 'trie'], 30_000);
  assert.equal(m.code, 2, m.err);
  assert.match(m.err, /--strategy applies to --protocol discv5 only/);
  assert.equal(m.err.trim().split('\n').length, 1);
  const c = await cli(['crawl', '--keys-per-cpl', '2', '--network', 'mainnet'], 30_000);
  assert.equal(c.code, 2);
  assert.match(c.err, /--keys-per-cpl applies to --protocol libp2p only/);
  const d = await cli(['crawl', '--protocol', 'libp2p', '--keys-per-cpl', '4', '--network', 'ipfs'], 30_000);
  assert.equal(d.code, 2);
  const h = await cli(['crawl', '--help'], 30_000);
  assert.equal(h.code, 0);
  assert.match(h.out, /--protocol libp2p/);
});
