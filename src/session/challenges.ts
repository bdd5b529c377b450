// The responder's half of the discv5 handshake: the WHOAREYOU challenges a node issued, and the check of the
// handshake that answers one (record or known key, id-nonce signature, key agreement, first message).
import { aesGcmDecrypt, type Secp256k1Backend } from '../crypto/index.js';
import { recipientKeys, verifyIdNonce } from '../crypto/discv5.js';
import { decodeEnr, verifyEnr, type Enr } from '../enr/enr.js';
import { Flag, ID_NONCE_SIZE, MASKING_IV_SIZE } from '../wire/constants.js';
import { encodeHeader, encodePacket, messageAd, whoareyouAuthdata, type Packet } from '../wire/packet.js';
import { PacketKind } from '../transport/types.js';
import { bytesEqual } from '../util/bytes.js';
import { LruMap } from '../util/lru.js';
import type { RandomPool } from '../util/random.js';
import { sessionKey } from './request.js';
import type { LocalIdentity, Session, SessionCounters, SessionLayerConfig } from './types.js';

interface Challenge {
  data: Uint8Array;
  /** The record we hold for them (its seq went into the WHOAREYOU), if any. */
  knownEnr: Enr | undefined;
}

const EMPTY = new Uint8Array(0);
const NO_IDS = new LruMap<string, Uint8Array>(1);

export class Challenges {
  /** Bound: config.maxChallenges, each for config.challengeTtlMs. */
  private readonly issued: LruMap<string, Challenge>;
  private recordCache: LruMap<string, Uint8Array> | null = null;
  private recordIds: LruMap<string, Uint8Array> = NO_IDS;

  constructor(
    private readonly local: LocalIdentity,
    config: SessionLayerConfig,
    private readonly backend: Secp256k1Backend,
    private readonly rand: RandomPool,
    private readonly counters: SessionCounters,
    /** The record we hold for a node: its seq goes into the WHOAREYOU, and a handshake may then omit it. */
    private readonly knownEnr: (id: Uint8Array) => Enr | undefined,
    private readonly send: (pkt: Uint8Array, ip: string, port: number, kind: PacketKind) => void,
  ) {
    this.issued = new LruMap(config.maxChallenges, config.challengeTtlMs);
  }

  /** Challenges outstanding (bounded by config.maxChallenges). */
  get size(): number { return this.issued.size; }

  /** See SessionLayer.useRecordCache. */
  useRecordCache(pubkeys: LruMap<string, Uint8Array>, ids: LruMap<string, Uint8Array>): void {
    this.recordCache = pubkeys;
    this.recordIds = ids;
  }

  /** Answers a packet we cannot decrypt with WHOAREYOU (63 bytes, never more before a handshake). */
  challenge(srcId: Uint8Array, ip: string, port: number, nonce: Uint8Array, key: string): void {
    const known = this.knownEnr(srcId);
    const iv = this.rand.take(MASKING_IV_SIZE);
    const header = encodeHeader(Flag.WhoAreYou, nonce, whoareyouAuthdata(this.rand.take(ID_NONCE_SIZE), known ? known.seq : 0n));
    this.issued.set(key, { data: messageAd(iv, header), knownEnr: known });
    this.counters.whoareyouSent++;
    this.send(encodePacket(srcId, iv, header, EMPTY), ip, port, PacketKind.Whoareyou);
  }

  /** Checks a handshake packet against the challenge it answers: the new session and its first message, or null (counted). */
  accept(p: Packet, ip: string, port: number): { key: string; session: Session; plaintext: Uint8Array } | null {
    const hs = p.handshake!;
    const key = sessionKey(hs.srcId, ip, port);
    const ch = this.issued.get(key);
    if (!ch) { this.counters.handshakeNoChallenge++; return null; }
    const pubkey = hs.record ? this.recordKey(hs.record, hs.srcId) : ch.knownEnr?.publicKey ?? null;
    if (!pubkey) { this.counters.handshakeUnknownKey++; return null; }
    if (!verifyIdNonce(pubkey, hs.idSignature, ch.data, hs.ephPubkey, this.local.id, this.backend)) {
      this.counters.handshakeBadSignature++;
      return null;
    }
    let keys;
    try { keys = recipientKeys(this.local.sk, hs.ephPubkey, hs.srcId, this.local.id, ch.data, this.backend); } catch {
      this.counters.handshakeBadSignature++;
      return null;
    }
    let plaintext: Uint8Array;
    try { plaintext = aesGcmDecrypt(keys.initiatorKey, p.nonce, p.message, messageAd(p.maskingIv, p.header)); } catch {
      this.counters.decryptFailures++;
      return null;
    }
    this.issued.delete(key);
    this.counters.handshakesIn++;
    if (!hs.record) this.counters.handshakesInKnownRecord++;
    return { key, session: { id: Uint8Array.from(hs.srcId), writeKey: keys.recipientKey, readKey: keys.initiatorKey }, plaintext };
  }

  /** The public key of a handshake's record if it verifies and names `srcId` (cached by the record's bytes), else null. */
  private recordKey(record: Uint8Array, srcId: Uint8Array): Uint8Array | null {
    const cacheKey = this.recordCache ? Buffer.from(record.buffer, record.byteOffset, record.length).toString('latin1') : '';
    const cached = this.recordCache?.get(cacheKey) ?? null;
    if (cached && bytesEqual(this.recordIds.get(cacheKey) ?? EMPTY, srcId)) return cached;
    try {
      const e = decodeEnr(Uint8Array.from(record));
      if (!verifyEnr(e, this.backend) || !bytesEqual(e.nodeId(this.backend), srcId)) return null;
      if (this.recordCache) { this.recordCache.set(cacheKey, e.publicKey); this.recordIds.set(cacheKey, e.nodeId(this.backend)); }
      return e.publicKey;
    } catch {
      return null;
    }
  }
}
