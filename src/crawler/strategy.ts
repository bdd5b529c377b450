import { logDistance } from '../util/bytes.js';
import { randomFillSync } from 'node:crypto';

/** What a strategy sees of a node it plans requests for. */
export interface StrategyNode {
  id: Uint8Array;
  /** Visits started so far (0 on the first). */
  visits: number;
}

/** One FINDNODE's outcome, for strategies that learn from replies (CrawlStrategy.onReply). */
export interface StrategyReply {
  id: Uint8Array;
  /**
   * Distances of every request of this visit so far, the arrays plan() and onReply() returned; the last one is
   * the request this reply answers.
   */
  asked: readonly (readonly number[])[];
  /** Requests still planned for this visit after this one (0: the visit ends unless onReply adds some). */
  pending: number;
  /** False when the request failed (timeout, no handshake): the node may be dead. */
  ok: boolean;
  /** Records in the reply. */
  records: number;
  /** Every NODES packet of the reply arrived (false: some were lost, and `records` undercounts the bucket). */
  complete: boolean;
}

/**
 * Chooses the FINDNODE distances for each request. The scheduler asks `plan` once per visit and
 * sends the returned requests in order (stopping early when `stopAfterEmpty` and one comes back empty).
 * A strategy may also learn from every discovered ID and rank queued nodes.
 */
export interface CrawlStrategy {
  readonly name: string;
  /** Distance lists, one per FINDNODE, for this visit. */
  plan(node: StrategyNode): number[][];
  /**
   * End a visit early once replies run dry: after EMPTY_STREAK_TO_STOP empty replies in a row at
   * distances of STOP_BELOW_DISTANCE or less (deeper buckets are then empty too in a large network), once a
   * reply in the same visit has shown a full bucket (FULL_BUCKET_RECORDS).
   */
  readonly stopAfterEmpty: boolean;
  /**
   * Visit a queued node as soon as its record is returned a second time, ahead of the FIFO queue:
   * records that several tables hold are likelier live (tables evict dead entries over time).
   */
  readonly promoteOnRepeat?: boolean;
  /** Called for every newly discovered node ID. */
  onDiscovered?(id: Uint8Array): void;
  /** Lower first; nodes without a priority keep FIFO order. Optional, for hole-filling strategies. */
  priority?(id: Uint8Array): number;
  /**
   * Called after every request of a visit. The requests returned (distance lists) are asked of the same node
   * after the rest of its plan, in the session just set up: only a node that answered costs more requests, and
   * no handshake. They are not sent if this request failed.
   */
  onReply?(reply: StrategyReply): number[][] | null;
}

/** Empty replies in a row that end a visit (one empty bucket alone proves little in a small network). */
export const EMPTY_STREAK_TO_STOP = 3;
/** Buckets this far out are full in any network big enough to need early stops. */
export const STOP_BELOW_DISTANCE = 250;
/**
 * A reply this big is a full k-bucket (discv5's k = 16): the node's table is that of a large network, where an
 * empty deep bucket means the deeper ones are empty too. Without one, the network may be small (a devnet of a
 * few nodes), where a peer at distance 249 follows empty buckets 250-252 one time in 64, so the visit goes on.
 */
export const FULL_BUCKET_RECORDS = 16;

/** The 16 prefix depths the FastEthereumCrawler rotates through: 256 down to 241. */
export const PREFIX_DISTANCES = 16;
/** sweep reads buckets 256 down to 239, as Nebula does. */
export const SWEEP_LOWEST = 239;

/** FastEthereumCrawler: one FINDNODE per node, a single distance rotating 256..241 across requests. */
export class PrefixStrategy implements CrawlStrategy {
  readonly name = 'prefix';
  readonly stopAfterEmpty = false;
  private n = 0;
  plan(): number[][] {
    const d = 256 - (this.n++ % PREFIX_DISTANCES);
    return [[d]];
  }
}

/** Nebula-style: one request per distance 256..239, reading a node's whole table. */
export class SweepStrategy implements CrawlStrategy {
  readonly name = 'sweep';
  readonly stopAfterEmpty = true;
  plan(): number[][] {
    const out: number[][] = [];
    for (let d = 256; d >= SWEEP_LOWEST; d--) out.push([d]);
    return out;
  }
}

/** Random walk (go-libp2p-crawler style): the distances toward a random target, one request per node. */
export class RandomStrategy implements CrawlStrategy {
  readonly name = 'random';
  readonly stopAfterEmpty = false;
  private readonly target = new Uint8Array(32);
  plan(node: StrategyNode): number[][] {
    randomFillSync(this.target);
    const d = Math.max(1, logDistance(node.id, this.target));
    // A lookup asks the target's bucket and its neighbours, as geth's lookupDistances does.
    const ds = [d];
    if (d < 256) ds.push(d + 1);
    if (d > 1) ds.push(d - 1);
    return [ds];
  }
}

export type StrategyName = 'prefix' | 'sweep' | 'random' | 'trie' | 'adaptive';
