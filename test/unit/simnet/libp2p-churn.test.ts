// A churning libp2p simnet: the script is in the truth with the discv5 simnet's shape, a node the script took
// down refuses TCP while the others still list it, it answers a libp2p dial and identify once the script brings
// it back, and a stop while nodes are down releases every address.
import '../../../src/util/node-compat.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerIdFromString } from '@libp2p/peer-id';
import { startLibp2pSimnet, type Libp2pSimnet, type Libp2pTruth } from '../../../src/simnet/libp2p/simnet.js';
import { libp2pChurnScript } from '../../../src/simnet/libp2p/churn.js';
import { libp2pPopulation } from '../../../src/simnet/libp2p/population.js';
import { parseDist, type ChurnParams } from '../../../src/simnet/churn.js';
import type { TruthChurnEvent } from '../../../src/simnet/simnet.js';
import { churnTruthStats } from '../../../src/app/churn-truth.js';
import { createCrawlerHost, parseLibp2pBootnode } from '../../../src/libp2p/crawl.js';
import { neighbourPeerId, visitPeer, type Libp2pHost, type Libp2pVisit } from '../../../src/libp2p/visit.js';
import { kadId } from '../../../src/libp2p/keys.js';
import { toHex } from '../../../src/util/bytes.js';

const NODES = 12;
const SEED = 'l2p-churn';
/** Long enough that every churning node goes down and comes back at least once. */
const HORIZON_S = 30;
const CHURN: ChurnParams = {
  session: parseDist('uniform:3:6', 'session'), offline: parseDist('uniform:2:4', 'offline'),
  joins: 0, stable: 0, leaveForever: 0, ipChange: 0, seqBump: 0, horizonS: HORIZON_S,
};
/** After an event's time, the shard's timer has fired and the node's stop or start is done by this. */
const SETTLE_MS = 600;
/** A refused dial on loopback answers at once; this only bounds a hang. */
const REFUSED_WITHIN_MS = 1000;

const sleepUntil = (unixMs: number) => new Promise((r) => setTimeout(r, Math.max(0, unixMs - Date.now())));

/** Connects over TCP: 'open' or the error code (ECONNREFUSED), with the time it took. */
function tcpDial(ip: string, port: number): Promise<{ result: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = createConnection({ host: ip, port, timeout: REFUSED_WITHIN_MS });
    const done = (result: string) => { s.destroy(); resolve({ result, ms: performance.now() - t0 }); };
    s.once('connect', () => done('open'));
    s.once('timeout', () => done('timeout'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** Whether this process can listen on ip:port now (the simnet released it). */
function canListen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, ip, () => srv.close(() => resolve(true)));
  });
}

function shardChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('libp2p/shard-main'));
}

async function visit(host: Libp2pHost, addr: string, peerId: string): Promise<Libp2pVisit> {
  const b = parseLibp2pBootnode(`${addr}/p2p/${peerId}`);
  return visitPeer(host, b.peerId, [b.addr], { dialTimeoutMs: 3000, identifyTimeoutMs: 3000, requestTimeoutMs: 3000, keysPerCpl: 1, rand: Math.random });
}

