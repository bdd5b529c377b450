// Signed records for the stop benchmark, generated once on every core and cached in the temp directory
// (500,000 take minutes to sign). Format: a 2-byte big-endian length before each record.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createEnr } from '../src/enr/enr.js';
import { secp } from '../src/crypto/index.js';

/** Record i's endpoint: a loopback address of its own (never contacted: the benchmark's network is fake). */
function recordsFrom(start: number, count: number): Buffer {
  const be = secp();
  const parts: Buffer[] = [];
  for (let i = start; i < start + count; i++) {
    const raw = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 64 + (i >> 16), (i >> 8) & 255, i & 255), udp: 30303 }).raw;
    const len = Buffer.alloc(2);
    len.writeUInt16BE(raw.length);
    parts.push(len, Buffer.from(raw));
  }
  return Buffer.concat(parts);
}

if (!isMainThread) {
  const { start, count } = workerData as { start: number; count: number };
  parentPort!.postMessage(recordsFrom(start, count));
}

export function parseRecords(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < buf.length;) {
    const len = buf.readUInt16BE(o);
    out.push(new Uint8Array(buf.subarray(o + 2, o + 2 + len)));
    o += 2 + len;
  }
  return out;
}

/** The cached file of `n` records (made on first use); returns its path. */
export async function stopBenchRecords(n: number, log: (s: string) => void): Promise<string> {
  const file = join(tmpdir(), `dhtscope-bench-stop-${n}.bin`);
  if (existsSync(file)) return file;
  const workers = Math.max(1, availableParallelism());
  log(`signing ${n} records on ${workers} threads (cached in ${file})`);
  const per = Math.ceil(n / workers);
  const chunks = await Promise.all(Array.from({ length: workers }, (_, w) => new Promise<Buffer>((resolve, reject) => {
    const start = w * per;
    const wk = new Worker(new URL(import.meta.url), { workerData: { start, count: Math.max(0, Math.min(per, n - start)) } });
    wk.once('message', (b: Uint8Array) => resolve(Buffer.from(b)));
    wk.once('error', reject);
  })));
  writeFileSync(file + '.tmp', Buffer.concat(chunks));
  renameSync(file + '.tmp', file);
  return file;
}

export function readRecords(file: string): Uint8Array[] {
  return parseRecords(readFileSync(file));
}
