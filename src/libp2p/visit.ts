// One visit of a libp2p Kademlia peer, as an IPFS researcher's crawler makes it: dial, identify (agent,
// protocols, listen addresses), then FIND_NODE for keys crafted to land in each of the peer's buckets 0-15,
// then close. Returns what was learned and what failed, by class; it never throws.
import '../util/node-compat.js';
import { multiaddr, type Multiaddr } from 'multiaddr13';
import { peerIdFromMultihash } from '@libp2p/peer-id';
import * as Digest from 'multiformats/hashes/digest';
import type { createLibp2p } from 'libp2p';
import { decodeKadMessage, encodeFindNodeRequest, KAD_PROTOCOL, KadMessageType, readFrame } from './kad-wire.js';
import { kadId, keyForCpl, MAX_CRAFTED_CPL } from './keys.js';
import { dialHeld, release, type Libp2pConnection as Conn } from './conn-share.js';

export type Libp2pHost = Awaited<ReturnType<typeof createLibp2p>>;
type PeerId = ReturnType<typeof peerIdFromMultihash>;

/** The multiaddr code of /p2p/<peer id>. */
export const P2P_CODE = 421;
/** Bucket-targeting lengths asked per peer: 0..MAX_CRAFTED_CPL. */
export const CPL_COUNT = MAX_CRAFTED_CPL + 1;
/** Streams open on one connection at once: go-libp2p's and js-libp2p's per-connection defaults allow more, small peers do not. */
export const MAX_STREAMS_PER_CONNECTION = 16;

/** Why a dial failed, in the classes Nebula's users know. */
/** Failures worth a second dial: the peer's or the link's load, not the peer's configuration. */
export const TRANSIENT_DIAL_ERRORS: ReadonlySet<DialErrorClass> = new Set(['timeout', 'reset']);

export type DialErrorClass = 'refused' | 'timeout' | 'no-addresses' | 'security' | 'muxer' | 'peer-id-mismatch' | 'reset' | 'unreachable' | 'other';

export interface VisitOptions {
  dialTimeoutMs: number;
  /** Identify is capped at this (the issue: 5 s). */
  identifyTimeoutMs: number;
  /** One FIND_NODE's cap. */
  requestTimeoutMs: number;
  /** Keys asked per common-prefix length (JS peers bucket more finely than Go peers). */
  keysPerCpl: number;
  rand: () => number;
}

export const DEFAULT_VISIT_OPTIONS: VisitOptions = {
  dialTimeoutMs: 10_000,
  identifyTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keysPerCpl: 1,
  rand: Math.random,
};

/** A returned peer as it came: its peer ID's multihash bytes and its addresses' bytes (parsed only for a new peer). */
export interface Neighbour { id: Uint8Array; addrs: Uint8Array[] }

/** Map key of a peer ID's bytes (base58 text per returned peer cost a tenth of the crawl's CPU). */
export function idKey(id: Uint8Array): string { return Buffer.from(id.buffer, id.byteOffset, id.length).toString('latin1'); }

/** The peer ID of a returned peer, or null if its bytes are no peer ID. */
export function neighbourPeerId(n: Neighbour): PeerId | null {
  try { return peerIdFromMultihash(Digest.decode(n.id)); } catch { return null; }
}

/** Addresses that parse; the others are dropped. */
export function parseAddrs(addrs: Iterable<Uint8Array>): Multiaddr[] {
  const out: Multiaddr[] = [];
  for (const a of addrs) { try { out.push(multiaddr(a)); } catch { /* not a multiaddr */ } }
  return out;
}

export interface Libp2pVisit {
  peerId: string;
  /** Dials made (a transient failure is tried again once, later in the crawl). */
  attempts: number;
  /** The addresses the visit dialed (as given, before the peer ID is appended). */
  dialedAddrs: string[];
  /** The address the connection reached (without /p2p), null if none did. */
  remoteAddr: string | null;
  status: 'measured' | 'failed';
  dialError: DialErrorClass | null;
  errorMessage: string | null;
  connectMs: number | null;
  identify: { agentVersion: string | null; protocolVersion: string | null; protocols: string[]; listenAddrs: string[] } | null;
  /** Bit c set: every FIND_NODE for common-prefix length c failed. */
  cplErrors: number;
  requests: number;
  /** Every peer returned, by idKey of its peer ID bytes (the union over all requests). */
  neighbours: Map<string, Neighbour>;
  startedAtMs: number;
  endedAtMs: number;
}

