import { TokenBucket } from '../util/token-bucket.js';
import { COMPRESSED_PUBKEY_SIZE, decodeEnr, peekEnrIdentity, verifyEnr, verifyEnrRaw, type Enr } from '../enr/enr.js';
import type { NodeAddress, RequestEvents, RequestResult } from '../session/types.js';
import type { Nodes } from '../wire/messages.js';
import { bytesEqual, logDistance } from '../util/bytes.js';
import { RingQueue } from '../util/ring.js';
import { setLongTimeout, type LongTimer } from '../util/timers.js';
import { endpointDrop, OwnEndpoints, type EndpointDrop } from './endpoints.js';
import { LevelQueue } from './level-queue.js';
import { CrawlNode, NodeIndex, NodeState } from './nodes.js';
import { MAX_PROGRESS_SAMPLES, thinSamples } from './progress.js';

/** See Crawler.stopVerifyBudgetMs: a stop ends within seconds; 5 s checks 30,000-100,000 records inline. */
export const STOP_VERIFY_BUDGET_MS = 5000;
/**
 * The end's record checks run in slices this long, so the event loop turns between them: a second Ctrl-C, the
 * store's timers and the pool's replies are not held up for the whole budget.
 */
export const VERIFY_SLICE_MS = 20;
/** The end's record checks out on the pool at once (each holds its node's record until it returns). */
export const STOP_CHECKS_IN_FLIGHT = 256;
/**
 * Records one request's reply may carry per distance asked: a k-bucket holds 16 (FULL_BUCKET_RECORDS), so an
 * honest node never has more to give (geth sends 16 in all, Lighthouse 16 per distance). Past it records are
 * dropped unread (counted overCap): a reply may announce 32 packets (MAX_NODES_TOTAL) of ~12 records each, and
 * every record read costs a decode and a node ID.
 */
export const MAX_RECORDS_PER_DISTANCE = FULL_BUCKET_RECORDS;
/**
 * Some tables pad a short bucket from the ones next to it, up to this many distances away (the simnet's nim
 * profile does). Such records are dropped like any at a distance not asked, but not held against the node.
 */
export const PADDING_SPREAD = 2;
/**
 * Records further than PADDING_SPREAD from every distance asked after which a visit asks its node nothing more
 * (geth and nim-eth drop such records one by one). One full bucket's worth: no table holds them, so the node is
 * lying or broken, and the rest of its answers are not worth a request.
 */
export const MAX_UNREQUESTED_PER_VISIT = FULL_BUCKET_RECORDS;
/**
 * Newer versions (higher seq) of one node's record accepted in one crawl. Each costs a signature check and an
 * arena copy (up to 332 bytes with its ID) that maxNodes does not bound, and its key's owner can sign 2^64 of
 * them. An honest node bumps seq when its address or subnets change: a few times a day.
 */
export const MAX_RECORD_UPDATES = 8;
/**
 * Different newer records of one node out for checking on the pool at once. They are checked side by side, not
 * deduplicated by seq, so a forged one (say seq 2^64-1) cannot hold back a valid one; past the bound, more are
 * dropped (counted versionLimit) until a check returns.
 */
export const MAX_VERSIONS_IN_FLIGHT = 4;
import { ByteArena } from '../util/arena.js';
import { SEEN_LEVELS, effectiveConcurrency, effectiveContactRate, validateCrawlConfig, type CrawlConfig } from './config.js';
import {
  ADAPT_INTERVAL_MS, AdaptiveRate, RttInflationProbe, defaultLoadProbe, queueDelayProbe, type LoadProbe, type QueueDelaySource,
} from './rate.js';
import { AHEAD_MS, CONTACT_BURST_MS, ContactAhead, LATE_ADMISSION_MS } from './contact.js';
import { EMPTY_STREAK_TO_STOP, FULL_BUCKET_RECORDS, STOP_BELOW_DISTANCE, type CrawlStrategy } from './strategy.js';
import { TrainLog } from './dispersion.js';
import { MAX_BAD_RECORDS_KEPT, type BadRecordReason, type CrawlCounters, type CrawlSink, type FindNodeClient, type ProgressSample, type RecordVerifier, type VisitError } from './types.js';

export { NodeState, STATE_NAMES, CrawlNode } from './nodes.js';
export type {
  VisitError, VisitRecord, ProgressSample, CrawlSink, RecordVerifier, FindNodeClient, CrawlCounters,
} from './types.js';

