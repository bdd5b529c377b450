// A DuckDB copy of a PostgreSQL store, for the commands that only read (report, stats, serve, export).
// Their queries are DuckDB SQL over columnar scans; a consistent snapshot lets them run unchanged, and
// DuckDB's aggregates over a crawl's million edges are faster than the row store's. Tables stream out with
// COPY … TO STDOUT (CSV), inside one REPEATABLE READ transaction so every table is of the same moment.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { ExportFormat } from './backend.js';
import { columnsOf, sqlString, type TableDecl } from './columns.js';
import { DuckDbBackend } from './duckdb.js';
import { StoreError } from './errors.js';
import { redactUrl } from './pg-url.js';
import { connectPg, mapPgError, pgSchemaVersion, PostgresBackend } from './postgres.js';
import { SCHEMA_VERSION, TABLES } from './tables.js';

/** A table whose copy takes this long gets its own progress line. */
const SLOW_TABLE_MS = 2000;

export interface SnapshotOptions {
  memoryLimitMB: number;
  threads?: number;
  /** A line at the start and the end, and one per table that takes a while, for a progress display. */
  onProgress?: (line: string) => void;
}

/** What PostgreSQL writes for each declared column: a text form DuckDB casts back (bytea as hex, booleans as words). */
function pgOut(t: TableDecl): string {
  return columnsOf(t).map((c) => (c.type === 'BLOB' ? `encode(${c.name}, 'hex')` : c.type === 'BOOLEAN' ? `${c.name}::text` : c.name)).join(', ');
}

/** How DuckDB reads it back into the declared type. */
function duckIn(t: TableDecl): string {
  return columnsOf(t).map((c) => (c.type === 'BLOB' ? `unhex(${c.name})` : c.type === 'VARCHAR' ? c.name : `CAST(${c.name} AS ${c.type === 'JSON' ? 'JSON' : c.type})`)).join(', ');
}

function readCsvSql(t: TableDecl, csv: string): string {
  const cols = columnsOf(t).map((c) => `${sqlString(c.name)}: 'VARCHAR'`).join(', ');
  // PostgreSQL writes NULL as an empty field and an empty string as "": keep the two apart.
  return `INSERT INTO ${t.name} SELECT ${duckIn(t)} FROM read_csv(${sqlString(csv)}, auto_detect = false, header = false, delim = ',', columns = {${cols}}, quote = '"', escape = '"', allow_quoted_nulls = false)`;
}

/**
 * Copies every table of the PostgreSQL store at `url` into a new DuckDB file `file`. A database of an older
 * schema is upgraded first by one writable open; a newer one, or one that is not a dhtscope store, is refused.
 */
export async function snapshotPostgres(url: string, file: string, opts: SnapshotOptions): Promise<void> {
  const where = redactUrl(url);
  let client;
  try {
    client = await connectPg(url, 'dhtscope reader');
  } catch (e) {
    throw mapPgError(e, url, 'open database');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-pgcopy-'));
  let duck: DuckDbBackend | null = null;
  try {
    let v = await pgSchemaVersion(client);
    if (v === null) throw new StoreError('ERR_STORE_INVALID', `${where} is not a dhtscope database (no schema version)`);
    if (v > SCHEMA_VERSION) throw new StoreError('ERR_STORE_INVALID', `${where} has schema version ${v}; this dhtscope understands up to ${SCHEMA_VERSION}`);
    if (v < SCHEMA_VERSION) {
      (await PostgresBackend.open(url, { threads: 1, memoryLimitMB: opts.memoryLimitMB })).close();
      v = await pgSchemaVersion(client);
    }
    duck = await DuckDbBackend.open(file, { threads: opts.threads ?? 2, memoryLimitMB: opts.memoryLimitMB });
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    opts.onProgress?.(`reading a snapshot of ${where} …`);
    const start = performance.now();
    let total = 0;
    for (const t of TABLES) {
      if (t.name === 'meta') continue; // the new file's own
      const csv = join(tmp, `${t.name}.csv`);
      const t0 = performance.now();
      await pipeline(client.query(copyStreams.to(`COPY (SELECT ${pgOut(t)} FROM ${t.name}) TO STDOUT WITH (FORMAT csv)`)), createWriteStream(csv));
      // Ids are allocated as max + 1 in both; the rows keep theirs.
      if (statSync(csv).size > 0) await duck.query(readCsvSql(t, csv));
      rmSync(csv, { force: true });
      const n = Number((await duck.query(`SELECT count(*) AS n FROM ${t.name}`))[0]!.n);
      total += n;
      const ms = performance.now() - t0;
      if (ms >= SLOW_TABLE_MS) opts.onProgress?.(`snapshot of ${where}: ${t.name} ${n} rows in ${(ms / 1000).toFixed(1)} s`);
    }
    await client.query('COMMIT');
    await duck.mergeNodes();
    opts.onProgress?.(`snapshot of ${where}: ${total} rows in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  } catch (e) {
    throw e instanceof StoreError ? e : (e as { code?: unknown }).code ? mapPgError(e, url, 'read database') : new StoreError('ERR_STORE_IO', `snapshot of ${where}: ${(e as Error).message}`, e);
  } finally {
    duck?.close();
    await client.end().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes a query's rows from a PostgreSQL store to a file in an export format, through a snapshot. */
export async function copyFromPostgres(url: string, sql: string, format: ExportFormat, outPath: string, memoryLimitMB: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-snapshot-'));
  let duck: DuckDbBackend | null = null;
  try {
    const file = join(dir, 'snapshot.duckdb');
    await snapshotPostgres(url, file, { memoryLimitMB });
    duck = await DuckDbBackend.open(file, { threads: 2, memoryLimitMB });
    return await duck.copyTo(sql, format, outPath);
  } finally {
    duck?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
