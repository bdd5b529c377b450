import { verifyEnrRaw } from '../enr/enr.js';
import { initiatorHandshake } from '../crypto/discv5.js';
import { secp } from '../crypto/index.js';
import { concatBytes } from '../util/bytes.js';

/** Node ID size and the sizes of the handshake outputs packed per item. */
const ID = 32, PUB = 33, KEYS = 32, SIG = 64;

export interface VerifyBatch { buf: Uint8Array; offsets: Uint32Array }
export interface VerifyResult { ok: Uint8Array }

/**
 * Checks many records' signatures: ok[i] = 1 when record i's is valid. Signature only (verifyEnrRaw): the caller
 * decodes every record it keeps and knows its node ID, so decoding and deriving the ID again here would be
 * wasted (see BENCHMARKS.md, "Crypto primitives"). Pure CPU work.
 */
export function verifyBatch(b: VerifyBatch): VerifyResult {
  const n = b.offsets.length - 1;
  const ok = new Uint8Array(n);
  const be = secp();
  for (let i = 0; i < n; i++) if (verifyEnrRaw(b.buf.subarray(b.offsets[i]!, b.offsets[i + 1]!), be)) ok[i] = 1;
  return { ok };
}

export interface HandshakeBatch {
  staticKey: Uint8Array; localId: Uint8Array;
  remoteIds: Uint8Array; remotePubkeys: Uint8Array;
  challenges: Uint8Array; offsets: Uint32Array;
}
export interface HandshakeResult { ephPubkeys: Uint8Array; keys: Uint8Array; sigs: Uint8Array; ok: Uint8Array }

/** The initiator's handshake crypto for many remotes: key generation, ECDH, HKDF and id-signature. */
export function handshakeBatch(b: HandshakeBatch): HandshakeResult {
  const n = b.offsets.length - 1;
  const out: HandshakeResult = { ephPubkeys: new Uint8Array(n * PUB), keys: new Uint8Array(n * KEYS), sigs: new Uint8Array(n * SIG), ok: new Uint8Array(n) };
  const be = secp();
  for (let i = 0; i < n; i++) {
    try {
      const r = initiatorHandshake(b.staticKey, b.localId, b.remoteIds.subarray(i * ID, (i + 1) * ID), b.remotePubkeys.subarray(i * PUB, (i + 1) * PUB),
        b.challenges.subarray(b.offsets[i]!, b.offsets[i + 1]!), be);
      out.ephPubkeys.set(r.ephemeralPubkey, i * PUB);
      out.keys.set(r.keys.initiatorKey, i * KEYS);
      out.keys.set(r.keys.recipientKey, i * KEYS + 16);
      out.sigs.set(r.idSignature, i * SIG);
      out.ok[i] = 1;
    } catch { /* bad remote key: ok stays 0 */ }
  }
  return out;
}

/** One worker task: the handshakes and record checks gathered in one batching window (either may be absent). */
export interface CryptoTask { handshake: HandshakeBatch | null; verify: VerifyBatch | null }

/** Runs a task and packs both results into one buffer so a worker can transfer it whole (one `move`): handshakes first, as they hold up a reply. */
export function runTask(t: CryptoTask): Uint8Array {
  const parts: Uint8Array[] = [];
  if (t.handshake) { const r = handshakeBatch(t.handshake); parts.push(r.ok, r.ephPubkeys, r.keys, r.sigs); }
  if (t.verify) parts.push(verifyBatch(t.verify).ok);
  return concatBytes(...parts);
}

/** Splits runTask's buffer for a task of nHandshakes and nVerify items. */
export function unpackTask(buf: Uint8Array, nHandshakes: number, nVerify: number): { handshake: HandshakeResult; verify: VerifyResult } {
  let o = 0;
  const take = (len: number) => buf.subarray(o, (o += len));
  const handshake = { ok: take(nHandshakes), ephPubkeys: take(nHandshakes * PUB), keys: take(nHandshakes * KEYS), sigs: take(nHandshakes * SIG) };
  const verify = { ok: take(nVerify) };
  return { handshake, verify };
}
