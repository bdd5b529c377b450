// The libp2p simnet's coordinator: forks shard processes of real js-libp2p Kademlia nodes on loopback,
// merges what they report into the truth file, and starts the churn script's clock in all of them at once.
import { fork, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimnetError } from '../errors.js';
import { DEFAULT_LIBP2P_PORT, DEFAULT_TABLE_PEERS, libp2pPopulation, validateLibp2pParams } from './population.js';
import { Libp2pShard, type AppliedChurnEvent, type Libp2pShardParams, type Libp2pShardStats, type Libp2pTruthNode } from './shard.js';
import { libp2pChurnScript, type Libp2pChurnEvent } from './churn.js';
import { churnParamsJson, type ChurnParams } from '../churn.js';
import type { TruthChurn, TruthChurnEvent } from '../simnet.js';

export type { Libp2pShardStats, Libp2pTruthNode } from './shard.js';

export interface Libp2pSimnetOptions {
  nodes: number;
  seed?: string | number;
  /** Shard processes; default one per NODES_PER_LIBP2P_SHARD nodes. 0 runs every node inside this process. */
  shards?: number;
  truthFile?: string;
  /** TCP port every node listens on (each has its own address). */
  port?: number;
  /** Peers put in each node's routing table. */
  tablePeers?: number;
  /** Bootnodes listed in the truth file (the first nodes); they never churn. */
  bootnodes?: number;
  /**
   * Churn script parameters (the discv5 simnet's; joins, ipChange and seqBump must be 0); null or absent:
   * every node stays up.
   */
  churn?: ChurnParams | null;
}

export interface Libp2pTruth {
  protocol: 'libp2p';
  nodes: Libp2pTruthNode[];
  /** `/ip4/…/tcp/…/p2p/<peer id>` of the first nodes. */
  bootnodes: string[];
  params: { nodes: number; seed: string; port: number; tablePeers: number; shards: number };
  startupMs: number;
  /** Resident memory of each shard process once ready (the coordinator's own when in-process). */
  shardRssBytes: number[];
  /** The churn script, as the discv5 simnet's truth lists it (node IDs are Kademlia IDs; seq is always "0"). */
  churn?: TruthChurn;
}

export interface Libp2pSimnet {
  truth: Libp2pTruth;
  /** Per shard: nodes up now, churn events applied and failed. */
  stats(): Promise<Libp2pShardStats[]>;
  stop(): Promise<void>;
  /**
   * After stop: the churn as it took effect, in the truth's shape. A down counts from when the node's stop
   * began (its listener closes first); a return from when it listens again. Events that failed, or fell due
   * after the stop, are left out. Null without a churn script.
   */
  appliedChurn(): TruthChurn | null;
}

/**
 * Nodes per shard process. A js-libp2p node holds a listening socket plus one per connection, and a
 * process may hold 20,000 fds: 100 nodes leave each room for ~190 connections. It also spreads the
 * Noise handshakes of a crawl over cores.
 */
export const NODES_PER_LIBP2P_SHARD = 100;
/** A shard of 100 nodes starts in a few seconds; this bounds a stuck one. */
const SHARD_READY_TIMEOUT_MS = 120_000;
/** A shard stops its nodes within this, or it is killed. */
const SHARD_STOP_TIMEOUT_MS = 15_000;
/** A running shard answers a query within this, or it is taken for hung. */
const SHARD_ANSWER_TIMEOUT_MS = 10_000;

/** Starts a libp2p simnet; resolves once every node listens with its table filled (truth file written). */
export async function startLibp2pSimnet(opts: Libp2pSimnetOptions): Promise<Libp2pSimnet> {
  const t0 = performance.now();
  const seed = String(opts.seed ?? '1');
  const port = opts.port ?? DEFAULT_LIBP2P_PORT;
  const tablePeers = opts.tablePeers ?? DEFAULT_TABLE_PEERS;
  const base = { nodes: opts.nodes, seed, port, tablePeers };
  validateLibp2pParams(base);
  const bootnodes = Math.max(1, opts.bootnodes ?? 1);
  const churn = opts.churn ?? null;
  // Drawn here as well as in each shard (the same seed, the same script): for the truth, and to refuse bad
  // parameters before any shard starts.
  const script: Libp2pChurnEvent[] | null = churn ? libp2pChurnScript(libp2pPopulation(base), churn, seed, bootnodes) : null;
  const shardCount = opts.shards ?? Math.ceil(opts.nodes / NODES_PER_LIBP2P_SHARD);
  const per = Math.ceil(opts.nodes / Math.max(1, shardCount));
  const ranges: Libp2pShardParams[] = [];
  for (let from = 0; from < opts.nodes; from += per) ranges.push({ ...base, from, to: Math.min(opts.nodes, from + per), churn, bootnodes });

  const handles = ranges.map(() => shardCount === 0 ? inProcessHandle() : childHandle());
  let parts: { nodes: Libp2pTruthNode[]; rssBytes: number }[];
  try {
    parts = await Promise.all(ranges.map((r, i) => handles[i]!.start(r)));
  } catch (e) {
    await Promise.all(handles.map((h) => h.stop()));
    throw e;
  }
  // The script's clock starts once every node listens, for all shards at once.
  const epochMs = Date.now();
  for (const h of handles) h.go(epochMs);
  // By population index: the ranges are in order.
  const nodes = parts.flatMap((p) => p.nodes);
  const truth: Libp2pTruth = {
    protocol: 'libp2p',
    nodes,
    bootnodes: nodes.slice(0, bootnodes).map((n) => `${n.multiaddrs[0]}/p2p/${n.peerId}`),
    params: { ...base, shards: shardCount },
    startupMs: Math.round(performance.now() - t0),
    shardRssBytes: parts.map((p) => p.rssBytes),
  };
  if (churn && script) {
    truth.churn = {
      startedAtMs: epochMs, horizonMs: churn.horizonS * 1000, params: churnParamsJson(churn), joiners: [],
      events: script.map((e) => truthEvent(e, e.tMs, nodes)),
    };
  }
  if (opts.truthFile) {
    // Written atomically once every node listens: its appearance means ready.
    writeFileSync(opts.truthFile + '.tmp', JSON.stringify(truth));
    renameSync(opts.truthFile + '.tmp', opts.truthFile);
  }
  let stopped: Promise<void> | null = null;
  let applied: AppliedChurnEvent[] | null = null;
  return {
    truth,
    stats: () => Promise.all(handles.map((h) => h.stats())),
    stop() {
      stopped ??= Promise.all(handles.map((h) => h.stop())).then((logs) => { applied = logs.flat(); });
      return stopped;
    },
    appliedChurn() {
      if (!truth.churn) return null;
      if (!applied) throw new SimnetError('ERR_SIMNET_STATE', 'the applied churn is known once the simnet has stopped');
      return appliedTruthChurn(truth.churn, applied, nodes);
    },
  };
}

