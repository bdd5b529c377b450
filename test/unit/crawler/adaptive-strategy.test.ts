import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveStrategy } from '../../../src/crawler/adaptive-strategy.js';
import { createStrategy, strategyNames } from '../../../src/crawler/strategies.js';
import { DEFAULT_CRAWL_CONFIG } from '../../../src/crawler/config.js';
import type { StrategyReply } from '../../../src/crawler/strategy.js';
import { rng, randomBytes } from '../../helpers.js';

/** A copy of `base` whose first `bits` bits are kept and the rest drawn from `r`. */
function sharing(base: Uint8Array, bits: number, r: () => number): Uint8Array {
  const out = randomBytes(r, 32);
  for (let i = 0; i < bits; i++) {
    const byte = i >>> 3, mask = 0x80 >>> (i & 7);
    out[byte] = (out[byte]! & ~mask) | (base[byte]! & mask);
  }
  return out;
}

/** A strategy that has seen `n` random IDs. */
function seeded(n: number, opts: ConstructorParameters<typeof AdaptiveStrategy>[0] = {}, seed = 1): AdaptiveStrategy {
  const s = new AdaptiveStrategy(opts);
  const r = rng(seed);
  for (let i = 0; i < n; i++) s.onDiscovered(randomBytes(r, 32));
  return s;
}

const reply = (id: Uint8Array, asked: number[][], records: number, o: Partial<StrategyReply> = {}): StrategyReply =>
  ({ id, asked, pending: 0, ok: true, records, complete: true, ...o });

