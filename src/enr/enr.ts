import { EnrError, RlpError } from '../util/errors.js';
import { bigintToBytes } from '../util/bytes.js';
import { rlpBigint, rlpDecodeAt, rlpEncode, rlpEncodedLength, rlpEncodeInto, rlpHeader, type RlpItem } from '../wire/rlp.js';
import { keccak256, secp, type Secp256k1Backend } from '../crypto/index.js';

/** EIP-778: a record is at most 300 bytes of RLP. */
export const MAX_ENR_SIZE = 300;
export const ENR_SIGNATURE_SIZE = 64;
export const ENR_TEXT_PREFIX = 'enr:';
const ID_SCHEME_V4 = 'v4';
const PUBKEY_KEY = 'secp256k1';
export const COMPRESSED_PUBKEY_SIZE = 33;
const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/**
 * A structurally valid node record. Decoding is cheap (no signature check, no hashing):
 * a caller can dedupe by (publicKey, seq) and only then pay for `verifyEnr` and `nodeId`.
 */
export class Enr {
  /** Whole record RLP (may be a view into a packet: copy with `Uint8Array.from` to keep it). */
  readonly raw: Uint8Array;
  readonly signature: Uint8Array;
  readonly seq: bigint;
  /** Keys in record order (sorted), values as decoded RLP items (views into `raw`). */
  readonly pairs: ReadonlyMap<string, RlpItem>;
  /** 33-byte compressed secp256k1 key. */
  readonly publicKey: Uint8Array;
  /** Offset in `raw` where the content (seq, k, v...) starts, for signature hashing without re-encoding. */
  private readonly contentStart: number;
  private cachedNodeId: Uint8Array | null = null;

  constructor(raw: Uint8Array, signature: Uint8Array, seq: bigint, pairs: Map<string, RlpItem>, publicKey: Uint8Array, contentStart: number) {
    this.raw = raw;
    this.signature = signature;
    this.seq = seq;
    this.pairs = pairs;
    this.publicKey = publicKey;
    this.contentStart = contentStart;
  }

  /** keccak256 of the 64-byte uncompressed public key (cached). */
  nodeId(backend: Secp256k1Backend = secp()): Uint8Array {
    if (!this.cachedNodeId) this.cachedNodeId = nodeIdFromPublicKey(this.publicKey, backend);
    return this.cachedNodeId;
  }

  /** RLP of [seq, k, v, ...]: what the signature covers. */
  content(): Uint8Array { return signedContent(this.raw, this.contentStart); }

  get(key: string): RlpItem | undefined { return this.pairs.get(key); }

  toText(): string { return encodeEnrText(this.raw); }
}

/** The signed content: the record's list without its signature, [seq, k, v, ...] from `contentStart` on. */
function signedContent(raw: Uint8Array, contentStart: number): Uint8Array {
  const payloadLen = raw.length - contentStart;
  const out = new Uint8Array(listHeaderSize(payloadLen) + payloadLen);
  out.set(raw.subarray(contentStart), writeListHeader(out, payloadLen));
  return out;
}

function listHeaderSize(payloadLen: number): number {
  if (payloadLen <= 55) return 1;
  return payloadLen < 256 ? 2 : 3;
}

function writeListHeader(out: Uint8Array, payloadLen: number): number {
  if (payloadLen <= 55) { out[0] = 0xc0 + payloadLen; return 1; }
  if (payloadLen < 256) { out[0] = 0xf8; out[1] = payloadLen; return 2; }
  out[0] = 0xf9; out[1] = payloadLen >> 8; out[2] = payloadLen & 0xff; return 3;
}

/** Throws ERR_ENR_BAD_PUBKEY when the key is not a point on the curve. */
export function nodeIdFromPublicKey(publicKey: Uint8Array, backend: Secp256k1Backend = secp()): Uint8Array {
  let full: Uint8Array;
  try {
    full = backend.publicKeyConvert(publicKey, false);
  } catch {
    throw new EnrError('ERR_ENR_BAD_PUBKEY', 'secp256k1 key is not a valid curve point');
  }
  return keccak256(full.subarray(1));
}

