import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeCrawlRuntime, openCrawlRuntime } from '../../../src/app/crawl-job.js';
import { DEFAULT_CRAWL_CONFIG } from '../../../src/crawler/config.js';
import { initiatorHandshake } from '../../../src/crypto/discv5.js';
import { secp, type Secp256k1Backend } from '../../../src/crypto/index.js';
import { createEnr } from '../../../src/enr/enr.js';
import { SessionLayer } from '../../../src/session/session-layer.js';
import type { DatagramTransport } from '../../../src/transport/types.js';
import { Flag } from '../../../src/wire/constants.js';
import { encodeHeader, encodePacket, handshakeAuthdata } from '../../../src/wire/packet.js';
import { loopbackNode } from '../session/loopback-nodes.js';

describe('the crawler is a client (issue 18, item 4)', () => {
  it('its session layer answers no stranger: no WHOAREYOU to a random packet, so no handshake either', async () => {
    const rt = await openCrawlRuntime({
      config: { ...DEFAULT_CRAWL_CONFIG, bindAddress: '127.0.0.1', threads: 1 }, dbPath: null, keyFile: null, freshIdentity: true,
    });
    try {
      assert.equal(rt.session.config.respond, false);
      const stranger = await loopbackNode();
      const crawler = { id: rt.identity.id, ip: '127.0.0.1', port: rt.transport.address.port, pubkey: rt.identity.enr.publicKey };
      const probe = await stranger.session.probe(crawler, 200);
      assert.ok(!probe.alive && probe.reason === 'no-whoareyou');
      const r = await stranger.session.findNode(crawler, [256], undefined, 200);
      assert.ok(!r.ok && r.reason === 'no-whoareyou');
      assert.ok(rt.session.counters.packetsIn >= 2, 'the packets arrived');
      assert.equal(rt.session.counters.whoareyouSent, 0);
      assert.equal(rt.session.counters.handshakesIn, 0);
    } finally {
      await closeCrawlRuntime(rt);
    }
  });

  it('a stranger\'s packets, a handshake included, cost it no secp256k1 work and leave no state', () => {
    const real = secp();
    let calls = 0;
    const counting = new Proxy(real, {
      get: (t, k) => { const v = Reflect.get(t, k) as unknown; return typeof v === 'function' ? (...a: unknown[]) => { calls++; return (v as (...x: unknown[]) => unknown).apply(t, a); } : v; },
    }) as Secp256k1Backend;
    const sk = real.generatePrivateKey();
    const enr = createEnr(sk, 1n, {});
    const sent: Uint8Array[] = [];
    const transport: DatagramTransport = { send: (d) => { sent.push(d); }, onDatagram: () => {} };
    const layer = new SessionLayer(transport, { sk, id: enr.nodeId(), enr }, { respond: false }, counting);
    const ssk = real.generatePrivateKey();
    const senr = createEnr(ssk, 1n, {});
    const sid = senr.nodeId();
    const nonce = new Uint8Array(12).fill(3), iv = new Uint8Array(16).fill(4);
    calls = 0;
    // A message packet with no session behind it (what a first contact is).
    layer.onDatagram(encodePacket(enr.nodeId(), iv, encodeHeader(Flag.Message, nonce, sid), new Uint8Array(40)), '127.0.0.2', 30303, 0n);
    // A well-formed handshake, with a valid signature and record, over a challenge the layer never issued.
    const hs = initiatorHandshake(ssk, sid, enr.nodeId(), enr.publicKey, new Uint8Array(63).fill(5), real);
    const header = encodeHeader(Flag.Handshake, nonce, handshakeAuthdata(sid, hs.idSignature, hs.ephemeralPubkey, senr.raw));
    layer.onDatagram(encodePacket(enr.nodeId(), iv, header, new Uint8Array(40)), '127.0.0.2', 30303, 0n);
    assert.equal(calls, 0, 'no secp256k1 call');
    assert.equal(sent.length, 0, 'no answer');
    assert.equal(layer.counters.handshakeNoChallenge, 1);
    assert.equal(layer.sessionCount, 0);
    layer.close();
  });
});
