import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rng, randomBytes } from '../../helpers.js';
import {
  commonPrefixLen, kadId, keyForCpl, keyForPrefix, parsePrefixTable, CRAFTED_KEY_SIZE, KAD_ID_SIZE, MAX_CRAFTED_CPL,
} from '../../../src/libp2p/keys.js';
import { KadError } from '../../../src/util/errors.js';

// js-libp2p kad-dht's own preimage list and refresh code, by path: the package exports only its index.
const kadIndex = import.meta.resolve('@libp2p/kad-dht');
const jsPrefixes: number[] = (await import(new URL('./routing-table/generated-prefix-list.js', kadIndex).href)).default;
const jsRefresh: any = (await import(new URL('./routing-table/refresh.js', kadIndex).href)).RoutingTableRefresh;
const jsUtils: any = await import(new URL('./utils.js', kadIndex).href);

const ENTRIES = 65536;
const tableBytes = readFileSync(new URL('../../../../data/kad-prefix-table.bin', import.meta.url));
const entry = (p: number) => tableBytes.readUInt32BE(p * 4);

/** Independent of keys.ts: node:crypto and the layout spelt out again. */
function hashPrefixOf(counter: number): number {
  const id = Buffer.alloc(34);
  id[0] = 0x12;
  id[1] = 32;
  id.writeUInt32BE(counter, 2);
  return createHash('sha256').update(id).digest().readUInt16BE(0);
}

/** CPL by comparing bit strings, independent of keys.ts's clz32 arithmetic. */
function naiveCpl(a: Uint8Array, b: Uint8Array): number {
  const bits = (x: Uint8Array) => Array.from(x, (v) => v.toString(2).padStart(8, '0')).join('');
  const sa = bits(a);
  const sb = bits(b);
  let n = 0;
  while (n < sa.length && sa[n] === sb[n]) n++;
  return n;
}

