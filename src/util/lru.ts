/**
 * A Map bounded by entry count and age. Map iteration order is insertion order, so the first
 * key is the least recently used when `get` re-inserts on hit.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, { v: V; at: number }>();
  constructor(readonly maxEntries: number, readonly ttlMs = Infinity, private readonly now: () => number = () => performance.now()) {
    if (!(maxEntries > 0)) throw new RangeError('maxEntries must be > 0');
  }

  get size(): number { return this.map.size; }

  get(k: K): V | undefined {
    const e = this.map.get(k);
    if (!e) return undefined;
    const t = this.now();
    if (t - e.at > this.ttlMs) { this.map.delete(k); return undefined; }
    this.map.delete(k);
    e.at = t;
    this.map.set(k, e);
    return e.v;
  }

  /** Looks without refreshing recency. */
  peek(k: K): V | undefined {
    const e = this.map.get(k);
    if (!e || this.now() - e.at > this.ttlMs) return undefined;
    return e.v;
  }

  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, { v, at: this.now() });
    if (this.map.size > this.maxEntries) {
      const first = this.map.keys().next().value as K;
      this.map.delete(first);
    }
  }

  delete(k: K): boolean { return this.map.delete(k); }
  clear(): void { this.map.clear(); }
  *values(): IterableIterator<V> { for (const e of this.map.values()) yield e.v; }
}
