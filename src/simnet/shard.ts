import { secp } from '../crypto/index.js';
import { decodeEnr } from '../enr/enr.js';
import { SessionLayer } from '../session/session-layer.js';
import { makeResponder, PROFILES } from '../node/responder.js';
import { UdpTransport, type DatagramHandler } from '../transport/udp.js';
import { PacketKind, type DatagramTransport } from '../transport/types.js';
import { TimerWheel, type WheelEntry } from '../util/timer-wheel.js';
import { Prng } from '../util/prng.js';
import { LruMap } from '../util/lru.js';
import { PopulationIndex, StaticTable } from './tables.js';
import type { PopulationRecord } from './population.js';
import { LatenessLog, type ShardLateness } from './lateness.js';
import { toHex } from '../util/bytes.js';
import type { ChurnEvent } from './churn.js';

export interface ShardConditions {
  /** Per-packet loss probability, applied once to every packet a node sends or receives. */
  loss: number;
  seed: number | string;
  /** Socket buffer asked per simnet socket: small, thousands of them share the kernel's memory. */
  socketBufferBytes: number;
}

export interface ShardStats {
  nodes: number;
  sockets: number;
  handshakes: number;
  requestsIn: number;
  packetsIn: number;
  packetsOut: number;
  droppedByLoss: number;
  malformed: number;
  /** Churn events that failed (a move whose new socket could not be bound). */
  churnErrors: number;
  /** Session-layer counters summed over the shard's nodes (dropped reasons flattened as dropped.<reason>). */
  session: Record<string, number>;
  rssBytes: number;
  heapUsedBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

/** Delay-queue tick: replies leave within a millisecond of their due time. */
const DELAY_TICK_MS = 1;
const DELAY_SLOTS = 1024;
const VERIFIED_RECORDS = 4096;

const NS_PER_MS = 1e6;

class DelayedSend implements WheelEntry {
  cancelled = false;
  constructor(
    readonly deadlineMs: number, readonly link: SimLink, readonly data: Uint8Array, readonly ip: string, readonly port: number,
    /** Which identity sent it, what it is, and how long its request waited before it was handled (ms). */
    readonly slot: number, readonly kind: PacketKind, readonly holdMs: number,
  ) {}
  fire(): void { this.link.fire(this); }
}

/**
 * One simulated endpoint: replies leave after the node's RTT plus the serialisation time of the
 * packets queued before them (a train shows the link rate); loss drops packets both ways.
 */
class SimLink {
  private handler: DatagramHandler = () => {};
  private linkFreeAtMs = 0;
  /** Arrival (hrtime) of the datagram being handled, -1 outside a handler: replies are sent synchronously in it. */
  private arrivedAtNs = -1n;
  constructor(private readonly shard: SimShard, private readonly sock: UdpTransport, private readonly rttMs: number, private readonly bytesPerMs: number) {}
  onDatagram(h: DatagramHandler): void { this.handler = h; }
  deliver(data: Uint8Array, ip: string, port: number, at: bigint): void {
    if (this.shard.lose()) return;
    this.arrivedAtNs = at;
    try { this.handler(data, ip, port, at); } finally { this.arrivedAtNs = -1n; }
  }
  /** Schedules a datagram of the identity in `slot` (the shard's index of it). */
  send(slot: number, data: Uint8Array, ip: string, port: number, kind: PacketKind): void {
    if (this.shard.lose()) return;
    const now = performance.now();
    // The schedule counts from now; the time its request waited before it was handled is the simnet's too.
    const holdMs = this.arrivedAtNs >= 0n ? Number(process.hrtime.bigint() - this.arrivedAtNs) / NS_PER_MS : 0;
    const start = Math.max(now + this.rttMs, this.linkFreeAtMs);
    this.linkFreeAtMs = start + data.length / this.bytesPerMs;
    this.shard.wheel.add(new DelayedSend(this.linkFreeAtMs, this, Uint8Array.from(data), ip, port, slot, kind, holdMs));
  }
  fire(d: DelayedSend): void {
    const lateMs = performance.now() - d.deadlineMs;
    this.sock.send(d.data, d.ip, d.port);
    this.shard.lateness.record(d.slot, d.kind, lateMs, d.holdMs);
  }
}

/** One identity's side of its endpoint: its sends carry its slot, so lateness is kept per node on a shared link. */
class NodePort implements DatagramTransport {
  constructor(readonly link: SimLink, private readonly slot: number, private readonly down: Uint8Array) {}
  send(data: Uint8Array, ip: string, port: number, kind = PacketKind.Response): void { if (this.down[this.slot] === 0) this.link.send(this.slot, data, ip, port, kind); }
  /** A node that is down (churn) hears nothing. */
  onDatagram(h: DatagramHandler): void { this.link.onDatagram((d, ip, port, at) => { if (this.down[this.slot] === 0) h(d, ip, port, at); }); }
}

/** What the shard keeps per identity: its endpoint and its current session layer (a restart replaces it). */
interface Slot { port: NodePort; layer: SessionLayer; sock: UdpTransport; group: number[] | null; ip: string; gen: number }

/** Runs the live nodes [from, to) of a population: one socket per ip:port, one session layer per ID. */
export class SimShard {
  readonly wheel = new TimerWheel(DELAY_TICK_MS, DELAY_SLOTS);
  /** Reply lateness per identity of [from, to) (slot = index − from) and over all replies. */
  readonly lateness: LatenessLog;
  private readonly sockets = new Set<UdpTransport>();
  private readonly slots: Slot[] = [];
  private readonly lossRng: Prng;
  private droppedByLoss = 0;
  /** Churn: per own slot, 1 while the node is down; per population index, 1 until it joined. */
  private readonly down: Uint8Array;
  private readonly hidden: Uint8Array | null;
  private raws: Uint8Array[] = [];
  private churnTimer: NodeJS.Timeout | null = null;
  private churnNext = 0;
  private churnErrors = 0;
  private stopped = false;
  /** Builds a node's session layer (set by start(), which holds the tables and caches it needs). */
  private makeLayer: (i: number, port: NodePort, shared: boolean) => SessionLayer;

