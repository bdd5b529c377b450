import { RlpError, WireError } from '../util/errors.js';
import { bytesToBigint, uintToBytes, bigintToBytes } from '../util/bytes.js';
import { rlpBigint, rlpBytes, rlpDecodeAt, rlpEncode, rlpEncodedLength, rlpHeader, rlpList, rlpUint, type RlpItem } from './rlp.js';
import { MAX_REQUEST_ID_SIZE } from './constants.js';

export const enum MessageType {
  Ping = 0x01,
  Pong = 0x02,
  FindNode = 0x03,
  Nodes = 0x04,
  TalkReq = 0x05,
  TalkResp = 0x06,
}

/** Highest log-distance; 0 means the node's own record. */
export const MAX_DISTANCE = 256;
/** IPv4 and IPv6 address sizes in PONG. */
const IPV4_SIZE = 4;
const IPV6_SIZE = 16;

export interface Ping { type: MessageType.Ping; reqId: Uint8Array; enrSeq: bigint }
export interface Pong { type: MessageType.Pong; reqId: Uint8Array; enrSeq: bigint; ip: Uint8Array; port: number }
export interface FindNode { type: MessageType.FindNode; reqId: Uint8Array; distances: number[] }
/** `enrs` are the raw RLP of each record (views into the plaintext), so callers can dedupe before decoding. */
export interface Nodes { type: MessageType.Nodes; reqId: Uint8Array; total: number; enrs: Uint8Array[] }
export interface TalkReq { type: MessageType.TalkReq; reqId: Uint8Array; protocol: Uint8Array; request: Uint8Array }
export interface TalkResp { type: MessageType.TalkResp; reqId: Uint8Array; response: Uint8Array }
export type Message = Ping | Pong | FindNode | Nodes | TalkReq | TalkResp;

function checkReqId(reqId: Uint8Array): Uint8Array {
  if (reqId.length > MAX_REQUEST_ID_SIZE) throw new WireError('ERR_MSG_BAD_REQUEST_ID', `request-id longer than ${MAX_REQUEST_ID_SIZE} bytes`);
  return reqId;
}

/** message-type || rlp(message-data). */
export function encodeMessage(m: Message): Uint8Array {
  checkReqId(m.reqId);
  let body: Uint8Array;
  switch (m.type) {
    case MessageType.Ping:
      body = rlpEncode([m.reqId, bigintToBytes(m.enrSeq)]);
      break;
    case MessageType.Pong:
      body = rlpEncode([m.reqId, bigintToBytes(m.enrSeq), m.ip, uintToBytes(m.port)]);
      break;
    case MessageType.FindNode:
      body = rlpEncode([m.reqId, m.distances.map((d) => uintToBytes(d))]);
      break;
    case MessageType.Nodes:
      return encodeNodes(m.reqId, m.total, m.enrs);
    case MessageType.TalkReq:
      body = rlpEncode([m.reqId, m.protocol, m.request]);
      break;
    case MessageType.TalkResp:
      body = rlpEncode([m.reqId, m.response]);
      break;
    default:
      throw new WireError('ERR_MSG_UNKNOWN_TYPE', `unknown message type ${(m as { type: number }).type}`);
  }
  const out = new Uint8Array(1 + body.length);
  out[0] = m.type;
  out.set(body, 1);
  return out;
}

/** NODES carries already-encoded records; they are spliced in without re-encoding. */
export function encodeNodes(reqId: Uint8Array, total: number, enrs: Uint8Array[]): Uint8Array {
  checkReqId(reqId);
  let recLen = 0;
  for (const e of enrs) recLen += e.length;
  const head = rlpEncode([reqId, uintToBytes(total)]);
  // head is a list header + payload; reuse its payload and add the records list.
  const headPayload = head.subarray(rlpHeader(head, 0).start);
  const recHeader = listHeader(recLen);
  const payloadLen = headPayload.length + recHeader.length + recLen;
  const outer = listHeader(payloadLen);
  const out = new Uint8Array(1 + outer.length + payloadLen);
  let o = 0;
  out[o++] = MessageType.Nodes;
  out.set(outer, o); o += outer.length;
  out.set(headPayload, o); o += headPayload.length;
  out.set(recHeader, o); o += recHeader.length;
  for (const e of enrs) { out.set(e, o); o += e.length; }
  return out;
}

function listHeader(payloadLen: number): Uint8Array {
  if (payloadLen <= 55) return Uint8Array.of(0xc0 + payloadLen);
  const len = uintToBytes(payloadLen);
  const h = new Uint8Array(1 + len.length);
  h[0] = 0xf7 + len.length;
  h.set(len, 1);
  return h;
}

