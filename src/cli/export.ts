import { writeFileSync } from 'node:fs';
import { FLAG_MAX, formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { crawlInterrupted, crawlOrLatest, EXPORT_QUERIES, exportSql, formatNodesJson, nodeSetSql, READER_MEMORY_MB, StoreReader, type ExportFormat, type ExportQuery } from '../store/index.js';
import { resolve } from 'node:path';
import { UsageError } from '../util/errors.js';

const WHAT = EXPORT_QUERIES;
const FORMATS = ['ndjson', 'csv', 'parquet', 'nodes.json'] as const;

export const EXPORT_FLAGS: FlagSpecs = {
  db: { type: 'string', help: 'DuckDB file', default: 'dhtscope.duckdb', valueName: 'file' },
  crawl: { type: 'int', help: 'crawl id (default: the latest)', min: 1, max: FLAG_MAX.id, valueName: 'id' },
  what: { type: 'string', help: `table: ${WHAT.join('|')}`, default: 'nodes' },
  format: { type: 'string', help: `output format: ${FORMATS.join('|')}`, default: 'ndjson' },
  out: { type: 'string', help: 'output file (default: stdout for ndjson and nodes.json)', valueName: 'file' },
};

export const EXPORT_HELP = formatHelp('dhtscope export --db FILE [--crawl ID] --what nodes|visits|edges --format ndjson|csv|parquet|nodes.json [--out FILE]',
  'Exports a crawl. nodes.json is go-ethereum\'s devp2p nodeset format (read by `devp2p nodeset`).', EXPORT_FLAGS);

export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, EXPORT_FLAGS);
  if (flags.help) { io.out(EXPORT_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const what = flags.what as string, format = flags.format as string, out = flags.out as string | undefined;
  if (!(WHAT as readonly string[]).includes(what)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--what must be one of ${WHAT.join(', ')}`);
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--format must be one of ${FORMATS.join(', ')}`);
  if (format === 'nodes.json' && what !== 'nodes') throw new UsageError('ERR_USAGE_BAD_VALUE', 'nodes.json exports --what nodes only');
  if (format === 'parquet' && !out) throw new UsageError('ERR_USAGE_BAD_VALUE', 'parquet needs --out FILE');
  if (format === 'csv' && !out) throw new UsageError('ERR_USAGE_BAD_VALUE', 'csv needs --out FILE');
  // Read-only, with file access only to the output file: a crafted database cannot make export read or write others.
  const store = await StoreReader.open(flags.db as string, { memoryLimitMB: READER_MEMORY_MB, ...(out ? { allowedPaths: [resolve(out)] } : {}) });
  try {
    if (flags.crawl === undefined && (await store.query(`SELECT 1 FROM crawls LIMIT 1`)).length === 0) throw new UsageError('ERR_USAGE_NO_CRAWL', `${flags.db} holds no crawl`);
    const crawlId = await crawlOrLatest(store, flags.crawl as number | undefined);
    if (await crawlInterrupted(store, crawlId)) io.err(`dhtscope: crawl ${crawlId} was interrupted (no end recorded): the export holds what it committed before it stopped`);
    if (format === 'nodes.json') {
      const text = formatNodesJson(await store.query(nodeSetSql(crawlId)));
      if (out) writeFileSync(out, text); else io.out(text);
      return 0;
    }
    if (out) {
      const rows = await store.copyTo(exportSql(what as ExportQuery, crawlId), format as ExportFormat, resolve(out));
      io.err(`exported ${rows} ${what} rows of crawl ${crawlId} to ${out}`);
      return 0;
    }
    const rows = await store.query(exportSql(what as ExportQuery, crawlId, true));
    for (const r of rows) io.out(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
    return 0;
  } finally {
    store.close();
  }
}
