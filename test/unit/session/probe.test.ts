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
  it('one with our prefix and counter but another random tail is unsolicited: no answer, no handshake', async () => {
    const be = secp();
    const sk = be.generatePrivateKey();
    const enr = createEnr(sk, 1n, {});
    const sent: Uint8Array[] = [];
    const transport: DatagramTransport = { send: (d) => { sent.push(Uint8Array.from(d)); }, onDatagram: () => {} };
    const a = new SessionLayer(transport, { sk, id: enr.nodeId(), enr }, { retransmits: 0 });
    const remote = { id: Uint8Array.from({ length: 32 }, (_, i) => i + 1), ip: '127.0.0.9', port: 30303, pubkey: new Uint8Array(33) };
    const whoareyou = (nonce: Uint8Array) => encodePacket(a.local.id, new Uint8Array(16).fill(7),
      encodeHeader(Flag.WhoAreYou, nonce, whoareyouAuthdata(new Uint8Array(16).fill(9), 0n)), new Uint8Array(0));
    try {
      // Forged: the right prefix and counter (an off-path guess of the predictable part), the wrong random tail.
      const forgedProbe = a.probe(remote, 150);
      const nonce = decodePacket(sent[0]!, remote.id).nonce;
      const forged = Uint8Array.from(nonce);
      forged[11] ^= 0xff;
      a.onDatagram(whoareyou(forged), remote.ip, remote.port, process.hrtime.bigint());
      assert.equal(a.counters.whoareyouUnsolicited, 1);
      const r = await forgedProbe;
      assert.ok(!r.alive && r.reason === 'no-whoareyou', 'the forged answer did not count');
      // Control: the exact nonce is an answer.
      const realProbe = a.probe(remote, 1000);
      a.onDatagram(whoareyou(decodePacket(sent[1]!, remote.id).nonce), remote.ip, remote.port, process.hrtime.bigint());
      assert.ok((await realProbe).alive);
      assert.equal(a.counters.handshakesOut, 0);
    } finally {
      a.close();
    }
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
