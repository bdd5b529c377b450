/**
 * Append-only byte slab for many small, long-lived arrays (node IDs and records of a crawl): each copy is
 * a view into a shared chunk, so 250k records cost 250k views instead of 250k ArrayBuffers with their own
 * malloc'd backing stores. Bound: the bytes copied in (the crawler caps nodes at maxNodes); bytes of a
 * replaced record stay until the arena is dropped.
 */
export class ByteArena {
  private chunk: Uint8Array;
  private used = 0;
  /** Bytes handed out so far (for memory accounting). */
  bytes = 0;

  /** 256 KiB chunks: ~800 records each, small next to the heap, large enough to amortise the allocation. */
  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = new Uint8Array(chunkBytes);
    this.placed = this.chunk;
  }

  /** The array that the last placeWithTail wrote into (shared by every slot of its chunk). */
  placed: Uint8Array;

  /**
   * Copies head and tail into one slot of `placed` and returns the slot's offset there; tail follows head.
   * Callers keep the shared chunk and an offset instead of a view per slot: a typed-array object costs more heap
   * than most records hold (see BENCHMARKS.md, "Scale").
   */
  placeWithTail(head: Uint8Array, tail: Uint8Array): number {
    const h = head.length, n = h + tail.length;
    let at: number;
    if (n > this.chunkBytes >>> 4) { this.placed = new Uint8Array(n); at = 0; } else {
      if (this.used + n > this.chunk.length) { this.chunk = new Uint8Array(this.chunkBytes); this.used = 0; }
      this.placed = this.chunk; at = this.used;
      this.used += n;
    }
    this.placed.set(head, at);
    this.placed.set(tail, at + h);
    this.bytes += n;
    return at;
  }

  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    // Oversized input gets its own buffer rather than wasting most of a chunk.
    if (n > this.chunkBytes >>> 4) return src.slice();
    if (this.used + n > this.chunk.length) { this.chunk = new Uint8Array(this.chunkBytes); this.used = 0; }
    this.chunk.set(src, this.used);
    const v = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    this.bytes += n;
    return v;
  }
}
