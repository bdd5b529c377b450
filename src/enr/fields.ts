import { toHex } from '../util/bytes.js';
import { rlpEncode, type RlpItem } from '../wire/rlp.js';
import type { Enr } from './enr.js';
import { FORK_DIGEST_SIZE } from './fork-digest.js';

const IPV4_SIZE = 4;
const IPV6_SIZE = 16;
const ETH2_SIZE = 16; // fork_digest(4) | next_fork_version(4) | next_fork_epoch(8, LE)
const ATTNETS_SIZE = 8; // SSZ Bitvector[64]
const SYNCNETS_SIZE = 1; // SSZ Bitvector[4]
const MAX_PORT = 65535;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

export interface Eth2Field { forkDigest: string; nextForkVersion: string; nextForkEpoch: bigint }
export interface EthForkId { forkHash: string; forkNext: bigint }
export interface OpStackField { chainId: bigint; version: bigint }

/** Typed view of a record's well-known keys. Malformed values go to `invalid`; unknown keys to `unknown`. */
export interface EnrFields {
  ip?: string; udp?: number; tcp?: number;
  ip6?: string; udp6?: number; tcp6?: number;
  quic?: number; quic6?: number;
  eth?: EthForkId[];
  eth2?: Eth2Field;
  attnets?: number[]; syncnets?: number[];
  cgc?: number;
  nfd?: string;
  opstack?: OpStackField;
  client?: string[];
  c?: string;
  /** Keys present in the record, in order. */
  keys: string[];
  /** Unknown keys: value RLP as hex. */
  unknown: Record<string, string>;
  /** Known keys whose value did not parse: value RLP as hex. */
  invalid: Record<string, string>;
}

/** Byte values as decimal text, so an address is built without number formatting. */
const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

/**
 * Dotted quad. Built by join, which yields one flat string: a template or `+` makes a cons-string tree
 * (three extra heap objects) for addresses of 13+ characters, and crawls keep one address per node.
 */
export function ipv4ToString(b: Uint8Array): string {
  return [DECIMAL[b[0]!], DECIMAL[b[1]!], DECIMAL[b[2]!], DECIMAL[b[3]!]].join('.');
}

export function ipv6ToString(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < IPV6_SIZE; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return groups.slice(0, bestStart).join(':') + '::' + groups.slice(bestStart + bestLen).join(':');
}

function bytes(v: RlpItem): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new Error('expected bytes');
  return v;
}

function uint(v: RlpItem, maxBytes: number): number {
  const b = bytes(v);
  if (b.length > maxBytes || (b.length > 0 && b[0] === 0)) throw new Error('bad integer');
  let n = 0;
  for (const x of b) n = n * 256 + x;
  return n;
}

function port(v: RlpItem): number {
  const p = uint(v, 2);
  if (p > MAX_PORT) throw new Error('bad port');
  return p;
}

function bigUint(v: RlpItem, maxBytes: number): bigint {
  const b = bytes(v);
  if (b.length > maxBytes) throw new Error('bad integer');
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function bitsSet(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length * 8; i++) if (b[i >> 3]! & (1 << (i & 7))) out.push(i);
  return out;
}

/** Unsigned LEB128 varint at offset; returns [value, next offset]. */
function uvarint(b: Uint8Array, o: number): [bigint, number] {
  let v = 0n, shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (o >= b.length) throw new Error('truncated varint');
    const x = b[o++]!;
    v |= BigInt(x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [v, o];
    shift += 7n;
  }
  throw new Error('varint too long');
}

export function decodeEth2(b: Uint8Array): Eth2Field {
  if (b.length !== ETH2_SIZE) throw new Error('eth2 must be 16 bytes');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return { forkDigest: toHex(b.subarray(0, 4)), nextForkVersion: toHex(b.subarray(4, 8)), nextForkEpoch: dv.getBigUint64(8, true) };
}

