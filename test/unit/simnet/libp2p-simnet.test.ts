import '../../../src/util/node-compat.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { multiaddr } from '@multiformats/multiaddr';
import { startLibp2pSimnet, type Libp2pSimnet, type Libp2pTruth } from '../../../src/simnet/libp2p/simnet.js';
import { KAD_PROTOCOL, libp2pPopulation } from '../../../src/simnet/libp2p/population.js';
import { specPeerId } from '../../../src/simnet/libp2p/node.js';

const NODES = 40;
/** Tables of a third of the network: reaching every node takes lookups through several tables. */
const TABLE_PEERS = 12;
/** Every wait in this file ends by this. */
const WAIT_MS = 15_000;
type Client = Libp2p<{ dht: KadDHT; identify: Identify; ping: unknown }>;
/** A dial target: our @multiformats/multiaddr is 12, libp2p's 13; the two agree on bytes and text. */
const ma = (s: string) => multiaddr(s) as unknown as Extract<Parameters<Client['dial']>[0], { bytes: Uint8Array }>;

/** Shard processes that are children of this test process. */
function shardChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('libp2p/shard-main'));
}

describe('libp2p population', () => {
  it('gives the same peer IDs, agents and tables for a seed, others for another seed', async () => {
    const p = { nodes: 30, seed: 'x', port: 4001, tablePeers: 10 };
    const a = libp2pPopulation(p), b = libp2pPopulation(p), c = libp2pPopulation({ ...p, seed: 'y' });
    assert.deepEqual(a, b);
    assert.equal((await specPeerId(a[3]!)).toString(), (await specPeerId(b[3]!)).toString());
    assert.notEqual((await specPeerId(a[3]!)).toString(), (await specPeerId(c[3]!)).toString());
    for (const s of a) {
      assert.match(s.ip, /^127\.60\./);
      assert.equal(s.tablePeers.length, 10);
      assert.ok(!s.tablePeers.includes(s.index), 'a node is not in its own table');
    }
    assert.throws(() => libp2pPopulation({ ...p, nodes: 1 }), { code: 'ERR_SIMNET_CONFIG' });
  });
});

describe('libp2p simnet', () => {
  let net: Libp2pSimnet;
  let truth: Libp2pTruth;
  let client: Client;
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-'));
  const truthFile = join(dir, 'truth.json');

  before(async () => {
    // Two shard processes, so the merge of their truths is what is checked.
    net = await startLibp2pSimnet({ nodes: NODES, seed: 'test', shards: 2, truthFile, port: 4101, tablePeers: TABLE_PEERS });
    truth = net.truth;
    client = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.9/tcp/0'] },
      transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
      connectionMonitor: { enabled: false },
      services: {
        // Identified by hand below: a node serves one identify stream per connection, so an automatic one
        // on connection open would make the explicit one fail with an early EOF.
        ping: ping(), identify: identify({ runOnConnectionOpen: false }),
        dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: true, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true }),
      },
    }) as unknown as Client;
  });

  after(async () => {
    await client?.stop();
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a truth file of every node with its own 127.x address, agent and protocols', () => {
    const file = JSON.parse(readFileSync(truthFile, 'utf8')) as Libp2pTruth;
    assert.deepEqual(file, truth);
    assert.equal(file.protocol, 'libp2p');
    assert.equal(file.nodes.length, NODES);
    assert.equal(new Set(file.nodes.map((n) => n.peerId)).size, NODES);
    const ips = file.nodes.map((n) => n.multiaddrs[0]!.split('/')[2]!);
    assert.equal(new Set(ips).size, NODES);
    for (const ip of ips) assert.ok(ip.startsWith('127.') && ip !== '127.0.0.1', ip);
    for (const n of file.nodes) {
      assert.ok(n.protocols.includes(KAD_PROTOCOL) && n.protocols.includes('/ipfs/id/1.0.0'), n.protocols.join());
      assert.ok(n.tableSize > 0);
    }
    // Variety the crawler's checks need: several agents, and protocol sets that differ.
    assert.ok(new Set(file.nodes.map((n) => n.agentVersion)).size >= 3);
    assert.ok(new Set(file.nodes.map((n) => n.protocols.join())).size >= 2);
    assert.match(file.bootnodes[0]!, /^\/ip4\/127\.60\.0\.1\/tcp\/4101\/p2p\/12D3KooW/);
    assert.equal(file.params.shards, 2);
  });

  it('answers identify with the agent and protocols of the truth', async () => {
    // The bootnode, and a node of the second shard with an extra protocol.
    const extra = truth.nodes.slice(NODES / 2).find((n) => n.protocols.some((p) => !['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0', '/ipfs/ping/1.0.0'].includes(p)))!;
    assert.ok(extra, 'some node of the second shard serves an extra protocol');
    for (const n of [truth.nodes[0]!, extra]) {
      const conn = await client.dial(ma(`${n.multiaddrs[0]}/p2p/${n.peerId}`), { signal: AbortSignal.timeout(WAIT_MS) });
      const r = await client.services.identify.identify(conn, { signal: AbortSignal.timeout(WAIT_MS) });
      assert.equal(r.peerId.toString(), n.peerId);
      assert.equal(r.agentVersion, n.agentVersion);
      assert.deepEqual(r.protocols.slice().sort(), n.protocols);
    }
  });

  it('answers FIND_NODE with peers of the truth at their 127.x addresses', async () => {
    const boot = truth.nodes[0]!;
    const byId = new Map(truth.nodes.map((n) => [n.peerId, n]));
    await client.dial(ma(truth.bootnodes[0]!), { signal: AbortSignal.timeout(WAIT_MS) });
    const deadline = Date.now() + WAIT_MS;
    let fromBoot: { id: string; addrs: string[] }[] = [];
    // The client adds the bootnode to its table once connected; until then a lookup has no one to ask.
    while (fromBoot.length === 0 && Date.now() < deadline) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      for await (const ev of client.services.dht.getClosestPeers(key, { signal: AbortSignal.timeout(WAIT_MS) })) {
        if (ev.name !== 'PEER_RESPONSE') continue;
        const closer = ev.closer.map((p) => ({ id: p.id.toString(), addrs: p.multiaddrs.map(String) }));
        if (ev.from.toString() === boot.peerId) fromBoot = closer;
      }
      if (fromBoot.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(fromBoot.length >= TABLE_PEERS / 2, `the bootnode returned ${fromBoot.length} peers`);
    for (const p of fromBoot) {
      const n = byId.get(p.id);
      assert.ok(n, `${p.id} is in the truth`);
      assert.deepEqual(p.addrs, n.multiaddrs);
    }
  });

  it('lets lookups from the bootnode reach every node', async () => {
    const all = new Set(truth.nodes.map((n) => n.peerId));
    const seen = new Set<string>([truth.nodes[0]!.peerId]);
    const deadline = Date.now() + WAIT_MS;
    // Random targets, as a crawler's bucket refresh would ask: each lookup walks the tables toward its key.
    while (seen.size < all.size && Date.now() < deadline) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      for await (const ev of client.services.dht.getClosestPeers(key, { signal: AbortSignal.timeout(WAIT_MS) })) {
        if (ev.name === 'PEER_RESPONSE') for (const p of ev.closer) seen.add(p.id.toString());
      }
    }
    assert.deepEqual([...seen].filter((id) => !all.has(id)), [], 'only truth nodes are returned');
    assert.equal(seen.size, all.size);
  });

  it('leaves no shard process behind once stopped', async () => {
    assert.equal(shardChildren().length, 2);
    await net.stop();
    assert.deepEqual(shardChildren(), []);
    await net.stop(); // twice is harmless
  });
});
