import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PROGRESS_SAMPLES, thinSamples } from '../../../src/crawler/progress.js';
import {
  Crawler as CheckingCrawler, MAX_RECORD_UPDATES, MAX_RECORDS_PER_DISTANCE, MAX_UNREQUESTED_PER_VISIT, type CrawlSink, type FindNodeClient, type VisitRecord } from '../../../src/crawler/crawler.js';
import { CONTACT_RATE_FACTOR, DEFAULT_CRAWL_CONFIG, effectiveConcurrency, type QueueOrder } from '../../../src/crawler/config.js';
import { InlineCrypto } from '../../../src/work/pool.js';
import { PrefixStrategy, SweepStrategy, type CrawlStrategy, type StrategyReply } from '../../../src/crawler/strategy.js';
import { createEnr, decodeEnr, type Enr } from '../../../src/enr/enr.js';
import { secp } from '../../../src/crypto/index.js';
import { MessageType, type Nodes } from '../../../src/wire/messages.js';
import type { NodeAddress, RequestResult, RequestEvents } from '../../../src/session/session-layer.js';
import { logDistance, toHex } from '../../../src/util/bytes.js';

const be = secp();

/** The fake networks here answer by a fixed topology, not by distance, so the crawler's distance check is off. */
class Crawler extends CheckingCrawler {
  constructor(...a: ConstructorParameters<typeof CheckingCrawler>) { super(...a); this.checkDistances = false; }
}
const N = 120;
// Node i lives at 127.50.0.(i+1); nodes with i % 10 === 9 never answer.
const enrs: Enr[] = Array.from({ length: N }, (_, i) => createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 50, 0, i + 1), udp: 30303 }));
const byPort = new Map(enrs.map((e, i) => [`127.50.0.${i + 1}`, i]));
const dead = (i: number) => i % 10 === 9;
const stats = () => ({ bytesOut: 100, bytesIn: 200, packetsOut: 1, packetsIn: 2, rtt1Ns: 1_000_000n, rtt2Ns: 2_000_000n, handshake: true });

/** A fake network: node i returns records i+1..i+4 (mod N) in two NODES packets, streamed before the result. */
class FakeClient implements FindNodeClient {
  calls: { ip: string; distances: number[] }[] = [];
  async findNode(remote: NodeAddress, distances: number[], events?: RequestEvents): Promise<RequestResult> {
    this.calls.push({ ip: remote.ip, distances });
    const i = byPort.get(remote.ip)!;
    await new Promise((r) => setTimeout(r, 1));
    if (dead(i)) return { ok: false, reason: 'no-whoareyou', nodes: null, stats: stats() };
    // Like the session layer: a node that answered first contact waits for the crawler's admission.
    if (events?.admit) await new Promise<void>((release) => events.admit!(release));
    const recs = [1, 2, 3, 4].map((k) => enrs[(i + k) % N]!.raw);
    const p1: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 2, enrs: recs.slice(0, 2) };
    const p2: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 2, enrs: recs.slice(2) };
    events?.onNodes?.(p1, process.hrtime.bigint(), 500);
    events?.onNodes?.(p2, process.hrtime.bigint(), 500);
    return { ok: true, response: p2, nodes: [], complete: true, stats: stats() };
  }
}

class CountingSink implements CrawlSink {
  records = 0; visits = 0; packets = 0; edges = 0; samples = 0;
  record(): void { this.records++; }
  visit(): void { this.visits++; }
  packet(): void { this.packets++; }
  edge(): void { this.edges++; }
  progress(): void { this.samples++; }
}

const local = new Uint8Array(32);
const nodeIdOf = (raw: Uint8Array) => decodeEnr(raw).nodeId();

