// What `export` writes: per-crawl queries over the declared tables, and go-ethereum's nodes.json.
// Queries take a validated integer crawl id inline because COPY cannot bind parameters. Column names are
// the tables' own (snake_case), in files and in JS rows alike. The SQL reads the same in DuckDB and in
// PostgreSQL (no QUALIFY, no list()), so a live store on either backend answers it.
import type { ExportFormat, Queryable } from './backend.js';
import { columnsOf, sqlString, type TableDecl } from './columns.js';
import { StoreError } from './errors.js';
import { EDGES_VIEW, VISITS } from './tables.js';

export type ExportQuery = 'nodes' | 'visits' | 'edges';
export const EXPORT_QUERIES: readonly ExportQuery[] = ['nodes', 'visits', 'edges'];

/**
 * One crawl's rows of a declared table: every column but crawl_id, in declaration order. `msTimes` turns
 * TIMESTAMP columns into epoch ms (for JS rows; files keep the TIMESTAMP type).
 */
export function tableExportSql(t: TableDecl, crawlId: number, orderBy: readonly string[], msTimes = false): string {
  const cols = columnsOf(t).filter((c) => c.name !== 'crawl_id')
    .map((c) => (msTimes && c.type === 'TIMESTAMP' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name));
  const order = orderBy.length ? ` ORDER BY ${orderBy.join(', ')}` : '';
  return `SELECT ${cols.join(', ')} FROM ${t.name} WHERE crawl_id = ${crawlId}${order}`;
}

/** Best visit per node in a crawl: any measured beats failed, then the latest. */
function bestVisit(c: number): string {
  return `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY node_id ORDER BY (status = 'measured') DESC, ended_at DESC) AS pick
    FROM visits WHERE crawl_id = ${c}) v WHERE pick = 1`;
}

/** Highest-seq record per node in a crawl. */
function latestRecord(c: number): string {
  return `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY node_id ORDER BY seq DESC, first_seen DESC) AS pick
    FROM records WHERE crawl_id = ${c}) r WHERE pick = 1`;
}

/** One row per node with a record or a visit in the crawl: its latest record and its best visit. */
function nodesExportSql(c: number, msTimes: boolean): string {
  const t = (col: string) => (msTimes ? `epoch_ms(n.${col}) AS ${col}` : `n.${col}`);
  return `WITH rec AS (${latestRecord(c)}), vis AS (${bestVisit(c)}),
    ids AS (SELECT node_id FROM rec UNION SELECT node_id FROM vis)
    SELECT ids.node_id, rec.enr, rec.seq,
      coalesce(rec.ip, vis.ip) AS ip, coalesce(rec.udp, vis.udp) AS udp, rec.tcp,
      coalesce(vis.status, 'discovered') AS status, vis.error,
      vis.rtt1_ms AS rtt_ms, vis.rtt2_ms,
      rec.eth2_fork_digest, rec.network, rec.fork, rec.client, rec.c, rec.attnets, rec.keys,
      ${t('first_seen')}, ${t('last_seen')}
    FROM ids
    LEFT JOIN rec ON rec.node_id = ids.node_id
    LEFT JOIN vis ON vis.node_id = ids.node_id
    LEFT JOIN nodes n ON n.node_id = ids.node_id
    ORDER BY ids.node_id`;
}

/**
 * A crawl with no end stamped (ended_at NULL) was stopped by a kill, a crash or a store failure, or still runs
 * in another process: readers report it as interrupted, its rows being what it committed before.
 */
export async function crawlInterrupted(q: Queryable, crawlId: number): Promise<boolean> {
  const [r] = await q.query<{ open: boolean }>(`SELECT ended_at IS NULL AS open FROM crawls WHERE id = $1`, [crawlId]);
  return Boolean(r?.open);
}

/** The SQL behind `export --what q` for crawl c. */
export function exportSql(q: ExportQuery, c: number, msTimes = false): string {
  switch (q) {
    case 'nodes': return nodesExportSql(c, msTimes);
    case 'visits': return tableExportSql(VISITS, c, ['started_at', 'node_id'], msTimes);
    case 'edges': return `SELECT from_node, to_node, seq FROM ${EDGES_VIEW.name} WHERE crawl_id = ${c} ORDER BY from_node, to_node, seq`;
  }
}

/**
 * Per node with a record in crawl c: its latest record plus, per crawl up to c, whether any visit succeeded
 * and when it was checked. nodesJson folds this into geth's score.
 */
export function nodeSetSql(c: number): string {
  return `WITH rec AS (${latestRecord(c)}),
    hist AS (
      SELECT node_id, crawl_id,
        bool_or(status = 'measured') AS ok,
        min(started_at) FILTER (WHERE status = 'measured') AS first_ok,
        max(started_at) FILTER (WHERE status = 'measured') AS last_ok,
        max(started_at) AS checked
      FROM visits WHERE crawl_id <= ${c} AND node_id IN (SELECT node_id FROM rec)
      GROUP BY node_id, crawl_id
    )
    SELECT rec.node_id, rec.seq, rec.enr,
      array_agg(hist.ok ORDER BY hist.crawl_id) FILTER (WHERE hist.ok IS NOT NULL) AS oks,
      epoch_ms(min(hist.first_ok)) AS first_ok_ms,
      epoch_ms(max(hist.last_ok)) AS last_ok_ms,
      epoch_ms(max(hist.checked)) AS checked_ms
    FROM rec LEFT JOIN hist ON hist.node_id = rec.node_id
    GROUP BY rec.node_id, rec.seq, rec.enr
    ORDER BY rec.node_id`;
}

/** geth writes times truncated to the second, RFC 3339 UTC. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * go-ethereum's devp2p nodes.json from nodeSetSql rows: keyed by node id hex, keys sorted. score replays geth's
 * rule (+1 per crawl with a measured visit, halved per crawl where all visits failed); zero fields are omitted.
 */
export function formatNodesJson(rows: readonly Record<string, unknown>[]): string {
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

/** COPY … TO a file in an export format (ndjson: one JSON object per line). */
export function copyToSql(sql: string, format: ExportFormat, outPath: string): string {
  const fmt = format === 'csv' ? 'FORMAT CSV, HEADER true' : format === 'parquet' ? 'FORMAT PARQUET' : format === 'ndjson' ? 'FORMAT JSON' : null;
  if (fmt === null) throw new StoreError('ERR_STORE_OPTIONS', `unknown export format ${String(format)}`);
  return `COPY (${sql}) TO ${sqlString(outPath)} (${fmt})`;
}

/** The crawl asked for, checked, or the latest one. */
export async function crawlOrLatest(db: Queryable, crawlId?: number): Promise<number> {
  if (crawlId === undefined) {
    const r = await db.query<{ id: number | null }>(`SELECT max(id) AS id FROM crawls`);
    if (r[0]?.id == null) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawls in ${db.path}`);
    return Number(r[0].id);
  }
  if (!Number.isSafeInteger(crawlId)) throw new StoreError('ERR_STORE_OPTIONS', `crawl id must be an integer, got ${crawlId}`);
  const rows = await db.query(`SELECT 1 FROM crawls WHERE id = $1`, [crawlId]);
  if (rows.length === 0) throw new StoreError('ERR_STORE_NO_CRAWL', `no crawl ${crawlId} in ${db.path}`);
  return crawlId;
}
