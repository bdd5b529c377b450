export { Store, DEFAULT_DUCKDB_MEMORY_MB } from './store.js';
export { StoreError, mapStoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
export type * from './types.js';
