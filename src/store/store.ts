// The crawl store as the producer sees it. add() only writes a row into a column batch; full batches (and,
// every flushIntervalMs, partial ones) are transferred to the writer thread, which appends and commits them
// (writer-worker.ts). Queries and exports run there too, in order with the writes.
// First: sets DuckDB's allocator options before the writer thread loads its library.
import './allocator.js';
import { Worker } from 'node:worker_threads';
import { transferList, TableBuffer, type TableBatch } from './batch.js';
import type { InputRow, TableDecl } from './columns.js';
import { StoreError } from './errors.js';
import { crawlOrLatest, exportSql, formatNodesJson, nodeSetSql, type ExportQuery } from './exports.js';
import type { ExportFormat, SqlParam } from './backend.js';
import { CRAWL_NODES, EDGE_IX, NODES_STAGING, TABLES, type DhtProtocol } from './tables.js';
import {
  DONE_SLOT, ERRORS_SLOT, SHARED_BYTES, sharedViews, type CallOp, type FromWriter, type ToWriter, type WireError, type WriterInit, type WriterStats,
} from './protocol.js';

export interface StoreOptions {
  /** Rows per column batch; a full batch goes to the writer at once. Default 2048 (one DuckDB vector). */
  batchRows?: number;
  /** Partial batches go to the writer this often. Default 250 ms. */
  flushIntervalMs?: number;
  /**
   * Rows held outside the database (in open batches, in flight, or kept on the writer after a failed write).
   * Past half of it the crawl's adaptive rate backs off (loadProbe); at it, add() waits for the writer.
   * Default 200,000.
   */
  maxBufferedRows?: number;
  /** How long add() waits for room before it throws ERR_STORE_BACKLOG. Default 60 s. */
  stallTimeoutMs?: number;
  /** DuckDB threads. Default 1: the writer must not compete with the crawl for cores. */
  threads?: number;
  /** DuckDB buffer-pool cap in MB (10^6 bytes, as DuckDB counts). Default DEFAULT_DUCKDB_MEMORY_MB. */
  memoryLimitMB?: number;
}

/**
 * DuckDB's buffer-pool cap. The crawler only appends, so a small pool suffices, and the crawler's RSS budget
 * has to hold both; a bigger pool trades memory for fewer evictions.
 */
export const DEFAULT_DUCKDB_MEMORY_MB = 64;

/** How long abort() lets the writer close the database before the thread is terminated regardless. */
const ABORT_DROP_WAIT_MS = 2000;

const DEFAULTS = { batchRows: 2048, flushIntervalMs: 250, maxBufferedRows: 200_000, stallTimeoutMs: 60_000, threads: 1 };
/** The appender commits on its own at 100 vectors (204,800 rows); a batch stays below that to commit whole. */
const MAX_BATCH_ROWS = 100_000;
/**
 * The writer's young generation. Its garbage is short-lived (a write's values die with the write), so small
 * semi-spaces cost little scavenging and keep the crawl's RSS bound (BENCHMARKS.md, "Scale").
 */
const WRITER_YOUNG_GEN_MB = 8;
/** One wait for the writer while add() is blocked; the stall timeout is checked between waits. */
const WAIT_SLICE_MS = 100;

export interface StoreStats extends WriterStats {
  /** Rows not yet committed: open batches plus rows with the writer. */
  rowsBuffered: number;
  /** Times add() had to wait for the writer, and for how long in all. */
  blocks: number;
  blockedMs: number;
  lastError: Error | null;
}

export interface CrawlParams {
  params: object;
  vantage: string;
  version: string;
  strategy: string;
  /** Defaults to Date.now(). */
  startedAtMs?: number;
  /** The monitor campaign running the crawl, if any. */
  campaignId?: number | null;
  /** The vantage's own endpoint (`ip:port`) when bound to a specific address. */
  vantageAddr?: string | null;
  /** The DHT protocol crawled; default DEFAULT_CRAWL_PROTOCOL. */
  protocol?: DhtProtocol;
}

