// First: sets DuckDB's allocator options before its library loads.
import './allocator.js';
import { statSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  BLOB, DOUBLE, DuckDBBlobValue, DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, UBIGINT, UINTEGER, VARCHAR,
  type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { StoreError, committedAnyway, isFatal, mapStoreError } from './errors.js';
import { DDL, EDGES_VIEW, MIGRATE_EDGES_V1, SCHEMA_VERSION, edgesExportSql, nodeSetSql, nodesExportSql, sqlString, visitsExportSql } from './schema.js';
import type {
  CrawlInfo, CrawlParams, EdgeExportRow, ExportFormat, ExportQuery, NodeExportRow, PacketRow, ProgressRow,
  RecordRow, StoreOptions, StoreStats, VisitExportRow, VisitRow,
} from './types.js';

type SqlParam = string | number | bigint | boolean | null;

// ---- row values: nullable values and hex ids, resolved at flush time into column arrays ----

function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
function ts(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.round(ms * 1000)));
}
/** Rounds so a fractional ms or byte count is stored rather than refused; non-finite values are refused (bad row). */
function int(v: number | null | undefined): number | null {
  if (v == null) return null;
  if (!Number.isFinite(v)) throw new TypeError(`not a finite integer: ${v}`);
  return Math.round(v);
}
function list(v: string | readonly (string | number)[]): string {
  return typeof v === 'string' ? v : v.join(',');
}
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
}
function num(v: unknown): number | null {
  return v == null ? null : Number(v);
}
/** geth writes times truncated to the second, RFC 3339 UTC. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// ---- row buffers ----

/**
 * Puts row `o` of a flat chunk into `out[c][r]` for each column c; returns false if the row was skipped as a
 * duplicate. Throws if a value cannot be stored (the row is then dropped as bad).
 */
type Filler = (out: unknown[][], r: number, d: unknown[], o: number, s: Store) => boolean;

interface TableSpec { table: string; width: number; types: readonly DuckDBType[]; fill: Filler }

interface Chunk { id: number; data: unknown[]; rows: number }

/**
 * Per-table queue of flat row chunks. Each chunk holds at most batchRows rows; the sum over all tables is
 * bounded by maxBufferedRows (add* flushes synchronously past it).
 */
class RowBuffer {
  /** Sealed chunks, oldest first. */
  chunks: Chunk[] = [];
  /** Open tail chunk that add* pushes into: width values per row. */
  cur: unknown[] = [];
  curRows = 0;
  rows = 0;
  nextId = 0;
  /** Chunks at the front of `chunks` already appended in the open drain transaction (kept until it commits). */
  inTxn = 0;
  constructor(readonly spec: TableSpec) {}
  seal(): void {
    if (this.curRows === 0) return;
    this.chunks.push({ id: this.nextId++, data: this.cur, rows: this.curRows });
    this.cur = [];
    this.curRows = 0;
  }
}

/** NOT NULL columns: a missing value is a bad row here, not a constraint error at commit that would fail every retry. */
function required<T>(v: T | null | undefined, what: string): T {
  if (v == null) throw new TypeError(`${what} is missing`);
  return v;
}

const blob = (b: Uint8Array | null | undefined): DuckDBBlobValue | null => (b == null ? null : new DuckDBBlobValue(b));

const RECORDS: TableSpec = {
  table: 'records', width: 2,
  types: [INTEGER, VARCHAR, UBIGINT, BLOB, VARCHAR, VARCHAR, INTEGER, INTEGER, VARCHAR, INTEGER, VARCHAR, VARCHAR, UBIGINT,
    VARCHAR, VARCHAR, VARCHAR, VARCHAR, UBIGINT, UBIGINT, VARCHAR, VARCHAR, TIMESTAMP],
  fill(c, i, d, o, s) {
    const crawlId = d[o] as number, r = d[o + 1] as RecordRow;
    const id = hex(r.nodeId);
    c[0]![i] = crawlId; c[1]![i] = id; c[2]![i] = required(r.seq, 'record.seq'); c[3]![i] = blob(r.raw);
    c[4]![i] = r.enr ?? null; c[5]![i] = r.ip ?? null; c[6]![i] = int(r.udp); c[7]![i] = int(r.tcp); c[8]![i] = r.ip6 ?? null; c[9]![i] = int(r.udp6);
    c[10]![i] = r.eth2ForkDigest ?? null; c[11]![i] = r.eth2NextForkVersion ?? null; c[12]![i] = r.eth2NextForkEpoch ?? null;
    c[13]![i] = r.attnets ?? null; c[14]![i] = r.syncnets ?? null; c[15]![i] = r.client ?? null; c[16]![i] = r.c ?? null;
    c[17]![i] = r.opstackChainId ?? null; c[18]![i] = r.opstackVersion ?? null;
    c[19]![i] = list(r.keys); c[20]![i] = r.network ?? null; c[21]![i] = ts(r.firstSeenMs);
    // Claimed last: a row that threw above is dropped without marking its (node, seq) as written.
    return s.claimRecord(crawlId, r.nodeId, c[2]![i] as bigint, r.ref); // the seq checked above
  },
};

const VISITS: TableSpec = {
  table: 'visits', width: 2,
  types: [INTEGER, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, DOUBLE, DOUBLE, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER,
    TIMESTAMP, TIMESTAMP, VARCHAR],
  fill(c, i, d, o) {
    const v = d[o + 1] as VisitRow;
    c[0]![i] = d[o]; c[1]![i] = hex(v.nodeId); c[2]![i] = v.ip ?? null; c[3]![i] = int(v.udp);
    c[4]![i] = required(v.status, 'visit.status'); c[5]![i] = v.error ?? null; c[6]![i] = v.rtt1Ms ?? null; c[7]![i] = v.rtt2Ms ?? null;
    c[8]![i] = int(v.bytesIn); c[9]![i] = int(v.bytesOut); c[10]![i] = int(v.packetsIn); c[11]![i] = int(v.packetsOut);
    c[12]![i] = int(v.requests); c[13]![i] = int(v.recordsReturned);
    c[14]![i] = ts(v.startedAtMs); c[15]![i] = ts(v.endedAtMs); c[16]![i] = list(v.distances);
    return true;
  },
};

