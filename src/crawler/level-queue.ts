import { RingQueue } from '../util/ring.js';

/** What the queue reads of a node: how often its record was returned. */
export interface Leveled {
  sightings: number;
}

/**
 * Waiting nodes by level = how often their record was returned (capped at `levels`), highest level
 * first, FIFO within a level. A node that is returned again while it waits is pushed once more at its
 * new level; the entry it leaves behind goes stale and is dropped when reached, so moving up is O(1).
 * Bound: a node has at most one entry per level it passed while waiting (one more per retry), so
 * entries <= (levels + retries) x nodes; stale entries leave as the queue drains.
 */
export class LevelQueue<T extends Leveled> {
  private readonly rings: RingQueue<T>[] = [];
  /** Highest level that may hold an entry. */
  private top = -1;
  private entries = 0;

  constructor(
    readonly levels: number,
    /** True while the node waits for its visit; an entry of a node that no longer waits is stale. */
    private readonly waiting: (n: T) => boolean,
  ) {
    if (!Number.isInteger(levels) || levels < 1) throw new RangeError('levels must be an integer >= 1');
    for (let i = 0; i < levels; i++) this.rings.push(new RingQueue<T>(i === 0 ? 4096 : 256));
  }

  /** Entries, stale ones included (0 means nothing waits). */
  get length(): number { return this.entries; }

  levelOf(n: T): number { return (n.sightings < 1 ? 1 : n.sightings > this.levels ? this.levels : n.sightings) - 1; }

  push(n: T): void {
    const l = this.levelOf(n);
    this.rings[l]!.push(n);
    this.entries++;
    if (l > this.top) this.top = l;
  }

  /** Call after n.sightings grew: queues a waiting node at its new level if it moved up one. */
  seenAgain(n: T, oldSightings: number): void {
    if (!this.waiting(n)) return;
    const before = (oldSightings < 1 ? 1 : oldSightings > this.levels ? this.levels : oldSightings) - 1;
    if (this.levelOf(n) > before) this.push(n);
  }

  /** The next node to visit, left in place; undefined when none waits. Drops the stale entries before it. */
  peek(): T | undefined {
    while (this.top >= 0) {
      const r = this.rings[this.top]!;
      while (r.length > 0) {
        const n = r.peek()!;
        if (this.waiting(n) && this.levelOf(n) === this.top) return n;
        r.shift();
        this.entries--;
      }
      this.top--;
    }
    return undefined;
  }

  /** The next node to visit (removed), or undefined when none waits. */
  shift(): T | undefined {
    const n = this.peek();
    if (n !== undefined) { this.rings[this.top]!.shift(); this.entries--; }
    return n;
  }
}
