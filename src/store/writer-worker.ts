// The store's writer thread: owns the backend (DuckDB, or PostgreSQL for a postgres:// URL), commits the
// batches Store sends, runs queries and exports between writes. Batches that fail to commit stay here, in
// order, and are retried.
import { parentPort, workerData } from 'node:worker_threads';
import type { CampaignStart, CrawlStart, ExportFormat, SqlParam, StoreBackend } from './backend.js';
import { DuckDbBackend } from './duckdb.js';
import { isPostgresUrl } from './pg-url.js';
import { PostgresBackend } from './postgres.js';
import type { TableBatch } from './batch.js';
import { StoreError } from './errors.js';
import { DONE_SLOT, ERRORS_SLOT, sharedViews, type CallOp, type FromWriter, type ToWriter, type WireError, type WriterInit, type WriterStats } from './protocol.js';

/** Staged node sightings are merged into `nodes` this often; flush() and close() always merge. */
const MERGE_INTERVAL_MS = 5000;
/**
 * Rows one transaction takes at most: enough to amortise a commit, few enough that the values built for it
 * stay small, and below the 204,800 rows at which DuckDB's appender flushes on its own.
 */
const MAX_WRITE_ROWS = 50_000;
/**
 * A failed background write is retried after RETRY_MS (a full disk may get space back), doubling while it
 * keeps failing up to RETRY_MAX_MS (a database server that is down is not hammered with reconnects).
 */
const RETRY_MS = 1000;
const RETRY_MAX_MS = 30_000;
let retryMs = RETRY_MS;

const port = parentPort!;
const init = workerData as WriterInit;
const { counts, wake } = sharedViews(init.shared);
const send = (m: FromWriter) => port.postMessage(m);

const wire = (e: unknown): WireError => (e instanceof StoreError
  ? { code: e.code, message: e.message }
  : { code: 'ERR_STORE_IO', message: e instanceof Error ? e.message : String(e) });

let backend: StoreBackend;
/** Received, not yet committed, oldest first. Bound: Store stops sending past its maxBufferedRows. */
const pending: TableBatch[] = [];
let lastMerge = performance.now();
let stagedSinceMerge = false;
let lock: Promise<unknown> = Promise.resolve();
let writeQueued = false;
let retryTimer: NodeJS.Timeout | null = null;
const stats: WriterStats = { committed: {}, rowsWritten: 0, rowsRejected: 0, writes: 0, writeErrors: 0, appendMs: 0, tableMs: {}, commitMs: 0, mergeMs: 0 };

function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = lock.then(fn, fn);
  lock = run.catch(() => undefined);
  return run;
}

function bump(doneRows: number, failed: boolean): void {
  if (doneRows) Atomics.add(counts, DONE_SLOT, BigInt(doneRows));
  if (failed) Atomics.add(counts, ERRORS_SLOT, 1n);
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}

/**
 * Commits the batches pending when it starts (later ones wait for the next call, so a flush under load
 * ends), MAX_WRITE_ROWS per transaction. Throws, keeping the unwritten batches in order, if a write fails.
 */
async function writePending(merge: boolean): Promise<void> {
  let left = pending.length;
  while (left > 0) {
    let rows = 0, n = 0;
    while (n < left && (n === 0 || rows + pending[n]!.rows <= MAX_WRITE_ROWS)) rows += pending[n++]!.rows;
    const batches = pending.splice(0, n);
    left -= n;
    stats.writes++;
    try {
      if (backend.broken) await backend.reopen();
      const r = await backend.write(batches);
      stats.appendMs += r.appendMs;
      for (const [t, ms] of Object.entries(r.tableMs)) stats.tableMs[t] = (stats.tableMs[t] ?? 0) + ms;
      stats.commitMs += r.commitMs;
      stats.rowsRejected += r.rejected;
      for (const [t, k] of Object.entries(r.committed)) {
        stats.rowsWritten += k;
        stats.committed[t] = (stats.committed[t] ?? 0) + k;
        if (t === 'nodes_staging' && k > 0) stagedSinceMerge = true;
      }
      bump(rows, false);
      retryMs = RETRY_MS;
      const rejected = r.rejected ? { code: 'ERR_STORE_BAD_ROW' as const, message: `dropped ${r.rejected} row(s) the database refused: ${r.rejectReason}` } : null;
      send({ op: 'stats', stats, error: null, rejected });
    } catch (e) {
      pending.unshift(...batches);
      stats.writeErrors++;
      bump(0, true);
      send({ op: 'stats', stats, error: wire(e), rejected: null });
      throw e;
    }
  }
  if (stagedSinceMerge && (merge || performance.now() - lastMerge >= MERGE_INTERVAL_MS)) {
    const t0 = performance.now();
    await backend.mergeNodes();
    stats.mergeMs += performance.now() - t0;
    stagedSinceMerge = false;
    lastMerge = performance.now();
    send({ op: 'stats', stats, error: null, rejected: null });
  }
}

function queueWrite(): void {
  if (writeQueued) return;
  writeQueued = true;
  serial(() => { writeQueued = false; return writePending(false); }).catch(() => {
    // Kept for a retry; the error went to Store with the stats.
    retryTimer ??= setTimeout(() => { retryTimer = null; queueWrite(); }, retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  });
}

async function call(method: CallOp, args: unknown[]): Promise<unknown> {
  if (backend.broken) await backend.reopen();
  switch (method) {
    case 'beginCrawl': return backend.beginCrawl(args[0] as CrawlStart);
    case 'endCrawl': return backend.endCrawl(args[0] as number, args[1] as object, args[2] as number);
    case 'beginCampaign': return backend.beginCampaign(args[0] as CampaignStart);
    case 'endCampaign': return backend.endCampaign(args[0] as number, args[1] as object, args[2] as number);
    case 'query': return backend.query(args[0] as string, args[1] as SqlParam[] | undefined);
    case 'copyTo': return backend.copyTo(args[0] as string, args[1] as ExportFormat, args[2] as string);
  }
}

function reply(id: number, p: Promise<unknown>): void {
  p.then((value) => send({ op: 'reply', id, ok: true, value }), (e: unknown) => send({ op: 'reply', id, ok: false, error: wire(e) }));
}

function onMessage(m: ToWriter): void {
  switch (m.op) {
    case 'batches':
      pending.push(...m.batches);
      queueWrite();
      return;
    case 'flush':
      reply(m.id, serial(() => writePending(m.merge)));
      return;
    case 'call':
      reply(m.id, serial(() => call(m.method, m.args)));
      return;
    case 'drop':
      // After the operation in progress (serial), but without writing what is pending.
      reply(m.id, serial(async () => {
        if (retryTimer) clearTimeout(retryTimer);
        backend.close();
        port.off('message', onMessage);
      }));
      return;
    case 'close':
      reply(m.id, serial(async () => {
        await writePending(true);
        if (retryTimer) clearTimeout(retryTimer);
        backend.close();
        port.off('message', onMessage);
      }));
      return;
  }
}

try {
  backend = isPostgresUrl(init.path) ? await PostgresBackend.open(init.path, init.opts) : await DuckDbBackend.open(init.path, init.opts);
  port.on('message', onMessage);
  send({ op: 'ready', nextNodeIx: backend.nextNodeIx });
} catch (e) {
  send({ op: 'open-failed', error: wire(e) });
}
