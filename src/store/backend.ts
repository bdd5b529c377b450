// What a store backend does, whatever database is behind it. The DuckDB engine implements it (on the writer
// thread); a PostgreSQL backend would implement the same and plug in behind Store without touching the crawler.
import type { TableBatch } from './batch.js';
import type { DhtProtocol } from './tables.js';

export type SqlParam = string | number | bigint | boolean | null;

/** A crawl's params or summary as JSON text for either backend: bigints as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
}
/** What the read-side code needs of a store: the writable Store and the read-only StoreReader both are one. */
export interface Queryable {
  readonly path: string;
  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]>;
}

export type ExportFormat = 'csv' | 'parquet' | 'ndjson';

export interface BackendOptions {
  /** Database threads. The writer must not take cores from the crawl. */
  threads: number;
  /** Buffer-pool cap in MB (10^6 bytes). */
  memoryLimitMB: number;
}

export interface CrawlStart {
  params: object;
  vantage: string;
  version: string;
  strategy: string;
  startedAtMs: number;
  /** The monitor campaign running the crawl, if any. */
  campaignId?: number | null;
  /** The vantage's own endpoint (`ip:port`) when bound to a specific address. */
  vantageAddr?: string | null;
  /** The DHT protocol crawled (Store.beginCrawl fills in DEFAULT_CRAWL_PROTOCOL). */
  protocol: DhtProtocol;
}

export interface CampaignStart {
  params: object;
  vantage: string;
  vantageAddr?: string | null;
  version: string;
  startedAtMs: number;
  /** Join the newest campaign of this name not ended, or start it (a shared campaign). */
  sharedName?: string | null;
  /** The DHT protocol monitored (Store.beginCampaign fills in DEFAULT_CRAWL_PROTOCOL). */
  protocol: DhtProtocol;
}

/** What one write did: rows committed and rows the database refused (dropped), per table. */
export interface WriteResult {
  committed: Record<string, number>;
  rejected: number;
  /** The first refusal's reason, if any row was dropped. */
  rejectReason: string | null;
  appendMs: number;
  commitMs: number;
  /** Append (DuckDB) or COPY (PostgreSQL) time per table, ms, commits not included. */
  tableMs: Record<string, number>;
}

export interface StoreBackend {
  /** The next free edge node number (crawl_nodes.ix) in the file. */
  readonly nextNodeIx: number;
  /**
   * Appends the batches and commits them as one transaction. All or nothing: if it throws, nothing of them
   * is stored and the caller keeps them for a retry. Rows the database refuses one by one are dropped and
   * counted instead, so a bad row cannot block the rest forever.
   */
  write(batches: readonly TableBatch[]): Promise<WriteResult>;
  /** Folds staged node sightings into `nodes`. */
  mergeNodes(): Promise<void>;
  beginCrawl(c: CrawlStart): Promise<number>;
  /** False if there is no such crawl. */
  endCrawl(crawlId: number, summary: object, endedAtMs: number): Promise<boolean>;
  /** A new campaign's id; for a shared name, the id of the newest campaign of that name not ended, if any. */
  beginCampaign(c: CampaignStart): Promise<number>;
  /** Stamps a clean stop (ended_at, summary); false if there is no such campaign. */
  endCampaign(campaignId: number, summary: object, endedAtMs: number): Promise<boolean>;
  /** Plain row objects (BIGINT as bigint, TIMESTAMP as Date, LIST as array). */
  query(sql: string, params?: SqlParam[]): Promise<Record<string, unknown>[]>;
  /** Writes the query's rows to a file; returns the row count. */
  copyTo(sql: string, format: ExportFormat, outPath: string): Promise<number>;
  /** After a fatal error: whether the next write must reopen first. */
  readonly broken: boolean;
  reopen(): Promise<void>;
  close(): void;
}
