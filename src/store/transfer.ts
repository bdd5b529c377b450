// Copies a whole DuckDB store into a PostgreSQL one, so that crawls and campaigns run before a shared
// server existed join the ones written to it. Crawl and campaign ids, and edge node numbers, are shifted past
// the server's own; everything goes in with COPY inside one transaction: all of it lands, or none.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { columnsOf, type TableDecl } from './columns.js';
import { StoreError } from './errors.js';
import { redactUrl } from './pg-url.js';
import { ID_LOCK, MERGE_NODES_PG, mapPgError, PostgresBackend, connectPg } from './postgres.js';
import { StoreReader } from './reader.js';
import { NODES, NODES_STAGING, TABLES } from './tables.js';

export interface TransferResult {
  /** Source id → id in the target. */
  crawls: Array<{ from: number; to: number }>;
  campaigns: Array<{ from: number; to: number }>;
  /** Rows copied per table. */
  rows: Record<string, number>;
}

interface Offsets { crawl: number; campaign: number; ix: number }

/** What DuckDB writes for a column, with ids shifted: a text PostgreSQL's COPY (CSV) reads back as the declared type. */
function sourceExpr(t: TableDecl, column: string, type: string, o: Offsets): string {
  if (column === 'crawl_id' || (t.name === 'crawls' && column === 'id')) return `${column} + ${o.crawl}`;
  if (column === 'campaign_id' || (t.name === 'campaigns' && column === 'id')) return `${column} + ${o.campaign}`;
  if (column === 'ix' || column === 'from_ix' || column === 'to_ix') return `${column} + ${o.ix}`;
  if (type === 'BLOB') return `'\\x' || hex(${column})`;
  return column;
}

/**
 * Copies every crawl and campaign of the DuckDB file `file` into the PostgreSQL store at `url` (created or
 * upgraded there as for a crawl). Node sightings merge with the server's (earliest first seen, latest last seen).
 */
export async function copyDuckDbToPostgres(file: string, url: string, onProgress?: (line: string) => void): Promise<TransferResult> {
  // Creates or upgrades the target's schema, as a crawl's open would.
  (await PostgresBackend.open(url, { threads: 1, memoryLimitMB: 64 })).close();
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-transfer-'));
  const src = await StoreReader.open(file, { memoryLimitMB: 512, allowedDirs: [dir] });
  let client;
  try {
    client = await connectPg(url, 'dhtscope export');
  } catch (e) {
    src.close();
    rmSync(dir, { recursive: true, force: true });
    throw mapPgError(e, url, 'open database');
  }
  const result: TransferResult = { crawls: [], campaigns: [], rows: {} };
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [ID_LOCK]);
    const max = (await client.query<{ c: number | null; k: number | null; x: bigint | null }>(
      `SELECT (SELECT max(id) FROM crawls) AS c, (SELECT max(id) FROM campaigns) AS k, (SELECT max(ix) FROM crawl_nodes) AS x`)).rows[0]!;
    const o: Offsets = { crawl: max.c ?? 0, campaign: max.k ?? 0, ix: max.x == null ? 0 : Number(max.x) + 1 };
    for (const t of TABLES) {
      if (t.name === 'meta' || t.name === NODES_STAGING.name) continue;
      // Sightings merge through the target's staging table; everything else is appended as is.
      const target = t.name === NODES.name ? NODES_STAGING : t;
      const cols = columnsOf(t);
      const select = t.name === NODES.name
        ? `SELECT node_id, first_seen FROM nodes UNION ALL SELECT node_id, last_seen FROM nodes`
        : `SELECT ${cols.map((c) => sourceExpr(t, c.name, c.type, o)).join(', ')} FROM ${t.name}`;
      const csv = join(dir, `${t.name}.csv`);
      const n = await src.copyTo(select, 'csv', csv);
      if (n > 0) {
        const into = `${target.name} (${columnsOf(target).map((c) => c.name).join(', ')})`;
        await pipeline(createReadStream(csv), client.query(copyStreams.from(`COPY ${into} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
      }
      rmSync(csv, { force: true });
      result.rows[t.name] = t.name === NODES.name ? n / 2 : n; // two sightings per node
      onProgress?.(`copied ${t.name}: ${n} rows`);
    }
    await client.query(MERGE_NODES_PG);
    await client.query('COMMIT');
    for (const r of await src.query<{ id: number }>(`SELECT id FROM crawls ORDER BY id`)) result.crawls.push({ from: r.id, to: r.id + o.crawl });
    for (const r of await src.query<{ id: number }>(`SELECT id FROM campaigns ORDER BY id`)) result.campaigns.push({ from: r.id, to: r.id + o.campaign });
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof StoreError) throw e;
    if ((e as { code?: unknown }).code) throw mapPgError(e, url, `copy ${file} into`);
    throw new StoreError('ERR_STORE_IO', `copy of ${file} into ${redactUrl(url)}: ${(e as Error).message}`, e);
  } finally {
    src.close();
    await client.end().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
