// The PostgreSQL backend: the same declared tables on a shared server, for campaigns that outgrow one
// machine. It runs on the store's writer thread like the DuckDB one. Rows go in with COPY, a batch per
// statement; a batch the server refuses is split in halves until the bad rows are found and dropped.
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { toJson, type BackendOptions, type CampaignStart, type CrawlStart, type ExportFormat, type SqlParam, type StoreBackend, type WriteResult } from './backend.js';
import { derivedValue, NODE_ID_SIZE, readBatch, type BytesColumn, type ColumnData, type TableBatch } from './batch.js';
import { columnsOf, createIndexSql, createTableSql, createViewSql, type Column, type TableDecl, type ViewDecl } from './columns.js';
import { StoreError } from './errors.js';
import { copyFromPostgres } from './pg-snapshot.js';
import { redactUrl } from './pg-url.js';
import { JOIN_SHARED_CAMPAIGN, MIGRATIONS, POSTGRES_FIRST_SCHEMA, SCHEMA_VERSION, TABLES, VIEWS } from './tables.js';

/** Type OIDs whose text form we parse ourselves, to give the rows DuckDB's JS types. */
const OID = { INT8: 20, NUMERIC: 1700, TIMESTAMP: 1114, JSON: 114, JSONB: 3802 } as const;

/** BIGINT as bigint, integral NUMERIC (the UBIGINT columns) as bigint, TIMESTAMP as UTC, JSON as text: what DuckDB's rows hold. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (s: string) => unknown {
    switch (oid) {
      case OID.INT8: return (s) => BigInt(s);
      case OID.NUMERIC: return (s) => (/^-?\d+$/.test(s) ? BigInt(s) : Number(s));
      case OID.TIMESTAMP: return (s) => new Date(`${s.replace(' ', 'T')}Z`);
      case OID.JSON: case OID.JSONB: return (s) => s;
      default: return pg.types.getTypeParser(oid, format ?? 'text') as (s: string) => unknown;
    }
  },
};

/**
 * DuckDB's `epoch_ms` both ways, so the few statements the crawl and monitor run on a live store read
 * the same on either backend. Everything heavier reads a DuckDB snapshot (pg-snapshot.ts).
 */
const COMPAT_FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION epoch_ms(t timestamp) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint $$`,
  `CREATE OR REPLACE FUNCTION epoch_ms(ms bigint) RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC' $$`,
];

/** Serialises schema changes between processes opening one database at once (an arbitrary constant). */
const SCHEMA_LOCK = 0x64687473;
/** Serialises id allocation for crawls and campaigns across vantages. */
export const ID_LOCK = 0x64687474;

/** One statement's merge: moving the rows out and folding them in at once, so a sighting another writer commits meanwhile is neither lost nor counted twice. */
export const MERGE_NODES_PG = `WITH moved AS (DELETE FROM nodes_staging RETURNING node_id, seen_at)
  INSERT INTO nodes SELECT node_id, min(seen_at), max(seen_at) FROM moved GROUP BY node_id ORDER BY node_id
  ON CONFLICT (node_id) DO UPDATE SET first_seen = least(nodes.first_seen, excluded.first_seen), last_seen = greatest(nodes.last_seen, excluded.last_seen)`;

/** How long the first connection may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** SQLSTATE classes of a value the server refuses (data exception, integrity violation): the row is at fault, not the connection. */
function isRowError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** A lost or refused connection: the client is unusable and must be replaced. */
function isConnectionError(e: unknown): boolean {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  const raw = e instanceof Error ? e.message : String(e);
  return code.startsWith('08') || code.startsWith('57P') || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)|ENOTFOUND/.test(code) ||
    /Connection terminated|connection is closed|Client has encountered a connection error|not queryable/i.test(raw);
}