describe('libp2p simnet churn', () => {
  let net: Libp2pSimnet;
  let truth: Libp2pTruth;
  let host: Libp2pHost;
  const port = 4100 + Math.floor(Math.random() * 1000);
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-churn-'));
  const truthFile = join(dir, 'truth.json');

  before(async () => {
    // Two shard processes: each gets the clock's start over IPC and draws the script itself.
    net = await startLibp2pSimnet({ nodes: NODES, seed: SEED, shards: 2, port, truthFile, churn: CHURN });
    truth = net.truth;
    host = await createCrawlerHost('127.0.0.1', 4);
  });

  after(async () => {
    await host?.stop();
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the script in the truth, by Kademlia ID, with the discv5 simnet\'s shape', () => {
    const file = JSON.parse(readFileSync(truthFile, 'utf8')) as Libp2pTruth;
    assert.deepEqual(file, truth);
    const c = truth.churn!;
    assert.ok(c.startedAtMs >= Date.now() - 60_000 && c.startedAtMs <= Date.now());
    assert.equal(c.horizonMs, HORIZON_S * 1000);
    assert.deepEqual(c.joiners, []);
    assert.equal(c.params.session, 'uniform:3:6');
    // The node ID is what a libp2p crawl stores as node_id.
    for (const n of truth.nodes) assert.equal(n.nodeId, toHex(kadId(peerIdFromString(n.peerId).toMultihash().bytes)));
    const byId = new Map(truth.nodes.map((n) => [n.nodeId, n]));
    // The same events as the seed's script, named and placed as the truth's nodes.
    const script = libp2pChurnScript(libp2pPopulation({ nodes: NODES, seed: SEED, port, tablePeers: truth.params.tablePeers }), CHURN, SEED, 1);
    assert.deepEqual(c.events, script.map((e) => ({ tMs: e.tMs, nodeId: truth.nodes[e.node]!.nodeId, kind: e.kind, ip: e.ip, port: e.port, seq: '0' })));
    const perNode = new Map<string, TruthChurnEvent[]>();
    for (const e of c.events) {
      const n = byId.get(e.nodeId);
      assert.ok(n, e.nodeId);
      assert.equal(`/ip4/${e.ip}/tcp/${e.port}`, n.multiaddrs[0]);
      assert.ok(e.tMs >= 0 && e.tMs < c.horizonMs);
      perNode.set(e.nodeId, [...perNode.get(e.nodeId) ?? [], e]);
    }
    assert.ok(!perNode.has(truth.nodes[0]!.nodeId), 'the bootnode never churns');
    assert.equal(perNode.size, NODES - 1, 'stable 0: every other node churns');
    for (const es of perNode.values()) es.forEach((e, i) => assert.equal(e.kind, i % 2 === 0 ? 'down' : 'up'));
    const s = churnTruthStats(c, c.startedAtMs, c.startedAtMs + c.horizonMs, c.startedAtMs + c.horizonMs);
    assert.ok(s.entered > 0 && s.left > 0, JSON.stringify(s));
    assert.ok(s.sessions.n > 0 && s.sessions.medianMs! >= 3000 && s.sessions.medianMs! <= 6000, JSON.stringify(s));
  });

  it('stops a node at its down (TCP refused, others still list it) and restarts it at its up (dial, identify)', { timeout: 30_000 }, async () => {
    const c = truth.churn!;
    const down = c.events.find((e) => e.kind === 'down')!;
    const up = c.events.find((e) => e.kind === 'up' && e.nodeId === down.nodeId && e.tMs > down.tMs)!;
    const node = truth.nodes.find((n) => n.nodeId === down.nodeId)!;
    const downAt = c.startedAtMs + down.tMs, upAt = c.startedAtMs + up.tMs;
    await sleepUntil(downAt + SETTLE_MS);
    const refused = await tcpDial(down.ip, down.port);
    // The bootnode's table holds every node (40 table peers > 11 others), the down one included.
    const boot = truth.nodes[0]!;
    const fromBoot = await visit(host, boot.multiaddrs[0]!, boot.peerId);
    assert.ok(Date.now() < upAt, `the checks of the down window ran past its end (${Date.now() - upAt} ms late): machine too slow`);
    assert.equal(refused.result, 'ECONNREFUSED');
    assert.ok(refused.ms < REFUSED_WITHIN_MS, `refused after ${refused.ms} ms`);
    assert.equal(fromBoot.status, 'measured', fromBoot.errorMessage ?? '');
    assert.ok([...fromBoot.neighbours.values()].some((p) => neighbourPeerId(p)?.toString() === node.peerId), 'the bootnode still lists the down node');

    await sleepUntil(upAt + SETTLE_MS);
    const back = await visit(host, node.multiaddrs[0]!, node.peerId);
    assert.equal(back.status, 'measured', back.errorMessage ?? '');
    assert.equal(back.identify?.agentVersion, node.agentVersion);
    assert.deepEqual(back.identify?.protocols, node.protocols);
    assert.equal(back.cplErrors, 0, 'its table was filled again: every bucket answered');
    assert.ok(back.neighbours.size > 0);
    const stats = await net.stats();
    assert.equal(stats.reduce((a, s) => a + s.churnErrors, 0), 0);
    assert.ok(stats.reduce((a, s) => a + s.churnApplied, 0) >= 2);
  });

  it('stops while nodes are down: every address released, no shard left', { timeout: 30_000 }, async () => {
    const c = truth.churn!;
    // A moment some node is down: after a down, before its node's next event.
    const now = Date.now() - c.startedAtMs;
    const down = c.events.find((e, i) => e.kind === 'down' && e.tMs > now && (c.events.slice(i + 1).find((f) => f.nodeId === e.nodeId)?.tMs ?? Infinity) - e.tMs > 2 * SETTLE_MS)!;
    assert.ok(down, 'the script has a down ahead');
    await sleepUntil(c.startedAtMs + down.tMs + SETTLE_MS);
    const stats = await net.stats();
    assert.ok(stats.reduce((a, s) => a + s.up, 0) < NODES, `some node is down at the stop: ${JSON.stringify(stats)}`);
    const before = (await net.stats()).reduce((a, s) => a + s.churnApplied, 0);
    await net.stop();
    assert.deepEqual(shardChildren(), []);
    // Every event applied is in the applied churn once, at or after its scripted time, in time order.
    const applied = net.appliedChurn()!;
    assert.ok(applied.events.length >= before && applied.events.length <= c.events.length, `${applied.events.length} applied, ${before} before the stop`);
    const scripted = new Map(c.events.map((e) => [`${e.nodeId}/${e.kind}/${e.tMs}`, e]));
    const perNode = new Map<string, number>();
    for (const e of applied.events) {
      const nth = perNode.get(e.nodeId) ?? 0;
      perNode.set(e.nodeId, nth + 1);
      const mine = c.events.filter((s) => s.nodeId === e.nodeId)[nth]!;
      assert.ok(scripted.has(`${mine.nodeId}/${mine.kind}/${mine.tMs}`) && mine.kind === e.kind, JSON.stringify({ e, mine }));
      assert.ok(e.tMs >= mine.tMs && e.tMs <= mine.tMs + 5000, `applied ${e.tMs - mine.tMs} ms after the script`);
    }
    assert.deepEqual(applied.events.map((e) => e.tMs), applied.events.map((e) => e.tMs).sort((a, b) => a - b));
    for (const n of truth.nodes) {
      const [, , ip, , p] = n.multiaddrs[0]!.split('/');
      assert.ok(await canListen(ip!, Number(p)), `${n.multiaddrs[0]} released`);
    }
  });
});

describe('libp2p simnet churn in one process', () => {
  it('stops amid fast churn: no node restarts after the stop, every address released', { timeout: 30_000 }, async () => {
    const port = 4100 + Math.floor(Math.random() * 1000);
    // Sessions and gaps of a fraction of a second: at the stop, some nodes are down and some are restarting.
    const fast: ChurnParams = { ...CHURN, session: parseDist('uniform:0.2:0.6', 'session'), offline: parseDist('uniform:0.2:0.6', 'offline'), horizonS: 20 };
    const net = await startLibp2pSimnet({ nodes: 6, seed: SEED, shards: 0, port, churn: fast });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const [stats] = await net.stats();
      assert.ok(stats!.churnApplied > 5, JSON.stringify(stats));
      assert.equal(stats!.churnErrors, 0);
    } finally {
      await net.stop();
    }
    const addrs = net.truth.nodes.map((n) => n.multiaddrs[0]!.split('/'));
    for (const a of addrs) assert.ok(await canListen(a[2]!, Number(a[4])), `${a.join('/')} released`);
    // Past several scripted returns: none of them starts a node once stopped.
    await new Promise((r) => setTimeout(r, 1000));
    for (const a of addrs) assert.ok(await canListen(a[2]!, Number(a[4])), `${a.join('/')} still free`);
  });
});
