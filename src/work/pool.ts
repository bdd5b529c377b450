import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import {
  handshakeBatch, unpackTask, verifyBatch, type CryptoTask, type HandshakeResult, type VerifyResult,
} from './batch.js';
import type { SessionKeys } from '../crypto/discv5.js';

export interface HandshakeOutput { ephemeralPubkey: Uint8Array; keys: SessionKeys; idSignature: Uint8Array }

/** What an offload has done: one increment per batch (per call inline), so counting costs nothing per item. */
export interface OffloadStats { tasks: number; handshakes: number; records: number }

/**
 * The CPU-heavy steps of a crawl: record verification and the initiator's handshake crypto.
 * One interface, two implementations: inline on the main thread, or batched over worker threads.
 */
export interface CryptoOffload {
  readonly threads: number;
  /** Work done so far (a crawl's summary reports it; tests check the pool did the work). */
  readonly stats: OffloadStats;
  /** How long items waited lately (see Batcher.queueDelayMs); 0 inline, where nothing queues. */
  queueDelayMs(): number;
  /** Whether the record's signature is valid (the caller decodes it and derives its node ID itself). */
  verifyRecord(raw: Uint8Array): Promise<boolean>;
  handshake(staticKey: Uint8Array, localId: Uint8Array, remoteId: Uint8Array, remotePubkey: Uint8Array, challenge: Uint8Array): Promise<HandshakeOutput | null>;
  close(): Promise<void>;
}

/** Items per worker task: large enough to amortise the per-message cost, small enough to keep latency low. */
export const MAX_BATCH = 64;

/**
 * How long a partial batch waits for more items. Replies arrive one datagram per macrotask, so flushing at
 * the end of each macrotask sent batches of 1-2 items, and piscina's per-task cost on the main thread
 * (postMessage, response handling; see BENCHMARKS.md, "Crypto offload") dominated. 4 ms gathers ~12
 * verifications and ~5 handshakes at 3,000 req/s, in one task (both kinds share it), and is small next to the
 * 10-300 ms round trips it delays.
 */
export const BATCH_WINDOW_MS = 4;

interface Pending<T> { args: T; resolve: (v: never) => void; reject: (e: unknown) => void }

/** Collects items until MAX_BATCH or for windowMs after the first, then runs them as one batch. */
export class Batcher<T, R> {
  private items: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the first item of the gathering batch arrived. */
  private firstAtMs = 0;
  /** Batches sent and not answered, by sequence number, oldest first (Map keeps insertion order). */
  private readonly outstanding = new Map<number, number>();
  private seq = 0;
  private waitedMs = 0;
  private waitedItems = 0;
  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly windowMs = BATCH_WINDOW_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Mean wait (push to result) of the items answered since the last call, or the age of the oldest batch still out if longer (ms). */
  queueDelayMs(): number {
    const mean = this.waitedItems > 0 ? this.waitedMs / this.waitedItems : 0;
    this.waitedMs = 0;
    this.waitedItems = 0;
    const oldest = this.outstanding.values().next();
    return Math.max(mean, oldest.done ? 0 : this.now() - oldest.value);
  }

  push(args: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.items.length === 0) this.firstAtMs = this.now();
      this.items.push({ args, resolve: resolve as (v: never) => void, reject });
      if (this.items.length >= MAX_BATCH) this.flush();
      else if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }
  private flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    const id = this.seq++;
    const startMs = this.firstAtMs;
    this.outstanding.set(id, startMs);
    const settle = () => {
      this.outstanding.delete(id);
      this.waitedMs += (this.now() - startMs) * batch.length;
      this.waitedItems += batch.length;
    };
    this.run(batch.map((b) => b.args)).then(
      (rs) => { settle(); for (let i = 0; i < batch.length; i++) batch[i]!.resolve(rs[i] as never); },
      (e: unknown) => { settle(); for (const b of batch) b.reject(e); },
    );
  }
}

type HsArgs = [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];

function packVerify(raws: Uint8Array[]): { buf: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(raws.length + 1);
  let n = 0;
  raws.forEach((r, i) => { offsets[i] = n; n += r.length; });
  offsets[raws.length] = n;
  const buf = new Uint8Array(n);
  raws.forEach((r, i) => buf.set(r, offsets[i]!));
  return { buf, offsets };
}

function packHandshakes(items: HsArgs[]) {
  const n = items.length;
  const remoteIds = new Uint8Array(n * 32), remotePubkeys = new Uint8Array(n * 33);
  const offsets = new Uint32Array(n + 1);
  let len = 0;
  items.forEach((it, i) => { remoteIds.set(it[2], i * 32); remotePubkeys.set(it[3], i * 33); offsets[i] = len; len += it[4].length; });
  offsets[n] = len;
  const challenges = new Uint8Array(len);
  items.forEach((it, i) => challenges.set(it[4], offsets[i]!));
  return { staticKey: items[0]![0], localId: items[0]![1], remoteIds, remotePubkeys, challenges, offsets };
}

