import { writeFileSync } from 'node:fs';
import { FLAG_MAX, formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { crawlInterrupted, crawlOrLatest, EXPORT_QUERIES, redactUrl, exportSql, formatNodesJson, nodeSetSql, READER_MEMORY_MB, StoreReader, type ExportFormat, type ExportQuery } from '../store/index.js';
import { resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { checkDb, dbFlag } from './db-flags.js';
import { copyDuckDbToPostgres, isPostgresUrl } from '../store/index.js';
import { toJson } from './json.js';

/** --to: a DuckDB file into a PostgreSQL store. */
async function transfer(db: string, to: string, json: boolean, io: CliIo): Promise<number> {
  if (isPostgresUrl(db)) throw new UsageError('ERR_USAGE_BAD_VALUE', '--to copies a DuckDB file: give the file as --db');
  if (!isPostgresUrl(to)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--to must be a postgres:// URL, got ${to}`);
  checkDb(db, true);
  checkDb(to, false);
  const r = await copyDuckDbToPostgres(db, to, (line) => { if (!json) io.err(line); });
  const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
  if (json) io.out(toJson(r));
  else {
    const span = (xs: Array<{ from: number; to: number }>) => (xs.length === 0 ? 'none' : xs.map((x) => `${x.from}→${x.to}`).join(', '));
    io.out(`copied ${db} into ${redactUrl(to)}: ${total} rows; crawls ${span(r.crawls)}; campaigns ${span(r.campaigns)}`);
  }
  return 0;
}

const WHAT = EXPORT_QUERIES;
const FORMATS = ['ndjson', 'csv', 'parquet', 'nodes.json'] as const;

export const EXPORT_FLAGS: FlagSpecs = {
  db: dbFlag('the crawl store (read-only)'),
  crawl: { type: 'int', help: 'crawl id (default: the latest)', min: 1, max: FLAG_MAX.id, valueName: 'id' },
  what: { type: 'string', help: `table: ${WHAT.join('|')}`, default: 'nodes' },
  format: { type: 'string', help: `output format: ${FORMATS.join('|')}`, default: 'ndjson' },
  out: { type: 'string', help: 'output file (default: stdout for ndjson and nodes.json)', valueName: 'file' },
  to: { type: 'string', help: 'copy every crawl and campaign of the DuckDB --db into this PostgreSQL store instead (ids shifted past its own)', valueName: 'postgres://…' },
  json: { type: 'bool', help: 'with --to: print the id mapping and row counts as JSON' },
};

export const EXPORT_HELP = formatHelp('dhtscope export --db FILE|URL [--crawl ID] --what nodes|visits|edges --format ndjson|csv|parquet|nodes.json [--out FILE]\n' +
  '       dhtscope export --db FILE --to postgres://user@host:port/db',
  'Exports a crawl. nodes.json is go-ethereum\'s devp2p nodeset format (read by `devp2p nodeset`).\n' +
  'With --to, copies a whole DuckDB store into a PostgreSQL one in one transaction, so that older crawls and\n' +
  'campaigns join the ones a shared server holds; crawl and campaign ids move past the server\'s own.', EXPORT_FLAGS);

export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, EXPORT_FLAGS);
  if (flags.help) { io.out(EXPORT_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  if (flags.to !== undefined) return await transfer(flags.db as string, flags.to as string, Boolean(flags.json), io);
  const what = flags.what as string, format = flags.format as string, out = flags.out as string | undefined;
  if (!(WHAT as readonly string[]).includes(what)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--what must be one of ${WHAT.join(', ')}`);
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--format must be one of ${FORMATS.join(', ')}`);
  if (format === 'nodes.json' && what !== 'nodes') throw new UsageError('ERR_USAGE_BAD_VALUE', 'nodes.json exports --what nodes only');
  if (format === 'parquet' && !out) throw new UsageError('ERR_USAGE_BAD_VALUE', 'parquet needs --out FILE');
  if (format === 'csv' && !out) throw new UsageError('ERR_USAGE_BAD_VALUE', 'csv needs --out FILE');
  // Read-only, with file access only to the output file: a crafted database cannot make export read or write others.
  const store = await StoreReader.open(checkDb(flags.db as string, true), { memoryLimitMB: READER_MEMORY_MB, onProgress: (line) => io.err(line), ...(out ? { allowedPaths: [resolve(out)] } : {}) });
  try {
    if (flags.crawl === undefined && (await store.query(`SELECT 1 FROM crawls LIMIT 1`)).length === 0) throw new UsageError('ERR_USAGE_NO_CRAWL', `${store.path} holds no crawl`);
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