interface Visit {
  node: CrawlNode;
  /** node.id, read once per visit (the node builds a view per read). */
  nodeId: Uint8Array;
  plan: number[][];
  next: number;
  startedAtMs: number;
  rtt1Ms: number | null;
  rtt2Ms: number | null;
  bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number;
  records: number;
  /** Records at the asked distances in the current request's reply (stopAfterEmpty and strategies look at it). */
  lastRecords: number;
  /** Records read from the current request's reply, at any distance (MAX_RECORDS_PER_DISTANCE bounds them). */
  replyRecords: number;
  /** Records further than PADDING_SPREAD from any distance asked, over the visit (MAX_UNREQUESTED_PER_VISIT). */
  unrequested: number;
  /** Empty replies in a row (for the strategy's early stop). */
  emptyStreak: number;
  /** A reply of this visit held a full bucket: the early stop may apply (small networks never stop early). */
  sawFullBucket: boolean;
  packetIndex: number;
  /** The reply trains' arrivals, for the dispersion rate. */
  train: TrainLog;
  /** First contact sent, no WHOAREYOU yet. */
  contacting: boolean;
  /** Parked (answered first contact, waiting for a visit token): lets the request's message go out. */
  release: (() => void) | null;
  parkedAtMs: number;
  anyOk: boolean;
  lastError: VisitError | null;
  events: RequestEvents;
}

/** Where a returned record lies against the distances asked (ingest). */
const enum Fit { Asked, Near, Off }

/** A newer record of a known node out for checking on the pool, with the nodes that returned it. */
interface Candidate { raw: Uint8Array; seq: bigint; froms: CrawlNode[] }

const NS_PER_MS = 1_000_000;
/** The pump runs at least this often; completions also run it. */
const PUMP_INTERVAL_MS = 1;

function keyOf(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, len).toString('latin1');
}

/**
 * The streaming crawler: one visit per discovered node (more only with retries), records acted on
 * the moment each NODES packet arrives, deduplicated by (public key, seq) before any signature check.
 */
export class Crawler {
  readonly config: CrawlConfig;
  readonly counters: CrawlCounters = {
    contacts: 0, requests: 0, lateAdmissions: 0, responses: 0, nodesPackets: 0, recordsReceived: 0, duplicateRecords: 0, newRecords: 0, updatedRecords: 0,
    badRecords: 0, badSignatures: 0, droppedNodes: 0, unverifiedAtStop: 0, unrequestedRecords: 0, overCapRecords: 0, versionLimitRecords: 0,
    unrequestedVisits: 0, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, cyclesDone: 0,
  };
  /** Count of nodes per state. */
  readonly stateCounts = [0, 0, 0, 0, 0];
  /** Progress samples in memory, thinned to every other one past MAX_PROGRESS_SAMPLES (the sink gets them all). */
  readonly samples: ProgressSample[] = [];
  /** Failed visits by reason. */
  readonly failureReasons: Record<string, number> = {};
  /** The crawler's own socket: records naming it are never visited (set by the app, which bound it). */
  own: OwnEndpoints = OwnEndpoints.none();
  /**
   * Drop records at distances a request did not ask (as geth and nim-eth do). Only the unit tests' fake networks,
   * which answer by a fixed topology, turn it off.
   */
  checkDistances = true;
  /** Records whose endpoint the crawler refused to probe, by reason (endpointDrop); they stay unvisited. */
  readonly droppedEndpoints: Partial<Record<EndpointDrop, number>> = {};
  /** By compressed public key (it determines the node ID); bounded by maxNodes. */
  private readonly nodes = new NodeIndex();
  /** Node IDs and records live here as views (bounded by maxNodes records). */
  private readonly arena = new ByteArena();
  /** Nodes waiting for their visit, most often returned first (queueOrder 'seen'; see LevelQueue for its bound). */
  private readonly queue: LevelQueue<CrawlNode>;
  /** Visits in flight at most (config.concurrency, or derived from the rate). */
  readonly concurrency: number;
  /** Visits waiting to send the next request of their plan (bounded by the visits in flight). */
  private readonly continuations = new RingQueue<Visit>(1024);
  /** Visits whose node answered first contact, waiting for a visit token (bounded by ContactAhead and concurrency). */
  private readonly parked = new RingQueue<Visit>(1024);
  /** Visit tokens: FINDNODE requests (a handshake carries the first). Adaptive. */
  private readonly bucket: TokenBucket;
  /** First-contact tokens: random packets to nodes not yet heard from. Fixed. */
  private readonly contactBucket: TokenBucket;
  private readonly ahead = new ContactAhead();
  private readonly adaptive: AdaptiveRate | null;
  private probe: LoadProbe | null = null;
  /** Fed with every request's first round trip; part of the default load signal. */
  private readonly rtt = new RttInflationProbe();
  private adaptTimer: NodeJS.Timeout | null = null;
  /**
   * Newer records of known nodes out for verification on worker threads, by public key: per key at most
   * MAX_VERSIONS_IN_FLIGHT distinct records (a copy each), so bounded by that times the nodes being updated.
   */
  private readonly verifying = new Map<string, Candidate[]>();
  /** Newer versions accepted per node (MAX_RECORD_UPDATES); bound: one entry per node updated at least once. */
  private readonly updates = new Map<CrawlNode, number>();
  /** Refused records handed to the sink so far (at most MAX_BAD_RECORDS_KEPT). */
  private badKept = 0;
  private inflight = 0;
  private startMs = 0;
  private startNs = 0n;
  private pumpTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private durationTimer: LongTimer | null = null;
  private cycle = 0;
  private stopping = false;
  private done: (() => void) | null = null;
  /** Ends run() with an error of our own (fatal()). */
  private reject: ((e: unknown) => void) | null = null;
  private endMs = 0;

