import { createHash } from 'node:crypto';

/** Deterministic PRNG (sfc32) for the simnet and tests: same seed, same network. Not for keys on the wire. */
export class Prng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number | string) {
    const h = createHash('sha256').update(String(seed)).digest();
    this.a = h.readUInt32LE(0); this.b = h.readUInt32LE(4); this.c = h.readUInt32LE(8); this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number { return this.u32() / 0x100000000; }
  int(n: number): number { return Math.floor(this.next() * n); }
  range(lo: number, hi: number): number { return lo + this.next() * (hi - lo); }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff; if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff; if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff; if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /** Picks a key by weight. */
  weighted<K extends string>(w: Record<K, number>): K {
    const entries = Object.entries(w) as [K, number][];
    const total = entries.reduce((a, [, v]) => a + v, 0);
    let x = this.next() * total;
    for (const [k, v] of entries) { if ((x -= v) < 0) return k; }
    return entries[entries.length - 1]![0];
  }
}

/** A 32-byte secret key derived from (seed, label, index): reproducible identities. */
export function derivedKey(seed: number | string, label: string, index: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`dhtscope-simnet/${seed}/${label}/${index}`).digest());
}
