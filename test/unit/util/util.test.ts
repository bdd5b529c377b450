import { TokenBucket } from '../../../src/util/token-bucket.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel, type WheelEntry } from '../../../src/util/timer-wheel.js';
import { LruMap } from '../../../src/util/lru.js';
import { RingQueue } from '../../../src/util/ring.js';
import {
  AdaptiveRate, POOL_DELAY_LIMIT_MS, RTT_INFLATION_LIMIT_MS, RttInflationProbe, maxProbe, queueDelayProbe, systemCpuProbe, type LoadProbe,
} from '../../../src/crawler/rate.js';
import { Batcher } from '../../../src/work/pool.js';
import { logDistance } from '../../../src/util/bytes.js';

describe('timer wheel', () => {
  it('fires entries at or after their deadline, skips cancelled ones, and re-slots moved deadlines', () => {
    let now = 0;
    const w = new TimerWheel(10, 8, () => now);
    const fired: string[] = [];
    const mk = (name: string, at: number): WheelEntry => ({ deadlineMs: at, cancelled: false, fire: () => fired.push(name) });
    const a = mk('a', 25), b = mk('b', 25), c = mk('c', 500), d = mk('d', 40);
    for (const e of [a, b, c, d]) w.add(e);
    b.cancelled = true;
    d.deadlineMs = 90; // pushed out after it was added
    now = 30; w.tick();
    assert.deepEqual(fired, ['a']);
    now = 60; w.tick();
    assert.deepEqual(fired, ['a']);
    now = 100; w.tick();
    assert.deepEqual(fired, ['a', 'd']);
    now = 510; w.tick(); // beyond one round of 8 slots: catches up in one call
    assert.deepEqual(fired, ['a', 'd', 'c']);
    assert.equal(w.size, 0);
    w.stop();
  });
});

describe('LRU map', () => {
  it('evicts the least recently used past its bound and expires by age', () => {
    let now = 0;
    const m = new LruMap<string, number>(2, 100, () => now);
    m.set('a', 1); m.set('b', 2);
    assert.equal(m.get('a'), 1); // a is now most recent
    m.set('c', 3);
    assert.equal(m.get('b'), undefined);
    assert.equal(m.get('a'), 1);
    now = 250;
    assert.equal(m.get('c'), undefined);
    assert.ok(m.size <= 2);
  });
});

describe('ring queue', () => {
  it('is FIFO across growth and refuses past its bound', () => {
    const q = new RingQueue<number>(2, 5);
    for (let i = 0; i < 5; i++) assert.ok(q.push(i));
    assert.equal(q.push(5), false);
    assert.deepEqual([q.shift(), q.shift()], [0, 1]);
    q.push(6); q.push(7);
    const rest: number[] = [];
    while (q.length) rest.push(q.shift()!);
    assert.deepEqual(rest, [2, 3, 4, 6, 7]);
  });
});

describe('token bucket', () => {
  it('allows the burst, then the rate', () => {
    let now = 0;
    const b = new TokenBucket(1000, 10, () => now);
    let n = 0;
    now = 50; // 50 ms of refill, capped at the burst
    while (b.take()) n++;
    assert.equal(n, 10);
    now = 55;
    n = 0;
    while (b.take()) n++;
    assert.equal(n, 5);
  });

  it('setRate changes the refill rate from that moment on', () => {
    let now = 0;
    const b = new TokenBucket(1000, 100, () => now);
    while (b.take()) { /* drain */ }
    b.setRate(100);
    now = 50; // 50 ms at 100/s = 5 tokens
    assert.equal(b.available(), 5);
  });
});

describe('adaptive rate (AIMD on load)', () => {
  it('backs off multiplicatively while saturated, every other interval, down to a 10% floor', () => {
    const a = new AdaptiveRate(1000);
    assert.equal(a.update(0.99), 800);
    assert.equal(a.update(1), 800, 'the signal lags: one interval before cutting again');
    assert.equal(a.update(1), 640);
    for (let i = 0; i < 50; i++) a.update(1);
    assert.equal(a.rate, 100);
    assert.equal(a.minRate, 100);
  });

  it('holds between the thresholds, climbs back additively with headroom, never above the limit', () => {
    const a = new AdaptiveRate(1000);
    a.update(1); // 800
    assert.equal(a.update(0.93), 800, 'hold between 0.9 and 0.98');
    assert.equal(a.update(0.5), 850);
    for (let i = 0; i < 10; i++) a.update(0.2);
    assert.equal(a.rate, 1000);
    // Throttled for the intervals that started below the limit: 800 (x2), 850, 900, 950.
    assert.equal(a.throttledMs, 5 * 100);
  });
});

