// Read-only access for the commands that only read (report, stats, serve, export): the file is opened
// READ_ONLY with file-system access off (a crafted file's SQL cannot read or write local files), and the
// views are ours. A PostgreSQL store is read through a DuckDB snapshot of it (pg-snapshot.ts), so the
// queries are the same whichever backend wrote the data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ExportFormat, SqlParam } from './backend.js';
import { copyToSql } from './exports.js';
import { createViewSql, sqlString } from './columns.js';
import { mapStoreError, StoreError } from './errors.js';
import { isPostgresUrl, redactUrl } from './pg-url.js';
import { snapshotPostgres } from './pg-snapshot.js';
import { Store } from './store.js';
import { SCHEMA_VERSION, VIEWS } from './tables.js';

/** A reader's DuckDB memory cap by default, MB: aggregates over a week of a campaign, or the serve index of a large crawl, need more than a crawl's writer gets. */
export const READER_MEMORY_MB = 512;

export interface ReaderOptions {
  /** DuckDB buffer-pool cap, MB: aggregates over a week of a campaign need more than a crawl's writer gets. */
  memoryLimitMB: number;
  /** DuckDB threads for the queries: a reader runs beside no crawl of its own, so both cores may help. */
  threads?: number;
  /** Files the queries may read despite file-system access being off (the --geo range CSVs). */
  allowedPaths?: readonly string[];
  /** Folders the queries may read and write in, likewise (a transfer's temporary files). */
  allowedDirs?: readonly string[];
  /** Progress lines while a PostgreSQL store is copied into the snapshot. */
  onProgress?: (line: string) => void;
}

export class StoreReader {
  /** For a snapshot: the temporary folder that holds it, removed by close(). */
  private snapshotDir: string | null = null;

  private constructor(private shownPath: string, private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection) {}

  /** The file, or for a snapshot the PostgreSQL URL it copies (without a password). */
  get path(): string { return this.shownPath; }

  /** A PostgreSQL store as of now, copied into a temporary DuckDB file and opened like any other. */
  private static async openPostgres(url: string, opts: ReaderOptions): Promise<StoreReader> {
    const dir = mkdtempSync(join(tmpdir(), 'dhtscope-snapshot-'));
    const file = join(dir, 'snapshot.duckdb');
    try {
      await snapshotPostgres(url, file, { memoryLimitMB: opts.memoryLimitMB, ...(opts.threads ? { threads: opts.threads } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
      const r = await StoreReader.open(file, opts);
      r.shownPath = redactUrl(url);
      r.snapshotDir = dir;
      return r;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Opens `path` read-only. A file of an older schema is upgraded first by one writable open (the reader's
   * queries need the current columns); a newer one is refused. A file a running crawl holds cannot be read
   * beside it (DuckDB's lock), and the error says so.
   */
  static async open(path: string, opts: ReaderOptions): Promise<StoreReader> {
    if (isPostgresUrl(path)) return StoreReader.openPostgres(path, opts);
    if (!existsSync(path)) throw new StoreError('ERR_STORE_INVALID', `no database at ${path}`);
    let r = await StoreReader.connect(path, opts);
    const v = await r.schemaVersion();
    if (v === null) { r.close(); throw new StoreError('ERR_STORE_INVALID', `${path} is not a dhtscope database (no schema version)`); }
    if (v > SCHEMA_VERSION) { r.close(); throw new StoreError('ERR_STORE_INVALID', `${path} has schema version ${v}; this dhtscope understands up to ${SCHEMA_VERSION}`); }
    if (v < SCHEMA_VERSION) {
      r.close();
      try {
        await (await Store.open(path)).close();
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new StoreError('ERR_STORE_INVALID', `${path} has schema version ${v} and needs one writable open to upgrade to ${SCHEMA_VERSION}: ${why}`, e);
      }
      r = await StoreReader.connect(path, opts);
    }
    try {
      // Temp views shadow whatever views the file holds.
      for (const view of VIEWS) await r.conn.run(createViewSql(view).replace(/^CREATE (OR REPLACE )?VIEW/i, 'CREATE OR REPLACE TEMP VIEW'));
    } catch (e) {
      r.close();
      throw mapStoreError(e, path, 'open database');
    }
    return r;
  }

  private static async connect(path: string, opts: ReaderOptions): Promise<StoreReader> {
    let instance: DuckDBInstance | null = null;
    try {
      instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', threads: String(opts.threads ?? 2), memory_limit: `${opts.memoryLimitMB}MB` });
      const conn = await instance.connect();
      if (opts.allowedPaths && opts.allowedPaths.length > 0) await conn.run(`SET allowed_paths = [${opts.allowedPaths.map(sqlString).join(', ')}]`);
      if (opts.allowedDirs && opts.allowedDirs.length > 0) await conn.run(`SET allowed_directories = [${opts.allowedDirs.map(sqlString).join(', ')}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
      return new StoreReader(path, instance, conn);
    } catch (e) {
      instance?.closeSync();
      const err = mapStoreError(e, path, 'open database');
      if (err.code === 'ERR_STORE_LOCKED') {
        throw new StoreError('ERR_STORE_LOCKED', `${err.message}: a running crawl or monitor holds it, and DuckDB lets no reader open it beside the writer; read a copy (cp ${path} copy.duckdb) or wait for it to end`, e);
      }
      throw err;
    }
  }

  private async schemaVersion(): Promise<number | null> {
    const has = await this.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'`);
    if (has.length === 0) return null;
    const v = (await this.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]?.value;
    return v == null ? null : Number(v);
  }

  async query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]> {
    try {
      return (await this.conn.runAndReadAll(sql, params as never)).getRowObjectsJS() as T[];
    } catch (e) {
      throw mapStoreError(e, this.path, 'query database');
    }
  }

  /** Writes a query's rows to `outPath` (which must be among the allowed paths). Returns the row count. */
  async copyTo(sql: string, format: ExportFormat, outPath: string): Promise<number> {
    try {
      const r = await this.conn.runAndReadAll(copyToSql(sql, format, outPath));
      return Number(r.getRowsJS()[0]?.[0] ?? 0);
    } catch (e) {
      throw mapStoreError(e, outPath, 'export to');
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
    if (this.snapshotDir) rmSync(this.snapshotDir, { recursive: true, force: true });
  }
}
