// Malformed and hostile datagrams for a node's socket: what a fuzzing sender on the path (or anyone who learns
// the port) can throw at the crawler. Deterministic for a seed, so a failing run replays. Used by the
// reliability tests and bench:fuzz.
import { Flag, MAX_PACKET_SIZE, NONCE_SIZE, PROTOCOL_ID, STATIC_HEADER_SIZE } from '../wire/constants.js';
import { encodeHeader, encodePacket, handshakeAuthdata, whoareyouAuthdata } from '../wire/packet.js';
import { Prng } from '../util/prng.js';
import { toHex } from '../util/bytes.js';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimnetError } from './errors.js';

export const JUNK_KINDS = [
  'random', 'truncated', 'bit-flipped', 'oversized', 'wrong-protocol', 'header-junk', 'whoareyou', 'handshake',
] as const;
export type JunkKind = typeof JUNK_KINDS[number];

/** Makes datagrams addressed to `targetId` (their headers are masked with it, so they get past unmasking). */
export class JunkGenerator {
  private readonly r: Prng;
  /** Sent so far, by kind. */
  readonly counts: Record<JunkKind, number> = Object.fromEntries(JUNK_KINDS.map((k) => [k, 0])) as Record<JunkKind, number>;

  constructor(private readonly targetId: Uint8Array, seed: number | string) {
    this.r = new Prng(`junk/${seed}`);
  }

  /** The i-th datagram: kinds in turn, so any 8 in a row cover them all. */
  next(i: number): Uint8Array {
    const kind = JUNK_KINDS[i % JUNK_KINDS.length]!;
    this.counts[kind]++;
    return this.make(kind);
  }

  make(kind: JunkKind): Uint8Array {
    const r = this.r;
    switch (kind) {
      case 'random': return r.bytes(r.int(MAX_PACKET_SIZE + 1));
      case 'truncated': { const p = this.message(); return p.subarray(0, r.int(p.length)); }
      case 'bit-flipped': { const p = this.message(); const at = r.int(p.length * 8); p[at >> 3]! ^= 1 << (at & 7); return p; }
      case 'oversized': return r.bytes(MAX_PACKET_SIZE + 1 + r.int(200));
      case 'wrong-protocol': {
        const h = encodeHeader(Flag.Message, r.bytes(NONCE_SIZE), r.bytes(32));
        h.set(r.int(2) ? r.bytes(PROTOCOL_ID.length) : new TextEncoder().encode('discv4'), 0);
        return encodePacket(this.targetId, r.bytes(16), h, r.bytes(40));
      }
      case 'header-junk': return this.message();
      case 'whoareyou': return encodePacket(this.targetId, r.bytes(16), encodeHeader(Flag.WhoAreYou, r.bytes(NONCE_SIZE), whoareyouAuthdata(r.bytes(16), BigInt(r.int(100)))), new Uint8Array(0));
      case 'handshake': {
        const record = r.int(2) ? r.bytes(60 + r.int(240)) : null;
        const auth = handshakeAuthdata(r.bytes(32), r.bytes(64), r.bytes(33), record);
        return encodePacket(this.targetId, r.bytes(16), encodeHeader(Flag.Handshake, r.bytes(NONCE_SIZE), auth), r.bytes(20 + r.int(200)));
      }
    }
  }

  /** A well-formed message packet from a random stranger: its header unmasks, its ciphertext is junk. */
  private message(): Uint8Array {
    const r = this.r;
    const body = r.bytes(16 + r.int(MAX_PACKET_SIZE - 16 - STATIC_HEADER_SIZE - 32 - 16));
    return encodePacket(this.targetId, r.bytes(16), encodeHeader(Flag.Message, r.bytes(NONCE_SIZE), r.bytes(32)), body);
  }
}

/** Distinct datagrams a flood makes up front (~10 MB); a longer flood replays them, as a replaying attacker would. */
export const JUNK_POOL = 16_384;

export interface JunkFloodOptions {
  /** The target's node ID (masks the headers) and socket; the address must be on 127.0.0.0/8. */
  targetId: Uint8Array;
  ip: string;
  port: number;
  count: number;
  /** Datagrams per second at most (a sender that outruns the kernel's buffers only measures the drops). */
  ratePerSec: number;
  seed: number | string;
}

/** byKind counts the distinct datagrams made (at most JUNK_POOL). */
export interface JunkFloodResult { sent: number; ms: number; byKind: Record<JunkKind, number> }

/** A flood from its own process (junk-main.ts), so its CPU is not the target's event loop. */
export interface JunkFlood {
  readonly done: Promise<JunkFloodResult>;
  /** Ends the flood early; `done` still resolves with what was sent. */
  stop(): void;
}

export function startJunkFlood(o: JunkFloodOptions): JunkFlood {
  if (!/^127\./.test(o.ip)) throw new SimnetError('ERR_SIMNET_CONFIG', `junk floods go to 127.0.0.0/8 only, not ${o.ip}`);
  const entry = fileURLToPath(new URL('./junk-main.js', import.meta.url));
  const child = fork(entry, [JSON.stringify({ ...o, targetId: toHex(o.targetId) })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<JunkFloodResult>((resolve, reject) => {
    let result: JunkFloodResult | null = null;
    child.on('message', (m: JunkFloodResult) => { result = m; });
    child.once('error', reject);
    child.once('exit', (code) => (result ? resolve(result) : reject(new SimnetError('ERR_SIMNET_JUNK', `junk sender exited with ${code} before reporting`))));
  });
  return { done, stop: () => { child.send('stop'); } };
}
