import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChainsafePeer, freePort, freePorts } from './chainsafe-harness.js';
import { runCrawlJob } from '../../src/app/crawl-job.js';
import { createEnr } from '../../src/enr/enr.js';
import { secp } from '../../src/crypto/index.js';
import { toHex } from '../../src/util/bytes.js';

const CHAINSAFE_NODES = 6;
const DEAD = 3;

describe('interop: crawling a network of @chainsafe/discv5 nodes', () => {
  // sweep reads every table whole; the default has to see from the replies that the network is small.
  for (const strategy of ['sweep', null]) it(`finds and measures all ${CHAINSAFE_NODES} live chainsafe nodes, and lists the dead records they hold (${strategy ?? 'default strategy'})`, { timeout: 90_000 }, async () => {
    const be = secp();
    const peer = await ChainsafePeer.spawn();
    try {
      const nodes = await peer.start(Array.from({ length: CHAINSAFE_NODES }, () => be.generatePrivateKey()), await freePorts(CHAINSAFE_NODES));
      // A chain of introductions (n0 knows only n1, n1 only n2, ...) so the crawler has to walk it.
      for (let i = 0; i + 1 < nodes.length; i++) assert.ok(await peer.addEnr(nodes[i]!.index, nodes[i + 1]!.enr));
      const dead = [];
      for (let i = 0; i < DEAD; i++) {
        const e = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: await freePort() });
        dead.push(e);
        assert.ok(await peer.addEnr(nodes[nodes.length - 1]!.index, e.toText()));
      }
      const { summary, crawler } = await runCrawlJob({
        config: { ...(strategy ? { strategy } : {}), requestTimeoutMs: 1000, bindAddress: '127.0.0.1' },
        bootnodes: [nodes[0]!.enr], dbPath: null, keyFile: null, freshIdentity: true, version: 'test',
      });
      const found = new Map([...crawler.allNodes()].map((n) => [toHex(n.id), n]));
      for (const n of nodes) {
        const f = found.get(n.nodeId);
        assert.ok(f, `chainsafe node ${n.index} not discovered`);
        assert.ok(f.measuredAtMs >= 0, `chainsafe node ${n.index} not measured`);
        assert.ok(f.rtt1Ms !== null);
      }
      for (const d of dead) {
        const f = found.get(toHex(d.nodeId()));
        assert.ok(f, 'dead record not discovered');
        assert.equal(f.measuredAtMs, -1);
      }
      assert.equal(summary.measured, CHAINSAFE_NODES);
      assert.equal(summary.records.badSignature, 0);
      assert.equal(summary.contacts, CHAINSAFE_NODES + DEAD, 'one first contact per node, dead ones included');
    } finally { await peer.close(); }
  });

  it('at a low --rate, nodes that answered wait for their visit and chainsafe still accepts the handshake', { timeout: 90_000 }, async () => {
    const be = secp();
    const peer = await ChainsafePeer.spawn();
    try {
      const nodes = await peer.start(Array.from({ length: CHAINSAFE_NODES }, () => be.generatePrivateKey()), await freePorts(CHAINSAFE_NODES));
      // A star: the bootnode holds every other node, so their contacts overlap and they park together.
      for (let i = 1; i < nodes.length; i++) assert.ok(await peer.addEnr(nodes[0]!.index, nodes[i]!.enr));
      // sweep spends 18 FINDNODEs per node: at 20/s, follow-ups compete with admissions for every token.
      const { summary } = await runCrawlJob({
        config: { strategy: 'sweep', ratePerSec: 20, burst: 1, contactRatePerSec: 1000, adaptiveRate: false, requestTimeoutMs: 1000, bindAddress: '127.0.0.1' },
        bootnodes: [nodes[0]!.enr], dbPath: null, keyFile: null, freshIdentity: true, version: 'test',
      });
      assert.equal(summary.measured, CHAINSAFE_NODES, `failures: ${JSON.stringify(summary.failures)}`);
      assert.equal(summary.failures['bad-handshake'] ?? 0, 0, 'no handshake answered a forgotten challenge');
      assert.equal(summary.lateAdmissions, 0);
    } finally { await peer.close(); }
  });
});