  constructor(
    private readonly pop: PopulationRecord[], private readonly from: number, private readonly to: number, private readonly cond: ShardConditions,
    /** The churn script (every shard gets all of it: record changes and joins are seen in every table). */
    private readonly churn: ChurnEvent[] | null = null,
  ) {
    this.lossRng = new Prng(`${cond.seed}/loss/${from}`);
    this.lateness = new LatenessLog(to - from);
    this.down = new Uint8Array(to - from);
    this.hidden = churn ? new Uint8Array(pop.length) : null;
    if (churn) for (const e of churn) if (e.kind === 'join') { this.hidden![e.node] = 1; if (e.node >= from && e.node < to) this.down[e.node - from] = 1; }
    this.makeLayer = () => { throw new Error('shard not started'); };
  }

  lose(): boolean {
    if (this.cond.loss > 0 && this.lossRng.next() < this.cond.loss) { this.droppedByLoss++; return true; }
    return false;
  }

  /** Builds tables and binds every socket; returns bind failures (address in use, fd limit). */
  async start(): Promise<{ bound: number; errors: string[] }> {
    const be = secp();
    const index = new PopulationIndex(this.pop);
    const raws = this.raws = this.pop.map((r) => r.raw);
    const sessionWheel = new TimerWheel(10, 512);
    // Crawlers present one record to every node: verify it once per shard (bounded: 4,096 records).
    const verifiedPubkeys = new LruMap<string, Uint8Array>(VERIFIED_RECORDS);
    const verifiedIds = new LruMap<string, Uint8Array>(VERIFIED_RECORDS);
    // Group co-hosted identities by endpoint.
    const groups = new Map<string, number[]>();
    for (let i = this.from; i < this.to; i++) {
      const r = this.pop[i]!;
      if (r.kind !== 'live') continue;
      const k = `${r.ip}:${r.port}`;
      const g = groups.get(k);
      if (g) g.push(i); else groups.set(k, [i]);
    }
    const tables = new Map<number, StaticTable>();
    // A node's session layer; a restart (churn) builds a new one: the node forgets its sessions, keeps its table.
    this.makeLayer = (i, port, shared) => {
      const r = this.pop[i]!;
      const enr = decodeEnr(raws[i]!);
      let table = tables.get(i);
      if (!table) { const { idx, dist } = index.tableOf(i, this.cond.seed); table = new StaticTable(raws, idx, dist, this.hidden); tables.set(i, table); }
      const layer = new SessionLayer(port, { sk: r.sk!, id: r.nodeId, enr }, { sharedTransport: shared, collectNodes: false, maxSessions: 1024, maxChallenges: 1024 }, be, () => undefined, sessionWheel);
      layer.useRecordCache(verifiedPubkeys, verifiedIds);
      const rand = new Prng(`${this.cond.seed}/shuffle/${i}`);
      layer.onRequest(makeResponder(() => enr, table, PROFILES[r.profile], () => rand.next()));
      return layer;
    };
    const errors: string[] = [];
    for (const [, members] of groups) {
      const first = this.pop[members[0]!]!;
      let sock: UdpTransport;
      try {
        sock = await UdpTransport.bind({ address: first.ip, port: first.port, bufferBytes: this.cond.socketBufferBytes });
      } catch (e) {
        errors.push((e as Error).message);
        if (errors.length >= 5) break;
        continue;
      }
      this.sockets.add(sock);
      const shared = members.length > 1;
      const link = new SimLink(this, sock, first.rttMs, (first.bandwidthMbps * 1e6) / 8 / 1000);
      const group = shared ? members.map((i) => i - this.from) : null;
      for (const i of members) {
        const port = new NodePort(link, i - this.from, this.down);
        this.slots[i - this.from] = { port, layer: this.makeLayer(i, port, shared), sock, group, ip: first.ip, gen: 0 };
      }
      if (group) {
        // Identities of one endpoint: the one whose ID unmasks the packet takes it; one that is down hears nothing.
        link.onDatagram((d, ip, port, at) => {
          for (const s of group) if (this.down[s] === 0 && this.slots[s]!.layer.onDatagram(d, ip, port, at)) return;
        });
      }
      sock.onDatagram((d, ip, port, at) => link.deliver(d, ip, port, at));
    }
    return { bound: this.sockets.size, errors };
  }

