// A crawl visit's connection: one already open to the peer (a monitor probe's, closed by the probe at any
// moment) is neither used nor closed by the visit; a probe's dial joined to the visit's (js-libp2p joins dials
// to one peer) does not close the connection under the visit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from 'multiaddr13';
import { startLibp2pSimnet } from '../../../src/simnet/libp2p/simnet.js';
import { createCrawlerHost, parseLibp2pBootnode } from '../../../src/libp2p/crawl.js';
import { visitPeer } from '../../../src/libp2p/visit.js';
import { Libp2pProbeClient } from '../../../src/libp2p/probe.js';
import { tcpAddrOf } from '../../../src/libp2p/addrs.js';

test('a visit dials a connection of its own beside one already open to the peer', { timeout: 60_000 }, async () => {
  const port = 4600 + Math.floor(Math.random() * 1000);
  const net = await startLibp2pSimnet({ nodes: 3, seed: 'visit-test', shards: 0, port, tablePeers: 2 });
  const host = await createCrawlerHost('127.0.0.1', 4);
  try {
    const a = net.truth.nodes[0]!;
    const target = `${a.multiaddrs[0]}/p2p/${a.peerId}`;
    const other = await host.dial(multiaddr(target), { force: true });
    const b = parseLibp2pBootnode(target);
    const v = await visitPeer(host, b.peerId, [b.addr], { dialTimeoutMs: 3000, identifyTimeoutMs: 3000, requestTimeoutMs: 3000, keysPerCpl: 1, rand: Math.random });
    assert.equal(v.status, 'measured', v.errorMessage ?? '');
    assert.equal(v.cplErrors, 0, v.errorMessage ?? '');
    assert.equal(other.status, 'open', 'the visit closed a connection it did not open');
    await other.close();
  } finally {
    await host.stop();
    await net.stop();
  }
});

test('a probe and a visit that dial one peer at once share the connection; the visit keeps it until done', { timeout: 60_000 }, async () => {
  const port = 4600 + Math.floor(Math.random() * 1000);
  const net = await startLibp2pSimnet({ nodes: 3, seed: 'visit-test-2', shards: 0, port, tablePeers: 2 });
  const host = await createCrawlerHost('127.0.0.1', 4);
  try {
    const a = net.truth.nodes[0]!;
    const b = parseLibp2pBootnode(`${a.multiaddrs[0]}/p2p/${a.peerId}`);
    const kad = new Uint8Array(32).fill(7);
    const at = tcpAddrOf({ remoteAddr: null, dialedAddrs: a.multiaddrs })!;
    const client = new Libp2pProbeClient(host, () => a.peerId);
    // Issued in one tick: js-libp2p's dial queue joins the second dial to the first.
    const probed = new Promise<boolean>((r) => {
      assert.ok(client.probeTo({ id: kad, ip: at.ip, port: at.port, pubkey: new Uint8Array(0) }, 3000, { probeAnswered: () => r(true), probeFailed: () => r(false) }, null));
    });
    const v = await visitPeer(host, b.peerId, [b.addr], { dialTimeoutMs: 3000, identifyTimeoutMs: 3000, requestTimeoutMs: 3000, keysPerCpl: 1, rand: Math.random });
    assert.equal(await probed, true);
    assert.equal(v.status, 'measured', v.errorMessage ?? '');
    assert.equal(v.cplErrors, 0, v.errorMessage ?? '');
    assert.ok(v.identify, 'identified');
    await client.close();
  } finally {
    await host.stop();
    await net.stop();
  }
});
