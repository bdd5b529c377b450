import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fullGc } from '../../../src/util/gc.js';

describe('fullGc', () => {
  it('collects an object dropped before it (node offers a GC without --expose-gc)', async () => {
    let freed = false;
    const reg = new FinalizationRegistry(() => { freed = true; });
    (() => { reg.register(new Uint8Array(1 << 20), 0); })();
    assert.equal(fullGc(), true);
    // Finalizers run on a later task.
    for (let i = 0; i < 20 && !freed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(freed, true);
  });
});
