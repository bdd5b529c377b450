import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { CrawlNode, NodeIndex } from '../../../src/crawler/nodes.js';
import { ByteArena } from '../../../src/util/arena.js';
import { logDistance } from '../../../src/util/bytes.js';

const arena = new ByteArena(4096);

/** A node whose slot is [ID | 33-byte public key] (the enode-bootnode layout): enough for the index. */
function node(pk: Uint8Array, idByte: number): CrawlNode {
  const at = arena.placeWithTail(new Uint8Array(32).fill(idByte), pk);
  return new CrawlNode(arena.placed, at, 0n, 0, 0, Date.now(), 1);
}

function key(seed: number): Uint8Array {
  const k = new Uint8Array(33);
  k[0] = 2 + (seed & 1);
  for (let i = 1; i < 33; i++) k[i] = (Math.imul(seed + 1, 2654435761) >>> (i % 24)) ^ (i * 31 + seed);
  return k;
}

describe('NodeIndex', () => {
  it('finds, lists and deletes nodes by public key, at any offset in a buffer', () => {
    const ix = new NodeIndex();
    const nodes = Array.from({ length: 5000 }, (_, i) => node(key(i), i & 0xff));
    for (const n of nodes) ix.add(n);
    assert.equal(ix.size, 5000);
    for (let i = 0; i < 5000; i += 7) {
      const buf = new Uint8Array(50);
      buf.set(key(i), 9);
      assert.equal(ix.get(buf, 9), nodes[i]);
    }
    assert.equal(ix.get(key(99999), 0), undefined);
    assert.ok(ix.delete(nodes[10]!));
    assert.ok(!ix.delete(nodes[10]!), 'a second delete finds nothing');
    assert.equal(ix.get(key(10), 0), undefined);
    assert.equal(ix.size, 4999);
    assert.equal(new Set(ix.values()).size, 4999);
  });

  it('keeps nodes whose keys share the hashed bytes apart (a collision chain)', () => {
    const ix = new NodeIndex();
    const base = key(1);
    // Same parity and x bytes 1..8, different tails: the same hash whatever the salt.
    const keys = Array.from({ length: 4 }, (_, i) => { const k = base.slice(); k[32] = i; return k; });
    const nodes = keys.map((k, i) => node(k, i));
    for (const n of nodes) ix.add(n);
    keys.forEach((k, i) => assert.equal(ix.get(k, 0), nodes[i]));
    assert.ok(ix.delete(nodes[1]!));
    assert.equal(ix.get(keys[1]!, 0), undefined);
    assert.equal(ix.get(keys[2]!, 0), nodes[2]);
    assert.ok(ix.delete(nodes[0]!) && ix.delete(nodes[3]!));
    assert.equal(ix.get(keys[2]!, 0), nodes[2], 'a chain down to one node still finds it');
    assert.deepEqual([...ix.values()], [nodes[2]]);
    assert.equal(ix.size, 1);
  });

  it('a node reads its ID, public key and record from its slot, and a new record moves it', () => {
    const pk = key(3);
    const n = node(pk, 0xab);
    assert.deepEqual(n.id, new Uint8Array(32).fill(0xab));
    assert.deepEqual(n.pubkey, pk);
    assert.equal(n.raw, null, 'an enode bootnode has no record');
    assert.ok(n.pubkeyEquals(pk, 0));
    n.rtt1Ms = 12.3456;
    assert.equal(n.rtt1Ms, 12.346);
    assert.equal(n.rtt2Ms, null, 'no rtt2 before a visit');
    n.rtt2Ms = 7.0004;
    assert.equal(n.rtt2Ms, 7);
    const t = Date.now();
    assert.equal(new CrawlNode(arena.placed, 0, 0n, 0, 0, t, 1).firstSeenMs, t);
  });
});

test('a node\'s log-distance to an ID reads its slot as logDistance reads two IDs', () => {
  const slab = new Uint8Array(96);
  for (const [a, b] of [[0, 0], [0x80, 0], [0, 1], [0x7f, 0x7e]] as const) {
    const id = new Uint8Array(32).fill(a), other = new Uint8Array(32).fill(b);
    slab.set(id, 10);
    const n = new CrawlNode(slab, 10, 1n, 0, 0, Date.now(), 1);
    assert.equal(n.logDistanceTo(other), logDistance(id, other));
  }
});