function toVerified(r: VerifyResult, n: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(r.ok[i] === 1);
  return out;
}

function toHandshakes(r: HandshakeResult, n: number): (HandshakeOutput | null)[] {
  const out: (HandshakeOutput | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (!r.ok[i]) { out.push(null); continue; }
    out.push({
      ephemeralPubkey: r.ephPubkeys.slice(i * 33, i * 33 + 33),
      keys: { initiatorKey: r.keys.slice(i * 32, i * 32 + 16), recipientKey: r.keys.slice(i * 32 + 16, i * 32 + 32) },
      idSignature: r.sigs.slice(i * 64, i * 64 + 64),
    });
  }
  return out;
}

/** Main-thread implementation: same batching and result shapes, no threads. */
export class InlineCrypto implements CryptoOffload {
  readonly threads = 1;
  readonly stats: OffloadStats = { tasks: 0, handshakes: 0, records: 0 };
  queueDelayMs(): number { return 0; }
  verifyRecord(raw: Uint8Array): Promise<boolean> {
    this.stats.tasks++; this.stats.records++;
    return Promise.resolve(toVerified(verifyBatch(packVerify([raw])), 1)[0]!);
  }
  handshake(...a: HsArgs): Promise<HandshakeOutput | null> {
    this.stats.tasks++; this.stats.handshakes++;
    return Promise.resolve(toHandshakes(handshakeBatch(packHandshakes([a])), 1)[0]!);
  }
  async close(): Promise<void> {}
}

/** A pool item: a record to check, or a handshake's arguments. */
type PoolItem = { raw: Uint8Array; hs: null } | { raw: null; hs: HsArgs };

/**
 * Worker-thread implementation over piscina: one batch of up to MAX_BATCH items per task, handshakes and
 * record checks together (half the tasks of a batch per kind), input and output buffers transferred.
 */
export class PooledCrypto implements CryptoOffload {
  private readonly pool: Piscina;
  private readonly batcher: Batcher<PoolItem, boolean | HandshakeOutput | null>;
  readonly stats: OffloadStats = { tasks: 0, handshakes: 0, records: 0 };

  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./worker.js', import.meta.url)),
      minThreads: threads, maxThreads: threads,
      // Keep workers busy with a few batches queued each, not a deep backlog.
      concurrentTasksPerWorker: 1,
    });
    this.batcher = new Batcher(async (items) => {
      const raws: Uint8Array[] = [], hss: HsArgs[] = [];
      for (const it of items) { if (it.hs) hss.push(it.hs); else raws.push(it.raw!); }
      const task: CryptoTask = { handshake: null, verify: null };
      const transferList: ArrayBuffer[] = [];
      if (hss.length > 0) {
        const h = task.handshake = packHandshakes(hss);
        transferList.push(...[h.remoteIds.buffer, h.remotePubkeys.buffer, h.challenges.buffer, h.offsets.buffer] as ArrayBuffer[]);
      }
      if (raws.length > 0) {
        const v = task.verify = packVerify(raws);
        transferList.push(v.buf.buffer as ArrayBuffer, v.offsets.buffer as ArrayBuffer);
      }
      const out = unpackTask(await this.pool.run(task, { transferList }) as Uint8Array, hss.length, raws.length);
      this.stats.tasks++; this.stats.handshakes += hss.length; this.stats.records += raws.length;
      const hs = toHandshakes(out.handshake, hss.length), vs = toVerified(out.verify, raws.length);
      let h = 0, v = 0;
      return items.map((it) => (it.hs ? hs[h++]! : vs[v++]!));
    });
  }

  verifyRecord(raw: Uint8Array): Promise<boolean> { return this.batcher.push({ raw, hs: null }) as Promise<boolean>; }
  queueDelayMs(): number { return this.batcher.queueDelayMs(); }
  handshake(...a: HsArgs): Promise<HandshakeOutput | null> { return this.batcher.push({ raw: null, hs: a }) as Promise<HandshakeOutput | null>; }
  async close(): Promise<void> { await this.pool.destroy(); }
}

export function defaultThreads(): number { return availableParallelism(); }

/** `threads` <= 1 runs inline on the main thread; more uses a worker pool of that size. */
export function createCryptoOffload(threads: number): CryptoOffload {
  return threads <= 1 ? new InlineCrypto() : new PooledCrypto(threads);
}
