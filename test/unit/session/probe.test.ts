import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loopbackNode } from './loopback-nodes.js';
import { SessionLayer } from '../../../src/session/session-layer.js';
import { createEnr } from '../../../src/enr/enr.js';
import { secp } from '../../../src/crypto/index.js';
import { decodePacket, encodeHeader, encodePacket, whoareyouAuthdata } from '../../../src/wire/packet.js';
import { Flag } from '../../../src/wire/constants.js';
import type { DatagramTransport } from '../../../src/transport/types.js';

const node = () => loopbackNode();

describe('session layer: liveness probe (random packet, WHOAREYOU)', () => {
  it('a live node answers with WHOAREYOU; no handshake, no session', async () => {
    const a = await node(), b = await node();
    const r = await a.session.probe(b.address);
    assert.ok(r.alive, `probe failed: ${!r.alive && r.reason}`);
    assert.ok(r.rttNs > 0n && r.rttNs < 500_000_000n);
    assert.equal(r.packetsOut, 1);
    assert.equal(b.session.counters.whoareyouSent, 1);
    assert.equal(a.session.counters.handshakesOut, 0);
    assert.equal(b.session.counters.handshakesIn, 0);
    assert.equal(a.session.sessionCount, 0);
    assert.equal(a.session.pendingCount, 0);
    assert.equal(a.session.counters.probesOut, 1);
  });

  it('a node under another ID at the endpoint does not answer: the probe checks the identity', async () => {
    const a = await node(), b = await node(), c = await node();
    const r = await a.session.probe({ ...c.address, ip: b.ip, port: b.port }, 150);
    assert.ok(!r.alive && r.reason === 'no-whoareyou');
    assert.equal(b.session.counters.whoareyouSent, 0);
  });

  it('a silent endpoint fails with no-whoareyou after the resends', async () => {
    const a = await loopbackNode({ session: { retransmits: 1 } });
    const b = await node();
    const r = await a.session.probe({ ...b.address, port: 9 }, 100);
    assert.ok(!r.alive && r.reason === 'no-whoareyou');
    assert.equal(r.packetsOut, 2, 'the first packet and one resend');
  });

  it('does not disturb a handshake under way: busy, and the request still completes', async () => {
    const a = await node(), b = await node();
    let release = null as (() => void) | null;
    const req = a.session.findNode(b.address, [0], { admit: (r) => { release = r; } });
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const pr = await a.session.probe(b.address);
    assert.ok(!pr.alive && pr.reason === 'busy');
    release();
    const r = await req;
    assert.ok(r.ok, 'the handshake answered the challenge it had');
  });

  it('on a node with a session, still gets WHOAREYOU and leaves the session usable', async () => {
    const a = await node(), b = await node();
    assert.ok((await a.session.ping(b.address)).ok);
    const r = await a.session.probe(b.address);
    assert.ok(r.alive);
    assert.ok((await a.session.ping(b.address)).ok, 'the session still works');
  });

  it('fails with closed after close', async () => {
    const a = await node(), b = await node();
    const p = a.session.probe({ ...b.address, port: 9 }, 1000);
    a.session.close();
    const r = await p;
    assert.ok(!r.alive && r.reason === 'closed');
    const r2 = await a.session.probe(b.address);
    assert.ok(!r2.alive && r2.reason === 'closed');
  });
});

