export { Store, DEFAULT_CRAWL_PROTOCOL, DEFAULT_DUCKDB_MEMORY_MB, type StoreOptions, type StoreStats, type CrawlParams, type CampaignParams, type CrawlInfo } from './store.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { ExportFormat, Queryable, SqlParam, StoreBackend } from './backend.js';
export { READER_MEMORY_MB, StoreReader, type ReaderOptions } from './reader.js';
export { crawlInterrupted, crawlOrLatest, EXPORT_QUERIES, exportSql, formatNodesJson, nodeSetSql, type ExportQuery } from './exports.js';
export type { InputRow, TableDecl, ColumnDecl } from './columns.js';
export * from './tables.js';
export { isPostgresUrl, redactUrl, urlHasPassword } from './pg-url.js';
export { copyDuckDbToPostgres, type TransferResult } from './transfer.js';
