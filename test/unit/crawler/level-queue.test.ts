import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LevelQueue } from '../../../src/crawler/level-queue.js';

interface N { name: string; sightings: number; waiting: boolean }
const node = (name: string, sightings = 1): N => ({ name, sightings, waiting: true });
const drain = (q: LevelQueue<N>): string[] => {
  const out: string[] = [];
  for (let n = q.shift(); n; n = q.shift()) { n.waiting = false; out.push(n.name); }
  return out;
};

describe('LevelQueue', () => {
  it('serves the highest level first, FIFO within a level', () => {
    const q = new LevelQueue<N>(4, (n) => n.waiting);
    for (const n of [node('a'), node('b', 3), node('c'), node('d', 3), node('e', 2)]) q.push(n);
    assert.deepEqual(drain(q), ['b', 'd', 'e', 'a', 'c']);
    assert.equal(q.length, 0);
  });

  it('moves a waiting node up when it is seen again; its old entry is skipped', () => {
    const q = new LevelQueue<N>(4, (n) => n.waiting);
    const a = node('a'), b = node('b'), c = node('c');
    q.push(a); q.push(b); q.push(c);
    q.seenAgain(c, c.sightings++);
    assert.equal(q.length, 4, 'c has a stale entry at level 0 and a live one at level 1');
    assert.deepEqual(drain(q), ['c', 'a', 'b']);
    assert.equal(q.length, 0, 'the stale entry left with the drain');
  });

  it('caps the level: counts above it share the top, so a node has at most one entry per level', () => {
    const q = new LevelQueue<N>(2, (n) => n.waiting);
    const a = node('a'), b = node('b');
    q.push(a); q.push(b);
    for (let i = 0; i < 10; i++) q.seenAgain(a, a.sightings++);
    q.seenAgain(b, b.sightings++);
    assert.equal(q.length, 4, 'a: levels 0 and 1 only, however often it is seen; b: the same');
    assert.deepEqual(drain(q), ['a', 'b']);
  });

  it('skips nodes that stopped waiting, and ignores sightings of nodes not waiting', () => {
    const q = new LevelQueue<N>(3, (n) => n.waiting);
    const a = node('a'), b = node('b');
    q.push(a); q.push(b);
    a.waiting = false;
    q.seenAgain(a, a.sightings++);
    assert.equal(q.peek()?.name, 'b');
    assert.equal(q.length, 1, 'peek dropped a\'s stale entry');
    assert.deepEqual(drain(q), ['b']);
    assert.equal(q.peek(), undefined);
    assert.throws(() => new LevelQueue<N>(0, () => true), RangeError);
  });
});