describe('adaptive strategy', () => {
  const r = rng(42);

  it('asks one distance per visit, rotating over the buckets the trie expects to be full', () => {
    const empty = new AdaptiveStrategy();
    assert.deepEqual(empty.plan({ id: randomBytes(r, 32), visits: 0 }), [[256]]);
    const s = seeded(4096);
    const min = s.holes.minDistance();
    assert.equal(min, 250); // 4,096 IDs: the subtree at 250 should hold 32 (2x a full bucket), at 249 only 16
    const asked = Array.from({ length: 14 }, () => s.plan({ id: randomBytes(r, 32), visits: 0 }));
    for (const p of asked) assert.equal(p.length, 1);
    // Every full bucket in turn, so that neighbours do not all ask the same one.
    assert.deepEqual(asked.map((p) => p[0]![0]), [256, 255, 254, 253, 252, 251, 250, 256, 255, 254, 253, 252, 251, 250]);
  });

  it('reads the whole table of a node whose whole first reply held less than a full bucket', () => {
    const s = new AdaptiveStrategy();
    const id = randomBytes(r, 32);
    const reads = s.onReply(reply(id, [[256]], 3))!;
    assert.ok(reads.every((q) => q.length <= 3 && q.length > 0));
    assert.deepEqual(reads.flat(), Array.from({ length: 17 }, (_, i) => 255 - i)); // 255..239
    assert.equal(s.extra.table, reads.length);
    // Some of its packets were lost: the short count proves nothing, so no table read.
    const lossy = s.onReply(reply(randomBytes(r, 32), [[256]], 3, { complete: false }));
    assert.ok(lossy === null || lossy.length === 1, 'at most a region read');
  });

  it('reads each region once, at the 3 distances where its buckets hold it whole', () => {
    const s = seeded(4096, { sightingsTarget: 0 });
    // 4,096 IDs: regions of 16 records share 8 bits; the read asks 248 (their half), 247 and 246.
    assert.equal(s.regionDepth(), 8);
    const a = randomBytes(r, 32);
    assert.deepEqual(s.onReply(reply(a, [[256]], 16)), [[248, 247, 246]]);
    // Another node in the region: already read. One in another region: read.
    assert.equal(s.onReply(reply(sharing(a, 8, r), [[255]], 16)), null);
    const other = Uint8Array.from(a);
    other[0]! ^= 0x01; // differs at bit 7: another region
    assert.deepEqual(s.onReply(reply(other, [[254]], 16)), [[248, 247, 246]]);
    assert.equal(s.extra.region, 2);
    // Only the first reply of a visit may start one.
    assert.equal(s.onReply(reply(sharing(a, 4, r), [[256], [200]], 16)), null);
  });

  it('keeps a read from one level up when the network grows, not from two', () => {
    const s = seeded(4096, { sightingsTarget: 0 });
    const a = randomBytes(r, 32);
    assert.deepEqual(s.onReply(reply(a, [[256]], 16)), [[248, 247, 246]]);
    for (let i = 0; i < 4096; i++) s.onDiscovered(randomBytes(r, 32));
    assert.equal(s.regionDepth(), 9);
    // a's read at depth 8 asked this region's half and quarter whole: still counted.
    assert.equal(s.onReply(reply(sharing(a, 9, r), [[256]], 16)), null);
    for (let i = 0; i < 8192; i++) s.onDiscovered(randomBytes(r, 32));
    assert.equal(s.regionDepth(), 10);
    assert.deepEqual(s.onReply(reply(sharing(a, 10, r), [[256]], 16)), [[246, 245, 244]]);
  });

  it('asks live nodes more distances while records come back fewer than the target times per visit', () => {
    const s = seeded(4096, { sightingsTarget: 8, regionReads: false });
    // 10 visits planned: 80 records wanted.
    const ids = Array.from({ length: 10 }, () => randomBytes(r, 32));
    const plans = ids.map((id) => s.plan({ id, visits: 0 }));
    const a = s.onReply(reply(ids[0]!, plans[0]!, 16))!;
    assert.equal(a.length, 1);
    assert.equal(a[0]!.length, 1);
    const d = a[0]![0]!;
    assert.ok(d !== plans[0]![0]![0] && d >= s.holes.minDistance() && d <= 256, `asked ${d}`);
    const b = s.onReply(reply(ids[1]!, plans[1]!, 16))!; // 32 returned + 16 promised
    assert.equal(b.length, 1);
    // 48 returned and 2 full buckets on the way: the count is met, so no third request.
    assert.equal(s.onReply(reply(ids[2]!, plans[2]!, 16)), null);
    assert.equal(s.extra.sightings, 2);
    // Both failed: what they promised no longer counts, so the deficit shows again.
    assert.equal(s.onReply(reply(ids[0]!, [plans[0]![0]!, a[0]!], 0, { ok: false, complete: false })), null);
    assert.equal(s.onReply(reply(ids[1]!, [plans[1]![0]!, b[0]!], 0, { ok: false, complete: false })), null);
    assert.notEqual(s.onReply(reply(ids[3]!, plans[3]!, 16)), null);
  });

  it('never asks a node a distance twice, and stops when its full buckets run out', () => {
    const s = seeded(4096, { sightingsTarget: 1000, regionReads: false });
    const id = randomBytes(r, 32);
    const asked = s.plan({ id, visits: 0 });
    for (let out = s.onReply(reply(id, asked, 16)); out; out = s.onReply(reply(id, asked, 16))) asked.push(...out);
    const ds = asked.map((q) => { assert.equal(q.length, 1); return q[0]!; });
    assert.deepEqual([...ds].sort((x, y) => y - x), [256, 255, 254, 253, 252, 251, 250]);
  });

  it('asks nothing more of a node that failed, or while its visit has requests planned', () => {
    const s = seeded(4096);
    const id = randomBytes(r, 32);
    for (let i = 0; i < 100; i++) s.plan({ id: randomBytes(r, 32), visits: 0 });
    assert.equal(s.onReply(reply(id, [[256]], 0, { ok: false, complete: false })), null);
    assert.equal(s.onReply(reply(id, [[256], [255]], 16, { pending: 1 })), null);
    assert.deepEqual(s.extra, { table: 0, region: 0, sightings: 0 });
  });

  it('is the registered default', () => {
    assert.ok(strategyNames().includes('adaptive'));
    assert.equal(DEFAULT_CRAWL_CONFIG.strategy, 'adaptive');
    const s = createStrategy('adaptive');
    assert.ok(s instanceof AdaptiveStrategy);
    assert.equal(s.stopAfterEmpty, false);
  });
});