export function mapPgError(e: unknown, url: string, doing: string): StoreError {
  if (e instanceof StoreError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  const first = raw.split('\n')[0]!.trim() || String((e as { code?: unknown }).code ?? 'error');
  const where = redactUrl(url);
  if (isConnectionError(e)) return new StoreError('ERR_STORE_UNREACHABLE', `cannot ${doing} ${where}: ${first}`, e);
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  if (code === '28P01' || code === '28000' || /password authentication|no password supplied/i.test(raw)) {
    return new StoreError('ERR_STORE_UNREACHABLE', `cannot ${doing} ${where}: ${first} (set PGPASSWORD or a ~/.pgpass entry)`, e);
  }
  if (code === '3D000') return new StoreError('ERR_STORE_UNREACHABLE', `cannot ${doing} ${where}: ${first}`, e);
  if (code === '53100') return new StoreError('ERR_STORE_DISK_FULL', `no space left on the server to ${doing} ${where}`, e);
  if (code.startsWith('42501')) return new StoreError('ERR_STORE_UNWRITABLE', `cannot ${doing} ${where}: ${first}`, e);
  return new StoreError('ERR_STORE_IO', `failed to ${doing} ${where}: ${first}`, e);
}

// ---- COPY text format ----

const NULL_TEXT = '\\N';

/** COPY's text escapes, plus NUL (which PostgreSQL text cannot hold) as U+FFFD. */
function copyText(s: string): string {
  return /[\\\t\n\r\0]/.test(s) ? s.replace(/[\\\t\n\r\0]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\uFFFD')) : s;
}

/** Epoch ms (fractional) as a timestamp with microseconds, UTC. */
export function isoMicros(ms: number): string {
  const us = Math.round(ms * 1000);
  const s = Math.floor(us / 1e6);
  return `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(us - s * 1e6).padStart(6, '0')}`;
}

/** One value in COPY text form, by the column's declared type. */
function valueText(c: Column, v: unknown): string {
  if (v == null) return NULL_TEXT;
  switch (c.type) {
    case 'BLOB': return `\\\\x${Buffer.from(v as Uint8Array).toString('hex')}`;
    case 'BOOLEAN': return v ? 't' : 'f';
    case 'TIMESTAMP': return isoMicros(Number(v));
    case 'INTEGER': case 'UINTEGER': return typeof v === 'bigint' ? v.toString() : String(Math.round(Number(v)));
    case 'UBIGINT': return typeof v === 'bigint' ? v.toString() : String(v);
    case 'DOUBLE': return String(v);
    case 'VARCHAR': case 'JSON': return copyText(String(v));
  }
}

/** Row r of a sent column as COPY text. */
function sentText(c: Column, data: ColumnData, r: number): string {
  switch (c.input) {
    case 'num': {
      const x = (data as Float64Array)[r]!;
      return Number.isNaN(x) ? NULL_TEXT : valueText(c, c.type === 'BOOLEAN' ? x !== 0 : x);
    }
    case 'u64': return (data as BigUint64Array)[r]!.toString();
    case 'id': { const a = data as Uint8Array; return Buffer.from(a.buffer, a.byteOffset + r * NODE_ID_SIZE, NODE_ID_SIZE).toString('hex'); }
    case 'bytes': { const b = data as BytesColumn; return valueText(c, b.heap.subarray(b.offsets[r]!, b.offsets[r + 1]!)); }
    case 'text': return valueText(c, (data as Array<string | null>)[r]);
    default: throw new Error(`${c.name} is derived`);
  }
}

/** A batch as COPY text lines, one per row (each ending in a newline). */
export function batchLines(decl: TableDecl, b: TableBatch): string[] {
  let rb;
  try { rb = readBatch(decl, b); } catch (e) { throw new StoreError('ERR_STORE_BAD_ROW', (e as Error).message); }
  const cols = columnsOf(decl);
  const lines = new Array<string>(b.rows);
  const vals = new Array<string>(cols.length);
  for (let r = 0; r < b.rows; r++) {
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      vals[i] = c.input !== null ? sentText(c, rb.byName.get(c.name)!, r) : valueText(c, derivedValue(c, rb.sources![r]));
    }
    lines[r] = `${vals.join('\t')}\n`;
  }
  return lines;
}

export interface PostgresOptions extends BackendOptions {
  /** The tables and views to create (default: the crawl store's). Tests declare their own. */
  tables?: readonly TableDecl[];
  views?: readonly ViewDecl[];
}

/** Opens a client with our type parsers, UTC, and a bounded connect time. */
export async function connectPg(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: PG_TYPES, application_name: applicationName, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A dropped connection surfaces on the next query; without a listener it would be an uncaught 'error'.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`SET TIME ZONE 'UTC'`);
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

/** The schema version of the database behind `client`, or null if it holds no dhtscope tables. */
export async function pgSchemaVersion(client: pg.Client): Promise<number | null> {
  const has = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = current_schema()`);
  if (has.rowCount === 0) return null;
  const v = (await client.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`)).rows[0]?.value;
  return v == null ? null : Number(v);
}

export class PostgresBackend implements StoreBackend {
  private client: pg.Client | null = null;
  private readonly tables: ReadonlyMap<string, TableDecl>;
  nextNodeIx = 0;
  broken = false;

  private constructor(readonly path: string, private readonly opts: PostgresOptions) {
    this.tables = new Map((opts.tables ?? TABLES).map((t) => [t.name, t]));
  }

  /** Connects and brings the schema to this version; an unreachable server or a newer schema fail here. */
  static async open(url: string, opts: PostgresOptions): Promise<PostgresBackend> {
    const b = new PostgresBackend(url, opts);
    try {
      await b.connect();
    } catch (e) {
      b.close();
      throw mapPgError(e, url, 'open database');
    }
    return b;
  }

