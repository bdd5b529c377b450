// The session ends a vantage of a shared campaign keeps for a takeover: bounded by count and age, handed out per
// shard once, and written only where no overlapping session of the node is in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedByOwner, UnownedEnds, unwrittenEnds } from '../../../src/monitor/unowned-ends.js';
import { newTrackedNode, type SessionRow } from '../../../src/monitor/tracker.js';
import { ByteArena } from '../../../src/util/arena.js';
import { toHex } from '../../../src/util/bytes.js';

const arena = new ByteArena();
function end(firstByte: number, startedAtMs: number, endedAtMs: number): SessionRow {
  const id = new Uint8Array(32).fill(firstByte);
  id[31] = startedAtMs & 0xff;
  const node = newTrackedNode(arena, id, '127.0.0.1', 30303, 1n, startedAtMs);
  return {
    node, startedAtMs, lastFailBeforeMs: startedAtMs - 1000, lastOkMs: endedAtMs - 2000, firstFailMs: endedAtMs - 1000, endedAtMs, endReason: 'down',
    answers: 3, failures: 3, open: false, observedStart: true, isNew: false,
  };
}

test('keeps ends per shard, hands them out once, and forgets the old ones', () => {
  const u = new UnownedEnds(100, 10_000);
  u.add(end(1, 0, 5000), 0);
  u.add(end(1, 1, 6000), 5000);
  u.add(end(2, 2, 6000), 5000);
  assert.equal(u.size, 3);
  const got = u.take([1], 12_000);
  assert.deepEqual(got.map((r) => r.startedAtMs), [1], 'the one kept past 10 s is gone; the younger is handed out');
  assert.equal(u.size, 1);
  assert.deepEqual(u.take([1], 12_000), [], 'handed out once');
  assert.equal(u.take([2], 12_000).length, 1);
  assert.equal(u.size, 0);
});

test('stops at its bound, after dropping what is too old', () => {
  const u = new UnownedEnds(2, 1000);
  u.add(end(1, 0, 10), 0);
  u.add(end(2, 1, 10), 0);
  u.add(end(3, 2, 10), 500);
  assert.equal(u.dropped, 1, 'full of live entries: the new one is dropped and counted');
  u.add(end(3, 3, 10), 2000);
  assert.equal(u.dropped, 1, 'old entries of any shard make room');
  assert.equal(u.size, 1);
});

test('an end is written only if no written session of the node overlaps it', () => {
  const a = end(5, 1000, 30_000), b = end(6, 1000, 30_000), c = end(7, 1000, 30_000);
  const written = [
    // Another vantage dated the same session a little later at both ends (it heard of the probes later).
    { nodeIdHex: toHex(a.node.id), startedAtMs: 1001, endedAtMs: 31_500, firstFailMs: 31_000 },
    // An earlier session of b, over before this one began.
    { nodeIdHex: toHex(b.node.id), startedAtMs: 0, endedAtMs: 900, firstFailMs: 800 },
  ];
  assert.deepEqual(unwrittenEnds([a, b, c], written, toHex).map((r) => r.node.id[0]), [6, 7]);
});

test('a session open here that the previous owner closed is closed by its row; an earlier session of the node is not its end', () => {
  const a = end(8, 5000, 0).node, b = end(9, 5000, 0).node, c = end(10, 5000, 0).node;
  a.sessionStartMs = 5000; b.sessionStartMs = 5000; c.sessionStartMs = 5000;
  const written = [
    // The owner dated the same session a little later and closed it at 40 s.
    { nodeIdHex: toHex(a.id), startedAtMs: 5400, endedAtMs: 40_000, firstFailMs: 39_000 },
    // b's session before this one.
    { nodeIdHex: toHex(b.id), startedAtMs: 0, endedAtMs: 4000, firstFailMs: 3500 },
  ];
  const got = closedByOwner([a, b, c], written, toHex);
  assert.deepEqual(got.map((x) => [x.node.id[0], x.closed.endedAtMs]), [[8, 40_000]]);
});
