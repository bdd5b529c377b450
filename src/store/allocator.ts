// DuckDB's bundled jemalloc keeps freed pages for a while (its dirty/muzzy decay) before returning them to the
// OS. A crawl's store allocates and frees steadily, and at 250k records those kept pages were ~70 MB of the
// crawler's RSS. Returning them at once costs no measurable CPU here (bench:store). jemalloc reads this when
// libduckdb is loaded, so this module is imported before '@duckdb/node-api'. A user's own setting wins.

/** jemalloc options for DuckDB's allocator (env DUCKDB_JE_MALLOC_CONF). */
export const DUCKDB_ALLOCATOR_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0';

process.env.DUCKDB_JE_MALLOC_CONF ??= DUCKDB_ALLOCATOR_CONF;
