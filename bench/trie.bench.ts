// Trie micro-benchmark: ns/op for both backends, the bare Node-API call cost
// as a baseline, and memory for 1e6 IDs measured in a fresh child process
// (RSS delta would be polluted by earlier runs in this one).
// Run: node dist/bench/trie.bench.js   (last stdout line is JSON)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './util.js';
import { JsIdTrie, NativeIdTrie, loadNativeAddon, ID_BYTES, type IdTrie } from '../src/native/index.js';

const SINGLE_OPS = 200_000;
const QUERY_OPS = 200_000;
const SUGGEST_OPS = 20_000;
const NOOP_CALLS = 5_000_000;
const BATCH_IDS = 1024;
const WARMUP_OPS = 20_000;
/** countPrefix depths drawn from [0, MAX_QUERY_BITS]: the range a crawler actually asks about. */
const MAX_QUERY_BITS = 32;
const MEMORY_IDS = 1_000_000;
const MiB = 1024 * 1024;
const MEMORY_BUDGET_BYTES = 64 * MiB;
const CHILD_TIMEOUT_MS = 30_000;
const RSS_CHILD_FLAG = '--rss-child=';

type Backend = 'native' | 'js';

/** xorshift32, deterministic so runs are comparable. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

function views(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < buf.length; o += ID_BYTES) out.push(buf.subarray(o, o + ID_BYTES));
  return out;
}

function makeTrie(backend: Backend): IdTrie {
  const load = loadNativeAddon();
  if (backend === 'native') {
    if (!load.ok) throw new Error(`native unavailable: ${load.reason}`);
    return new NativeIdTrie(load.addon);
  }
  return new JsIdTrie();
}

/** Runs fn(i) for i in [0, n) and returns ns per call. */
function timeOps(n: number, fn: (i: number) => unknown): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn(i)) sink++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink < 0) console.log(sink); // keep the results observable
  return ns / n;
}

interface OpResults {
  insert: number;
  insertBatch: number;
  has: number;
  countPrefix: number;
  suggestDistance: number;
}

function benchBackend(backend: Backend): OpResults {
  const ids = views(randomBytes(SINGLE_OPS * ID_BYTES, 1));
  const queries = views(randomBytes(QUERY_OPS * ID_BYTES, 2));
  const bits = Uint8Array.from(randomBytes(QUERY_OPS, 3), (b) => b % (MAX_QUERY_BITS + 1));

  // Warm the JIT on a throwaway trie so the timed loops run optimised code.
  const warm = makeTrie(backend);
  for (let i = 0; i < WARMUP_OPS; i++) {
    warm.insert(ids[i]!);
    warm.has(queries[i]!);
    warm.countPrefix(queries[i]!, bits[i]!);
    if (i % 100 === 0) warm.suggestDistance(queries[i]!);
  }

  const t = makeTrie(backend);
  const insert = timeOps(SINGLE_OPS, (i) => t.insert(ids[i]!));

  const all = randomBytes(SINGLE_OPS * ID_BYTES, 1);
  const tb = makeTrie(backend);
  const batches = SINGLE_OPS / BATCH_IDS;
  const perBatch = timeOps(batches, (i) => tb.insertBatch(all.subarray(i * BATCH_IDS * ID_BYTES, (i + 1) * BATCH_IDS * ID_BYTES)));
  const insertBatch = perBatch / BATCH_IDS;

  // Half hits, half misses: exercise both the full compare and the early exit.
  const has = timeOps(QUERY_OPS, (i) => t.has(i & 1 ? ids[i]! : queries[i]!));
  const countPrefix = timeOps(QUERY_OPS, (i) => t.countPrefix(queries[i]!, bits[i]!));
  const suggestDistance = timeOps(SUGGEST_OPS, (i) => t.suggestDistance(queries[i]!));
  return { insert, insertBatch, has, countPrefix, suggestDistance };
}

