// Messages between Store (the producer's thread) and its writer thread, and the counters they share.
import type { BackendOptions } from './backend.js';
import type { TableBatch } from './batch.js';
import type { StoreErrorCode } from './errors.js';

export interface WriterInit { path: string; opts: BackendOptions; shared: SharedArrayBuffer }

/** Calls that return a value; the writer runs them in order with the writes. */
export type CallOp = 'beginCrawl' | 'endCrawl' | 'beginCampaign' | 'endCampaign' | 'query' | 'copyTo';

export type ToWriter =
  | { op: 'batches'; batches: TableBatch[] }
  /** Commits everything sent before it, then (merge) folds staged node sightings into `nodes`. */
  | { op: 'flush'; id: number; merge: boolean }
  | { op: 'call'; id: number; method: CallOp; args: unknown[] }
  | { op: 'close'; id: number }
  /** Closes the database without a last write (abort): DuckDB's objects must not outlive the thread. */
  | { op: 'drop'; id: number };

export interface WireError { code: StoreErrorCode; message: string }

export interface WriterStats {
  rowsWritten: number;
  /** Rows committed per table since open. */
  committed: Record<string, number>;
  rowsRejected: number;
  writes: number;
  writeErrors: number;
  appendMs: number;
  /** Append or COPY time per table since open, ms (commits not included). */
  tableMs: Record<string, number>;
  commitMs: number;
  mergeMs: number;
}

export type FromWriter =
  | { op: 'ready'; nextNodeIx: number }
  | { op: 'open-failed'; error: WireError }
  | { op: 'reply'; id: number; ok: true; value: unknown }
  | { op: 'reply'; id: number; ok: false; error: WireError }
  /** After every write attempt; `error` if it failed (the rows stay queued on the writer for a retry). */
  | { op: 'stats'; stats: WriterStats; error: WireError | null; rejected: WireError | null };

/**
 * Counters the writer updates and the producer reads without a message (it may be blocked waiting for room):
 * rows done (committed or dropped) and failed writes, as BigInt64 slots, then an Int32 slot bumped on every
 * update for Atomics.wait.
 */
export const SHARED_BYTES = 24;
export const DONE_SLOT = 0;
export const ERRORS_SLOT = 1;
export const WAKE_OFFSET = 16;

export function sharedViews(sab: SharedArrayBuffer): { counts: BigInt64Array; wake: Int32Array } {
  return { counts: new BigInt64Array(sab, 0, 2), wake: new Int32Array(sab, WAKE_OFFSET, 1) };
}
