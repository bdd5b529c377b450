import { startServer } from '../web/server.js';
import { formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import { UsageError } from '../util/errors.js';
import type { CliIo } from './io.js';
import { GEO_FLAGS, READER_DB_MEMORY_FLAG, checkDb, dbFlag, geoFromFlags } from './db-flags.js';
import { toJson } from './json.js';
import { onSignals } from '../app/signals.js';


export const SERVE_FLAGS: FlagSpecs = {
  db: dbFlag('the store to serve, read-only (a DuckDB file not while a crawl or monitor writes it: DuckDB allows no reader beside a writer; a PostgreSQL store is served from a snapshot taken at start)'),
  host: { type: 'string', help: 'address to listen on (anything but loopback exposes the data to the network)', default: '127.0.0.1', valueName: 'addr' },
  port: { type: 'int', help: 'TCP port (0: any free port)', default: 8080, min: 0, max: 65535 },
  ...GEO_FLAGS,
  'db-memory-mb': READER_DB_MEMORY_FLAG,
};

export const SERVE_HELP = formatHelp('dhtscope serve --db FILE [--port 8080] [--host 127.0.0.1]',
  'A read-only web UI and JSON API over a crawl database: overview with figures, networks index, node list\n' +
  '(facets, search, paging, CSV/NDJSON/ENR export of the filter), node pages, lookup by ENR/enode/peer ID/ID,\n' +
  'and a diff of two crawls; libp2p peers by agent, protocols and listen addresses. API under /api/ (README,\n' +
  '"Web UI"). Runs until SIGINT/SIGTERM.', SERVE_FLAGS);

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, SERVE_FLAGS);
  if (flags.help) { io.out(SERVE_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const log = flags.json ? () => {} : (l: string) => io.err(l);
  const geo = await geoFromFlags(flags, log);
  const s = await startServer({ dbPath: checkDb(flags.db as string, true), ...(geo ? { geo } : {}), host: flags.host as string, port: flags.port as number, dbMemoryMB: flags['db-memory-mb'] as number },
    log);
  if (flags.json) io.out(toJson({ url: s.url })); else io.err(`serve: ${s.url}/ (read-only; Ctrl-C stops)`);
  await new Promise<void>((resolve) => { onSignals(() => resolve(), io); });
  await s.close();
  return 0;
}