describe('crawler scheduler', () => {
  it('a --duration past setTimeout\'s limit (600 h) does not stop the crawl at once', async () => {
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 50, durationMs: 600 * 3_600_000 }, new FakeClient(), new PrefixStrategy(), local, new CountingSink());
    c.addBootnode(enrs[0]!);
    await c.run();
    assert.equal(c.counts.measured + c.counts.failed, N, 'every node visited: the duration did not cut the crawl short');
  });

  it('visits every discovered node exactly once, streams records, and ends in measured/failed', async () => {
    const client = new FakeClient();
    const sink = new CountingSink();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 50 }, client, new PrefixStrategy(), local, sink);
    c.addBootnode(enrs[0]!);
    await c.run();
    const ips = client.calls.map((x) => x.ip);
    assert.equal(ips.length, N, 'one FINDNODE per node');
    assert.equal(new Set(ips).size, N);
    const counts = c.counts;
    assert.equal(counts.measured, N - N / 10);
    assert.equal(counts.failed, N / 10);
    assert.equal(counts.discovered + counts.queued + counts.pending, 0);
    assert.equal(c.counters.newRecords, N);
    assert.equal(c.counters.duplicateRecords, c.counters.recordsReceived - N); // the bootnode record counts as received
    assert.equal(sink.records, N);
    assert.equal(sink.visits, N);
    assert.equal(sink.packets, 2 * (N - N / 10));
    assert.equal(sink.edges, 4 * (N - N / 10));
    // prefix rotates one distance 256..241 across requests
    assert.deepEqual(client.calls.slice(0, 3).map((x) => x.distances), [[256], [255], [254]]);
    assert.equal(c.failureReasons['no-whoareyou'], N / 10);
  });

  it('spends visit tokens (--rate) on nodes that answered first contact, and contact tokens on every node', async () => {
    const live = N - N / 10;
    const client = new FakeClient();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 400, contactRatePerSec: 100_000, burst: 5, adaptiveRate: false }, client, new PrefixStrategy(), local);
    c.addBootnode(enrs[0]!);
    const t0 = performance.now();
    await c.run();
    const ms = performance.now() - t0;
    assert.equal(c.counters.contacts, N, 'one first contact per node');
    assert.equal(c.counters.requests, live, 'a FINDNODE only for nodes that answered');
    // 108 live nodes at 400/s with a burst of 5 take at least (108 - 5) / 400 s; the dead ones cost no visit token.
    assert.ok(ms >= ((live - 5) / 400) * 1000 * 0.95, `took ${ms} ms`);
  });

  it('a stop while visits wait for their next request ends those visits and the crawl', { timeout: 10_000 }, async () => {
    // sweep plans 18 requests per node; at 50 req/s most visits wait for a token when --duration ends the crawl.
    const sink = new CountingSink();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 50, burst: 1, adaptiveRate: false, durationMs: 300 }, new FakeClient(), new SweepStrategy(), local, sink);
    c.addBootnode(enrs[0]!);
    await c.run();
    assert.equal(c.counts.pending, 0, 'no visit left hanging');
    assert.ok(sink.visits > 0 && sink.visits === c.counts.measured + c.counts.failed, 'each visit that started is recorded');
  });

  it('holds first contacts to --contact-rate', async () => {
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 100_000, contactRatePerSec: 400, burst: 5, adaptiveRate: false }, new FakeClient(), new PrefixStrategy(), local);
    c.addBootnode(enrs[0]!);
    const t0 = performance.now();
    await c.run();
    const ms = performance.now() - t0;
    assert.equal(c.counters.contacts, N);
    // The contact bucket's burst is the visit bucket's in time: 5 tokens at 100,000/s is under one at 400/s.
    assert.ok(ms >= ((N - 1) / 400) * 1000 * 0.95, `took ${ms} ms`);
  });

  for (const pool of [false, true]) it(`checks a new record's signature before visiting it${pool ? ' (on an asynchronous verifier, as the worker pool is)' : ''}: a forged one is never visited, stored or linked`, async () => {
    // A record for 127.50.1.1 whose signature is corrupted; node 0's replies carry it along.
    const forged = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 50, 1, 1), udp: 30303 }).raw.slice();
    forged[5]! ^= 0xff; // inside the 64-byte signature (after the list and string headers)
    const garbage = Uint8Array.of(0xc3, 0x01, 0x02, 0x03); // an RLP list, not a record
    class ForgingClient extends FakeClient {
      override async findNode(remote: NodeAddress, distances: number[], events?: RequestEvents): Promise<RequestResult> {
        if (remote.ip === '127.50.1.1') throw new Error('visited the forged record');
        const r = await super.findNode(remote, distances, {
          onNodes: (m, at, size) => events?.onNodes?.({ ...m, enrs: [...m.enrs, forged, garbage] }, at, size),
        });
        return r;
      }
    }
    const recorded: string[] = [];
    const linked: string[] = [];
    const refused: Array<{ reason: string; claimed: string | null; from: string | null; raw: string }> = [];
    const sink: CrawlSink = {
      record: (n) => { recorded.push(toHex(n.id)); }, visit() {}, packet() {}, progress() {},
      edge: (_f, to) => { linked.push(toHex(to.id)); },
      badRecord: (raw, reason, claimed, from) => { refused.push({ reason, claimed: claimed && toHex(claimed), from: from && toHex(from.id), raw: toHex(raw) }); },
    };
    const client = new ForgingClient();
    // Answers a few ms later, on a timer, like a worker's reply.
    const inline = new InlineCrypto();
    let checks = 0;
    const verifier = pool ? { verifyRecord: async (raw: Uint8Array) => { checks++; await new Promise((r) => setTimeout(r, 2)); return inline.verifyRecord(raw); } } : null;
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 50 }, client, new PrefixStrategy(), local, sink, verifier);
    c.addBootnode(enrs[0]!);
    await c.run();
    assert.equal(client.calls.length, N, 'every real node visited once, the forged one never');
    assert.ok(c.counters.badSignatures >= 1, 'counted (once per time it reached the front of the queue)');
    assert.equal(c.knownNodes, N);
    assert.equal(recorded.length, N, 'each real record stored once');
    const realIds = new Set(enrs.map((e) => toHex(e.nodeId())));
    assert.ok(recorded.every((id) => realIds.has(id)));
    assert.ok(linked.length > 0 && linked.every((id) => realIds.has(id)), 'no edge to the forged record');
    // The refused records reach the sink with their reason, the ID they claim, and who sent them.
    const sig = refused.filter((r) => r.reason === 'signature');
    assert.ok(sig.length >= 1 && sig.every((r) => r.raw === toHex(forged) && r.claimed === toHex(decodeEnr(forged).nodeId()) && r.from !== null && realIds.has(r.from)), JSON.stringify(sig[0]));
    const dec = refused.filter((r) => r.reason === 'decode');
    assert.ok(dec.length >= 1 && dec.every((r) => r.raw === toHex(garbage) && r.claimed === null), JSON.stringify(dec[0]));
    assert.equal(refused.length, c.counters.badSignatures + c.counters.badRecords, 'every refusal counted, and each one kept (under the cap)');
    // Every record but the bootnode's (checked when added) is checked once, when it reaches the front of the queue.
    if (pool) assert.equal(checks, N - 1 + c.counters.badSignatures);
    assert.equal(c.counts.discovered + c.counts.queued + c.counts.pending, 0);
  });

  it('backs the rate off while the load probe reports a saturated loop, and still visits every node', async () => {
    const client = new FakeClient();
    let reads = 0;
    const saturated = { utilization: () => { reads++; return 1; } };
    // 120 requests at 400/s take ~300 ms: long enough for a few 100 ms control intervals.
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 400, burst: 5 }, client, new PrefixStrategy(), local, null, null, saturated);
    c.addBootnode(enrs[0]!);
    await c.run();
    assert.equal(client.calls.length, N);
    assert.ok(reads >= 2, 'the probe was read by the control loop');
    assert.ok(c.rateLimit < 400, `rate ${c.rateLimit}`);
    assert.ok(c.throttle!.minRatePerSec < 400 && c.throttle!.throttledMs > 0);
  });

  it('keeps the configured rate when the loop has headroom, and reports no throttle with --fixed-rate', async () => {
    const idle = { utilization: () => 0.1 };
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 2000, burst: 5 }, new FakeClient(), new PrefixStrategy(), local, null, null, idle);
    c.addBootnode(enrs[0]!);
    await c.run();
    assert.equal(c.rateLimit, 2000);
    assert.deepEqual(c.throttle, { minRatePerSec: 2000, throttledMs: 0 });
    const fixed = new Crawler({ ...DEFAULT_CRAWL_CONFIG, adaptiveRate: false }, new FakeClient(), new PrefixStrategy(), local);
    assert.equal(fixed.throttle, null);
  });

  it('retries failed nodes with --retries, and sweep sends several requests per visit', async () => {
    const client = new FakeClient();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 20000, retries: 1 }, client, new SweepStrategy(), local);
    c.addBootnode(enrs[0]!);
    await c.run();
    const perIp = new Map<string, number>();
    for (const x of client.calls) perIp.set(x.ip, (perIp.get(x.ip) ?? 0) + 1);
    for (const [ip, n] of perIp) {
      const i = byPort.get(ip)!;
      if (dead(i)) assert.equal(n, 2, `dead node ${i} tried twice`);
      else assert.equal(n, 18, `live node ${i} swept 256..239`);
    }
  });

  it('asks a node that answered the requests onReply adds, after its plan, and none of a node that failed', async () => {
    const client = new FakeClient();
    const replies: StrategyReply[] = [];
    const strategy: CrawlStrategy = {
      name: 'test', stopAfterEmpty: false,
      plan: () => [[256]],
      onReply(r) {
        replies.push(r);
        return r.asked.length === 1 ? [[100, 101], [102]] : null;
      },
    };
    const visits: VisitRecord[] = [];
    const sink = Object.assign(new CountingSink(), { visit: (v: VisitRecord) => { visits.push(v); } });
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 20000 }, client, strategy, local, sink);
    c.addBootnode(enrs[0]!);
    await c.run();
    const perIp = new Map<string, number[][]>();
    for (const x of client.calls) perIp.set(x.ip, [...(perIp.get(x.ip) ?? []), x.distances]);
    for (const [ip, asked] of perIp) {
      if (dead(byPort.get(ip)!)) assert.deepEqual(asked, [[256]]);
      else assert.deepEqual(asked, [[256], [100, 101], [102]]);
    }
    // Every reply is reported: the live node's three with the requests still planned, the dead node's failure.
    const live = replies.filter((r) => r.ok);
    assert.ok(live.length > 0 && replies.some((r) => !r.ok));
    assert.deepEqual(new Set(live.map((r) => `${r.asked.length}:${r.pending}`)), new Set(['1:0', '2:1', '3:0']));
    assert.ok(live.every((r) => r.records === 4 && r.complete));
    assert.ok(replies.filter((r) => !r.ok).every((r) => r.asked.length === 1 && !r.complete));
    const measured = visits.find((v) => v.status === 'measured')!;
    assert.equal(measured.requests, 3);
    assert.deepEqual(measured.distances, [[256], [100, 101], [102]]);
  });

  /** Sweep over a scripted network: node i answers distance d with byDistance[i][d] (else nothing). */
  const sweepCalls = async (byDistance: Record<number, Record<number, number[]>>): Promise<{ asked: Map<number, number[]>; found: Set<string> }> => {
    const asked = new Map<number, number[]>();
    const client: FindNodeClient = {
      async findNode(remote: NodeAddress, distances: number[], events?: RequestEvents): Promise<RequestResult> {
        const i = byPort.get(remote.ip)!;
        asked.set(i, [...(asked.get(i) ?? []), ...distances]);
        const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: (byDistance[i]?.[distances[0]!] ?? []).map((k) => enrs[k]!.raw) };
        events?.onNodes?.(m, process.hrtime.bigint(), 300);
        return { ok: true, response: m, nodes: [], complete: true, stats: stats() };
      },
    };
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 20000 }, client, new SweepStrategy(), local);
    c.addBootnode(enrs[0]!);
    await c.run();
    return { asked, found: new Set([...c.allNodes()].map((n) => toHex(n.id))) };
  };

  it('sweep stops after empty deep buckets only once a full bucket showed the network is large', async () => {
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
    // Large: a full bucket at 256, then empties; the peer at 249 is past the early stop (256..250 asked).
    const large = await sweepCalls({ 0: { 256: range(1, 17), 249: [20] } });
    assert.deepEqual(large.asked.get(0), range(250, 257).reverse());
    assert.ok(!large.found.has(toHex(nodeIdOf(enrs[20]!.raw))));
    // Small (a devnet): the same empties prove nothing, so every bucket is read and the peer at 249 is found.
    const small = await sweepCalls({ 0: { 256: [1, 2], 249: [20] } });
    assert.deepEqual(small.asked.get(0), range(239, 257).reverse());
    assert.ok(small.found.has(toHex(nodeIdOf(enrs[20]!.raw))));
    assert.equal(small.asked.get(20)?.length, 18);
  });

  /** Visit order over a scripted network (node i returns table[i]), one visit at a time. */
  const visitOrder = async (table: Record<number, number[]>, queueOrder: QueueOrder, promote = false): Promise<number[]> => {
    class Scripted implements FindNodeClient {
      order: number[] = [];
      async findNode(remote: NodeAddress, _d: number[], events?: RequestEvents): Promise<RequestResult> {
        const i = byPort.get(remote.ip)!;
        this.order.push(i);
        const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: (table[i] ?? []).map((k) => enrs[k]!.raw) };
        events?.onNodes?.(m, process.hrtime.bigint(), 300);
        return { ok: true, response: m, nodes: [], complete: true, stats: stats() };
      }
    }
    const client = new Scripted();
    const strategy = Object.assign(new PrefixStrategy(), { promoteOnRepeat: promote });
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 1, concurrency: 1, queueOrder }, client, strategy, local);
    c.addBootnode(enrs[0]!);
    await c.run();
    return client.order;
  };

  it('fifo with promoteOnRepeat visits a queued node whose record came back again before the rest', async () => {
    // Node 0 returns 1..4; node 1 returns 5,6,7 and 4 again: 4 jumps ahead of 2 and 3.
    const table: Record<number, number[]> = { 0: [1, 2, 3, 4], 1: [5, 6, 7, 4] };
    assert.deepEqual(await visitOrder(table, 'fifo'), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(await visitOrder(table, 'fifo', true), [0, 1, 4, 2, 3, 5, 6, 7]);
    assert.deepEqual(await visitOrder(table, 'seen'), [0, 1, 4, 2, 3, 5, 6, 7]);
  });

  it('seen visits the node returned most often first, discovery order among equals', async () => {
    // After node 1: 2, 3 and 4 returned twice, 5 once. Node 2 returns 4 a third time: 4 goes before 3.
    const table: Record<number, number[]> = { 0: [1, 2, 3, 4], 1: [2, 3, 4, 5], 2: [4, 6] };
    assert.deepEqual(await visitOrder(table, 'seen'), [0, 1, 2, 4, 3, 5, 6]);
    // fifo with promotion moves each up once, in the order they came back.
    assert.deepEqual(await visitOrder(table, 'fifo', true), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('derives the visits in flight from the rate when concurrency is 0', () => {
    const base = { ...DEFAULT_CRAWL_CONFIG, requestTimeoutMs: 1000, retransmits: 1 };
    // 3,000 contacts/s x 1 s x 2 tries x 1.25: every slot a dead node could hold at the contact limit, plus headroom.
    assert.equal(effectiveConcurrency({ ...base, ratePerSec: 1000, contactRatePerSec: 3000, concurrency: 0 }), 7500);
    // Without a contact rate it is CONTACT_RATE_FACTOR x the visit rate.
    assert.equal(effectiveConcurrency({ ...base, ratePerSec: 3000, contactRatePerSec: 0, concurrency: 0 }), 3000 * CONTACT_RATE_FACTOR * 2 * 1.25);
    assert.equal(effectiveConcurrency({ ...base, ratePerSec: 0.01, concurrency: 0 }), 64);
    assert.equal(effectiveConcurrency({ ...base, ratePerSec: 3000, concurrency: 10 }), 10);
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 2000 }, new FakeClient(), new PrefixStrategy(), local);
    assert.equal(c.concurrency, 2000 * CONTACT_RATE_FACTOR * 2 * 1.25);
  });

  for (const pooled of [false, true]) {
    it(`a higher seq replaces a node's record and endpoint in place, id and public key kept (${pooled ? 'async verifier' : 'inline'})`, async () => {
      const sk = be.generatePrivateKey();
      const a = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 51, 0, 1), udp: 30303 });
      const c1 = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 51, 0, 2), udp: 30303 });
      const bOld = createEnr(sk, 1n, { ip: Uint8Array.of(127, 51, 0, 3), udp: 30303 });
      const bNew = createEnr(sk, 2n, { ip: Uint8Array.of(127, 51, 0, 4), udp: 30304 });
      // a returns b (seq 1) and c; c returns b (seq 2, moved); b answers at either address and returns nothing.
      const replies = new Map<string, Enr[]>([['127.51.0.1', [bOld, c1]], ['127.51.0.2', [bNew]], ['127.51.0.3', []], ['127.51.0.4', []]]);
      const client: FindNodeClient = {
        async findNode(remote, _d, events) {
          await new Promise((r) => setTimeout(r, 1));
          const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: replies.get(remote.ip)!.map((e) => e.raw) };
          events?.onNodes?.(m, process.hrtime.bigint(), 300);
          return { ok: true, response: m, nodes: [], complete: true, stats: stats() };
        },
      };
      const records: [string, bigint][] = [];
      const sink: CrawlSink = { ...new CountingSink(), record: (n) => { records.push([toHex(n.id), n.seq]); }, visit() {}, packet() {}, edge() {}, progress() {} };
      const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 1000, burst: 1 }, client, new PrefixStrategy(), local, sink, pooled ? new InlineCrypto() : null);
      c.addBootnode(a);
      await c.run();
      const b = [...c.allNodes()].find((n) => toHex(n.id) === toHex(bOld.nodeId()))!;
      assert.ok(b, 'b is known under its node ID');
      assert.equal(c.knownNodes, 3);
      assert.equal(c.counters.updatedRecords, 1);
      assert.equal(b.seq, 2n);
      assert.deepEqual(b.raw, bNew.raw);
      assert.deepEqual(b.pubkey, bNew.publicKey);
      assert.equal(b.addr, b, 'a node with an endpoint is its own address');
      assert.deepEqual([b.addr!.ip, b.addr!.port], ['127.51.0.4', 30304]);
      assert.deepEqual(records.filter(([id]) => id === toHex(b.id)).map(([, seq]) => seq), [1n, 2n], 'both versions reach the sink');
      for (const n of c.allNodes()) assert.equal(toHex(n.id), toHex(nodeIdOf(n.raw!)));
    });
  }

  it('stops cleanly mid-crawl', async () => {
    const client = new FakeClient();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 100, burst: 1 }, client, new PrefixStrategy(), local);
    c.addBootnode(enrs[0]!);
    const p = c.run();
    setTimeout(() => c.stop(), 100);
    await p;
    assert.ok(client.calls.length < N);
    assert.ok(c.counts.queued > 0);
    assert.equal(toHex(enrs[0]!.nodeId()).length, 64);
  });
});

