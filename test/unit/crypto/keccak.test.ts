import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, keccak256Native, keccak256Noble, keccakBackend } from '../../../src/crypto/hash.js';
import { Prng } from '../../../src/util/prng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('keccak256', () => {
  it('matches the known digests of "" and "abc" (original Keccak padding, not SHA3-256)', () => {
    assert.equal(hex(keccak256(new Uint8Array(0))), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    assert.equal(hex(keccak256(new TextEncoder().encode('abc'))), '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  });

  it('native and noble agree on seeded inputs across the 136-byte rate boundary, call after call', { skip: keccakBackend() !== 'native' && 'native keccak not loaded' }, () => {
    // The native path reuses one state per thread: every call must start from a clean state.
    const rng = new Prng(7);
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(rng.int(400));
      for (let j = 0; j < data.length; j++) data[j] = rng.int(256);
      assert.equal(hex(keccak256Native(data)), hex(keccak256Noble(data)), `input ${i}, ${data.length} bytes`);
    }
    const a = keccak256Native(Uint8Array.of(1)), b = keccak256Native(Uint8Array.of(2)), a2 = keccak256Native(Uint8Array.of(1));
    assert.equal(hex(a), hex(a2));
    assert.notEqual(hex(a), hex(b));
  });
});
