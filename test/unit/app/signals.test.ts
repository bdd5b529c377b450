import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAST_FLUSH_MS, onSignals, STOP_SIGNALS } from '../../../src/app/signals.js';

test('the first SIGINT, SIGTERM or SIGHUP stops cleanly, a second one exits at once with 130', () => {
  for (const first of STOP_SIGNALS) {
    let stops = 0;
    const exits: number[] = [];
    const errs: string[] = [];
    const off = onSignals(() => { stops++; }, { err: (l) => errs.push(l) }, { exit: (c) => { exits.push(c); } });
    try {
      process.emit(first, first);
      assert.equal(stops, 1, first);
      assert.deepEqual(exits, []);
      process.emit('SIGINT', 'SIGINT');
      assert.equal(stops, 1);
      assert.deepEqual(exits, [130]);
      assert.match(errs[0]!, /second SIGINT: exiting now/);
    } finally {
      off();
    }
    assert.equal(process.listenerCount(first), 0, 'uninstalled');
  }
});

test('with a store, the second signal commits what is queued first (bounded), then exits with 130', async () => {
  const exits: number[] = [];
  const errs: string[] = [];
  let flushed = false;
  const off = onSignals(() => {}, { err: (l) => errs.push(l) }, {
    exit: (c) => { exits.push(c); }, lastFlush: async () => { await new Promise((r) => setTimeout(r, 20)); flushed = true; },
  });
  try {
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(exits, [], 'waits for the flush');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(flushed, true);
    assert.deepEqual(exits, [130]);
    assert.match(errs[0]!, /committing what is queued/);
  } finally {
    off();
  }
});

test('a last flush that hangs is cut off at LAST_FLUSH_MS', async () => {
  const exits: number[] = [];
  const errs: string[] = [];
  const off = onSignals(() => {}, { err: (l) => errs.push(l) }, { exit: (c) => { exits.push(c); }, lastFlush: () => new Promise(() => {}) });
  try {
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setTimeout(r, LAST_FLUSH_MS + 200));
    assert.deepEqual(exits, [130]);
    assert.match(errs[1]!, /did not finish \(timed out\)/);
  } finally {
    off();
  }
});

test('after the last flush the second signal releases the store\'s thread, then exits (a failed flush too)', async () => {
  for (const flushFails of [false, true]) {
    const steps: string[] = [];
    const off = onSignals(() => {}, { err: () => {} }, {
      exit: (c) => { steps.push(`exit ${c}`); },
      lastFlush: async () => { steps.push('flush'); if (flushFails) throw new Error('disk full'); },
      release: async () => { await new Promise((r) => setTimeout(r, 20)); steps.push('release'); },
    });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGHUP', 'SIGHUP');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(steps, ['flush', 'release', 'exit 130'], `flush fails: ${flushFails}`);
    } finally {
      off();
    }
  }
});
