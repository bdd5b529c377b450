// Issue 22's first Done-when: a crawl of a 50-node loopback libp2p network finds every node, and every node's
// agent and protocols match the truth; the returned peers are the edges of the tables the simnet built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLibp2pSimnet } from '../../src/simnet/libp2p/simnet.js';
import { crawlLibp2p, createCrawlerHost, DEFAULT_LIBP2P_CRAWL_CONFIG } from '../../src/libp2p/crawl.js';
import type { Libp2pVisit } from '../../src/libp2p/visit.js';

test('a crawl of a 50-node libp2p network finds every node, with the agent and protocols the truth gives', { timeout: 120_000 }, async (t) => {
  const net = await startLibp2pSimnet({ nodes: 50, seed: 'crawl-e2e', shards: 1, port: 4100 + Math.floor(Math.random() * 1000), tablePeers: 12 });
  const host = await createCrawlerHost('127.0.0.1', 32);
  try {
    const visits: Libp2pVisit[] = [];
    const s = await crawlLibp2p(host, net.truth.bootnodes, { ...DEFAULT_LIBP2P_CRAWL_CONFIG, concurrency: 32, listenIp: '127.0.0.1' }, (v) => visits.push(v));
    t.diagnostic(JSON.stringify(s));
    const truth = new Map(net.truth.nodes.map((n) => [n.peerId, n]));
    const measured = new Map(visits.filter((v) => v.status === 'measured').map((v) => [v.peerId, v]));
    for (const id of truth.keys()) assert.ok(measured.has(id), `node ${id} not measured: ${JSON.stringify(visits.find((v) => v.peerId === id) ?? 'never discovered')}`);
    assert.equal(s.discovered, truth.size, 'no peer that is not in the network');
    for (const [id, n] of truth) {
      const v = measured.get(id)!;
      assert.equal(v.identify?.agentVersion, n.agentVersion, id);
      assert.deepEqual(v.identify?.protocols, n.protocols, id);
      assert.equal(v.cplErrors, 0, `${id}: every bucket answered`);
      assert.equal(v.requests, 16);
    }
    // Each node returned at least the peers of its table that share a bucket with the crafted keys.
    assert.ok(visits.every((v) => v.neighbours.size > 0));
  } finally {
    await host.stop();
    await net.stop();
  }
});

test('--rate caps the visits started per second', { timeout: 60_000 }, async () => {
  const net = await startLibp2pSimnet({ nodes: 24, seed: 'crawl-rate', shards: 0, port: 4100 + Math.floor(Math.random() * 1000), tablePeers: 8 });
  const host = await createCrawlerHost('127.0.0.1', 32);
  try {
    const RATE = 10;
    const starts: number[] = [];
    const s = await crawlLibp2p(host, net.truth.bootnodes, { ...DEFAULT_LIBP2P_CRAWL_CONFIG, concurrency: 32, listenIp: '127.0.0.1', visitsPerSec: RATE },
      (v) => starts.push(v.startedAtMs));
    assert.equal(s.measured, 24);
    starts.sort((a, b) => a - b);
    // In any one second at most the rate plus the bucket's burst (a tenth of a second's worth, at least one).
    const burst = Math.max(1, RATE / 10);
    for (let i = 0; i < starts.length; i++) {
      const inSecond = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 1000).length;
      assert.ok(inSecond <= RATE + burst, `${inSecond} visits started within a second of ${starts[i]}`);
    }
    assert.ok(starts[starts.length - 1]! - starts[0]! >= ((24 - RATE - burst) / RATE) * 1000, 'the crawl was spread out');
  } finally {
    await host.stop();
    await net.stop();
  }
});
