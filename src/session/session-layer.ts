import { aes128Ctr, aesGcmDecrypt, aesGcmEncrypt, secp, type Secp256k1Backend } from '../crypto/index.js';
import { initiatorHandshake } from '../crypto/discv5.js';
import type { Enr } from '../enr/enr.js';
import { Flag, NONCE_SIZE, RANDOM_MESSAGE_SIZE, MASKING_IV_SIZE, MASKING_KEY_SIZE } from '../wire/constants.js';
import { decodeMessage, encodeMessage, MessageType, type Message } from '../wire/messages.js';
import {
  decodePacket, encodeHeader, encodePacket, handshakeAuthdata, HEADER_NONCE_OFFSET, messageAd, messageHeaderTemplate, type Packet,
} from '../wire/packet.js';
import { PacketKind, type DatagramTransport } from '../transport/types.js';
import { DhtscopeError } from '../util/errors.js';
import { LruMap } from '../util/lru.js';
import { RandomPool } from '../util/random.js';
import { TimerWheel } from '../util/timer-wheel.js';
import { Challenges } from './challenges.js';
import { Request, ReqState, RESPONSE_OF, REQ_ID_SIZE, MAX_NODES_TOTAL, sessionKey } from './request.js';
import {
  DEFAULT_SESSION_CONFIG, SessionError, validateConfig, type FailureReason, type HandshakeOffload, type LocalIdentity, type NodeAddress, type Session,
  type ProbeResult, type ProbeSink, type RequestEvents, type RequestHandler, type RequestResult, type SessionCounters, type SessionLayerConfig,
} from './types.js';

export {
  DEFAULT_SESSION_CONFIG, SessionError, type NodeAddress, type LocalIdentity, type FailureReason, type RequestStats, type RequestResult,
  type RequestEvents, type RequestHandler, type SessionLayerConfig, type SessionCounters, type HandshakeOffload, type ProbeResult, type ProbeSink,
} from './types.js';


const EMPTY = new Uint8Array(0);
/** One pool per process: thousands of simnet identities must not each hold 32 KiB. */
const SHARED_RANDOM = new RandomPool();
/** startProbe()'s "not sent" answers. */
const PROBE_CLOSED = 0, PROBE_BUSY = 1;

/**
 * discv5 v5.1 sessions over one transport: the handshake in both roles, request matching by
 * request-id, NODES streaming and assembly by `total`, and timeouts from one timer wheel.
 */
export class SessionLayer {
  readonly config: SessionLayerConfig;
  readonly counters: SessionCounters = {
    packetsIn: 0, dropped: {}, whoareyouSent: 0, whoareyouUnsolicited: 0, handshakesOut: 0, handshakesIn: 0, handshakesInKnownRecord: 0,
    handshakeBadSignature: 0, handshakesRedone: 0, handshakeNoChallenge: 0, handshakeUnknownKey: 0, decryptFailures: 0,
    unmatchedResponses: 0, requestsIn: 0, requestsOut: 0, probesOut: 0,
  };
  private readonly sessions: LruMap<string, Session>;
  private readonly challenges: Challenges;
  private readonly pending = new Map<number, Request>();
  private readonly byNonce = new Map<number, Request>();
  private readonly handshaking = new Map<string, Request[]>();
  /** Probes in flight by session key, not in `pending` (they get no reply by request-id); with it, bound by maxPendingRequests. */
  private readonly probes = new Map<string, Request>();
  private readonly wheel: TimerWheel;
  private readonly rand = SHARED_RANDOM;
  private handler: RequestHandler | null = null;
  private offload: HandshakeOffload | null = null;
  /** Counter part of our nonces; starts at a random value. */
  private nonceCounter: number;
  /** The nonce of the packet being built (nextNonce): every use is synchronous, so one buffer serves all packets. */
  private readonly nonce = new Uint8Array(NONCE_SIZE);
  /** sendRandom()'s unmasked header, rewritten per packet (only its nonce changes). */
  private readonly randomHeader: Uint8Array;
  private closed = false;

