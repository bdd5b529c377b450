import { randomFillSync } from 'node:crypto';

/** Pool size: one randomFillSync call serves ~2,000 masking IVs. */
const POOL_BYTES = 32 * 1024;

/**
 * Hands out views of a pre-filled random pool, so a packet's masking-iv, id-nonce or random
 * payload costs no syscall and no allocation of its own. Views are overwritten on refill:
 * callers copy what they keep past the current packet. The pool comes from the OS CSPRNG
 * (randomFillSync, as crypto.getRandomValues): nonces and request-ids drawn here are
 * unpredictable to anyone who has not seen them.
 */
export class RandomPool {
  private pool = new Uint8Array(POOL_BYTES);
  private off = POOL_BYTES;
  take(n: number): Uint8Array {
    // A fresh buffer on refill, never a refill in place: earlier views may still be referenced.
    this.refillFor(n);
    const v = this.pool.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** n random bytes copied into dst at `at`: no view is made. */
  into(dst: Uint8Array, at: number, n: number): void {
    this.refillFor(n);
    for (let i = 0; i < n; i++) dst[at + i] = this.pool[this.off + i]!;
    this.off += n;
  }

  /** A random 32-bit unsigned integer. */
  u32(): number {
    this.refillFor(4);
    const p = this.pool, o = this.off;
    this.off += 4;
    return ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
  }

  private refillFor(n: number): void {
    if (this.off + n <= this.pool.length) return;
    this.pool = new Uint8Array(POOL_BYTES);
    randomFillSync(this.pool);
    this.off = 0;
  }
}