describe('load probes', () => {
  it('machine CPU: busy share of all cores since the last reading, from cumulative counters', () => {
    const readings = [{ busy: 100, total: 1000 }, { busy: 290, total: 1200 }, { busy: 290, total: 1200 }, { busy: 690, total: 1600 }];
    let i = 0;
    const p = systemCpuProbe(() => readings[i++]!);
    assert.equal(p.utilization(), 190 / 200);
    assert.equal(p.utilization(), 0, 'no time passed: no load');
    assert.equal(p.utilization(), 1);
  });

  it('the busiest signal wins, and every probe is read each time (their windows stay aligned)', () => {
    let reads = 0;
    const fixed = (u: number): LoadProbe => ({ utilization: () => { reads++; return u; } });
    assert.equal(maxProbe(fixed(0.3), fixed(0.99), fixed(0.5)).utilization(), 0.99);
    assert.equal(reads, 3);
    const real = systemCpuProbe();
    const u = real.utilization();
    assert.ok(u >= 0 && u <= 1, `utilisation ${u}`);
  });
});

describe('RTT inflation probe', () => {
  const feed = (p: RttInflationProbe, center: number, n = 100) => { for (let i = 0; i < n; i++) p.add(center - 50 + (i % 101)); };

  it('reads 0 until warmed up, then the smoothed median\'s rise over its lowest value, as a share of the limit', () => {
    const p = new RttInflationProbe(50, () => 0.5);
    for (let i = 0; i < 20; i++) { feed(p, 150); assert.equal(p.utilization(), 0); }
    assert.equal(p.baseline, null, 'early medians are biased low (fast peers answer first): no baseline yet');
    feed(p, 150);
    assert.equal(p.utilization(), 0);
    assert.ok(Math.abs(p.baseline! - 150) < 1, `baseline ${p.baseline}`);
    let u = 0;
    for (let i = 0; i < 10; i++) { feed(p, 250); u = p.utilization(); }
    assert.equal(u, 1, 'median 100 ms up: saturated');
    for (let i = 0; i < 20; i++) { feed(p, 150); p.utilization(); }
    assert.ok(p.utilization() < 0.1, 'back to the baseline: headroom');
  });

  it('keeps its last reading through intervals with too few samples, and bounds its memory with a reservoir', () => {
    const p = new RttInflationProbe(RTT_INFLATION_LIMIT_MS);
    for (let i = 0; i < 25; i++) { feed(p, 100, 5000); p.utilization(); }
    let high = 0;
    for (let i = 0; i < 10; i++) { feed(p, 200, 5000); high = p.utilization(); }
    assert.ok(high > 0.9, `inflated ${high}`);
    feed(p, 100, 3);
    const faded = p.utilization();
    assert.ok(faded < high && faded > 0.5 * high, `three samples say little: the reading fades (${faded})`);
    for (let i = 0; i < 30; i++) p.utilization();
    assert.ok(p.utilization() < 0.01, 'a crawl too slow to measure is not held down by a stale reading');
    feed(p, 100, 21);
    assert.ok(p.utilization() > 0.5, 'the 3 + 21 samples add up to a fresh reading (the smoothed median is still high)');
  });

  it('a baseline that was too low follows the median up slowly (time constant ~5 s)', () => {
    const p = new RttInflationProbe(50, () => 0.5);
    for (let i = 0; i < 25; i++) { feed(p, 100); p.utilization(); }
    let intervals = 0;
    for (;;) { feed(p, 200); intervals++; if ((p.utilization() < 0.98 && intervals >= 10) || intervals > 400) break; }
    assert.ok(intervals > 20 && intervals < 200, `released after ${intervals} intervals`);
  });
});

