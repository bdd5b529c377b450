import { writeFileSync } from 'node:fs';
import { DEFAULT_LIBP2P_PROBE_TIMEOUT_MS, DEFAULT_MONITOR_CONFIG, type MonitorConfig } from '../monitor/config.js';
import { runMonitorJob, type MonitorStatus, type MonitorSummary } from '../app/monitor-job.js';
import { MonitorMetrics } from '../app/metrics.js';
import { formatHelp, parseArgs, parseDurationMs, parseRange, type FlagSpecs } from '../util/args.js';
import { UsageError } from '../util/errors.js';
import { CRAWL_FLAGS, LIBP2P_CRAWL_FLAGS, bootnodesFromFlags, configFromFlags, givenFlags, libp2pBootnodesFromFlags } from './crawl.js';
import { DHT_PROTOCOLS, type DhtProtocol } from '../store/index.js';
import { checkDb } from './db-flags.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { onSignals } from '../app/signals.js';
import { version } from './version.js';

const M = DEFAULT_MONITOR_CONFIG;
/** A default duration as --help shows it and parseDurationMs reads it: 30m, 1m, 15m, 90s. */
const seconds = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
/** Without a terminal, a status line this often: a week-long campaign's log stays readable. */
const LOG_STATUS_EVERY_MS = 60_000;

// The crawl flags that make sense per crawl of a campaign (not its length, cycles or summary file).
const { duration: _d, cycles: _c, out: _o, 'progress-interval-ms': _p, ...CRAWL_PART } = CRAWL_FLAGS;

export const MONITOR_FLAGS: FlagSpecs = {
  ...CRAWL_PART,
  duration: { type: 'string', help: 'stop the campaign after this long (e.g. 6h, 7d); default: until SIGINT/SIGTERM', valueName: 'time' },
  'crawl-every': { type: 'string', help: 'start a full crawl this often (each is stored as a normal crawl of the campaign)', default: seconds(M.crawlEveryMs), valueName: 'time' },
  'crawl-max': { type: 'string', help: 'stop a crawl after this long (default: --crawl-every)', valueName: 'time' },
  'probe-rate': { type: 'number', help: 'liveness probes/s at most (their own budget; while a crawl runs they take a quarter of it)', default: M.probeRatePerSec, min: 1, max: 1_000_000 },
  'probe-timeout-ms': {
    type: 'int', min: 1, max: 60_000,
    help: `wait for a probe's WHOAREYOU before a resend (--retransmits resends; default ${M.probeTimeoutMs}); libp2p: for its dial (default ${DEFAULT_LIBP2P_PROBE_TIMEOUT_MS}, no resend)`,
  },
  'probe-min': { type: 'string', help: 'shortest re-check interval of a node (also how soon a failed probe is confirmed)', default: seconds(M.probeMinMs), valueName: 'time' },
  'probe-max': { type: 'string', help: 'longest re-check interval (also of nodes that never answered)', default: seconds(M.probeMaxMs), valueName: 'time' },
  'probe-factor': { type: 'string', help: 'an up node is re-checked after f x its uptime so far (clamped to --probe-min..--probe-max), f drawn from LOW-HIGH', default: `${M.probeFactorLow}-${M.probeFactorHigh}`, valueName: 'LOW-HIGH' },
  failures: { type: 'int', help: 'failed probes in a row that end an uptime session (K)', default: M.failuresToEnd, min: 1, max: 100 },
  'checkpoint-every': { type: 'string', help: 'write the open sessions and the checkpoint this often', default: seconds(M.checkpointEveryMs), valueName: 'time' },
  'sample-every': { type: 'string', help: 'record the monitor\'s counts (monitor_samples) this often', default: seconds(M.sampleEveryMs), valueName: 'time' },
  'max-tracked': { type: 'int', help: 'nodes tracked at most (more are counted, not tracked)', default: M.maxTracked, min: 1, max: 100_000_000 },
  checkpoint: { type: 'string', help: 'checkpoint file (default: the --db file + .monitor; for a PostgreSQL --db, dhtscope-<db>-<vantage>.monitor here); an existing one resumes its campaign', valueName: 'file' },
  'new-campaign': { type: 'bool', help: 'start a new campaign even if the checkpoint holds one under way' },
  campaign: {
    type: 'string', valueName: 'name',
    help: 'join the shared campaign of this name (started by the first monitor given it) with a PostgreSQL --db: its monitors, each with its own --vantage, split the liveness probes by shard leases',
  },
  lease: { type: 'string', help: 'shared campaign: a vantage\'s shard leases lapse this long after its last renewal (a killed vantage\'s shards are then taken over)', default: seconds(M.leaseMs), valueName: 'time' },
  'keep-probe-rows': { type: 'string', help: 'shared campaign: delete this vantage\'s `probes` rows older than this (the other vantages read only the last seconds); `all` keeps them', default: seconds(M.probeRowsKeepMs!), valueName: 'time' },
  'every-vantage': { type: 'bool', help: 'shared campaign: every vantage probes every node and writes its own sessions (reachability compared per vantage; `stats --vantage`), instead of splitting the probes' },
  'metrics-port': { type: 'int', help: 'serve Prometheus metrics at http://HOST:PORT/metrics and the latest status as JSON at /status (off by default)', min: 0, max: 65535 },
  'metrics-host': { type: 'string', help: 'address the metrics endpoint binds', default: '127.0.0.1', valueName: 'ip' },
  out: { type: 'string', help: 'write the final summary JSON here', valueName: 'file' },
};

