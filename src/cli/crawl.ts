import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_DUCKDB_MEMORY_MB } from '../store/index.js';
import { FLAG_MAX, formatHelp, parseArgs, parseDurationMs, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { CrawlJobError, runCrawlJob, type CrawlSummary } from '../app/crawl-job.js';
import type { Libp2pCrawlJobSummary, Libp2pProgress } from '../app/libp2p-crawl-job.js';
import { BOOTNODES, BUILTIN_NETWORKS, type BuiltinNetwork } from '../crawler/bootnodes.js';
import { defaultKeyFile } from '../crawler/identity.js';
import { CONTACT_RATE_FACTOR, DEFAULT_CRAWL_CONFIG, QUEUE_ORDERS, type CrawlConfig, type QueueOrder } from '../crawler/config.js';
import { strategyNames } from '../crawler/strategies.js';
import { STOP_VERIFY_BUDGET_MS } from '../crawler/crawler.js';
import type { ProgressSample } from '../crawler/types.js';
import { UsageError } from '../util/errors.js';
import { version } from './version.js';
import { onSignals } from '../app/signals.js';
import { checkDb, dbFlag } from './db-flags.js';
import { DHT_PROTOCOLS, type DhtProtocol } from '../store/index.js';
import { LIBP2P_BOOTNODES, LIBP2P_NETWORKS, type Libp2pNetwork } from '../libp2p/bootnodes.js';

const D = DEFAULT_CRAWL_CONFIG;

/**
 * Keys per bucket length with --protocol libp2p: a JS peer splits a length's bucket further, and each extra key
 * reads more of it at 16 more requests per peer; past 3 (48 requests a peer) the cost outgrows what it finds.
 */
const MAX_KEYS_PER_CPL = 3;

export const CRAWL_FLAGS: FlagSpecs = {
  protocol: { type: 'string', help: `DHT protocol: ${DHT_PROTOCOLS.join('|')} (libp2p: a Kademlia DHT such as IPFS's, see above)`, default: 'discv5', valueName: 'name' },
  bootnode: { type: 'list', help: 'bootnode as enr:… text or enode:// URL (libp2p: a multiaddr ending in /p2p/<peer id>)', valueName: 'enr' },
  network: { type: 'string', help: `use built-in bootnodes: ${BUILTIN_NETWORKS.join('|')} (libp2p: ${LIBP2P_NETWORKS.join('|')})`, valueName: 'name' },
  simnet: { type: 'string', help: 'take bootnodes from a simnet truth file (its protocol must be the crawl\'s)', valueName: 'truth.json' },
  'keys-per-cpl': { type: 'int', help: `libp2p only: FIND_NODE keys per bucket length 0-15 (default 1; JS peers bucket more finely)`, min: 1, max: MAX_KEYS_PER_CPL },
  strategy: { type: 'string', help: `target-distance strategy: ${strategyNames().join('|')} (adaptive: one request per node, more of live ones where the replies show the network needs it; see README)`, default: D.strategy, valueName: 'name' },
  order: { type: 'string', help: `which waiting node goes next: ${QUEUE_ORDERS.join('|')} (seen: the one returned by the most tables; fifo: discovery order)`, default: D.queueOrder, valueName: 'order' },
  rate: { type: 'number', help: 'FINDNODE requests/s at most (the visit budget: a handshake carries the first request of a visit); libp2p: visits started per second (default: no limit but --concurrency)', default: D.ratePerSec, min: 1, max: FLAG_MAX.perSec },
  'contact-rate': { type: 'number', help: `first contacts/s at most (~100-byte packets that find out whether a node answers; 0: ${CONTACT_RATE_FACTOR} x --rate)`, default: D.contactRatePerSec, min: 0, max: FLAG_MAX.perSec },
  'fixed-rate': { type: 'bool', help: 'hold --rate even when the event loop, CPUs, RTTs or worker pool show saturation (default: back off, see README)' },
  concurrency: { type: 'int', help: 'visits in flight at most (0: contact rate x timeout x tries x 1.25, so dead nodes never hold back the rate)', default: D.concurrency, min: 0, max: FLAG_MAX.count },
  'timeout-ms': { type: 'int', help: 'per-request timeout', default: D.requestTimeoutMs, min: 1, max: FLAG_MAX.timeoutMs },
  retries: { type: 'int', help: 'extra FINDNODE visits for a node whose visit failed', default: D.retries, min: 0, max: 100 },
  retransmits: { type: 'int', help: 'resends of the same request packet on timeout (UDP loss)', default: D.retransmits, min: 0, max: 10 },
  duration: { type: 'string', help: 'stop after this long (e.g. 60s, 10m, 12h, 7d; at most 366d)', valueName: 'time' },
  cycles: { type: 'int', help: 'repeat the crawl N times, keeping the accumulated records', default: D.cycles, min: 1, max: FLAG_MAX.count },
  db: dbFlag('where the crawl is stored'),
  'db-memory-mb': { type: 'int', help: 'DuckDB buffer-pool cap in MB (more: fewer evictions, more RSS)', default: DEFAULT_DUCKDB_MEMORY_MB, min: 16, max: 1_048_576 },
  out: { type: 'string', help: 'write the summary JSON here', valueName: 'file' },
  'key-file': { type: 'string', help: 'crawler key (created with mode 0600)', default: defaultKeyFile(), valueName: 'file' },
  'fresh-identity': { type: 'bool', help: 'use a new throwaway identity for this crawl' },
  'allow-private': { type: 'bool', help: 'probe loopback and private (RFC 1918, ULA) endpoints even when a public peer returned them (default: only when a loopback or private peer did)' },
  'progress-interval-ms': { type: 'int', help: 'progress-curve sampling period', default: D.progressIntervalMs, min: 10, max: 3_600_000 },
  bind: { type: 'string', help: 'local address to bind', default: D.bindAddress, valueName: 'ip' },
  vantage: { type: 'string', help: 'label of where this crawl runs from', default: D.vantage },
  threads: { type: 'int', help: 'crypto threads (1 = main thread only; N > 1 = worker pool of N for handshakes and record checks)', default: D.threads, min: 1, max: 256 },
};

/** The flags --protocol libp2p takes; the others are discv5's. */
export const LIBP2P_CRAWL_FLAGS: ReadonlySet<string> = new Set([
  'protocol', 'bootnode', 'network', 'simnet', 'db', 'db-memory-mb', 'concurrency', 'rate', 'duration', 'keys-per-cpl', 'out', 'bind', 'vantage', 'help', 'json',
]);

export const CRAWL_HELP = formatHelp('dhtscope crawl (--bootnode ENR | --network NAME | --simnet TRUTH) [options]\n' +
  '       dhtscope crawl --protocol libp2p (--bootnode MULTIADDR | --network ipfs | --simnet TRUTH) [options]',
  'Crawls a discv5 network: one FINDNODE per discovered node, more of those that answer where the replies\n' +
  'show buckets no other request would read (small networks, sparse neighbourhoods, tables of mostly dead\n' +
  'records), acting on every NODES packet as it arrives, measuring RTT, bytes and the reply train, and storing\n' +
  'it all in DuckDB.\n\n' +
  'With --protocol libp2p it crawls a libp2p Kademlia DHT (IPFS): every peer is dialed (TCP, Noise, Yamux),\n' +
  'identified (agent, protocols, listen addresses) and asked FIND_NODE for keys crafted into each of its\n' +
  'buckets 0-15. Visits, peers (identify and NAT evidence), edges and nodes go into the same store, the crawl\n' +
  'marked protocol libp2p. It takes only these flags (others exit 2):\n' +
  `  ${[...LIBP2P_CRAWL_FLAGS].filter((f) => f !== 'help' && f !== 'protocol').map((f) => `--${f}`).join(', ')}\n` +
  '--concurrency (visits in flight) then has the libp2p crawler\'s own default, --rate caps the visits started per\nsecond (no cap unless given), and --keys-per-cpl is 1 unless given.', CRAWL_FLAGS);

export function bootnodesFromFlags(f: Record<string, unknown>): { bootnodes: string[]; extra: Record<string, unknown> } {
  const out = [...(f.bootnode as string[])];
  const extra: Record<string, unknown> = {};
  if (f.network) {
    const n = f.network as string;
    if ((LIBP2P_NETWORKS as readonly string[]).includes(n)) throw new UsageError('ERR_USAGE_BAD_NETWORK', `--network ${n} is a libp2p network: add --protocol libp2p`);
    if (!(BUILTIN_NETWORKS as readonly string[]).includes(n)) throw new UsageError('ERR_USAGE_BAD_NETWORK', `unknown --network "${n}" (one of ${BUILTIN_NETWORKS.join(', ')})`);
    out.push(...BOOTNODES[n as BuiltinNetwork].enrs);
    extra.network = n;
  }
  if (f.simnet) {
    out.push(...truthBootnodes(f.simnet as string, 'discv5'));
    extra.simnetTruth = f.simnet;
  }
  return { bootnodes: out, extra };
}

/** A simnet truth file's bootnodes; one-line errors for a file of another protocol (no `protocol`: discv5). */
export function truthBootnodes(file: string, protocol: DhtProtocol): string[] {
  let truth: { bootnodes?: string[]; protocol?: string };
  try { truth = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    throw new UsageError('ERR_USAGE_BAD_TRUTH', `cannot read simnet truth file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const theirs = truth.protocol ?? 'discv5';
  if (theirs !== protocol) {
    throw new UsageError('ERR_USAGE_BAD_TRUTH', `${file} is a ${theirs} simnet; crawl it with --protocol ${theirs}${theirs === 'discv5' ? ' (the default)' : ''}`);
  }
  if (!Array.isArray(truth.bootnodes) || truth.bootnodes.length === 0) throw new UsageError('ERR_USAGE_BAD_TRUTH', `${file} lists no bootnodes`);
  return truth.bootnodes;
}

/** Names of the flags given on the command line (`--name` or `--name=value`). */
export function givenFlags(argv: readonly string[]): string[] {
  return argv.filter((a) => a.startsWith('--') && a.length > 2).map((a) => a.slice(2).split('=')[0]!);
}

/** A libp2p crawl's bootnodes from --bootnode, --network ipfs and --simnet. */
export function libp2pBootnodesFromFlags(f: Record<string, unknown>): { bootnodes: string[]; extra: Record<string, unknown> } {
  const out = [...(f.bootnode as string[])];
  const extra: Record<string, unknown> = {};
  if (f.network) {
    const n = f.network as string;
    if (!(LIBP2P_NETWORKS as readonly string[]).includes(n)) throw new UsageError('ERR_USAGE_BAD_NETWORK', `unknown --network "${n}" with --protocol libp2p (one of ${LIBP2P_NETWORKS.join(', ')})`);
    out.push(...LIBP2P_BOOTNODES[n as Libp2pNetwork]);
    extra.network = n;
  }
  if (f.simnet) {
    out.push(...truthBootnodes(f.simnet as string, 'libp2p'));
    extra.simnetTruth = f.simnet;
  }
  return { bootnodes: out, extra };
}

export function configFromFlags(f: Record<string, unknown>): Partial<CrawlConfig> {
  const strategy = f.strategy as string;
  if (!strategyNames().includes(strategy)) throw new UsageError('ERR_USAGE_BAD_STRATEGY', `unknown --strategy "${strategy}" (one of ${strategyNames().join(', ')})`);
  const order = f.order as string;
  if (!(QUEUE_ORDERS as readonly string[]).includes(order)) throw new UsageError('ERR_USAGE_BAD_ORDER', `unknown --order "${order}" (one of ${QUEUE_ORDERS.join(', ')})`);
  return {
    strategy, queueOrder: order as QueueOrder, ratePerSec: f.rate as number, contactRatePerSec: f['contact-rate'] as number, adaptiveRate: !f['fixed-rate'], allowPrivate: Boolean(f['allow-private']), burst: Math.max(1, Math.round((f.rate as number) / 20)),
    concurrency: f.concurrency as number, requestTimeoutMs: f['timeout-ms'] as number, retries: f.retries as number,
    retransmits: f.retransmits as number, cycles: f.cycles as number, progressIntervalMs: f['progress-interval-ms'] as number,
    durationMs: f.duration ? parseDurationMs(f.duration as string, 'duration') : null, bindAddress: f.bind as string, vantage: f.vantage as string, threads: f.threads as number,
  };
}

export function progressLine(s: ProgressSample, rps: number): string {
  return `discovered ${s.records}  queued ${s.queued}  pending ${s.pending}  measured ${s.measured}  failed ${s.failed}  | ${Math.round(rps)} req/s  ${(s.tMs / 1000).toFixed(1)}s`;
}

export function formatSummary(s: CrawlSummary): string {
  const nets = Object.entries(s.byNetwork).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ');
  const fails = Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `crawl ${s.crawlId ?? '-'} (${s.strategy})${s.stopped ? ' stopped early' : ''}: ${s.discovered} nodes discovered, ${s.measured} measured, ${s.failed} failed${s.unvisited ? `, ${s.unvisited} not visited` : ''}`,
    `  ${s.requests} requests in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.reqPerSec} req/s), ${s.contacts} first contacts (${s.contactsPerSec}/s), ${s.cpuUsPerRequest} us CPU per request`,
    `  ${fmtBytes(s.bytesOut)} out (${fmtBytes(s.bytesOutPerSec)}/s) / ${fmtBytes(s.bytesIn)} in${s.lateAdmissions ? `; ${s.lateAdmissions} visits admitted late (challenge possibly expired)` : ''}`,
    s.throttle && s.throttle.throttledMs > 0
      ? `  rate backed off for ${(s.throttle.throttledMs / 1000).toFixed(1)} s (down to ${s.throttle.minRatePerSec} req/s) while the event loop, CPUs, RTTs, worker pool or store backlog showed saturation; --fixed-rate disables this`
      : '',
    `  records: ${s.records.new} new, ${s.records.updated} updated, ${s.records.duplicate} duplicate, ${s.records.bad + s.records.badSignature} bad` +
      (s.records.notStored ? `; ${s.records.notStored} of unvisited nodes not checked in the stop's ${STOP_VERIFY_BUDGET_MS / 1000} s, so not stored` : ''),
    droppedLine(s.records),
    `  failures: ${fails}`,
    Object.keys(s.droppedEndpoints).length ? `  endpoints not probed: ${Object.entries(s.droppedEndpoints).map(([k, v]) => `${k} ${v}`).join(', ')}` : '',
    `  networks: ${nets}`,
    s.db ? `  stored in ${s.db} (${s.dbRowsWritten} rows)` : '',
    s.storeError ? `  the store failed, so the crawl stopped: ${s.storeError}` : '',
  ].filter(Boolean).join('\n');
}