describe('crawler: errors of its own end the crawl, never the process', () => {
  /** Runs a crawl that must reject with `want`, leaving no unhandled rejection behind. */
  async function rejectsCleanly(c: Crawler, want: RegExp): Promise<void> {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      c.addBootnode(enrs[0]!);
      await assert.rejects(c.run(), want);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }

  it('a worker pool that fails (verifyRecord rejects) ends run() with that error, no timer left running', async () => {
    const broken = { verifyRecord: async (): Promise<boolean> => { throw new Error('worker exited'); } };
    await rejectsCleanly(new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 50 }, new FakeClient(), new PrefixStrategy(), local, new CountingSink(), broken), /worker exited/);
  });

  it('a sink that throws (a store refusing rows) ends run() with that error instead of an unhandled rejection', async () => {
    const sink = new CountingSink();
    sink.visit = () => { throw Object.assign(new Error('store backlog'), { code: 'ERR_STORE_BACKLOG' }); };
    await rejectsCleanly(new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000, burst: 50 }, new FakeClient(), new PrefixStrategy(), local, sink), /store backlog/);
  });
});

describe('crawler: bounded progress series', () => {
  it('thinSamples halves a series, keeping its first and latest points', () => {
    const xs = Array.from({ length: 11 }, (_, i) => i);
    thinSamples(xs);
    assert.deepEqual(xs, [0, 2, 4, 6, 8, 10]);
    const ys = Array.from({ length: 10 }, (_, i) => i);
    thinSamples(ys);
    assert.deepEqual(ys, [0, 2, 4, 6, 8, 9]);
    assert.ok(MAX_PROGRESS_SAMPLES >= 18_000, 'a 30-minute crawl at 100 ms keeps every sample');
  });
});

