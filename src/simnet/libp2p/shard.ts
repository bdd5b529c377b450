// A range of libp2p simnet nodes in one process: start them, fill their tables, stop them; with a churn script,
// stop each at its downs and start it again at its returns.
import { libp2pPopulation, type Libp2pNodeSpec, type Libp2pPopulationParams } from './population.js';
import { fillTable, kadIdHex, specAddr, specPeerId, startSimNode, type PeerId, type SimNode } from './node.js';
import { libp2pChurnScript, type Libp2pChurnEvent } from './churn.js';
import type { ChurnParams } from '../churn.js';

/** Nodes started at once: each start binds a socket and derives a key; more at once only queues in libuv. */
const START_CONCURRENCY = 32;
/** setTimeout's longest delay; the script's clock is checked again on waking, so an early wake is harmless. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Libp2pShardParams extends Libp2pPopulationParams {
  from: number;
  to: number;
  /** The churn script's parameters (every shard draws the same script from the seed); null: nodes stay up. */
  churn: ChurnParams | null;
  /** The first nodes, which never churn. */
  bootnodes: number;
}

/** One node as the truth file lists it. */
export interface Libp2pTruthNode {
  peerId: string;
  /** Kademlia ID, lowercase hex: what a libp2p crawl stores as node_id and the churn events name. */
  nodeId: string;
  /** Listen addresses, without /p2p (as a FIND_NODE reply carries them). */
  multiaddrs: string[];
  agentVersion: string;
  /** What identify lists, sorted. */
  protocols: string[];
  /** Peers in its routing table once filled. */
  tableSize: number;
}

export interface Libp2pShardStats {
  nodes: number;
  /** Nodes listening now. */
  up: number;
  churnApplied: number;
  /** Churn events that failed (a stop that threw, a restart that could not listen); the shard goes on. */
  churnErrors: number;
}

/**
 * A scripted event as it was applied: a stop or start takes time, more under load, and the node answers as
 * before until it has taken effect, so the truth a measurement is held to uses these times, not the script's.
 */
export interface AppliedChurnEvent extends Libp2pChurnEvent {
  /** Unix ms the stop or start began (after the node's earlier events) and when it resolved. */
  beganAtMs: number;
  doneAtMs: number;
}

/**
 * A node of the shard: its spec, its running host (null while down), and its events in turn (a chain holding
 * at most the node's events that fell due while one was applied; a stop or start takes well under a second).
 */
interface Slot { spec: Libp2pNodeSpec; node: SimNode | null; chain: Promise<void> }

export class Libp2pShard {
  private slots: Slot[] = [];
  private pop: Libp2pNodeSpec[] = [];
  /** Peer IDs by population index, derived once (a restart refills its table from them); bound: the population. */
  private readonly ids = new Map<number, PeerId>();
  /** This shard's events, in time order. */
  private script: Libp2pChurnEvent[] = [];
  private churnNext = 0;
  private churnTimer: NodeJS.Timeout | null = null;
  private churnApplied = 0;
  private churnErrors = 0;
  /** Bound: one entry per event of this shard's script. */
  private readonly appliedLog: AppliedChurnEvent[] = [];
  private stopped = false;

  constructor(private readonly params: Libp2pShardParams) {}

