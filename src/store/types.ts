// Row shapes the crawler hands to Store.add*. Node ids stay raw 32-byte arrays here; the store hex-encodes
// them when it flushes, so the hot loop never pays for it. Timestamps are JS epoch milliseconds (UTC).
// The store keeps a reference to each row object until it is flushed, so callers must not mutate it afterwards.

/** One distinct (node_id, seq) record seen in a crawl; repeats of the same pair are dropped at flush. */
export interface RecordRow {
  nodeId: Uint8Array;
  /**
   * The node's number from Store.newNodeRef in this crawl, if the caller has one: the store then dedupes by it
   * (8 B per node) and skips a record at or below the highest seq already written for the node in the crawl.
   * Without it, each (node, seq) is written once.
   */
  ref?: number;
  seq: bigint;
  /** RLP bytes as received. */
  raw: Uint8Array;
  /** Text form, "enr:-...". */
  enr: string;
  ip: string | null;
  udp: number | null;
  tcp: number | null;
  ip6: string | null;
  udp6: number | null;
  eth2ForkDigest: string | null;
  eth2NextForkVersion: string | null;
  eth2NextForkEpoch: bigint | null;
  /** Hex, no 0x. */
  attnets: string | null;
  syncnets: string | null;
  client: string | null;
  c: string | null;
  opstackChainId: bigint | null;
  opstackVersion: bigint | null;
  /** ENR keys present; an array is joined with ',' at flush. */
  keys: string | readonly string[];
  /** Network name the crawler inferred (e.g. "mainnet"), if any. */
  network: string | null;
  firstSeenMs: number;
}

export type VisitStatus = 'measured' | 'failed';
export type VisitError = 'timeout' | 'no-whoareyou' | 'bad-handshake' | 'bad-reply' | (string & {});

/** One attempt to measure a node in a crawl. */
export interface VisitRow {
  nodeId: Uint8Array;
  ip: string | null;
  udp: number | null;
  status: VisitStatus;
  error: VisitError | null;
  /** Random packet -> WHOAREYOU. */
  rtt1Ms: number | null;
  /** Handshake -> first NODES. */
  rtt2Ms: number | null;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  requests: number;
  recordsReturned: number;
  startedAtMs: number;
  endedAtMs: number;
  /** FINDNODE distances asked; an array is joined with ',' at flush. */
  distances: string | readonly number[];
}

/** Arrival of one NODES packet, for packet-train analysis. */
export interface PacketRow {
  nodeId: Uint8Array;
  requestNo: number;
  packetIndex: number;
  /** process.hrtime.bigint() minus the crawl's start. */
  arrivalNs: bigint;
  size: number;
}

/** Periodic crawler counters. */
export interface ProgressRow {
  /** Ms since crawl start. */
  tMs: number;
  discovered: number;
  queued: number;
  pending: number;
  measured: number;
  failed: number;
  requests: number;
  records: number;
}

export interface CrawlParams {
  params: object;
  vantage: string;
  version: string;
  strategy: string;
  /** Defaults to Date.now(). */
  startedAtMs?: number;
}

export interface CrawlInfo {
  id: number;
  startedAtMs: number;
  endedAtMs: number | null;
  params: unknown;
  vantage: string;
  version: string;
  strategy: string;
  summary: unknown;
}

/** One row of nodesForExport; hex node ids, ms timestamps. */
export interface NodeExportRow {
  nodeId: string;
  enr: string | null;
  seq: bigint | null;
  ip: string | null;
  udp: number | null;
  tcp: number | null;
  status: VisitStatus | 'discovered';
  error: string | null;
  rttMs: number | null;
  rtt2Ms: number | null;
  eth2ForkDigest: string | null;
  network: string | null;
  client: string | null;
  c: string | null;
  attnets: string | null;
  keys: string | null;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
}

export interface VisitExportRow {
  nodeId: string;
  ip: string | null;
  udp: number | null;
  status: VisitStatus;
  error: string | null;
  rtt1Ms: number | null;
  rtt2Ms: number | null;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  requests: number;
  recordsReturned: number;
  startedAtMs: number;
  endedAtMs: number;
  distances: string;
}

export interface EdgeExportRow {
  fromNode: string;
  toNode: string;
  seq: bigint;
}

export type ExportQuery = 'nodes' | 'visits' | 'edges';
export type ExportFormat = 'csv' | 'parquet' | 'ndjson';

export interface StoreOptions {
  /** Rows per appender batch; a full batch schedules a flush. Default 2000. */
  batchRows?: number;
  /** Background flush period. Default 250 ms. */
  flushIntervalMs?: number;
  /**
   * Cap on queued rows across all tables; past it add* flushes synchronously. Default 200,000. Rows a drain has
   * handed to DuckDB stay held until its transaction commits, so at most 2x this many rows are held in JS.
   */
  maxBufferedRows?: number;
  /** DuckDB worker threads. Default 1: ingest must not compete with the crawl for cores. */
  threads?: number;
  /** DuckDB buffer-pool cap in MB (10^6 bytes, as DuckDB counts). Default 64 (DEFAULT_DUCKDB_MEMORY_MB). */
  memoryLimitMB?: number;
}

export interface StoreStats {
  rowsBuffered: number;
  rowsWritten: number;
  /** Rows the appender refused (wrong JS types); each also set lastError. */
  rowsRejected: number;
  flushes: number;
  /** Flushes forced from add* because the buffer hit maxBufferedRows. */
  syncFlushes: number;
  /** Part of flushMs spent in those forced flushes, i.e. inside add* calls. */
  syncFlushMs: number;
  /** Time the event loop spent appending batches (background and forced; forced ones outside a drain also commit there). */
  flushMs: number;
  /** Time the drains' COMMITs took on DuckDB's thread, while the event loop was free. rowsWritten / (flushMs + commitMs) is DuckDB's ingest rate. */
  commitMs: number;
  /** Time spent merging staged node sightings into `nodes` (async, mostly on DuckDB's threads). */
  mergeMs: number;
  flushErrors: number;
  lastError: Error | null;
}