  constructor(
    private readonly transport: DatagramTransport,
    readonly local: LocalIdentity,
    config: Partial<SessionLayerConfig> = {},
    private readonly backend: Secp256k1Backend = secp(),
    /** The record we hold for a node (routing table), used for WHOAREYOU enr-seq and handshakes without a record. */
    private readonly knownEnr: (id: Uint8Array) => Enr | undefined = () => undefined,
    wheel?: TimerWheel,
  ) {
    this.config = { ...DEFAULT_SESSION_CONFIG, ...config };
    validateConfig(this.config);
    this.sessions = new LruMap(this.config.maxSessions, this.config.sessionTtlMs);
    this.challenges = new Challenges(local, this.config, backend, this.rand, this.counters, knownEnr, (pkt, ip, port, kind) => this.sendRaw(null, pkt, ip, port, kind));
    this.wheel = wheel ?? new TimerWheel(10, 512);
    this.nonceCounter = this.rand.u32();
    this.randomHeader = messageHeaderTemplate(local.id);
    if (!this.shared) transport.onDatagram((d, ip, port, at) => { this.onDatagram(d, ip, port, at); });
  }

  /** True when several identities share the transport; their owner routes datagrams (see onDatagram). */
  private get shared(): boolean { return this.config.sharedTransport; }

  onRequest(h: RequestHandler): void { this.handler = h; }

  /** Runs the initiator's handshake crypto on worker threads (see src/work/pool.ts). */
  useOffload(o: HandshakeOffload | null): void { this.offload = o; }

  /**
   * Shares verified handshake records between identities of one process (the simnet): every node
   * then verifies the crawler's record once instead of once per node. Keyed by the raw record bytes.
   */
  useRecordCache(pubkeys: LruMap<string, Uint8Array>, ids: LruMap<string, Uint8Array>): void {
    this.challenges.useRecordCache(pubkeys, ids);
  }

  get pendingCount(): number { return this.pending.size + this.probes.size; }
  get sessionCount(): number { return this.sessions.size; }

  hasSession(id: Uint8Array, ip: string, port: number): boolean {
    return this.sessions.peek(sessionKey(id, ip, port)) !== undefined;
  }

  ping(remote: NodeAddress, timeoutMs?: number): Promise<RequestResult> {
    return this.request(remote, { type: MessageType.Ping, reqId: EMPTY, enrSeq: this.local.enr.seq }, undefined, timeoutMs);
  }

  findNode(remote: NodeAddress, distances: number[], events?: RequestEvents, timeoutMs?: number): Promise<RequestResult> {
    return this.request(remote, { type: MessageType.FindNode, reqId: EMPTY, distances }, events, timeoutMs);
  }

  talkReq(remote: NodeAddress, protocol: Uint8Array, payload: Uint8Array, timeoutMs?: number): Promise<RequestResult> {
    return this.request(remote, { type: MessageType.TalkReq, reqId: EMPTY, protocol, request: payload }, undefined, timeoutMs);
  }

  /** Sends a request (its reqId is assigned here) and resolves with the response or a failure reason. */
  request(remote: NodeAddress, msg: Message, events?: RequestEvents, timeoutMs = this.config.requestTimeoutMs): Promise<RequestResult> {
    const expect = RESPONSE_OF[msg.type];
    if (expect === undefined) throw new SessionError('ERR_SESSION_NOT_A_REQUEST', `message type ${msg.type} is not a request`);
    const num = this.freeRequestNum();
    const reqId = new Uint8Array(REQ_ID_SIZE);
    new DataView(reqId.buffer).setUint32(0, num);
    const plaintext = encodeMessage({ ...msg, reqId } as Message);
    const key = sessionKey(remote.id, remote.ip, remote.port);
    const req = new Request(this, num, reqId, remote, key, plaintext, expect, events);
    const p = new Promise<RequestResult>((r) => { req.resolve = r; });
    if (this.closed || this.pendingCount >= this.config.maxPendingRequests) {
      req.state = ReqState.Done;
      req.resolve({ ok: false, reason: 'closed', nodes: null, stats: req.stats });
      return p;
    }
    this.counters.requestsOut++;
    this.register(req, timeoutMs);
    this.dispatch(req);
    return p;
  }

