// `dhtscope serve` over libp2p crawls (issue 22): a file of one libp2p crawl of a 30-node loopback simnet, and a
// file holding a discv5 crawl and that libp2p crawl. The overview, networks index, node list (filtered by protocol,
// agent family, agent version and protocol supported), a peer's page and the API answer 200 with the peers the
// truth has; new parameters with bad values get 400s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreReader } from '../../src/store/index.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { countBy, familyOf, LIBP2P_NODES, makeLibp2pDbs, nodeIdOf, type Libp2pDbs } from './libp2p-dbs.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-serve-l2p-'));

interface ApiRow { node_id: string; protocol: string; network: string; peer_id: string | null; agent: string | null; agent_full: string | null; protocols: string[] | null; listen_addrs: string[] | null; status: string; class: string; rtt_ms: number | null }

let dbs: Libp2pDbs;
let mixed: RunningServer;
let libp2p: RunningServer;

async function get(server: RunningServer, path: string): Promise<{ status: number; text: string }> {
  const r = await fetch(server.url + path, { redirect: 'manual' });
  return { status: r.status, text: r.status === 302 ? r.headers.get('location') ?? '' : await r.text() };
}

async function json<T>(server: RunningServer, path: string): Promise<T> {
  const r = await get(server, path);
  assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as T;
}

