import type { Enr } from '../enr/enr.js';
import { logDistance } from '../util/bytes.js';

/** Bucket size: the Kademlia k used by every discv5 client. */
export const BUCKET_SIZE = 16;
export const MAX_DISTANCE = 256;

/** What a responder needs from a table: raw records by distance, and lookup of a known record. */
export interface NodeTable {
  /** Raw records at log-distance `d` (1..256), at most `limit`. */
  recordsAt(d: number, limit: number): Uint8Array[];
  /** The record held for a node ID, if any. */
  enrOf(id: Uint8Array): Enr | undefined;
  readonly size: number;
}

interface Entry { id: Uint8Array; enr: Enr }

/**
 * A k-bucket table (k=16 per log-distance) that keeps the first nodes it sees per bucket and
 * refuses more (no liveness eviction: simnet and tests fill tables directly).
 */
export class RoutingTable implements NodeTable {
  private readonly buckets: Entry[][] = Array.from({ length: MAX_DISTANCE + 1 }, () => []);
  private readonly byId = new Map<string, Entry>();

  constructor(readonly localId: Uint8Array, readonly k = BUCKET_SIZE) {}

  get size(): number { return this.byId.size; }

  /** Adds or updates (higher seq wins) a record; false if its bucket is full or it is us. */
  add(enr: Enr): boolean {
    const id = enr.nodeId();
    const key = idKey(id);
    const cur = this.byId.get(key);
    if (cur) {
      if (enr.seq > cur.enr.seq) cur.enr = enr;
      return true;
    }
    const d = logDistance(this.localId, id);
    if (d === 0) return false;
    const b = this.buckets[d]!;
    if (b.length >= this.k) return false;
    const e = { id, enr };
    b.push(e);
    this.byId.set(key, e);
    return true;
  }

  remove(id: Uint8Array): boolean {
    const key = idKey(id);
    const e = this.byId.get(key);
    if (!e) return false;
    this.byId.delete(key);
    const b = this.buckets[logDistance(this.localId, id)]!;
    b.splice(b.indexOf(e), 1);
    return true;
  }

  recordsAt(d: number, limit: number): Uint8Array[] {
    const b = this.buckets[d];
    if (!b) return [];
    return b.slice(0, limit).map((e) => e.enr.raw);
  }

  enrOf(id: Uint8Array): Enr | undefined { return this.byId.get(idKey(id))?.enr; }

  entries(): Enr[] { return [...this.byId.values()].map((e) => e.enr); }
}

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.length).toString('latin1');
}