  /** Makes a request pending, with its timer. */
  private register(req: Request, timeoutMs: number): void {
    this.pending.set(req.num, req);
    this.arm(req, timeoutMs);
  }

  /** Starts a request's timer. */
  private arm(req: Request, timeoutMs: number): void {
    req.timeoutMs = timeoutMs;
    req.deadlineMs = performance.now() + timeoutMs;
    this.wheel.add(req);
  }

  /**
   * Liveness probe: a random packet, which a node holding this ID at this endpoint answers with WHOAREYOU (it
   * must unmask our header with its own ID to do so). No handshake follows and no session is needed; resends
   * follow config.retransmits. A node with a handshake under way is not probed ('busy'): the random packet would
   * replace the challenge that handshake answers.
   */
  probe(remote: NodeAddress, timeoutMs = this.config.requestTimeoutMs): Promise<ProbeResult> {
    return new Promise<ProbeResult>((res) => {
      const out = () => (typeof req === 'object' ? req.stats.packetsOut : 0);
      const sink: ProbeSink<null> = {
        probeAnswered: (_t, rttNs) => res({ alive: true, rttNs, packetsOut: out() }),
        probeFailed: (_t, reason) => res({ alive: false, reason, packetsOut: out() }),
      };
      const req = this.startProbe(remote, timeoutMs, sink, null);
      if (req === PROBE_CLOSED) res({ alive: false, reason: 'closed', packetsOut: 0 });
      else if (req === PROBE_BUSY) res({ alive: false, reason: 'busy', packetsOut: 0 });
    });
  }

  /**
   * probe() for callers that send thousands a second: the end is told to `sink` with `token` (never from inside
   * this call). Returns false when nothing was sent: the layer is closed, or the node is busy (a handshake or a
   * probe under way, or the request table full); the caller retries later.
   */
  probeTo<T>(remote: NodeAddress, timeoutMs: number, sink: ProbeSink<T>, token: T): boolean {
    const r = this.startProbe(remote, timeoutMs, sink as ProbeSink<unknown>, token);
    return r !== PROBE_CLOSED && r !== PROBE_BUSY;
  }

  private startProbe(remote: NodeAddress, timeoutMs: number, sink: ProbeSink<unknown>, token: unknown): Request | typeof PROBE_CLOSED | typeof PROBE_BUSY {
    if (this.closed) return PROBE_CLOSED;
    const key = sessionKey(remote.id, remote.ip, remote.port);
    // A full request table is our own limit, not the remote's: try again later.
    if (this.handshaking.has(key) || this.probes.has(key) || this.pendingCount >= this.config.maxPendingRequests) return PROBE_BUSY;
    const num = this.freeRequestNum();
    const req = new Request(this, num, EMPTY, remote, key, EMPTY, MessageType.Pong, undefined);
    req.probeOnly = true;
    req.probeSink = sink;
    req.probeToken = token;
    this.counters.probesOut++;
    this.probes.set(key, req);
    this.arm(req, timeoutMs);
    this.sendRandom(req);
    return req;
  }

  /** Sends via the session if there is one, else starts (or joins) a handshake. */
  private dispatch(req: Request): void {
    const s = this.sessions.get(req.key);
    if (s) {
      if (this.mustPark(req)) { this.park(req, null, null); return; }
      this.sendOnSession(req, s);
      return;
    }
    const waiting = this.handshaking.get(req.key);
    if (waiting) { req.state = ReqState.Queued; waiting.push(req); return; }
    // A probe's resend after our random packet would make the node replace the challenge our handshake answers.
    const probe = this.probes.get(req.key);
    if (probe) { probe.superseded = true; this.fail(probe, 'closed'); }
    this.handshaking.set(req.key, [req]);
    this.sendRandom(req);
  }

  private mustPark(req: Request): boolean { return !req.admitted && req.events?.admit !== undefined; }

