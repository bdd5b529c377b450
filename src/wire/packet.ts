import { aes128Ctr } from '../crypto/hash.js';
import { WireError } from '../util/errors.js';
import {
  ENR_SEQ_SIZE, Flag, GCM_TAG_SIZE, HANDSHAKE_AUTHDATA_HEAD_SIZE, ID_NONCE_SIZE, MASKING_IV_SIZE, MASKING_KEY_SIZE,
  MAX_PACKET_SIZE, MIN_PACKET_SIZE, NODE_ID_SIZE, NONCE_SIZE, PROTOCOL_ID, PROTOCOL_VERSION, STATIC_HEADER_SIZE,
  WHOAREYOU_AUTHDATA_SIZE,
} from './constants.js';


export interface HandshakeAuthdata {
  srcId: Uint8Array;
  idSignature: Uint8Array;
  ephPubkey: Uint8Array;
  /** Raw RLP of the sender's ENR, or null when it was left out. */
  record: Uint8Array | null;
}

/** A decoded packet. Byte fields are views into `header` (unmasked copy) or the input packet. */
export interface Packet {
  maskingIv: Uint8Array;
  flag: Flag;
  nonce: Uint8Array;
  /** Unmasked static header + authdata: with maskingIv, the AES-GCM associated data. */
  header: Uint8Array;
  authdata: Uint8Array;
  /** Flag 0 and 2: the sender's node ID. */
  srcId: Uint8Array | null;
  /** Flag 1. */
  whoareyou: { idNonce: Uint8Array; enrSeq: bigint } | null;
  /** Flag 2. */
  handshake: HandshakeAuthdata | null;
  /** Encrypted message (ciphertext + tag), a view of the input; empty for WHOAREYOU. */
  message: Uint8Array;
}

/** Unmasked static header followed by authdata. */
export function encodeHeader(flag: Flag, nonce: Uint8Array, authdata: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_SIZE) throw new WireError('ERR_PACKET_BAD_NONCE', 'nonce must be 12 bytes');
  const h = new Uint8Array(STATIC_HEADER_SIZE + authdata.length);
  h.set(PROTOCOL_ID, 0);
  h[6] = PROTOCOL_VERSION >> 8;
  h[7] = PROTOCOL_VERSION & 0xff;
  h[8] = flag;
  h.set(nonce, 9);
  h[21] = authdata.length >> 8;
  h[22] = authdata.length & 0xff;
  h.set(authdata, STATIC_HEADER_SIZE);
  return h;
}

export function messageAuthdata(srcId: Uint8Array): Uint8Array {
  return srcId;
}

export function whoareyouAuthdata(idNonce: Uint8Array, enrSeq: bigint): Uint8Array {
  const a = new Uint8Array(WHOAREYOU_AUTHDATA_SIZE);
  a.set(idNonce, 0);
  new DataView(a.buffer).setBigUint64(ID_NONCE_SIZE, enrSeq);
  return a;
}

export function handshakeAuthdata(srcId: Uint8Array, idSignature: Uint8Array, ephPubkey: Uint8Array, record: Uint8Array | null): Uint8Array {
  const recLen = record ? record.length : 0;
  const a = new Uint8Array(HANDSHAKE_AUTHDATA_HEAD_SIZE + idSignature.length + ephPubkey.length + recLen);
  a.set(srcId, 0);
  a[NODE_ID_SIZE] = idSignature.length;
  a[NODE_ID_SIZE + 1] = ephPubkey.length;
  a.set(idSignature, HANDSHAKE_AUTHDATA_HEAD_SIZE);
  a.set(ephPubkey, HANDSHAKE_AUTHDATA_HEAD_SIZE + idSignature.length);
  if (record) a.set(record, HANDSHAKE_AUTHDATA_HEAD_SIZE + idSignature.length + ephPubkey.length);
  return a;
}

/** AES-GCM associated data: masking-iv || unmasked header. */
export function messageAd(maskingIv: Uint8Array, header: Uint8Array): Uint8Array {
  const ad = new Uint8Array(MASKING_IV_SIZE + header.length);
  ad.set(maskingIv, 0);
  ad.set(header, MASKING_IV_SIZE);
  return ad;
}

/** Assembles masking-iv || masked(header) || message. `destId` gives the masking key. */
export function encodePacket(destId: Uint8Array, maskingIv: Uint8Array, header: Uint8Array, message: Uint8Array): Uint8Array {
  const total = MASKING_IV_SIZE + header.length + message.length;
  if (total > MAX_PACKET_SIZE) throw new WireError('ERR_PACKET_TOO_LARGE', `packet of ${total} bytes exceeds ${MAX_PACKET_SIZE}`);
  const out = new Uint8Array(total);
  out.set(maskingIv, 0);
  out.set(aes128Ctr(destId.subarray(0, MASKING_KEY_SIZE), maskingIv, header), MASKING_IV_SIZE);
  out.set(message, MASKING_IV_SIZE + header.length);
  return out;
}

/** Authdata bytes unmasked with the static header: a message packet's (the source ID; WHOAREYOU's is shorter). */
const UNMASK_AHEAD = NODE_ID_SIZE;

/**
 * The unmasked header of a message packet from `srcId` (static header + authdata), to reuse across packets: only
 * the nonce (bytes 9-20) changes.
 */
export function messageHeaderTemplate(srcId: Uint8Array): Uint8Array {
  return encodeHeader(Flag.Message, new Uint8Array(NONCE_SIZE), srcId);
}

/** Offset of the nonce in an unmasked header. */
export const HEADER_NONCE_OFFSET = 9;

