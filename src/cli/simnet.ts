import { renameSync, writeFileSync } from 'node:fs';
import { startSimnet, type Simnet } from '../simnet/simnet.js';
import { LATENESS_SIGNAL } from '../simnet/lateness.js';
import { DEFAULT_CHURN, formatDist, parseDist, validateChurn, type ChurnParams } from '../simnet/churn.js';
import { formatHelp, parseArgs, parseDurationMs, parseRange, parseWeights, type FlagSpecs } from '../util/args.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';
import { UsageError } from '../util/errors.js';
import { setLongTimeout, type LongTimer } from '../util/timers.js';
import { STOP_SIGNALS } from '../app/signals.js';
import { DEFAULT_POPULATION } from '../simnet/population.js';
import { DEFAULT_LIBP2P_PORT, MAX_LIBP2P_NODES } from '../simnet/libp2p/population.js';
import { LIBP2P_ZERO_CHURN } from '../simnet/libp2p/churn.js';

const PROFILE_NAMES = ['geth', 'lighthouse', 'nim'] as const;

export const SIMNET_FLAGS: FlagSpecs = {
  nodes: { type: 'int', help: 'live nodes (each a real discv5 responder on its own 127.x.y.z address)', default: 1000, min: 2, max: 1_000_000 },
  dead: { type: 'int', help: 'dead records: signed ENRs of nodes that never answer', default: 1500, min: 0, max: 5_000_000 },
  nat: { type: 'number', help: "NAT'd nodes (listed, never answer) as a fraction of --nodes", default: 0.02, min: 0, max: 0.99 },
  loss: { type: 'number', help: 'per-packet loss probability', default: 0, min: 0, max: 0.99 },
  rtt: { type: 'string', help: 'reply delay range in ms, MIN-MAX', default: '10-300', valueName: 'ms' },
  mix: { type: 'string', help: 'client profile weights', default: 'geth=40,lighthouse=35,nim=25' },
  seed: { type: 'string', help: 'seed: same seed, same network', default: '1' },
  truth: { type: 'string', help: 'write the truth file here once the network answers', valueName: 'file' },
  lateness: { type: 'string', help: 'write how late replies left against their schedule (per node and overall) here, on SIGUSR2 and at stop', valueName: 'file' },
  duration: { type: 'string', help: 'stop after this long (e.g. 90s, 10m); default: until SIGINT/SIGTERM', valueName: 'time' },
  port: { type: 'int', help: 'UDP port of every node', default: 30303, min: 1, max: 65535 },
  'live-octet': { type: 'int', help: 'live nodes use 127.<octet>.x.y (dead +80, NAT +160)', default: 20, min: 1, max: 95 },
  shards: { type: 'int', help: 'shard processes (0 = in this process); default one per 10,000 nodes', min: 0, max: 1000 },
  bootnodes: { type: 'int', help: 'bootnodes listed in the truth file (they never churn)', default: 1, min: 1, max: 1000 },
};

/** The churn script's flags (the simnet command's own; demo and compare run a network that stays up). */
export const CHURN_FLAGS: FlagSpecs = {
  churn: { type: 'bool', help: 'nodes go down and come back on a script (written to the truth file); the flags below shape it' },
  session: { type: 'string', help: 'churn: uptime session lengths in seconds: exp:MEAN, uniform:MIN:MAX, weibull:SCALE:SHAPE or fixed:S', default: formatDist(DEFAULT_CHURN.session), valueName: 'dist' },
  offline: { type: 'string', help: 'churn: time down between sessions, in seconds (same forms)', default: formatDist(DEFAULT_CHURN.offline), valueName: 'dist' },
  joins: { type: 'int', help: 'churn: nodes that join during the script with new IDs (on top of --nodes)', default: DEFAULT_CHURN.joins, min: 0, max: 1_000_000 },
  stable: { type: 'number', help: 'churn: share of nodes that never go down', default: DEFAULT_CHURN.stable, min: 0, max: 1 },
  'leave-forever': { type: 'number', help: 'churn: chance that a session end is final', default: DEFAULT_CHURN.leaveForever, min: 0, max: 1 },
  'ip-change': { type: 'number', help: 'churn: chance that a node comes back on a new address (its seq goes up)', default: DEFAULT_CHURN.ipChange, min: 0, max: 1 },
  'seq-bump': { type: 'number', help: 'churn: chance that a node comes back with a higher record seq', default: DEFAULT_CHURN.seqBump, min: 0, max: 1 },
  'churn-horizon': { type: 'string', help: 'churn: script events up to this long after start (default: --duration, else 24h)', valueName: 'time' },
};

