import { randomFillSync } from 'node:crypto';

/** Pool size: one randomFillSync call serves ~2,000 masking IVs. */
const POOL_BYTES = 32 * 1024;

/**
 * Hands out views of a pre-filled random pool, so a packet's masking-iv, id-nonce or random
 * payload costs no syscall and no allocation of its own. Views are overwritten on refill:
 * callers copy what they keep past the current packet.
 */
export class RandomPool {
  private pool = new Uint8Array(POOL_BYTES);
  private off = POOL_BYTES;
  take(n: number): Uint8Array {
    if (this.off + n > this.pool.length) {
      // A fresh buffer, never a refill in place: earlier views may still be referenced.
      this.pool = new Uint8Array(POOL_BYTES);
      randomFillSync(this.pool);
      this.off = 0;
    }
    const v = this.pool.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** Copies n random bytes into dst at `at`: take() without a view. */
  copyTo(dst: Uint8Array, at: number, n: number): void {
    if (this.off + n > this.pool.length) {
      this.pool = new Uint8Array(POOL_BYTES);
      randomFillSync(this.pool);
      this.off = 0;
    }
    const p = this.pool, o = this.off;
    for (let i = 0; i < n; i++) dst[at + i] = p[o + i]!;
    this.off += n;
  }
}
