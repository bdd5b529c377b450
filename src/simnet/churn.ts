// A churn script for the simnet: when each live node goes down and comes back, which nodes join later with new
// IDs, and which come back on a new address or with a higher record seq. Generated up front from the seed, so
// the truth file holds the whole event log and every shard applies the same script. The timing
// (`churnSchedule`) is protocol-neutral: the libp2p simnet churns on it too.
import { createEnr, decodeEnr, type EnrValue } from '../enr/enr.js';
import { Prng } from '../util/prng.js';
import { SimnetError } from './errors.js';
import { loopbackAddress, type PopulationRecord } from './population.js';

/** A length distribution, in seconds. */
export type Dist =
  | { kind: 'exp'; mean: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'weibull'; scale: number; shape: number }
  | { kind: 'fixed'; value: number };

export interface ChurnParams {
  /** Uptime session lengths. */
  session: Dist;
  /** Time down between sessions. */
  offline: Dist;
  /** Nodes that join during the script, with IDs of their own (added to the live nodes, hidden until they join). */
  joins: number;
  /** Share of live nodes that never go down (the bootnodes always stay). */
  stable: number;
  /** Chance that a session's end is final: the node never comes back. */
  leaveForever: number;
  /** Chance that a node comes back on a new address (its record's seq goes up too). */
  ipChange: number;
  /** Chance that a node comes back with a higher record seq on the same address. */
  seqBump: number;
  /** Events are scripted up to this many seconds after the start. */
  horizonS: number;
}

export const DEFAULT_CHURN: ChurnParams = {
  session: { kind: 'exp', mean: 600 },
  offline: { kind: 'exp', mean: 300 },
  joins: 0,
  stable: 0.2,
  leaveForever: 0.1,
  ipChange: 0.05,
  seqBump: 0.1,
  horizonS: 86_400,
};

export type ChurnKind = 'join' | 'up' | 'down' | 'leave';

/** One scripted event. `raw` is the node's new record when it changed (address or seq), else null. */
export interface ChurnEvent {
  tMs: number;
  /** Population index. */
  node: number;
  kind: ChurnKind;
  ip: string;
  port: number;
  seq: bigint;
  raw: Uint8Array | null;
}

/** Moved nodes take addresses from 127.(liveOctet + this).x.y: between the live (+0) and dead (+80) blocks. */
const MOVED_OCTET_OFFSET = 40;

export function parseDist(text: string, flag: string): Dist {
  const bad = (): never => { throw new SimnetError('ERR_SIMNET_CONFIG', `--${flag}: "${text}" is not a distribution (exp:MEAN, uniform:MIN:MAX, weibull:SCALE:SHAPE or fixed:S, in seconds)`); };
  const [kind, ...rest] = text.trim().split(':');
  const v = rest.map(Number);
  if (v.some((x) => !(x > 0) || !Number.isFinite(x))) bad();
  if (kind === 'exp' && v.length === 1) return { kind, mean: v[0]! };
  if (kind === 'uniform' && v.length === 2 && v[1]! >= v[0]!) return { kind, min: v[0]!, max: v[1]! };
  if (kind === 'weibull' && v.length === 2) return { kind, scale: v[0]!, shape: v[1]! };
  if (kind === 'fixed' && v.length === 1) return { kind, value: v[0]! };
  return bad();
}

export function formatDist(d: Dist): string {
  switch (d.kind) {
    case 'exp': return `exp:${d.mean}`;
    case 'uniform': return `uniform:${d.min}:${d.max}`;
    case 'weibull': return `weibull:${d.scale}:${d.shape}`;
    case 'fixed': return `fixed:${d.value}`;
  }
}

/** The parameters as a truth file lists them: distributions in their flag form. */
export function churnParamsJson(c: ChurnParams): Record<string, unknown> {
  return { ...c, session: formatDist(c.session), offline: formatDist(c.offline) };
}

/** A draw in seconds. */
export function draw(d: Dist, r: Prng): number {
  const u = 1 - r.next(); // (0, 1]: log(u) is finite
  switch (d.kind) {
    case 'exp': return -d.mean * Math.log(u);
    case 'uniform': return d.min + (d.max - d.min) * r.next();
    case 'weibull': return d.scale * Math.pow(-Math.log(u), 1 / d.shape);
    case 'fixed': return d.value;
  }
}

export function validateChurn(c: ChurnParams): void {
  const bad = (m: string) => { throw new SimnetError('ERR_SIMNET_CONFIG', m); };
  if (!Number.isInteger(c.joins) || c.joins < 0) bad('--joins must be an integer >= 0');
  for (const k of ['stable', 'leaveForever', 'ipChange', 'seqBump'] as const) if (!(c[k] >= 0 && c[k] <= 1)) bad(`churn ${k} must be in [0, 1]`);
  if (!(c.horizonS > 0)) bad('--churn-horizon must be > 0');
}