const PACKETS: TableSpec = {
  table: 'packet_train', width: 2,
  types: [INTEGER, VARCHAR, INTEGER, INTEGER, UBIGINT, INTEGER],
  fill(c, i, d, o) {
    const p = d[o + 1] as PacketRow;
    c[0]![i] = d[o]; c[1]![i] = hex(p.nodeId); c[2]![i] = int(p.requestNo);
    c[3]![i] = int(p.packetIndex); c[4]![i] = p.arrivalNs; c[5]![i] = int(p.size);
    return true;
  },
};

const EDGES: TableSpec = {
  table: 'edge_ix', width: 4,
  types: [INTEGER, UINTEGER, UINTEGER, UBIGINT],
  fill(c, i, d, o) {
    c[0]![i] = d[o]; c[1]![i] = d[o + 1]; c[2]![i] = d[o + 2]; c[3]![i] = d[o + 3];
    return true;
  },
};

const CRAWL_NODES: TableSpec = {
  table: 'crawl_nodes', width: 3,
  types: [INTEGER, UINTEGER, VARCHAR],
  fill(c, i, d, o) {
    c[0]![i] = d[o]; c[1]![i] = d[o + 1]; c[2]![i] = hex(d[o + 2] as Uint8Array);
    return true;
  },
};

/** crawl_nodes.ix is a UINTEGER. */
const MAX_NODE_IX = 2 ** 32 - 1;

const PROGRESS: TableSpec = {
  table: 'progress', width: 2,
  types: [INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER],
  fill(c, i, d, o) {
    const p = d[o + 1] as ProgressRow;
    c[0]![i] = d[o]; c[1]![i] = int(p.tMs); c[2]![i] = int(p.discovered); c[3]![i] = int(p.queued);
    c[4]![i] = int(p.pending); c[5]![i] = int(p.measured); c[6]![i] = int(p.failed); c[7]![i] = int(p.requests);
    c[8]![i] = int(p.records);
    return true;
  },
};

const STAGING: TableSpec = {
  table: 'nodes_staging', width: 2,
  types: [VARCHAR, TIMESTAMP, INTEGER],
  fill(c, i, d, o, s) {
    c[0]![i] = hex(d[o] as Uint8Array); c[1]![i] = ts(d[o + 1] as number); c[2]![i] = s.stageGen;
    return true;
  },
};

/** Record keys a write claimed, pending its commit (refs: records given by node number, see SeqByRef). */
interface Claims { records: Array<[Set<string>, string]>; refs: Array<[SeqByRef, number, number]>; set: Set<string> }
const newClaims = (): Claims => ({ records: [], refs: [], set: new Set() });
function claimsDone(c: Claims): void {
  for (const [set, key] of c.records) set.add(key);
  for (const [m, ref, v] of c.refs) m.raise(ref, v);
  c.records.length = 0;
  c.refs.length = 0;
  c.set.clear();
}

/** Largest seq that a double holds exactly, plus one slot for the "+1" below. */
const MAX_REF_SEQ = BigInt(Number.MAX_SAFE_INTEGER) - 1n;

/**
 * The highest seq written per node number (crawl_nodes.ix) of one crawl, as seq + 1 in a Float64Array (0: none):
 * 8 B per node instead of a ~90 B string key in a set (~20 MB less heap at 250k records). Indexed from the first
 * number it saw; grows by doubling. Bound: the node numbers handed out while the crawl is open; freed by endCrawl.
 */
class SeqByRef {
  private a = new Float64Array(1024);
  constructor(readonly base: number) {}
  get(ref: number): number { const i = ref - this.base; return i < this.a.length ? this.a[i]! : 0; }
  raise(ref: number, v: number): void {
    const i = ref - this.base;
    if (i >= this.a.length) {
      let len = this.a.length * 2;
      while (len <= i) len *= 2;
      const b = new Float64Array(len);
      b.set(this.a);
      this.a = b;
    }
    if (v > this.a[i]!) this.a[i] = v;
  }
}

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const VECTOR_ROWS = 2048;

/** Appends rows [from, to) of the column arrays, one data chunk per VECTOR_ROWS. */
function appendRows(ap: DuckDBAppender, types: readonly DuckDBType[], cols: unknown[][], from: number, to: number): void {
  for (let off = from; off < to; off += VECTOR_ROWS) {
    const k = Math.min(VECTOR_ROWS, to - off);
    const dc = DuckDBDataChunk.create(types);
    dc.setColumns(off === 0 && k === cols[0]!.length ? (cols as DuckDBValue[][]) : cols.map((c) => c.slice(off, off + k) as DuckDBValue[]));
    ap.appendDataChunk(dc);
  }
}

/** Rows one forced write commits at most: well below the appender's own 204,800-row auto-commit, and a short stall. */
const FORCED_MAX_ROWS = 50_000;
/** Longest stretch a background flush appends before yielding to the event loop. */
const SLICE_MS = 8;
/** Background flushes merge staged node sightings this often (or past MERGE_ROWS); explicit flush()/queries always do. */
const MERGE_INTERVAL_MS = 5000;
const MERGE_ROWS = 100_000;
/** WAL size at which a background flush checkpoints (DuckDB's default autocheckpoint). */
const CHECKPOINT_WAL_BYTES = 16 * 2 ** 20;
const DEFAULTS = { batchRows: 2000, flushIntervalMs: 250, maxBufferedRows: 200_000 };
/** The appender commits on its own once it holds 100 vectors (204,800 rows); a batch must stay below that to commit atomically. */
const MAX_BATCH_ROWS = 100_000;

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new StoreError('ERR_STORE_OPTIONS', `${name} must be an integer in 1..${max}, got ${v}`);
  return v;
}

function badId(what: string): StoreError {
  return new StoreError('ERR_STORE_BAD_ROW', `${what} must be a 32-byte Uint8Array`);
}

/**
 * The crawler's embedded DuckDB store. add* calls only push onto in-memory buffers; a timer (or a full batch)
 * appends them outside the caller, in slices of at most SLICE_MS so sockets keep being served.
 * One Store per file: DuckDB allows one writer process.
 */
/**
 * DuckDB's buffer-pool cap. The crawler only appends, so a small pool suffices, and the crawler's RSS
 * budget (500 MB at 250k records) has to hold both; a bigger pool trades memory for fewer evictions.
 */
