import { isIPv4 } from 'node:net';
import { MAX_PACKET_SIZE, MASKING_IV_SIZE, STATIC_HEADER_SIZE, NODE_ID_SIZE, GCM_TAG_SIZE, MAX_REQUEST_ID_SIZE } from '../wire/constants.js';
import { MessageType, nodesMessageSize, type Message, type Nodes } from '../wire/messages.js';
import type { RequestHandler } from '../session/types.js';
import type { Enr } from '../enr/enr.js';
import { BUCKET_SIZE, type NodeTable } from './table.js';

/** Largest NODES plaintext that keeps a flag-0 packet within 1280 bytes. */
export const MAX_NODES_PLAINTEXT = MAX_PACKET_SIZE - MASKING_IV_SIZE - STATIC_HEADER_SIZE - NODE_ID_SIZE - GCM_TAG_SIZE;
/** geth packs records into packets of about this many record bytes. */
const GETH_RECORD_BYTES = 1000;
/** nim-eth sends three records per NODES packet. */
const NIM_RECORDS_PER_PACKET = 3;
const WORST_REQ_ID = new Uint8Array(MAX_REQUEST_ID_SIZE);

export type ProfileName = 'geth' | 'nim' | 'lighthouse';

/** How a client family answers FINDNODE (see DEVELOPERS' simnet profiles). */
export interface AnswerProfile {
  name: ProfileName;
  /** Only records at the requested distances (Lighthouse), else pad from neighbouring buckets. */
  strictDistances: boolean;
  pack: 'bytes' | 'count' | 'size';
  /** Shuffle the records before packing (geth). */
  shuffle: boolean;
}

export const PROFILES: Record<ProfileName, AnswerProfile> = {
  geth: { name: 'geth', strictDistances: true, pack: 'bytes', shuffle: true },
  nim: { name: 'nim', strictDistances: false, pack: 'count', shuffle: false },
  lighthouse: { name: 'lighthouse', strictDistances: true, pack: 'size', shuffle: false },
};

/** Records for FINDNODE: distance 0 is our own record; at most k in total, deduplicated distances. */
export function collectRecords(self: Enr, table: NodeTable, distances: number[], profile: AnswerProfile, rand: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<number>();
  for (const d of distances) {
    if (out.length >= BUCKET_SIZE) break;
    if (seen.has(d) || d > 256) continue;
    seen.add(d);
    if (d === 0) { out.push(self.raw); continue; }
    for (const r of table.recordsAt(d, BUCKET_SIZE - out.length)) out.push(r);
  }
  if (!profile.strictDistances && out.length < BUCKET_SIZE && distances.length > 0) {
    // Pad from the buckets next to the first requested distance, as some clients do.
    const d0 = distances[0]!;
    for (let delta = 1; delta <= 2 && out.length < BUCKET_SIZE; delta++) {
      for (const d of [d0 - delta, d0 + delta]) {
        if (d < 1 || d > 256 || seen.has(d)) continue;
        seen.add(d);
        for (const r of table.recordsAt(d, BUCKET_SIZE - out.length)) out.push(r);
      }
    }
  }
  if (profile.shuffle) {
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = out[i]!; out[i] = out[j]!; out[j] = t;
    }
  }
  return out;
}

/** Splits records into NODES messages per the profile; every packet fits 1280 bytes, `total` is exact. */
export function packNodes(records: Uint8Array[], profile: AnswerProfile): Nodes[] {
  const groups: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let curLen = 0;
  for (const r of records) {
    const fits = profile.pack === 'count' ? cur.length < NIM_RECORDS_PER_PACKET
      : profile.pack === 'bytes' ? curLen + r.length <= GETH_RECORD_BYTES
      : true;
    const underLimit = nodesMessageSize(WORST_REQ_ID, records.length, curLen + r.length) <= MAX_NODES_PLAINTEXT;
    if (cur.length > 0 && !(fits && underLimit)) { groups.push(cur); cur = []; curLen = 0; }
    cur.push(r);
    curLen += r.length;
  }
  if (cur.length > 0 || groups.length === 0) groups.push(cur);
  return groups.map((enrs) => ({ type: MessageType.Nodes, reqId: WORST_REQ_ID, total: groups.length, enrs }));
}

export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  // IPv6: expand '::' and parse groups; IPv4-mapped tails are not used on discv5 sockets.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g || '0', 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

/** The request handler of a discv5 node: PING, FINDNODE and TALKREQ. */
export function makeResponder(self: () => Enr, table: NodeTable, profile: AnswerProfile, rand: () => number = Math.random): RequestHandler {
  return (msg: Message, from) => {
    switch (msg.type) {
      case MessageType.Ping:
        return [{ type: MessageType.Pong, reqId: msg.reqId, enrSeq: self().seq, ip: ipToBytes(from.ip), port: from.port }];
      case MessageType.FindNode:
        return packNodes(collectRecords(self(), table, msg.distances, profile, rand), profile);
      case MessageType.TalkReq:
        return [{ type: MessageType.TalkResp, reqId: msg.reqId, response: new Uint8Array(0) }];
      default:
        return null;
    }
  };
}
