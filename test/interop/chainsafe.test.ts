/**
 * Interop with real @chainsafe/discv5 nodes (run in a child process, see chainsafe-peer.ts):
 * handshakes in both roles with and without records, PING/PONG, FINDNODE both ways, and a mixed
 * network where chainsafe lookups and our FINDNODE crawl cross implementation boundaries.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Discv5Node, addressOf } from '../../src/node/node.js';
import { RoutingTable } from '../../src/node/table.js';
import { createEnr, decodeEnrText, decodeVerifiedEnr, type Enr } from '../../src/enr/enr.js';
import { secp } from '../../src/crypto/index.js';
import { MessageType } from '../../src/wire/messages.js';
import { Flag } from '../../src/wire/constants.js';
import { logDistance } from '../../src/util/bytes.js';
import type { NodeAddress } from '../../src/session/session-layer.js';
import type { PeerNodeInfo } from './chainsafe-peer.js';
import { ChainsafePeer, freePort, freePorts, hex, idOfKey, sniffedNode, type SniffingTransport } from './chainsafe-harness.js';

const be = secp();
const LOOPBACK = [127, 0, 0, 1];

/** Everything a suite opened, closed in its after() hook. */
class Cleanup {
  private readonly fns: (() => Promise<unknown>)[] = [];
  add<T extends { close(): Promise<unknown> }>(x: T): T { this.fns.push(() => x.close()); return x; }
  sniffed(x: { node: Discv5Node; sniff: SniffingTransport }): { node: Discv5Node; sniff: SniffingTransport } {
    this.fns.push(async () => { await x.node.close(); await x.sniff.inner.close(); });
    return x;
  }
  async run(): Promise<void> { await Promise.allSettled(this.fns.splice(0).reverse().map((f) => f())); }
}

async function ourNode(c: Cleanup, opts: Parameters<typeof Discv5Node.create>[0] = {}): Promise<Discv5Node> {
  return c.add(await Discv5Node.create({ ip: '127.0.0.1', port: await freePort(), ...opts }));
}

async function sniffed(c: Cleanup, opts: Parameters<typeof sniffedNode>[0] = {}): Promise<{ node: Discv5Node; sniff: SniffingTransport }> {
  const x = c.sniffed(await sniffedNode(opts));
  return x;
}

function addr(enrText: string): NodeAddress {
  const a = addressOf(decodeEnrText(enrText));
  assert.ok(a, 'record has no ip/udp');
  return a;
}

/** An enr-seq as chainsafe v11 writes it into WHOAREYOU: minimal big-endian bytes at the start of the 8-byte field. */
function leftAligned(seq: bigint): bigint {
  let h = seq.toString(16);
  if (h.length % 2) h = '0' + h;
  return BigInt('0x' + h.padEnd(16, '0'));
}

/** Polls `f` until it returns non-null, or throws after `ms`. */
async function pollFor<T>(f: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Random signed records with a loopback endpoint (never contacted). */
function randomRecords(n: number): Enr[] {
  return Array.from({ length: n }, (_, i) => createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: 30_000 + i }));
}

function idsOfRaw(raws: Uint8Array[]): string[] {
  return raws.map((r) => hex(decodeVerifiedEnr(r).nodeId())).sort();
}