  private q(): pg.Client {
    if (!this.client) throw new StoreError('ERR_STORE_CLOSED', `store ${redactUrl(this.path)} is closed`);
    return this.client;
  }

  private async connect(): Promise<void> {
    this.client = await connectPg(this.path, 'dhtscope writer');
    const q = this.client;
    await q.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    try {
      const v = await pgSchemaVersion(q);
      if (v != null && !(v <= SCHEMA_VERSION)) {
        throw new StoreError('ERR_STORE_INVALID', `${redactUrl(this.path)} has schema version ${v}; this dhtscope understands up to ${SCHEMA_VERSION}`);
      }
      await this.inTransaction(async () => {
        for (const sql of COMPAT_FUNCTIONS) await q.query(sql);
        for (const t of this.tables.values()) {
          await q.query(createTableSql(t, 'postgres'));
          for (const sql of createIndexSql(t)) await q.query(sql);
        }
        if (v == null) await q.query(`INSERT INTO meta VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING`, [String(SCHEMA_VERSION)]);
        else if (v < SCHEMA_VERSION) await this.migrate(v);
        for (const view of this.opts.views ?? VIEWS) await q.query(createViewSql(view));
      });
    } finally {
      await q.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
    }
    if (this.tables.has('crawl_nodes')) {
      const maxIx = (await q.query<{ m: bigint | null }>('SELECT max(ix) AS m FROM crawl_nodes')).rows[0]?.m;
      this.nextNodeIx = Math.max(this.nextNodeIx, maxIx == null ? 0 : Number(maxIx) + 1);
    }
    await q.query(`INSERT INTO meta VALUES ('last_opened_at', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [new Date().toISOString()]);
    if (this.tables.has('nodes_staging')) await this.mergeNodes();
  }

  private async migrate(from: number): Promise<void> {
    if (from < POSTGRES_FIRST_SCHEMA) {
      throw new StoreError('ERR_STORE_INVALID', `${redactUrl(this.path)} claims schema version ${from}, older than any PostgreSQL database dhtscope made (${POSTGRES_FIRST_SCHEMA})`);
    }
    for (const m of MIGRATIONS) {
      if (m.to <= from) continue;
      if (!m.postgres) throw new StoreError('ERR_STORE_INVALID', `no PostgreSQL migration to schema ${m.to}`);
      for (const sql of m.postgres) await this.q().query(sql);
    }
    await this.q().query(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION)]);
  }

  private async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    const q = this.q();
    try {
      await q.query('BEGIN');
      const r = await fn();
      await q.query('COMMIT');
      return r;
    } catch (e) {
      if (isConnectionError(e)) this.broken = true;
      else await q.query('ROLLBACK').catch(() => { this.broken = true; });
      throw e;
    }
  }

  async reopen(): Promise<void> {
    this.close();
    await this.connect();
    this.broken = false;
  }

  /** COPY of whole lines, in a savepoint; a refused row splits the range until it stands alone and is dropped. */
  private async copyLines(decl: TableDecl, lines: readonly string[], lo: number, hi: number, res: WriteResult): Promise<number> {
    const q = this.q();
    await q.query('SAVEPOINT batch');
    try {
      const stream = q.query(copyStreams.from(`COPY ${decl.name} (${columnsOf(decl).map((c) => c.name).join(', ')}) FROM STDIN`));
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('finish', resolve);
        stream.end(lo === 0 && hi === lines.length ? lines.join('') : lines.slice(lo, hi).join(''));
      });
      await q.query('RELEASE SAVEPOINT batch');
      return hi - lo;
    } catch (e) {
      if (!isRowError(e)) throw e;
      await q.query('ROLLBACK TO SAVEPOINT batch');
      await q.query('RELEASE SAVEPOINT batch');
      if (hi - lo === 1) {
        res.rejected++;
        res.rejectReason ??= e instanceof Error ? e.message.split('\n')[0]! : String(e);
        return 0;
      }
      const mid = lo + ((hi - lo) >> 1);
      return await this.copyLines(decl, lines, lo, mid, res) + await this.copyLines(decl, lines, mid, hi, res);
    }
  }

  async write(batches: readonly TableBatch[]): Promise<WriteResult> {
    if (!this.client || this.broken) throw new StoreError('ERR_STORE_UNREACHABLE', `store ${redactUrl(this.path)} needs a reconnect`);
    const res: WriteResult = { committed: {}, rejected: 0, rejectReason: null, appendMs: 0, commitMs: 0, tableMs: {} };
    const t0 = performance.now();
    try {
      await this.inTransaction(async () => {
        for (const b of batches) {
          const decl = this.tables.get(b.table);
          if (!decl?.batched) throw new StoreError('ERR_STORE_BAD_ROW', `no batched table ${b.table}`);
          const b0 = performance.now();
          const lines = batchLines(decl, b);
          const n = lines.length ? await this.copyLines(decl, lines, 0, lines.length, res) : 0;
          res.committed[b.table] = (res.committed[b.table] ?? 0) + n;
          res.tableMs[b.table] = (res.tableMs[b.table] ?? 0) + performance.now() - b0;
        }
        res.appendMs = performance.now() - t0;
      });
      res.commitMs = performance.now() - t0 - res.appendMs;
      return res;
    } catch (e) {
      if (isConnectionError(e)) this.broken = true;
      throw mapPgError(e, this.path, 'write database');
    }
  }

  async mergeNodes(): Promise<void> {
    try {
      await this.q().query(MERGE_NODES_PG);
    } catch (e) {
      if (isConnectionError(e)) this.broken = true;
      throw mapPgError(e, this.path, 'merge nodes in database');
    }
  }

  /** INSERT … RETURNING id for crawls or campaigns, ids allocated as max + 1 under a lock every vantage takes. */
  private async allocate(doing: string, sql: string, params: unknown[], existing: [string, unknown[]] | null = null): Promise<number> {
    try {
      return await this.inTransaction(async () => {
        await this.q().query('SELECT pg_advisory_xact_lock($1)', [ID_LOCK]);
        const found = existing ? (await this.q().query<{ id: number }>(existing[0], existing[1])).rows : [];
        if (found.length > 0) return Number(found[0]!.id);
        return Number((await this.q().query<{ id: number }>(sql, params)).rows[0]!.id);
      });
    } catch (e) {
      throw mapPgError(e, this.path, doing);
    }
  }

  beginCrawl(c: CrawlStart): Promise<number> {
    return this.allocate('start a crawl in database',
      `INSERT INTO crawls (id, started_at, params, vantage, version, strategy, campaign_id, vantage_addr, protocol)
       SELECT coalesce(max(id), 0) + 1, epoch_ms($1::bigint), $2::json, $3, $4, $5, $6, $7, $8 FROM crawls RETURNING id`,
      [Math.round(c.startedAtMs), toJson(c.params), c.vantage, c.version, c.strategy, c.campaignId ?? null, c.vantageAddr ?? null, c.protocol]);
  }

  beginCampaign(c: CampaignStart): Promise<number> {
    // Under the id lock, so two monitors starting one shared campaign together make one row.
    return this.allocate('start a campaign in database',
      `INSERT INTO campaigns (id, started_at, params, vantage, version, vantage_addr, shared_name, protocol)
       SELECT coalesce(max(id), 0) + 1, epoch_ms($1::bigint), $2::json, $3, $4, $5, $6, $7 FROM campaigns RETURNING id`,
      [Math.round(c.startedAtMs), toJson(c.params), c.vantage, c.version, c.vantageAddr ?? null, c.sharedName ?? null, c.protocol],
      c.sharedName ? [JOIN_SHARED_CAMPAIGN, [c.sharedName]] : null);
  }

  private async stamp(table: 'crawls' | 'campaigns', id: number, summary: object, endedAtMs: number, doing: string): Promise<boolean> {
    try {
      const r = await this.q().query(`UPDATE ${table} SET ended_at = epoch_ms($1::bigint), summary = $2::json WHERE id = $3`, [Math.round(endedAtMs), toJson(summary), id]);
      return (r.rowCount ?? 0) > 0;
    } catch (e) {
      if (isConnectionError(e)) this.broken = true;
      throw mapPgError(e, this.path, doing);
    }
  }

  endCrawl(crawlId: number, summary: object, endedAtMs: number): Promise<boolean> {
    return this.stamp('crawls', crawlId, summary, endedAtMs, 'end a crawl in database');
  }

  endCampaign(campaignId: number, summary: object, endedAtMs: number): Promise<boolean> {
    return this.stamp('campaigns', campaignId, summary, endedAtMs, 'end a campaign in database');
  }

  async query(sql: string, params?: SqlParam[]): Promise<Record<string, unknown>[]> {
    try {
      return (await this.q().query({ text: sql, values: params?.map((p) => (typeof p === 'bigint' ? p.toString() : p)) })).rows as Record<string, unknown>[];
    } catch (e) {
      if (isConnectionError(e)) this.broken = true;
      throw mapPgError(e, this.path, 'query database');
    }
  }

  /** Through a DuckDB snapshot of the database, which writes the export formats (and sees what is committed). */
  copyTo(sql: string, format: ExportFormat, outPath: string): Promise<number> {
    return copyFromPostgres(this.path, sql, format, outPath, this.opts.memoryLimitMB);
  }

  close(): void {
    const c = this.client;
    this.client = null;
    if (c) void c.end().catch(() => undefined);
  }
}