/** Records dropped from hostile or broken replies, if any. */
function droppedLine(r: CrawlSummary['records']): string {
  const parts = [
    r.unrequested ? `${r.unrequested} at distances not asked${r.unrequestedVisits ? ` (${r.unrequestedVisits} visits cut short)` : ''}` : '',
    r.overCap ? `${r.overCap} past 16 per distance asked` : '',
    r.versionLimit ? `${r.versionLimit} newer versions past the per-node bound` : '',
  ].filter(Boolean);
  return parts.length ? `  records dropped: ${parts.join(', ')}` : '';
}

function fmtBytes(n: number): string {
  return n > 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

export async function runCrawl(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, CRAWL_FLAGS);
  if (flags.help) { io.out(CRAWL_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const protocol = flags.protocol as string;
  if (!(DHT_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--protocol must be ${DHT_PROTOCOLS.join(' or ')}, not "${protocol}"`);
  const given = givenFlags(argv);
  if ((protocol as DhtProtocol) === 'libp2p') return runLibp2pCrawl(flags, given, io);
  if (given.includes('keys-per-cpl')) throw new UsageError('ERR_USAGE_BAD_VALUE', '--keys-per-cpl applies to --protocol libp2p only');
  const config = configFromFlags(flags);
  const { bootnodes, extra } = bootnodesFromFlags(flags);
  const showProgress = io.isTty && !flags.json;
  let off = () => {};
  const job = runCrawlJob({
    config, bootnodes, dbPath: checkDb(flags.db as string, false), dbMemoryMB: flags['db-memory-mb'] as number, keyFile: flags['key-file'] as string, freshIdentity: flags['fresh-identity'] as boolean,
    version: version(), extraParams: extra,
    onProgress: showProgress ? (s, rps) => process.stdout.write(`\r\x1b[2K${progressLine(s, rps)}`) : undefined,
    onStart: (stop, store) => { off = onSignals(stop, io, { lastFlush: store ? () => store.flush() : undefined, release: store ? () => store.abort() : undefined }); },
  }).finally(() => off());
  const printSummary = (summary: CrawlSummary) => {
    if (showProgress) process.stdout.write('\n');
    if (flags.out) writeFileSync(flags.out as string, JSON.stringify(summary, null, 2) + '\n');
    io.out(flags.json ? toJson(summary) : formatSummary(summary));
  };
  let summary: CrawlSummary;
  try {
    ({ summary } = await job);
  } catch (e) {
    // A store failure ends the crawl early: what it measured is still reported, then the one-line error.
    if (e instanceof CrawlJobError && e.summary) printSummary(e.summary);
    throw e;
  }
  printSummary(summary);
  return 0;
}

export function libp2pProgressLine(p: Libp2pProgress): string {
  return `discovered ${p.discovered}  visited ${p.visited}  measured ${p.measured}  failed ${p.failed}  | ${(p.elapsedMs / 1000).toFixed(1)}s`;
}

const countsText = (c: Record<string, number>, max = 8) => Object.entries(c).slice(0, max).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

export function formatLibp2pSummary(s: Libp2pCrawlJobSummary): string {
  const t = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  return [
    `crawl ${s.crawlId ?? '-'} (libp2p, ${s.strategy})${s.stopped ? ' stopped early' : ''}: ${s.discovered} peers discovered, ${s.measured} measured, ${s.failed} failed${s.untracked ? `, ${s.untracked} past the peer bound` : ''}`,
    `  ${s.requests} FIND_NODE requests in ${(s.elapsedMs / 1000).toFixed(1)} s; 90% measured after ${t(s.t90Ms)}, 99% after ${t(s.t99Ms)}; ${s.edges} edges`,
    `  unreachable (every dial failed): ${s.unreachable}; dial errors: ${countsText(s.dialErrors)}`,
    `  behind a NAT (only relay or private addresses): ${s.nat}${s.nat ? ` (${countsText(s.natEvidence)})` : ''}`,
    `  agents: ${countsText(s.agentVersions)}`,
    s.db ? `  stored in ${s.db} (${s.dbRowsWritten} rows)` : '',
    s.storeError ? `  the store failed, so the crawl stopped: ${s.storeError}` : '',
  ].filter(Boolean).join('\n');
}

async function runLibp2pCrawl(flags: Record<string, unknown>, given: readonly string[], io: CliIo): Promise<number> {
  const wrong = given.find((g) => !LIBP2P_CRAWL_FLAGS.has(g));
  if (wrong) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${wrong} applies to --protocol discv5 only`);
  if (given.includes('concurrency') && (flags.concurrency as number) < 1) throw new UsageError('ERR_USAGE_BAD_NUMBER', '--concurrency must be at least 1 with --protocol libp2p');
  const { bootnodes, extra } = libp2pBootnodesFromFlags(flags);
  if (bootnodes.length === 0) throw new UsageError('ERR_USAGE_NO_BOOTNODE', 'no bootnode: give --bootnode, --network ipfs or --simnet');
  const dbPath = checkDb(flags.db as string, false);
  const showProgress = io.isTty && !flags.json;
  // Loaded here: the discv5 path never pays for js-libp2p.
  const { runLibp2pCrawlJob, Libp2pCrawlJobError } = await import('../app/libp2p-crawl-job.js');
  let off = () => {};
  const printSummary = (summary: Libp2pCrawlJobSummary) => {
    if (showProgress) process.stdout.write('\n');
    if (flags.out) writeFileSync(flags.out as string, JSON.stringify(summary, null, 2) + '\n');
    io.out(flags.json ? toJson(summary) : formatLibp2pSummary(summary));
  };
  let summary: Libp2pCrawlJobSummary;
  try {
    summary = await runLibp2pCrawlJob({
      bootnodes, dbPath, dbMemoryMB: flags['db-memory-mb'] as number, vantage: flags.vantage as string, version: version(), extraParams: extra,
      config: {
        ...(given.includes('concurrency') ? { concurrency: flags.concurrency as number } : {}),
        visitsPerSec: given.includes('rate') ? flags.rate as number : null,
        durationMs: flags.duration ? parseDurationMs(flags.duration as string, 'duration') : null,
        listenIp: flags.bind as string,
        visit: flags['keys-per-cpl'] !== undefined ? { keysPerCpl: flags['keys-per-cpl'] as number } : {},
      },
      onProgress: showProgress ? (p) => process.stdout.write(`\r\x1b[2K${libp2pProgressLine(p)}`) : undefined,
      onStart: (stop, store) => { off = onSignals(stop, io, { lastFlush: store ? () => store.flush() : undefined, release: store ? () => store.abort() : undefined }); },
    }).finally(() => off());
  } catch (e) {
    if (e instanceof Libp2pCrawlJobError && e.summary) printSummary(e.summary);
    throw e;
  }
  printSummary(summary);
  return 0;
}
