// The same IdTrie suite runs against the TypeScript fallback and the native
// addon (skipped with a reason when native/dhtscope.node is not built), then a
// differential test drives both with one random op stream and compares results.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MIN_DISTANCE,
  ID_BITS,
  ID_BYTES,
  JsIdTrie,
  NativeIdTrie,
  TrieError,
  TrieErrorCode,
  loadNativeAddon,
  type IdTrie,
  type TrieHole,
} from '../../../src/native/index.js';

const MiB = 1024 * 1024;
const MEMORY_BUDGET_BYTES = 64 * MiB;
const MILLION = 1_000_000;

/** xorshift32: tiny, deterministic, good enough to spread IDs. */
class XorShift32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Uniform-ish integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const x = this.next();
      out[i] = x;
      if (i + 1 < n) out[i + 1] = x >>> 8;
      if (i + 2 < n) out[i + 2] = x >>> 16;
      if (i + 3 < n) out[i + 3] = x >>> 24;
    }
    return out;
  }
  id(): Uint8Array {
    return this.bytes(ID_BYTES);
  }
}

function flipBit(id: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(id);
  out[bit >>> 3]! ^= 0x80 >>> (bit & 7);
  return out;
}

function concat(ids: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * ID_BYTES);
  ids.forEach((id, i) => out.set(id, i * ID_BYTES));
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** ID at log-distance `d` from `peer`: shares the first 256-d bits, differs at bit 256-d. */
function idAtDistance(peer: Uint8Array, d: number, rng: XorShift32): Uint8Array {
  const split = ID_BITS - d;
  const out = rng.id();
  for (let b = 0; b <= split; b++) {
    const mask = 0x80 >>> (b & 7);
    const want = b === split ? (peer[b >>> 3]! & mask) ^ mask : peer[b >>> 3]! & mask;
    out[b >>> 3] = (out[b >>> 3]! & ~mask) | want;
  }
  return out;
}

/** IDs known to be present, with O(1) add/delete/random pick. */
class LiveSet {
  private ids: Uint8Array[] = [];
  private index = new Map<string, number>();
  get size(): number {
    return this.ids.length;
  }
  add(id: Uint8Array): void {
    const k = hex(id);
    if (this.index.has(k)) return;
    this.index.set(k, this.ids.length);
    this.ids.push(id);
  }
  delete(id: Uint8Array): void {
    const k = hex(id);
    const i = this.index.get(k);
    if (i === undefined) return;
    const last = this.ids.pop()!;
    this.index.delete(k);
    if (i < this.ids.length) {
      this.ids[i] = last;
      this.index.set(hex(last), i);
    }
  }
  random(rng: XorShift32): Uint8Array {
    return this.ids[rng.int(this.ids.length)]!;
  }
  all(): Uint8Array[] {
    return this.ids;
  }
}

// --- brute-force reference model -------------------------------------------

function bitOf(b: Uint8Array, i: number): number {
  return (b[i >>> 3]! >>> (7 - (i & 7))) & 1;
}

function naiveCount(ids: Iterable<Uint8Array>, prefix: Uint8Array, bits: number): number {
  let n = 0;
  outer: for (const id of ids) {
    for (let i = 0; i < bits; i++) if (bitOf(id, i) !== bitOf(prefix, i)) continue outer;
    n++;
  }
  return n;
}

function naiveHist(ids: Iterable<Uint8Array>, depth: number): Uint32Array {
  const h = new Uint32Array(2 ** depth);
  for (const id of ids) h[Buffer.from(id).readUInt32BE(0) >>> (32 - depth)]!++;
  return h;
}

function naiveHoles(ids: Uint8Array[], depth: number, limit: number): TrieHole[] {
  const h = naiveHist(ids, depth);
  const expected = ids.length / 2 ** depth;
  const all: TrieHole[] = [];
  h.forEach((count, prefix) => {
    if (count < expected) all.push({ prefix, depth, count, expected });
  });
  all.sort((a, b) => b.expected - b.count - (a.expected - a.count) || a.prefix - b.prefix);
  return all.slice(0, limit);
}

