import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSimnet, type Simnet } from '../../src/simnet/simnet.js';
import { SessionLayer } from '../../src/session/session-layer.js';
import { UdpTransport } from '../../src/transport/udp.js';
import { createEnr, decodeEnr, decodeEnrText, verifyEnr } from '../../src/enr/enr.js';
import { addressOf } from '../../src/node/node.js';
import { secp } from '../../src/crypto/index.js';
import { toHex } from '../../src/util/bytes.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);

describe('simnet: 1,000 live nodes crawled breadth-first over the session layer', () => {
  let net: Simnet;
  before(async () => {
    net = await startSimnet({ nodes: 1000, dead: 1500, seed: 7, rttMs: [1, 5], port: PORT, shards: 1 });
  });
  after(async () => { await net?.stop(); });

  it('writes a truth file shape with live, dead and bootnodes', () => {
    assert.equal(net.truth.live.length, 1000);
    assert.equal(net.truth.dead.length, 1500);
    assert.ok(net.truth.bootnodes.length >= 1);
    // A few co-hosted identities share an ip:port.
    const eps = new Set(net.truth.live.map((n) => `${n.ip}:${n.udp}`));
    assert.ok(eps.size < 1000 && eps.size >= 990);
  });

  it('finds every live node listed in the truth file', { timeout: 120_000 }, async () => {
    const be = secp();
    const sk = be.generatePrivateKey();
    const enr = createEnr(sk, 1n, {});
    const t = await UdpTransport.bind({ address: '127.0.0.1' });
    const s = new SessionLayer(t, { sk, id: enr.nodeId(), enr }, { requestTimeoutMs: 500, retransmits: 2 });
    const seen = new Map<string, ReturnType<typeof decodeEnr>>();
    const queue: ReturnType<typeof decodeEnr>[] = [];
    const answered = new Set<string>();
    for (const b of net.truth.bootnodes) { const e = decodeEnrText(b); seen.set(toHex(e.nodeId()), e); queue.push(e); }
    const DIST_GROUPS = [[256, 255, 254], [253, 252, 251], [250, 249, 248], [247, 246, 245], [244, 243, 242], [241, 240, 239]];
    const visit = async (e: ReturnType<typeof decodeEnr>) => {
      const a = addressOf(e);
      if (!a) return;
      for (const ds of DIST_GROUPS) {
        const r = await s.findNode(a, ds);
        if (!r.ok) return;
        answered.add(toHex(a.id));
        for (const raw of r.nodes ?? []) {
          const rec = decodeEnr(raw);
          const id = toHex(rec.nodeId());
          if (seen.has(id)) continue;
          assert.ok(verifyEnr(rec));
          seen.set(id, rec);
          queue.push(rec);
        }
        if ((r.nodes ?? []).length === 0) break;
      }
    };
    const CONCURRENCY = 256;
    const inflight = new Set<Promise<void>>();
    while (queue.length || inflight.size) {
      while (queue.length && inflight.size < CONCURRENCY) {
        const p: Promise<void> = visit(queue.shift()!).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.race(inflight);
    }
    s.close();
    await t.close();
    const missing = net.truth.live.filter((n) => !answered.has(n.nodeId));
    assert.equal(missing.length, 0, `live nodes not reached: ${missing.length}`);
    const deadFound = net.truth.dead.filter((n) => seen.has(n.nodeId)).length;
    assert.ok(deadFound > 1400, `dead records discovered: ${deadFound}`);
    for (const d of net.truth.dead.slice(0, 50)) assert.ok(!answered.has(d.nodeId));
  });
});
