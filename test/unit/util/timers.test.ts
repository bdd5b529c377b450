import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setLongTimeout, MAX_TIMER_MS } from '../../../src/util/timers.js';
import { parseDurationMs } from '../../../src/util/args.js';

test('a long timeout is chained from steps the runtime allows, fires once, and can be cleared', async () => {
  const t0 = performance.now();
  const fired = await new Promise<number>((resolve) => { setLongTimeout(() => resolve(performance.now() - t0), 35, 10); });
  assert.ok(fired >= 34, `fired after ${fired} ms`);
  let called = false;
  const t = setLongTimeout(() => { called = true; }, 30, 10);
  await new Promise((r) => setTimeout(r, 15));
  t.clear();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(called, false);
  // A delay past setTimeout's limit does not fire at once (setTimeout alone would, after 1 ms).
  let early = false;
  const big = setLongTimeout(() => { early = true; }, MAX_TIMER_MS + 1000);
  await new Promise((r) => setTimeout(r, 20));
  big.clear();
  assert.equal(early, false);
});

test('durations take ms, s, m, h and d, up to 366 days', () => {
  assert.equal(parseDurationMs('600h', 'duration'), 600 * 3_600_000);
  assert.ok(parseDurationMs('600h', 'duration') > MAX_TIMER_MS);
  assert.equal(parseDurationMs('7d', 'duration'), 7 * 86_400_000);
  assert.equal(parseDurationMs('90', 'duration'), 90_000);
  assert.throws(() => parseDurationMs('367d', 'duration'), /at most 366d/);
  assert.throws(() => parseDurationMs('0s', 'duration'), /more than 0/);
  assert.throws(() => parseDurationMs('1w', 'duration'), /not a duration/);
});