/** The monitor's own flags: with --protocol libp2p they apply beside the libp2p crawl's. */
const MONITOR_OWN_FLAGS = Object.keys(MONITOR_FLAGS).filter((k) => !(k in CRAWL_PART) || k === 'duration' || k === 'out');

export const MONITOR_HELP = formatHelp('dhtscope monitor [--protocol discv5|libp2p] (--bootnode ENR|MULTIADDR | --network NAME | --simnet TRUTH) --db FILE [options]',
  'Runs a measurement campaign: a full crawl every --crawl-every, and between crawls a liveness prober that\n' +
  're-checks every known node with a random packet (a live node answers WHOAREYOU; no handshake). Records\n' +
  'uptime sessions, address and seq changes, and samples in the database; `dhtscope stats` reads them.\n' +
  'Killed and started again with the same --db, it resumes its campaign; the time it was away is a gap of its\n' +
  'own (monitor_gaps), not a time every node was down. With --campaign NAME and a PostgreSQL --db, several\n' +
  'monitors share one campaign and its probes. Definitions: README, "Campaigns".\n' +
  'With --protocol libp2p it watches a libp2p Kademlia DHT (IPFS): its crawls are libp2p crawls, and a probe is\n' +
  'a dial (TCP, Noise, Yamux) closed at once. Of the crawl flags it then takes only\n' +
  `  ${[...LIBP2P_CRAWL_FLAGS].filter((f) => !['help', 'protocol', 'duration', 'out', 'json'].includes(f)).map((f) => `--${f}`).join(', ')}.`, MONITOR_FLAGS);

export function monitorConfigFromFlags(f: Record<string, unknown>): Partial<MonitorConfig> {
  const ms = (k: string) => parseDurationMs(f[k] as string, k);
  const [low, high] = parseRange(f['probe-factor'] as string, 'probe-factor');
  const min = ms('probe-min'), max = ms('probe-max');
  if (max < min) throw new UsageError('ERR_USAGE_BAD_FLAG', `--probe-max (${f['probe-max']}) must be at least --probe-min (${f['probe-min']})`);
  if (!(low > 0)) throw new UsageError('ERR_USAGE_BAD_FLAG', '--probe-factor: LOW must be more than 0');
  return {
    durationMs: f.duration ? ms('duration') : null, crawlEveryMs: ms('crawl-every'), probeRatePerSec: f['probe-rate'] as number,
    probeTimeoutMs: (f['probe-timeout-ms'] as number | undefined) ?? (f.protocol === 'libp2p' ? DEFAULT_LIBP2P_PROBE_TIMEOUT_MS : M.probeTimeoutMs), probeMinMs: min, probeMaxMs: max, probeFactorLow: low, probeFactorHigh: high,
    failuresToEnd: f.failures as number, checkpointEveryMs: ms('checkpoint-every'), sampleEveryMs: ms('sample-every'), maxTracked: f['max-tracked'] as number,
    leaseMs: ms('lease'), probeRowsKeepMs: f['keep-probe-rows'] === 'all' ? null : ms('keep-probe-rows'), probeEveryVantage: Boolean(f['every-vantage']),
  };
}

export function statusLine(s: MonitorStatus): string {
  const p = s.probes;
  const answered = p.ok + p.failed > 0 ? `${Math.round((100 * p.ok) / (p.ok + p.failed))}% answered` : 'none yet';
  return `campaign ${s.campaignId} ${fmtElapsed(s.elapsedMs)}: ${s.up} up, ${s.reachable} reachable, ${s.tracked} tracked | ` +
    `crawls ${s.crawlsDone}${s.crawlRunning ? ` (running: ${s.crawl?.measured ?? 0} measured)` : ''} | probes ${s.probesPerSec}/s, ${p.whoareyou + p.dial} sent, ${answered} | ` +
    `${s.sessionsEnded} sessions ended, ${s.changes} changes` +
    (s.shared ? ` | shared: ${s.shared.shards} shards, ${s.shared.vantages} vantages, ${s.shared.remoteProbes} of their probes read` : '');
}

function fmtElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export async function runMonitor(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, MONITOR_FLAGS);
  if (flags.help) { io.out(MONITOR_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const protocol = flags.protocol as DhtProtocol;
  if (!(DHT_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--protocol must be ${DHT_PROTOCOLS.join(' or ')}, not "${protocol}"`);
  const given = givenFlags(argv);
  if (protocol === 'libp2p') {
    const wrong = given.find((g) => !LIBP2P_CRAWL_FLAGS.has(g) && !MONITOR_OWN_FLAGS.includes(g));
    if (wrong) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${wrong} applies to --protocol discv5 only`);
  } else if (given.includes('keys-per-cpl')) {
    throw new UsageError('ERR_USAGE_BAD_VALUE', '--keys-per-cpl applies to --protocol libp2p only');
  }
  const monitor = monitorConfigFromFlags(flags);
  const crawlMaxMs = flags['crawl-max'] ? parseDurationMs(flags['crawl-max'] as string, 'crawl-max') : monitor.crawlEveryMs!;
  const crawl = { ...configFromFlags({ ...flags, duration: undefined, cycles: 1, 'progress-interval-ms': 100 }), durationMs: crawlMaxMs };
  const { bootnodes, extra } = protocol === 'libp2p' ? libp2pBootnodesFromFlags(flags) : bootnodesFromFlags(flags);
  const libp2p = {
    ...(given.includes('concurrency') ? { concurrency: flags.concurrency as number } : {}),
    ...(given.includes('rate') ? { visitsPerSec: flags.rate as number } : {}),
    ...(flags['keys-per-cpl'] !== undefined ? { keysPerCpl: flags['keys-per-cpl'] as number } : {}),
  };
  const metrics = flags['metrics-port'] !== undefined ? new MonitorMetrics() : null;
  let server: { port: number; close: () => Promise<void> } | null = null;
  if (metrics) server = await metrics.listen(flags['metrics-port'] as number, flags['metrics-host'] as string);
  const tty = io.isTty && !flags.json;
  let lastLog = 0;
  let off = () => {};
  let summary: MonitorSummary;
  try {
    summary = await runMonitorJob({
      protocol, crawl, libp2p, monitor, bootnodes, dbPath: checkDb(flags.db as string, false), dbMemoryMB: flags['db-memory-mb'] as number,
      checkpointPath: flags.checkpoint as string | undefined, newCampaign: Boolean(flags['new-campaign']), sharedCampaign: (flags.campaign as string | undefined) ?? null,
      keyFile: flags['key-file'] as string, freshIdentity: flags['fresh-identity'] as boolean, version: version(), extraParams: extra,
      onStart: (stop, info) => {
        off = onSignals(stop, io, { lastFlush: info.flush, release: info.release });
        if (flags.json) return;
        io.err(info.resumed
          ? `monitor: resumed campaign ${info.campaignId} after ${((info.gapMs ?? 0) / 1000).toFixed(1)} s away (recorded as a gap of the monitor)`
          : `monitor: campaign ${info.campaignId} started${server ? `; metrics on http://${flags['metrics-host']}:${server.port}/metrics` : ''}`);
      },
      onStatus: (s) => {
        metrics?.update(s);
        if (tty) process.stderr.write(`\r\x1b[2K${statusLine(s)}`);
        else if (!flags.json && s.elapsedMs - lastLog >= LOG_STATUS_EVERY_MS) { lastLog = s.elapsedMs; io.err(`monitor: ${statusLine(s)}`); }
      },
      onCrawl: (c) => {
        if (flags.json) return;
        io.err(`${tty ? '\r\x1b[2K' : ''}monitor: crawl ${c.crawlId} done: ${c.measured} measured, ${c.failed} failed of ${c.discovered} in ${(c.elapsedMs / 1000).toFixed(1)} s${c.cutShort ? ', cut short' : ''}`);
      },
      onProbeRtt: metrics ? (ms) => metrics.observeRtt(ms) : undefined,
    });
  } finally {
    off();
    await server?.close();
  }
  if (tty) process.stderr.write('\n');
  if (flags.out) writeFileSync(flags.out as string, JSON.stringify(summary, null, 2) + '\n');
  io.out(flags.json ? toJson(summary) : `monitor: stopped. ${statusLine(summary)}; checkpoint ${summary.checkpoint} (${summary.checkpointBytes} bytes)`);
  return 0;
}