/** The protocol of a crawl begun without one: the store's callers before libp2p crawls were all discv5. */
export const DEFAULT_CRAWL_PROTOCOL: DhtProtocol = 'discv5';

export interface CampaignParams {
  params: object;
  vantage: string;
  vantageAddr?: string | null;
  version: string;
  /** Defaults to Date.now(). */
  startedAtMs?: number;
  /** Join the newest campaign of this name not ended, or start it. */
  sharedName?: string | null;
  /** The DHT protocol monitored; default DEFAULT_CRAWL_PROTOCOL. */
  protocol?: DhtProtocol;
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

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new StoreError('ERR_STORE_OPTIONS', `${name} must be an integer in 1..${max}, got ${v}`);
  return v;
}

/** crawl_nodes.ix is a UINTEGER. */
const MAX_NODE_IX = 2 ** 32 - 1;

const fromWire = (e: WireError) => new StoreError(e.code, e.message);
const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** One Store per file: DuckDB allows one writer process. */
export class Store {
  private readonly batchRows: number;
  private readonly maxBufferedRows: number;
  private readonly stallTimeoutMs: number;
  private readonly buffers = new Map<string, TableBuffer>();
  private openRows = 0;
  /** Rows transferred to the writer so far; minus its done count, the rows it still holds. */
  private sentRows = 0;
  private readonly counts: BigInt64Array;
  private readonly wake: Int32Array;
  private timer: NodeJS.Timeout | null = null;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | null = null;
  /** Calls waiting for the writer's reply; bounded by the callers' own awaits. */
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextCall = 1;
  private writerStats: WriterStats = { committed: {}, rowsWritten: 0, rowsRejected: 0, writes: 0, writeErrors: 0, appendMs: 0, tableMs: {}, commitMs: 0, mergeMs: 0 };
  private lastErr: StoreError | null = null;
  /** Rows the database dropped since the last flush(); reported by it once. */
  private pendingError: StoreError | null = null;
  private blocks = 0;
  private blockedMs = 0;
  /**
   * Told once when add() finds the writer failing (or stalled) at the row bound. With a listener, add() then
   * keeps taking rows past the bound instead of throwing, so the listener can stop the producer without
   * losing the rows in flight; without one, add() throws ERR_STORE_BACKLOG.
   */
  onStall: ((e: StoreError) => void) | null = null;
  private stalled: StoreError | null = null;
  /** The writer thread ended on its own; with an onStall listener, add() then counts rows as lost. */
  private writerDied = false;
  private rowsLost = 0;
  /** Next crawl_nodes.ix (unique per file; the writer read the highest at open). */
  private nextIx: number;
  /** Each open crawl's node numbers by ID (latin1 of the 32 bytes), for addEdge; freed by endCrawl. */
  private readonly nodeIx = new Map<number, Map<string, number>>();

  private constructor(readonly path: string, private readonly worker: Worker, sab: SharedArrayBuffer, nextIx: number, opts: Required<Pick<StoreOptions, 'batchRows' | 'maxBufferedRows' | 'stallTimeoutMs'>>) {
    ({ counts: this.counts, wake: this.wake } = sharedViews(sab));
    this.nextIx = nextIx;
    this.batchRows = opts.batchRows;
    this.maxBufferedRows = opts.maxBufferedRows;
    this.stallTimeoutMs = opts.stallTimeoutMs;
    for (const t of TABLES) if (t.batched) this.buffers.set(t.name, new TableBuffer(t, this.batchRows));
    worker.on('message', (m: FromWriter) => this.onMessage(m));
    worker.on('error', (e) => this.writerGone(e));
    worker.on('exit', () => this.writerGone(null));
  }

