// What the monitor knows about each node over a campaign: its uptime session, when to probe it next, and its
// address and record seq. Pure logic over observations (answered or not, at a time); the job feeds it crawl
// visits and probe results and writes what it reports.
import { DueHeap, type Due } from '../util/due-heap.js';
import { ByteArena } from '../util/arena.js';
import { NODE_ID_SIZE } from '../wire/constants.js';
import type { MonitorConfig } from './config.js';

const NO_TAIL = new Uint8Array(0);
/**
 * A node another vantage probes is looked at again this long after it fell due: longer than that vantage's probe
 * with its resends, its write and this vantage's next read of the probe rows, so its result usually comes first.
 */
export const REMOTE_GRACE_MS = 15_000;
const NO_PUBKEY = new Uint8Array(0);

/** One tracked node. Times are unix ms; NaN for "none". */
export class TrackedNode implements Due {
  dueAtMs = Infinity;
  /** Answered at least once in the campaign. */
  everUp = false;
  /** In an open uptime session. */
  up = false;
  sessionStartMs = NaN;
  lastOkMs = NaN;
  firstFailMs = NaN;
  answers = 0;
  failures = 0;
  /** Failed observations in a row (a session ends at failuresToEnd). */
  failRun = 0;
  /** Since the session started from a failure seen before it: the start is known within one probe interval. */
  observedStart = false;
  /** Start of the current time down (first failure that ended the last session, or the first silent probe). */
  downSinceMs = NaN;
  /** The latest failure while down (or the one that ended the last session): a return came after it. */
  lastFailMs = NaN;
  /** Of the open session, the latest failure before its first answer, if its start was observed; NaN if not. */
  sessionLastFailMs = NaN;
  /** Seen by a crawl after the campaign's first one ended: it joined during the campaign. */
  isNew = false;
  /** Most times its record was returned in one crawl: the evidence that others list it. */
  listedBy = 0;
  /** A probe is in flight. */
  probing = false;
  /** When the probe in flight went out (unix ms): its failure is dated then. */
  probeSentMs = NaN;
  /** Not heard from since the monitor's own outage (a resume): what happened meanwhile is unknown. */
  acrossGap = false;

  constructor(
    /** The arena chunk holding the 32-byte ID at `idOff`: a view per node would cost more than the node. */
    private readonly idBytes: Uint8Array, private readonly idOff: number,
    public ip: string, public port: number, public seq: bigint, readonly firstSeenMs: number,
  ) {}

  /** The node ID, a new view per read (probe sends and row writes read it once). */
  get id(): Uint8Array { return this.idBytes.subarray(this.idOff, this.idOff + NODE_ID_SIZE); }

  /** No key known: the node is its own NodeAddress for probes, which need none. */
  get pubkey(): Uint8Array { return NO_PUBKEY; }

  /** The first byte of the ID (its shard in a shared campaign), with no view. */
  get shard(): number { return this.idBytes[this.idOff]!; }

  /** Copies the ID into dst at `at`, with no view. */
  copyIdTo(dst: Uint8Array, at: number): void {
    const b = this.idBytes, o = this.idOff;
    for (let i = 0; i < NODE_ID_SIZE; i++) dst[at + i] = b[o + i]!;
  }
}


/** A node for `id`, its ID copied into `arena`. */
export function newTrackedNode(arena: ByteArena, id: Uint8Array, ip: string, port: number, seq: bigint, firstSeenMs: number): TrackedNode {
  const off = arena.placeWithTail(id, NO_TAIL);
  return new TrackedNode(arena.placed, off, ip, port, seq, firstSeenMs);
}

export interface SessionRow {
  node: TrackedNode;
  startedAtMs: number;
  /** The latest failure before `startedAtMs` when the start was observed: the node came up in between; else NaN. */
  lastFailBeforeMs: number;
  lastOkMs: number;
  firstFailMs: number;
  endedAtMs: number;
  answers: number;
  failures: number;
  open: boolean;
  /** 'down': K failed probes in a row; 'gap': the node was up before the monitor's outage and down after it; null while open. */
  endReason: 'down' | 'gap' | null;
  observedStart: boolean;
  isNew: boolean;
}

export interface ChangeRow {
  node: TrackedNode;
  atMs: number;
  kind: 'address' | 'seq';
  oldIp: string; oldPort: number; newIp: string; newPort: number; oldSeq: bigint; newSeq: bigint;
}

export interface TrackerEvents {
  sessionEnded(row: SessionRow): void;
  changed(row: ChangeRow): void;
}

/** A sighting of a node's record (from a crawl). */
export interface Sighting {
  id: Uint8Array;
  ip: string;
  port: number;
  seq: bigint;
  /** Times its record was returned in the crawl so far. */
  listedBy: number;
}

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.length).toString('latin1');
}