const nodeSha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('kad ids and common prefix length', () => {
  it('takes a peer\'s Kademlia ID as SHA-256 of its multihash bytes, as js-libp2p does', async () => {
    const r = rng(1);
    for (let i = 0; i < 20; i++) {
      const id = randomBytes(r, 38);
      assert.deepEqual(kadId(id), await jsUtils.convertBuffer(id));
    }
  });

  it('counts shared leading bits', () => {
    const r = rng(2);
    const a = randomBytes(r, KAD_ID_SIZE);
    assert.equal(commonPrefixLen(a, a), 256);
    for (let bit = 0; bit < 256; bit++) {
      const b = new Uint8Array(a);
      b[bit >> 3] ^= 0x80 >> (bit & 7);
      assert.equal(commonPrefixLen(a, b), bit);
    }
    for (let i = 0; i < 500; i++) {
      const x = randomBytes(r, KAD_ID_SIZE);
      const y = new Uint8Array(x);
      y.set(randomBytes(r, KAD_ID_SIZE).subarray(Math.floor(r() * KAD_ID_SIZE)), 0);
      assert.equal(commonPrefixLen(x, y), naiveCpl(x, y));
    }
    assert.throws(() => commonPrefixLen(a, a.subarray(1)), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_ID_SIZE');
  });
});

describe('kad prefix table', () => {
  it('is 65,536 big-endian uint32 entries and agrees with go-libp2p-kbucket and js-libp2p', () => {
    assert.equal(tableBytes.length, ENTRIES * 4);
    // The first entries of go-libp2p-kbucket v0.9.0's keyPrefixMap (bucket_prefixmap.go), and its row 2.
    assert.deepEqual([0, 1, 2, 3, 16, 17].map(entry), [77591, 94053, 60620, 45849, 740, 6439]);
    assert.equal(jsPrefixes.length, ENTRIES);
    for (let p = 0; p < ENTRIES; p++) assert.equal(entry(p), jsPrefixes[p]);
  });

  it('maps a seeded sample of 2,048 prefixes and whole ranges to preimages of them', () => {
    const r = rng(0x1220);
    const prefixes = new Set<number>();
    while (prefixes.size < 2048) prefixes.add(Math.floor(r() * ENTRIES));
    for (const [lo, hi] of [[0, 512], [0x7f00, 0x8100], [0xfe00, ENTRIES]] as const) {
      for (let p = lo; p < hi; p++) prefixes.add(p);
    }
    for (const p of prefixes) assert.equal(hashPrefixOf(entry(p)), p, `prefix ${p}`);
  });

  it('holds the smallest preimage of every prefix (one pass over all counters up to the largest)', () => {
    let max = 0;
    for (let p = 0; p < ENTRIES; p++) max = Math.max(max, entry(p));
    const first = new Int32Array(ENTRIES).fill(-1);
    for (let n = 0; n <= max; n++) {
      const p = hashPrefixOf(n);
      if (first[p] === -1) first[p] = n;
    }
    for (let p = 0; p < ENTRIES; p++) assert.equal(entry(p), first[p], `prefix ${p}`);
  });

  it('is refused when truncated or edited', () => {
    const tableError = (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_TABLE';
    assert.throws(() => parsePrefixTable(tableBytes.subarray(4)), tableError);
    const edited = new Uint8Array(tableBytes);
    edited[1000] ^= 1;
    assert.throws(() => parsePrefixTable(edited), tableError);
    assert.equal(parsePrefixTable(new Uint8Array(tableBytes)).byteLength, ENTRIES * 4);
  });
});

describe('keyForCpl', () => {
  it('crafts keys whose SHA-256 shares exactly cpl bits with the target, for every cpl 0..15', () => {
    const r = rng(0xcafe);
    for (let t = 0; t < 300; t++) {
      const target = randomBytes(r, KAD_ID_SIZE);
      for (let cpl = 0; cpl <= MAX_CRAFTED_CPL; cpl++) {
        const key = keyForCpl(target, cpl, r);
        assert.equal(key.length, CRAFTED_KEY_SIZE);
        assert.deepEqual([key[0], key[1]], [0x12, 32]);
        assert.ok(key.subarray(6).every((b) => b === 0));
        assert.equal(naiveCpl(nodeSha256(key), target), cpl, `target ${t} cpl ${cpl}`);
      }
    }
  });

  it('uses the free bits: shallow buckets get many keys, cpl 15 exactly one', () => {
    const r = rng(4);
    const target = randomBytes(r, KAD_ID_SIZE);
    const distinct = (cpl: number) => new Set(Array.from({ length: 200 }, () => Buffer.from(keyForCpl(target, cpl, r)).toString('hex'))).size;
    assert.ok(distinct(0) > 150);
    assert.equal(distinct(MAX_CRAFTED_CPL), 1);
  });

  it('makes the key js-libp2p kad-dht\'s refresh makes for the same random bits', () => {
    const r = rng(5);
    for (let i = 0; i < 2000; i++) {
      const target = randomBytes(r, KAD_ID_SIZE);
      const cpl = Math.floor(r() * (MAX_CRAFTED_CPL + 1));
      const random16 = Math.floor(r() * ENTRIES);
      const theirs = jsRefresh.prototype._makePeerId.call(null, target, random16, cpl);
      assert.deepEqual(keyForCpl(target, cpl, () => random16 / ENTRIES), new Uint8Array(theirs));
    }
  });

  it('refuses a cpl it cannot craft and a target of the wrong size', () => {
    const target = new Uint8Array(KAD_ID_SIZE);
    for (const cpl of [-1, 16, 1.5, NaN]) {
      assert.throws(() => keyForCpl(target, cpl, Math.random), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_CPL');
    }
    assert.throws(() => keyForCpl(target.subarray(2), 3, Math.random), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_ID_SIZE');
    assert.throws(() => keyForPrefix(ENTRIES), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_PREFIX');
  });
});