  /**
   * Starts the writer thread and opens (creating if needed) the database there; a bad path, a locked file or
   * a full disk fail here, before a crawl sends anything. ':memory:' gives a throwaway store.
   */
  static async open(path: string, opts: StoreOptions = {}): Promise<Store> {
    const o = {
      batchRows: positiveInt('batchRows', opts.batchRows ?? DEFAULTS.batchRows, MAX_BATCH_ROWS),
      flushIntervalMs: positiveInt('flushIntervalMs', opts.flushIntervalMs ?? DEFAULTS.flushIntervalMs, 3_600_000),
      maxBufferedRows: positiveInt('maxBufferedRows', opts.maxBufferedRows ?? DEFAULTS.maxBufferedRows, 100_000_000),
      stallTimeoutMs: positiveInt('stallTimeoutMs', opts.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs, 3_600_000),
    };
    const backend = {
      threads: positiveInt('threads', opts.threads ?? DEFAULTS.threads, 256),
      memoryLimitMB: positiveInt('memoryLimitMB', opts.memoryLimitMB ?? DEFAULT_DUCKDB_MEMORY_MB, 1 << 20),
    };
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const init: WriterInit = { path, opts: backend, shared };
    // No execArgv: the writer needs none of the process's flags, and some (--input-type, --eval) stop a worker.
    const worker = new Worker(new URL('./writer-worker.js', import.meta.url), {
      workerData: init, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GEN_MB },
    });
    const first = await new Promise<FromWriter | Error>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', resolve);
      worker.once('exit', (code) => resolve(new Error(`writer thread exited with code ${code}`)));
    });
    if (first instanceof Error || first.op !== 'ready') {
      await worker.terminate();
      if (first instanceof Error) throw new StoreError('ERR_STORE_IO', `store writer failed to start for ${path}: ${first.message}`, first);
      throw fromWire((first as Extract<FromWriter, { op: 'open-failed' }>).error);
    }
    const s = new Store(path, worker, shared, first.nextNodeIx, o);
    s.timer = setInterval(() => s.sendAll(), o.flushIntervalMs);
    s.timer.unref();
    return s;
  }

  private onMessage(m: FromWriter): void {
    if (m.op === 'reply') {
      const c = this.calls.get(m.id);
      if (!c) return;
      this.calls.delete(m.id);
      if (m.ok) c.resolve(m.value);
      else c.reject(fromWire(m.error));
    } else if (m.op === 'stats') {
      this.writerStats = m.stats;
      if (m.error) this.lastErr = fromWire(m.error);
      if (m.rejected) this.lastErr = this.pendingError = fromWire(m.rejected);
    }
  }

  private closedError(): StoreError {
    return new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
  }

  private writerGone(e: Error | null): void {
    if (this.state === 'closed') return;
    const err = new StoreError('ERR_STORE_IO', `store writer for ${this.path} stopped${e ? `: ${e.message}` : ''}`, e ?? undefined);
    this.lastErr = err;
    this.state = 'closed';
    this.writerDied = true;
    if (this.timer) clearInterval(this.timer);
    for (const c of this.calls.values()) c.reject(err);
    this.calls.clear();
    if (!this.stalled && this.onStall) { this.stalled = err; this.onStall(err); }
  }

  private call(m: { op: 'flush'; merge: boolean } | { op: 'close' } | { op: 'call'; method: CallOp; args: unknown[] }): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id } as ToWriter);
    });
  }

  // ---- hot path: rows into column batches ----

  /** Rows the writer holds that are not committed yet. */
  private inFlight(): number {
    return this.sentRows - Number(Atomics.load(this.counts, DONE_SLOT));
  }

  /** Rows not yet in the database, as a share of maxBufferedRows. */
  backlog(): number {
    return (this.openRows + this.inFlight()) / this.maxBufferedRows;
  }

  /** Load signal for the crawl's adaptive rate: saturated once half the buffer bound is in use. */
  readonly loadProbe = { utilization: (): number => Math.min(1, this.backlog() * 2) };

  /**
   * Adds a row to table `t`. Throws ERR_STORE_BAD_ROW (row not taken) for a value that does not fit its
   * column, ERR_STORE_BACKLOG if the writer cannot take rows (failing writes, or stalled past stallTimeoutMs).
   */
  add<T extends TableDecl>(t: T, row: InputRow<T>): void {
    if (this.state !== 'open') {
      // The listener was told and is stopping the producer; throwing here would land in its socket handlers.
      if (this.writerDied && this.onStall) { this.rowsLost++; return; }
      throw this.closedError();
    }
    if (this.stalled === null && this.openRows + this.inFlight() >= this.maxBufferedRows) this.waitForRoom();
    const b = this.buffers.get(t.name) as TableBuffer<T> | undefined;
    if (!b) throw new StoreError('ERR_STORE_OPTIONS', `${t.name} is not a batched table of this store`);
    try {
      b.add(row);
    } catch (e) {
      throw new StoreError('ERR_STORE_BAD_ROW', `${t.name} row refused: ${(e as Error).message}`, e);
    }
    this.openRows++;
    // Every open batch goes with a full one, in table order: a row never reaches the writer ahead of the rows
    // added before it (an edge ahead of the crawl_nodes row that numbers its ends, were the process killed).
    if (b.full) this.sendAll();
  }

  private send(batches: TableBatch[]): void {
    let rows = 0;
    for (const b of batches) rows += b.rows;
    this.openRows -= rows;
    this.sentRows += rows;
    this.worker.postMessage({ op: 'batches', batches } satisfies ToWriter, batches.flatMap(transferList));
  }

  /** Hands every open batch to the writer. */
  private sendAll(): void {
    if (this.state === 'closed' || this.openRows === 0) return;
    const batches: TableBatch[] = [];
    for (const b of this.buffers.values()) {
      const s = b.seal();
      if (s) batches.push(s);
    }
    this.send(batches);
  }

  /**
   * The writer is maxBufferedRows behind: block this thread until it has committed a few batches' worth.
   * Blocking is the bound on memory; the adaptive rate (loadProbe) normally backs off long before.
   */
  private waitForRoom(): void {
    this.sendAll();
    const t0 = performance.now();
    const target = Math.max(0, this.maxBufferedRows - 4 * this.batchRows);
    const errors0 = Atomics.load(this.counts, ERRORS_SLOT);
    this.blocks++;
    try {
      for (;;) {
        // Read the wake count before the check, so a commit between the two ends the wait at once.
        const wake = Atomics.load(this.wake, 0);
        if (this.inFlight() <= target) break;
        let err: StoreError | null = null;
        if (Atomics.load(this.counts, ERRORS_SLOT) !== errors0) {
          err = new StoreError('ERR_STORE_BACKLOG', `store ${this.path}: ${this.inFlight()} rows wait for the writer and its writes fail${this.lastErr ? ` (${this.lastErr.message})` : ''}`);
        } else if (performance.now() - t0 > this.stallTimeoutMs) {
          err = new StoreError('ERR_STORE_BACKLOG', `store ${this.path}: the writer committed nothing for ${this.stallTimeoutMs} ms with ${this.inFlight()} rows waiting`);
        }
        if (err) {
          if (!this.onStall) throw err;
          this.stalled = err;
          this.onStall(err);
          return;
        }
        Atomics.wait(this.wake, 0, wake, WAIT_SLICE_MS);
      }
    } finally {
      this.blockedMs += performance.now() - t0;
    }
  }

  /** A new number for a node the caller numbers once per crawl and remembers (the crawler keeps it on the node). */
  newNodeRef(crawlId: number, id: Uint8Array): number {
    if (this.nextIx > MAX_NODE_IX) throw new StoreError('ERR_STORE_LIMIT', `${this.path}: edge node numbers exhausted (${MAX_NODE_IX + 1} per file)`);
    this.add(CRAWL_NODES, { crawl_id: crawlId, ix: this.nextIx, node_id: id });
    return this.nextIx++;
  }

  /** The node's number in crawl `crawlId`: the same ID gets the same number until endCrawl (one map entry per node). */
  nodeRef(crawlId: number, id: Uint8Array): number {
    let m = this.nodeIx.get(crawlId);
    if (!m) this.nodeIx.set(crawlId, (m = new Map()));
    if (id?.length !== 32) throw new StoreError('ERR_STORE_BAD_ROW', 'node id must be a 32-byte Uint8Array');
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
    let ix = m.get(key);
    if (ix === undefined) m.set(key, (ix = this.newNodeRef(crawlId, id)));
    return ix;
  }

  /** An edge by node IDs (numbered through nodeRef). */
  addEdge(crawlId: number, fromId: Uint8Array, toId: Uint8Array, seq: bigint): void {
    this.add(EDGE_IX, { crawl_id: crawlId, from_ix: this.nodeRef(crawlId, fromId), to_ix: this.nodeRef(crawlId, toId), seq });
  }

  /** Records that a node was seen at `seenAtMs`; nodes.first_seen/last_seen keep the min/max over all crawls. */
  touchNode(nodeId: Uint8Array, seenAtMs: number): void {
    this.add(NODES_STAGING, { node_id: nodeId, seen_at: seenAtMs });
  }

  // ---- flushing and lifecycle ----

  /**
   * Commits every row added so far and merges node sightings. Rejects with the write's StoreError (the rows
   * stay queued for a retry), or once with ERR_STORE_BAD_ROW if the database dropped rows since the last call.
   */
  async flush(): Promise<void> {
    if (this.state === 'closed') throw this.closedError();
    this.sendAll();
    await this.call({ op: 'flush', merge: true });
    const pe = this.pendingError;
    if (pe) { this.pendingError = null; throw pe; }
  }

  /**
   * Commits, merges, then closes the database and stops the writer. Idempotent. If the final write fails the
   * store stays open (add refused) so close() can be retried once the cause (e.g. disk space) is fixed.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    if (this.closing) return this.closing;
    this.sendAll();
    this.state = 'closing';
    const p = (async () => {
      await this.call({ op: 'close' });
      this.state = 'closed';
      if (this.timer) clearInterval(this.timer);
      await this.worker.terminate();
      this.nodeIx.clear();
      const pe = this.pendingError;
      if (pe) { this.pendingError = null; throw pe; }
    })();
    this.closing = p.catch((e) => { if (this.state !== 'closed') { this.closing = null; this.state = 'open'; } throw e; });
    return this.closing;
  }

  /**
   * Gives up: stops the writer without a last write. The rows it still held are lost (rowsBuffered says how
   * many); committed ones stay in the file. For when close() keeps failing and the process must end.
   */
  async abort(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) clearInterval(this.timer);
    for (const c of this.calls.values()) c.reject(new StoreError('ERR_STORE_CLOSED', `store ${this.path} was aborted`));
    this.calls.clear();
    // Terminating the thread while DuckDB runs a call tears its native objects down under it (the process then
    // aborts); let the writer close the database first, for at most ABORT_DROP_WAIT_MS.
    const id = this.nextCall++;
    const dropped = new Promise<void>((resolve) => { this.calls.set(id, { resolve: () => resolve(), reject: () => resolve() }); });
    this.worker.postMessage({ op: 'drop', id } satisfies ToWriter);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([dropped, new Promise<void>((r) => { timer = setTimeout(r, ABORT_DROP_WAIT_MS); })]);
    clearTimeout(timer);
    this.calls.delete(id);
    await this.worker.terminate();
  }

  stats(): StoreStats {
    return { ...this.writerStats, rowsBuffered: this.openRows + this.inFlight() + this.rowsLost, blocks: this.blocks, blockedMs: this.blockedMs, lastError: this.lastErr };
  }

  /** The writer's ingest rate: rows committed per second of append plus commit time. */
  rowsPerSec(): number {
    const ms = this.writerStats.appendMs + this.writerStats.commitMs;
    return ms > 0 ? (this.writerStats.rowsWritten / ms) * 1000 : 0;
  }

  get lastError(): Error | null { return this.lastErr; }

  async beginCrawl(p: CrawlParams): Promise<number> {
    if (this.state !== 'open') throw this.closedError();
    return await this.call({ op: 'call', method: 'beginCrawl', args: [{ ...p, startedAtMs: p.startedAtMs ?? Date.now(), protocol: p.protocol ?? DEFAULT_CRAWL_PROTOCOL }] }) as number;
  }

  /** Commits, then stamps ended_at and the summary. Dropped bad rows are reported after the stamp. */
  async endCrawl(crawlId: number, summary: object, endedAtMs = Date.now()): Promise<void> {
    let dropped: StoreError | null = null;
    try {
      await this.flush();
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'ERR_STORE_BAD_ROW')) throw e;
      dropped = e;
    }
    const found = await this.call({ op: 'call', method: 'endCrawl', args: [crawlId, summary, endedAtMs] });
    if (!found) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawl ${crawlId} in ${this.path}`);
    this.nodeIx.delete(crawlId);
    if (dropped) throw dropped;
  }

  async beginCampaign(p: CampaignParams): Promise<number> {
    if (this.state !== 'open') throw this.closedError();
    return await this.call({ op: 'call', method: 'beginCampaign', args: [{ ...p, startedAtMs: p.startedAtMs ?? Date.now(), protocol: p.protocol ?? DEFAULT_CRAWL_PROTOCOL }] }) as number;
  }

  /** Commits, then stamps the campaign's clean stop. */
  async endCampaign(campaignId: number, summary: object, endedAtMs = Date.now()): Promise<void> {
    await this.flush();
    const found = await this.call({ op: 'call', method: 'endCampaign', args: [campaignId, summary, endedAtMs] });
    if (!found) throw new StoreError('ERR_STORE_NO_CRAWL', `no campaign ${campaignId} in ${this.path}`);
  }

  // ---- queries ----

  /**
   * Runs SQL after committing what was added (best effort: if the write fails the query still runs on what
   * is committed, and the error stays for flush()/close()). Rows: BIGINT as bigint, TIMESTAMP as Date.
   */
  async query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]> {
    if (this.state === 'closed') throw this.closedError();
    this.sendAll();
    await this.call({ op: 'flush', merge: true }).catch(() => undefined);
    return await this.call({ op: 'call', method: 'query', args: [sql, params] }) as T[];
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
  async crawlOrLatest(crawlId?: number): Promise<number> {
    return crawlOrLatest(this, crawlId);
  }


  /** An export's rows as JS objects: the tables' column names, TIMESTAMPs as epoch ms. Default: the latest crawl. */
  async exportRows(q: ExportQuery, crawlId?: number): Promise<Record<string, unknown>[]> {
    return this.query(exportSql(q, await this.crawlOrLatest(crawlId), true));
  }

  /** Writes an export to a file with DuckDB's COPY (ndjson: one JSON object per line). Returns the row count. */
  async exportTable(q: ExportQuery, crawlId: number | undefined, format: ExportFormat, outPath: string): Promise<number> {
    const sql = exportSql(q, await this.crawlOrLatest(crawlId));
    return await this.call({ op: 'call', method: 'copyTo', args: [sql, format, outPath] }) as number;
  }

  /** go-ethereum devp2p nodes.json for a crawl (default: latest), see formatNodesJson. */
  async nodesJson(crawlId?: number): Promise<string> {
    return formatNodesJson(await this.query(nodeSetSql(await this.crawlOrLatest(crawlId))));
  }
}