  constructor(
    config: CrawlConfig,
    private readonly client: FindNodeClient,
    private readonly strategy: CrawlStrategy,
    private readonly localId: Uint8Array,
    private readonly sink: CrawlSink | null = null,
    /** Verifies records off the main thread; null verifies inline. */
    private readonly verifier: RecordVerifier | null = null,
    /** Load signal for the adaptive rate (tests inject one); default: event loop, machine CPU, RTT inflation and the pool's queue (defaultLoadProbe). */
    private readonly load: LoadProbe | null = null,
  ) {
    this.config = validateCrawlConfig({ ...config });
    this.bucket = new TokenBucket(this.config.ratePerSec, this.config.burst);
    this.contactRateLimit = effectiveContactRate(this.config);
    this.contactBucket = new TokenBucket(this.contactRateLimit, Math.max(1, Math.ceil((this.contactRateLimit * CONTACT_BURST_MS) / 1000)));
    this.adaptive = this.config.adaptiveRate ? new AdaptiveRate(this.config.ratePerSec) : null;
    // fifo keeps discovery order; a promoteOnRepeat strategy still moves a record returned twice ahead.
    const levels = this.config.queueOrder === 'seen' ? SEEN_LEVELS : strategy.promoteOnRepeat ? 2 : 1;
    this.queue = new LevelQueue<CrawlNode>(levels, isQueued);
    this.concurrency = effectiveConcurrency(this.config);
  }

  /** First contacts per second at most (the bucket runs at ContactAhead's rate under it). */
  readonly contactRateLimit: number;
  /** Current request rate limit (below ratePerSec while the adaptive rate backs off). */
  get rateLimit(): number { return this.bucket.ratePerSec; }
  /** Lowest rate the adaptive control set and the time it spent below ratePerSec. */
  get throttle(): { minRatePerSec: number; throttledMs: number } | null {
    return this.adaptive ? { minRatePerSec: Math.round(this.adaptive.minRate), throttledMs: this.adaptive.throttledMs } : null;
  }

  private adapt(): void {
    if (!this.adaptive || !this.probe) return;
    this.bucket.setRate(this.adaptive.update(this.probe.utilization()));
  }

  get elapsedMs(): number { return (this.endMs || performance.now()) - this.startMs; }
  get knownNodes(): number { return this.nodes.size; }
  allNodes(): IterableIterator<CrawlNode> { return this.nodes.values(); }

  private setState(n: CrawlNode, s: NodeState): void {
    this.stateCounts[n.state]!--;
    this.stateCounts[s]!++;
    n.state = s;
  }

  /** Adds a starting node from its record (verified here) or a bare address (enode URL). */
  addBootnode(b: Enr | NodeAddress): void {
    if ('raw' in b) {
      if (!verifyEnr(b)) return;
      this.ingest(b.raw, null, true);
      return;
    }
    if (b.pubkey.length !== COMPRESSED_PUBKEY_SIZE || this.nodes.get(b.pubkey, 0)) return;
    const at = this.arena.placeWithTail(b.id, b.pubkey);
    const n = new CrawlNode(this.arena.placed, at, 0n, 0, 0, Date.now(), 1);
    n.addr = b;
    this.nodes.add(n);
    this.stateCounts[NodeState.Discovered]!++;
    this.enqueue(n);
  }

  private enqueue(n: CrawlNode): void {
    if (!n.addr || bytesEqual(n.id, this.localId)) return;
    this.setState(n, NodeState.Queued);
    this.queue.push(n);
  }

