// The libp2p liveness probe: a dial to a live peer answers with its time; a dial to a closed port, or with the
// wrong peer ID for the address, fails as no answer; a peer whose ID is unknown is not probed at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLibp2pSimnet } from '../../../src/simnet/libp2p/simnet.js';
import { createCrawlerHost } from '../../../src/libp2p/crawl.js';
import { Libp2pProbeClient } from '../../../src/libp2p/probe.js';
import { idKey } from '../../../src/libp2p/visit.js';
import { tcpAddrOf } from '../../../src/libp2p/addrs.js';
import type { NodeAddress, ProbeFailure, ProbeSink } from '../../../src/session/types.js';

type Outcome = { ok: true; rttMs: number } | { ok: false; reason: ProbeFailure };

function probe(client: Libp2pProbeClient, remote: NodeAddress, timeoutMs = 3000): Promise<Outcome> | null {
  let done!: (o: Outcome) => void;
  const p = new Promise<Outcome>((r) => { done = r; });
  const sink: ProbeSink<null> = {
    probeAnswered: (_t, rttNs) => done({ ok: true, rttMs: Number(rttNs) / 1e6 }),
    probeFailed: (_t, reason) => done({ ok: false, reason }),
  };
  return client.probeTo(remote, timeoutMs, sink, null) ? p : null;
}

test('a dial probe tells a live peer from a closed port and a wrong peer ID', { timeout: 60_000 }, async () => {
  const port = 4600 + Math.floor(Math.random() * 1000);
  const net = await startLibp2pSimnet({ nodes: 3, seed: 'probe-test', shards: 0, port, tablePeers: 2 });
  const host = await createCrawlerHost('127.0.0.1', 4);
  const ids = new Map<string, string>();
  const client = new Libp2pProbeClient(host, (id) => ids.get(idKey(id)) ?? null);
  try {
    const [a, b] = net.truth.nodes;
    const addrA = tcpAddrOf({ remoteAddr: null, dialedAddrs: a!.multiaddrs })!;
    const idA = new Uint8Array(32).fill(1), idB = new Uint8Array(32).fill(2), idC = new Uint8Array(32).fill(3);
    ids.set(idKey(idA), a!.peerId);
    // B's peer ID at A's address: the Noise handshake finds another key there.
    ids.set(idKey(idB), b!.peerId);
    ids.set(idKey(idC), a!.peerId);
    const live = await probe(client, { id: idA, ip: addrA.ip, port: addrA.port, pubkey: new Uint8Array(0) })!;
    assert.equal(live.ok, true, JSON.stringify(live));
    const wrong = await probe(client, { id: idB, ip: addrA.ip, port: addrA.port, pubkey: new Uint8Array(0) })!;
    assert.deepEqual(wrong, { ok: false, reason: 'no-answer' });
    // Port 1 on loopback: nothing listens, the dial is refused at once.
    const closed = await probe(client, { id: idC, ip: addrA.ip, port: 1, pubkey: new Uint8Array(0) })!;
    assert.deepEqual(closed, { ok: false, reason: 'no-answer' });
    assert.equal(probe(client, { id: new Uint8Array(32).fill(9), ip: addrA.ip, port: addrA.port, pubkey: new Uint8Array(0) }), null, 'no peer ID: not probed');
    await client.close();
    assert.equal(client.pending, 0);
    assert.equal(probe(client, { id: idA, ip: addrA.ip, port: addrA.port, pubkey: new Uint8Array(0) }), null, 'closed: nothing more is sent');
  } finally {
    await host.stop();
    await net.stop();
  }
});

test('the address a visit reached comes first, then the first TCP address it dialed', () => {
  assert.deepEqual(tcpAddrOf({ remoteAddr: '/ip4/1.2.3.4/tcp/4001', dialedAddrs: ['/ip4/5.6.7.8/tcp/1'] }), { ip: '1.2.3.4', port: 4001, text: '/ip4/1.2.3.4/tcp/4001' });
  assert.deepEqual(tcpAddrOf({ remoteAddr: null, dialedAddrs: ['/ip4/5.6.7.8/udp/4001/quic-v1', '/ip6/::1/tcp/9'] }), { ip: '::1', port: 9, text: '/ip6/::1/tcp/9' });
  assert.equal(tcpAddrOf({ remoteAddr: null, dialedAddrs: ['/dns4/example.org/tcp/4001'] }), null);
});
