const HEX_CHARS = '0123456789abcdef';
const HEX_TABLE: string[] = [];
for (let i = 0; i < 256; i++) HEX_TABLE.push(HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_TABLE[b[i]!];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError(`not a hex string: ${hex.slice(0, 20)}`);
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian unsigned integer of up to 8 bytes as bigint. */
export function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Minimal big-endian encoding (no leading zeros; 0 -> empty), as RLP integers need. */
export function bigintToBytes(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError('negative integer');
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Minimal big-endian encoding of a safe non-negative integer. */
export function uintToBytes(v: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a uint: ${v}`);
  if (v === 0) return new Uint8Array(0);
  const tmp: number[] = [];
  while (v > 0) { tmp.push(v % 256); v = Math.floor(v / 256); }
  return Uint8Array.from(tmp.reverse());
}

/** Big-endian bytes to number; caller guarantees length <= 6 (safe integer). */
export function bytesToUint(b: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!;
  return v;
}

/** 256-bit ID to bigint (for XOR distance math). */
export function idToBigint(id: Uint8Array): bigint {
  return BigInt('0x' + (toHex(id) || '0'));
}

/** Log-distance between two 32-byte IDs: bit length of a XOR b (0 when equal). */
export function logDistance(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return (32 - i) * 8 - Math.clz32(x) + 24;
  }
  return 0;
}