describe('chainsafe interop: our node -> chainsafe', () => {
  const c = new Cleanup();
  let peer: ChainsafePeer;
  let cs: PeerNodeInfo;
  let csId: Uint8Array;

  before(async () => {
    peer = c.add(await ChainsafePeer.spawn());
    const sk = be.generatePrivateKey();
    csId = idOfKey(sk);
    [cs] = await peer.start([sk], [await freePort()]);
    assert.equal(cs!.nodeId, hex(csId));
  }, { timeout: 30_000 });
  after(() => c.run(), { timeout: 15_000 });

  it('responses to our request-ids 00000001.. are matched after chainsafe re-encodes them minimally', {
    timeout: 20_000,
  }, async () => {
    const a = await ourNode(c, {});
    const r = await a.session.ping(addr(cs.enr), 3_000);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason} (unmatchedResponses=${a.session.counters.unmatchedResponses})`);
  });

  it('PING -> PONG over a full handshake; chainsafe then holds our record', { timeout: 20_000 }, async () => {
    const a = await ourNode(c);
    const r = await a.session.ping(addr(cs.enr), 5_000);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    assert.equal(r.response.type, MessageType.Pong);
    if (r.response.type !== MessageType.Pong) return;
    assert.equal(r.response.enrSeq, BigInt(cs.seq), 'PONG enr-seq is chainsafe record seq');
    assert.deepEqual([...r.response.ip], LOOPBACK, 'PONG recipient-ip is our observed address');
    assert.equal(r.response.port, a.port, 'PONG recipient-port is our observed port');
    assert.ok(r.stats.handshake && r.stats.rtt1Ns !== null, 'first request went through WHOAREYOU + handshake');
    assert.equal(a.session.counters.handshakesOut, 1);
    // A second request rides the session.
    const r2 = await a.session.ping(addr(cs.enr), 5_000);
    assert.ok(r2.ok && !r2.stats.handshake);
    assert.equal(a.session.counters.handshakesOut, 1);
    // Chainsafe verified our record (endpoint = observed address) and put it in its table.
    const held = await peer.kadValue(cs.index, hex(a.id));
    assert.ok(held, 'chainsafe added our node after the handshake');
    assert.equal(held.enr, a.enr.toText());
  });

  it('FINDNODE [0] returns chainsafe own record, verified and equal to its ENR', { timeout: 20_000 }, async () => {
    const a = await ourNode(c);
    const r = await a.session.findNode(addr(cs.enr), [0], undefined, 5_000);
    assert.ok(r.ok && r.complete, `findNode failed: ${!r.ok && r.reason}`);
    assert.equal(r.nodes!.length, 1);
    const e = decodeVerifiedEnr(r.nodes![0]!);
    assert.equal(e.toText(), cs.enr);
    assert.equal(hex(e.nodeId()), cs.nodeId);
    assert.equal(e.seq, BigInt(cs.seq));
  });

  it('FINDNODE at populated distances returns exactly the records chainsafe holds there (multi-packet)', { timeout: 30_000 }, async () => {
    // Handshake first: chainsafe adds the requester to its table, which must be in the snapshot below.
    const a = await ourNode(c);
    assert.ok((await a.session.ping(addr(cs.enr), 5_000)).ok);
    const recs = randomRecords(10);
    for (const e of recs) assert.ok(await peer.addEnr(cs.index, e.toText()), 'chainsafe accepted the record');
    const byDist = new Map<number, Enr[]>();
    for (const e of recs) {
      const d = logDistance(csId, e.nodeId());
      byDist.set(d, [...(byDist.get(d) ?? []), e]);
    }
    // Every record chainsafe holds (incl. nodes from other tests), by distance from its ID.
    const kad = await peer.kad(cs.index);
    const held = new Map<number, string[]>();
    for (const k of kad) {
      const d = logDistance(csId, Buffer.from(k.nodeId, 'hex'));
      held.set(d, [...(held.get(d) ?? []), k.nodeId]);
    }
    // One distance at a time.
    for (const [d, es] of byDist) {
      const r = await a.session.findNode(addr(cs.enr), [d], undefined, 5_000);
      assert.ok(r.ok && r.complete, `findNode [${d}] failed: ${!r.ok && r.reason}`);
      const got = idsOfRaw(r.nodes!);
      for (const e of es) assert.ok(got.includes(hex(e.nodeId())), `record at distance ${d} returned`);
      assert.deepEqual(got, [...(held.get(d) ?? [])].sort(), `distance ${d}: exactly chainsafe's bucket`);
      for (const raw of r.nodes!) assert.equal(logDistance(csId, decodeVerifiedEnr(raw).nodeId()), d);
    }
    // All populated distances at once: chainsafe packs 3 records per NODES packet, we assemble by `total`.
    const all = [...held.keys()];
    const expectCount = Math.min(16, [...held.values()].reduce((s, v) => s + v.length, 0));
    const packets: number[] = [];
    const r = await a.session.findNode(addr(cs.enr), all, { onNodes: (m) => packets.push(m.enrs.length) }, 5_000);
    assert.ok(r.ok && r.complete, `findNode ${JSON.stringify(all)} failed: ${!r.ok && r.reason}`);
    assert.equal(r.nodes!.length, expectCount);
    assert.equal(packets.length, Math.ceil(expectCount / 3), `chainsafe sent ${packets.join('+')} records`);
    assert.equal(new Set(idsOfRaw(r.nodes!)).size, expectCount, 'no duplicates');
    // An empty distance: one NODES packet with total=1 and no records.
    const empty = [...Array(20).keys()].map((i) => i + 1).filter((d) => !held.has(d));
    const re = await a.session.findNode(addr(cs.enr), [empty[0]!], undefined, 5_000);
    assert.ok(re.ok && re.complete);
    assert.equal(re.nodes!.length, 0);
  });
});