export const DEFAULT_DUCKDB_MEMORY_MB = 64;

export class Store {
  readonly path: string;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedRows: number;

  private instance: DuckDBInstance | null = null;
  /** Appenders live on their own connection so a sync flush never touches the one a query is running on. */
  private wconn: DuckDBConnection | null = null;
  /**
   * Forced flushes (add* past the cap) write here, each write its own autocommit, so they never wait for or join
   * the drain's transaction on wconn, whose COMMIT may be running on DuckDB's thread at that moment.
   */
  private fconn: DuckDBConnection | null = null;
  private forcedAppenders = new Map<string, DuckDBAppender>();
  private qconn: DuckDBConnection | null = null;
  private appenders = new Map<string, DuckDBAppender>();

  private readonly records = new RowBuffer(RECORDS);
  private readonly visits = new RowBuffer(VISITS);
  private readonly packets = new RowBuffer(PACKETS);
  private readonly crawlNodes = new RowBuffer(CRAWL_NODES);
  private readonly edges = new RowBuffer(EDGES);
  private readonly progress = new RowBuffer(PROGRESS);
  private readonly staging = new RowBuffer(STAGING);
  private readonly buffers = [this.records, this.visits, this.packets, this.crawlNodes, this.edges, this.progress, this.staging];
  private buffered = 0;

  /** Each open crawl's edge ends: latin1 of the node ID -> crawl_nodes.ix; one entry per node, freed by endCrawl. */
  private readonly nodeIx = new Map<number, Map<string, number>>();
  /** Next crawl_nodes.ix (unique per file, read at open). */
  private nextIx = 0;
  /** Record keys already written per open crawl, so each (node, seq) lands once; bounded by distinct records per crawl, freed by endCrawl. */
  private readonly seenRecords = new Map<number, Set<string>>();
  /** The same for records given with their node's number (RecordRow.ref), per open crawl; freed by endCrawl. */
  private readonly seqByRef = new Map<number, SeqByRef>();
  /** Keys claimed by the rows being written (one set per transaction); added to seenRecords only once it commits. */
  private claims: Claims = newClaims();
  /**
   * A drain appends inside one explicit transaction and commits it with an async COMMIT, so DuckDB's heavy part
   * (moving rows into the table, the WAL write) runs on its worker thread instead of the event loop.
   * Appended chunks stay queued (RowBuffer.inTxn) until the commit succeeds, so a failed commit loses nothing.
   */
  private txn: { appended: Array<[RowBuffer, Chunk, number]>; rows: number; committing: boolean; claims: Claims } | null = null;
  /** Generation stamped on staged node rows; a merge folds in gens <= the value it read. */
  stageGen = 1;
  private stagedRows = 0;
  private lastMerge = 0;

  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private immediate = false;
  private drainQueued = false;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | null = null;
  /** Set after a fatal DuckDB error: the next drain reopens the database before retrying. */
  private broken = false;
  /** An error a retry cannot fix (dropped bad rows); the next flush()/close() rejects with it once. */
  private pendingError: StoreError | null = null;

  private readonly st: StoreStats = {
    rowsBuffered: 0, rowsWritten: 0, rowsRejected: 0, flushes: 0, syncFlushes: 0, syncFlushMs: 0, flushMs: 0, commitMs: 0, mergeMs: 0, flushErrors: 0, lastError: null,
  };

  private readonly threads: number;
  private readonly memoryLimitMB: number;

  private constructor(path: string, opts: StoreOptions) {
    this.path = path;
    this.batchRows = positiveInt('batchRows', opts.batchRows ?? DEFAULTS.batchRows, MAX_BATCH_ROWS);
    this.flushIntervalMs = positiveInt('flushIntervalMs', opts.flushIntervalMs ?? DEFAULTS.flushIntervalMs, 3_600_000);
    this.maxBufferedRows = positiveInt('maxBufferedRows', opts.maxBufferedRows ?? DEFAULTS.maxBufferedRows, 100_000_000);
    this.threads = positiveInt('threads', opts.threads ?? 1, 256);
    this.memoryLimitMB = positiveInt('memoryLimitMB', opts.memoryLimitMB ?? DEFAULT_DUCKDB_MEMORY_MB, 1 << 20);
  }

  /**
   * Opens (creating if needed) the database at `path` and proves it takes a committed write, so a bad path,
   * a second crawler on the same file or a full disk fail here, before the crawler sends anything.
   * Use ':memory:' for a throwaway store.
   */
  static async open(path: string, opts: StoreOptions = {}): Promise<Store> {
    const s = new Store(path, opts);
    try {
      await s.connect(true);
    } catch (e) {
      s.disconnect();
      throw mapStoreError(e, path, 'open database');
    }
    s.timer = setInterval(() => s.kick(), s.flushIntervalMs);
    s.timer.unref();
    return s;
  }