/** An event of the protocol-neutral schedule: when a node (by index) joins, goes down, comes back or leaves. */
export interface ScheduledEvent { tMs: number; node: number; kind: ChurnKind }

/**
 * Per churning node, what a protocol makes of its scheduled events. It is called with the schedule's PRNG as
 * each event is scheduled, so what a protocol draws for a return (a new address, a seq bump) comes from the
 * one stream at one point: a seed gives one script.
 */
export type ChurnEventMaker<E> = (node: number) => (e: ScheduledEvent, r: Prng) => E;

/**
 * The timing of a churn script, the same for every protocol: nodes [0, count) of which the last `joins` are
 * joiners. Bootnodes (the first `keepUp`) and a `stable` share never go down; a node's first session is cut at
 * a uniform point, so sessions do not all end together; a session's end is final with chance `leaveForever`.
 * Sorted by time, then node.
 */
export function churnSchedule<E extends ScheduledEvent>(count: number, c: ChurnParams, seed: number | string, keepUp: number, maker: ChurnEventMaker<E>): E[] {
  validateChurn(c);
  const r = new Prng(`${seed}/churn`);
  const horizonMs = c.horizonS * 1000;
  const firstJoiner = count - c.joins;
  const events: E[] = [];
  for (let i = 0; i < count; i++) {
    const joiner = i >= firstJoiner;
    if (!joiner && (i < keepUp || r.next() < c.stable)) continue;
    const make = maker(i);
    let t: number;
    if (joiner) {
      // Joins spread over the first 80% of the script, so each joiner has time to be seen.
      t = r.next() * 0.8 * horizonMs;
      events.push(make({ tMs: Math.round(t), node: i, kind: 'join' }, r));
      t += draw(c.session, r) * 1000;
    } else {
      t = draw(c.session, r) * 1000 * r.next();
    }
    while (t < horizonMs) {
      const final = r.next() < c.leaveForever;
      events.push(make({ tMs: Math.round(t), node: i, kind: final ? 'leave' : 'down' }, r));
      if (final) break;
      t += draw(c.offline, r) * 1000;
      if (t >= horizonMs) break;
      events.push(make({ tMs: Math.round(t), node: i, kind: 'up' }, r));
      t += draw(c.session, r) * 1000;
    }
  }
  return events.sort((a, b) => a.tMs - b.tMs || a.node - b.node);
}

/**
 * The discv5 script for a population whose last `joins` live records are joiners: `churnSchedule`'s timing,
 * and on each return a move (never for co-hosted identities: they share one socket) or a seq bump.
 */
export function churnScript(pop: PopulationRecord[], liveCount: number, c: ChurnParams, seed: number | string, liveOctet: number, keepUp: number): ChurnEvent[] {
  let moved = 0;
  const cohosted = (i: number) => (i > 0 && pop[i - 1]!.ip === pop[i]!.ip) || (i + 1 < liveCount && pop[i + 1]!.ip === pop[i]!.ip);
  return churnSchedule(liveCount, c, seed, keepUp, (i) => {
    const rec = pop[i]!;
    let ip = rec.ip, seq = decodeEnr(rec.raw).seq, fields: Record<string, EnrValue> | null = null;
    return (e, r) => {
      let raw: Uint8Array | null = null;
      if (e.kind === 'up') {
        const move = !cohosted(i) && r.next() < c.ipChange;
        if (move || r.next() < c.seqBump) {
          if (move) ip = loopbackAddress(liveOctet + MOVED_OCTET_OFFSET, moved++);
          fields ??= Object.fromEntries(decodeEnr(rec.raw).pairs) as Record<string, EnrValue>;
          seq += 1n;
          raw = createEnr(rec.sk!, seq, { ...fields, ip: Uint8Array.from(ip.split('.').map(Number)), udp: rec.port }).raw;
        }
      }
      return { ...e, ip, port: rec.port, seq, raw };
    };
  });
}

/** Serialisable form (shard processes, truth file). */
export interface ChurnEventJson { tMs: number; node: number; kind: ChurnKind; ip: string; port: number; seq: string; enr: string | null }

export function churnToJson(es: ChurnEvent[]): ChurnEventJson[] {
  return es.map((e) => ({ tMs: e.tMs, node: e.node, kind: e.kind, ip: e.ip, port: e.port, seq: e.seq.toString(), enr: e.raw ? 'enr:' + Buffer.from(e.raw).toString('base64url') : null }));
}

export function churnFromJson(js: ChurnEventJson[]): ChurnEvent[] {
  return js.map((j) => ({ tMs: j.tMs, node: j.node, kind: j.kind, ip: j.ip, port: j.port, seq: BigInt(j.seq), raw: j.enr ? Uint8Array.from(Buffer.from(j.enr.slice(4), 'base64url')) : null }));
}