describe('crypto pool queue delay', () => {
  it('Batcher reports the mean wait of answered items, or the oldest batch still out if longer', async () => {
    let now = 0;
    const gates: Array<() => void> = [];
    const b = new Batcher<number, number>((xs) => new Promise((r) => gates.push(() => r(xs.map((x) => x * 2)))), 0, () => now);
    const p1 = b.push(1);
    await new Promise((r) => setTimeout(r, 5)); // the window timer sends the batch
    now = 30;
    assert.equal(b.queueDelayMs(), 30, 'nothing answered: the outstanding batch\'s age');
    gates.shift()!();
    assert.equal(await p1, 2);
    assert.equal(b.queueDelayMs(), 30, 'answered after 30 ms');
    assert.equal(b.queueDelayMs(), 0, 'nothing since');
    const probe = queueDelayProbe(b);
    const p2 = b.push(2);
    await new Promise((r) => setTimeout(r, 5));
    now = 30 + 2 * POOL_DELAY_LIMIT_MS;
    assert.equal(probe.utilization(), 1);
    gates.shift()!();
    await p2;
  });
});

describe('log-distance', () => {
  it('is the bit length of a XOR b', () => {
    const a = new Uint8Array(32), b = new Uint8Array(32);
    assert.equal(logDistance(a, b), 0);
    b[31] = 1; assert.equal(logDistance(a, b), 1);
    b[0] = 0x80; assert.equal(logDistance(a, b), 256);
    b[0] = 0x01; assert.equal(logDistance(a, b), 249);
  });
});

describe('byte arena', () => {
  it('copies into shared chunks, keeps every copy intact across chunk boundaries, and gives oversized input its own buffer', async () => {
    const { ByteArena } = await import('../../../src/util/arena.js');
    const a = new ByteArena(1024);
    const copies: Uint8Array[] = [];
    const srcs: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const src = Uint8Array.from({ length: 10 + (i % 50) }, (_, k) => (i * 7 + k) & 0xff);
      srcs.push(src);
      copies.push(a.copy(src));
      src.fill(0); // the arena holds its own bytes
    }
    for (let i = 0; i < 100; i++) {
      const want = Uint8Array.from({ length: 10 + (i % 50) }, (_, k) => (i * 7 + k) & 0xff);
      assert.deepEqual(copies[i], want);
    }
    assert.equal(copies[0]!.buffer, copies[1]!.buffer, 'small copies share a chunk');
    const big = a.copy(new Uint8Array(200));
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 200, 'oversized input is not placed in a chunk');
    assert.equal(a.bytes, copies.reduce((n, c) => n + c.length, 0));
  });

  it('placeWithTail puts the tail right after the head in the shared chunk, across chunk boundaries', async () => {
    const { ByteArena } = await import('../../../src/util/arena.js');
    const a = new ByteArena(1024);
    const got: [Uint8Array, number, number, number][] = [];
    for (let i = 0; i < 60; i++) {
      const head = Uint8Array.from({ length: 32 }, (_, k) => (i + k) & 0xff);
      const tail = Uint8Array.from({ length: 5 + (i % 40) }, (_, k) => (i * 3 + k + 1) & 0xff);
      const at = a.placeWithTail(head, tail);
      head.fill(0); tail.fill(0);
      got.push([a.placed, at, i, 5 + (i % 40)]);
    }
    for (const [chunk, at, i, len] of got) {
      assert.deepEqual(chunk.subarray(at, at + 32), Uint8Array.from({ length: 32 }, (_, k) => (i + k) & 0xff));
      assert.deepEqual(chunk.subarray(at + 32, at + 32 + len), Uint8Array.from({ length: len }, (_, k) => (i * 3 + k + 1) & 0xff));
    }
    assert.ok(new Set(got.map(([c]) => c)).size > 1, 'the run crossed a chunk boundary');
    assert.equal(got[0]![0], got[1]![0], 'slots share their chunk array');
    const at = a.placeWithTail(new Uint8Array(32).fill(1), new Uint8Array(100).fill(2));
    assert.equal(at, 0);
    assert.equal(a.placed.length, 132, 'an oversized pair gets its own buffer');
    assert.deepEqual(a.placed.subarray(32), new Uint8Array(100).fill(2));
  });
});