  /** Starts the churn script's clock: event times count from `epochMs` (unix ms). */
  go(epochMs: number): void {
    if (!this.churn || this.churn.length === 0) return;
    const step = () => {
      this.churnTimer = null;
      const now = Date.now() - epochMs;
      while (this.churnNext < this.churn!.length && this.churn![this.churnNext]!.tMs <= now) {
        try { this.apply(this.churn![this.churnNext++]!); } catch { this.churnErrors++; }
      }
      if (this.churnNext < this.churn!.length) this.churnTimer = setTimeout(step, Math.max(0, this.churn![this.churnNext]!.tMs - (Date.now() - epochMs)));
    };
    step();
  }

  private apply(e: ChurnEvent): void {
    if (e.raw) this.raws[e.node] = e.raw;
    if (e.kind === 'join') this.hidden![e.node] = 0;
    if (e.node < this.from || e.node >= this.to) return;
    const slot = e.node - this.from;
    const s = this.slots[slot];
    if (!s) return; // its socket could not be bound at start
    // Each event supersedes a move still binding its socket (a down that comes first must win).
    const gen = ++s.gen;
    if (e.kind === 'down' || e.kind === 'leave') { this.down[slot] = 1; return; }
    if (e.ip === s.ip) {
      // The old layer is dropped, not closed: close() would stop the timer wheel every layer of the shard shares.
      s.layer = this.makeLayer(e.node, s.port, s.group !== null);
      this.down[slot] = 0;
      return;
    }
    // Back on a new address: a socket of its own there (movers are never co-hosted), the old one closed.
    const r = this.pop[e.node]!;
    UdpTransport.bind({ address: e.ip, port: e.port, bufferBytes: this.cond.socketBufferBytes }).then((sock) => {
      if (this.stopped || s.gen !== gen) { sock.close().catch(() => { this.churnErrors++; }); return; }
      const old = s.sock;
      this.sockets.add(sock);
      const link = new SimLink(this, sock, r.rttMs, (r.bandwidthMbps * 1e6) / 8 / 1000);
      sock.onDatagram((d, ip, port, at) => link.deliver(d, ip, port, at));
      s.port = new NodePort(link, slot, this.down);
      s.sock = sock; s.ip = e.ip;
      s.layer = this.makeLayer(e.node, s.port, false);
      this.down[slot] = 0;
      this.sockets.delete(old);
      old.close().catch(() => { this.churnErrors++; });
    }, () => { this.churnErrors++; });
  }

  /** Lateness of the replies sent so far, by node ID and over all replies. */
  latenessReport(): ShardLateness {
    return this.lateness.snapshot((slot) => toHex(this.pop[this.from + slot]!.nodeId));
  }

  stats(): ShardStats {
    let malformed = 0;
    const session: Record<string, number> = {};
    for (const { layer: l } of this.slots) {
      for (const [k, v] of Object.entries(l.counters)) {
        if (typeof v === 'number') session[k] = (session[k] ?? 0) + v;
        else for (const [r, n] of Object.entries(v as Record<string, number>)) { malformed += n; session[`dropped.${r}`] = (session[`dropped.${r}`] ?? 0) + n; }
      }
    }
    const handshakes = session.handshakesIn ?? 0, requestsIn = session.requestsIn ?? 0;
    let packetsIn = 0, packetsOut = 0;
    for (const s of this.sockets) { packetsIn += s.stats.packetsIn; packetsOut += s.stats.packetsOut; }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      nodes: this.slots.length, sockets: this.sockets.size, churnErrors: this.churnErrors, handshakes, requestsIn, packetsIn, packetsOut,
      droppedByLoss: this.droppedByLoss, malformed, session, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.churnTimer) clearTimeout(this.churnTimer);
    for (const s of this.slots) s?.layer.close();
    this.wheel.stop();
    await Promise.all([...this.sockets].map((s) => s.close()));
  }
}