export class Tracker {
  /** By ID (latin1 of the 32 bytes); bound: config.maxTracked. */
  private readonly nodes = new Map<string, TrackedNode>();
  /** IDs of the tracked nodes, packed. */
  readonly arena = new ByteArena();
  /**
   * Nodes that answered at least once are due from `hot`; the others from `cold`, which gets only the probes
   * `hot` leaves: on a network of mostly dead records the budget goes to the nodes whose sessions are measured,
   * and the crawls visit the silent ones anyway.
   */
  private readonly hot = new DueHeap<TrackedNode>();
  private readonly cold = new DueHeap<TrackedNode>();
  upCount = 0;
  reachableCount = 0;
  /** Nodes not tracked because of maxTracked. */
  untracked = 0;
  /** Crawls after this time mark the nodes they find first as new. */
  newAfterMs = Infinity;
  /**
   * In a shared campaign, whether this vantage probes the node now (another vantage's probes reach this tracker
   * as observations); null: every node is this vantage's.
   */
  owns: ((n: TrackedNode) => boolean) | null = null;

  constructor(private readonly cfg: MonitorConfig, private readonly events: TrackerEvents, private readonly rand: () => number = Math.random) {}

  get size(): number { return this.nodes.size; }
  values(): IterableIterator<TrackedNode> { return this.nodes.values(); }
  get(id: Uint8Array): TrackedNode | undefined { return this.nodes.get(idKey(id)); }

  /** A crawl saw the node's record; returns the node (null past the bound). Address and seq changes are reported. */
  sight(s: Sighting, atMs: number): TrackedNode | null {
    const k = idKey(s.id);
    let n = this.nodes.get(k);
    if (!n) {
      if (this.nodes.size >= this.cfg.maxTracked) { this.untracked++; return null; }
      n = newTrackedNode(this.arena, s.id, s.ip, s.port, s.seq, atMs);
      n.isNew = atMs > this.newAfterMs;
      n.listedBy = s.listedBy;
      this.nodes.set(k, n);
      // Until it answers it is checked at the slowest pace (crawls visit it too).
      this.schedule(n, atMs + this.cfg.probeMaxMs);
      return n;
    }
    if (s.listedBy > n.listedBy) n.listedBy = s.listedBy;
    if (s.seq > n.seq) {
      const moved = s.ip !== n.ip || s.port !== n.port;
      this.events.changed({ node: n, atMs, kind: moved ? 'address' : 'seq', oldIp: n.ip, oldPort: n.port, newIp: s.ip, newPort: s.port, oldSeq: n.seq, newSeq: s.seq });
      n.ip = s.ip; n.port = s.port; n.seq = s.seq;
      // A new address is probed soon: the old one's failures said nothing about it.
      if (moved) { n.failRun = 0; this.schedule(n, Math.min(n.dueAtMs, atMs + this.cfg.probeMinMs)); }
    }
    return n;
  }

  /** The node answered (a probe's WHOAREYOU, or a crawl visit it answered) at `atMs`. */
  answered(n: TrackedNode, atMs: number): void {
    // An answer older than the failures since (a crawl visit reported late) says nothing about now.
    if (atMs < (n.up ? n.firstFailMs : n.downSinceMs)) { this.keepScheduled(n, atMs); return; }
    if (!n.up) {
      n.up = true; this.upCount++;
      if (!n.everUp) { n.everUp = true; this.reachableCount++; }
      n.sessionStartMs = atMs;
      // Down before, unless the monitor was away meanwhile: the node may have come back any time during it.
      n.observedStart = !Number.isNaN(n.downSinceMs) && !n.acrossGap;
      // A failure dated after this answer (a crawl visit reported late) does not bound the start.
      n.sessionLastFailMs = n.observedStart && n.lastFailMs <= atMs ? n.lastFailMs : NaN;
      n.lastFailMs = NaN;
      n.answers = 0; n.failures = 0;
      n.downSinceMs = NaN;
    }
    n.acrossGap = false;
    n.answers++;
    if (!(atMs <= n.lastOkMs)) n.lastOkMs = atMs;
    n.failRun = 0;
    n.firstFailMs = NaN;
    this.schedule(n, atMs + this.interval(atMs - n.sessionStartMs));
  }

