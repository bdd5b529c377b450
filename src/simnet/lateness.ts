// How late the simnet's replies left against their schedule, so a benchmark can split an RTT error
// into the simnet's share (its timers and event loop, on a machine it shares with the crawler) and the crawler's.
import { PacketKind } from '../transport/types.js';
import { LogHistogram, type HistogramJson, type HistogramSummary } from '../util/histogram.js';

/** Asks `dhtscope simnet --lateness FILE` for a snapshot (Linux and macOS; Windows has no SIGUSR2). */
export const LATENESS_SIGNAL = 'SIGUSR2';

/**
 * Per node: [WHOAREYOU, response] lateness in ms, null where none left. WHOAREYOU is the latest one the node
 * sent; response is the first response after it, which answers the handshake. With one requester (a crawl of
 * the simnet) these are the replies behind the crawler's rtt1 and rtt2 of the visit that did the handshake.
 */
export type NodeLateness = [whoareyouMs: number | null, responseMs: number | null];

/** What a shard reports: nodes by ID (hex) that sent a reply, and histograms of every reply. */
export interface ShardLateness {
  nodes: Record<string, NodeLateness>;
  total: HistogramJson;
  timer: HistogramJson;
  hold: HistogramJson;
}

/** The whole simnet's report, written by `dhtscope simnet --lateness FILE` (ms throughout). */
export interface SimnetLateness {
  /** By node ID (hex); nodes that sent no reply are absent. */
  nodes: Record<string, NodeLateness>;
  /**
   * Every reply: total = when it left − (its request's arrival + the scheduled delay) = timer + hold;
   * timer = when it left − its scheduled deadline (the delay wheel firing late);
   * hold = its request's arrival at the socket callback → handled (event loop, crypto).
   */
  replies: { total: HistogramSummary; timer: HistogramSummary; hold: HistogramSummary };
}

/** Report resolution: 10 µs, finer than the crawler's own timestamps matter and short in JSON. */
const LATENESS_ROUND = 100;

/** Keeps the two per-node numbers and the shard's histograms; bounded by the shard's node count. */
export class LatenessLog {
  private readonly whoareyouMs: Float32Array;
  private readonly responseMs: Float32Array;
  /** 1 while a node's latest WHOAREYOU waits for the response that answers its handshake. */
  private readonly armed: Uint8Array;
  private readonly total = new LogHistogram();
  private readonly timer = new LogHistogram();
  private readonly hold = new LogHistogram();

  constructor(readonly nodes: number) {
    this.whoareyouMs = new Float32Array(nodes).fill(NaN);
    this.responseMs = new Float32Array(nodes).fill(NaN);
    this.armed = new Uint8Array(nodes);
  }

  /** One reply left `timerMs` after its deadline, its request having waited `holdMs` before it was handled. */
  record(slot: number, kind: PacketKind, timerMs: number, holdMs: number): void {
    const late = timerMs + holdMs;
    this.total.add(late); this.timer.add(timerMs); this.hold.add(holdMs);
    if (kind === PacketKind.Whoareyou) { this.whoareyouMs[slot] = late; this.armed[slot] = 1; }
    else if (kind === PacketKind.Response && this.armed[slot]) { this.responseMs[slot] = late; this.armed[slot] = 0; }
  }

  snapshot(idOf: (slot: number) => string): ShardLateness {
    const nodes: Record<string, NodeLateness> = {};
    const v = (x: number) => (Number.isNaN(x) ? null : Math.round(x * LATENESS_ROUND) / LATENESS_ROUND);
    for (let i = 0; i < this.nodes; i++) {
      const w = this.whoareyouMs[i]!, r = this.responseMs[i]!;
      if (Number.isNaN(w) && Number.isNaN(r)) continue;
      nodes[idOf(i)] = [v(w), v(r)];
    }
    return { nodes, total: this.total.toJSON(), timer: this.timer.toJSON(), hold: this.hold.toJSON() };
  }
}

/** Merges the shards' reports into the simnet's. */
export function mergeLateness(shards: ShardLateness[]): SimnetLateness {
  const nodes: Record<string, NodeLateness> = {};
  const total = new LogHistogram(), timer = new LogHistogram(), hold = new LogHistogram();
  for (const s of shards) {
    Object.assign(nodes, s.nodes);
    total.merge(s.total); timer.merge(s.timer); hold.merge(s.hold);
  }
  const round = (x: number) => Math.round(x * LATENESS_ROUND) / LATENESS_ROUND;
  return { nodes, replies: { total: total.summary(round), timer: timer.summary(round), hold: hold.summary(round) } };
}