type Decoder = (v: RlpItem, f: EnrFields) => void;

const DECODERS: Record<string, Decoder> = {
  id: () => {},
  secp256k1: () => {},
  ip: (v, f) => { const b = bytes(v); if (b.length !== IPV4_SIZE) throw new Error('ip'); f.ip = ipv4ToString(b); },
  ip6: (v, f) => { const b = bytes(v); if (b.length !== IPV6_SIZE) throw new Error('ip6'); f.ip6 = ipv6ToString(b); },
  udp: (v, f) => { f.udp = port(v); },
  tcp: (v, f) => { f.tcp = port(v); },
  udp6: (v, f) => { f.udp6 = port(v); },
  tcp6: (v, f) => { f.tcp6 = port(v); },
  quic: (v, f) => { f.quic = port(v); },
  quic6: (v, f) => { f.quic6 = port(v); },
  eth: (v, f) => {
    if (!Array.isArray(v)) throw new Error('eth');
    // [[fork_hash, fork_next], ...extra ignored]
    f.eth = v.filter(Array.isArray).map((e) => {
      const l = e as RlpItem[];
      const hash = bytes(l[0]!);
      if (hash.length !== FORK_DIGEST_SIZE) throw new Error('eth fork hash');
      return { forkHash: toHex(hash), forkNext: bigUint(l[1] ?? new Uint8Array(0), 8) };
    });
  },
  eth2: (v, f) => { f.eth2 = decodeEth2(bytes(v)); },
  attnets: (v, f) => { const b = bytes(v); if (b.length !== ATTNETS_SIZE) throw new Error('attnets'); f.attnets = bitsSet(b); },
  syncnets: (v, f) => { const b = bytes(v); if (b.length !== SYNCNETS_SIZE) throw new Error('syncnets'); f.syncnets = bitsSet(b); },
  cgc: (v, f) => { f.cgc = uint(v, 2); },
  nfd: (v, f) => { const b = bytes(v); if (b.length !== FORK_DIGEST_SIZE) throw new Error('nfd'); f.nfd = toHex(b); },
  opstack: (v, f) => {
    const b = bytes(v);
    const [chainId, o] = uvarint(b, 0);
    const [version] = uvarint(b, o);
    f.opstack = { chainId, version };
  },
  client: (v, f) => {
    if (!Array.isArray(v) || v.length === 0) throw new Error('client');
    f.client = v.map((x) => textDecoder.decode(bytes(x)));
  },
  c: (v, f) => { f.c = textDecoder.decode(bytes(v)); },
};

export function enrFields(enr: Enr): EnrFields {
  const f: EnrFields = { keys: [], unknown: {}, invalid: {} };
  for (const [k, v] of enr.pairs) {
    f.keys.push(k);
    const d = DECODERS[k];
    if (!d) { f.unknown[k] = toHex(rlpEncode(v)); continue; }
    try { d(v, f); } catch { f.invalid[k] = toHex(rlpEncode(v)); }
  }
  return f;
}


/** UDP endpoint of a record: ip/udp, else ip6 with udp6 (or udp when udp6 is absent, per EIP-778). */
export function enrEndpoint(enr: Enr): { ip: string; port: number } | null {
  const ip = enr.get('ip');
  const udp = portValue(enr.get('udp'));
  if (ip instanceof Uint8Array && ip.length === IPV4_SIZE && udp) return { ip: ipv4ToString(ip), port: udp };
  const ip6 = enr.get('ip6');
  const udp6 = portValue(enr.get('udp6')) ?? udp;
  if (ip6 instanceof Uint8Array && ip6.length === IPV6_SIZE && udp6) return { ip: ipv6ToString(ip6), port: udp6 };
  return null;
}

function portValue(v: RlpItem | undefined): number | null {
  if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 2) return null;
  const p = v.length === 2 ? (v[0]! << 8) | v[1]! : v[0]!;
  return p > 0 ? p : null;
}