  /** No answer from the node at `atMs` (a probe or crawl contact, resends included). */
  failed(n: TrackedNode, atMs: number): void {
    // A failure dated before the latest answer (a probe sent before a crawl visit heard the node) is superseded.
    if (atMs < n.lastOkMs) { this.keepScheduled(n, n.lastOkMs); return; }
    n.failRun++;
    if (n.up) {
      n.failures++;
      if (n.failRun === 1) n.firstFailMs = atMs;
      if (n.failRun >= this.cfg.failuresToEnd) {
        // Up before the monitor's outage, down after it: it went down some time in between, unknown when. The
        // session ends censored at its last answer ('gap'), not as a departure.
        this.events.sessionEnded(this.row(n, false, atMs, n.acrossGap ? 'gap' : 'down'));
        n.up = false; this.upCount--;
        n.downSinceMs = n.firstFailMs;
        n.lastFailMs = atMs;
        this.schedule(n, atMs + this.cfg.probeMinMs);
      } else {
        // Confirm soon: the session's end is then known within a few probe minimums.
        this.schedule(n, atMs + this.cfg.probeMinMs);
      }
      return;
    }
    if (Number.isNaN(n.downSinceMs)) n.downSinceMs = atMs;
    if (!(atMs <= n.lastFailMs)) n.lastFailMs = atMs;
    // Down (or never seen up): back off with the time down, as an up node's checks space out with its uptime.
    const base = n.everUp ? this.interval(atMs - n.downSinceMs) : this.cfg.probeMaxMs;
    this.schedule(n, atMs + base);
  }

  /** The next node due at `nowMs` that this vantage probes, or null. */
  nextDue(nowMs: number): TrackedNode | null {
    for (;;) {
      const n = this.hot.popDue(nowMs) ?? this.cold.popDue(nowMs);
      if (!n) return null;
      n.dueAtMs = Infinity;
      if (n.probing) continue;
      // Another vantage's: its probe result reschedules the node; if none comes (that vantage died), look again.
      if (this.owns && !this.owns(n)) { this.schedule(n, nowMs + REMOTE_GRACE_MS); continue; }
      return n;
    }
  }

  /** Puts a node back at `atMs` (a probe that could not be sent). */
  retryAt(n: TrackedNode, atMs: number): void { this.schedule(n, atMs); }

  /** Open sessions as rows (censored at their last answer). */
  *openSessions(): IterableIterator<SessionRow> {
    for (const n of this.nodes.values()) if (n.up) yield this.row(n, true, NaN, null);
  }

  /** Ends a session the database says ended (it was closed after the checkpoint this state came from). */
  closeFromStore(n: TrackedNode, endedAtMs: number, firstFailMs: number): void {
    if (!n.up) return;
    n.up = false; this.upCount--;
    n.downSinceMs = Number.isNaN(firstFailMs) ? endedAtMs : firstFailMs;
    n.lastFailMs = endedAtMs;
    n.failRun = 0;
    this.schedule(n, Math.max(endedAtMs + this.cfg.probeMinMs, 0));
  }

  /** Adds a node restored from a checkpoint as it was; until it is heard again, it is across the monitor's gap. */
  restore(n: TrackedNode): void {
    n.acrossGap = true;
    this.nodes.set(idKey(n.id), n);
    if (n.up) this.upCount++;
    if (n.everUp) this.reachableCount++;
    n.probing = false;
    if (Number.isFinite(n.dueAtMs)) (n.everUp ? this.hot : this.cold).push(n);
  }

  /** Drops stale heap entries when they dominate. */
  compact(): void {
    this.hot.compact(this.filter(true), this.reachableCount);
    this.cold.compact(this.filter(false), this.nodes.size - this.reachableCount);
  }

  private *filter(everUp: boolean): IterableIterator<TrackedNode> {
    for (const n of this.nodes.values()) if (n.everUp === everUp) yield n;
  }

  private row(n: TrackedNode, open: boolean, endedAtMs: number, endReason: SessionRow['endReason']): SessionRow {
    return {
      node: n, startedAtMs: n.sessionStartMs, lastFailBeforeMs: n.sessionLastFailMs, lastOkMs: n.lastOkMs, firstFailMs: n.firstFailMs, endedAtMs, endReason,
      answers: n.answers, failures: n.failures, open, observedStart: n.observedStart, isNew: n.isNew,
    };
  }

  /** clamp(f x elapsed, min, max) with f uniform in [low, high]: the spread keeps probes from bunching. */
  private interval(elapsedMs: number): number {
    const f = this.cfg.probeFactorLow + (this.cfg.probeFactorHigh - this.cfg.probeFactorLow) * this.rand();
    return Math.min(this.cfg.probeMaxMs, Math.max(this.cfg.probeMinMs, f * elapsedMs));
  }

  /** A report that changed nothing still leaves the node due (the prober took it off the heap to probe it). */
  private keepScheduled(n: TrackedNode, fromMs: number): void {
    if (!Number.isFinite(n.dueAtMs) && !n.probing) this.schedule(n, fromMs + this.cfg.probeMinMs);
  }

  private schedule(n: TrackedNode, atMs: number): void {
    n.dueAtMs = atMs;
    (n.everUp ? this.hot : this.cold).push(n);
  }
}