  /**
   * Handles one record from a NODES packet (or a bootnode); `from` is the node that returned it, `asked` the
   * distances its request asked (null: a bootnode). A record at a distance not asked is counted and dropped: it
   * never reaches the node set, the queue or the sink. Returns Fit.Off for one far from every distance asked.
   */
  private ingest(raw: Uint8Array, from: CrawlNode | null, verified = false, asked: readonly number[] | null = null, fromId: Uint8Array | null = null): Fit {
    this.counters.recordsReceived++;
    const peek = peekEnrIdentity(raw);
    if (!peek) { this.refuse(raw, 'decode', null, from); return Fit.Asked; }
    let known = this.nodes.get(raw, peek.pubkeyOffset);
    // Same public key, so same node ID: a known node's distance needs no decoding.
    if (known && asked) { const d = known.logDistanceTo(fromId!); if (!asked.includes(d)) return this.unrequested(d, asked); }
    if (known?.unverifiedFroms && !bytesEqual(known.raw!, raw)) {
      // Another record for a node whose record is not checked yet: check that one now. Else a forged record under
      // a victim's key (any seq, even 2^64-1) would pass for a duplicate of, or block, the victim's valid one.
      if (!this.verifyDeferred(known)) known = undefined;
    }
    if (known && peek.seq <= known.seq) {
      this.counters.duplicateRecords++;
      // A record several tables hold is likelier live: it moves up the queue.
      this.queue.seenAgain(known, known.sightings++);
      if (from) {
        if (known.unverifiedFroms) known.unverifiedFroms.push(from);
        else this.sink?.edge(from, known, peek.seq);
      }
      return Fit.Asked;
    }
    // A newer version of a known node: bounded per node, since its key's owner can mint any number of them.
    if (known && (this.updates.get(known) ?? 0) >= MAX_RECORD_UPDATES) { this.counters.versionLimitRecords++; return Fit.Asked; }
    // Only new records (or a higher seq) pay for decoding and the signature check.
    if (this.verifier && known) { this.verifyUpdate(known, raw, peek.pubkeyOffset, peek.seq, from); return Fit.Asked; }
    let enr: Enr;
    try { enr = decodeEnr(raw); } catch { this.refuse(raw, 'decode', null, from); return Fit.Asked; }
    // A new node's signature is checked when it is visited (verifyDeferred, on the pool when there is one):
    // the rate limiter then spreads the checks evenly, instead of a reply's 16 new records all being checked
    // at once while the early replies flood in (on the pool, that flood queued the handshakes behind it and the
    // adaptive rate backed off). An update of a known node is checked now: an unchecked higher seq could
    // replace a good record.
    if (!verified && known && !verifyEnr(enr)) { this.refuse(raw, 'signature', known.id, from); return Fit.Asked; }
    let id: Uint8Array;
    try { id = known ? known.id : enr.nodeId(); } catch { this.refuse(raw, 'key', null, from); return Fit.Asked; }
    if (!known && asked) { const d = logDistance(id, fromId!); if (!asked.includes(d)) return this.unrequested(d, asked); }
    this.accept(raw, peek.pubkeyOffset, id, from ? [from] : [], enr, !verified && !known);
    return Fit.Asked;
  }

  /** Counts a refused record, and hands the first MAX_BAD_RECORDS_KEPT of the crawl to the sink. */
  private refuse(raw: Uint8Array, reason: BadRecordReason, claimed: Uint8Array | null, from: CrawlNode | null): void {
    if (reason === 'signature') this.counters.badSignatures++; else this.counters.badRecords++;
    if (this.badKept < MAX_BAD_RECORDS_KEPT && this.sink?.badRecord) {
      this.badKept++;
      this.sink.badRecord(raw, reason, claimed, from);
    }
  }

  /** Counts a record at distance `d`, which was not asked: padding next to an asked distance, or off. */
  private unrequested(d: number, asked: readonly number[]): Fit {
    this.counters.unrequestedRecords++;
    for (const a of asked) if (Math.abs(a - d) <= PADDING_SPREAD) return Fit.Near;
    return Fit.Off;
  }

  /**
   * Checks a newer record of a known node on the pool; it replaces the node's record if it verifies. Distinct
   * records are checked side by side (MAX_VERSIONS_IN_FLIGHT), the same bytes once.
   */
  private verifyUpdate(known: CrawlNode, raw: Uint8Array, pubkeyOffset: number, seq: bigint, from: CrawlNode | null): void {
    const key = keyOf(raw, pubkeyOffset, COMPRESSED_PUBKEY_SIZE);
    let list = this.verifying.get(key);
    if (list) {
      for (const c of list) if (bytesEqual(c.raw, raw)) { this.counters.duplicateRecords++; if (from) c.froms.push(from); return; }
      if (list.length >= MAX_VERSIONS_IN_FLIGHT) { this.counters.versionLimitRecords++; return; }
    } else this.verifying.set(key, list = []);
    // Off-thread the check is asynchronous: keep a copy of the record until it comes back.
    const cand: Candidate = { raw: raw.slice(), seq, froms: from ? [from] : [] };
    list.push(cand);
    const id = known.id;
    this.verifier!.verifyRecord(cand.raw).then((ok) => {
      const l = this.verifying.get(key);
      if (l) {
        const i = l.indexOf(cand);
        if (i >= 0) l.splice(i, 1);
        if (l.length === 0) this.verifying.delete(key);
      }
      if (!ok) this.refuse(cand.raw, 'signature', id, cand.froms[0] ?? null);
      else this.accept(cand.raw, pubkeyOffset, id, cand.froms);
      this.maybeFinish();
    }).catch((e: unknown) => this.fatal(e));
  }

  /**
   * Checks a deferred record's signature. A good one is written to the sink now (with the edges seen so
   * far); a bad one is dropped from the crawl as if it had never arrived. Returns false for a bad one.
   */
  private verifyDeferred(n: CrawlNode, checked?: boolean): boolean {
    const froms = n.unverifiedFroms;
    if (!froms) return true;
    n.unverifiedFroms = undefined;
    // The record was decoded when it arrived (accept); the signature check alone reads its bytes again.
    if (!(checked ?? verifyEnrRaw(n.raw!))) {
      this.refuse(n.raw!, 'signature', n.id, froms[0] ?? null);
      this.counters.newRecords--;
      this.nodes.delete(n);
      this.stateCounts[n.state]!--;
      // Out of every state: an entry left in the other queue is skipped (it is not Queued any more).
      n.state = NodeState.Discovered;
      n.addr = null;
      return false;
    }
    this.sink?.record(n, n.firstSeenMs);
    for (const f of froms) this.sink?.edge(f, n, n.seq);
    return true;
  }

