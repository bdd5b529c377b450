/** Something scheduled: its current due time; an entry whose time moved is stale and skipped. */
export interface Due { dueAtMs: number }

/**
 * A min-heap of items by due time with lazy rescheduling: push the item again with its new time, and the old
 * entry is skipped when it surfaces. Bound: live entries are at most the items; stale ones are dropped by
 * compact() when they outnumber them (the owner calls it with its items).
 */
export class DueHeap<T extends Due> {
  private times: number[] = [];
  private items: T[] = [];

  get size(): number { return this.items.length; }

  push(item: T): void {
    const t = item.dueAtMs;
    let i = this.items.length;
    this.times.push(t); this.items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.times[p]! <= t) break;
      this.times[i] = this.times[p]!; this.items[i] = this.items[p]!;
      i = p;
    }
    this.times[i] = t; this.items[i] = item;
  }

  /** The earliest item due at or before `nowMs`, removed; null if none is due. Stale entries are dropped on the way. */
  popDue(nowMs: number): T | null {
    while (this.items.length > 0) {
      const t = this.times[0]!, item = this.items[0]!;
      if (t > nowMs) return null;
      this.removeTop();
      if (item.dueAtMs === t) return item;
    }
    return null;
  }

  /** Due time of the earliest entry (stale or not), Infinity when empty. */
  peekTime(): number { return this.items.length ? this.times[0]! : Infinity; }

  /** Rebuilds from the live items (each once, at its current time) when stale entries are more than half. */
  compact(live: Iterable<T>, liveCount: number): void {
    if (this.items.length <= 2 * liveCount + 1024) return;
    this.times = []; this.items = [];
    for (const x of live) if (Number.isFinite(x.dueAtMs)) this.push(x);
  }

  private removeTop(): void {
    const lastT = this.times.pop()!, last = this.items.pop()!;
    const n = this.items.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.times[r]! < this.times[l]! ? r : l;
      if (this.times[c]! >= lastT) break;
      this.times[i] = this.times[c]!; this.items[i] = this.items[c]!;
      i = c;
    }
    this.times[i] = lastT; this.items[i] = last;
  }
}