export async function visitPeer(host: Libp2pHost, peerId: PeerId, addrs: Multiaddr[], o: VisitOptions = DEFAULT_VISIT_OPTIONS): Promise<Libp2pVisit> {
  const v: Libp2pVisit = {
    peerId: peerId.toString(), attempts: 1, dialedAddrs: addrs.map(String), remoteAddr: null, status: 'failed', dialError: null, errorMessage: null, connectMs: null, identify: null,
    cplErrors: 0, requests: 0, neighbours: new Map(), startedAtMs: Date.now(), endedAtMs: 0,
  };
  if (addrs.length === 0) { v.dialError = 'no-addresses'; v.endedAtMs = Date.now(); return v; }
  let conn: Conn;
  try {
    // Dial the addresses given, with the peer ID appended: libp2p checks the peer it reaches is this one.
    const targets = addrs.map((a) => (a.getComponents().some((c) => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${v.peerId}`)));
    // Not an open connection to the peer (a monitor probe's, about to close); the connect time is the dial's that
    // made the connection (a probe's, if this visit joined it).
    const held = await dialHeld(host, v.peerId, targets, AbortSignal.timeout(o.dialTimeoutMs));
    conn = held.conn;
    v.connectMs = performance.now() - held.dialStartedAtMs;
    v.remoteAddr = conn.remoteAddr.decapsulateCode(P2P_CODE).toString();
  } catch (e) {
    v.dialError = classifyDialError(e);
    v.errorMessage = oneLine(e);
    v.endedAtMs = Date.now();
    return v;
  }
  try {
    try {
      const id = await (host.services as { identify: { identify(c: Conn, o: { signal: AbortSignal }): Promise<IdentifyLike> } })
        .identify.identify(conn, { signal: AbortSignal.timeout(o.identifyTimeoutMs) });
      v.identify = {
        agentVersion: id.agentVersion ?? null, protocolVersion: id.protocolVersion ?? null, protocols: [...id.protocols].sort(),
        listenAddrs: id.listenAddrs.map(String),
      };
    } catch (e) {
      v.errorMessage = `identify: ${oneLine(e)}`;
    }
    const target = kadId(peerId.toMultihash().bytes);
    // One stream per length at a time: 16 lengths fill the stream budget, the keys of one length go in turn.
    await Promise.all(Array.from({ length: CPL_COUNT }, async (_, cpl) => {
      let ok = false;
      for (let k = 0; k < o.keysPerCpl; k++) {
        v.requests++;
        try {
          const peers = await findNode(conn, keyForCpl(target, cpl, o.rand), o.requestTimeoutMs);
          ok = true;
          for (const p of peers) { const k = idKey(p.id); if (!v.neighbours.has(k)) v.neighbours.set(k, p); }
        } catch (e) {
          v.errorMessage ??= `find_node: ${oneLine(e)}`;
        }
      }
      if (!ok) v.cplErrors |= 1 << cpl;
    }));
    v.status = v.identify !== null || v.cplErrors !== (1 << CPL_COUNT) - 1 ? 'measured' : 'failed';
  } finally {
    await release(conn);
    v.endedAtMs = Date.now();
  }
  return v;
}

interface IdentifyLike { agentVersion?: string; protocolVersion?: string; protocols: string[]; listenAddrs: Array<{ toString(): string }> }

/** One FIND_NODE on its own stream: send the framed request, read one framed reply, close. */
async function findNode(conn: Conn, key: Uint8Array, timeoutMs: number): Promise<Neighbour[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const stream = await conn.newStream(KAD_PROTOCOL, { signal, maxOutboundStreams: MAX_STREAMS_PER_CONNECTION });
  try {
    stream.send(encodeFindNodeRequest(key));
    let buf = new Uint8Array(0);
    for await (const chunk of stream) {
      if (signal.aborted) throw signal.reason;
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
      const joined = new Uint8Array(buf.length + bytes.length);
      joined.set(buf); joined.set(bytes, buf.length);
      buf = joined;
      const f = readFrame(buf, 0);
      if (!f) continue;
      const m = decodeKadMessage(f.payload);
      if (m.type !== KadMessageType.FindNode) throw new Error(`reply of type ${m.type}`);
      const out: Neighbour[] = [];
      for (const p of m.closerPeers) out.push({ id: p.id, addrs: p.addrs });
      return out;
    }
    throw new Error('stream ended before a reply');
  } finally {
    await stream.close().catch(() => stream.abort(new Error('close failed')));
  }
}

/** The class of a dial error, looking through aggregate errors (one per address tried). */
export function classifyDialError(e: unknown): DialErrorClass {
  const all: unknown[] = [];
  const walk = (x: unknown) => { all.push(x); if (x instanceof AggregateError) x.errors.forEach(walk); else if (x instanceof Error && x.cause) walk(x.cause); };
  walk(e);
  const has = (re: RegExp) => all.some((x) => x instanceof Error && (re.test(x.name) || re.test(String((x as { code?: unknown }).code ?? '')) || re.test(x.message)));
  if (has(/UnexpectedPeer|peer id mismatch|InvalidPeerId/i)) return 'peer-id-mismatch';
  // A handshake cut by a timer (a loaded peer or link) is a timeout, whichever layer reports it.
  if (has(/timed? ?out|TimeoutError|ETIMEDOUT/i)) return 'timeout';
  if (has(/ECONNREFUSED/)) return 'refused';
  if (has(/EHOSTUNREACH|ENETUNREACH/)) return 'unreachable';
  if (has(/ECONNRESET|EPIPE|reset/i)) return 'reset';
  if (has(/NoValidAddresses|no valid addresses/i)) return 'no-addresses';
  if (has(/Encryption|noise|handshake/i)) return 'security';
  if (has(/Muxer|multiplexer/i)) return 'muxer';
  if (has(/Abort/i)) return 'timeout';
  return 'other';
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 300);
}