/** Parses and validates structure: size, sorted unique keys, v4 scheme, a 33-byte key. Throws EnrError only. */
export function decodeEnr(raw: Uint8Array): Enr {
  if (raw.length > MAX_ENR_SIZE) throw new EnrError('ERR_ENR_TOO_LARGE', `record of ${raw.length} bytes exceeds ${MAX_ENR_SIZE}`);
  let items: RlpItem[];
  let contentStart: number;
  try {
    const h = rlpHeader(raw, 0);
    if (!h.list) throw new EnrError('ERR_ENR_BAD_RLP', 'record must be an RLP list');
    if (h.end !== raw.length) throw new EnrError('ERR_ENR_BAD_RLP', 'trailing bytes after record');
    const [item] = rlpDecodeAt(raw, 0);
    items = item as RlpItem[];
    // Content starts right after the signature item.
    contentStart = rlpHeader(raw, h.start, h.end).end;
  } catch (e) {
    if (e instanceof RlpError) throw new EnrError('ERR_ENR_BAD_RLP', `bad record RLP: ${e.message}`);
    throw e;
  }
  if (items.length < 2 || items.length % 2 !== 0) throw new EnrError('ERR_ENR_BAD_RLP', 'record must be [signature, seq, k, v, ...]');
  const signature = items[0];
  if (!(signature instanceof Uint8Array) || signature.length !== ENR_SIGNATURE_SIZE) {
    throw new EnrError('ERR_ENR_BAD_SIGNATURE', 'signature must be 64 bytes');
  }
  let seq: bigint;
  try { seq = rlpBigint(items[1]!, 'seq'); } catch { throw new EnrError('ERR_ENR_BAD_SEQ', 'seq must be a uint64'); }
  const pairs = new Map<string, RlpItem>();
  let prev: Uint8Array | null = null;
  for (let i = 2; i < items.length; i += 2) {
    const k = items[i];
    if (!(k instanceof Uint8Array)) throw new EnrError('ERR_ENR_BAD_KEY', 'key must be a byte string');
    if (prev) {
      const c = compareBytes(prev, k);
      if (c === 0) throw new EnrError('ERR_ENR_DUPLICATE_KEY', `duplicate key ${textDecoder.decode(k)}`);
      if (c > 0) throw new EnrError('ERR_ENR_UNSORTED_KEYS', `keys not sorted at ${textDecoder.decode(k)}`);
    }
    prev = k;
    pairs.set(textDecoder.decode(k), items[i + 1]!);
  }
  const id = pairs.get('id');
  if (!(id instanceof Uint8Array) || textDecoder.decode(id) !== ID_SCHEME_V4) {
    throw new EnrError('ERR_ENR_UNKNOWN_SCHEME', 'identity scheme is not v4');
  }
  const pk = pairs.get(PUBKEY_KEY);
  if (!(pk instanceof Uint8Array) || pk.length !== COMPRESSED_PUBKEY_SIZE) {
    throw new EnrError('ERR_ENR_MISSING_KEY', 'missing or malformed secp256k1 key');
  }
  return new Enr(raw, signature, seq, pairs, pk, contentStart);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** v4 scheme: secp256k1 signature over keccak256(content). */
export function verifyEnr(enr: Enr, backend: Secp256k1Backend = secp()): boolean {
  return backend.verify(enr.signature, keccak256(enr.content()), enr.publicKey);
}

/**
 * Checks a raw record's v4 signature by walking RLP headers only: no decode into pairs, no node ID. For records
 * that are decoded elsewhere anyway (the crawler decodes every record it keeps); false for one it cannot read.
 */
export function verifyEnrRaw(raw: Uint8Array, backend: Secp256k1Backend = secp()): boolean {
  const peek = peekEnrIdentity(raw);
  if (!peek) return false;
  try {
    const outer = rlpHeader(raw, 0);
    const sig = rlpHeader(raw, outer.start, outer.end);
    if (sig.list || sig.end - sig.start !== ENR_SIGNATURE_SIZE) return false;
    return backend.verify(raw.subarray(sig.start, sig.end), keccak256(signedContent(raw, sig.end)), raw.subarray(peek.pubkeyOffset, peek.pubkeyOffset + COMPRESSED_PUBKEY_SIZE));
  } catch {
    return false;
  }
}

/** Decodes and verifies; throws ERR_ENR_BAD_SIGNATURE on a bad signature. */
export function decodeVerifiedEnr(raw: Uint8Array, backend: Secp256k1Backend = secp()): Enr {
  const e = decodeEnr(raw);
  if (!verifyEnr(e, backend)) throw new EnrError('ERR_ENR_BAD_SIGNATURE', 'record signature does not verify');
  return e;
}

export function decodeEnrText(text: string): Enr {
  return decodeEnr(enrTextToBytes(text));
}

export function enrTextToBytes(text: string): Uint8Array {
  const t = text.trim();
  if (!t.startsWith(ENR_TEXT_PREFIX)) throw new EnrError('ERR_ENR_BAD_TEXT', 'record text must start with "enr:"');
  const b64 = t.slice(ENR_TEXT_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) throw new EnrError('ERR_ENR_BAD_TEXT', 'record text is not URL-safe base64');
  const bytes = Buffer.from(b64, 'base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function encodeEnrText(raw: Uint8Array): string {
  return ENR_TEXT_PREFIX + Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');
}

export type EnrValue = Uint8Array | RlpItem[] | string | number | bigint;

/** Builds and signs a v4 record. Values: bytes/lists as-is, strings as UTF-8, numbers as RLP uints. */
export function createEnr(sk: Uint8Array, seq: bigint, kv: Record<string, EnrValue>, backend: Secp256k1Backend = secp()): Enr {
  const entries: [Uint8Array, RlpItem][] = [[textEncoder.encode('id'), textEncoder.encode(ID_SCHEME_V4)], [textEncoder.encode(PUBKEY_KEY), backend.publicKeyCreate(sk, true)]];
  for (const [k, v] of Object.entries(kv)) {
    if (k === 'id' || k === PUBKEY_KEY) continue;
    entries.push([textEncoder.encode(k), toItem(v)]);
  }
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  const content: RlpItem[] = [bigintToBytes(seq)];
  for (const [k, v] of entries) content.push(k, v);
  const contentRlp = rlpEncode(content);
  const sig = backend.sign(keccak256(contentRlp), sk);
  const record: RlpItem[] = [sig, ...content];
  const size = rlpEncodedLength(record);
  if (size > MAX_ENR_SIZE) throw new EnrError('ERR_ENR_TOO_LARGE', `record of ${size} bytes exceeds ${MAX_ENR_SIZE}`);
  const raw = new Uint8Array(size);
  rlpEncodeInto(record, raw, 0);
  return decodeEnr(raw);
}

function toItem(v: EnrValue): RlpItem {
  if (v instanceof Uint8Array || Array.isArray(v)) return v;
  if (typeof v === 'string') return textEncoder.encode(v);
  if (typeof v === 'bigint') return bigintToBytes(v);
  return bigintToBytes(BigInt(v));
}

const PUBKEY_KEY_BYTES = textEncoder.encode(PUBKEY_KEY);

/**
 * Reads (seq, offset of the 33-byte public key) from a raw record by walking RLP headers only:
 * no allocation, no hashing. Callers dedupe on it before paying for decode and verification.
 * Returns null when the record is malformed (the full decoder then says why).
 */
export function peekEnrIdentity(raw: Uint8Array): { seq: bigint; pubkeyOffset: number } | null {
  try {
    if (raw.length > MAX_ENR_SIZE) return null;
    const outer = rlpHeader(raw, 0);
    if (!outer.list || outer.end !== raw.length) return null;
    const sig = rlpHeader(raw, outer.start, outer.end);
    const seqH = rlpHeader(raw, sig.end, outer.end);
    if (seqH.list || seqH.end - seqH.start > 8) return null;
    let seq = 0n;
    for (let i = seqH.start; i < seqH.end; i++) seq = (seq << 8n) | BigInt(raw[i]!);
    let p = seqH.end;
    while (p < outer.end) {
      const k = rlpHeader(raw, p, outer.end);
      const v = rlpHeader(raw, k.end, outer.end);
      if (!k.list && k.end - k.start === PUBKEY_KEY_BYTES.length && !v.list && v.end - v.start === COMPRESSED_PUBKEY_SIZE) {
        let eq = true;
        for (let i = 0; i < PUBKEY_KEY_BYTES.length; i++) if (raw[k.start + i] !== PUBKEY_KEY_BYTES[i]) { eq = false; break; }
        if (eq) return { seq, pubkeyOffset: v.start };
      }
      p = v.end;
    }
    return null;
  } catch {
    return null;
  }
}