describe('e2e: dhtscope serve on libp2p crawls', () => {
  before(async () => {
    dbs = await makeLibp2pDbs(dir);
    mixed = await startServer({ dbPath: dbs.mixed.path, host: '127.0.0.1', port: 0, dbMemoryMB: 128 });
    libp2p = await startServer({ dbPath: dbs.libp2p.path, host: '127.0.0.1', port: 0, dbMemoryMB: 128 });
  }, { timeout: 90_000 });
  after(async () => {
    await mixed?.close();
    await libp2p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const truthById = () => new Map(dbs.truth.nodes.map((n) => [n.peerId, n]));

  it('lists every libp2p peer with the peer ID, agent, protocols and listen addresses the truth gives', async () => {
    for (const server of [mixed, libp2p]) {
      const r = await json<{ total: number; rows: ApiRow[] }>(server, '/api/nodes?protocol=libp2p&per=500');
      // The simnet's peers, and the two bootnodes whose dials failed (visited, never seen).
      assert.equal(r.total, LIBP2P_NODES + 2);
      const truth = truthById();
      for (const row of r.rows) {
        assert.equal(row.protocol, 'libp2p');
        assert.equal(row.network, 'libp2p');
        assert.equal(row.node_id, nodeIdOf(row.peer_id!));
        const n = truth.get(row.peer_id!);
        if (!n) {
          assert.ok(dbs.failing.includes(row.peer_id!), `${row.peer_id} is neither in the truth nor a failing bootnode`);
          assert.deepEqual([row.class, row.agent, row.rtt_ms], ['unreachable', null, null]);
          continue;
        }
        assert.deepEqual([row.agent_full, row.agent, row.protocols, row.listen_addrs, row.class], [n.agentVersion, familyOf(n.agentVersion), n.protocols, n.multiaddrs, 'reachable']);
        assert.ok(row.rtt_ms! > 0, 'the connect time');
      }
    }
    // The mixed file's discv5 nodes stay discv5, and have no libp2p fields.
    const d = await json<{ total: number; rows: ApiRow[] }>(mixed, '/api/nodes?protocol=discv5&per=500');
    assert.ok(d.total >= 300, `discv5 nodes: ${d.total}`);
    assert.ok(d.rows.every((r) => r.protocol === 'discv5' && r.peer_id === null && r.network !== 'libp2p'));
    const all = await json<{ total: number }>(mixed, '/api/nodes?per=1');
    assert.equal(all.total, d.total + LIBP2P_NODES + 2);
  });

  it('filters peers by agent family, agent version and protocol supported, as the truth counts them', async () => {
    const truth = dbs.truth.nodes;
    for (const [family, n] of countBy(truth, (x) => familyOf(x.agentVersion))) {
      const r = await json<{ total: number; rows: ApiRow[] }>(mixed, `/api/nodes?agent=${encodeURIComponent(family)}&per=500`);
      assert.equal(r.total, n, family);
      assert.ok(r.rows.every((x) => x.agent === family));
    }
    for (const [agent, n] of countBy(truth, (x) => x.agentVersion)) {
      assert.equal((await json<{ total: number }>(mixed, `/api/nodes?agent_version=${encodeURIComponent(agent)}`)).total, n, agent);
    }
    for (const [proto, n] of countBy(truth.flatMap((x) => x.protocols), (p) => p)) {
      assert.equal((await json<{ total: number }>(mixed, `/api/nodes?supports=${encodeURIComponent(proto)}`)).total, n, proto);
    }
    assert.equal((await json<{ total: number }>(mixed, '/api/nodes?agent=-')).total, 2, 'the failing bootnodes gave no agent');
    assert.equal((await json<{ total: number }>(mixed, `/api/nodes?q=${dbs.truth.nodes[3]!.peerId}`)).total, 1, 'search by peer ID');
    // The CSV export of a libp2p filter: a peer per row, its lists as JSON.
    const csv = (await get(mixed, '/api/nodes/export?protocol=libp2p&class=reachable&format=csv')).text.trimEnd().split('\n');
    assert.equal(csv.length, LIBP2P_NODES + 1);
    assert.match(csv[0]!, /,protocol,peer_id,agent,agent_full,protocols,listen_addrs$/);
    assert.ok(csv.slice(1).every((l) => l.includes(',libp2p,12D3KooW') && l.includes('"[""/ipfs/')), csv[1]);
  });

  it('shows the libp2p crawl on the overview and the networks index', async () => {
    const o = await json<{ crawls: Array<{ id: number; protocol: string }>; figures: Array<{ id: string; spec: unknown }> }>(mixed, '/api/overview');
    assert.deepEqual(o.crawls.map((c) => [c.id, c.protocol]), [[2, 'libp2p'], [1, 'discv5']]);
    assert.deepEqual(o.figures.map((f) => f.id), ['networks', 'rtt', 'states', 'libp2p-agents', 'libp2p-protocols', 'libp2p-connect']);
    assert.ok(o.figures.filter((f) => f.id !== 'states').every((f) => f.spec !== null));
    const only = await json<{ figures: Array<{ id: string }> }>(libp2p, '/api/overview');
    assert.deepEqual(only.figures.map((f) => f.id), ['libp2p-agents', 'libp2p-protocols', 'libp2p-connect']);
    const page = await get(mixed, '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Overview: crawls 1 and 2 · dhtscope<\/title>/);
    assert.match(page.text, /data-chart="libp2p-agents"/);
    assert.match(page.text, /<tr><td>2<\/td><td>libp2p<\/td>/);
    // A click on an agent family's bar lists that family's libp2p peers.
    assert.match(page.text, /"clickField":"family","clickParam":"agent","extra":"protocol=libp2p"/);

    const nets = await json<{ networks: Array<{ network: string; nodes: number; measured: number }>; libp2pAgents: Array<{ agent: string | null; nodes: number; measured: number }>; libp2pProtocols: Array<{ protocol: string; nodes: number }> }>(mixed, '/api/networks');
    assert.deepEqual(nets.networks.find((n) => n.network === 'libp2p'), { network: 'libp2p', fork: null, nodes: LIBP2P_NODES + 2, measured: LIBP2P_NODES });
    const families = countBy(dbs.truth.nodes, (x) => familyOf(x.agentVersion));
    assert.deepEqual(new Map(nets.libp2pAgents.filter((a) => a.agent !== null).map((a) => [a.agent, a.measured])), families);
    assert.deepEqual(new Map(nets.libp2pProtocols.map((p) => [p.protocol, p.nodes])), countBy(dbs.truth.nodes.flatMap((x) => x.protocols), (p) => p));
    const html = (await get(mixed, '/networks')).text;
    assert.match(html, /<h2>libp2p Kademlia DHT<\/h2>/);
    for (const f of families.keys()) assert.ok(html.includes(`data-agent="${f}"`), f);
    assert.match(html, /<a href="\/nodes\?supports=%2Fipfs%2Fkad%2F1.0.0"><code>\/ipfs\/kad\/1.0.0<\/code><\/a><\/td><td class="num">30<\/td>/);
  });

  it('shows libp2p columns when the list holds only libp2p peers', async () => {
    const n = dbs.truth.nodes[5]!;
    for (const [server, path] of [[mixed, '/nodes?protocol=libp2p&per=500'], [libp2p, '/nodes?per=500']] as const) {
      const page = await get(server, path);
      assert.equal(page.status, 200);
      assert.match(page.text, /<th><a [^>]*>peer_id<\/a><\/th><th><a [^>]*>agent<\/a><\/th><th>protocols<\/th><th>listen_addrs<\/th>/);
      assert.ok(page.text.includes(`<code>${n.peerId}</code>`) && page.text.includes(`<code>${n.multiaddrs[0]}</code>`), path);
      assert.match(page.text, /data-facet="agent" data-value="kubo"/);
    }
    // A mixed list keeps the discv5 columns, with the protocol facet beside them.
    const both = (await get(mixed, '/nodes')).text;
    assert.match(both, /<th><a [^>]*>node_id<\/a><\/th><th><a [^>]*>network<\/a><\/th><th><a [^>]*>fork<\/a><\/th>/);
    assert.match(both, /data-facet="protocol" data-value="libp2p">libp2p<\/a> <span class="muted">32<\/span>/);
    // The new sort keys sort any list.
    for (const key of ['protocol', 'peer_id', 'agent']) assert.equal((await get(mixed, `/nodes?sort=${key}&order=desc`)).status, 200, key);
  });

  it('shows a peer\'s page: its identify answers, visits and neighbours; lookup by peer ID leads there', async () => {
    const n = dbs.truth.nodes[7]!;
    const id = n.nodeId;
    const api = await json<{ node: ApiRow; records: unknown[]; peers: Array<{ crawl_id: number; peer_id: string; agent_version: string; protocols: string[]; listen_addrs: string[]; nat: boolean }>;
      visits: Array<{ status: string; connect_ms: number; requests: number }>; returnedBy: Array<{ node_id: string }>; returned: Array<{ node_id: string }> }>(mixed, `/api/nodes/${id}`);
    assert.equal(api.node.peer_id, n.peerId);
    assert.deepEqual(api.records, []);
    assert.deepEqual(api.peers.map((p) => [p.crawl_id, p.peer_id, p.agent_version, p.protocols, p.listen_addrs, p.nat]), [[2, n.peerId, n.agentVersion, n.protocols, n.multiaddrs, false]]);
    assert.deepEqual(api.visits.map((v) => [v.status, v.requests]), [['measured', 16]]);
    assert.ok(api.visits[0]!.connect_ms > 0);
    const reader = await StoreReader.open(dbs.mixed.path, { memoryLimitMB: 64 });
    try {
      const edges = await reader.query<{ from_node: string; to_node: string }>('SELECT from_node, to_node FROM edges WHERE crawl_id = 2 AND (from_node = $1 OR to_node = $1)', [id]);
      assert.deepEqual(new Set(api.returned.map((r) => r.node_id)), new Set(edges.filter((e) => e.from_node === id).map((e) => e.to_node)));
      assert.deepEqual(new Set(api.returnedBy.map((r) => r.node_id)), new Set(edges.filter((e) => e.to_node === id).map((e) => e.from_node)));
      assert.ok(api.returned.length > 0 && api.returnedBy.length > 0);
    } finally { reader.close(); }
    const page = await get(mixed, `/nodes/${id}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`<code id="peer-id">${n.peerId}</code>`) && page.text.includes(`<span id="agent">${n.agentVersion}</span>`));
    assert.match(page.text, /<h2>Identify answers<\/h2>/);
    assert.match(page.text, /<th>connect_ms<\/th>/);
    assert.ok(page.text.includes(`/nodes/${api.returned[0]!.node_id}`), 'neighbours link to their pages');
    // A failing bootnode has a page too: visited, never answered.
    const failed = await json<{ node: ApiRow; visits: Array<{ status: string; error: string }> }>(mixed, `/api/nodes/${nodeIdOf(dbs.failing[0]!)}`);
    assert.deepEqual([failed.node.class, failed.visits.map((v) => [v.status, v.error])], ['unreachable', [['failed', 'refused']]]);
    assert.deepEqual(await json(mixed, `/api/lookup?q=${n.peerId}`), { nodeId: id });
    assert.deepEqual(await get(mixed, `/lookup?q=${n.peerId}`), { status: 302, text: `/nodes/${id}` });
  });

  it('answers the new parameters\' bad values with 400s', async () => {
    const cases = ['/api/nodes?protocol=ipfs', '/nodes?protocol=kad', `/api/nodes?agent=${'k'.repeat(200)}`, '/api/nodes?agent_version=a%0Ab',
      '/api/nodes?supports=%00', '/api/nodes?sort=protocols', '/api/nodes?sort=listen_addrs', '/lookup?q=12D3KooWnotapeer'];
    for (const path of cases) {
      const r = await get(mixed, path);
      assert.equal(r.status, 400, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    assert.equal((await get(mixed, '/diff?a=1&b=2')).status, 200);
    const d = await json<{ perNetwork: Array<{ network: string; appeared: number }> }>(mixed, '/api/diff?a=1&b=2');
    assert.equal(d.perNetwork.find((x) => x.network === 'libp2p')?.appeared, LIBP2P_NODES);
  });
});
