import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kaplanMeier, quantile, survivalQuantile } from '../../../src/monitor/survival.js';

describe('session survival', () => {
  it('without censoring, Kaplan–Meier is the empirical survival function', () => {
    const km = kaplanMeier([3, 1, 2, 4], [true, true, true, true]);
    assert.deepEqual(km.map((s) => [s.t, s.survival]), [[1, 0.75], [2, 0.5], [3, 0.25], [4, 0]]);
    assert.equal(survivalQuantile(km, 0.5), 2);
  });

  it('censored sessions leave the risk set without a drop (textbook example)', () => {
    // Durations 6, 6, 6, 7, 10 ended; 6+, 9+, 10+ censored (Kalbfleisch-Prentice style small sample).
    const d = [6, 6, 6, 6, 7, 9, 10, 10];
    const e = [true, true, true, false, true, false, true, false];
    const km = kaplanMeier(d, e);
    // t=6: 8 at risk, 3 ends -> 5/8; t=7: 4 at risk (one censored at 6), 1 end -> 5/8*3/4; t=10: 2 at risk, 1 end -> *1/2.
    assert.deepEqual(km.map((s) => s.t), [6, 7, 10]);
    assert.ok(Math.abs(km[0]!.survival - 5 / 8) < 1e-12);
    assert.ok(Math.abs(km[1]!.survival - (5 / 8) * (3 / 4)) < 1e-12);
    assert.ok(Math.abs(km[2]!.survival - (5 / 8) * (3 / 4) * (1 / 2)) < 1e-12);
    assert.equal(km[1]!.atRisk, 4);
    assert.equal(survivalQuantile(km, 0.5), 7);
  });

  it('the median is null when fewer than half of the sessions ever end', () => {
    const km = kaplanMeier([1, 5, 5, 5], [true, false, false, false]);
    assert.equal(survivalQuantile(km, 0.5), null);
  });

  it('quantile interpolates', () => {
    assert.equal(quantile([], 0.5), null);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([10], 0.9), 10);
  });
});