  /**
   * How long a stopped crawl may spend checking the records of nodes it never visited (inline ~50-150 µs each,
   * or on the pool): a stop must end in seconds even with 500,000 of them. Past it they are counted
   * (unverifiedAtStop), not stored. A crawl that ends on its own checks them all, unless stopped meanwhile.
   */
  stopVerifyBudgetMs = STOP_VERIFY_BUDGET_MS;
  /** See VERIFY_SLICE_MS (tests shorten it). */
  verifySliceMs = VERIFY_SLICE_MS;
  /** The crawl's end is under way (verifyRemaining): the next maybeFinish calls wait for it. */
  private finishing = false;
  private stopAtMs = 0;

  /**
   * Checks every record still deferred (nodes never visited: no address, stopped early), on the pool if there is
   * one, in slices of verifySliceMs between which the event loop turns; then calls `then`.
   */
  private verifyRemaining(then: () => void): void {
    const it = this.nodes.values();
    let inFlight = 0, over = false, ended = false;
    const step = (): void => {
      if (!this.done || ended) return;
      const now0 = performance.now();
      const sliceEnd = now0 + this.verifySliceMs;
      if (this.stopping && now0 > this.stopAtMs + this.stopVerifyBudgetMs) over = true;
      // Deleting the current entry while iterating a Map is safe: iteration continues with the next one.
      for (let k = 1; !over; k++) {
        if (this.verifier && inFlight >= STOP_CHECKS_IN_FLIGHT) return; // a returning check steps on
        const r = it.next();
        if (r.done) { over = true; break; }
        const n = r.value;
        if (!n.unverifiedFroms) continue;
        if (this.verifier) {
          inFlight++;
          this.verifier.verifyRecord(n.raw!).then((ok) => {
            inFlight--;
            this.guard(() => { if (n.unverifiedFroms) this.verifyDeferred(n, ok); step(); });
          }).catch((e: unknown) => this.fatal(e));
        } else this.verifyDeferred(n);
        // The clock is read every 64 checks (3-10 ms of them inline).
        if ((k & 63) !== 0) continue;
        const now = performance.now();
        if (this.stopping && now > this.stopAtMs + this.stopVerifyBudgetMs) over = true;
        else if (now > sliceEnd) { setImmediate(() => this.guard(step)); return; }
      }
      if (inFlight > 0) return; // the last check to return ends it
      ended = true;
      for (const n of this.nodes.values()) if (n.unverifiedFroms) this.counters.unverifiedAtStop++;
      then();
    };
    this.guard(step);
  }

  /** A verified record: a new node, or a higher seq of a known one. `froms` returned it (edges). */
  private accept(raw: Uint8Array, pubkeyOffset: number, id: Uint8Array, froms: CrawlNode[], decoded?: Enr, deferred = false): void {
    let enr: Enr;
    try { enr = decoded ?? decodeEnr(raw); } catch { this.refuse(raw, 'decode', id, froms[0] ?? null); return; }
    const known = this.nodes.get(raw, pubkeyOffset);
    const nowMs = Date.now();
    if (known) {
      if (enr.seq <= known.seq) { this.counters.duplicateRecords++; return; }
      const updates = this.updates.get(known) ?? 0;
      // Checked at ingest too; checks that were in flight together may pass it there.
      if (updates >= MAX_RECORD_UPDATES) { this.counters.versionLimitRecords++; return; }
      this.updates.set(known, updates + 1);
      const at = this.arena.placeWithTail(known.id, raw);
      const { ip, port, addr } = known;
      known.setRecord(this.arena.placed, at, raw.length, pubkeyOffset, enr.seq, enr);
      // A new endpoint the crawler must not probe does not replace the old one (the node may be queued).
      if (this.guardEndpoint(known, froms)) { known.ip = ip; known.port = port; known.addr = addr; }
      const seen = known.sightings;
      known.sightings += Math.max(1, froms.length);
      this.queue.seenAgain(known, seen);
      this.counters.updatedRecords++;
      this.sink?.record(known, nowMs);
      for (const f of froms) this.sink?.edge(f, known, enr.seq);
      return;
    }
    if (this.nodes.size >= this.config.maxNodes) { this.counters.droppedNodes++; return; }
    // The kept view points into the arena, never into the datagram (that would pin a 1,280-byte packet per node).
    // Returns gathered while the record was out for verification count too.
    const at = this.arena.placeWithTail(id, raw);
    const n = new CrawlNode(this.arena.placed, at, enr.seq, raw.length, pubkeyOffset, nowMs, Math.max(1, froms.length));
    n.takeEndpoint(enr);
    this.guardEndpoint(n, froms);
    if (deferred) n.unverifiedFroms = froms;
    this.nodes.add(n);
    this.stateCounts[NodeState.Discovered]!++;
    this.counters.newRecords++;
    this.strategy.onDiscovered?.(n.id);
    if (!deferred) {
      this.sink?.record(n, nowMs);
      for (const f of froms) this.sink?.edge(f, n, enr.seq);
    }
    this.enqueue(n);
  }

