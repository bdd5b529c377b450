import { createEnr, type EnrValue } from '../enr/enr.js';
import { currentDigests } from '../enr/networks.js';
import { secp, type Secp256k1Backend } from '../crypto/index.js';
import { Prng, derivedKey } from '../util/prng.js';
import { toHex } from '../util/bytes.js';
import type { ProfileName } from '../node/responder.js';
import { SimnetError } from './errors.js';

export type RecordKind = 'live' | 'dead' | 'nat';

export interface PopulationRecord {
  kind: RecordKind;
  nodeId: Uint8Array;
  raw: Uint8Array;
  ip: string;
  port: number;
  /** Live nodes only. */
  sk: Uint8Array | null;
  profile: ProfileName;
  rttMs: number;
  /** Link rate for reply trains (packet-pair spacing), Mbit/s. */
  bandwidthMbps: number;
  /** What the record advertises, for reports: network name or role. */
  network: string;
}

export interface PopulationParams {
  nodes: number;
  dead: number;
  /** NAT'd nodes (listed, never answer) as a fraction of `nodes`, added on top. */
  natFraction: number;
  rttMs: [number, number];
  mix: Record<ProfileName, number>;
  seed: number | string;
  port: number;
  /** Second octet of the 127/8 block the live nodes use (dead and NAT'd nodes go elsewhere). */
  liveOctet: number;
  /** One co-hosted pair (two IDs on one ip:port) per this many live nodes. */
  cohostEvery: number;
}

export const DEFAULT_POPULATION: PopulationParams = {
  nodes: 1000,
  dead: 1500,
  natFraction: 0.02,
  rttMs: [10, 300],
  mix: { geth: 40, lighthouse: 35, nim: 25 },
  seed: 1,
  port: 30303,
  liveOctet: 20,
  cohostEvery: 500,
};

/** Octet offsets of the address blocks; 127.0.0.0/16 stays free for other services. */
const DEAD_OCTET_OFFSET = 80;
const NAT_OCTET_OFFSET = 160;
/** Hosts per /16 when the last octet avoids .0 and .255. */
const HOSTS_PER_16 = 254 * 256;

/** 127.(octet + hi).mid.last for the i-th host of a block; never .0 or .255 in the last octet. */
export function loopbackAddress(octet: number, i: number): string {
  const hi = Math.floor(i / HOSTS_PER_16);
  const rest = i % HOSTS_PER_16;
  const a = octet + hi;
  if (a > 255) throw new SimnetError('ERR_SIMNET_TOO_BIG', 'address block exhausted: lower --nodes/--dead');
  return `127.${a}.${Math.floor(rest / 254)}.${1 + (rest % 254)}`;
}

const CL_CLIENTS: [string, string][] = [['Lighthouse', 'v7.1.0'], ['Prysm', 'v6.0.4'], ['Teku', '25.9.1'], ['Nimbus', 'v25.9.0'], ['Lodestar', 'v1.34.0'], ['Grandine', '1.1.4']];
const PORTAL_TAGS = ['t 0.3.1', 'f', 'u 0.0.9', 's 0.1.0'];
/** Illustrative EIP-2124 fork-id hashes for simulated execution-layer records (not looked up). */
const EL_FORK_IDS: [string, string, string][] = [['mainnet', 'c376cf8b', ''], ['sepolia', '268956b6', ''], ['hoodi', '0929e24e', '']];
const NETWORK_SHARE = { mainnet: 80, sepolia: 5, holesky: 4, hoodi: 6, gnosis: 5 };
const te = new TextEncoder();

function uvarint(v: number): number[] {
  const out: number[] = [];
  do { let b = v & 0x7f; v = Math.floor(v / 128); if (v > 0) b |= 0x80; out.push(b); } while (v > 0);
  return out;
}

/** Record contents of the kinds seen on the real network. */
function recordFields(r: Prng, digests: Record<string, string>): { fields: Record<string, EnrValue>; network: string } {
  const kind = r.weighted({ eth2: 75, el: 10, portal: 7, opstack: 5, bare: 3 });
  const f: Record<string, EnrValue> = {};
  if (kind === 'eth2') {
    const net = r.weighted(NETWORK_SHARE);
    const digest = digests[net] ?? digests.mainnet!;
    const eth2 = new Uint8Array(16);
    eth2.set(Buffer.from(digest, 'hex'), 0);
    eth2.fill(0xff, 8); // no next fork scheduled
    f.eth2 = eth2;
    const att = new Uint8Array(8);
    for (let i = 0; i < 2; i++) { const bit = r.int(64); att[bit >> 3]! |= 1 << (bit & 7); }
    f.attnets = att;
    f.syncnets = Uint8Array.of(r.int(16));
    f.tcp = 9000;
    if (r.next() < 0.5) { f.cgc = 4 + r.int(125); f.nfd = new Uint8Array(4); }
    if (r.next() < 0.3) { const [n, v] = r.pick(CL_CLIENTS); f.client = [te.encode(n), te.encode(v)]; }
    if (r.next() < 0.2) f.quic = 9001;
    return { fields: f, network: net };
  }
  if (kind === 'el') {
    const [net, hash] = r.pick(EL_FORK_IDS);
    f.eth = [[Buffer.from(hash, 'hex'), new Uint8Array(0)]];
    f.tcp = 30303;
    if (r.next() < 0.3) f.client = [te.encode('Geth'), te.encode('v1.16.4')];
    return { fields: f, network: `el-${net}` };
  }
  if (kind === 'portal') { f.c = te.encode(r.pick(PORTAL_TAGS)); return { fields: f, network: 'portal' }; }
  if (kind === 'opstack') {
    const chain = r.pick([10, 8453, 7777777]);
    f.opstack = Uint8Array.from([...uvarint(chain), 0]);
    return { fields: f, network: `opstack-${chain}` };
  }
  return { fields: f, network: 'none' };
}