interface MemoryResult {
  ids: number;
  memoryBytes: number;
  rssDeltaBytes: number;
  heapDeltaBytes: number;
  buildMs: number;
  gcExposed: boolean;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Child-process body: build 1e6 IDs on a clean heap and report the growth. */
function measureMemory(backend: Backend): MemoryResult {
  const ids = randomBytes(MEMORY_IDS * ID_BYTES, 4);
  gc();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const t = makeTrie(backend);
  t.insertBatch(ids);
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
  gc();
  const after = process.memoryUsage();
  if (t.size() !== MEMORY_IDS) throw new Error(`expected ${MEMORY_IDS} ids, got ${t.size()}`);
  return {
    ids: MEMORY_IDS,
    memoryBytes: t.memoryBytes(),
    rssDeltaBytes: after.rss - before.rss,
    heapDeltaBytes: after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers),
    buildMs,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  };
}

function memoryInChild(backend: Backend): MemoryResult | { error: string } {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `${RSS_CHILD_FLAG}${backend}`], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    env: process.env,
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as MemoryResult;
}

function noopBaseline(noop: () => void): { napiNoop: number; jsNoop: number } {
  const jsNoop = (): void => {};
  // Warm both call sites first.
  for (let i = 0; i < WARMUP_OPS; i++) {
    noop();
    jsNoop();
  }
  const napiNoop = timeOps(NOOP_CALLS, () => noop());
  const jsNoopNs = timeOps(NOOP_CALLS, () => jsNoop());
  return { napiNoop, jsNoop: jsNoopNs };
}

const fmt = (x: number): string => x.toFixed(1).padStart(9);
const mib = (x: number): string => `${(x / MiB).toFixed(1)} MiB`;

function main(): void {
  const childArg = process.argv.find((a) => a.startsWith(RSS_CHILD_FLAG));
  if (childArg) {
    console.log(JSON.stringify(measureMemory(childArg.slice(RSS_CHILD_FLAG.length) as Backend)));
    return;
  }
  benchArgs('trie.bench.js', 'Node-ID trie: ns per operation for the Rust and TypeScript backends, the bare Node-API call cost,\n' +
    'and memory for 1e6 IDs in a fresh child process. The last line is JSON.', {});
  const started = Date.now();
  const load = loadNativeAddon();
  const backends: Backend[] = load.ok ? ['native', 'js'] : ['js'];
  if (!load.ok) console.log(`native backend skipped: ${load.reason}`);

  const ops: Partial<Record<Backend, OpResults>> = {};
  for (const b of backends) ops[b] = benchBackend(b);
  const baseline = load.ok ? noopBaseline(load.addon.noop) : null;
  const memory: Partial<Record<Backend, MemoryResult | { error: string }>> = {};
  for (const b of backends) memory[b] = memoryInChild(b);

  const opNames: Array<keyof OpResults> = ['insert', 'insertBatch', 'has', 'countPrefix', 'suggestDistance'];
  console.log(`\nns/op (${SINGLE_OPS} ids; insertBatch is per id in batches of ${BATCH_IDS}; suggestDistance over d in [239,256])`);
  console.log(`${'op'.padEnd(16)}${backends.map((b) => b.padStart(9)).join('')}`);
  for (const name of opNames) {
    console.log(`${name.padEnd(16)}${backends.map((b) => fmt(ops[b]![name])).join('')}`);
  }
  if (baseline) {
    console.log(`\nbaseline: empty Node-API call ${baseline.napiNoop.toFixed(1)} ns, empty JS call ${baseline.jsNoop.toFixed(1)} ns`);
  }
  console.log(`\nmemory for ${MEMORY_IDS} ids (fresh child process, budget ${mib(MEMORY_BUDGET_BYTES)}):`);
  for (const b of backends) {
    const m = memory[b]!;
    if ('error' in m) console.log(`  ${b}: failed: ${m.error}`);
    else {
      const verdict = m.memoryBytes <= MEMORY_BUDGET_BYTES && m.rssDeltaBytes <= MEMORY_BUDGET_BYTES ? 'within budget' : 'OVER BUDGET';
      console.log(
        `  ${b.padEnd(6)} memoryBytes ${mib(m.memoryBytes)}, RSS delta ${mib(m.rssDeltaBytes)}, ` +
          `JS heap+ArrayBuffer delta ${mib(m.heapDeltaBytes)}, build ${m.buildMs.toFixed(0)} ms: ${verdict}`,
      );
    }
  }
  const totalMs = Date.now() - started;
  console.log(`total ${totalMs} ms`);
  console.log(JSON.stringify({ bench: 'trie', nsPerOp: ops, baseline, memory, totalMs }));
}

main();