describe('chainsafe interop: chainsafe -> our node', () => {
  const c = new Cleanup();
  let peer: ChainsafePeer;
  let cs: PeerNodeInfo;

  before(async () => {
    peer = c.add(await ChainsafePeer.spawn());
    [cs] = await peer.start([be.generatePrivateKey()], [await freePort()]);
  }, { timeout: 30_000 });
  after(() => c.run(), { timeout: 15_000 });

  it('chainsafe PINGs ours: PONG carries our seq and its observed endpoint', { timeout: 20_000 }, async () => {
    const o = await ourNode(c);
    const pong = await peer.ping(cs.index, o.enr.toText());
    assert.equal(pong.enrSeq, o.enr.seq.toString());
    assert.equal(pong.ipType, 4);
    assert.deepEqual(pong.ip, LOOPBACK);
    assert.equal(pong.port, cs.port);
    assert.equal(o.session.counters.handshakesIn, 1);
    assert.equal(o.session.counters.requestsIn, 1);
    // Chainsafe now holds our record (session with a verified endpoint).
    const held = await peer.kadValue(cs.index, hex(o.id));
    assert.equal(held?.enr, o.enr.toText());
  });

  it('chainsafe FINDNODEs ours: [0] gives our record; populated distances give our table (each profile)', { timeout: 30_000 }, async () => {
    for (const profile of ['geth', 'lighthouse', 'nim'] as const) {
      const o = await ourNode(c, { profile });
      const self = await peer.findNode(cs.index, o.enr.toText(), [0]);
      assert.equal(self.length, 1);
      assert.equal(self[0]!.enr, o.enr.toText());
      const t = o.table as RoutingTable;
      // 5 records (nim packs 3 per packet -> 2 packets; chainsafe accepts at most 5 packets per reply).
      for (const e of randomRecords(5)) assert.ok(t.add(e));
      const dists = [...new Set(t.entries().map((e) => logDistance(o.id, e.nodeId())))];
      const got = await peer.findNode(cs.index, o.enr.toText(), dists);
      assert.deepEqual(got.map((g) => g.nodeId).sort(), t.entries().map((e) => hex(e.nodeId())).sort(), `${profile}: all table records`);
      for (const g of got) assert.equal(g.enr, t.enrOf(Buffer.from(g.nodeId, 'hex'))!.toText(), 'records unchanged in transit');
      // Per distance.
      for (const d of dists) {
        const one = await peer.findNode(cs.index, o.enr.toText(), [d]);
        const want = t.entries().filter((e) => logDistance(o.id, e.nodeId()) === d).map((e) => hex(e.nodeId())).sort();
        assert.deepEqual(one.map((g) => g.nodeId).sort(), want, `${profile}: distance ${d}`);
      }
    }
  });

  it('a full bucket (16 records, geth packing: several NODES packets) reaches chainsafe whole', { timeout: 30_000 }, async () => {
    const o = await ourNode(c);
    const t = o.table as RoutingTable;
    // Fill the distance-256 bucket.
    let n = 0;
    while (n < 16) {
      const e = randomRecords(1)[0]!;
      if (logDistance(o.id, e.nodeId()) === 256 && t.add(e)) n++;
    }
    const got = await peer.findNode(cs.index, o.enr.toText(), [256]);
    assert.equal(got.length, 16);
  });
});

