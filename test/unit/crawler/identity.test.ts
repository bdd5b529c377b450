import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdentity, IdentityError } from '../../../src/crawler/identity.js';
import { toHex } from '../../../src/util/bytes.js';

const realFsync = fs.fsyncSync, realOpen = fs.openSync;
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-key-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function code(fn: () => unknown): { code: string; message: string } {
  try { fn(); } catch (e) {
    assert.ok(e instanceof IdentityError, String(e));
    assert.doesNotMatch(e.message, /\n/);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected an IdentityError');
}

test('a new key is created private (0600) in a private folder, with no temporary file left, and reused', () => {
  const f = join(dir, 'sub', 'crawler.key');
  const a = loadIdentity(f, false);
  assert.equal(statSync(f).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['crawler.key']);
  assert.equal(toHex(loadIdentity(f, false).id), toHex(a.id));
});

test('a key others can read, a directory, a zero key or junk are refused with one line naming the file', () => {
  const open = join(dir, 'open.key');
  writeFileSync(open, 'ab'.repeat(32) + '\n', { mode: 0o644 });
  chmodSync(open, 0o644);
  const e = code(() => loadIdentity(open, false));
  assert.equal(e.code, 'ERR_IDENTITY_KEY_PERMISSIONS');
  assert.match(e.message, /chmod 600/);
  mkdirSync(join(dir, 'adir.key'));
  assert.equal(code(() => loadIdentity(join(dir, 'adir.key'), false)).code, 'ERR_IDENTITY_BAD_KEYFILE');
  const zero = join(dir, 'zero.key');
  writeFileSync(zero, '00'.repeat(32), { mode: 0o600 });
  assert.match(code(() => loadIdentity(zero, false)).message, /zero\.key holds no valid secp256k1 key/);
  const junk = join(dir, 'junk.key');
  writeFileSync(junk, 'hello', { mode: 0o600 });
  assert.equal(code(() => loadIdentity(junk, false)).code, 'ERR_IDENTITY_BAD_KEYFILE');
});

test('crawlers that start at once with no key file end up with one identity', async () => {
  const f = join(dir, 'race', 'crawler.key');
  const mod = new URL('../../../src/crawler/identity.js', import.meta.url).href;
  const script = `const { loadIdentity } = await import(${JSON.stringify(mod)}); const { toHex } = await import(${JSON.stringify(new URL('../../../src/util/bytes.js', import.meta.url).href)});
    process.stdout.write(toHex(loadIdentity(${JSON.stringify(f)}, false).id));`;
  const ids = await Promise.all(Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
  })));
  assert.equal(new Set(ids).size, 1, ids.join(' '));
  assert.equal(ids[0], toHex(loadIdentity(f, false).id));
});

test('a new key reaches the disk before its name does: written to an O_EXCL temporary file and synced', (t) => {
  let synced = 0;
  t.mock.method(fs, 'fsyncSync', (fd: number) => { synced++; realFsync(fd); });
  const opened: string[] = [];
  t.mock.method(fs, 'openSync', (...a: Parameters<typeof fs.openSync>) => { opened.push(`${String(a[0])}|${String(a[1])}`); return realOpen(...a); });
  syncBuiltinESMExports();
  try {
    loadIdentity(join(dir, 'synced', 'crawler.key'), false);
  } finally {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  }
  assert.ok(opened.some((o) => /crawler\.key\.\d+\.\d+\.tmp\|wx$/.test(o)), `opened ${opened.join(', ')}`);
  assert.ok(synced >= 1, 'the key file was synced');
});

test('a directory, a FIFO or (not as root) an unreadable file: one line naming the file and what is wrong', (t) => {
  const d = join(dir, 'folder.key');
  mkdirSync(d);
  assert.match(code(() => loadIdentity(d, false)).message, /folder\.key is a directory/);
  const fifo = join(dir, 'fifo.key');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const f = code(() => loadIdentity(fifo, false));
  assert.equal(f.code, 'ERR_IDENTITY_BAD_KEYFILE');
  assert.match(f.message, /fifo\.key is not a regular file/);
  if (process.getuid?.() === 0) { t.diagnostic('root reads any file: the unreadable case is skipped'); return; }
  const locked = join(dir, 'locked.key');
  writeFileSync(locked, 'ab'.repeat(32), { mode: 0o600 });
  chmodSync(locked, 0o200);
  const e = code(() => loadIdentity(locked, false));
  assert.equal(e.code, 'ERR_IDENTITY_BAD_KEYFILE');
  assert.match(e.message, /locked\.key: EACCES/);
});