  /** Holds the request until its owner admits it (RequestEvents.admit); its timer is held meanwhile (onTimeout). */
  private park(req: Request, challenge: Uint8Array | null, record: Uint8Array | null): void {
    req.state = ReqState.Parked;
    req.parkedChallenge = challenge;
    req.parkedRecord = record;
    req.events!.admit!(() => { this.release(req); });
  }

  private release(req: Request): void {
    if (req.state !== ReqState.Parked || this.closed) return;
    req.admitted = true;
    const challenge = req.parkedChallenge;
    const record = req.parkedRecord;
    req.parkedChallenge = null;
    req.parkedRecord = null;
    // The wait was the owner's: the next round trip gets a whole timeout.
    this.restartTimer(req);
    if (challenge) this.startHandshake(req, challenge, record);
    else this.dispatch(req); // the session may have gone meanwhile: then this starts a handshake
  }

  /** A random request number no pending request holds (a few redraws at most: pending is far below 2^32). */
  private freeRequestNum(): number {
    let num = this.rand.u32();
    while (this.pending.has(num)) num = this.rand.u32();
    return num;
  }

  /**
   * The next packet's nonce, in this.nonce (valid until the next call); returns its counter. counter(4) |
   * random(8), as geth does: the counter, from a random start, never repeats under one key (AES-GCM needs that)
   * and maps a WHOAREYOU back to the request; the 64 random bits from the CSPRNG pool are what an off-path sender
   * would have to guess to answer a packet it did not see.
   */
  private nextNonce(): number {
    const num = this.nonceCounter = (this.nonceCounter + 1) >>> 0;
    const nonce = this.nonce;
    nonce[0] = num >>> 24; nonce[1] = (num >>> 16) & 0xff; nonce[2] = (num >>> 8) & 0xff; nonce[3] = num & 0xff;
    this.rand.into(nonce, NONCE_COUNTER_SIZE, NONCE_SIZE - NONCE_COUNTER_SIZE);
    return num;
  }

  private track(req: Request, num: number, nonce: Uint8Array): void {
    if (req.nonceNum >= 0) { (req.oldNonces ??= []).push(req.nonceNum); (req.oldTails ??= []).push(req.nonceHi, req.nonceLo); }
    req.nonceNum = num;
    req.nonceHi = word(nonce, 4);
    req.nonceLo = word(nonce, 8);
    this.byNonce.set(num, req);
  }

  /** Whether `n` is all 12 bytes of a nonce `req` sent (counter and random tail). */
  private sentBy(req: Request, num: number, n: Uint8Array): boolean {
    const hi = word(n, 4), lo = word(n, 8);
    if (num === req.nonceNum) return hi === req.nonceHi && lo === req.nonceLo;
    const i = req.oldNonces ? req.oldNonces.indexOf(num) : -1;
    return i >= 0 && req.oldTails![2 * i] === hi && req.oldTails![2 * i + 1] === lo;
  }

  /** Without a request it is a reply of ours: a response unless the caller says WHOAREYOU. */
  private sendRaw(req: Request | null, pkt: Uint8Array, ip: string, port: number, kind = req ? PacketKind.Request : PacketKind.Response): void {
    if (req) { req.stats.bytesOut += pkt.length; req.stats.packetsOut++; }
    this.transport.send(pkt, ip, port, kind);
  }

  /**
   * First contact: a message packet with random content; the remote answers WHOAREYOU. Every probe is one, so it
   * is built in place: the nonce written into a reused header, the random bytes copied into the packet.
   */
  private sendRandom(req: Request): void {
    req.state = ReqState.Random;
    const num = this.nextNonce(), nonce = this.nonce;
    const h = this.randomHeader;
    h.set(nonce, HEADER_NONCE_OFFSET);
    this.track(req, num, nonce);
    req.randomNum = num;
    const pkt = new Uint8Array(MASKING_IV_SIZE + h.length + RANDOM_MESSAGE_SIZE);
    this.rand.into(pkt, 0, MASKING_IV_SIZE);
    this.rand.into(pkt, MASKING_IV_SIZE + h.length, RANDOM_MESSAGE_SIZE);
    pkt.set(aes128Ctr(req.remoteId.subarray(0, MASKING_KEY_SIZE), pkt.subarray(0, MASKING_IV_SIZE), h), MASKING_IV_SIZE);
    req.sentAtNs = process.hrtime.bigint();
    this.sendRaw(req, pkt, req.remote.ip, req.remote.port);
  }

