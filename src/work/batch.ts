import { decodeEnr, verifyEnr } from '../enr/enr.js';
import { initiatorHandshake } from '../crypto/discv5.js';
import { secp } from '../crypto/index.js';
import { concatBytes } from '../util/bytes.js';

/** Node ID size and the sizes of the handshake outputs packed per item. */
const ID = 32, PUB = 33, KEYS = 32, SIG = 64;

export interface VerifyBatch { buf: Uint8Array; offsets: Uint32Array }
export interface VerifyResult { ok: Uint8Array; ids: Uint8Array }

/** Verifies many records: ok[i] = 1 and ids[i*32..] = node ID when record i is valid. Pure CPU work. */
export function verifyBatch(b: VerifyBatch): VerifyResult {
  const n = b.offsets.length - 1;
  const ok = new Uint8Array(n);
  const ids = new Uint8Array(n * ID);
  for (let i = 0; i < n; i++) {
    try {
      const e = decodeEnr(b.buf.subarray(b.offsets[i]!, b.offsets[i + 1]!));
      if (!verifyEnr(e)) continue;
      ids.set(e.nodeId(), i * ID);
      ok[i] = 1;
    } catch { /* ok stays 0 */ }
  }
  return { ok, ids };
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

export type CryptoTask = { kind: 'verify'; batch: VerifyBatch } | { kind: 'handshake'; batch: HandshakeBatch };
export type CryptoTaskResult = VerifyResult | HandshakeResult;

export function runTask(t: CryptoTask): CryptoTaskResult {
  return t.kind === 'verify' ? verifyBatch(t.batch) : handshakeBatch(t.batch);
}

/** Packs a result into one buffer so a worker can transfer it whole (one `move`). */
export function packResult(r: CryptoTaskResult): Uint8Array {
  return 'ids' in r ? concatBytes(r.ok, r.ids) : concatBytes(r.ok, r.ephPubkeys, r.keys, r.sigs);
}

export function unpackVerify(buf: Uint8Array, n: number): VerifyResult {
  return { ok: buf.subarray(0, n), ids: buf.subarray(n, n + n * ID) };
}

export function unpackHandshake(buf: Uint8Array, n: number): HandshakeResult {
  let o = 0;
  const take = (len: number) => buf.subarray(o, (o += len));
  return { ok: take(n), ephPubkeys: take(n * PUB), keys: take(n * KEYS), sigs: take(n * SIG) };
}
