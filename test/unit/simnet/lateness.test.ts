import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { LatenessLog, mergeLateness } from '../../../src/simnet/lateness.js';
import { startSimnet, type Simnet } from '../../../src/simnet/simnet.js';
import { PacketKind } from '../../../src/transport/types.js';
import { SessionLayer } from '../../../src/session/session-layer.js';
import { UdpTransport } from '../../../src/transport/udp.js';
import { createEnr, decodeEnrText } from '../../../src/enr/enr.js';
import { addressOf } from '../../../src/node/node.js';
import { secp } from '../../../src/crypto/index.js';

describe('simnet reply lateness', () => {
  it('keeps per node the latest WHOAREYOU and the first response after it', () => {
    const log = new LatenessLog(3);
    log.record(0, PacketKind.Response, 5, 0); // before any WHOAREYOU: histograms only
    log.record(0, PacketKind.Whoareyou, 1, 0.5);
    log.record(0, PacketKind.Response, 2, 0.25);
    log.record(0, PacketKind.Response, 40, 0); // a later response: not the handshake's answer
    log.record(2, PacketKind.Whoareyou, 3, 0);
    const s = log.snapshot((i) => `n${i}`);
    assert.deepEqual(s.nodes, { n0: [1.5, 2.25], n2: [3, null] }, 'a node that sent nothing is left out');
    const m = mergeLateness([s, log.snapshot((i) => `m${i}`)]);
    assert.equal(Object.keys(m.nodes).length, 4);
    assert.equal(m.replies.total.n, 10);
    assert.equal(m.replies.total.max, 40);
  });

  describe('an in-process simnet', () => {
    let net: Simnet | undefined;
    after(async () => { await net?.stop(); });

    it('reports both kinds for each node a client visited, and gives co-hosted IDs their host\'s RTT', { timeout: 60_000 }, async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      // cohostEvery 2: every other ID shares its predecessor's endpoint.
      net = await startSimnet({ nodes: 6, dead: 0, natFraction: 0, seed: 'lateness', rttMs: [1, 3], port, shards: 0, cohostEvery: 2 });
      const live = net.truth.live;
      const byEndpoint = new Map<string, number>();
      for (const n of live) {
        const k = `${n.ip}:${n.udp}`;
        const rtt = byEndpoint.get(k);
        if (rtt === undefined) byEndpoint.set(k, n.rttMs!); else assert.equal(n.rttMs, rtt, 'one endpoint, one RTT');
      }
      assert.ok(byEndpoint.size < live.length, 'the population has co-hosted IDs');
      const be = secp();
      const sk = be.generatePrivateKey();
      const enr = createEnr(sk, 1n, {});
      const t = await UdpTransport.bind({ address: '127.0.0.1' });
      const s = new SessionLayer(t, { sk, id: enr.nodeId(), enr }, { requestTimeoutMs: 2000, retransmits: 2 });
      try {
        for (const n of live) {
          const r = await s.findNode(addressOf(decodeEnrText(n.enr))!, [256]);
          assert.ok(r.ok, `node ${n.nodeId} answered`);
        }
      } finally {
        s.close();
        await t.close();
      }
      const l = await net.lateness();
      for (const n of live) {
        const [w, resp] = l.nodes[n.nodeId] ?? [null, null];
        assert.ok(w !== null && w >= 0, `WHOAREYOU lateness of ${n.nodeId}`);
        assert.ok(resp !== null && resp >= 0, `response lateness of ${n.nodeId}`);
      }
      assert.ok(l.replies.total.n >= 2 * live.length);
    });
  });
});
