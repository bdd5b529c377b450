import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HISTOGRAM_BUCKETS, LogHistogram } from '../../../src/util/histogram.js';

/** A bucket's upper edge is at most 2^(1/8) above the values in it. */
const BUCKET_RATIO = 2 ** (1 / 8);

describe('log histogram', () => {
  it('reads percentiles within one bucket above the true value, capped at the largest', () => {
    const h = new LogHistogram();
    assert.equal(h.quantile(0.5), null);
    for (let i = 1; i <= 1000; i++) h.add(i / 10);
    const p50 = h.quantile(0.5)!, p99 = h.quantile(0.99)!;
    assert.ok(p50 >= 50 && p50 <= 50 * BUCKET_RATIO, `p50 ${p50}`);
    assert.ok(p99 >= 99 && p99 <= 99 * BUCKET_RATIO, `p99 ${p99}`);
    assert.equal(h.quantile(1), 100);
    assert.deepEqual(h.summary().n, 1000);
  });

  it('puts zero, negative and huge values in the end buckets and keeps a fixed size', () => {
    const h = new LogHistogram();
    h.add(0); h.add(-5); h.add(1e12);
    assert.equal(h.count, 3);
    assert.equal(h.toJSON().counts.length, HISTOGRAM_BUCKETS);
    assert.ok(h.quantile(0.5)! <= 2 ** -10);
    assert.equal(h.quantile(1), 1e12);
  });

  it('merges by bucket', () => {
    const a = new LogHistogram(), b = new LogHistogram();
    for (let i = 0; i < 10; i++) a.add(1);
    for (let i = 0; i < 30; i++) b.add(100);
    a.merge(b.toJSON());
    assert.equal(a.count, 40);
    const q25 = a.quantile(0.25)!;
    assert.ok(q25 >= 1 && q25 <= BUCKET_RATIO, `q25 ${q25}`);
    assert.equal(a.quantile(0.5), 100);
  });
});
