// DuckDB's bundled jemalloc keeps freed pages for a while (its dirty/muzzy decay) before returning them to the
// OS. A crawl's store allocates and frees steadily, so those kept pages add to the crawler's RSS for nothing
// (BENCHMARKS.md, "Scale"). jemalloc reads this when libduckdb is loaded, anywhere in the process, so the
// store imports this module first, before its writer thread starts. A user's own setting wins.

/** jemalloc options for DuckDB's allocator (env DUCKDB_JE_MALLOC_CONF). */
export const DUCKDB_ALLOCATOR_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0';

process.env.DUCKDB_JE_MALLOC_CONF ??= DUCKDB_ALLOCATOR_CONF;