  /** Takes away an endpoint the crawler must not probe (endpoints.ts), counting why; true if it did. */
  private guardEndpoint(n: CrawlNode, froms: readonly CrawlNode[]): boolean {
    if (!n.addr) return false;
    const drop = endpointDrop(n.addr.ip, n.addr.port, froms[0]?.addr?.ip ?? null, this.config.allowPrivate, this.own);
    if (!drop) return false;
    this.droppedEndpoints[drop] = (this.droppedEndpoints[drop] ?? 0) + 1;
    n.addr = null;
    return true;
  }

  /** Runs until every cycle is done, the duration passes, or stop() is called. */
  run(): Promise<void> {
    this.startMs = performance.now();
    this.startNs = process.hrtime.bigint();
    this.cycle = 1;
    const p = new Promise<void>((resolve, reject) => { this.done = resolve; this.reject = reject; });
    this.pumpTimer = setInterval(() => this.guard(() => this.pump()), PUMP_INTERVAL_MS);
    this.sampleTimer = setInterval(() => this.guard(() => this.sample()), this.config.progressIntervalMs);
    if (this.adaptive) {
      const pool = this.verifier?.queueDelayMs ? [queueDelayProbe(this.verifier as QueueDelaySource)] : [];
      const sink = this.sink?.load ? [this.sink.load] : [];
      this.probe = this.load ?? defaultLoadProbe(this.rtt, ...pool, ...sink);
      this.probe.utilization(); // start the first window now
      this.adaptTimer = setInterval(() => this.guard(() => this.adapt()), ADAPT_INTERVAL_MS);
    }
    if (this.config.durationMs !== null) this.durationTimer = setLongTimeout(() => this.guard(() => this.stop()), this.config.durationMs);
    this.sample();
    this.pump();
    return p;
  }

  /** Runs a timer's or a promise's callback: what it throws ends the crawl (fatal) instead of the process. */
  private guard(fn: () => void): void {
    try { fn(); } catch (e) { this.fatal(e); }
  }

  /**
   * An error of our own, not the network's (the worker pool gone, the sink refusing rows): run() rejects with
   * it, and no timer of the crawl is left running.
   */
  private fatal(e: unknown): void {
    const reject = this.reject;
    if (!reject) return;
    this.reject = null;
    this.done = null;
    this.stopping = true;
    this.endMs = performance.now();
    this.clearTimers();
    reject(e);
  }

  private clearTimers(): void {
    if (this.pumpTimer) clearInterval(this.pumpTimer);
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    if (this.adaptTimer) clearInterval(this.adaptTimer);
    this.durationTimer?.clear();
  }

  /** Stops scheduling; in-flight visits finish or are aborted by the caller closing the session layer. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopAtMs = performance.now();
    // Visits waiting for their next request end now, with what they have (nothing of theirs is in flight).
    for (let v = this.continuations.shift(); v; v = this.continuations.shift()) this.finishVisit(v);
    this.maybeFinish();
  }

  private pump(): void {
    // Visit tokens: the next requests of visits under way first (they end visits and free slots), then parked
    // nodes; a node parked for AHEAD_MS goes first (its challenge ages, a session does not). Stopping, parked
    // nodes are still admitted (their visit ends in one round trip), nothing new starts.
    const now = performance.now();
    while (this.parked.length > 0 || this.continuations.length > 0) {
      if (!this.bucket.take()) break;
      const first = this.parked.peek();
      const urgent = first !== undefined && now - first.parkedAtMs >= AHEAD_MS;
      const cont = urgent ? undefined : this.continuations.shift();
      if (cont) { this.ahead.followUpSent(); this.sendNext(cont); continue; }
      this.admit(this.parked.shift()!);
    }
    // Contact tokens: first contacts run ahead as far as ContactAhead allows.
    this.ahead.tick(now);
    if (!this.stopping) this.contactBucket.setRate(this.ahead.contactRate(this.bucket.ratePerSec, this.contactRateLimit));
    const oldest = this.parked.peek();
    const oldestWaitMs = oldest ? now - oldest.parkedAtMs : 0;
    while (!this.stopping && this.inflight < this.concurrency && this.queue.peek() !== undefined
      && this.ahead.allows(this.parked.length, oldestWaitMs, this.bucket.ratePerSec)) {
      if (!this.contactBucket.take()) break;
      this.startVisit(this.queue.shift()!);
    }
    this.maybeFinish();
  }

  /** The visit's node answered first contact: its request goes out now if a token is free, else it parks. */
  private onAdmit(v: Visit, release: () => void): void {
    this.concludeContact(v, true);
    v.release = release;
    v.parkedAtMs = performance.now();
    if (this.parked.length === 0 && this.bucket.take()) this.admit(v);
    else this.parked.push(v);
  }

  /** Feeds ContactAhead's answer share once per visit: at WHOAREYOU, or at the result if none came. */
  private concludeContact(v: Visit, answered: boolean): void {
    if (!v.contacting) return;
    v.contacting = false;
    this.ahead.contactConcluded(answered);
  }

