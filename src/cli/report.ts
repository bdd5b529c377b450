import { runReport } from '../app/report-job.js';
import { FLAG_MAX, formatHelp, parseArgs, parseDurationMs, parseSinceMs, type FlagSpecs } from '../util/args.js';
import { UsageError } from '../util/errors.js';
import type { CliIo } from './io.js';
import { GEO_FLAGS, READER_DB_MEMORY_FLAG, checkDb, dbFlag, geoFromFlags } from './db-flags.js';
import { toJson } from './json.js';
import { version } from './version.js';


export const REPORT_FLAGS: FlagSpecs = {
  db: dbFlag('the store to report on (a DuckDB file not while a crawl or monitor writes it: DuckDB lets one process open a file; a PostgreSQL store is read as a snapshot)'),
  crawl: { type: 'int', help: 'report this crawl (default: the latest of each protocol)', min: 1, max: FLAG_MAX.id, valueName: 'id' },
  since: { type: 'string', help: 'report every crawl started since T: an ISO time (2026-12-01T00:00Z) or a duration ago (24h, 7d)', valueName: 'T' },
  campaign: { type: 'int', help: 'campaign figures for this campaign (default: the latest that ran a crawl in scope)', min: 1, max: FLAG_MAX.id, valueName: 'id' },
  window: { type: 'string', help: 'window of the campaign\'s entered/left figure', default: '24h', valueName: 'time' },
  ...GEO_FLAGS,
  out: { type: 'string', help: 'output folder: index.html, <figure>.svg/.png, <table>.csv (overwritten)', default: './report', valueName: 'dir' },
  'db-memory-mb': READER_DB_MEMORY_FLAG,
};

export const REPORT_HELP = formatHelp('dhtscope report --db FILE [--crawl N | --since T] [--out DIR]',
  'Writes the findings of a crawl (or of several, or of a monitor campaign) as a self-contained index.html\n' +
  '(opens from disk, no network), every figure as SVG and PNG, and the table behind each figure as CSV.\n' +
  'Figures: node states over time, RTT, reply-train dispersion rate, networks and forks, clients, traffic,\n' +
  'accumulation, failure reasons, ID-space density; with --geo countries and ASes; for libp2p crawls agent\n' +
  'versions, protocols supported, dial errors, connect time and NAT\'d or unreachable peers; for a campaign also\n' +
  'active nodes, entered/left per window and session length. By default the latest crawl of each protocol.', REPORT_FLAGS);

export async function runReportCli(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, REPORT_FLAGS);
  if (flags.help) { io.out(REPORT_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const db = checkDb(flags.db as string, true);
  if (flags.crawl !== undefined && flags.since !== undefined) throw new UsageError('ERR_USAGE_CONFLICT', '--crawl and --since exclude each other');
  const log = flags.json ? () => {} : (line: string) => io.err(line);
  const geo = await geoFromFlags(flags, log);
  const r = await runReport({
    dbPath: db, outDir: flags.out as string,
    ...(flags.crawl !== undefined ? { crawlId: flags.crawl as number } : {}),
    ...(flags.since !== undefined ? { sinceMs: parseSinceMs(flags.since as string, 'since', Date.now()) } : {}),
    ...(flags.campaign !== undefined ? { campaignId: flags.campaign as number } : {}),
    windowMs: parseDurationMs(flags.window as string, 'window'),
    dbMemoryMB: flags['db-memory-mb'] as number, toolVersion: version(), ...(geo ? { geo } : {}),
  }, log);
  if (flags.json) io.out(toJson({ out: flags.out, crawlIds: r.crawlIds, campaignId: r.campaignId, figures: r.figures, files: r.files, renderMs: Math.round(r.renderMs), totalMs: Math.round(r.totalMs) }));
  else io.err(`wrote ${r.figures} figures, ${r.files.length} files to ${flags.out}/ (index.html) in ${(r.totalMs / 1000).toFixed(1)} s`);
  return 0;
}