  private sendOnSession(req: Request, s: Session): void {
    req.state = ReqState.Session;
    const num = this.nextNonce(), nonce = this.nonce;
    this.track(req, num, nonce);
    const iv = this.rand.take(MASKING_IV_SIZE);
    const header = encodeHeader(Flag.Message, nonce, this.local.id);
    const ct = aesGcmEncrypt(s.writeKey, nonce, req.plaintext, messageAd(iv, header));
    req.sentAtNs = process.hrtime.bigint();
    this.sendRaw(req, encodePacket(req.remoteId, iv, header, ct), req.remote.ip, req.remote.port);
  }

  /** Pushes the deadline out; the wheel re-slots an entry whose deadline moved when its slot comes up. */
  private restartTimer(req: Request): void {
    req.deadlineMs = performance.now() + req.timeoutMs;
  }

  /** Timer wheel callback: a request whose resend throws (a send the OS refuses) fails instead of hanging. */
  onTimeout(req: Request): void {
    try {
      this.expire(req);
    } catch (e) {
      this.drop(e instanceof DhtscopeError ? e.code : 'ERR_INTERNAL');
      this.fail(req, 'closed');
    }
  }

  private expire(req: Request): void {
    if (req.state === ReqState.Done) return;
    if (req.state === ReqState.Parked || req.state === ReqState.Computing) {
      // Nothing of ours is in flight: the owner holds the request, or our handshake crypto waits on a worker
      // (the pool's queue is our own delay, not the remote's), so its timer waits too.
      req.deadlineMs = performance.now() + req.timeoutMs;
      this.wheel.add(req);
      return;
    }
    if (req.attempts < this.config.retransmits && req.received === 0) {
      // Resend the same request (same request-id); a lost handshake restarts from the random packet.
      req.attempts++;
      req.deadlineMs = performance.now() + req.timeoutMs;
      this.wheel.add(req);
      if (req.state === ReqState.Queued) return;
      if (req.state === ReqState.Random) { this.sendRandom(req); return; }
      // Handshake or session message lost (or its reply): resend on the session we hold. If the
      // remote has no session it answers WHOAREYOU and we run a fresh handshake.
      this.dispatch(req);
      return;
    }
    if (req.received > 0 && req.nodes) { this.complete(req, null, false); return; }
    const reason: FailureReason = req.state === ReqState.Random ? 'no-whoareyou' : 'timeout';
    this.fail(req, reason);
    // The handshake's lead request failed: nobody will answer the queued ones either (a probe leads none).
    if (reason === 'no-whoareyou' && !req.probeOnly) this.failWaiting(req.key, reason);
  }

  private finish(req: Request): void {
    req.state = ReqState.Done;
    req.cancelled = true;
    if (req.nonceNum >= 0 && this.byNonce.get(req.nonceNum) === req) this.byNonce.delete(req.nonceNum);
    if (req.oldNonces) for (const n of req.oldNonces) if (this.byNonce.get(n) === req) this.byNonce.delete(n);
    // A probe is in `probes` only: never pending, never waiting on a handshake.
    if (req.probeOnly) { if (this.probes.get(req.key) === req) this.probes.delete(req.key); return; }
    this.pending.delete(req.num);
    const w = this.handshaking.get(req.key);
    if (w) {
      const i = w.indexOf(req);
      if (i >= 0) w.splice(i, 1);
      if (w.length === 0) this.handshaking.delete(req.key);
    }
  }

