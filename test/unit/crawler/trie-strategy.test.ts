import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TrieStrategy } from '../../../src/crawler/trie-strategy.js';
import { createStrategy, strategyNames } from '../../../src/crawler/strategies.js';
import { createIdTrie, JsIdTrie, trieBackend, type IdTrie } from '../../../src/native/index.js';
import { rng, randomBytes } from '../../helpers.js';

/** True if `id` lies in `peer`'s subtree at log-distance d (same first 256-d bits, differs at bit 256-d). */
function inSubtree(peer: Uint8Array, id: Uint8Array, d: number): boolean {
  const split = 256 - d;
  for (let i = 0; i < split; i++) if (bit(peer, i) !== bit(id, i)) return false;
  return bit(peer, split) !== bit(id, split);
}
const bit = (b: Uint8Array, i: number) => (b[i >>> 3]! >>> (7 - (i & 7))) & 1;

/** `n` random IDs minus those in the peer's subtrees at `holes`. */
function fakeNodes(seed: number, n: number, peer: Uint8Array, holes: number[]): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomBytes(r, 32);
    if (!holes.some((d) => inSubtree(peer, id, d))) out.push(id);
  }
  return out;
}

const BACKENDS: Array<[string, () => IdTrie]> = [['default backend', () => createIdTrie()], ['TypeScript fallback', () => new JsIdTrie()]];

for (const [label, make] of BACKENDS) {
  describe(`trie strategy (${label})`, () => {
    const peer = randomBytes(rng(99), 32);

    it('asks toward the unexplored subtree of the peer', () => {
      for (const hole of [256, 254, 252]) {
        const s = new TrieStrategy({ trie: make() });
        for (const id of fakeNodes(hole, 4096, peer, [hole])) s.onDiscovered(id);
        const plan = s.plan({ id: peer, visits: 0 });
        assert.deepEqual(plan, [[hole]], `hole at ${hole}`);
      }
    });

    it('prefers the biggest deficit and ignores subtrees too sparse to fill a bucket', () => {
      // 255's subtree lost half its IDs, 253's all; 248's subtree (~8 IDs) is empty but could never fill a reply.
      const s = new TrieStrategy({ trie: make() });
      const r = rng(7);
      for (const id of fakeNodes(3, 8192, peer, [253, 248])) if (!inSubtree(peer, id, 255) || r() < 0.5) s.onDiscovered(id);
      assert.equal(s.minDistance(), 250); // ~7,000 IDs: subtrees at 250 should hold ~55, at 249 ~27 (< 32)
      assert.deepEqual(s.plan({ id: peer, visits: 0 }), [[253]]);
      const s2 = new TrieStrategy({ trie: make() });
      for (const id of fakeNodes(3, 8192, peer, [248])) s2.onDiscovered(id);
      const [[d]] = s2.plan({ id: peer, visits: 0 }) as [[number]];
      assert.ok(d >= s2.minDistance() && d !== 248, `asked ${d}`);
    });

    it('different peers get distances toward their own holes', () => {
      const other = Uint8Array.from(peer);
      other[0]! ^= 0x80; // the other half of the ID space
      const s = new TrieStrategy({ trie: make() });
      for (const id of fakeNodes(5, 4096, peer, [254])) if (!inSubtree(other, id, 253)) s.onDiscovered(id);
      assert.deepEqual(s.plan({ id: peer, visits: 0 }), [[254]]);
      assert.deepEqual(s.plan({ id: other, visits: 0 }), [[253]]);
    });

    it('asks the farthest bucket while it knows too few IDs to judge, and one FINDNODE per visit', () => {
      const s = new TrieStrategy({ trie: make() });
      assert.deepEqual(s.plan({ id: peer, visits: 0 }), [[256]]);
      for (const id of fakeNodes(11, 2000, peer, [])) s.onDiscovered(id);
      assert.equal(s.seen, 2000);
      for (let i = 0; i < 50; i++) {
        const p = s.plan({ id: randomBytes(rng(i + 1), 32), visits: 0 });
        assert.equal(p.length, 1);
        assert.equal(p[0]!.length, 1);
        assert.ok(p[0]![0]! >= s.minDistance() && p[0]![0]! <= 256);
      }
    });

    it('switches to enumerating the ~16-ID neighbourhood once visits stop bringing new IDs', () => {
      const s = new TrieStrategy({ trie: make() });
      for (const id of fakeNodes(13, 4096, peer, [])) s.onDiscovered(id);
      for (let i = 0; i < 249; i++) s.plan({ id: peer, visits: 0 });
      assert.equal(s.enumerating, false); // the first window counts the 4096 discoveries
      for (let i = 0; i < 251; i++) s.plan({ id: peer, visits: 0 });
      assert.equal(s.enumerating, true); // the second window of 250 visits brought nothing new
      assert.equal(s.yieldPerVisit, 0);
      // 4096 IDs: subtrees at distance 249 hold 4096 / 2^8 = 16.
      assert.deepEqual(s.plan({ id: peer, visits: 0 }), [[249, 248, 247]]);
    });
  });
}

describe('trie strategy registration and backends', () => {
  it('registers as "trie" at module load', () => {
    assert.ok(strategyNames().includes('trie'));
    const s = createStrategy('trie');
    assert.equal(s.name, 'trie');
    assert.equal(s.stopAfterEmpty, false);
    assert.equal(typeof s.onDiscovered, 'function');
    assert.ok(s instanceof TrieStrategy);
    if (trieBackend() === 'js') assert.ok((s as TrieStrategy).trie instanceof JsIdTrie);
  });

  it('works with DHTSCOPE_NATIVE=0 (TypeScript trie)', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const mod = (p: string) => JSON.stringify(pathToFileURL(join(here, '..', '..', '..', 'src', p)).href);
    const script = `
      const { createStrategy } = await import(${mod('crawler/strategies.js')});
      const { TrieStrategy } = await import(${mod('crawler/trie-strategy.js')});
      const { JsIdTrie, trieBackend } = await import(${mod('native/index.js')});
      const s = createStrategy('trie');
      const peer = new Uint8Array(32).fill(0x5a);
      let x = 1;
      const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 0xff; };
      for (let i = 0; i < 4096; i++) {
        const id = Uint8Array.from({ length: 32 }, next);
        if ((id[0] >> 4) === (peer[0] >> 4) && ((id[0] >> 3) & 1) !== ((peer[0] >> 3) & 1)) continue; // hole at 252
        s.onDiscovered(id);
      }
      console.log(JSON.stringify({ backend: trieBackend(), js: s instanceof TrieStrategy && s.trie instanceof JsIdTrie, plan: s.plan({ id: peer, visits: 0 }) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DHTSCOPE_NATIVE: '0' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(r.backend, 'js');
    assert.equal(r.js, true);
    assert.deepEqual(r.plan, [[252]]);
  });
});
