// A crawl visit's connection: one already open to the peer (a monitor probe's, closed by the probe at any
// moment) is neither used nor closed by the visit; a probe's dial joined to the visit's (js-libp2p joins dials
// to one peer) does not close the connection under the visit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from 'multiaddr13';
import { startLibp2pSimnet, type Libp2pSimnet } from '../../../src/simnet/libp2p/simnet.js';
import { createCrawlerHost, parseLibp2pBootnode } from '../../../src/libp2p/crawl.js';
import { visitPeer, type Libp2pHost } from '../../../src/libp2p/visit.js';
import { Libp2pProbeClient } from '../../../src/libp2p/probe.js';
import { tcpAddrOf } from '../../../src/libp2p/addrs.js';

const VISIT = { dialTimeoutMs: 3000, identifyTimeoutMs: 3000, requestTimeoutMs: 3000, keysPerCpl: 1, rand: Math.random };

describe('a crawl visit\'s connection', () => {
  let net: Libp2pSimnet;
  let host: Libp2pHost;
  before(async () => {
    net = await startLibp2pSimnet({ nodes: 3, seed: 'visit-test', shards: 0, port: 4600 + Math.floor(Math.random() * 1000), tablePeers: 2 });
    host = await createCrawlerHost('127.0.0.1', 4);
  });
  after(async () => {
    await host?.stop();
    await net?.stop();
  });

  it('is dialed anew beside one already open to the peer, which it leaves open', { timeout: 60_000 }, async () => {
    const a = net.truth.nodes[0]!;
    const target = `${a.multiaddrs[0]}/p2p/${a.peerId}`;
    const other = await host.dial(multiaddr(target), { force: true });
    const b = parseLibp2pBootnode(target);
    const v = await visitPeer(host, b.peerId, [b.addr], VISIT);
    assert.equal(v.status, 'measured', v.errorMessage ?? '');
    assert.equal(v.cplErrors, 0, v.errorMessage ?? '');
    assert.equal(other.status, 'open', 'the visit closed a connection it did not open');
    await other.close();
  });

  it('is shared with a probe dialing the peer at once, and kept until the visit is done', { timeout: 60_000 }, async () => {
    const a = net.truth.nodes[1]!;
    const b = parseLibp2pBootnode(`${a.multiaddrs[0]}/p2p/${a.peerId}`);
    const at = tcpAddrOf({ remoteAddr: null, dialedAddrs: a.multiaddrs })!;
    const client = new Libp2pProbeClient(host, () => a.peerId);
    // Issued in one tick: js-libp2p's dial queue joins the second dial to the first.
    const probed = new Promise<boolean>((r) => {
      assert.ok(client.probeTo({ id: new Uint8Array(32).fill(7), ip: at.ip, port: at.port, pubkey: new Uint8Array(0) }, 3000, { probeAnswered: () => r(true), probeFailed: () => r(false) }, null));
    });
    const v = await visitPeer(host, b.peerId, [b.addr], VISIT);
    assert.equal(await probed, true);
    assert.equal(v.status, 'measured', v.errorMessage ?? '');
    assert.equal(v.cplErrors, 0, v.errorMessage ?? '');
    assert.ok(v.identify, 'identified');
    await client.close();
  });
});