  private fail(req: Request, reason: FailureReason): void {
    if (req.state === ReqState.Done) return;
    this.finish(req);
    if (req.probeSink) {
      req.probeSink.probeFailed(req.probeToken, req.superseded ? 'busy' : reason === 'closed' ? 'closed' : 'no-whoareyou');
      return;
    }
    req.resolve({ ok: false, reason, nodes: req.nodes, stats: req.stats });
  }

  private failWaiting(key: string, reason: FailureReason): void {
    const w = this.handshaking.get(key);
    if (!w) return;
    this.handshaking.delete(key);
    for (const r of [...w]) this.fail(r, reason);
  }

  private complete(req: Request, response: Message | null, complete: boolean): void {
    if (req.state === ReqState.Done) return;
    this.finish(req);
    if (req.probeSink) { req.probeSink.probeAnswered(req.probeToken, req.stats.rtt1Ns ?? 0n); return; }
    const resp: Message = response ?? { type: MessageType.Nodes, reqId: req.reqId, total: req.total, enrs: req.nodes ?? [] };
    req.resolve({ ok: true, response: resp, nodes: req.nodes, complete, stats: req.stats });
  }

  // ---- receive path -------------------------------------------------------------------------

  private drop(code: string): void {
    this.counters.dropped[code] = (this.counters.dropped[code] ?? 0) + 1;
  }

  /**
   * Socket handler: never throws; every malformed or unexpected datagram is counted and dropped.
   * Returns false only when the packet is masked for another node ID, so a socket shared by
   * several identities can offer it to the next one.
   */
  onDatagram(data: Uint8Array, ip: string, port: number, at: bigint): boolean {
    if (this.closed) return true;
    let p: Packet;
    try {
      p = decodePacket(data, this.local.id);
    } catch (e) {
      const code = e instanceof DhtscopeError ? e.code : 'ERR_INTERNAL';
      if (code === 'ERR_PACKET_BAD_PROTOCOL' && this.shared) return false;
      this.counters.packetsIn++;
      this.drop(code);
      return true;
    }
    this.counters.packetsIn++;
    try {
      if (p.flag === Flag.WhoAreYou) this.onWhoareyou(p, ip, port, at, data.length);
      else if (p.flag === Flag.Message) this.onMessagePacket(p, ip, port, at, data.length);
      else this.onHandshake(p, ip, port, at, data.length);
    } catch (e) {
      this.drop(e instanceof DhtscopeError ? e.code : 'ERR_INTERNAL');
    }
    return true;
  }

  private onWhoareyou(p: Packet, ip: string, port: number, at: bigint, size: number): void {
    const n = p.nonce;
    const num = word(n, 0);
    const req = this.byNonce.get(num);
    // All 12 bytes must be ours: an off-path sender who guessed the counter still lacks 64 random bits.
    if (!req || req.state === ReqState.Done || req.remote.ip !== ip || req.remote.port !== port || !this.sentBy(req, num, n)) {
      this.counters.whoareyouUnsolicited++;
      return;
    }
    req.stats.bytesIn += size; req.stats.packetsIn++;
    if (req.probeOnly) {
      req.stats.rtt1Ns = at - req.sentAtNs;
      this.complete(req, null, true);
      return;
    }
    if (req.state === ReqState.Parked) {
      // Waiting for admission with a challenge: the one to our latest random packet replaces it (the remote keeps
      // only that one). Anything else is a duplicate.
      if (req.parkedChallenge && num === req.randomNum && num !== req.answeredNum) {
        req.parkedChallenge = messageAd(p.maskingIv, p.header);
        req.parkedRecord = this.recordFor(p.whoareyou!.enrSeq);
        req.answeredNum = num;
      } else this.counters.whoareyouUnsolicited++;
      return;
    }
    // A remote keeps only the challenge it sent last. When a WHOAREYOU to an earlier random packet came
    // late (after our retransmit) and we answered it, the one to the latest packet supersedes it: the
    // remote would reject a handshake over the old challenge, so redo the handshake.
    const supersedes = num === req.randomNum && num !== req.answeredNum && req.answeredNum >= 0;
    if (supersedes) this.counters.handshakesRedone++;
    else if (req.state === ReqState.Computing) { this.counters.whoareyouUnsolicited++; return; }
    else if (req.state === ReqState.Handshake) {
      // A late answer to an earlier random packet of this request: the handshake is under way.
      if (num !== req.nonceNum) { this.counters.whoareyouUnsolicited++; return; }
      // They challenged our handshake: they rejected it.
      this.sessions.delete(req.key);
      this.fail(req, 'bad-handshake');
      this.failWaiting(req.key, 'bad-handshake');
      return;
    }
    if (req.state === ReqState.Random) req.stats.rtt1Ns = at - req.sentAtNs;
    // A new round trip starts now: the timeout covers each stage, not the whole exchange.
    this.restartTimer(req);
    const wa = p.whoareyou!;
    const challenge = messageAd(p.maskingIv, p.header);
    const record = this.recordFor(wa.enrSeq);
    req.answeredNum = num;
    if (this.mustPark(req)) { this.park(req, challenge, record); return; }
    this.startHandshake(req, challenge, record);
  }

