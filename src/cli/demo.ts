import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLAG_MAX, formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { runCrawlJob } from '../app/crawl-job.js';
import { formatSummary, progressLine } from './crawl.js';
import { onSignals } from '../app/signals.js';
import { compareWithTruth } from '../app/truth-compare.js';
import { startSimnet } from '../simnet/simnet.js';
import { simnetOptionsFromFlags, SIMNET_FLAGS } from './simnet.js';
import { strategyNames } from '../crawler/strategies.js';
import { DEFAULT_CRAWL_CONFIG } from '../crawler/config.js';
import { UsageError } from '../util/errors.js';
import { version } from './version.js';
import { runReport } from '../app/report-job.js';
import { READER_MEMORY_MB } from '../store/index.js';

const DAY_MS = 86_400_000;

export const DEMO_FLAGS: FlagSpecs = {
  ...SIMNET_FLAGS,
  nodes: { ...SIMNET_FLAGS.nodes!, default: 5000 },
  dead: { ...SIMNET_FLAGS.dead!, default: 7500 },
  strategy: { type: 'string', help: 'crawl strategy', default: DEFAULT_CRAWL_CONFIG.strategy },
  rate: { type: 'number', help: 'crawl rate limit, requests/s', default: 1000, min: 1, max: FLAG_MAX.perSec },
  db: { type: 'string', help: 'DuckDB file for the crawl', default: 'dhtscope-demo.duckdb', valueName: 'file' },
  out: { type: 'string', help: 'write the summary and coverage JSON here', valueName: 'file' },
  report: { type: 'string', help: 'write the crawl\'s HTML report (figures as SVG, PNG and CSV) into this folder', default: 'dhtscope-demo-report', valueName: 'dir' },
  'no-report': { type: 'bool', help: 'skip the report' },
};
delete DEMO_FLAGS.duration;
delete DEMO_FLAGS.lateness;

export const DEMO_HELP = formatHelp('dhtscope demo [options]',
  'Starts a local simnet (default 5,000 live nodes + 7,500 dead records, in its own process), crawls it\n' +
  'from one bootnode into DuckDB, and reports coverage and timing against the simnet\'s truth.', DEMO_FLAGS);

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, DEMO_FLAGS);
  if (flags.help) { io.out(DEMO_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  if (!strategyNames().includes(flags.strategy as string)) throw new UsageError('ERR_USAGE_BAD_STRATEGY', `unknown --strategy "${flags.strategy}"`);
  const quiet = Boolean(flags.json);
  const log = (l: string) => { if (!quiet) io.err(l); };
  const simOpts = simnetOptionsFromFlags(flags);
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-demo-'));
  const truthFile = join(dir, 'truth.json');
  log(`demo: starting simnet with ${simOpts.nodes} live nodes and ${simOpts.dead} dead records...`);
  const net = await startSimnet({ ...simOpts, truthFile });
  try {
    log(`demo: simnet ready in ${(net.truth.startupMs / 1000).toFixed(1)} s; crawling from 1 bootnode at ${flags.rate} req/s`);
    const showProgress = io.isTty && !quiet;
    let off = () => {};
    const { summary, crawler } = await runCrawlJob({
      config: { strategy: flags.strategy as string, ratePerSec: flags.rate as number, burst: Math.max(1, Math.round((flags.rate as number) / 20)), bindAddress: '127.0.0.1' },
      bootnodes: net.truth.bootnodes.slice(0, 1), dbPath: flags.db as string, keyFile: null, freshIdentity: true,
      version: version(), extraParams: { simnetTruth: truthFile, simnet: net.truth.params },
      onProgress: showProgress ? (s, rps) => process.stderr.write(`\r\x1b[2K${progressLine(s, rps)}`) : undefined,
      onStart: (stop, store) => { off = onSignals(stop, io, { lastFlush: store ? () => store.flush() : undefined, release: store ? () => store.abort() : undefined }); },
    }).finally(() => off());
    if (showProgress) process.stderr.write('\n');
    const cov = compareWithTruth(crawler, net.truth);
    const result = { summary, coverage: cov, simnet: { live: net.truth.live.length, dead: net.truth.dead.length, nat: net.truth.nat.length, startupMs: net.truth.startupMs } };
    const report = flags['no-report'] ? null : await runReport({
      dbPath: flags.db as string, outDir: flags.report as string, windowMs: DAY_MS, dbMemoryMB: READER_MEMORY_MB, toolVersion: version(),
    });
    if (flags.out) writeFileSync(flags.out as string, JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    if (quiet) { io.out(toJson({ ...result, report: report ? join(flags.report as string, 'index.html') : null })); return 0; }
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const sec = (x: number | null) => (x === null ? 'not reached' : `${(x / 1000).toFixed(1)} s`);
    io.out(formatSummary(summary));
    io.out([
      '',
      'against the simnet truth:',
      `  live nodes measured   ${cov.liveMeasured} / ${cov.liveTotal} (${pct(cov.coverageLive)}); records of live nodes found ${cov.liveDiscovered}`,
      `  dead records found    ${cov.deadDiscovered} / ${cov.deadTotal} (${pct(cov.coverageDead)}); NAT'd found ${cov.natDiscovered} / ${cov.natTotal}`,
      `  time to 50/90/99%     ${sec(cov.t50Ms)} / ${sec(cov.t90Ms)} / ${sec(cov.t99Ms)} of live nodes measured`,
      `  query it:             duckdb ${flags.db} "select status, count(*), median(rtt1_ms) from visits group by all"`,
      ...(report ? [`  report:               ${join(flags.report as string, 'index.html')} (${report.figures} figures, ${(report.totalMs / 1000).toFixed(1)} s)`] : []),
    ].join('\n'));
    return 0;
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
