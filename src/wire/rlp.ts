import { RlpError } from '../util/errors.js';

/** A decoded RLP item: a byte string (a view into the input) or a list. */
export type RlpItem = Uint8Array | RlpItem[];

const SHORT_STRING = 0x80; // 0x80..0xb7: string of 0..55 bytes
const LONG_STRING = 0xb8; // 0xb8..0xbf: length-of-length follows
const SHORT_LIST = 0xc0; // 0xc0..0xf7: list of 0..55 bytes payload
const LONG_LIST = 0xf8; // 0xf8..0xff: length-of-length follows
const SHORT_MAX = 55;

export interface RlpHeader {
  /** true for a list. */
  list: boolean;
  /** Offset of the payload. */
  start: number;
  /** Offset just past the payload. */
  end: number;
}

/** Reads one item's header at `offset`, bounded by `limit`. Pure and allocation-light. */
export function rlpHeader(buf: Uint8Array, offset: number, limit = buf.length): RlpHeader {
  if (offset >= limit) throw new RlpError('ERR_RLP_TRUNCATED', 'RLP: unexpected end of input');
  const b = buf[offset]!;
  if (b < SHORT_STRING) return { list: false, start: offset, end: offset + 1 };
  let list: boolean;
  let start: number;
  let len: number;
  if (b < LONG_STRING) {
    list = false; start = offset + 1; len = b - SHORT_STRING;
    if (len === 1 && start < limit && buf[start]! < SHORT_STRING) {
      throw new RlpError('ERR_RLP_NON_CANONICAL', 'RLP: single byte encoded as string');
    }
  } else if (b < SHORT_LIST) {
    list = false;
    const ll = b - LONG_STRING + 1;
    len = readLength(buf, offset + 1, ll, limit);
    start = offset + 1 + ll;
  } else if (b < LONG_LIST) {
    list = true; start = offset + 1; len = b - SHORT_LIST;
  } else {
    list = true;
    const ll = b - LONG_LIST + 1;
    len = readLength(buf, offset + 1, ll, limit);
    start = offset + 1 + ll;
  }
  const end = start + len;
  if (end > limit) throw new RlpError('ERR_RLP_TRUNCATED', 'RLP: item exceeds input');
  return { list, start, end };
}

function readLength(buf: Uint8Array, at: number, ll: number, limit: number): number {
  if (ll > 4) throw new RlpError('ERR_RLP_TOO_LONG', 'RLP: length field too large');
  if (at + ll > limit) throw new RlpError('ERR_RLP_TRUNCATED', 'RLP: truncated length');
  if (buf[at] === 0) throw new RlpError('ERR_RLP_NON_CANONICAL', 'RLP: leading zero in length');
  let len = 0;
  for (let i = 0; i < ll; i++) len = len * 256 + buf[at + i]!;
  if (len <= SHORT_MAX) throw new RlpError('ERR_RLP_NON_CANONICAL', 'RLP: long form for short item');
  return len;
}

/** Decodes one item at offset; returns it and the offset after it. Strings are subarray views. */
export function rlpDecodeAt(buf: Uint8Array, offset: number, limit = buf.length, depth = 0): [RlpItem, number] {
  // Records and messages nest at most a few levels; a hostile input must not blow the stack.
  if (depth > 16) throw new RlpError('ERR_RLP_TOO_DEEP', 'RLP: nesting too deep');
  const h = rlpHeader(buf, offset, limit);
  if (!h.list) return [buf.subarray(h.start, h.end), h.end];
  const items: RlpItem[] = [];
  let p = h.start;
  while (p < h.end) {
    const [item, next] = rlpDecodeAt(buf, p, h.end, depth + 1);
    items.push(item);
    p = next;
  }
  return [items, h.end];
}

