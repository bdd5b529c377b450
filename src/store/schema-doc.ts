// docs/schema.md, generated from the table declarations (npm run docs:schema); a test fails when it drifts.
import { schemaMarkdown } from './columns.js';
import { SCHEMA_VERSION, TABLES, VIEWS } from './tables.js';

export function schemaDoc(): string {
  return `# Database schema (DuckDB)

<!-- Generated from src/store/tables.ts by \`npm run docs:schema\`; edit the declarations, not this file. -->

\`dhtscope crawl\` writes to one DuckDB file, schema version ${SCHEMA_VERSION}; files of older versions are migrated
when opened. Open it with the plain \`duckdb\` CLI while no crawl is running (DuckDB allows one writer process).
Conventions:

- Node IDs are 64-character lowercase hex, no \`0x\`.
- \`TIMESTAMP\` columns hold UTC wall-clock time (microsecond precision).
- \`crawl_id\` refers to \`crawls.id\`. There are no foreign keys or secondary indexes, to keep ingest fast.
- Absent values are \`NULL\`. Columns without "nullable" are \`NOT NULL\`.
- Each record is stored once per crawl and (node, seq): the crawler deduplicates before anything reaches the store.

\`\`\`sql
-- nodes that answered in the latest crawl, fastest first
SELECT node_id, ip, udp, rtt1_ms FROM visits
WHERE crawl_id = (SELECT max(id) FROM crawls) AND status = 'measured' ORDER BY rtt1_ms LIMIT 20;
\`\`\`

${schemaMarkdown(TABLES, VIEWS)}`;
}