/** secp256k1 group order: a secret key must be in [1, n). */
const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Valid secp256k1 key derived from the seed: identities are stable across runs. */
function keyFor(seed: number | string, label: string, i: number): Uint8Array {
  for (let attempt = 0; ; attempt++) {
    const k = derivedKey(seed, `${label}/${attempt}`, i);
    const v = BigInt('0x' + toHex(k));
    if (v > 0n && v < CURVE_N) return k; // out of range with probability ~2^-128
  }
}

/** Generates every identity and signed record of the simnet. Deterministic for a given seed. */
export function generatePopulation(p: PopulationParams, be: Secp256k1Backend = secp()): PopulationRecord[] {
  validateParams(p);
  const digests = currentDigests();
  const r = new Prng(`${p.seed}/population`);
  const out: PopulationRecord[] = [];
  const nat = Math.round(p.nodes * p.natFraction);
  // Nodes that never answer sit on another port: a send to an unbound address on the port that
  // 10,000 simnet sockets share makes Linux scan them all, which makes such a send many times slower
  // (see BENCHMARKS.md, "Simnet").
  const silentPort = p.port < 65535 ? p.port + 1 : p.port - 1;
  const make = (kind: RecordKind, i: number, ip: string): PopulationRecord => {
    const port = kind === 'live' ? p.port : silentPort;
    const sk = keyFor(p.seed, kind, i);
    const { fields, network } = recordFields(r, digests);
    const parts = ip.split('.').map(Number);
    const enr = createEnr(sk, 1n + BigInt(r.int(20)), { ...fields, ip: Uint8Array.from(parts), udp: port }, be);
    const profile = r.weighted(p.mix);
    return {
      kind, nodeId: enr.nodeId(be), raw: enr.raw, ip, port, sk: kind === 'live' ? sk : null, profile,
      rttMs: Math.round(r.range(p.rttMs[0], p.rttMs[1])),
      bandwidthMbps: Math.round(Math.exp(r.range(Math.log(5), Math.log(500)))),
      network,
    };
  };
  let host = 0;
  for (let i = 0; i < p.nodes; i++) {
    // Every cohostEvery-th node shares the previous node's ip:port under its own ID.
    const cohost = p.cohostEvery > 0 && i > 0 && i % p.cohostEvery === 0;
    const ip = loopbackAddress(p.liveOctet, cohost ? host - 1 : host++);
    const rec = make('live', i, ip);
    // One endpoint is one link: a co-hosted ID answers with its host's delay, so its truth says so.
    if (cohost) { const host0 = out[out.length - 1]!; rec.rttMs = host0.rttMs; rec.bandwidthMbps = host0.bandwidthMbps; }
    out.push(rec);
  }
  for (let i = 0; i < p.dead; i++) out.push(make('dead', i, loopbackAddress(p.liveOctet + DEAD_OCTET_OFFSET, i)));
  for (let i = 0; i < nat; i++) out.push(make('nat', i, loopbackAddress(p.liveOctet + NAT_OCTET_OFFSET, i)));
  return out;
}

export function validateParams(p: PopulationParams): void {
  const bad = (m: string) => { throw new SimnetError('ERR_SIMNET_CONFIG', m); };
  if (!Number.isInteger(p.nodes) || p.nodes < 2) bad('--nodes must be an integer >= 2');
  if (!Number.isInteger(p.dead) || p.dead < 0) bad('--dead must be an integer >= 0');
  if (!(p.natFraction >= 0 && p.natFraction < 1)) bad('nat fraction must be in [0, 1)');
  if (!(p.rttMs[0] >= 0 && p.rttMs[1] >= p.rttMs[0] && p.rttMs[1] <= 5000)) bad('--rtt must be MIN-MAX ms with 0 <= MIN <= MAX <= 5000');
  if (!Object.values(p.mix).some((v) => v > 0)) bad('--mix needs at least one profile with weight > 0');
  if (!(p.port > 0 && p.port < 65536)) bad('--port must be 1..65535');
  if (!(p.liveOctet >= 1 && p.liveOctet + NAT_OCTET_OFFSET <= 255)) bad(`live octet must be 1..${255 - NAT_OCTET_OFFSET}`);
}

/** Serialisable form for shard processes and the truth file. */
export interface PopulationJson {
  kind: RecordKind; nodeId: string; enr: string; ip: string; udp: number; sk?: string;
  profile: ProfileName; rttMs: number; bandwidthMbps: number; network: string;
}

export function populationToJson(pop: PopulationRecord[]): PopulationJson[] {
  return pop.map((x) => ({
    kind: x.kind, nodeId: toHex(x.nodeId), enr: 'enr:' + Buffer.from(x.raw).toString('base64url'), ip: x.ip, udp: x.port,
    ...(x.sk ? { sk: toHex(x.sk) } : {}), profile: x.profile, rttMs: x.rttMs, bandwidthMbps: x.bandwidthMbps, network: x.network,
  }));
}

export function populationFromJson(j: PopulationJson[]): PopulationRecord[] {
  return j.map((x) => ({
    kind: x.kind, nodeId: Uint8Array.from(Buffer.from(x.nodeId, 'hex')), raw: Uint8Array.from(Buffer.from(x.enr.slice(4), 'base64url')),
    ip: x.ip, port: x.udp, sk: x.sk ? Uint8Array.from(Buffer.from(x.sk, 'hex')) : null, profile: x.profile, rttMs: x.rttMs,
    bandwidthMbps: x.bandwidthMbps, network: x.network,
  }));
}