const PROTOCOLS = ['discv5', 'libp2p'] as const;
type SimProtocol = typeof PROTOCOLS[number];
/** Churn flags a libp2p simnet takes only as 0, by flag name. */
const LIBP2P_ZERO_FLAGS = new Map<string, { key: keyof typeof LIBP2P_ZERO_CHURN; why: string }>(Object.entries(LIBP2P_ZERO_CHURN).map(([key, v]) => [v.flag, { key: key as keyof typeof LIBP2P_ZERO_CHURN, why: v.why }]));
/** The flags a libp2p simnet takes; the others shape the discv5 network only. */
const LIBP2P_KEYS = new Set([
  'protocol', 'nodes', 'seed', 'truth', 'duration', 'port', 'shards', 'bootnodes', 'help', 'json',
  ...Object.keys(CHURN_FLAGS),
]);

const SIMNET_COMMAND_FLAGS: FlagSpecs = {
  protocol: { type: 'string', help: 'discv5, or libp2p: real js-libp2p Kademlia DHT servers (/ipfs/kad/1.0.0, TCP) on 127.60.x.y, ~100 per process; takes only --nodes, --seed, --truth, --duration, --port, --shards, --bootnodes and the churn flags (--joins, --ip-change and --seq-bump as 0)', default: 'discv5', valueName: 'name' },
  ...SIMNET_FLAGS,
  // No default here: it depends on --protocol (simnetOptionsFromFlags and the libp2p path fill it in).
  port: { ...SIMNET_FLAGS.port!, default: undefined, help: `port of every node: UDP for discv5 (default ${DEFAULT_POPULATION.port}), TCP for libp2p (default ${DEFAULT_LIBP2P_PORT})` },
  shards: { ...SIMNET_FLAGS.shards!, help: 'shard processes (0 = in this process); default one per 10,000 discv5 or 100 libp2p nodes' },
  ...CHURN_FLAGS,
};

export const SIMNET_HELP = formatHelp('dhtscope simnet [options]',
  'Runs a simulated discv5 network of real responders on loopback, with dead records, NAT\'d nodes,\n' +
  'latency, loss and client profiles. Writes the truth file when every node answers. With --churn, nodes\n' +
  'go down and come back, join, move and bump their seq on a seeded script whose events the truth file\n' +
  'lists; times are in real seconds, so a test can run a compressed day in minutes.\n' +
  'With --protocol libp2p it runs real js-libp2p Kademlia DHT servers instead (TCP, Noise, Yamux, identify),\n' +
  'each on its own 127.60.x.y address with a seeded peer ID, agent version and protocol set and a filled\n' +
  'routing table; the truth file is {protocol, nodes: [{peerId, nodeId, multiaddrs, agentVersion, protocols}],\n' +
  'bootnodes}. With --churn, libp2p nodes stop (connections refused) and restart with the same key and address\n' +
  'on the same kind of script, in the truth file as `churn`; none joins, moves or bumps a seq.', SIMNET_COMMAND_FLAGS);