/** Decodes a datagram addressed to `localId`. Throws only WireError. */
export function decodePacket(buf: Uint8Array, localId: Uint8Array): Packet {
  if (buf.length < MIN_PACKET_SIZE) throw new WireError('ERR_PACKET_TOO_SHORT', `packet of ${buf.length} bytes is below ${MIN_PACKET_SIZE}`);
  if (buf.length > MAX_PACKET_SIZE) throw new WireError('ERR_PACKET_TOO_LARGE', `packet of ${buf.length} bytes exceeds ${MAX_PACKET_SIZE}`);
  const maskingIv = buf.subarray(0, MASKING_IV_SIZE);
  // Unmask the static header first to learn how much authdata follows, then the whole header from the
  // stream's start (one more short CTR call is cheaper than keeping a cipher object to continue it).
  const maskKey = localId.subarray(0, MASKING_KEY_SIZE);
  // One call unmasks the static header and, past it, as much as a message's or WHOAREYOU's authdata: most packets
  // need no second call (bytes past the header are unmasked for nothing and never read).
  const ahead = Math.min(buf.length - MASKING_IV_SIZE, STATIC_HEADER_SIZE + UNMASK_AHEAD);
  const sh = aes128Ctr(maskKey, maskingIv, buf.subarray(MASKING_IV_SIZE, MASKING_IV_SIZE + ahead));
  for (let i = 0; i < PROTOCOL_ID.length; i++) {
    if (sh[i] !== PROTOCOL_ID[i]) throw new WireError('ERR_PACKET_BAD_PROTOCOL', 'not a discv5 packet (protocol-id mismatch)');
  }
  const version = (sh[6]! << 8) | sh[7]!;
  if (version !== PROTOCOL_VERSION) throw new WireError('ERR_PACKET_BAD_VERSION', `unsupported discv5 version ${version}`);
  const flag = sh[8]!;
  if (flag > Flag.Handshake) throw new WireError('ERR_PACKET_BAD_FLAG', `unknown packet flag ${flag}`);
  const authSize = (sh[21]! << 8) | sh[22]!;
  const authStart = MASKING_IV_SIZE + STATIC_HEADER_SIZE;
  if (authStart + authSize > buf.length) throw new WireError('ERR_PACKET_BAD_AUTHDATA_SIZE', 'authdata-size exceeds packet');
  const header = STATIC_HEADER_SIZE + authSize <= ahead ? sh.subarray(0, STATIC_HEADER_SIZE + authSize)
    : aes128Ctr(maskKey, maskingIv, buf.subarray(MASKING_IV_SIZE, authStart + authSize));
  const authdata = header.subarray(STATIC_HEADER_SIZE);
  const nonce = header.subarray(9, 9 + NONCE_SIZE);
  const message = buf.subarray(authStart + authSize);
  const p: Packet = { maskingIv, flag, nonce, header, authdata, srcId: null, whoareyou: null, handshake: null, message };
  switch (flag) {
    case Flag.Message:
      if (authSize !== NODE_ID_SIZE) throw new WireError('ERR_PACKET_BAD_AUTHDATA', `message authdata must be ${NODE_ID_SIZE} bytes`);
      if (message.length < GCM_TAG_SIZE) throw new WireError('ERR_PACKET_TOO_SHORT', 'message shorter than its tag');
      p.srcId = authdata;
      break;
    case Flag.WhoAreYou: {
      if (authSize !== WHOAREYOU_AUTHDATA_SIZE) throw new WireError('ERR_PACKET_BAD_AUTHDATA', `WHOAREYOU authdata must be ${WHOAREYOU_AUTHDATA_SIZE} bytes`);
      const dv = new DataView(authdata.buffer, authdata.byteOffset + ID_NONCE_SIZE, ENR_SEQ_SIZE);
      p.whoareyou = { idNonce: authdata.subarray(0, ID_NONCE_SIZE), enrSeq: dv.getBigUint64(0) };
      break;
    }
    case Flag.Handshake: {
      if (authSize < HANDSHAKE_AUTHDATA_HEAD_SIZE) throw new WireError('ERR_PACKET_BAD_AUTHDATA', 'handshake authdata too short');
      const sigSize = authdata[NODE_ID_SIZE]!;
      const keySize = authdata[NODE_ID_SIZE + 1]!;
      const recStart = HANDSHAKE_AUTHDATA_HEAD_SIZE + sigSize + keySize;
      if (recStart > authSize) throw new WireError('ERR_PACKET_BAD_AUTHDATA', 'handshake sig-size/eph-key-size exceed authdata');
      if (message.length < GCM_TAG_SIZE) throw new WireError('ERR_PACKET_TOO_SHORT', 'message shorter than its tag');
      p.srcId = authdata.subarray(0, NODE_ID_SIZE);
      p.handshake = {
        srcId: p.srcId,
        idSignature: authdata.subarray(HANDSHAKE_AUTHDATA_HEAD_SIZE, HANDSHAKE_AUTHDATA_HEAD_SIZE + sigSize),
        ephPubkey: authdata.subarray(HANDSHAKE_AUTHDATA_HEAD_SIZE + sigSize, recStart),
        record: recStart < authSize ? authdata.subarray(recStart) : null,
      };
      break;
    }
  }
  return p;
}

/** The WHOAREYOU challenge-data: masking-iv || unmasked header (static header + authdata). */
export function challengeData(maskingIv: Uint8Array, header: Uint8Array): Uint8Array {
  return messageAd(maskingIv, header);
}