  private admit(v: Visit): void {
    this.counters.requests++;
    if (performance.now() - v.parkedAtMs > LATE_ADMISSION_MS) this.counters.lateAdmissions++;
    const release = v.release!;
    v.release = null;
    release();
  }

  private startVisit(n: CrawlNode): void {
    if (n.unverifiedFroms) {
      if (this.verifier) { this.verifyThenVisit(n); return; }
      if (!this.verifyDeferred(n)) { this.maybeFinish(); return; }
    }
    this.setState(n, NodeState.Pending);
    this.inflight++;
    this.visit(n);
  }

  /** Pool path of a deferred check: the node holds its visit slot while a worker checks the record. */
  private verifyThenVisit(n: CrawlNode): void {
    this.setState(n, NodeState.Pending);
    this.inflight++;
    this.verifier!.verifyRecord(n.raw!).then((ok) => {
      // The node ID was derived from this record's key on arrival; the signature is all that is left to check.
      // A conflicting record may have had it checked inline meanwhile (ingest), and dropped if bad.
      if (this.verifyDeferred(n, ok) && this.nodes.get(n.pubkey, 0) === n) {
        if (!this.stopping) { this.visit(n); return; }
        this.setState(n, NodeState.Queued); // never visited: counted as waiting, like the rest of the queue
      }
      this.inflight--;
      this.maybeFinish();
    }).catch((e: unknown) => this.fatal(e));
  }

  /** Sends a visit's first request; the node is Pending and holds a slot. */
  private visit(n: CrawlNode): void {
    const nodeId = n.id;
    const plan = this.strategy.plan({ id: nodeId, visits: n.visits });
    n.visits++;
    const v: Visit = {
      node: n, nodeId, plan, next: 0, startedAtMs: Date.now(), rtt1Ms: null, rtt2Ms: null, bytesIn: 0, bytesOut: 0,
      packetsIn: 0, packetsOut: 0, records: 0, lastRecords: 0, replyRecords: 0, unrequested: 0, emptyStreak: 0, sawFullBucket: false, packetIndex: 0, train: new TrainLog(),
      contacting: true, release: null, parkedAtMs: 0, anyOk: false, lastError: null,
      events: { onNodes: (m, at, size) => this.onNodes(v, m, at, size), admit: (release) => this.onAdmit(v, release) },
    };
    this.counters.contacts++;
    this.sendNext(v);
  }

  /** Sends a visit's next request; the first one waits for admission (onAdmit), the others took their token. */
  private sendNext(v: Visit): void {
    const distances = v.plan[v.next++]!;
    v.lastRecords = 0;
    v.replyRecords = 0;
    if (v.next > 1) {
      this.counters.requests++;
      // Only the first request is admitted; later ones go out on the session at once.
      v.events.admit = undefined;
    }
    this.client.findNode(v.node.addr!, distances, v.events).then((r) => this.onResult(v, r)).catch((e: unknown) => this.fatal(e));
  }

  /** Streaming: every NODES packet is processed the moment it arrives. */
  private onNodes(v: Visit, m: Nodes, at: bigint, size: number): void {
    this.counters.nodesPackets++;
    const t = at - this.startNs;
    this.sink?.packet(v.nodeId, v.next - 1, v.packetIndex++, t, size);
    v.train.packet(Number(t), size);
    v.records += m.enrs.length;
    const asked = v.plan[v.next - 1]!;
    const cap = MAX_RECORDS_PER_DISTANCE * asked.length;
    for (let i = 0; i < m.enrs.length; i++) {
      if (v.replyRecords >= cap) { this.counters.overCapRecords += m.enrs.length - i; break; }
      v.replyRecords++;
      const fit = this.checkDistances ? this.ingest(m.enrs[i]!, v.node, false, asked, v.nodeId) : this.ingest(m.enrs[i]!, v.node);
      if (fit === Fit.Asked) v.lastRecords++;
      else if (fit === Fit.Off) v.unrequested++;
    }
  }