describe('chainsafe interop: handshakes with and without records (enr-seq paths)', () => {
  const c = new Cleanup();
  let peer: ChainsafePeer;
  let cs: PeerNodeInfo;
  let csSk: Uint8Array;
  let csId: Uint8Array;

  before(async () => {
    peer = c.add(await ChainsafePeer.spawn());
    csSk = be.generatePrivateKey();
    csId = idOfKey(csSk);
    [cs] = await peer.start([csSk], [await freePort()]);
  }, { timeout: 30_000 });
  after(() => c.run(), { timeout: 15_000 });

  /** Our WHOAREYOU to chainsafe and chainsafe's handshake back, as seen on our socket. */
  function inbound(sniff: SniffingTransport, ourId: Uint8Array) {
    const way = sniff.decoded('out', cs.port, csId).filter((p) => p.flag === Flag.WhoAreYou);
    const hs = sniff.decoded('in', cs.port, ourId).filter((p) => p.flag === Flag.Handshake);
    assert.equal(way.length, 1, 'one WHOAREYOU sent');
    assert.equal(hs.length, 1, 'one handshake received');
    return { enrSeq: way[0]!.whoareyou!.enrSeq, record: hs[0]!.handshake!.record };
  }

  /** Chainsafe's WHOAREYOU to us and our handshake back. */
  function outbound(sniff: SniffingTransport, ourId: Uint8Array) {
    const way = sniff.decoded('in', cs.port, ourId).filter((p) => p.flag === Flag.WhoAreYou);
    const hs = sniff.decoded('out', cs.port, csId).filter((p) => p.flag === Flag.Handshake);
    assert.equal(way.length, 1, 'one WHOAREYOU received');
    assert.equal(hs.length, 1, 'one handshake sent');
    return { enrSeq: way[0]!.whoareyou!.enrSeq, record: hs[0]!.handshake!.record };
  }

  it('chainsafe -> ours, record unknown to us: WHOAREYOU enr-seq 0, its handshake carries its record', { timeout: 20_000 }, async () => {
    const { node: o, sniff } = await sniffed(c);
    await peer.ping(cs.index, o.enr.toText());
    const { enrSeq, record } = inbound(sniff, o.id);
    assert.equal(enrSeq, 0n);
    assert.ok(record, 'record included');
    assert.equal(decodeVerifiedEnr(Uint8Array.from(record)).toText(), cs.enr);
    assert.equal(o.session.counters.handshakesIn, 1);
    assert.equal(o.session.counters.handshakesInKnownRecord, 0);
  });

  it('chainsafe -> ours, we hold its current record: WHOAREYOU carries its seq, handshake omits the record', { timeout: 20_000 }, async () => {
    const { node: o, sniff } = await sniffed(c);
    assert.ok((o.table as RoutingTable).add(decodeEnrText(cs.enr)));
    await peer.ping(cs.index, o.enr.toText());
    const { enrSeq, record } = inbound(sniff, o.id);
    assert.equal(enrSeq, BigInt(cs.seq));
    assert.equal(record, null, 'no record when the seq matches');
    assert.equal(o.session.counters.handshakesIn, 1);
    assert.equal(o.session.counters.handshakesInKnownRecord, 1);
    // The session works both ways afterwards.
    const r = await o.session.ping(addr(cs.enr), 5_000);
    assert.ok(r.ok && !r.stats.handshake);
  });

  it('chainsafe -> ours, we hold an older record of it: seq mismatch makes it send the new one', { timeout: 20_000 }, async () => {
    assert.ok(BigInt(cs.seq) > 1n, 'chainsafe record seq leaves room for an older one');
    // Same key, lower seq, another port: a stale record as a table might hold it.
    const old = createEnr(csSk, BigInt(cs.seq) - 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: cs.port + 1 });
    const { node: o, sniff } = await sniffed(c);
    assert.ok((o.table as RoutingTable).add(old));
    await peer.ping(cs.index, o.enr.toText());
    const { enrSeq, record } = inbound(sniff, o.id);
    assert.equal(enrSeq, BigInt(cs.seq) - 1n);
    assert.ok(record, 'newer record included');
    assert.equal(decodeVerifiedEnr(Uint8Array.from(record)).toText(), cs.enr);
    assert.equal(o.session.counters.handshakesIn, 1);
    assert.equal(o.session.counters.handshakesInKnownRecord, 0);
  });

  it('ours -> chainsafe, chainsafe does not know us: WHOAREYOU enr-seq 0, we send our record', { timeout: 20_000 }, async () => {
    const { node: o, sniff } = await sniffed(c);
    assert.equal(await peer.kadValue(cs.index, hex(o.id)), null);
    const r = await o.session.ping(addr(cs.enr), 5_000);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    const { enrSeq, record } = outbound(sniff, o.id);
    assert.equal(enrSeq, 0n);
    assert.ok(record);
    assert.deepEqual([...record], [...o.enr.raw]);
    assert.equal((await peer.kadValue(cs.index, hex(o.id)))?.enr, o.enr.toText());
  });

  it('ours -> chainsafe, chainsafe holds our current record: we omit it and chainsafe accepts', { timeout: 20_000 }, async () => {
    const { node: o, sniff } = await sniffed(c);
    assert.ok(await peer.addEnr(cs.index, o.enr.toText()));
    const r = await o.session.ping(addr(cs.enr), 5_000);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    const { enrSeq, record } = outbound(sniff, o.id);
    // chainsafe v11 writes enr-seq left-aligned into the 8-byte field (seq 1 -> 01 00..00 = 2^56).
    assert.ok(enrSeq === o.enr.seq || enrSeq === leftAligned(o.enr.seq), `WHOAREYOU enr-seq ${enrSeq}`);
    // Spec rule: no record when their seq equals ours. For chainsafe's garbled (higher) seq either
    // choice works here, since chainsafe's held record is current.
    if (enrSeq === o.enr.seq) assert.equal(record, null, 'no record when the seq matches');
    else if (record) assert.deepEqual([...record], [...o.enr.raw]);
    // And the session carries further requests.
    const f = await o.session.findNode(addr(cs.enr), [0], undefined, 5_000);
    assert.ok(f.ok && !f.stats.handshake && f.nodes!.length === 1);
  });

  it('ours -> chainsafe, chainsafe holds an older record of ours (same endpoint): it fetches the new one after PING', { timeout: 20_000 }, async () => {
    const sk = be.generatePrivateKey();
    const port = await freePort();
    const old = createEnr(sk, 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: port });
    assert.ok(await peer.addEnr(cs.index, old.toText()));
    // Restarted with seq 2 (e.g. a new field) on the same endpoint.
    const { node: o, sniff } = await sniffed(c, { sk, enrSeq: 2n, port, enrFields: { x: 'restarted' } });
    const r = await o.session.ping(addr(cs.enr), 5_000);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    const { enrSeq, record } = outbound(sniff, o.id);
    assert.ok(enrSeq === 1n || enrSeq === leftAligned(1n), `WHOAREYOU enr-seq ${enrSeq}`);
    if (record) assert.deepEqual([...record], [...o.enr.raw]);
    // Either our handshake carried the new record, or (record omitted on chainsafe's garbled seq)
    // PING enr-seq 2 > held 1 makes chainsafe ask FINDNODE [0]; both end with the new record held.
    const held = await pollFor(async () => {
      const v = await peer.kadValue(cs.index, hex(o.id));
      return v?.seq === '2' ? v : null;
    }, 5_000);
    assert.equal(held.enr, o.enr.toText());
    if (!record) assert.ok(o.session.counters.requestsIn >= 1, 'chainsafe fetched our record with FINDNODE [0]');
  });

  // chainsafe 11 left-aligns the WHOAREYOU enr-seq (1 reads as 2^56): we send our record unless the seq equals ours.
  it('ours -> chainsafe, chainsafe holds an older record of ours with another endpoint: we send the new one', {
    timeout: 20_000,
  }, async () => {
    const sk = be.generatePrivateKey();
    const old = createEnr(sk, 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: await freePort() });
    assert.ok(await peer.addEnr(cs.index, old.toText()));
    // Restarted on another port with seq 2.
    const { node: o, sniff } = await sniffed(c, { sk, enrSeq: 2n });
    const r = await o.session.ping(addr(cs.enr), 3_000);
    const { enrSeq, record } = outbound(sniff, o.id);
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason} (WHOAREYOU enr-seq ${enrSeq}, record ${record ? 'sent' : 'omitted'})`);
    assert.ok(record);
    assert.deepEqual([...record], [...o.enr.raw]);
    const held = await peer.kadValue(cs.index, hex(o.id));
    assert.equal(held?.seq, '2', 'chainsafe replaced the stale record');
  });
});

/** Secret keys whose node IDs all have distinct 3-bit prefixes: every pairwise log-distance is >= 254. */
function spreadKeys(n: number): { sk: Uint8Array; id: Uint8Array }[] {
  assert.ok(n <= 8);
  const used = new Set<number>();
  const out: { sk: Uint8Array; id: Uint8Array }[] = [];
  while (out.length < n) {
    const sk = be.generatePrivateKey();
    const id = idOfKey(sk);
    const p = id[0]! >> 5;
    if (used.has(p)) continue;
    used.add(p);
    out.push({ sk, id });
  }
  return out;
}

/** A random ID sharing the 3-bit prefix of `near`: only `near` is within distance 253 of it. */
function randomIdNear(near: Uint8Array): Uint8Array {
  const t = Uint8Array.from(be.generatePrivateKey());
  t[0] = (near[0]! & 0xe0) | (t[0]! & 0x1f);
  return t;
}

describe('chainsafe interop: mixed network (3 chainsafe + 5 ours)', () => {
  const c = new Cleanup();
  let peer: ChainsafePeer;
  let cs: PeerNodeInfo[];
  let ours: Discv5Node[];

  /*
   * Topology (records handed out, nothing else):
   *   O1 O2 O3 -- O0 -- C0 -- C1 -- C2          O4 (crawler) knows only O0
   * O0 holds O1..O3 and C0; O1..O3 hold O0; C0 holds O0, C1; C1 holds C0, C2; C2 holds C1.
   * Node IDs have distinct 3-bit prefixes so every FINDNODE a lookup sends reaches the one
   * useful bucket; chainsafe lookups ask 5 distances (252..256 around the target).
   */
  before(async () => {
    const keys = spreadKeys(8);
    const ports = await freePorts(8);
    peer = c.add(await ChainsafePeer.spawn());
    cs = await peer.start(keys.slice(0, 3).map((k) => k.sk), ports.slice(0, 3), { lookupRequestLimit: 5 });
    ours = [];
    for (let i = 0; i < 5; i++) ours.push(await ourNode(c, { sk: keys[3 + i]!.sk, port: ports[3 + i]! }));
    const [o0, o1, o2, o3] = ours as [Discv5Node, Discv5Node, Discv5Node, Discv5Node, Discv5Node];
    const t = (n: Discv5Node) => n.table as RoutingTable;
    for (const o of [o1, o2, o3]) { assert.ok(t(o0).add(o.enr)); assert.ok(t(o).add(o0.enr)); }
    assert.ok(t(o0).add(decodeEnrText(cs[0]!.enr)));
    assert.ok(await peer.addEnr(0, o0.enr.toText()));
    assert.ok(await peer.addEnr(0, cs[1]!.enr));
    assert.ok(await peer.addEnr(1, cs[0]!.enr));
    assert.ok(await peer.addEnr(1, cs[2]!.enr));
    assert.ok(await peer.addEnr(2, cs[1]!.enr));
  }, { timeout: 60_000 });
  after(() => c.run(), { timeout: 15_000 });

  it('chainsafe C2 (3 hops from our nodes) finds each of ours by lookup through chainsafe and our nodes', { timeout: 90_000 }, async () => {
    const targets = ours.slice(0, 4);
    for (const o of targets) {
      const found = await peer.lookup(2, hex(randomIdNear(o.id)));
      const ids = found.map((f) => f.nodeId);
      assert.ok(ids.includes(hex(o.id)), `lookup near ${hex(o.id).slice(0, 8)} returned it (got ${ids.map((i) => i.slice(0, 8)).join(',')})`);
      const rec = found.find((f) => f.nodeId === hex(o.id))!;
      assert.equal(rec.enr, o.enr.toText(), 'our record reached C2 unchanged');
    }
    const seen = new Set(await peer.discovered(2));
    for (const o of targets) assert.ok(seen.has(hex(o.id)), `C2 discovered ${hex(o.id).slice(0, 8)}`);
    // A lookup for an exact ID of ours, and one for a fully random ID, also complete.
    const exact = await peer.lookup(2, hex(ours[2]!.id));
    assert.ok(exact.some((f) => f.nodeId === hex(ours[2]!.id)));
    const rnd = await peer.lookup(2, hex(be.generatePrivateKey()));
    assert.ok(rnd.length > 0, 'random lookup returned nodes');
    for (const f of rnd) decodeVerifiedEnr(decodeEnrText(f.enr).raw);
    // Our nodes answered chainsafe's FINDNODEs over handshakes they accepted.
    assert.ok(ours[0]!.session.counters.handshakesIn >= 1);
    assert.ok(ours[0]!.session.counters.requestsIn >= 1);
  });

  it('our crawler O4 discovers every chainsafe node by FINDNODE crawling from O0', { timeout: 90_000 }, async () => {
    const crawler = ours[4]!;
    const known = new Map<string, Enr>([[hex(ours[0]!.id), ours[0]!.enr]]);
    const queried = new Set<string>();
    // Bucket groups a crawler asks each node for (all 256 distances, 16 per request).
    const groups = Array.from({ length: 16 }, (_, g) => Array.from({ length: 16 }, (_, i) => 256 - g * 16 - i));
    for (let round = 0; round < 10; round++) {
      const todo = [...known.entries()].filter(([id]) => !queried.has(id));
      if (todo.length === 0) break;
      await Promise.all(todo.map(async ([id, enr]) => {
        queried.add(id);
        const a = addressOf(enr)!;
        for (const ds of groups) {
          const r = await crawler.session.findNode(a, ds, undefined, 5_000);
          assert.ok(r.ok && r.complete, `FINDNODE to ${id.slice(0, 8)} failed: ${!r.ok && r.reason}`);
          for (const raw of r.nodes!) {
            const e = decodeVerifiedEnr(Uint8Array.from(raw));
            const nid = hex(e.nodeId());
            assert.ok(ds.includes(logDistance(a.id, e.nodeId())), 'record at a requested distance');
            if (nid !== hex(crawler.id) && !known.has(nid)) known.set(nid, e);
          }
        }
      }));
    }
    for (const x of cs) {
      assert.ok(known.has(x.nodeId), `crawler found chainsafe ${x.nodeId.slice(0, 8)}`);
      assert.equal(known.get(x.nodeId)!.toText(), x.enr);
    }
    for (const o of ours.slice(0, 4)) assert.ok(known.has(hex(o.id)));
    // The chainsafe nodes now know the crawler too (it handshook with each).
    for (const x of cs) assert.ok(await peer.kadValue(x.index, hex(crawler.id)), `chainsafe ${x.index} holds the crawler`);
  });
});