/** Size of a NODES message with these records, for splitting replies under the packet limit. */
export function nodesMessageSize(reqId: Uint8Array, total: number, recordsLen: number): number {
  const head = rlpEncodedLength(reqId) + rlpEncodedLength(uintToBytes(total));
  const payload = head + listHeader(recordsLen).length + recordsLen;
  return 1 + listHeader(payload).length + payload;
}

/** Decodes message-type || rlp. Throws only WireError. */
export function decodeMessage(pt: Uint8Array): Message {
  if (pt.length < 2) throw new WireError('ERR_MSG_TRUNCATED', 'message too short');
  const type = pt[0]!;
  if (type < MessageType.Ping || type > MessageType.TalkResp) throw new WireError('ERR_MSG_UNKNOWN_TYPE', `unknown message type ${type}`);
  try {
    if (type === MessageType.Nodes) return decodeNodes(pt);
    const [item, end] = rlpDecodeAt(pt, 1);
    if (end !== pt.length) throw new WireError('ERR_MSG_TRAILING', 'trailing bytes after message');
    const f = rlpList(item, 'message');
    const reqId = checkReqId(rlpBytes(f[0], 'request-id'));
    switch (type) {
      case MessageType.Ping:
        need(f, 2);
        return { type, reqId, enrSeq: rlpBigint(f[1], 'enr-seq') };
      case MessageType.Pong: {
        need(f, 4);
        const ip = rlpBytes(f[2], 'recipient-ip');
        if (ip.length !== IPV4_SIZE && ip.length !== IPV6_SIZE) throw new WireError('ERR_MSG_BAD_FIELD', 'PONG ip must be 4 or 16 bytes');
        const port = rlpUint(f[3], 'recipient-port', 2);
        return { type, reqId, enrSeq: rlpBigint(f[1], 'enr-seq'), ip, port };
      }
      case MessageType.FindNode: {
        need(f, 2);
        const ds = rlpList(f[1], 'distances');
        const distances = new Array<number>(ds.length);
        for (let i = 0; i < ds.length; i++) {
          const d = rlpUint(ds[i]!, 'distance', 2);
          if (d > MAX_DISTANCE) throw new WireError('ERR_MSG_BAD_FIELD', `distance ${d} above ${MAX_DISTANCE}`);
          distances[i] = d;
        }
        return { type, reqId, distances };
      }
      case MessageType.TalkReq:
        need(f, 3);
        return { type, reqId, protocol: rlpBytes(f[1], 'protocol'), request: rlpBytes(f[2], 'request') };
      default:
        need(f, 2);
        return { type: MessageType.TalkResp, reqId, response: rlpBytes(f[1], 'response') };
    }
  } catch (e) {
    if (e instanceof RlpError) throw new WireError('ERR_MSG_BAD_RLP', `bad message RLP: ${e.message}`);
    throw e;
  }
}

function need(f: RlpItem[], n: number): void {
  if (f.length < n) throw new WireError('ERR_MSG_MISSING_FIELD', `message has ${f.length} fields, needs ${n}`);
}

/** NODES: walks headers only, so each record comes out as a raw view with no per-field allocation. */
function decodeNodes(pt: Uint8Array): Nodes {
  const outer = rlpHeader(pt, 1);
  if (!outer.list || outer.end !== pt.length) throw new WireError('ERR_MSG_BAD_RLP', 'NODES must be one list');
  const rh = rlpHeader(pt, outer.start, outer.end);
  if (rh.list) throw new WireError('ERR_MSG_BAD_RLP', 'NODES request-id must be bytes');
  const reqId = checkReqId(pt.subarray(rh.start, rh.end));
  const th = rlpHeader(pt, rh.end, outer.end);
  if (th.list) throw new WireError('ERR_MSG_BAD_RLP', 'NODES total must be an integer');
  const total = rlpUint(pt.subarray(th.start, th.end), 'total', 2);
  const lh = rlpHeader(pt, th.end, outer.end);
  if (!lh.list) throw new WireError('ERR_MSG_BAD_RLP', 'NODES records must be a list');
  const enrs: Uint8Array[] = [];
  let p = lh.start;
  while (p < lh.end) {
    const eh = rlpHeader(pt, p, lh.end);
    if (!eh.list) throw new WireError('ERR_MSG_BAD_RLP', 'NODES record must be a list');
    enrs.push(pt.subarray(p, eh.end));
    p = eh.end;
  }
  return { type: MessageType.Nodes, reqId, total, enrs };
}

export function reqIdToBigint(reqId: Uint8Array): bigint {
  return bytesToBigint(reqId);
}
