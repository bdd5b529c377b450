import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '../util/bytes.js';
import { SimShard, type ShardConditions, type ShardStats } from './shard.js';
import { DEFAULT_POPULATION, generatePopulation, populationToJson, type PopulationParams, type PopulationRecord } from './population.js';
import { SimnetError } from './errors.js';
import { mergeLateness, type ShardLateness, type SimnetLateness } from './lateness.js';
import { churnParamsJson, churnScript, churnToJson, type ChurnEvent, type ChurnKind, type ChurnParams } from './churn.js';

export interface SimnetOptions extends Partial<PopulationParams> {
  loss?: number;
  /** Shard processes; 'auto' = one per 10,000 live nodes. 0 runs the shard inside this process. */
  shards?: number | 'auto';
  truthFile?: string;
  bootnodes?: number;
  /** Socket buffer per simnet socket (bytes). */
  socketBufferBytes?: number;
  /** Churn script parameters; null or absent: every node stays up. */
  churn?: ChurnParams | null;
  /** Progress callback for long start-ups. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface TruthNode {
  nodeId: string; enr: string; ip: string; udp: number; profile?: string; rttMs?: number; network?: string;
  /** Link rate that paces the node's reply trains, Mbit/s (live nodes). */
  bandwidthMbps?: number;
}
/** One scripted churn event as the truth file lists it: `tMs` after `startedAtMs`. */
export interface TruthChurnEvent { tMs: number; nodeId: string; kind: ChurnKind; ip: string; port: number; seq: string }

export interface TruthChurn {
  /** Unix ms the script's clock started (every node answering by then). */
  startedAtMs: number;
  horizonMs: number;
  params: Record<string, unknown>;
  /** IDs of the nodes that join during the script (listed in `live`, hidden and silent until they join). */
  joiners: string[];
  events: TruthChurnEvent[];
}

export interface Truth {
  bootnodes: string[];
  live: TruthNode[];
  dead: TruthNode[];
  nat: TruthNode[];
  params: Record<string, unknown>;
  startupMs: number;
  churn?: TruthChurn;
}

export interface Simnet {
  truth: Truth;
  population: PopulationRecord[];
  stats(): Promise<ShardStats[]>;
  /** How late the replies sent so far left against their schedule, per node and overall. */
  lateness(): Promise<SimnetLateness>;
  stop(): Promise<void>;
}

/** Live nodes per shard process: each socket is a file descriptor and a process may hold 20,000. */
export const NODES_PER_SHARD = 10_000;
const SHARD_READY_TIMEOUT_MS = 120_000;
/** A running shard answers a query or a stop within this, or it is taken for hung. */
const SHARD_ANSWER_TIMEOUT_MS = 10_000;