  /** Starts nodes [from, to) and fills their tables; on failure stops what it started and throws. */
  async start(): Promise<Libp2pTruthNode[]> {
    const { from, to } = this.params;
    this.pop = libp2pPopulation(this.params);
    this.slots = this.pop.slice(from, to).map((spec) => ({ spec, node: null, chain: Promise.resolve() }));
    if (this.params.churn) this.script = libp2pChurnScript(this.pop, this.params.churn, this.params.seed, this.params.bootnodes).filter((e) => e.node >= from && e.node < to);
    try {
      for (let i = 0; i < this.slots.length; i += START_CONCURRENCY) {
        const batch = this.slots.slice(i, i + START_CONCURRENCY);
        // Settled, not all: the nodes of a batch that did start must be kept, to be stopped below.
        const started = await Promise.allSettled(batch.map((s) => startSimNode(s.spec)));
        started.forEach((r, j) => { if (r.status === 'fulfilled') batch[j]!.node = r.value; });
        const failed = started.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
      const out: Libp2pTruthNode[] = [];
      for (const s of this.slots) {
        const node = s.node!;
        const tableSize = await this.fill(s.spec, node);
        out.push({
          peerId: node.peerId.toString(), nodeId: kadIdHex(node.peerId), multiaddrs: [specAddr(s.spec)], agentVersion: s.spec.agentVersion,
          protocols: node.getProtocols().slice().sort(), tableSize,
        });
      }
      return out;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Starts the churn script's clock: event times count from `epochMs` (unix ms), the same for every shard. */
  go(epochMs: number): void {
    if (this.script.length === 0 || this.stopped) return;
    const step = () => {
      this.churnTimer = null;
      if (this.stopped) return;
      const now = Date.now() - epochMs;
      while (this.churnNext < this.script.length && this.script[this.churnNext]!.tMs <= now) this.apply(this.script[this.churnNext++]!);
      if (this.churnNext < this.script.length) {
        this.churnTimer = setTimeout(step, Math.min(MAX_TIMER_MS, Math.max(0, this.script[this.churnNext]!.tMs - (Date.now() - epochMs))));
      }
    };
    step();
  }

  /** Queues an event behind the node's earlier ones (a return waits for its down's stop); a failure is counted. */
  private apply(e: Libp2pChurnEvent): void {
    const s = this.slots[e.node - this.params.from];
    if (!s) return;
    s.chain = s.chain.then(() => this.applyNow(s, e)).catch(() => { this.churnErrors++; });
  }

  private async applyNow(s: Slot, e: Libp2pChurnEvent): Promise<void> {
    if (this.stopped) return;
    const beganAtMs = Date.now();
    if (e.kind === 'up' || e.kind === 'join') {
      if (s.node) return;
      // A new host with the same key on the same address: a restarted node has an empty table (kad-dht's stop
      // clears its k-buckets too), so it is filled from the population again, as at start.
      const node = await startSimNode(s.spec);
      s.node = node;
      // Up from here: it takes dials while its table fills.
      this.appliedLog.push({ ...e, beganAtMs, doneAtMs: Date.now() });
      if (!this.stopped) await this.fill(s.spec, node);
    } else {
      const node = s.node;
      s.node = null;
      // Closes its listener and connections: a dial to the address is refused from here on.
      if (node) await node.stop();
      this.appliedLog.push({ ...e, beganAtMs, doneAtMs: Date.now() });
    }
    this.churnApplied++;
  }

  /** The events applied so far, in the order they were applied. */
  applied(): readonly AppliedChurnEvent[] { return this.appliedLog; }

  private async fill(spec: Libp2pNodeSpec, node: SimNode): Promise<number> {
    const peers = await Promise.all(spec.tablePeers.map(async (j) => ({ id: await this.idOf(j), addr: specAddr(this.pop[j]!) })));
    return fillTable(node, peers);
  }

  private async idOf(i: number): Promise<PeerId> {
    let id = this.ids.get(i);
    if (!id) { id = await specPeerId(this.pop[i]!); this.ids.set(i, id); }
    return id;
  }

  stats(): Libp2pShardStats {
    return { nodes: this.slots.length, up: this.slots.filter((s) => s.node !== null).length, churnApplied: this.churnApplied, churnErrors: this.churnErrors };
  }

  /** Stops the script, lets the events under way finish, then stops every node that is up. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.churnTimer) { clearTimeout(this.churnTimer); this.churnTimer = null; }
    // Each chain ends in a catch: never rejects.
    await Promise.all(this.slots.map((s) => s.chain));
    const nodes = this.slots.map((s) => s.node).filter((n): n is SimNode => n !== null);
    for (const s of this.slots) s.node = null;
    await Promise.all(nodes.map((n) => Promise.resolve(n.stop()).catch(() => {})));
  }
}
