// Node flags the dhtscope CLI runs with. bin/dhtscope.js carries them on its shebang line (env -S), and the
// benchmarks start their crawler processes with them, so both measure the same runtime.

/**
 * V8 lets the old generation grow to 4x its live size once the heap limit is 2 GiB or more, and to at most
 * ~2x below that. The smaller factor is what keeps a 250k-record crawl within its memory budget
 * (BENCHMARKS.md, "Scale"); 2047 MiB still holds ~3M crawl nodes.
 */
export const CLI_HEAP_LIMIT_MB = 2047;

export const CLI_NODE_FLAGS: readonly string[] = [`--max-old-space-size=${CLI_HEAP_LIMIT_MB}`];
