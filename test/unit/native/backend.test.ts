// Backend selection: env override, missing addon fallback, one warning per
// process. Each case runs in a child process because the loader caches and
// the warning flag is process-global.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createIdTrie, loadNativeAddon, trieBackend, trimNativeHeap } from '../../../src/native/index.js';

/** dist/src/native, seen from dist/test/unit/native. */
const COMPILED_NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'native');
const CHILD_TIMEOUT_MS = 10_000;

const MiB = 1024 * 1024;
/** 100 dropped tries of 20k ids would pin ~175 MiB if finalizers never freed them. */
const LEAK_ROUNDS = 100;
const LEAK_IDS = 20_000;
const LEAK_LIMIT_BYTES = 80 * MiB;

/** Imports the trie module in a fresh node, calls trieBackend() twice, prints the result. */
function runChild(indexJs: string, env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const script = `
    const m = await import(${JSON.stringify(pathToFileURL(indexJs).href)});
    const a = m.trieBackend(); const b = m.trieBackend();
    const t = m.createIdTrie(); t.insert(new Uint8Array(32));
    console.log(JSON.stringify({ a, b, ctor: t.constructor.name, size: t.size() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
  });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('trie backend selection', () => {
  it('uses native exactly when the addon loads', () => {
    const load = loadNativeAddon();
    assert.equal(trieBackend(), load.ok ? 'native' : 'js');
    assert.equal(createIdTrie().constructor.name, load.ok ? 'NativeIdTrie' : 'JsIdTrie');
  });

  it('DHTSCOPE_NATIVE=0 forces the fallback and says so once', () => {
    const { stdout, stderr } = runChild(join(COMPILED_NATIVE_DIR, 'index.js'), { DHTSCOPE_NATIVE: '0' });
    assert.deepEqual(JSON.parse(stdout), { a: 'js', b: 'js', ctor: 'JsIdTrie', size: 1 });
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /forced/);
  });

  it('falls back with one warning when the addon is not built', () => {
    // A package root named dhtscope with the compiled modules but no native/dhtscope.node.
    const root = mkdtempSync(join(tmpdir(), 'dhtscope-nonative-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'dhtscope', type: 'module' }));
      const dir = join(root, 'dist', 'src', 'native');
      cpSync(COMPILED_NATIVE_DIR, dir, { recursive: true });
      const { stdout, stderr } = runChild(join(dir, 'index.js'), { DHTSCOPE_NATIVE: '' });
      assert.deepEqual(JSON.parse(stdout), { a: 'js', b: 'js', ctor: 'JsIdTrie', size: 1 });
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, /warning: native trie unavailable .*not built/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('loads the built addon without any warning', { skip: loadNativeAddon().ok ? false : 'native addon not built' }, () => {
    const { stdout, stderr } = runChild(join(COMPILED_NATIVE_DIR, 'index.js'), { DHTSCOPE_NATIVE: '' });
    assert.deepEqual(JSON.parse(stdout), { a: 'native', b: 'native', ctor: 'NativeIdTrie', size: 1 });
    assert.equal(stderr, '');
  });

  it('frees dropped native tries (finalizers run, no double free)', { skip: loadNativeAddon().ok ? false : 'native addon not built' }, () => {
    const script = `
      const m = await import(${JSON.stringify(pathToFileURL(join(COMPILED_NATIVE_DIR, 'index.js')).href)});
      const load = m.loadNativeAddon();
      const ids = new Uint8Array(${LEAK_IDS} * 32);
      for (let i = 0; i < ids.length; i++) ids[i] = (i * 2654435761) >>> 11;
      const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setImmediate(r)); } };
      await settle();
      const before = process.memoryUsage().rss;
      // Keep one detached method alive: it must stay usable after its object is gone.
      let has = null;
      for (let round = 0; round < ${LEAK_ROUNDS}; round++) {
        const t = load.addon.createTrie();
        t.insertBatch(ids);
        if (round === 0) has = t.has;
        if (round % 10 === 9) await settle();
      }
      await settle();
      console.log(JSON.stringify({ grown: process.memoryUsage().rss - before, hit: has(ids.subarray(0, 32)) }));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      env: { ...process.env, DHTSCOPE_NATIVE: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const { grown, hit } = JSON.parse(r.stdout) as { grown: number; hit: boolean };
    assert.equal(hit, true);
    assert.ok(grown < LEAK_LIMIT_BYTES, `RSS grew ${(grown / MiB).toFixed(1)} MiB over ${LEAK_ROUNDS} dropped tries`);
  });
});

describe('trimNativeHeap', () => {
  it('returns a boolean with or without the addon, and never throws', () => {
    assert.equal(typeof trimNativeHeap(), 'boolean');
  });

  it('is backed by the addon on glibc Linux', { skip: loadNativeAddon().ok && process.platform === 'linux' ? false : 'native addon not built' }, () => {
    const load = loadNativeAddon();
    assert.ok(load.ok);
    assert.equal(typeof load.addon.trimMalloc, 'function', 'the addon predates trimMalloc: run npm run build:native');
  });
});
