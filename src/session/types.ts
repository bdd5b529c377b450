import type { Enr } from '../enr/enr.js';
import type { Message, Nodes } from '../wire/messages.js';
import { DhtscopeError } from '../util/errors.js';

/** An established session: the keys each way, and the remote's ID. */
export interface Session {
  id: Uint8Array;
  writeKey: Uint8Array;
  readKey: Uint8Array;
}

/** A remote node as the session layer needs it. `pubkey` (33 bytes) is required to start a handshake. */
export interface NodeAddress {
  id: Uint8Array;
  ip: string;
  port: number;
  pubkey: Uint8Array;
}

export interface LocalIdentity {
  sk: Uint8Array;
  id: Uint8Array;
  enr: Enr;
}

export type FailureReason = 'timeout' | 'no-whoareyou' | 'bad-handshake' | 'bad-reply' | 'closed';

/** Per-request byte and packet counts plus timings (hrtime ns), free to collect on the way. */
export interface RequestStats {
  bytesOut: number; bytesIn: number; packetsOut: number; packetsIn: number;
  /** Random packet sent -> WHOAREYOU received; null if the session already existed. */
  rtt1Ns: bigint | null;
  /** Handshake (or session message) sent -> first response packet. */
  rtt2Ns: bigint | null;
  handshake: boolean;
}

export type RequestResult =
  | { ok: true; response: Message; nodes: Uint8Array[] | null; complete: boolean; stats: RequestStats }
  | { ok: false; reason: FailureReason; nodes: Uint8Array[] | null; stats: RequestStats };

/**
 * A liveness probe's outcome: the WHOAREYOU to a random packet (its round trip), or why there was none.
 * 'busy': a handshake with the node is under way, and a random packet now would replace the challenge it answers.
 */
/**
 * Why a probe failed. 'busy': superseded by a handshake with the node; 'closed': the layer closed or a resend
 * failed; 'no-answer': a probe of another protocol (a libp2p dial) failed.
 */
export type ProbeFailure = 'no-whoareyou' | 'no-answer' | 'busy' | 'closed';

export type ProbeResult =
  | { alive: true; rttNs: bigint; packetsOut: number }
  | { alive: false; reason: ProbeFailure; packetsOut: number };

/**
 * Told how a probe sent with SessionLayer.probeTo() ended, synchronously from the socket handler or the timer
 * wheel (keep it cheap; it must not throw). No promise or result object per probe: the monitor sends thousands
 * a second. `token` is the caller's, passed back as given.
 */
export interface ProbeSink<T> {
  probeAnswered(token: T, rttNs: bigint): void;
  probeFailed(token: T, reason: ProbeFailure): void;
}

/** Streaming hooks; called synchronously from the socket handler, so keep them cheap. */
export interface RequestEvents {
  /** One NODES packet: its records (views, copy to keep), the announced total, arrival time, datagram size. */
  onNodes?(msg: Nodes, arrivedAtNs: bigint, datagramBytes: number): void;
  /**
   * Admission of the request's message. Without it the message goes out as soon as it can. With it, the
   * packet that carries the message (the handshake after WHOAREYOU, or the message itself on an existing
   * session) waits until `release` is called; the first contact (the random packet) goes out at once. The
   * wait holds the request's timer, so the owner must release soon: a remote forgets its challenge (geth
   * after 1 s). Lets a crawler spend a cheap packet budget on first contacts and its CPU budget on the
   * nodes that answered.
   */
  admit?(release: () => void): void;
}

/** Incoming request handler: return the replies (NODES may be several) or null to stay silent. */
export type RequestHandler = (msg: Message, from: { id: Uint8Array; ip: string; port: number }) => Message[] | null;

export interface SessionLayerConfig {
  requestTimeoutMs: number;
  /** Session cache bound: entries and idle lifetime. */
  maxSessions: number;
  sessionTtlMs: number;
  /** Outstanding WHOAREYOU challenges we issued (responder side). */
  maxChallenges: number;
  challengeTtlMs: number;
  /** Hard cap on requests in flight; request() fails fast with 'closed' past it. */
  maxPendingRequests: number;
  /**
   * Answer unknown senders with WHOAREYOU (a node must). Off (the crawler, a client), a stranger's packet costs
   * the header unmasking and a Map lookup: no secp256k1 work (a handshake finds no challenge and stops there)
   * and no state, since no challenge is issued. Requests of our own never need it.
   */
  respond: boolean;
  /** Keep NODES records (copies) in the result; crawlers that stream can turn this off. */
  collectNodes: boolean;
  /** Resend a request this many times before giving up (same request, e.g. for lossy links). */
  retransmits: number;
  /** The transport is shared with other identities: do not register as its handler. */
  sharedTransport: boolean;
}

export const DEFAULT_SESSION_CONFIG: SessionLayerConfig = {
  requestTimeoutMs: 1000,
  maxSessions: 50_000,
  sessionTtlMs: 30 * 60_000, // geth and chainsafe both keep idle sessions for minutes
  maxChallenges: 20_000,
  challengeTtlMs: 5_000,
  maxPendingRequests: 200_000,
  respond: true,
  collectNodes: true,
  retransmits: 0,
  sharedTransport: false,
};

/** Counters for dropped input, by reason; plain increments so they cost nothing when unread. */
export interface SessionCounters {
  packetsIn: number;
  dropped: Record<string, number>;
  whoareyouSent: number;
  whoareyouUnsolicited: number;
  handshakesOut: number;
  handshakesIn: number;
  /** Handshakes accepted on a record we already held (theirs carried none). */
  handshakesInKnownRecord: number;
  handshakeBadSignature: number;
  /** Handshakes redone because a WHOAREYOU to our latest random packet superseded the one answered. */
  handshakesRedone: number;
  handshakeNoChallenge: number;
  handshakeUnknownKey: number;
  decryptFailures: number;
  unmatchedResponses: number;
  requestsIn: number;
  requestsOut: number;
  /** Liveness probes sent (probe(); resends not counted). */
  probesOut: number;
}

export class SessionError extends DhtscopeError {}

/** The part of a crypto worker pool the session layer uses (implemented in src/work). */
export interface HandshakeOffload {
  handshake(staticKey: Uint8Array, localId: Uint8Array, remoteId: Uint8Array, remotePubkey: Uint8Array, challenge: Uint8Array):
    Promise<{ ephemeralPubkey: Uint8Array; keys: { initiatorKey: Uint8Array; recipientKey: Uint8Array }; idSignature: Uint8Array } | null>;
}

export function validateConfig(c: SessionLayerConfig): void {
  const pos = ['requestTimeoutMs', 'maxSessions', 'sessionTtlMs', 'maxChallenges', 'challengeTtlMs', 'maxPendingRequests'] as const;
  for (const k of pos) {
    if (!(c[k] > 0)) throw new SessionError('ERR_SESSION_CONFIG', `${k} must be > 0`);
  }
  if (!(c.retransmits >= 0)) throw new SessionError('ERR_SESSION_CONFIG', 'retransmits must be >= 0');
}