function churnFromFlags(f: Record<string, unknown>): ChurnParams | null {
  if (!f.churn) return null;
  const horizon = f['churn-horizon'] ?? f.duration;
  const c: ChurnParams = {
    session: parseDist(f.session as string, 'session'), offline: parseDist(f.offline as string, 'offline'), joins: f.joins as number,
    stable: f.stable as number, leaveForever: f['leave-forever'] as number, ipChange: f['ip-change'] as number, seqBump: f['seq-bump'] as number,
    horizonS: horizon ? parseDurationMs(horizon as string, f['churn-horizon'] ? 'churn-horizon' : 'duration') / 1000 : DEFAULT_CHURN.horizonS,
  };
  validateChurn(c);
  return c;
}

export function simnetOptionsFromFlags(f: Record<string, unknown>) {
  return {
    churn: churnFromFlags(f),
    nodes: f.nodes as number, dead: f.dead as number, natFraction: f.nat as number, loss: f.loss as number,
    rttMs: parseRange(f.rtt as string, 'rtt'), mix: parseWeights(f.mix as string, 'mix', PROFILE_NAMES),
    seed: f.seed as string, port: (f.port as number | undefined) ?? DEFAULT_POPULATION.port, liveOctet: f['live-octet'] as number,
    shards: f.shards === undefined ? 'auto' as const : f.shards as number, bootnodes: f.bootnodes as number,
  };
}

export async function runSimnet(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, SIMNET_COMMAND_FLAGS);
  if (flags.help) { io.out(SIMNET_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const protocol = flags.protocol as string;
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--protocol must be ${PROTOCOLS.join(' or ')}, not "${protocol}"`);
  const durationMs = flags.duration ? parseDurationMs(flags.duration as string, 'duration') : null;
  if ((protocol as SimProtocol) === 'libp2p') return runLibp2pSimnet(argv, flags, durationMs, io);
  const opts = simnetOptionsFromFlags(flags);
  if (!flags.json) io.err(`simnet: generating ${opts.nodes} live + ${opts.dead} dead identities (seed ${opts.seed})...`);
  const lateness = flags.lateness ? latenessWriter(flags.lateness as string, io) : null;
  let net: Simnet;
  try {
    net = await startSimnet({ ...opts, truthFile: flags.truth as string | undefined });
  } catch (e) {
    lateness?.close();
    throw e;
  }
  lateness?.ready(net);
  const summary = { ready: true, churnEvents: net.truth.churn?.events.length ?? 0, live: net.truth.live.length, dead: net.truth.dead.length, nat: net.truth.nat.length, startupMs: net.truth.startupMs, truth: flags.truth ?? null, bootnodes: net.truth.bootnodes };
  if (flags.json) io.out(toJson(summary));
  else io.err(`simnet: ${summary.live} live nodes answering (${summary.dead} dead, ${summary.nat} NAT'd) after ${summary.startupMs} ms; bootnode ${net.truth.bootnodes[0]}${flags.truth ? `; truth in ${flags.truth}` : ''}`);
  await untilStopped(durationMs);
  const stats = await net.stats().catch(() => []);
  await lateness?.write();
  lateness?.close();
  await net.stop();
  if (!flags.json) io.err(`simnet: stopped (${stats.reduce((a, s) => a + s.handshakes, 0)} handshakes served)`);
  return 0;
}

/** Resolves on SIGINT/SIGTERM/SIGHUP or after `durationMs` (null: signals only). */
function untilStopped(durationMs: number | null): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: LongTimer | null = null;
    const done = () => {
      // Leave nothing behind that keeps the process alive once the shards are down.
      timer?.clear();
      for (const sig of STOP_SIGNALS) process.off(sig, done);
      resolve();
    };
    for (const sig of STOP_SIGNALS) process.once(sig, done);
    if (durationMs !== null) timer = setLongTimeout(done, durationMs);
  });
}

