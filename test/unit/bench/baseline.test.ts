import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coverageAt, measuredLive, timeToFraction } from '../../../bench/baseline-chainsafe.js';

// Answers as the baseline child reports them: [node id hex, ms since the crawl's start].
const run = { measured: [['aa', 100], ['bb', 250], ['cc', 400], ['dead', 50]] as [string, number][] };
const live = ['AA', '0xbb', 'cc', 'dd'];

test('the baseline is read against the live set: coverage at a time, time to a share, live answered', () => {
  assert.equal(measuredLive(run, live), 3);
  assert.equal(coverageAt(run, live, 0), 0);
  assert.equal(coverageAt(run, live, 250), 0.5, 'ids match case- and 0x-insensitively; a dead node does not count');
  assert.equal(coverageAt(run, live, 10_000), 0.75);
  assert.equal(timeToFraction(run, live, 0.5), 250);
  assert.equal(timeToFraction(run, live, 0.99), null, 'never reached');
});