describe('crawler: a stop ends in bounded time', () => {
  it('records of unvisited nodes left when the stop\'s checking budget runs out are counted, not checked', async () => {
    const sink = new CountingSink();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 20, burst: 1, adaptiveRate: false }, new FakeClient(), new PrefixStrategy(), local, sink);
    c.stopVerifyBudgetMs = 0;
    c.addBootnode(enrs[0]!);
    const run = c.run();
    await new Promise((r) => setTimeout(r, 300));
    c.stop();
    await run;
    assert.ok(c.counters.unverifiedAtStop > 0, 'nodes found but never visited');
    assert.equal(sink.records + c.counters.unverifiedAtStop + c.counters.badSignatures, c.knownNodes, 'every record is stored or counted');
  });
});

describe('crawler: a stop leaves the event loop free (issue 18, item 5)', () => {
  // A network that answers every request with 16 records never seen before: the crawler learns far faster than
  // it visits, so a stop finds many records of unvisited nodes still to check.
  const feed = Array.from({ length: 400 }, (_, i) => createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 51, i >> 8, i & 255), udp: 30303 }));
  const feedClient = (): FindNodeClient => {
    let next = 1;
    return {
      async findNode(_r: NodeAddress, _d: number[], events?: RequestEvents): Promise<RequestResult> {
        await new Promise((r) => setTimeout(r, 1));
        if (events?.admit) await new Promise<void>((release) => events.admit!(release));
        const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: feed.slice(next, next + 16).map((e) => e.raw) };
        next += 16;
        events?.onNodes?.(m, process.hrtime.bigint(), 1000);
        return { ok: true, response: m, nodes: [], complete: true, stats: stats() };
      },
    };
  };
  /** Stops once `want` records wait unvisited; returns the records stored at the stop and at each turn of the loop after it. */
  async function stopWithBacklog(c: InstanceType<typeof Crawler>, sink: CountingSink, want: number): Promise<{ atStop: number; atTurns: number[] }> {
    c.addBootnode(feed[0]!);
    const run = c.run();
    while (c.counts.queued < want) await new Promise((r) => setTimeout(r, 5));
    const atTurns: number[] = [];
    let turning = true;
    const turn = () => { atTurns.push(sink.records); if (turning) setImmediate(turn); };
    c.stop();
    const atStop = sink.records;
    setImmediate(turn);
    await run;
    turning = false;
    return { atStop, atTurns };
  }

  it('the records of unvisited nodes are checked in slices, with the event loop turning between them', async () => {
    const sink = new CountingSink();
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 10, burst: 1, adaptiveRate: false, allowPrivate: true }, feedClient(), new PrefixStrategy(), local, sink);
    c.verifySliceMs = 0; // one slice per 64 checks
    const { atStop, atTurns } = await stopWithBacklog(c, sink, 200);
    // Inline checks store each good record as they go: a turn of the loop between two slices sees a count between.
    assert.ok(atTurns.some((n) => n > atStop && n < sink.records), `records stored: ${atStop} at the stop, ${sink.records} at the end, ${[...new Set(atTurns)].join(',')} at the turns`);
    assert.equal(c.counters.unverifiedAtStop, 0, 'within the budget: every record checked');
    assert.equal(sink.records + c.counters.badSignatures, c.knownNodes);
  });

  it('with a worker pool, the stop\'s checks go to the pool, and every record is stored or counted', async () => {
    const sink = new CountingSink();
    const inline = new InlineCrypto();
    let checks = 0;
    const pool = { verifyRecord: (raw: Uint8Array): Promise<boolean> => { checks++; return inline.verifyRecord(raw); } };
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 10, burst: 1, adaptiveRate: false, allowPrivate: true }, feedClient(), new PrefixStrategy(), local, sink, pool);
    await stopWithBacklog(c, sink, 200);
    assert.ok(checks - c.counts.measured - c.counts.failed >= 200, `${checks} pool checks for ${c.counts.measured + c.counts.failed} visits and 200+ unvisited records`);
    assert.equal(c.counters.unverifiedAtStop, 0);
    assert.equal(sink.records + c.counters.badSignatures, c.knownNodes);
  });
});