  private onResult(v: Visit, r: RequestResult): void {
    // Never answered WHOAREYOU (or the client does not admit): the contact ends here.
    this.concludeContact(v, r.ok || r.stats.rtt1Ns !== null);
    const s = r.stats;
    // rtt2 is this request's: sent → its first NODES, the train's delay.
    v.train.endTrain(s.rtt2Ns === null ? Infinity : Number(s.rtt2Ns));
    v.bytesIn += s.bytesIn; v.bytesOut += s.bytesOut; v.packetsIn += s.packetsIn; v.packetsOut += s.packetsOut;
    if (s.rtt1Ns !== null) {
      const ms = Number(s.rtt1Ns) / NS_PER_MS;
      if (v.rtt1Ms === null) v.rtt1Ms = ms;
      if (this.adaptive) this.rtt.add(ms);
    }
    if (v.rtt2Ms === null && s.rtt2Ns !== null) v.rtt2Ms = Number(s.rtt2Ns) / NS_PER_MS;
    v.emptyStreak = r.ok && v.lastRecords === 0 ? v.emptyStreak + 1 : 0;
    if (v.lastRecords >= FULL_BUCKET_RECORDS) v.sawFullBucket = true;
    if (r.ok) { v.anyOk = true; this.counters.responses++; } else v.lastError = r.reason === 'closed' ? 'aborted' : r.reason;
    const asked = v.plan[v.next - 1]!;
    if (this.strategy.onReply && !this.stopping) {
      const extra = this.strategy.onReply({
        id: v.nodeId, asked: v.plan.slice(0, v.next), pending: v.plan.length - v.next, ok: r.ok, records: v.lastRecords, complete: r.ok && r.complete,
      });
      // A new array: the plan is the strategy's.
      if (extra?.length) v.plan = v.plan.concat(extra);
    }
    // A node that keeps returning records it was not asked for is asked nothing more.
    const lying = v.unrequested >= MAX_UNREQUESTED_PER_VISIT;
    const dry = this.strategy.stopAfterEmpty && v.sawFullBucket && v.emptyStreak >= EMPTY_STREAK_TO_STOP && Math.max(...asked) <= STOP_BELOW_DISTANCE;
    const more = v.next < v.plan.length && r.ok && !dry && !lying && !this.stopping;
    if (lying && v.next < v.plan.length) this.counters.unrequestedVisits++;
    if (more) { this.continuations.push(v); return; }
    this.finishVisit(v);
  }

  private finishVisit(v: Visit): void {
    this.inflight--;
    const n = v.node;
    const endedAtMs = Date.now();
    this.counters.bytesIn += v.bytesIn; this.counters.bytesOut += v.bytesOut;
    this.counters.packetsIn += v.packetsIn; this.counters.packetsOut += v.packetsOut;
    if (v.anyOk) {
      // Whole ms: a small integer is stored in the object, a fraction as a separate heap number per node.
      if (n.measuredAtMs < 0) n.measuredAtMs = Math.round(performance.now() - this.startMs);
      // rtt2 of the same visit: both then come from the one handshake.
      if (v.rtt1Ms !== null) { n.rtt1Ms = v.rtt1Ms; n.rtt2Ms = v.rtt2Ms; }
      this.setState(n, NodeState.Measured);
    } else {
      n.failures++;
      const why = v.lastError ?? 'timeout';
      this.failureReasons[why] = (this.failureReasons[why] ?? 0) + 1;
      if (n.state !== NodeState.Measured) this.setState(n, NodeState.Failed);
      if (n.failures <= this.config.retries && !this.stopping) this.enqueue(n);
    }
    this.sink?.visit({
      node: n, status: v.anyOk ? 'measured' : 'failed', error: v.anyOk ? null : v.lastError ?? 'timeout',
      rtt1Ms: v.rtt1Ms, rtt2Ms: v.rtt2Ms, bytesIn: v.bytesIn, bytesOut: v.bytesOut, packetsIn: v.packetsIn, packetsOut: v.packetsOut,
      requests: v.next, recordsReturned: v.records, startedAtMs: v.startedAtMs, endedAtMs, distances: v.plan.slice(0, v.next),
      dispersion: v.train.estimate(),
    });
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.inflight > 0 || this.verifying.size > 0) return;
    if (!this.stopping && this.queue.peek() !== undefined) return;
    if (!this.stopping && this.cycle < this.config.cycles) {
      this.counters.cyclesDone++;
      this.cycle++;
      // Next cycle: revisit every known node with an address, keeping the accumulated records.
      for (const n of this.nodes.values()) { n.failures = 0; if (n.addr) this.enqueue(n); }
      if (this.queue.peek() !== undefined) return;
    }
    if (!this.done || this.finishing) return;
    this.finishing = true;
    const ranOut = !this.stopping;
    this.verifyRemaining(() => {
      if (!this.done) return; // fatal() ended the crawl meanwhile
      if (ranOut) this.counters.cyclesDone++;
      this.endMs = performance.now();
      this.clearTimers();
      this.sample();
      const d = this.done;
      this.done = null;
      this.reject = null;
      d();
    });
  }

  private sample(): void {
    const c = this.stateCounts;
    const s: ProgressSample = {
      tMs: Math.round(performance.now() - this.startMs), discovered: c[0]!, queued: c[1]!, pending: c[2]!, measured: c[3]!, failed: c[4]!,
      requests: this.counters.requests, records: this.nodes.size,
    };
    this.samples.push(s);
    if (this.samples.length > MAX_PROGRESS_SAMPLES) thinSamples(this.samples);
    this.sink?.progress(s);
  }

  /** Measured and failed visits happen on the cycle's nodes; this counts nodes in a state now. */
  get counts(): { discovered: number; queued: number; pending: number; measured: number; failed: number } {
    const c = this.stateCounts;
    return { discovered: c[0]!, queued: c[1]!, pending: c[2]!, measured: c[3]!, failed: c[4]! };
  }
}

const isQueued = (n: CrawlNode): boolean => n.state === NodeState.Queued;