  /**
   * The record our handshake carries for a WHOAREYOU naming `enrSeq`: ours unless they hold exactly our seq
   * (chainsafe 11 encodes enr-seq in the wrong byte order, so "lower than ours" is not a safe test; a peer
   * cannot hold a newer one).
   */
  private recordFor(enrSeq: bigint): Uint8Array | null {
    return enrSeq !== this.local.enr.seq ? this.local.enr.raw : null;
  }

  private startHandshake(req: Request, challenge: Uint8Array, record: Uint8Array | null): void {
    const gen = ++req.hsGen;
    if (this.offload) {
      // Worker threads do the key generation, ECDH, HKDF and signature; the packet is built here.
      req.state = ReqState.Computing;
      void this.offload.handshake(this.local.sk, this.local.id, req.remoteId, req.remote.pubkey, challenge).then((hs) => {
        if (req.state !== ReqState.Computing || req.hsGen !== gen || this.closed) return;
        if (!hs) { this.fail(req, 'bad-handshake'); this.failWaiting(req.key, 'bad-handshake'); return; }
        this.sendHandshake(req, hs, record);
      }, () => {
        // The worker pool failed (a worker died): our failure, not the remote's.
        if (req.state !== ReqState.Computing || req.hsGen !== gen) return;
        this.fail(req, 'closed');
        this.failWaiting(req.key, 'closed');
      });
      return;
    }
    this.sendHandshake(req, initiatorHandshake(this.local.sk, this.local.id, req.remoteId, req.remote.pubkey, challenge, this.backend), record);
  }

  private sendHandshake(req: Request, hs: { ephemeralPubkey: Uint8Array; keys: { initiatorKey: Uint8Array; recipientKey: Uint8Array }; idSignature: Uint8Array }, record: Uint8Array | null): void {
    const nn = this.nextNonce(), nonce = this.nonce;
    this.track(req, nn, nonce);
    const iv = this.rand.take(MASKING_IV_SIZE);
    const header = encodeHeader(Flag.Handshake, nonce, handshakeAuthdata(this.local.id, hs.idSignature, hs.ephemeralPubkey, record));
    const ct = aesGcmEncrypt(hs.keys.initiatorKey, nonce, req.plaintext, messageAd(iv, header));
    // The ID is copied: the caller's may be a view into a crawl's record arena, which a session would pin
    // (whole arena chunks) for as long as the cache keeps it, past the crawl.
    const session: Session = { id: req.remoteId.slice(), writeKey: hs.keys.initiatorKey, readKey: hs.keys.recipientKey };
    this.sessions.set(req.key, session);
    req.state = ReqState.Handshake;
    req.stats.handshake = true;
    this.counters.handshakesOut++;
    req.sentAtNs = process.hrtime.bigint();
    this.restartTimer(req);
    this.sendRaw(req, encodePacket(req.remoteId, iv, header, ct), req.remote.ip, req.remote.port);
    // Everything queued behind the handshake goes out on the new session.
    const w = this.handshaking.get(req.key);
    if (w) {
      this.handshaking.delete(req.key);
      for (const r of w) if (r !== req && r.state !== ReqState.Done) this.sendOnSession(r, session);
    }
  }