/** A libp2p churn event as the truth lists it, at `tMs` on the script's clock (a peer ID has no seq: '0'). */
function truthEvent(e: Libp2pChurnEvent, tMs: number, nodes: readonly Libp2pTruthNode[]): TruthChurnEvent {
  return { tMs, nodeId: nodes[e.node]!.nodeId, kind: e.kind, ip: e.ip, port: e.port, seq: '0' };
}

function appliedTruthChurn(scripted: TruthChurn, applied: readonly AppliedChurnEvent[], nodes: readonly Libp2pTruthNode[]): TruthChurn {
  const events = applied.map((a) => truthEvent(a, (a.kind === 'up' || a.kind === 'join' ? a.doneAtMs : a.beganAtMs) - scripted.startedAtMs, nodes));
  // churnTruthStats reads events in time order.
  events.sort((a, b) => a.tMs - b.tMs);
  return { ...scripted, events };
}

interface ShardHandle {
  start(p: Libp2pShardParams): Promise<{ nodes: Libp2pTruthNode[]; rssBytes: number }>;
  /** Starts the churn script's clock. */
  go(epochMs: number): void;
  stats(): Promise<Libp2pShardStats>;
  /** Never rejects: a shard that does not stop in time is killed (its applied events are then unknown: none). */
  stop(): Promise<AppliedChurnEvent[]>;
}

function inProcessHandle(): ShardHandle {
  let shard: Libp2pShard | null = null;
  return {
    async start(p) {
      shard = new Libp2pShard(p);
      return { nodes: await shard.start(), rssBytes: process.memoryUsage().rss };
    },
    go(epochMs) { shard?.go(epochMs); },
    async stats() { return shard!.stats(); },
    async stop() {
      await shard?.stop();
      return [...(shard?.applied() ?? [])];
    },
  };
}

function childHandle(): ShardHandle {
  const entry = fileURLToPath(new URL('./shard-main.js', import.meta.url));
  const child: ChildProcess = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const waitFor = <T>(type: string, timeoutMs: number): Promise<T> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `libp2p shard did not answer "${type}" in ${timeoutMs} ms`)); }, timeoutMs);
    const onMsg = (m: { type: string; message?: string }) => {
      if (m.type === 'error') { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `libp2p shard failed: ${m.message}`)); }
      else if (m.type === type) { cleanup(); resolve(m as T); }
    };
    const onExit = (code: number | null) => { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `libp2p shard exited with ${code} before "${type}"`)); };
    const cleanup = () => { clearTimeout(timer); child.off('message', onMsg); child.off('exit', onExit); };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
  return {
    async start(params) {
      const p = waitFor<{ nodes: Libp2pTruthNode[]; rssBytes: number }>('ready', SHARD_READY_TIMEOUT_MS);
      child.send({ type: 'start', params });
      return p;
    },
    go(epochMs) { if (!exited && child.connected) child.send({ type: 'go', epochMs }); },
    async stats() {
      if (exited) throw new SimnetError('ERR_SIMNET_SHARD', 'libp2p shard has exited');
      const p = waitFor<{ stats: Libp2pShardStats }>('stats', SHARD_ANSWER_TIMEOUT_MS);
      child.send({ type: 'stats' });
      return (await p).stats;
    },
    async stop() {
      if (exited) return [];
      const done = waitFor<{ applied?: AppliedChurnEvent[] }>('stopped', SHARD_STOP_TIMEOUT_MS).catch(() => { child.kill('SIGKILL'); return null; });
      if (child.connected) child.send({ type: 'stop' });
      const last = await done;
      // Bounded: the shard exits on its own after "stopped", or is killed above.
      await exit;
      return last?.applied ?? [];
    },
  };
}
