import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Discv5Node } from '../../../src/node/node.js';
import { RoutingTable } from '../../../src/node/table.js';
import { createEnr, decodeEnr } from '../../../src/enr/enr.js';
import { secp } from '../../../src/crypto/index.js';
import { MessageType } from '../../../src/wire/messages.js';
import { logDistance } from '../../../src/util/bytes.js';

const nodes: Discv5Node[] = [];
async function node(opts: Parameters<typeof Discv5Node.create>[0] = {}): Promise<Discv5Node> {
  const n = await Discv5Node.create({ ip: '127.0.0.1', ...opts });
  nodes.push(n);
  return n;
}
after(async () => { await Promise.all(nodes.map((n) => n.close())); });

describe('session layer + node over loopback', () => {
  it('PING -> PONG with the observed address, via a full handshake with our record', async () => {
    const a = await node(), b = await node();
    const r = await a.session.ping(b.address);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    assert.equal(r.response.type, MessageType.Pong);
    if (r.response.type === MessageType.Pong) {
      assert.deepEqual([...r.response.ip], [127, 0, 0, 1]);
      assert.equal(r.response.port, a.port);
      assert.equal(r.response.enrSeq, b.enr.seq);
    }
    assert.ok(r.stats.handshake);
    assert.ok(r.stats.rtt1Ns !== null && r.stats.rtt1Ns > 0n);
    assert.equal(b.session.counters.handshakesIn, 1);
    assert.equal(b.session.counters.handshakesInKnownRecord, 0, 'B did not know A: A must send its record');
    // Second request reuses the session: no new handshake.
    const r2 = await a.session.ping(b.address);
    assert.ok(r2.ok && !r2.stats.handshake);
    assert.equal(b.session.counters.handshakesIn, 1);
  });

  it("keeps its own copy of the remote's ID, not a view into the caller's bytes", async () => {
    const a = await node(), b = await node();
    // The caller's ID lives in a larger buffer (as a crawl's record arena): the cached session must not pin it.
    const arena = new Uint8Array(4096);
    arena.set(b.address.id, 100);
    const r = await a.session.ping({ ...b.address, id: arena.subarray(100, 132) });
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    const sessions = [...((a.session as any).sessions.values() as Iterable<{ id: Uint8Array }>)];
    assert.equal(sessions.length, 1);
    assert.deepEqual([...sessions[0]!.id], [...b.address.id]);
    assert.notEqual(sessions[0]!.id.buffer, arena.buffer);
  });

  it('leaves the record out when the responder already holds the same seq (enr-seq path)', async () => {
    const a = await node();
    const table = new RoutingTable(new Uint8Array(32));
    const b = await node({ table });
    // B's table (keyed from its own ID) learns A's record first.
    const tb = new RoutingTable(b.id);
    tb.add(a.enr);
    const b2 = await node({ table: tb });
    const r = await a.session.ping(b2.address);
    assert.ok(r.ok);
    assert.equal(b2.session.counters.handshakesInKnownRecord, 1);
    void b;
  });

  it('FINDNODE returns records at the requested distance, streamed packet by packet (nim profile)', async () => {
    const be = secp();
    const b = await node({ profile: 'nim' });
    const t = b.table as RoutingTable;
    // Fill distance-256 bucket: IDs differing from b's in the top bit.
    let added = 0;
    while (added < 16) {
      const e = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 9, 9, 9), udp: 30303 });
      if (logDistance(b.id, e.nodeId()) === 256 && t.add(e)) added++;
    }
    const a = await node();
    const packets: number[] = [];
    const r = await a.session.findNode(b.address, [256], { onNodes: (m) => packets.push(m.enrs.length) });
    assert.ok(r.ok && r.complete);
    assert.equal(r.nodes!.length, 16);
    assert.deepEqual(packets, [3, 3, 3, 3, 3, 1], 'nim-like: 3 records per packet, 6 packets');
    for (const raw of r.nodes!) assert.equal(logDistance(b.id, decodeEnr(raw).nodeId()), 256);
    const self = await a.session.findNode(b.address, [0]);
    assert.ok(self.ok);
    assert.equal(decodeEnr(self.nodes![0]!).toText(), b.enr.toText());
  });

  it('TALKREQ gets an empty TALKRESP; an unreachable node fails with no-whoareyou', async () => {
    const a = await node(), b = await node();
    const r = await a.session.talkReq(b.address, new TextEncoder().encode('x'), new Uint8Array(3));
    assert.ok(r.ok && r.response.type === MessageType.TalkResp && r.response.response.length === 0);
    const dead = { ...b.address, ip: '127.0.0.1', port: 9 };
    const f = await a.session.ping(dead, 200);
    assert.ok(!f.ok);
    assert.equal(!f.ok && f.reason, 'no-whoareyou');
  });

  it('recovers when the remote forgot the session (WHOAREYOU on a session message)', async () => {
    const a = await node(), b = await node();
    assert.ok((await a.session.ping(b.address)).ok);
    // Simulate B restarting: a new node with the same key and port cannot bind the same port,
    // so drop B's sessions instead.
    (b.session as any).sessions.clear();
    const r = await a.session.ping(b.address);
    assert.ok(r.ok && r.stats.handshake);
    assert.equal(b.session.counters.handshakesIn, 2);
  });
});