/** Starts a simulated discv5 network on loopback; resolves once every node answers (truth written). */
export async function startSimnet(opts: SimnetOptions = {}): Promise<Simnet> {
  const t0 = performance.now();
  const params: PopulationParams = { ...DEFAULT_POPULATION, ...stripUndefined(opts) } as PopulationParams;
  const churn = opts.churn ?? null;
  // Joiners are live identities of their own, after the others, hidden until their join event.
  if (churn) params.nodes += churn.joins;
  const cond: ShardConditions = { loss: opts.loss ?? 0, seed: params.seed, socketBufferBytes: opts.socketBufferBytes ?? 256 * 1024 };
  if (!(cond.loss >= 0 && cond.loss < 1)) throw new SimnetError('ERR_SIMNET_CONFIG', '--loss must be in [0, 1)');
  opts.onProgress?.('identities', 0, params.nodes + params.dead);
  const pop = generatePopulation(params);
  opts.onProgress?.('identities', pop.length, pop.length);
  const liveCount = params.nodes;
  const script: ChurnEvent[] | null = churn ? churnScript(pop, liveCount, churn, params.seed, params.liveOctet, Math.max(1, opts.bootnodes ?? 1)) : null;
  const shardCount = opts.shards === 'auto' || opts.shards === undefined ? Math.ceil(liveCount / NODES_PER_SHARD) : opts.shards;

  const handles: ShardHandle[] = [];
  let tmp: string | null = null;
  try {
    if (shardCount === 0) {
      const s = new SimShard(pop, 0, liveCount, cond, script);
      const r = await s.start();
      if (r.errors.length) { await s.stop(); throw bindError(r.errors); }
      handles.push(inProcessHandle(s));
    } else {
      tmp = mkdtempSync(join(tmpdir(), 'dhtscope-simnet-'));
      const popFile = join(tmp, 'population.json');
      writeFileSync(popFile, JSON.stringify(populationToJson(pop)));
      const churnFile = script ? join(tmp, 'churn.json') : null;
      if (churnFile) writeFileSync(churnFile, JSON.stringify(churnToJson(script!)));
      const per = Math.ceil(liveCount / shardCount);
      const starts: Promise<void>[] = [];
      for (let i = 0; i < shardCount; i++) {
        // Co-hosted identities must land in one shard: move the cut past them.
        let from = i * per, to = Math.min(liveCount, (i + 1) * per);
        while (from > 0 && from < liveCount && pop[from]!.ip === pop[from - 1]!.ip) from++;
        while (to < liveCount && pop[to]!.ip === pop[to - 1]!.ip) to++;
        if (from >= to) continue;
        const h = childHandle();
        handles.push(h);
        starts.push(h.start(popFile, from, to, cond, churnFile));
      }
      await Promise.all(starts);
    }
  } catch (e) {
    await Promise.all(handles.map((h) => h.stop().catch(() => {})));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    throw e;
  }

  // The script's clock starts once every shard answers, for all shards at once.
  const epochMs = Date.now();
  for (const h of handles) h.go(epochMs);
  const live = pop.filter((r) => r.kind === 'live');
  const toTruth = (r: PopulationRecord, full: boolean): TruthNode => ({
    nodeId: toHex(r.nodeId), enr: 'enr:' + Buffer.from(r.raw).toString('base64url'), ip: r.ip, udp: r.port,
    ...(full ? { profile: r.profile, rttMs: r.rttMs, bandwidthMbps: r.bandwidthMbps, network: r.network } : { network: r.network }),
  });
  const truth: Truth = {
    bootnodes: live.slice(0, Math.max(1, opts.bootnodes ?? 1)).map((r) => 'enr:' + Buffer.from(r.raw).toString('base64url')),
    live: live.map((r) => toTruth(r, true)),
    dead: pop.filter((r) => r.kind === 'dead').map((r) => toTruth(r, false)),
    nat: pop.filter((r) => r.kind === 'nat').map((r) => toTruth(r, false)),
    params: { ...params, loss: cond.loss, shards: handles.length },
    startupMs: Math.round(performance.now() - t0),
  };
  if (churn && script) {
    const idOf = (i: number) => toHex(pop[i]!.nodeId);
    truth.churn = {
      startedAtMs: epochMs, horizonMs: churn.horizonS * 1000,
      params: churnParamsJson(churn),
      joiners: live.slice(live.length - churn.joins).map((r) => toHex(r.nodeId)),
      events: script.map((e) => ({ tMs: e.tMs, nodeId: idOf(e.node), kind: e.kind, ip: e.ip, port: e.port, seq: e.seq.toString() })),
    };
  }
  if (opts.truthFile) {
    // Written atomically once every node answers: its appearance means ready.
    writeFileSync(opts.truthFile + '.tmp', JSON.stringify(truth));
    renameSync(opts.truthFile + '.tmp', opts.truthFile);
  }
  let stopped = false;
  return {
    truth,
    population: pop,
    stats: () => Promise.all(handles.map((h) => h.stats())),
    lateness: async () => mergeLateness((await Promise.all(handles.map((h) => h.lateness()))).filter((l): l is ShardLateness => l !== null)),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(handles.map((h) => h.stop()));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function bindError(errors: string[]): SimnetError {
  return new SimnetError('ERR_SIMNET_BIND', `simnet could not bind its sockets: ${errors[0]}${errors[0]?.includes('IN_USE') || errors[0]?.includes('EADDRINUSE') ? ' (another simnet running? try --port)' : ''}`);
}

interface ShardHandle {
  start(popFile: string, from: number, to: number, cond: ShardConditions, churnFile: string | null): Promise<void>;
  /** Starts the churn script's clock. */
  go(epochMs: number): void;
  stats(): Promise<ShardStats>;
  /** Null from a shard that has not started. */
  lateness(): Promise<ShardLateness | null>;
  stop(): Promise<void>;
}

function inProcessHandle(s: SimShard): ShardHandle {
  return { start: async () => {}, go: (t) => s.go(t), stats: async () => s.stats(), lateness: async () => s.latenessReport(), stop: () => s.stop() };
}

function childHandle(): ShardHandle {
  const entry = fileURLToPath(new URL('./shard-main.js', import.meta.url));
  const child: ChildProcess = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const waitFor = <T>(type: string, timeoutMs: number): Promise<T> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `shard did not answer "${type}" in ${timeoutMs} ms`)); }, timeoutMs);
    const onMsg = (m: { type: string; message?: string }) => {
      if (m.type === 'error') { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `shard failed: ${m.message}`)); }
      else if (m.type === type) { cleanup(); resolve(m as T); }
    };
    const onExit = (code: number | null) => { cleanup(); reject(new SimnetError('ERR_SIMNET_SHARD', `shard exited with ${code} before "${type}"`)); };
    const cleanup = () => { clearTimeout(timer); child.off('message', onMsg); child.off('exit', onExit); };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
  return {
    async start(popFile, from, to, cond, churnFile) {
      const p = waitFor<{ bound: number; errors: string[] }>('ready', SHARD_READY_TIMEOUT_MS);
      child.send({ type: 'start', popFile, from, to, cond, churnFile });
      const r = await p;
      if (r.errors.length) throw bindError(r.errors);
    },
    go(epochMs) { if (!exited) child.send({ type: 'go', epochMs }); },
    async stats() {
      const p = waitFor<{ stats: ShardStats }>('stats', SHARD_ANSWER_TIMEOUT_MS);
      child.send({ type: 'stats' });
      return (await p).stats;
    },
    async lateness() {
      const p = waitFor<{ lateness: ShardLateness | null }>('lateness', SHARD_ANSWER_TIMEOUT_MS);
      child.send({ type: 'lateness' });
      return (await p).lateness;
    },
    async stop() {
      if (exited) return;
      const p = waitFor<unknown>('stopped', SHARD_ANSWER_TIMEOUT_MS).catch(() => child.kill('SIGKILL'));
      child.send({ type: 'stop' });
      await p;
    },
  };
}