  private onMessagePacket(p: Packet, ip: string, port: number, at: bigint, size: number): void {
    const srcId = p.srcId!;
    const key = sessionKey(srcId, ip, port);
    const s = this.sessions.get(key);
    let pt: Uint8Array | null = null;
    if (s) {
      try { pt = aesGcmDecrypt(s.readKey, p.nonce, p.message, messageAd(p.maskingIv, p.header)); } catch { pt = null; }
    }
    if (!pt) {
      // No session or a stale one: challenge the sender (63 bytes, never more before a handshake).
      if (s) this.counters.decryptFailures++;
      if (this.config.respond) this.challenges.challenge(srcId, ip, port, p.nonce, key);
      return;
    }
    this.onPlaintext(pt, srcId, key, ip, port, s!, at, size);
  }

  private onHandshake(p: Packet, ip: string, port: number, at: bigint, size: number): void {
    const r = this.challenges.accept(p, ip, port);
    if (!r) return;
    this.sessions.set(r.key, r.session);
    this.onPlaintext(r.plaintext, r.session.id, r.key, ip, port, r.session, at, size);
  }

  private onPlaintext(pt: Uint8Array, srcId: Uint8Array, key: string, ip: string, port: number, s: Session, at: bigint, size: number): void {
    const msg = decodeMessage(pt);
    if (msg.type === MessageType.Ping || msg.type === MessageType.FindNode || msg.type === MessageType.TalkReq) {
      this.counters.requestsIn++;
      const replies = this.handler ? this.handler(msg, { id: srcId, ip, port }) : null;
      if (replies) for (const r of replies) this.reply(s, srcId, ip, port, { ...r, reqId: msg.reqId } as Message);
      return;
    }
    // Some clients (chainsafe) echo the request-id as a number, dropping leading zero bytes.
    let num = -1;
    if (msg.reqId.length <= REQ_ID_SIZE) { num = 0; for (let i = 0; i < msg.reqId.length; i++) num = num * 256 + msg.reqId[i]!; }
    const req = this.pending.get(num);
    if (!req || req.key !== key || req.expect !== msg.type) { this.counters.unmatchedResponses++; return; }
    req.stats.bytesIn += size; req.stats.packetsIn++;
    if (req.received === 0) req.stats.rtt2Ns = at - req.sentAtNs;
    req.received++;
    if (msg.type !== MessageType.Nodes) { this.complete(req, msg, true); return; }
    if (msg.total < 1 || msg.total > MAX_NODES_TOTAL) { this.fail(req, 'bad-reply'); return; }
    req.total = msg.total;
    req.events?.onNodes?.(msg, at, size);
    if (this.config.collectNodes) {
      req.nodes ??= [];
      for (const e of msg.enrs) req.nodes.push(Uint8Array.from(e));
    } else {
      req.nodes ??= [];
    }
    if (req.received >= req.total) this.complete(req, null, true);
  }

  /** Sends a reply on an established session. */
  reply(s: Session, dstId: Uint8Array, ip: string, port: number, msg: Message): void {
    this.nextNonce();
    const nonce = this.nonce;
    const iv = this.rand.take(MASKING_IV_SIZE);
    const header = encodeHeader(Flag.Message, nonce, this.local.id);
    const ct = aesGcmEncrypt(s.writeKey, nonce, encodeMessage(msg), messageAd(iv, header));
    this.sendRaw(null, encodePacket(dstId, iv, header, ct), ip, port);
  }

  /** Fails everything in flight and stops timers; the transport is the caller's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of [...this.pending.values(), ...this.probes.values()]) this.fail(r, 'closed');
    this.wheel.stop();
  }
}

/** Bytes of our nonces that are the counter (the rest is random). */
const NONCE_COUNTER_SIZE = 4;

/** The big-endian 32-bit word at b[at..at+4]. */
function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
