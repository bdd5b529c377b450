import { MessageType } from '../wire/messages.js';
import type { WheelEntry } from '../util/timer-wheel.js';
import type { NodeAddress, ProbeSink, RequestEvents, RequestResult, RequestStats } from './types.js';
import type { SessionLayer } from './session-layer.js';

/**
 * Computing: the handshake crypto runs on a worker; WHOAREYOUs meanwhile are duplicates.
 * Parked: the request waits for its owner's admission (RequestEvents.admit) before the packet that carries it.
 */
export const enum ReqState { Random, Queued, Computing, Handshake, Session, Parked, Done }

/** Response type each request type expects. */
export const RESPONSE_OF: Record<number, MessageType> = {
  [MessageType.Ping]: MessageType.Pong,
  [MessageType.FindNode]: MessageType.Nodes,
  [MessageType.TalkReq]: MessageType.TalkResp,
};

/**
 * Request-ids are 4 random bytes (redrawn if a pending request holds them): unique among pending requests, a Map
 * lookup by number, and unpredictable (the session's AEAD already keeps an off-path sender from answering).
 */
export const REQ_ID_SIZE = 4;
/** NODES replies announce at most this many packets; more is a malformed reply. */
export const MAX_NODES_TOTAL = 32;

export class Request implements WheelEntry {
  deadlineMs = 0;
  /** Each stage's (and resend's) timeout: the caller's, else the layer's requestTimeoutMs. */
  timeoutMs = 0;
  cancelled = false;
  state = ReqState.Random;
  nonceNum = -1;
  /** The random last 8 bytes of that nonce, as two words: a WHOAREYOU must echo all 12 bytes of the packet it answers. */
  nonceHi = 0;
  nonceLo = 0;
  /** Tails of oldNonces, two words each, in the same order. */
  oldTails: number[] | null = null;
  /** Nonces of earlier packets of this request (retransmits): a late WHOAREYOU to one still counts. */
  oldNonces: number[] | null = null;
  /** Nonce of the latest random packet: the remote keeps only the challenge it sent for that one. */
  randomNum = -1;
  /** Nonce of the WHOAREYOU our handshake answers (-1 before any). */
  answeredNum = -1;
  /** While Parked after a WHOAREYOU: the challenge and record the handshake will answer (null: parked before a session send). */
  parkedChallenge: Uint8Array | null = null;
  parkedRecord: Uint8Array | null = null;
  /** The owner let the request's message go out (admit); it is not asked again. */
  admitted = false;
  /** A liveness probe: the WHOAREYOU is the answer; no handshake follows. */
  probeOnly = false;
  /** A probeTo() probe: told its end instead of `resolve` (null for every other request). */
  probeSink: ProbeSink<unknown> | null = null;
  probeToken: unknown = null;
  /** A probe ended because a handshake with the node started: its resends would replace that handshake's challenge. */
  superseded = false;
  /** Bumped per handshake started, so a superseded offloaded computation is discarded. */
  hsGen = 0;
  sentAtNs = 0n;
  attempts = 0;
  received = 0;
  total = 0;
  nodes: Uint8Array[] | null = null;
  readonly stats: RequestStats = { bytesOut: 0, bytesIn: 0, packetsOut: 0, packetsIn: 0, rtt1Ns: null, rtt2Ns: null, handshake: false };
  resolve!: (r: RequestResult) => void;
  constructor(
    readonly layer: SessionLayer,
    readonly num: number,
    readonly reqId: Uint8Array,
    readonly remote: NodeAddress,
    readonly key: string,
    readonly plaintext: Uint8Array,
    readonly expect: MessageType,
    readonly events: RequestEvents | undefined,
  ) {
    this.remoteId = remote.id;
  }
  /** Read once: an address may build its ID view on each access (the crawler's nodes do, to stay small). */
  readonly remoteId: Uint8Array;
  fire(): void { this.layer.onTimeout(this); }
}

export function sessionKey(id: Uint8Array, ip: string, port: number): string {
  // latin1 of the 32 ID bytes: a compact, exact Map key without hex encoding.
  return ip + ':' + port + '/' + Buffer.from(id.buffer, id.byteOffset, id.length).toString('latin1');
}