describe('crawler: reply-train dispersion', () => {
  it('each visit record carries the dispersion rate of its reply trains', async () => {
    // Every reply: three 1,000-byte NODES packets 200 µs apart, 40 Mbit/s.
    const GAP_NS = 200_000n;
    const client: FindNodeClient = {
      async findNode(remote: NodeAddress, _d: number[], events?: RequestEvents): Promise<RequestResult> {
        const i = byPort.get(remote.ip)!;
        await new Promise((r) => setTimeout(r, 1));
        if (dead(i)) return { ok: false, reason: 'no-whoareyou', nodes: null, stats: stats() };
        if (events?.admit) await new Promise<void>((release) => events.admit!(release));
        const recs = [1, 2, 3].map((k) => enrs[(i + k) % N]!.raw);
        const t0 = process.hrtime.bigint();
        const msgs: Nodes[] = recs.map((r) => ({ type: MessageType.Nodes, reqId: new Uint8Array(4), total: 3, enrs: [r] }));
        msgs.forEach((m, p) => events?.onNodes?.(m, t0 + BigInt(p) * GAP_NS, 1000));
        return { ok: true, response: msgs[2]!, nodes: [], complete: true, stats: stats() };
      },
    };
    const visits: VisitRecord[] = [];
    const sink = Object.assign(new CountingSink(), { visit: (v: VisitRecord) => { visits.push(v); } });
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 20000 }, client, new PrefixStrategy(), local, sink);
    c.addBootnode(enrs[0]!);
    await c.run();
    const measured = visits.filter((v) => v.status === 'measured');
    assert.ok(measured.length > 0 && visits.some((v) => v.status === 'failed'));
    for (const v of measured) {
      assert.ok(Math.abs(v.dispersion.mbps! - 40) < 1e-6, String(v.dispersion.mbps));
      assert.equal(v.dispersion.trainPackets, 3);
      assert.equal(v.dispersion.lowConfidence, false);
    }
    for (const v of visits.filter((x) => x.status === 'failed')) assert.deepEqual(v.dispersion, { mbps: null, trainPackets: null, lowConfidence: null });
  });
});