describe('session layer: probeTo (a sink, no promise per probe)', () => {
  /** Records what the sink is told, by token. */
  const recorder = () => {
    const told: Array<[string, string | bigint]> = [];
    return { told, sink: { probeAnswered: (t: string, rtt: bigint) => { told.push([t, rtt]); }, probeFailed: (t: string, why: string) => { told.push([t, why]); } } };
  };
  const settle = async (told: unknown[], n: number) => { for (let i = 0; i < 200 && told.length < n; i++) await new Promise((r) => setTimeout(r, 5)); };

  it('tells the sink each end once, with its token, never from inside the call', async () => {
    const a = await loopbackNode({ session: { retransmits: 0 } }), b = await node();
    const { told, sink } = recorder();
    assert.ok(a.session.probeTo(b.address, 1000, sink, 'live'));
    assert.ok(a.session.probeTo({ ...b.address, port: 9 }, 50, sink, 'silent'));
    assert.equal(told.length, 0, 'nothing told synchronously');
    await settle(told, 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(told.length, 2);
    const live = told.find(([t]) => t === 'live')!, silent = told.find(([t]) => t === 'silent')!;
    assert.ok(typeof live[1] === 'bigint' && live[1] > 0n);
    assert.equal(silent[1], 'no-whoareyou');
    assert.equal(a.session.pendingCount, 0);
  });

  it('returns false (and tells nothing) for a node already probed, and after close', async () => {
    const a = await node(), b = await node();
    const { told, sink } = recorder();
    assert.ok(a.session.probeTo(b.address, 1000, sink, 'first'));
    assert.equal(a.session.pendingCount, 1, 'a probe counts toward the request table');
    assert.equal(a.session.probeTo(b.address, 1000, sink, 'again'), false);
    await settle(told, 1);
    a.session.close();
    assert.equal(a.session.probeTo(b.address, 1000, sink, 'closed'), false);
    assert.deepEqual(told.map(([t]) => t), ['first']);
  });

  it('a probe in flight at close is told closed', async () => {
    const a = await node(), b = await node();
    const { told, sink } = recorder();
    assert.ok(a.session.probeTo({ ...b.address, port: 9 }, 1000, sink, 'x'));
    a.session.close();
    assert.deepEqual(told, [['x', 'closed']]);
  });
});

describe('session layer: a WHOAREYOU must echo the whole nonce', () => {
  const be = secp();
  const layer = () => {
    const sk = be.generatePrivateKey();
    const enr = createEnr(sk, 1n, {});
    const sent: Uint8Array[] = [];
    const transport: DatagramTransport = { send: (d) => { sent.push(Uint8Array.from(d)); }, onDatagram: () => {} };
    return { a: new SessionLayer(transport, { sk, id: enr.nodeId(), enr }, { retransmits: 0 }), sent };
  };
  const remote = { id: Uint8Array.from({ length: 32 }, (_, i) => i + 1), ip: '127.0.0.9', port: 30303, pubkey: new Uint8Array(33) };
  const whoareyou = (to: Uint8Array, nonce: Uint8Array) => encodePacket(to, new Uint8Array(16).fill(7),
    encodeHeader(Flag.WhoAreYou, nonce, whoareyouAuthdata(new Uint8Array(16).fill(9), 0n)), new Uint8Array(0));

  it('one that differs from the packet it answers in any of the 12 bytes is unsolicited: no answer, no handshake', async () => {
    const { a, sent } = layer();
    try {
      for (let byte = 0; byte < 12; byte++) {
        // Forged: all of the nonce but one byte (an off-path guess of everything but a part).
        const forgedProbe = a.probe(remote, 100);
        const forged = Uint8Array.from(decodePacket(sent[sent.length - 1]!, remote.id).nonce);
        forged[byte]! ^= 0xff;
        a.onDatagram(whoareyou(a.local.id, forged), remote.ip, remote.port, process.hrtime.bigint());
        assert.equal(a.counters.whoareyouUnsolicited, byte + 1, `byte ${byte}`);
        const r = await forgedProbe;
        assert.ok(!r.alive && r.reason === 'no-whoareyou', `byte ${byte}: the forged answer did not count`);
      }
      // Control: the exact nonce is an answer.
      const realProbe = a.probe(remote, 1000);
      a.onDatagram(whoareyou(a.local.id, decodePacket(sent[sent.length - 1]!, remote.id).nonce), remote.ip, remote.port, process.hrtime.bigint());
      assert.ok((await realProbe).alive);
      assert.equal(a.counters.handshakesOut, 0);
    } finally {
      a.close();
    }
  });

  it('nonces are a counter and 8 random bytes, request-ids random: nothing else to predict from one seen', async () => {
    const { a, sent } = layer();
    const nonces: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      void a.probe({ ...remote, port: 30000 + i }, 50);
      nonces.push(decodePacket(sent[sent.length - 1]!, remote.id).nonce);
    }
    a.close();
    const word = (n: Uint8Array, at: number) => new DataView(n.buffer, n.byteOffset).getUint32(at);
    // Each 4-byte word of consecutive nonces: a counter (+1), constant, or neither (random).
    const kinds = [0, 4, 8].map((at) => {
      const d = nonces.slice(1).map((n, i) => (word(n, at) - word(nonces[i]!, at)) >>> 0);
      return d.every((x) => x === 1) ? 'counter' : d.every((x) => x === 0) ? 'constant' : 'random';
    });
    assert.deepEqual(kinds, ['counter', 'random', 'random']);
    // Request-ids: a responder sees them; consecutive requests do not give the next one away.
    const b = await loopbackNode(), c = await loopbackNode();
    const ids: number[] = [];
    b.session.onRequest((msg) => { ids.push(new DataView(msg.reqId.buffer, msg.reqId.byteOffset).getUint32(0)); return null; });
    await Promise.all(Array.from({ length: 16 }, () => c.session.ping(b.address, 300)));
    assert.equal(ids.length, 16);
    assert.ok(ids.slice(1).some((id, i) => ((id - ids[i]!) >>> 0) !== 1), `sequential request-ids ${ids.join(' ')}`);
    assert.equal(new Set(ids).size, 16);
  });
});

describe('session layer: a probe gives way to a handshake', () => {
  it('a probe in flight ends busy when a request to the node starts a handshake, so its resend cannot replace the challenge', async () => {
    const a = await loopbackNode({ session: { retransmits: 1 } });
    const silent = { id: new Uint8Array(32).fill(5), ip: '127.0.0.1', port: 9, pubkey: new Uint8Array(33) };
    const p = a.session.probe(silent, 2000);
    const req = a.session.findNode(silent, [0], undefined, 100);
    const r = await p;
    assert.ok(!r.alive && r.reason === 'busy', 'ended at once, before its resend');
    assert.equal(r.packetsOut, 1);
    await req;
    const again = await a.session.probe(silent, 50);
    assert.ok(!again.alive && again.reason === 'no-whoareyou', 'the key is free again');
  });
});
