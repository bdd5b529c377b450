// Session ends a vantage of a shared campaign saw in shards another vantage held. Their owner writes them; if
// this vantage takes such a shard over, it writes the ones the owner did not (it died before it could).
import { SHARDS } from './leases.js';
import type { SessionRow } from './tracker.js';

interface Entry { atMs: number; row: SessionRow }

/** A closed session row as the store holds it: enough to tell whether an end seen here is already written. */
export interface WrittenSession { nodeIdHex: string; startedAtMs: number; endedAtMs: number; firstFailMs: number | null }

export class UnownedEnds {
  /** Per shard, oldest first; bound: maxEntries in all. */
  private readonly byShard: Entry[][] = Array.from({ length: SHARDS }, () => []);
  private count = 0;
  /** Ends not kept because the bound was reached. */
  dropped = 0;

  constructor(readonly maxEntries: number, readonly keepMs: number) {}

  get size(): number { return this.count; }

  add(row: SessionRow, nowMs: number): void {
    const list = this.byShard[row.node.shard]!;
    this.prune(list, nowMs);
    if (this.count >= this.maxEntries) for (const l of this.byShard) this.prune(l, nowMs);
    if (this.count >= this.maxEntries) { this.dropped++; return; }
    list.push({ atMs: nowMs, row });
    this.count++;
  }

  /** Removes and returns the ends kept for `shards` that are younger than keepMs. */
  take(shards: readonly number[], nowMs: number): SessionRow[] {
    const out: SessionRow[] = [];
    for (const s of shards) {
      const list = this.byShard[s]!;
      this.prune(list, nowMs);
      for (const e of list) out.push(e.row);
      this.count -= list.length;
      list.length = 0;
    }
    return out;
  }

  private prune(list: Entry[], nowMs: number): void {
    let i = 0;
    while (i < list.length && list[i]!.atMs < nowMs - this.keepMs) i++;
    if (i > 0) { list.splice(0, i); this.count -= i; }
  }
}

/**
 * The ends no written session covers. Vantages date one session's start and end a little apart (each hears of a
 * probe at its own time, and its crawl visits count too), so any written session of the node that overlaps the
 * end's session is the same one.
 */
export function unwrittenEnds(ends: readonly SessionRow[], written: readonly WrittenSession[], hex: (id: Uint8Array) => string): SessionRow[] {
  const byNode = byNodeOf(written);
  return ends.filter((e) => !(byNode.get(hex(e.node.id)) ?? []).some((w) => w.startedAtMs <= e.endedAtMs && w.endedAtMs >= e.startedAtMs));
}

/**
 * The sessions open here that the shard's previous owner closed: its probes failed where this vantage's view
 * (its crawl, or the feed's timing) still had the node up. The owner's word stands, as the database's does on a
 * resume; each comes with the written session that closed it.
 */
export function closedByOwner<N extends { id: Uint8Array; sessionStartMs: number }>(
  open: readonly N[], written: readonly WrittenSession[], hex: (id: Uint8Array) => string,
): { node: N; closed: WrittenSession }[] {
  const byNode = byNodeOf(written);
  const out: { node: N; closed: WrittenSession }[] = [];
  for (const n of open) {
    const w = (byNode.get(hex(n.id)) ?? []).find((x) => x.endedAtMs >= n.sessionStartMs);
    if (w) out.push({ node: n, closed: w });
  }
  return out;
}

function byNodeOf(written: readonly WrittenSession[]): Map<string, WrittenSession[]> {
  const byNode = new Map<string, WrittenSession[]>();
  for (const w of written) {
    const l = byNode.get(w.nodeIdHex);
    if (l) l.push(w); else byNode.set(w.nodeIdHex, [w]);
  }
  return byNode;
}
