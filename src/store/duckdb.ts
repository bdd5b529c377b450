// The DuckDB backend: schema, migrations, appends and commits. It runs on the store's writer thread
// (writer-worker.ts), where its synchronous appends and its commits never hold up the crawl's event loop.
import './allocator.js';
import {
  BLOB, BOOLEAN, DOUBLE, DuckDBBlobValue, DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, UBIGINT, UINTEGER, VARCHAR,
  type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { toJson, type BackendOptions, type CampaignStart, type CrawlStart, type ExportFormat, type SqlParam, type StoreBackend, type WriteResult } from './backend.js';
import { copyToSql } from './exports.js';
import { derivedValue, NODE_ID_SIZE, readBatch, type BytesColumn, type ColumnData, type TableBatch, type WriterBatch } from './batch.js';
import { columnsOf, createTableSql, createViewSql, type Column, type SqlType, type TableDecl, type ViewDecl } from './columns.js';
import { StoreError, committedAnyway, isFatal, mapStoreError } from './errors.js';
import { JOIN_SHARED_CAMPAIGN, MERGE_NODES_SQL, MIGRATIONS, SCHEMA_VERSION, TABLES, VIEWS } from './tables.js';

const DUCK_TYPES: Record<SqlType, DuckDBType> = {
  INTEGER, UINTEGER, UBIGINT, DOUBLE, BOOLEAN, VARCHAR, BLOB, TIMESTAMP, JSON: VARCHAR,
};

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const VECTOR_ROWS = 2048;

function idHex(col: Uint8Array, r: number): string {
  return Buffer.from(col.buffer, col.byteOffset + r * NODE_ID_SIZE, NODE_ID_SIZE).toString('hex');
}

/** Turns one sent column into DuckDB values (null for NaN where the column is nullable). */
function sentValues(c: Column, data: ColumnData, rows: number): DuckDBValue[] {
  const out = new Array<DuckDBValue>(rows);
  switch (c.input) {
    case 'num': {
      const a = data as Float64Array;
      for (let r = 0; r < rows; r++) {
        const x = a[r]!;
        out[r] = Number.isNaN(x) ? null
          : c.type === 'TIMESTAMP' ? new DuckDBTimestampValue(BigInt(Math.round(x * 1000)))
          : c.type === 'DOUBLE' ? x
          : c.type === 'BOOLEAN' ? x !== 0
          : Math.round(x);
      }
      return out;
    }
    case 'u64': { const a = data as BigUint64Array; for (let r = 0; r < rows; r++) out[r] = a[r]!; return out; }
    case 'id': { const a = data as Uint8Array; for (let r = 0; r < rows; r++) out[r] = idHex(a, r); return out; }
    case 'bytes': {
      const b = data as BytesColumn;
      for (let r = 0; r < rows; r++) out[r] = new DuckDBBlobValue(b.heap.subarray(b.offsets[r]!, b.offsets[r + 1]!));
      return out;
    }
    case 'text': return data as DuckDBValue[];
    default: throw new Error(`${c.name} is derived`);
  }
}

/** A batch as DuckDB column arrays, derived columns decoded from their source once per row. */
export function batchColumns(decl: TableDecl, b: TableBatch): DuckDBValue[][] {
  let rb: WriterBatch;
  try { rb = readBatch(decl, b); } catch (e) { throw new StoreError('ERR_STORE_BAD_ROW', (e as Error).message); }
  return columnsOf(decl).map((c) => {
    if (c.input !== null) return sentValues(c, rb.byName.get(c.name)!, b.rows);
    const out = new Array<DuckDBValue>(b.rows);
    for (let r = 0; r < b.rows; r++) out[r] = derivedValue(c, rb.sources![r]) as DuckDBValue;
    return out;
  });
}

function appendRows(ap: DuckDBAppender, types: readonly DuckDBType[], cols: DuckDBValue[][], from: number, to: number): void {
  for (let off = from; off < to; off += VECTOR_ROWS) {
    const k = Math.min(VECTOR_ROWS, to - off);
    const dc = DuckDBDataChunk.create(types as DuckDBType[]);
    dc.setColumns(off === 0 && k === cols[0]!.length ? cols : cols.map((c) => c.slice(off, off + k)));
    ap.appendDataChunk(dc);
  }
}

export interface DuckDbOptions extends BackendOptions {
  /** The tables and views to create (default: the crawl store's). Tests declare their own. */
  tables?: readonly TableDecl[];
  views?: readonly ViewDecl[];
}

export class DuckDbBackend implements StoreBackend {
  private instance: DuckDBInstance | null = null;
  /** Appends and their transactions. */
  private wconn: DuckDBConnection | null = null;
  /** Queries, crawl rows, merges. */
  private qconn: DuckDBConnection | null = null;
  private readonly appenders = new Map<string, DuckDBAppender>();
  private readonly tables: ReadonlyMap<string, TableDecl>;
  private readonly types = new Map<string, DuckDBType[]>();
  nextNodeIx = 0;
  broken = false;

  private constructor(readonly path: string, private readonly opts: DuckDbOptions) {
    const ts = opts.tables ?? TABLES;
    this.tables = new Map(ts.map((t) => [t.name, t]));
    for (const t of ts) this.types.set(t.name, columnsOf(t).map((c) => DUCK_TYPES[c.type]));
  }

  /**
   * Opens (creating if needed) the database and proves it takes a committed write, so a bad path, a second
   * crawler on the same file or a full disk fail here, before the crawler sends anything. ':memory:' works too.
   */
  static async open(path: string, opts: DuckDbOptions): Promise<DuckDbBackend> {
    const b = new DuckDbBackend(path, opts);
    try {
      await b.connect();
    } catch (e) {
      b.close();
      throw mapStoreError(e, path, 'open database');
    }
    return b;
  }

  private async connect(): Promise<void> {
    this.instance = await DuckDBInstance.create(this.path, { threads: String(this.opts.threads), memory_limit: `${this.opts.memoryLimitMB}MB` });
    this.wconn = await this.instance.connect();
    this.qconn = await this.instance.connect();
    const q = this.qconn;
    // Read the version before creating anything: a file of a newer schema is refused untouched.
    const hasMeta = (await q.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'`)).getRowsJS().length > 0;
    const v = hasMeta ? (await q.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)).getRowsJS()[0]?.[0] : null;
    if (v != null && !(Number(v) <= SCHEMA_VERSION)) {
      throw new StoreError('ERR_STORE_INVALID', `${this.path} has schema version ${String(v)}; this dhtscope understands up to ${SCHEMA_VERSION}`);
    }
    for (const t of this.tables.values()) await q.run(createTableSql(t));
    if (v == null) await q.run(`INSERT INTO meta VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING`, [String(SCHEMA_VERSION)]);
    else if (Number(v) < SCHEMA_VERSION) await this.migrate(Number(v));
    // Views are always ours: one found in a foreign file could read anything its SQL names.
    for (const view of this.opts.views ?? VIEWS) await q.run(createViewSql(view));
    if (this.tables.has('crawl_nodes')) {
      const maxIx = (await q.runAndReadAll('SELECT max(ix) FROM crawl_nodes')).getRowsJS()[0]?.[0];
      this.nextNodeIx = Math.max(this.nextNodeIx, maxIx == null ? 0 : Number(maxIx) + 1);
    }
    // A committed write (WAL append + fsync) is the only real proof the file is writable.
    await q.run(`INSERT INTO meta VALUES ('last_opened_at', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [new Date().toISOString()]);
    if (this.tables.has('nodes_staging')) await this.mergeNodes(); // sightings a killed run staged but never merged
    for (const t of this.tables.values()) if (t.batched) this.appenders.set(t.name, await this.wconn.createAppender(t.name));
  }

  private async migrate(from: number): Promise<void> {
    await this.inTransaction(async (q) => {
      for (const m of MIGRATIONS) if (m.to > from) for (const sql of m.sql) await q.run(sql);
      await q.run(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION)]);
    });
  }

  /** Runs `fn` on the query connection in one transaction: committed whole, or rolled back and rethrown. */
  private async inTransaction(fn: (q: DuckDBConnection) => Promise<void>): Promise<void> {
    const q = this.qconn!;
    await q.run('BEGIN TRANSACTION');
    try {
      await fn(q);
      await q.run('COMMIT');
    } catch (e) {
      try { await q.run('ROLLBACK'); } catch { /* no transaction left to roll back */ }
      throw e;
    }
  }

  async reopen(): Promise<void> {
    this.close();
    await this.connect();
    this.broken = false;
  }

  async write(batches: readonly TableBatch[]): Promise<WriteResult> {
    const w = this.wconn;
    if (!w || this.broken) throw new StoreError('ERR_STORE_IO', `store ${this.path} needs a reopen`);
    const res: WriteResult = { committed: {}, rejected: 0, rejectReason: null, appendMs: 0, commitMs: 0, tableMs: {} };
    const t0 = performance.now();
    await w.run('BEGIN TRANSACTION');
    try {
      for (const b of batches) {
        const decl = this.tables.get(b.table);
        const ap = this.appenders.get(b.table);
        if (!decl || !ap) throw new StoreError('ERR_STORE_BAD_ROW', `no batched table ${b.table}`);
        const b0 = performance.now();
        const n = this.appendBatch(ap, this.types.get(b.table)!, batchColumns(decl, b), res);
        res.committed[b.table] = (res.committed[b.table] ?? 0) + n;
        res.tableMs[b.table] = (res.tableMs[b.table] ?? 0) + performance.now() - b0;
      }
      // Inside the transaction this only hands the rows to DuckDB's transaction-local storage.
      for (const [t, ap] of this.appenders) {
        if (res.tableMs[t] === undefined) continue; // nothing appended to it in this write
        const f0 = performance.now();
        ap.flushSync();
        res.tableMs[t] += performance.now() - f0;
      }
      res.appendMs = performance.now() - t0;
      const c0 = performance.now();
      try {
        await w.run('COMMIT');
      } catch (e) {
        // The autocheckpoint after a durable commit failed: the rows are stored; report the error after.
        if (!committedAnyway(e)) throw e;
        this.broken = isFatal(e);
      }
      res.commitMs = performance.now() - c0;
      return res;
    } catch (e) {
      if (isFatal(e)) this.broken = true;
      for (const ap of this.appenders.values()) try { ap.clear(); } catch { /* the reopen replaces it */ }
      try { await w.run('ROLLBACK'); } catch { /* nothing left to roll back, or the reopen replaces it */ }
      throw mapStoreError(e, this.path, 'write database');
    }
  }

  /** Appends rows a chunk at a time; a chunk DuckDB refuses is retried row by row and the refused rows dropped. */
  private appendBatch(ap: DuckDBAppender, types: DuckDBType[], cols: DuckDBValue[][], res: WriteResult): number {
    const n = cols[0]?.length ?? 0;
    let ok = 0;
    for (let off = 0; off < n; off += VECTOR_ROWS) {
      const end = Math.min(n, off + VECTOR_ROWS);
      try {
        appendRows(ap, types, cols, off, end);
        ok += end - off;
        continue;
      } catch (e) {
        if (isFatal(e)) throw e;
      }
      // appendDataChunk refused a value before taking the chunk: find the bad rows one at a time.
      for (let r = off; r < end; r++) {
        try {
          appendRows(ap, types, cols, r, r + 1);
          ok++;
        } catch (e) {
          if (isFatal(e)) throw e;
          res.rejected++;
          res.rejectReason ??= e instanceof Error ? e.message : String(e);
        }
      }
    }
    return ok;
  }

  async mergeNodes(): Promise<void> {
    try {
      await this.inTransaction(async (q) => { for (const sql of MERGE_NODES_SQL) await q.run(sql); });
    } catch (e) {
      throw mapStoreError(e, this.path, 'merge nodes in database');
    }
  }

  async beginCrawl(c: CrawlStart): Promise<number> {
    try {
      const r = await this.qconn!.runAndReadAll(
        `INSERT INTO crawls (id, started_at, params, vantage, version, strategy, campaign_id, vantage_addr, protocol)
         SELECT coalesce(max(id), 0) + 1, epoch_ms($1::BIGINT), $2::JSON, $3, $4, $5, $6, $7, $8 FROM crawls RETURNING id`,
        [BigInt(Math.round(c.startedAtMs)), toJson(c.params), c.vantage, c.version, c.strategy, c.campaignId ?? null, c.vantageAddr ?? null, c.protocol],
      );
      return Number(r.getRowsJS()[0]![0]);
    } catch (e) {
      throw mapStoreError(e, this.path, 'start a crawl in database');
    }
  }

  async endCrawl(crawlId: number, summary: object, endedAtMs: number): Promise<boolean> {
    try {
      const rows = (await this.qconn!.runAndReadAll(
        `UPDATE crawls SET ended_at = epoch_ms($1::BIGINT), summary = $2::JSON WHERE id = $3 RETURNING id`,
        [BigInt(Math.round(endedAtMs)), toJson(summary), crawlId],
      )).getRowsJS();
      return rows.length > 0;
    } catch (e) {
      throw mapStoreError(e, this.path, 'end a crawl in database');
    }
  }

  async beginCampaign(c: CampaignStart): Promise<number> {
    try {
      if (c.sharedName) {
        const open = (await this.qconn!.runAndReadAll(JOIN_SHARED_CAMPAIGN, [c.sharedName])).getRowsJS();
        if (open.length > 0) return Number(open[0]![0]);
      }
      const r = await this.qconn!.runAndReadAll(
        `INSERT INTO campaigns (id, started_at, params, vantage, version, vantage_addr, shared_name, protocol)
         SELECT coalesce(max(id), 0) + 1, epoch_ms($1::BIGINT), $2::JSON, $3, $4, $5, $6, $7 FROM campaigns RETURNING id`,
        [BigInt(Math.round(c.startedAtMs)), toJson(c.params), c.vantage, c.version, c.vantageAddr ?? null, c.sharedName ?? null, c.protocol],
      );
      return Number(r.getRowsJS()[0]![0]);
    } catch (e) {
      throw mapStoreError(e, this.path, 'start a campaign in database');
    }
  }

  async endCampaign(campaignId: number, summary: object, endedAtMs: number): Promise<boolean> {
    try {
      const rows = (await this.qconn!.runAndReadAll(
        `UPDATE campaigns SET ended_at = epoch_ms($1::BIGINT), summary = $2::JSON WHERE id = $3 RETURNING id`,
        [BigInt(Math.round(endedAtMs)), toJson(summary), campaignId],
      )).getRowsJS();
      return rows.length > 0;
    } catch (e) {
      throw mapStoreError(e, this.path, 'end a campaign in database');
    }
  }

  async query(sql: string, params?: SqlParam[]): Promise<Record<string, unknown>[]> {
    if (!this.qconn) throw new StoreError('ERR_STORE_CLOSED', `store ${this.path} is closed`);
    try {
      return (await this.qconn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
    } catch (e) {
      throw mapStoreError(e, this.path, 'query database');
    }
  }

  async copyTo(sql: string, format: ExportFormat, outPath: string): Promise<number> {
    const copy = copyToSql(sql, format, outPath);
    try {
      const r = await this.qconn!.runAndReadAll(copy);
      return Number(r.getRowsJS()[0]?.[0] ?? 0);
    } catch (e) {
      throw mapStoreError(e, outPath, 'export to');
    }
  }


  close(): void {
    for (const ap of this.appenders.values()) try { ap.closeSync(); } catch { /* moot once the instance goes */ }
    this.appenders.clear();
    try { this.wconn?.closeSync(); } catch { /* ignore */ }
    try { this.qconn?.closeSync(); } catch { /* ignore */ }
    try { this.instance?.closeSync(); } catch { /* ignore */ }
    this.wconn = this.qconn = null;
    this.instance = null;
  }
}