  private async connect(first: boolean): Promise<void> {
    // One DuckDB thread: the store is a background writer and must not take cores from the crawl.
    this.instance = await DuckDBInstance.create(this.path, { threads: String(this.threads), memory_limit: `${this.memoryLimitMB}MB` });
    this.wconn = await this.instance.connect();
    this.fconn = await this.instance.connect();
    this.qconn = await this.instance.connect();
    const q = this.qconn;
    for (const ddl of DDL) await q.run(ddl);
    const v = (await q.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)).getRowsJS()[0]?.[0];
    if (v == null) {
      await q.run(`INSERT INTO meta VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING`, [String(SCHEMA_VERSION)]);
    } else if (Number(v) > SCHEMA_VERSION) {
      throw new StoreError('ERR_STORE_INVALID', `${this.path} has schema version ${v}; this dhtscope understands up to ${SCHEMA_VERSION}`);
    } else if (Number(v) < 2) {
      await q.run('BEGIN TRANSACTION');
      try {
        for (const sql of MIGRATE_EDGES_V1) await q.run(sql);
        await q.run(EDGES_VIEW);
        await q.run(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION)]);
        await q.run('COMMIT');
      } catch (e) {
        await q.run('ROLLBACK').catch(() => {});
        throw e;
      }
    }
    await q.run(EDGES_VIEW);
    // Read once per connect; kept in memory across reconnects (queued rows may hold numbers not yet committed).
    const maxIx = (await q.runAndReadAll('SELECT max(ix) FROM crawl_nodes')).getRowsJS()[0]?.[0];
    this.nextIx = Math.max(this.nextIx, maxIx == null ? 0 : Number(maxIx) + 1);
    // A committed write (WAL append + fsync) is the only real proof the file is writable.
    await q.run(`INSERT INTO meta VALUES ('last_opened_at', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [new Date().toISOString()]);
    // Safety net only; maybeCheckpoint() normally runs first, off the event loop.
    await q.run(`SET wal_autocheckpoint = '256MB'`);
    // Fold in node sightings a crashed run staged but never merged.
    if (first) await this.mergeNodes(true);
    for (const b of this.buffers) {
      this.appenders.set(b.spec.table, await this.wconn.createAppender(b.spec.table));
      this.forcedAppenders.set(b.spec.table, await this.fconn.createAppender(b.spec.table));
    }
  }

  private disconnect(): void {
    for (const ap of [...this.appenders.values(), ...this.forcedAppenders.values()]) try { ap.closeSync(); } catch { /* appender state is moot once we drop the instance */ }
    this.appenders.clear();
    this.forcedAppenders.clear();
    try { this.wconn?.closeSync(); } catch { /* ignore */ }
    try { this.fconn?.closeSync(); } catch { /* ignore */ }
    this.fconn = null;
    try { this.qconn?.closeSync(); } catch { /* ignore */ }
    try { this.instance?.closeSync(); } catch { /* ignore */ }
    this.wconn = this.qconn = null;
    this.instance = null;
  }

  // ---- hot path: push only ----

  private check(): void {
    if (this.state !== 'open') throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
    // Past the cap, write synchronously instead of dropping or growing; throws if the write fails (row not taken).
    // Rows in the drain's open transaction are DuckDB's already; the cap counts the rest.
    if (this.buffered - (this.txn?.rows ?? 0) >= this.maxBufferedRows) this.flushNow();
  }

  private pushed(b: RowBuffer): void {
    b.rows++;
    this.buffered++;
    if (++b.curRows >= this.batchRows) {
      b.seal();
      if (!this.immediate) {
        this.immediate = true;
        setImmediate(() => { this.immediate = false; this.kick(); });
      }
    }
  }

  addRecord(crawlId: number, r: RecordRow): void {
    this.check();
    if (r.nodeId?.length !== 32) throw badId('record.nodeId');
    this.records.cur.push(crawlId, r);
    this.pushed(this.records);
  }

  addVisit(crawlId: number, v: VisitRow): void {
    this.check();
    if (v.nodeId?.length !== 32) throw badId('visit.nodeId');
    this.visits.cur.push(crawlId, v);
    this.pushed(this.visits);
  }

  addPacket(crawlId: number, p: PacketRow): void {
    this.check();
    if (p.nodeId?.length !== 32) throw badId('packet.nodeId');
    this.packets.cur.push(crawlId, p);
    this.pushed(this.packets);
  }

  addEdge(crawlId: number, fromId: Uint8Array, toId: Uint8Array, seq: bigint): void {
    this.check();
    if (fromId?.length !== 32) throw badId('edge fromId');
    if (toId?.length !== 32) throw badId('edge toId');
    const from = this.ixOf(crawlId, fromId), to = this.ixOf(crawlId, toId);
    this.check(); // the node rows may have filled the buffer
    this.edges.cur.push(crawlId, from, to, seq);
    this.pushed(this.edges);
  }

  /**
   * An edge between two nodes numbered by nodeRef. Faster than addEdge: a crawler keeps each node's number
   * and skips the ID lookup (~16 edges per visited node).
   */
  addEdgeRefs(crawlId: number, fromRef: number, toRef: number, seq: bigint): void {
    this.check();
    if (!Number.isInteger(fromRef) || fromRef < 0 || fromRef >= this.nextIx) throw new StoreError('ERR_STORE_OPTIONS', `edge from: not a node number: ${fromRef}`);
    if (!Number.isInteger(toRef) || toRef < 0 || toRef >= this.nextIx) throw new StoreError('ERR_STORE_OPTIONS', `edge to: not a node number: ${toRef}`);
    this.edges.cur.push(crawlId, fromRef, toRef, seq);
    this.pushed(this.edges);
  }

  /** The node's number in crawl `crawlId`, for addEdgeRefs; the same ID gets the same number until endCrawl. */
  nodeRef(crawlId: number, id: Uint8Array): number {
    this.check();
    if (id?.length !== 32) throw badId('node id');
    return this.ixOf(crawlId, id);
  }

  /**
   * A new number for a node the caller numbers only once per crawl and remembers (a crawler keeps it on its
   * node object): no lookup and no memory per node here, unlike nodeRef (250k nodes would cost ~20 MB).
   */
  newNodeRef(crawlId: number, id: Uint8Array): number {
    this.check();
    if (id?.length !== 32) throw badId('node id');
    return this.allocIx(crawlId, id);
  }

  /** The node's number in this crawl's edges; the first use queues its crawl_nodes row (same or earlier transaction as the edge's). */
  private ixOf(crawlId: number, id: Uint8Array): number {
    let m = this.nodeIx.get(crawlId);
    if (!m) this.nodeIx.set(crawlId, (m = new Map()));
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
    let ix = m.get(key);
    if (ix === undefined) {
      ix = this.allocIx(crawlId, id);
      m.set(key, ix);
    }
    return ix;
  }

  private allocIx(crawlId: number, id: Uint8Array): number {
    if (this.nextIx > MAX_NODE_IX) throw new StoreError('ERR_STORE_LIMIT', `${this.path}: edge node numbers exhausted (${MAX_NODE_IX + 1} per file)`);
    this.check(); // the buffer may be full
    const ix = this.nextIx++;
    this.crawlNodes.cur.push(crawlId, ix, id.slice());
    this.pushed(this.crawlNodes);
    return ix;
  }

  addProgress(crawlId: number, s: ProgressRow): void {
    this.check();
    this.progress.cur.push(crawlId, s);
    this.pushed(this.progress);
  }

  /** Records that a node was seen at `seenAtMs`; nodes.first_seen/last_seen keep the min/max over all crawls. */
  touchNode(nodeId: Uint8Array, seenAtMs: number): void {
    this.check();
    if (nodeId?.length !== 32) throw badId('nodeId');
    this.staging.cur.push(nodeId, seenAtMs);
    this.pushed(this.staging);
  }

  // ---- flushing ----

  /** @internal called by the records writer: true if (crawl, node, seq) is new. */
  claimRecord(crawlId: number, nodeId: Uint8Array, seq: bigint, ref?: number): boolean {
    if (ref !== undefined && ref >= 0 && seq <= MAX_REF_SEQ) {
      let m = this.seqByRef.get(crawlId);
      if (!m) this.seqByRef.set(crawlId, (m = new SeqByRef(ref)));
      if (ref >= m.base) {
        // A node's record at or below the highest seq already written for it in this crawl is not written again.
        const v = Number(seq) + 1;
        if (m.get(ref) >= v) return false;
        const pk = `${crawlId}#${ref}:${v}`;
        if (this.claims.set.has(pk) || (this.txn !== null && this.txn.claims !== this.claims && this.txn.claims.set.has(pk))) return false;
        this.claims.set.add(pk);
        this.claims.refs.push([m, ref, v]);
        return true;
      }
    }
    let seen = this.seenRecords.get(crawlId);
    if (!seen) this.seenRecords.set(crawlId, (seen = new Set()));
    // The latin1 of the 32 ID bytes, joined (one flat string): half the size of hex + ':' + seq as a cons string,
    // and the set holds one per record of the crawl.
    const key = [Buffer.from(nodeId.buffer, nodeId.byteOffset, nodeId.length).toString('latin1'), seq.toString(16)].join(':');
    if (seen.has(key)) return false;
    const pk = crawlId + '/' + key;
    // A forced write must not repeat a record the open drain transaction already holds.
    if (this.claims.set.has(pk) || (this.txn !== null && this.txn.claims !== this.claims && this.txn.claims.set.has(pk))) return false;
    this.claims.set.add(pk);
    this.claims.records.push([seen, key]);
    return true;
  }

  /** Appends and commits one chunk synchronously; on failure the chunk stays queued for a retry. */
  private writeChunk(b: RowBuffer, chunk: Chunk, forced: boolean): void {
    const ap = (forced ? this.forcedAppenders : this.appenders).get(b.spec.table);
    if (!ap || this.broken) throw this.st.lastError ?? new StoreError('ERR_STORE_IO', `store ${this.path} needs a reopen`);
    const t0 = performance.now();
    const { width, fill, types } = b.spec;
    let appended = 0;
    // Forced writes commit chunk by chunk on their own connection; the others join the drain's transaction.
    const txn = forced ? null : this.txn;
    if (!forced && !txn) throw new StoreError('ERR_STORE_IO', 'internal: a background write outside its transaction');
    this.claims = txn ? txn.claims : newClaims();
    try {
      // Column arrays, then one data chunk per DuckDB vector: a native call per string value and one per column
      // for numbers, instead of one per value.
      const cols = types.map(() => new Array<unknown>(chunk.rows));
      let n = 0;
      for (let i = 0; i < chunk.rows; i++) {
        try {
          if (fill(cols, n, chunk.data, i * width, this)) n++;
        } catch (e) {
          if (isFatal(e)) throw e;
          this.rejectRow(b, e);
        }
      }
      for (const col of cols) col.length = n;
      try {
        appendRows(ap, types, cols, 0, n);
        appended = n;
      } catch (e) {
        if (isFatal(e)) throw e;
        // A value the vectors refused: a retry would fail the same way, so find it row by row and drop it.
        ap.clear();
        appended = 0;
        for (let r = 0; r < n; r++) {
          try {
            appendRows(ap, types, cols, r, r + 1);
            appended++;
          } catch (e2) {
            if (isFatal(e2)) throw e2;
            this.rejectRow(b, e2);
          }
        }
      }
      // Inside a drain transaction this only hands the rows to DuckDB's transaction-local storage.
      ap.flushSync();
    } catch (e) {
      try { ap.clear(); } catch { /* the reopen below replaces it */ }
      if (isFatal(e)) this.broken = true;
      if (txn) throw e; // the drain rolls the whole transaction back
      if (!committedAnyway(e)) {
        this.st.flushMs += performance.now() - t0;
        throw e;
      }
      // The batch is durable; only the checkpoint after it failed. Count it written, then report the error.
      this.chunkDone(b, chunk, appended, t0);
      throw e;
    }
    if (txn) {
      txn.appended.push([b, chunk, appended]);
      txn.rows += chunk.rows;
      b.inTxn++;
      this.st.flushMs += performance.now() - t0;
    } else {
      this.chunkDone(b, chunk, appended, t0);
    }
  }

  private rejectRow(b: RowBuffer, e: unknown): void {
    const err = new StoreError('ERR_STORE_BAD_ROW', `dropped a ${b.spec.table} row the appender refused: ${e instanceof Error ? e.message : String(e)}`, e);
    this.st.rowsRejected++;
    this.st.lastError = err;
    this.pendingError = err;
  }

  /** A forced chunk committed: its rows leave the queue and its record keys count as written. */
  private chunkDone(b: RowBuffer, chunk: Chunk, appended: number, t0: number): void {
    claimsDone(this.claims);
    this.rowsDone(b, chunk, appended);
    this.st.flushMs += performance.now() - t0;
  }

  private rowsDone(b: RowBuffer, chunk: Chunk, appended: number): void {
    if (b === this.staging) this.stagedRows += appended;
    // Forced writes take the first chunk past the transaction's, so not always the head.
    const at = b.chunks.indexOf(chunk);
    if (at >= 0) b.chunks.splice(at, 1);
    b.rows -= chunk.rows;
    this.buffered -= chunk.rows;
    this.st.rowsWritten += appended;
  }

  /** The drain transaction committed: its chunks leave the queues and its record keys count as written. */
  private txnCommitted(): void {
    const txn = this.txn!;
    this.txn = null;
    claimsDone(txn.claims);
    for (const [b, chunk, appended] of txn.appended) {
      b.inTxn--;
      this.rowsDone(b, chunk, appended);
    }
  }

  /** The drain transaction failed: its chunks stay queued for the next drain and its claims are forgotten. */
  private txnFailed(): void {
    this.txn = null;
    for (const b of this.buffers) b.inTxn = 0;
    for (const ap of this.appenders.values()) try { ap.clear(); } catch { /* the reopen replaces it */ }
  }

  private fail(e: unknown, doing: string): StoreError {
    const err = mapStoreError(e, this.path, doing);
    if (isFatal(e)) this.broken = true;
    this.st.flushErrors++;
    this.st.lastError = err;
    return err;
  }

  /**
   * Synchronous emergency flush from add* once the cap is hit: writes the biggest buffers' oldest batches until
   * a few batches' room is free, so each stall stays short (~4 batches) and the producer is throttled to
   * DuckDB's pace. Appends only; the nodes merge waits for the next drain.
   */
  private flushNow(): void {
    this.st.syncFlushes++;
    const t0 = performance.now();
    const target = Math.max(0, this.maxBufferedRows - 4 * this.batchRows);
    try {
      // Chunks already in the drain's open transaction stay there; the rest commit here, chunk by chunk.
      const open = (x: RowBuffer) => x.rows - this.txnRowsOf(x);
      while (this.buffered - (this.txn?.rows ?? 0) > target) {
        let b = this.buffers[0]!;
        for (const x of this.buffers) if (open(x) > open(b)) b = x;
        if (b.chunks.length === b.inTxn) b.seal();
        if (b.chunks.length === b.inTxn) break;
        this.writeChunk(b, this.mergeOpenChunks(b, Math.min(4 * this.batchRows, this.buffered - (this.txn?.rows ?? 0) - target)), true);
      }
    } catch (e) {
      throw this.fail(e, 'write database');
    } finally {
      this.st.syncFlushMs += performance.now() - t0;
    }
  }

  /**
   * Writes what was buffered when it started, yielding to the event loop every SLICE_MS, then merges staged
   * nodes (if due) and checkpoints (if the WAL is big). Runs under the lock.
   */
  private async drain(mergeNow: boolean): Promise<void> {
    const before = this.buffered + this.stagedRows;
    if (before > 0 || this.broken) this.st.flushes++;
    try {
      if (this.broken) {
        this.disconnect();
        await this.connect(false);
        this.broken = false;
      }
      for (const b of this.buffers) b.seal();
      if (this.buffers.some((b) => b.chunks.length > 0)) await this.writeInTransaction();
      const due = mergeNow || this.stagedRows >= MERGE_ROWS || performance.now() - this.lastMerge >= MERGE_INTERVAL_MS;
      if (this.stagedRows > 0 && due) await this.mergeNodes(false);
      await this.maybeCheckpoint();
    } catch (e) {
      throw this.fail(e, 'write database');
    }
  }

  /** Appends every chunk queued when it starts inside one transaction, then commits it off the event loop. */
  private async writeInTransaction(): Promise<void> {
    const w = this.wconn!;
    const upto = this.buffers.map((b) => b.nextId - 1);
    await w.run('BEGIN TRANSACTION');
    this.txn = { appended: [], rows: 0, committing: false, claims: newClaims() };
    try {
      let slice = performance.now();
      for (let i = 0; i < this.buffers.length; i++) {
        const b = this.buffers[i]!;
        while (b.chunks.length > b.inTxn && b.chunks[b.inTxn]!.id <= upto[i]!) {
          this.writeChunk(b, b.chunks[b.inTxn]!, false);
          // Hold the event loop for at most ~SLICE_MS at a time so the crawler's sockets keep being served.
          if (this.state === 'open' && performance.now() - slice > SLICE_MS) {
            await yieldToLoop();
            slice = performance.now();
          }
        }
      }
      this.txn.committing = true;
      const c0 = performance.now();
      try {
        await w.run('COMMIT');
      } catch (e) {
        if (!committedAnyway(e)) throw e;
        this.txnCommitted();
        throw e;
      } finally {
        this.st.commitMs += performance.now() - c0;
      }
      this.txnCommitted();
    } catch (e) {
      if (this.txn) {
        if (isFatal(e)) this.broken = true;
        try { await w.run('ROLLBACK'); } catch { /* nothing left to roll back, or the reopen replaces it */ }
        this.txnFailed();
      }
      throw e;
    }
  }

  /**
   * Joins the queued chunks past the transaction's into one of about `rows` rows (at most FORCED_MAX_ROWS), so a
   * forced write is one commit instead of one per batch.
   */
  private mergeOpenChunks(b: RowBuffer, rows: number): Chunk {
    const first = b.chunks[b.inTxn]!;
    let end = b.inTxn + 1, n = first.rows;
    while (end < b.chunks.length && n < rows && n + b.chunks[end]!.rows <= FORCED_MAX_ROWS) n += b.chunks[end++]!.rows;
    if (end === b.inTxn + 1) return first;
    const parts = b.chunks.slice(b.inTxn, end);
    const merged: Chunk = { id: parts[parts.length - 1]!.id, data: parts.flatMap((c) => c.data), rows: n };
    b.chunks.splice(b.inTxn, parts.length, merged);
    return merged;
  }

  private txnRowsOf(b: RowBuffer): number {
    let n = 0;
    for (let i = 0; i < b.inTxn; i++) n += b.chunks[i]!.rows;
    return n;
  }

  /**
   * DuckDB's own autocheckpoint runs inside whichever commit crosses the WAL limit, i.e. inside a synchronous
   * appender flush on the event loop (100-300 ms stalls). So it is pushed far out at open and we checkpoint here,
   * on the query connection, whose calls run on DuckDB's worker thread.
   */
  private async maybeCheckpoint(): Promise<void> {
    if (this.path === ':memory:' || !this.qconn) return;
    let walBytes = 0;
    try { walBytes = statSync(this.path + '.wal').size; } catch { return; } // no WAL: nothing to fold in
    if (walBytes < CHECKPOINT_WAL_BYTES) return;
    try {
      await this.qconn.run('CHECKPOINT');
    } catch (e) {
      // Skipped because another transaction was open (a forced flush): harmless, the next drain tries again.
      if (isFatal(e) || !/other transactions|Cannot CHECKPOINT/i.test(e instanceof Error ? e.message : String(e))) throw e;
    }
  }

  /** Folds staged sightings into nodes (first_seen = min, last_seen = max). `all` merges every gen (open time only). */
  private async mergeNodes(all: boolean): Promise<void> {
    const q = this.qconn!;
    const g = all ? 2 ** 31 - 1 : this.stageGen++;
    this.lastMerge = performance.now();
    const n = this.stagedRows;
    this.stagedRows = 0;
    const t0 = performance.now();
    try {
      await q.run('BEGIN TRANSACTION');
      await q.run(`INSERT INTO nodes SELECT node_id, min(seen_at), max(seen_at) FROM nodes_staging WHERE gen <= ${g} GROUP BY node_id
        ON CONFLICT (node_id) DO UPDATE SET first_seen = least(first_seen, excluded.first_seen), last_seen = greatest(last_seen, excluded.last_seen)`);
      await q.run(`DELETE FROM nodes_staging WHERE gen <= ${g}`);
      await q.run('COMMIT');
    } catch (e) {
      this.stagedRows += n;
      try { await q.run('ROLLBACK'); } catch { /* no transaction left to roll back */ }
      throw e;
    } finally {
      this.st.mergeMs += performance.now() - t0;
    }
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Timer / full-batch trigger. Errors are kept in stats.lastError and resurface from flush()/close(). */
  private kick(): void {
    if (this.state !== 'open' || this.drainQueued) return;
    if (this.buffered === 0 && this.stagedRows === 0 && !this.broken) return;
    this.drainQueued = true;
    this.withLock(() => { this.drainQueued = false; return this.drain(false); }).catch(() => undefined);
  }

  /**
   * Writes everything buffered so far. Retries rows an earlier background flush failed on; rejects with a
   * StoreError if the write still fails, or (once) if rows were dropped as unwritable since the last call.
   */
  async flush(): Promise<void> {
    if (this.state === 'closed') throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
    await this.withLock(() => this.drain(true));
    const pe = this.pendingError;
    if (pe) { this.pendingError = null; throw pe; }
  }

  /**
   * Flushes, then closes appenders, connections and the database. Idempotent. If the final flush fails the store
   * stays open (add* refused) so close() can be retried once the cause (e.g. disk space) is fixed.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    if (this.closing) return this.closing;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const p = this.withLock(async () => {
      await this.drain(true);
      this.disconnect();
      this.state = 'closed';
      this.seenRecords.clear();
      this.seqByRef.clear();
      this.nodeIx.clear();
      const pe = this.pendingError;
      if (pe) { this.pendingError = null; throw pe; }
    });
    this.closing = p.catch((e) => { if (this.state !== 'closed') this.closing = null; throw e; });
    return this.closing;
  }

  stats(): StoreStats {
    return { ...this.st, rowsBuffered: this.buffered };
  }

  /** DuckDB-side write throughput: rows committed per second of append plus commit time. */
  rowsPerSec(): number {
    const ms = this.st.flushMs + this.st.commitMs;
    return ms > 0 ? (this.st.rowsWritten / ms) * 1000 : 0;
  }

  /** Last flush error (also in stats()). */
  get lastError(): Error | null {
    return this.st.lastError;
  }

  // ---- crawl lifecycle ----

  async beginCrawl(p: CrawlParams): Promise<number> {
    if (this.state !== 'open') throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
    const ms = p.startedAtMs ?? Date.now();
    return this.withLock(async () => {
      try {
        const r = await this.qconn!.runAndReadAll(
          `INSERT INTO crawls (id, started_at, params, vantage, version, strategy)
           SELECT coalesce(max(id), 0) + 1, epoch_ms($1::BIGINT), $2::JSON, $3, $4, $5 FROM crawls RETURNING id`,
          [BigInt(Math.round(ms)), toJson(p.params), p.vantage, p.version, p.strategy],
        );
        return Number(r.getRowsJS()[0]![0]);
      } catch (e) {
        throw mapStoreError(e, this.path, 'start a crawl in database');
      }
    });
  }

  /**
   * Flushes, then stamps ended_at and the summary. A write failure rejects before the stamp (retry endCrawl);
   * dropped bad rows are reported after it.
   */
  async endCrawl(crawlId: number, summary: object, endedAtMs = Date.now()): Promise<void> {
    let dropped: StoreError | null = null;
    try {
      await this.flush();
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'ERR_STORE_BAD_ROW')) throw e;
      dropped = e;
    }
    await this.withLock(async () => {
      let rows;
      try {
        rows = (await this.qconn!.runAndReadAll(
          `UPDATE crawls SET ended_at = epoch_ms($1::BIGINT), summary = $2::JSON WHERE id = $3 RETURNING id`,
          [BigInt(Math.round(endedAtMs)), toJson(summary), crawlId],
        )).getRowsJS();
      } catch (e) {
        throw mapStoreError(e, this.path, 'end a crawl in database');
      }
      if (rows.length === 0) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawl ${crawlId} in ${this.path}`);
    });
    this.seenRecords.delete(crawlId);
    this.seqByRef.delete(crawlId);
    this.nodeIx.delete(crawlId);
    if (dropped) throw dropped;
  }

  // ---- queries ----

  /**
   * Writes buffered rows before a read so it sees them. Best effort: if the write fails the read still runs on
   * what is committed (a report should not die with the disk), and the error stays queued for flush()/close().
   */
  private async settle(): Promise<void> {
    if (this.state === 'closed') throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
    await this.withLock(() => this.drain(true)).catch(() => undefined);
  }

  /** Runs SQL on the store and returns plain row objects (BIGINT/UBIGINT as bigint, TIMESTAMP as Date, LIST as array). */
  async query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]> {
    await this.settle();
    return this.withLock(async () => {
      if (!this.qconn) throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
      try {
        return (await this.qconn.runAndReadAll(sql, params)).getRowObjectsJS() as T[];
      } catch (e) {
        throw mapStoreError(e, this.path, 'query database');
      }
    });
  }

  async listCrawls(): Promise<CrawlInfo[]> {
    const rows = await this.query(`SELECT id, epoch_ms(started_at) AS s, epoch_ms(ended_at) AS e, params::VARCHAR AS params,
      vantage, version, strategy, summary::VARCHAR AS summary FROM crawls ORDER BY id`);
    return rows.map((r) => ({
      id: Number(r.id), startedAtMs: Number(r.s), endedAtMs: num(r.e),
      params: r.params == null ? null : JSON.parse(r.params as string),
      vantage: r.vantage as string, version: r.version as string, strategy: r.strategy as string,
      summary: r.summary == null ? null : JSON.parse(r.summary as string),
    }));
  }

  async latestCrawlId(): Promise<number | null> {
    const rows = await this.query(`SELECT max(id) AS id FROM crawls`);
    return num(rows[0]?.id);
  }

  /** Validates an explicit id or picks the latest crawl. */
  private async crawlOrLatest(crawlId?: number): Promise<number> {
    if (crawlId === undefined) {
      const id = await this.latestCrawlId();
      if (id === null) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawls in ${this.path}`);
      return id;
    }
    if (!Number.isSafeInteger(crawlId)) throw new StoreError('ERR_STORE_OPTIONS', `crawl id must be an integer, got ${crawlId}`);
    const rows = await this.query(`SELECT 1 FROM crawls WHERE id = $1`, [crawlId]);
    if (rows.length === 0) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawl ${crawlId} in ${this.path}`);
    return crawlId;
  }

  /** One row per node with a record or a visit in the crawl (default: latest), sorted by node id. */
  async nodesForExport(crawlId?: number): Promise<NodeExportRow[]> {
    const c = await this.crawlOrLatest(crawlId);
    const rows = await this.query(`SELECT * REPLACE (epoch_ms(first_seen) AS first_seen, epoch_ms(last_seen) AS last_seen)
      FROM (${nodesExportSql(c)}) ORDER BY node_id`);
    return rows.map((r) => ({
      nodeId: r.node_id as string, enr: r.enr as string | null, seq: r.seq as bigint | null,
      ip: r.ip as string | null, udp: num(r.udp), tcp: num(r.tcp),
      status: r.status as NodeExportRow['status'], error: r.error as string | null,
      rttMs: num(r.rtt_ms), rtt2Ms: num(r.rtt2_ms),
      eth2ForkDigest: r.eth2_fork_digest as string | null, network: r.network as string | null,
      client: r.client as string | null, c: r.c as string | null, attnets: r.attnets as string | null,
      keys: r.keys as string | null, firstSeenMs: num(r.first_seen), lastSeenMs: num(r.last_seen),
    }));
  }

  async visitsForExport(crawlId?: number): Promise<VisitExportRow[]> {
    const c = await this.crawlOrLatest(crawlId);
    const rows = await this.query(`SELECT * REPLACE (epoch_ms(started_at) AS started_at, epoch_ms(ended_at) AS ended_at)
      FROM (${visitsExportSql(c)}) ORDER BY started_at, node_id`);
    return rows.map((r) => ({
      nodeId: r.node_id as string, ip: r.ip as string | null, udp: num(r.udp),
      status: r.status as VisitExportRow['status'], error: r.error as string | null,
      rtt1Ms: num(r.rtt1_ms), rtt2Ms: num(r.rtt2_ms),
      bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out), packetsIn: Number(r.packets_in), packetsOut: Number(r.packets_out),
      requests: Number(r.requests), recordsReturned: Number(r.records_returned),
      startedAtMs: Number(r.started_at), endedAtMs: Number(r.ended_at), distances: r.distances as string,
    }));
  }

  async edgesForExport(crawlId?: number): Promise<EdgeExportRow[]> {
    const c = await this.crawlOrLatest(crawlId);
    const rows = await this.query(edgesExportSql(c));
    return rows.map((r) => ({ fromNode: r.from_node as string, toNode: r.to_node as string, seq: r.seq as bigint }));
  }

  /** Writes a query's rows with DuckDB's COPY; ndjson is one JSON object per line. Returns the row count. */
  async exportTable(query: ExportQuery, crawlId: number | undefined, format: ExportFormat, outPath: string): Promise<number> {
    const c = await this.crawlOrLatest(crawlId);
    const sql = query === 'nodes' ? nodesExportSql(c) : query === 'visits' ? visitsExportSql(c) : query === 'edges' ? edgesExportSql(c) : null;
    const fmt = format === 'csv' ? 'FORMAT CSV, HEADER true' : format === 'parquet' ? 'FORMAT PARQUET' : format === 'ndjson' ? 'FORMAT JSON' : null;
    if (sql === null) throw new StoreError('ERR_STORE_OPTIONS', `unknown export ${String(query)}`);
    if (fmt === null) throw new StoreError('ERR_STORE_OPTIONS', `unknown export format ${String(format)}`);
    await this.settle();
    return this.withLock(async () => {
      if (!this.qconn) throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
      try {
        const r = await this.qconn.runAndReadAll(`COPY (${sql}) TO ${sqlString(outPath)} (${fmt})`);
        return Number(r.getRowsJS()[0]?.[0] ?? 0);
      } catch (e) {
        throw mapStoreError(e, outPath, 'export to');
      }
    });
  }

  /**
   * go-ethereum devp2p nodes.json for a crawl (default: latest): every node with a record in it, keyed by node id hex,
   * keys sorted. score replays geth's rule over crawls <= this one (+1 per crawl with a measured visit, halved per
   * crawl where all visits failed); times are visit start times, truncated to seconds like geth. Zero fields are omitted.
   */
  async nodesJson(crawlId?: number): Promise<string> {
    const c = await this.crawlOrLatest(crawlId);
    const rows = await this.query(nodeSetSql(c));
    const out: string[] = [];
    for (const r of rows) {
      let score = 0;
      for (const ok of (r.oks as boolean[] | null) ?? []) score = ok ? score + 1 : Math.floor(score / 2);
      const f = [`    "seq": ${(r.seq as bigint).toString()}`, `    "record": ${JSON.stringify(r.enr ?? '')}`];
      if (score > 0) f.push(`    "score": ${score}`);
      if (r.first_ok_ms != null) f.push(`    "firstResponse": "${rfc3339(Number(r.first_ok_ms))}"`);
      if (r.last_ok_ms != null) f.push(`    "lastResponse": "${rfc3339(Number(r.last_ok_ms))}"`);
      if (r.checked_ms != null) f.push(`    "lastCheck": "${rfc3339(Number(r.checked_ms))}"`);
      out.push(`  ${JSON.stringify(r.node_id)}: {\n${f.join(',\n')}\n  }`);
    }
    return out.length === 0 ? '{}\n' : `{\n${out.join(',\n')}\n}\n`;
  }
}