describe('crawler: what one reply may carry (issue 18, item 3)', () => {
  const hostile = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 53, 0, 1), udp: 30303 });
  let nextIp = 2;
  /** A key whose node ID lies at one of `ds` from the hostile node. */
  const keyAt = (ds: number[]): Uint8Array => {
    for (;;) {
      const sk = be.generatePrivateKey();
      if (ds.includes(logDistance(createEnr(sk, 1n, {}).nodeId(), hostile.nodeId()))) return sk;
    }
  };
  /** A record at the next free 127.53.x.y address. */
  const recordAt = (ds: number[], sk = keyAt(ds), seq = 1n): Enr => {
    const ip = nextIp++;
    return createEnr(sk, seq, { ip: Uint8Array.of(127, 53, ip >> 8, ip & 255), udp: 30303 });
  };
  /** The hostile node sends `packets` to its first request; every other node answers nothing. */
  const scripted = (packets: Uint8Array[][]) => {
    const calls: { ip: string; distances: number[] }[] = [];
    const client: FindNodeClient = {
      async findNode(remote, distances, events) {
        calls.push({ ip: remote.ip, distances });
        await new Promise((r) => setTimeout(r, 1));
        const first = remote.ip === '127.53.0.1' && calls.filter((c) => c.ip === remote.ip).length === 1;
        const ps = first ? packets : [[]];
        for (const enrs of ps) events?.onNodes?.({ type: MessageType.Nodes, reqId: new Uint8Array(4), total: ps.length, enrs }, process.hrtime.bigint(), 300);
        const last: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: ps.length, enrs: ps[ps.length - 1]! };
        return { ok: true, response: last, nodes: [], complete: true, stats: stats() };
      },
    };
    return { client, calls };
  };
  const planOf = (plan: number[][]): CrawlStrategy => ({ name: 'test', stopAfterEmpty: false, plan: () => plan.map((d) => [...d]) });

  it('drops records at distances not asked, counts them, and asks a node that keeps sending them nothing more', async () => {
    // Asked 249 and 248 first (32 records may come): 256..253 are more than PADDING_SPREAD away.
    const off = Array.from({ length: MAX_UNREQUESTED_PER_VISIT + 4 }, () => recordAt([256, 255, 254, 253]).raw);
    const { client, calls } = scripted([off.slice(0, 10), off.slice(10)]);
    const c = new CheckingCrawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000 }, client, planOf([[249, 248], [247], [246]]), local, new CountingSink());
    c.addBootnode(hostile);
    await c.run();
    assert.equal(c.counters.unrequestedRecords, off.length);
    assert.equal(c.knownNodes, 1, 'none of them is kept, visited or stored');
    assert.deepEqual(calls.map((x) => x.distances), [[249, 248]], 'the node is asked nothing more');
    assert.equal(c.counters.overCapRecords, 0);
    assert.equal(c.counters.unrequestedVisits, 1);
  });

  it('keeps records at the distances asked, and drops those past 16 per distance unread', async () => {
    const at256 = Array.from({ length: 40 }, () => recordAt([256]).raw);
    const { client } = scripted([at256.slice(0, 12), at256.slice(12, 24), at256.slice(24)]);
    const c = new CheckingCrawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000 }, client, planOf([[256]]), local, new CountingSink());
    c.addBootnode(hostile);
    await c.run();
    assert.equal(c.knownNodes, 1 + MAX_RECORDS_PER_DISTANCE);
    assert.equal(c.counters.overCapRecords, 40 - MAX_RECORDS_PER_DISTANCE);
    assert.equal(c.counters.unrequestedRecords, 0);
  });

  for (const pool of [false, true]) {
    it(`bounds the newer versions of one node it accepts (${pool ? 'async verifier' : 'inline'})`, async () => {
      const sk = keyAt([256]);
      const first = recordAt([256], sk);
      const ip = first.get('ip')!;
      const versions = Array.from({ length: 29 }, (_, k) => createEnr(sk, BigInt(k + 2), { ip, udp: 30303 }).raw);
      const { client } = scripted([[first.raw], versions.slice(0, 15), versions.slice(15)]);
      const seqs: bigint[] = [];
      const sink: CrawlSink = { ...new CountingSink(), record: (n) => { seqs.push(n.seq); }, visit() {}, packet() {}, edge() {}, progress() {} };
      const c = new CheckingCrawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000 }, client, planOf([[256, 255]]), local, sink, pool ? new InlineCrypto() : null);
      c.addBootnode(hostile);
      await c.run();
      assert.ok(c.counters.updatedRecords > 0 && c.counters.updatedRecords <= MAX_RECORD_UPDATES, `updated ${c.counters.updatedRecords}`);
      assert.equal(c.counters.updatedRecords + c.counters.versionLimitRecords, versions.length);
      assert.ok(seqs.length <= 2 + MAX_RECORD_UPDATES, `${seqs.length} versions stored`);
    });
  }

  for (const pool of [false, true]) {
    it(`a forged record with seq 2^64-1 under a victim's key never hides the victim's valid one (${pool ? 'async verifier' : 'inline'})`, async () => {
      const sk = keyAt([256]);
      const real = recordAt([256], sk);
      const newer = createEnr(sk, 2n, { ip: real.get('ip')!, udp: 30303 });
      const forged = createEnr(sk, 2n ** 64n - 1n, { ip: Uint8Array.of(127, 54, 0, 1), udp: 30303 }).raw.slice();
      forged[5]! ^= 0xff; // inside the signature
      const stored: bigint[] = [];
      const sink: CrawlSink = { ...new CountingSink(), record: (n) => { if (toHex(n.id) === toHex(real.nodeId())) stored.push(n.seq); }, visit() {}, packet() {}, edge() {}, progress() {} };
      const slow = new InlineCrypto();
      const verifier = pool ? { verifyRecord: async (raw: Uint8Array) => { await new Promise((r) => setTimeout(r, 5)); return slow.verifyRecord(raw); } } : null;
      // Unknown victim: the forgery arrives first, then the real record. Known victim: a forgery, then a real update.
      for (const [seed, packets] of [[null, [[forged, real.raw]]], [real, [[forged], [newer.raw]]]] as const) {
        stored.length = 0;
        const { client, calls } = scripted(packets.map((p) => [...p]));
        const c = new CheckingCrawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 5000 }, client, planOf([[256]]), local, sink, verifier);
        c.addBootnode(hostile);
        if (seed) c.addBootnode(seed);
        await c.run();
        const victim = [...c.allNodes()].find((n) => toHex(n.id) === toHex(real.nodeId()));
        const want = seed ? newer : real;
        assert.ok(victim, 'the victim is known');
        assert.equal(victim.seq, want.seq);
        assert.deepEqual(victim.raw, want.raw);
        assert.ok(c.counters.badSignatures >= 1, JSON.stringify({ seed: !!seed, ...c.counters }));
        assert.ok(!calls.some((x) => x.ip === '127.54.0.1'), 'the forged endpoint is never visited');
        assert.equal(stored[stored.length - 1], want.seq);
      }
    });
  }
});
