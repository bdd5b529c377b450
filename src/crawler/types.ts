import type { NodeAddress, RequestEvents, RequestResult } from '../session/types.js';
import type { DispersionEstimate } from './dispersion.js';
import type { CrawlNode } from './nodes.js';
import type { LoadProbe } from './rate.js';

export type VisitError = 'timeout' | 'no-whoareyou' | 'bad-handshake' | 'bad-reply' | 'aborted';

export interface VisitRecord {
  node: CrawlNode;
  status: 'measured' | 'failed';
  error: VisitError | null;
  rtt1Ms: number | null;
  rtt2Ms: number | null;
  bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number;
  requests: number;
  recordsReturned: number;
  startedAtMs: number;
  endedAtMs: number;
  distances: number[][];
  /** Reply-train dispersion rate of the visit's NODES replies. */
  dispersion: DispersionEstimate;
}

export interface ProgressSample {
  tMs: number;
  discovered: number; queued: number; pending: number; measured: number; failed: number;
  requests: number; records: number;
}

/** Why a record was refused: it does not parse as an ENR, its signature does not verify, or its key is no curve point. */
export type BadRecordReason = 'decode' | 'signature' | 'key';

/**
 * Bad records handed to the sink per crawl: enough to show what a network's broken or hostile nodes send,
 * while a flood of them (all cheap to forge) cannot grow the store without bound. Past it they are only counted.
 */
export const MAX_BAD_RECORDS_KEPT = 10_000;

/**
 * Where a crawl's measurements go (the app layer wires the store in); called on the hot path, so it must only buffer. Every call only hands data over; it must not throw for well-formed input.
 * Records arrive deduplicated: the crawler calls record() once per (node, seq) it accepts, after the
 * signature checked out, so a sink needs no dedupe of its own.
 */
export interface CrawlSink {
  /** A verified record: `node.raw` holds its bytes and `node.seq` its seq (decode there, not here). */
  record(node: CrawlNode, seenAtMs: number): void;
  visit(v: VisitRecord): void;
  packet(nodeId: Uint8Array, requestNo: number, packetIndex: number, arrivalNs: bigint, size: number): void;
  /** `from` returned `to`'s record with this seq. */
  edge(from: CrawlNode, to: CrawlNode, seq: bigint): void;
  progress(s: ProgressSample): void;
  /**
   * A record the crawler refused: it did not decode, or its signature or key is bad. `claimed` is the node ID it
   * names when that can be read; `from` returned it. Called at most MAX_BAD_RECORDS_KEPT times per crawl.
   */
  badRecord?(raw: Uint8Array, reason: BadRecordReason, claimed: Uint8Array | null, from: CrawlNode | null): void;
  /** The sink's backlog as a load signal for the adaptive rate (a writer falling behind slows the crawl). */
  readonly load?: LoadProbe;
}

/** Batch record verification on worker threads (src/work/pool.ts implements it). */
export interface RecordVerifier {
  /** Whether the record's signature is valid. */
  verifyRecord(raw: Uint8Array): Promise<boolean>;
  /** A worker pool says how long its queue makes work wait; the adaptive rate watches it. */
  queueDelayMs?(): number;
}

/**
 * The session layer as the crawler uses it. The crawler always passes `events.admit` on a visit's first request
 * and spends a visit token when the client calls it (RequestEvents.admit); a client must call it before the
 * packet that carries the FINDNODE.
 */
export interface FindNodeClient {
  findNode(remote: NodeAddress, distances: number[], events?: RequestEvents): Promise<RequestResult>;
}

export interface CrawlCounters {
  /** First contacts (random packets to nodes not yet heard from in this visit). */
  contacts: number;
  /** FINDNODE requests sent (visit tokens spent). */
  requests: number;
  /** Parked nodes admitted after LATE_ADMISSION_MS: their challenge may have been forgotten. */
  lateAdmissions: number;
  responses: number;
  nodesPackets: number;
  recordsReceived: number;
  duplicateRecords: number;
  newRecords: number;
  updatedRecords: number;
  badRecords: number;
  badSignatures: number;
  droppedNodes: number;
  /** Records of unvisited nodes left unchecked (so not stored) when a stopped crawl ran out of STOP_VERIFY_BUDGET_MS. */
  unverifiedAtStop: number;
  /** Records at a distance the request did not ask (dropped; MAX_UNREQUESTED_PER_VISIT ends the visit). */
  unrequestedRecords: number;
  /** Records past a reply's bound (MAX_RECORDS_PER_DISTANCE per distance asked), dropped unread. */
  overCapRecords: number;
  /** Newer versions of a node's record dropped past MAX_RECORD_UPDATES or MAX_VERSIONS_IN_FLIGHT. */
  versionLimitRecords: number;
  /** Visits ended before their plan because the node kept returning records at distances not asked. */
  unrequestedVisits: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  cyclesDone: number;
}