/** Decodes exactly one item spanning the whole input. */
export function rlpDecode(buf: Uint8Array): RlpItem {
  const [item, end] = rlpDecodeAt(buf, 0, buf.length);
  if (end !== buf.length) throw new RlpError('ERR_RLP_TRAILING', 'RLP: trailing bytes');
  return item;
}

/** Byte length of the encoding of an item with the given payload size. */
function headerSize(payloadLen: number): number {
  if (payloadLen <= SHORT_MAX) return 1;
  return 1 + lengthOfLength(payloadLen);
}

function lengthOfLength(n: number): number {
  let ll = 0;
  while (n > 0) { ll++; n = Math.floor(n / 256); }
  return ll;
}

/** Size of the RLP encoding of `item`. */
export function rlpEncodedLength(item: RlpItem): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < SHORT_STRING) return 1;
    return headerSize(item.length) + item.length;
  }
  let payload = 0;
  for (const it of item) payload += rlpEncodedLength(it);
  return headerSize(payload) + payload;
}

function writeHeader(out: Uint8Array, o: number, payloadLen: number, shortBase: number, longBase: number): number {
  if (payloadLen <= SHORT_MAX) { out[o] = shortBase + payloadLen; return o + 1; }
  const ll = lengthOfLength(payloadLen);
  out[o] = longBase + ll - 1;
  for (let i = ll; i >= 1; i--) { out[o + i] = payloadLen & 0xff; payloadLen = Math.floor(payloadLen / 256); }
  return o + 1 + ll;
}

/** Encodes `item` into `out` at offset `o`; returns the new offset. */
export function rlpEncodeInto(item: RlpItem, out: Uint8Array, o: number): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < SHORT_STRING) { out[o] = item[0]!; return o + 1; }
    o = writeHeader(out, o, item.length, SHORT_STRING, LONG_STRING);
    out.set(item, o);
    return o + item.length;
  }
  let payload = 0;
  for (const it of item) payload += rlpEncodedLength(it);
  o = writeHeader(out, o, payload, SHORT_LIST, LONG_LIST);
  for (const it of item) o = rlpEncodeInto(it, out, o);
  return o;
}

export function rlpEncode(item: RlpItem): Uint8Array {
  const out = new Uint8Array(rlpEncodedLength(item));
  rlpEncodeInto(item, out, 0);
  return out;
}

/** Reads an RLP integer (already-decoded byte string) as a safe number. */
export function rlpUint(b: RlpItem, what: string, maxBytes = 6): number {
  if (!(b instanceof Uint8Array)) throw new RlpError('ERR_RLP_EXPECTED_BYTES', `RLP: ${what} must be a byte string`);
  if (b.length > maxBytes) throw new RlpError('ERR_RLP_INT_TOO_BIG', `RLP: ${what} too large`);
  if (b.length > 0 && b[0] === 0) throw new RlpError('ERR_RLP_NON_CANONICAL', `RLP: ${what} has leading zero`);
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!;
  return v;
}

/** Reads an RLP integer of up to 8 bytes as bigint. */
export function rlpBigint(b: RlpItem, what: string, maxBytes = 8): bigint {
  if (!(b instanceof Uint8Array)) throw new RlpError('ERR_RLP_EXPECTED_BYTES', `RLP: ${what} must be a byte string`);
  if (b.length > maxBytes) throw new RlpError('ERR_RLP_INT_TOO_BIG', `RLP: ${what} too large`);
  if (b.length > 0 && b[0] === 0) throw new RlpError('ERR_RLP_NON_CANONICAL', `RLP: ${what} has leading zero`);
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

export function rlpBytes(b: RlpItem | undefined, what: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new RlpError('ERR_RLP_EXPECTED_BYTES', `RLP: ${what} must be a byte string`);
  return b;
}

export function rlpList(b: RlpItem | undefined, what: string): RlpItem[] {
  if (!Array.isArray(b)) throw new RlpError('ERR_RLP_EXPECTED_LIST', `RLP: ${what} must be a list`);
  return b;
}