async function runLibp2pSimnet(argv: string[], flags: Record<string, unknown>, durationMs: number | null, io: CliIo): Promise<number> {
  for (const a of argv) {
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : null;
    if (name && !LIBP2P_KEYS.has(name)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${name} applies to --protocol discv5 only`);
    const zero = name ? LIBP2P_ZERO_FLAGS.get(name) : undefined;
    if (zero && flags[name!] !== 0) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${name} must be 0 with --protocol libp2p (${zero.why})`);
  }
  const fromFlags = churnFromFlags(flags);
  // Their defaults are the discv5 simnet's; a libp2p script has none of them.
  const churn = fromFlags && { ...fromFlags, ...Object.fromEntries([...LIBP2P_ZERO_FLAGS.values()].map((z) => [z.key, 0])) };
  const nodes = flags.nodes as number;
  if (nodes > MAX_LIBP2P_NODES) throw new UsageError('ERR_USAGE_BAD_NUMBER', `--nodes must be <= ${MAX_LIBP2P_NODES} with --protocol libp2p`);
  const truthFile = flags.truth as string | undefined;
  if (!flags.json) io.err(`simnet: starting ${nodes} libp2p nodes (seed ${flags.seed as string})...`);
  // Loaded here: the discv5 path never pays for js-libp2p.
  const { startLibp2pSimnet } = await import('../simnet/libp2p/simnet.js');
  const net = await startLibp2pSimnet({
    nodes, seed: flags.seed as string, truthFile, port: (flags.port as number | undefined) ?? DEFAULT_LIBP2P_PORT,
    shards: flags.shards as number | undefined, bootnodes: flags.bootnodes as number, churn,
  });
  const t = net.truth;
  const summary = { ready: true, protocol: 'libp2p', churnEvents: t.churn?.events.length ?? 0, nodes: t.nodes.length, shards: t.params.shards, startupMs: t.startupMs, rssBytes: t.shardRssBytes.reduce((a, b) => a + b, 0), truth: truthFile ?? null, bootnodes: t.bootnodes };
  if (flags.json) io.out(toJson(summary));
  else io.err(`simnet: ${summary.nodes} libp2p nodes listening in ${summary.shards || 1} process(es) after ${summary.startupMs} ms; bootnode ${t.bootnodes[0]}${t.churn ? `; ${summary.churnEvents} churn events scripted` : ''}${truthFile ? `; truth in ${truthFile}` : ''}`);
  await untilStopped(durationMs);
  await net.stop();
  if (!flags.json) io.err('simnet: stopped');
  return 0;
}

/**
 * Writes the simnet's reply lateness to `file` (atomically: its appearance means complete) on SIGUSR2 and at
 * stop, so a benchmark can read it while the simnet still runs. The handler is installed before start-up: a
 * SIGUSR2 with no handler would kill the process; one that comes before the network is up is answered once it is.
 */
function latenessWriter(file: string, io: CliIo) {
  let net: Simnet | null = null;
  let asked = false;
  // One write at a time; a signal during a write queues one more.
  let chain: Promise<void> = Promise.resolve();
  const write = (): Promise<void> => {
    chain = chain.then(async () => {
      if (!net) return;
      try {
        writeFileSync(file + '.tmp', JSON.stringify(await net.lateness()));
        renameSync(file + '.tmp', file);
      } catch (e) {
        io.err(`simnet: cannot write the lateness file ${file}: ${(e as Error).message}`);
      }
    });
    return chain;
  };
  const failed = (e: unknown) => io.err(`simnet: cannot write the lateness file ${file}: ${(e as Error).message}`);
  const onSignal = () => { if (net) write().catch(failed); else asked = true; };
  const hasSignal = process.platform !== 'win32';
  if (hasSignal) process.on(LATENESS_SIGNAL, onSignal);
  return {
    ready(n: Simnet) { net = n; if (asked) write().catch(failed); },
    write,
    close() { if (hasSignal) process.off(LATENESS_SIGNAL, onSignal); },
  };
}
