import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onSignals, STOP_SIGNALS } from '../../../src/cli/signals.js';

test('the first SIGINT, SIGTERM or SIGHUP stops cleanly, a second one exits at once with 130', () => {
  for (const first of STOP_SIGNALS) {
    let stops = 0;
    const exits: number[] = [];
    const errs: string[] = [];
    const off = onSignals(() => { stops++; }, { out: () => {}, err: (l) => errs.push(l), isTty: false }, (c) => { exits.push(c); });
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