/** Ranks by exact BigInt count * 2^(257-d) ascending (== deficit ratio descending), ties -> larger d. */
function naiveSuggest(ids: Uint8Array[], peer: Uint8Array, n: number, min: number): number[] {
  const rows: Array<{ d: number; key: bigint }> = [];
  for (let d = min; d <= ID_BITS; d++) {
    const split = ID_BITS - d;
    const c = naiveCount(ids, flipBit(peer, split), split + 1);
    rows.push({ d, key: BigInt(c) << BigInt(ID_BITS + 1 - d) });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.d - a.d));
  return rows.slice(0, n).map((r) => r.d);
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TrieError, `expected TrieError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

// --- backends ----------------------------------------------------------------

const load = loadNativeAddon();
const nativeSkip = load.ok ? false : `native addon unavailable: ${load.reason}`;
const backends: Array<{ name: string; make: () => IdTrie; skip: string | false }> = [
  { name: 'js', make: () => new JsIdTrie(), skip: false },
  { name: 'native', make: () => (load.ok ? new NativeIdTrie(load.addon) : new JsIdTrie()), skip: nativeSkip },
];

for (const backend of backends) {
  describe(`IdTrie (${backend.name})`, { skip: backend.skip }, () => {
    it('is empty when new', () => {
      const t = backend.make();
      const peer = new Uint8Array(ID_BYTES);
      assert.equal(t.size(), 0);
      assert.equal(t.has(peer), false);
      assert.equal(t.remove(peer), false);
      assert.equal(t.countPrefix(new Uint8Array(0), 0), 0);
      assert.equal(t.countPrefix(peer, ID_BITS), 0);
      assert.deepEqual(t.countsAtDepth(3), new Uint32Array(8));
      assert.deepEqual(t.holes(4, 10), []);
      // Nothing seen anywhere: every distance ties, the largest wins.
      assert.equal(t.suggestDistance(peer), ID_BITS);
      assert.deepEqual(t.suggestDistances(peer, 3), [256, 255, 254]);
      assert.ok(t.memoryBytes() > 0);
    });

    it('inserts, finds and removes; duplicates and missing ids are no-ops', () => {
      const rng = new XorShift32(1);
      const t = backend.make();
      const a = rng.id();
      const b = rng.id();
      assert.equal(t.insert(a), true);
      assert.equal(t.insert(a), false);
      assert.equal(t.insert(new Uint8Array(a)), false, 'equal content, different object');
      assert.equal(t.size(), 1);
      assert.equal(t.has(a), true);
      assert.equal(t.has(b), false);
      assert.equal(t.remove(b), false, 'removing a missing id');
      assert.equal(t.remove(flipBit(a, 255)), false, 'near miss in the last bit');
      assert.equal(t.size(), 1);
      assert.equal(t.insert(b), true);
      assert.equal(t.insert(flipBit(a, 255)), true);
      assert.equal(t.size(), 3);
      assert.equal(t.remove(a), true);
      assert.equal(t.remove(a), false);
      assert.equal(t.has(a), false);
      assert.equal(t.has(flipBit(a, 255)), true);
      assert.equal(t.size(), 2);
    });

    it('accepts Buffer and offset views', () => {
      const rng = new XorShift32(2);
      const t = backend.make();
      const id = rng.id();
      const backing = new Uint8Array(ID_BYTES * 3);
      backing.set(id, 17);
      assert.equal(t.insert(backing.subarray(17, 17 + ID_BYTES)), true);
      assert.equal(t.has(Buffer.from(id)), true);
      assert.equal(t.has(id), true);
    });

    it('countPrefix handles bits=0, bits=256 and ignores trailing prefix bits', () => {
      const rng = new XorShift32(3);
      const t = backend.make();
      const ids = Array.from({ length: 50 }, () => rng.id());
      ids.forEach((id) => t.insert(id));
      assert.equal(t.countPrefix(new Uint8Array(0), 0), 50);
      assert.equal(t.countPrefix(ids[7]!, ID_BITS), 1);
      assert.equal(t.countPrefix(flipBit(ids[7]!, 255), ID_BITS), 0);
      // 3 significant bits; garbage after them must not matter.
      const p = new Uint8Array([ids[0]![0]! | 0x1f]);
      assert.equal(t.countPrefix(p, 3), naiveCount(ids, p, 3));
      for (const bits of [1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 255]) {
        assert.equal(t.countPrefix(ids[3]!, bits), naiveCount(ids, ids[3]!, bits), `bits=${bits}`);
      }
    });

    it('matches a brute-force model over random ops', () => {
      const rng = new XorShift32(4);
      const t = backend.make();
      const model = new Map<string, Uint8Array>();
      for (let step = 0; step < 3000; step++) {
        const op = rng.int(10);
        const live = [...model.values()];
        if (op < 6 || live.length === 0) {
          // Half the inserts are near-copies of a live ID: deep, long shared prefixes.
          const id = live.length > 0 && op < 3 ? flipBit(live[rng.int(live.length)]!, rng.int(ID_BITS)) : rng.id();
          assert.equal(t.insert(id), !model.has(hex(id)));
          model.set(hex(id), id);
        } else {
          const id = live[rng.int(live.length)]!;
          assert.equal(t.remove(id), true);
          model.delete(hex(id));
        }
        assert.equal(t.size(), model.size);
        if (step % 250 === 0) {
          const ids = [...model.values()];
          for (const id of ids) assert.equal(t.has(id), true);
          const probe = ids[rng.int(ids.length)] ?? rng.id();
          for (const bits of [0, 1, 5, 8, 12, 33, 128, 200, 256]) {
            assert.equal(t.countPrefix(probe, bits), naiveCount(ids, probe, bits), `bits=${bits}`);
          }
          for (const depth of [1, 4, 9]) assert.deepEqual(t.countsAtDepth(depth), naiveHist(ids, depth));
          assert.deepEqual(t.holes(6, 9), naiveHoles(ids, 6, 9));
          for (const min of [1, 200, DEFAULT_MIN_DISTANCE, 256]) {
            assert.deepEqual(t.suggestDistances(probe, 8, min), naiveSuggest(ids, probe, 8, min));
          }
        }
      }
    });

    it('batch insert counts only new ids, including duplicates within the batch', () => {
      const rng = new XorShift32(5);
      const t = backend.make();
      const ids = Array.from({ length: 100 }, () => rng.id());
      t.insert(ids[0]!);
      const batch = concat([...ids, ids[5]!, ids[6]!]);
      assert.equal(t.insertBatch(batch), 99);
      assert.equal(t.size(), 100);
      assert.equal(t.insertBatch(new Uint8Array(0)), 0);
      const probe = concat([ids[3]!, rng.id(), ids[99]!]);
      const hit = t.hasBatch(probe);
      assert.equal(Object.getPrototypeOf(hit), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer');
      assert.deepEqual(hit, new Uint8Array([1, 0, 1]));
      assert.deepEqual(t.hasBatch(new Uint8Array(0)), new Uint8Array(0));
    });

    it('holes lists under-filled prefixes, largest deficit first', () => {
      const rng = new XorShift32(6);
      const t = backend.make();
      // Depth-2 buckets 00,01,10,11 get 3,0,1,4 ids: expected 8/4 = 2.
      const plan = [3, 0, 1, 4];
      plan.forEach((n, bucket) => {
        for (let i = 0; i < n; i++) {
          const id = rng.id();
          id[0] = (id[0]! & 0x3f) | (bucket << 6);
          t.insert(id);
        }
      });
      assert.deepEqual(t.countsAtDepth(2), new Uint32Array(plan));
      assert.deepEqual(t.holes(2, 10), [
        { prefix: 1, depth: 2, count: 0, expected: 2 },
        { prefix: 2, depth: 2, count: 1, expected: 2 },
      ]);
      assert.deepEqual(t.holes(2, 1), [{ prefix: 1, depth: 2, count: 0, expected: 2 }]);
      assert.deepEqual(t.holes(2, 0), []);
    });

    it('suggestDistance prefers the emptiest subtree, ties to the larger distance', () => {
      const rng = new XorShift32(7);
      const t = backend.make();
      const peer = rng.id();
      // Counts per distance; with the peer itself the size is 9, so expected at d is
      // 9 * 2^(d-257): 256 -> 4.5, 255 -> 2.25, 254 -> 1.125, 253 -> 0.5625.
      const seen: Record<number, number> = { 256: 4, 255: 2, 254: 1, 253: 1 };
      for (const [d, n] of Object.entries(seen)) {
        for (let i = 0; i < n; i++) assert.equal(t.insert(idAtDistance(peer, Number(d), rng)), true);
      }
      t.insert(peer); // distance 0: in no bucket, but counts towards size
      assert.equal(t.size(), 9);
      // Empty 250..252 rank first (ratio 1, ties -> larger d); 256/255/254 tie exactly at
      // ratio 1/9; 253 holds 1 where 0.5625 was expected, a surplus, so it is last.
      assert.deepEqual(t.suggestDistances(peer, 10, 250), [252, 251, 250, 256, 255, 254, 253]);
      assert.equal(t.suggestDistance(peer, 250), 252);
      assert.equal(t.suggestDistance(peer, 253), 256);
      assert.equal(t.suggestDistance(peer), 252);
      assert.deepEqual(t.suggestDistances(peer, 0, 250), []);
    });

    it('throws TrieError with stable codes on bad input', () => {
      const t = backend.make();
      const good = new Uint8Array(ID_BYTES);
      const bad: unknown[] = [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), [1, 2], 'x'.repeat(32), null, undefined, new Uint8ClampedArray(32)];
      for (const id of bad) {
        const v = id as Uint8Array;
        throwsCode(() => t.insert(v), TrieErrorCode.BAD_ID);
        throwsCode(() => t.remove(v), TrieErrorCode.BAD_ID);
        throwsCode(() => t.has(v), TrieErrorCode.BAD_ID);
        throwsCode(() => t.suggestDistance(v), TrieErrorCode.BAD_ID);
      }
      throwsCode(() => t.insertBatch(new Uint8Array(ID_BYTES + 1)), TrieErrorCode.BAD_ID);
      throwsCode(() => t.hasBatch(new Uint8Array(ID_BYTES * 2 - 1)), TrieErrorCode.BAD_ID);
      throwsCode(() => t.insertBatch([] as unknown as Uint8Array), TrieErrorCode.BAD_ID);
      for (const bits of [-1, 257, 1.5, NaN, Infinity, '8' as unknown as number]) {
        throwsCode(() => t.countPrefix(good, bits), TrieErrorCode.BAD_PREFIX);
      }
      throwsCode(() => t.countPrefix(new Uint8Array(1), 9), TrieErrorCode.BAD_PREFIX);
      throwsCode(() => t.countPrefix(null as unknown as Uint8Array, 0), TrieErrorCode.BAD_PREFIX);
      for (const depth of [0, 21, 2.5, -3]) {
        throwsCode(() => t.countsAtDepth(depth), TrieErrorCode.BAD_DEPTH);
        throwsCode(() => t.holes(depth, 1), TrieErrorCode.BAD_DEPTH);
      }
      throwsCode(() => t.holes(3, -1), TrieErrorCode.BAD_ARG);
      throwsCode(() => t.holes(3, 0.5), TrieErrorCode.BAD_ARG);
      throwsCode(() => t.suggestDistance(good, 0), TrieErrorCode.BAD_ARG);
      throwsCode(() => t.suggestDistance(good, 257), TrieErrorCode.BAD_ARG);
      throwsCode(() => t.suggestDistances(good, -1), TrieErrorCode.BAD_ARG);
      throwsCode(() => t.suggestDistances(good, 257), TrieErrorCode.BAD_ARG);
      assert.equal(t.size(), 0, 'failed calls leave the trie untouched');
      // The error is usable: message present, code stable, class named.
      try {
        t.insert(new Uint8Array(3));
      } catch (e) {
        assert.ok(e instanceof TrieError && e instanceof Error);
        assert.equal(e.name, 'TrieError');
        assert.match(e.message, /32 bytes/);
      }
    });

    it(`holds ${MILLION} ids within ${MEMORY_BUDGET_BYTES / MiB} MiB (own accounting)`, () => {
      const rng = new XorShift32(8);
      const t = backend.make();
      const ids = rng.bytes(MILLION * ID_BYTES);
      assert.equal(t.insertBatch(ids), MILLION);
      assert.equal(t.size(), MILLION);
      const bytes = t.memoryBytes();
      assert.ok(bytes <= MEMORY_BUDGET_BYTES, `memoryBytes ${(bytes / MiB).toFixed(1)} MiB > budget`);
      assert.ok(bytes >= MILLION * ID_BYTES, 'accounting must at least cover the keys');
      const hist = t.countsAtDepth(20);
      assert.equal(hist.reduce((a, b) => a + b, 0), MILLION);
      assert.equal(t.holes(20, 5).length, 5);
    });
  });
}

// --- differential: both backends, one op stream ----------------------------------

describe('IdTrie differential (native vs js)', { skip: nativeSkip }, () => {
  function errorCode(fn: () => unknown): string {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return e instanceof TrieError ? e.code : `non-TrieError: ${String(e)}`;
    }
  }

  it('agrees on a long random op sequence', () => {
    const rng = new XorShift32(0xc0ffee);
    const js = new JsIdTrie();
    const nat = load.ok ? new NativeIdTrie(load.addon) : new JsIdTrie();
    const live = new LiveSet();
    const pick = (): Uint8Array => (live.size > 0 && rng.int(4) !== 0 ? live.random(rng) : rng.id());
    const OPS = 20_000;
    for (let step = 0; step < OPS; step++) {
      const op = rng.int(100);
      const at = `step ${step} op ${op}`;
      if (op < 35) {
        // Near-copies cluster IDs so deep crit bits and long shared prefixes occur.
        const id = live.size > 0 && rng.int(2) === 0 ? flipBit(pick(), rng.int(ID_BITS)) : rng.id();
        const r = js.insert(id);
        assert.equal(nat.insert(id), r, at);
        if (r) live.add(id);
      } else if (op < 50) {
        const id = pick();
        const r = js.remove(id);
        assert.equal(nat.remove(id), r, at);
        if (r) live.delete(id);
      } else if (op < 55) {
        const batch = concat(Array.from({ length: rng.int(40) }, () => (rng.int(3) === 0 ? pick() : rng.id())));
        assert.equal(nat.insertBatch(batch), js.insertBatch(batch), at);
        for (let o = 0; o < batch.length; o += ID_BYTES) live.add(batch.slice(o, o + ID_BYTES));
      } else if (op < 62) {
        const batch = concat(Array.from({ length: rng.int(20) }, pick));
        assert.deepEqual(nat.hasBatch(batch), js.hasBatch(batch), at);
      } else if (op < 75) {
        const id = pick();
        assert.equal(nat.has(id), js.has(id), at);
      } else if (op < 87) {
        const bits = rng.int(4) === 0 ? rng.int(ID_BITS + 1) : rng.int(24);
        const prefix = pick().slice(0, Math.ceil(bits / 8) + rng.int(3));
        assert.equal(nat.countPrefix(prefix, bits), js.countPrefix(prefix, bits), `${at} bits ${bits}`);
      } else if (op < 90) {
        const depth = 1 + rng.int(12);
        assert.deepEqual(nat.countsAtDepth(depth), js.countsAtDepth(depth), at);
      } else if (op < 93) {
        const depth = 1 + rng.int(12);
        const limit = rng.int(20);
        assert.deepEqual(nat.holes(depth, limit), js.holes(depth, limit), at);
      } else if (op < 98) {
        const peer = pick();
        const min = rng.int(3) === 0 ? 1 + rng.int(ID_BITS) : DEFAULT_MIN_DISTANCE;
        const n = rng.int(10);
        assert.deepEqual(nat.suggestDistances(peer, n, min), js.suggestDistances(peer, n, min), at);
        assert.equal(nat.suggestDistance(peer, min), js.suggestDistance(peer, min), at);
      } else {
        // Invalid input: both must reject with the same code.
        const badId = rng.bytes(rng.int(2) === 0 ? 31 : 33);
        assert.equal(errorCode(() => nat.insert(badId)), errorCode(() => js.insert(badId)), at);
        const bits = ID_BITS + 1 + rng.int(5);
        assert.equal(errorCode(() => nat.countPrefix(badId, bits)), errorCode(() => js.countPrefix(badId, bits)), at);
        const depth = 21 + rng.int(5);
        assert.equal(errorCode(() => nat.holes(depth, 1)), errorCode(() => js.holes(depth, 1)), at);
      }
      assert.equal(nat.size(), js.size(), at);
    }
    assert.equal(nat.size(), live.size);
    assert.deepEqual(nat.hasBatch(concat(live.all())), new Uint8Array(live.size).fill(1));
  });

  it('agrees on 100k uniform ids at every histogram depth', () => {
    const rng = new XorShift32(99);
    const ids = rng.bytes(100_000 * ID_BYTES);
    const js = new JsIdTrie();
    const nat = load.ok ? new NativeIdTrie(load.addon) : new JsIdTrie();
    assert.equal(nat.insertBatch(ids), js.insertBatch(ids));
    for (let depth = 1; depth <= 20; depth++) {
      assert.deepEqual(nat.countsAtDepth(depth), js.countsAtDepth(depth), `depth ${depth}`);
      assert.deepEqual(nat.holes(depth, 16), js.holes(depth, 16), `holes depth ${depth}`);
    }
    for (let i = 0; i < 200; i++) {
      const peer = rng.id();
      assert.deepEqual(nat.suggestDistances(peer, 5, 200), js.suggestDistances(peer, 5, 200));
    }
  });
});
