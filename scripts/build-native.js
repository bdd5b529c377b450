#!/usr/bin/env node
// Builds the Rust Node-API addon into native/dhtscope.node.
// A missing or failing cargo is not fatal: src/native falls back to TypeScript.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'native', 'dhtscope.node');
const libName = process.platform === 'darwin' ? 'libdhtscope_native.dylib'
  : process.platform === 'win32' ? 'dhtscope_native.dll' : 'libdhtscope_native.so';

if (process.env.DHTSCOPE_NATIVE === '0') {
  console.warn('dhtscope: DHTSCOPE_NATIVE=0, skipping native build (TypeScript fallback will be used)');
  process.exit(0);
}
const r = spawnSync('cargo', ['build', '--release', '--offline', '--quiet'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const built = join(root, 'target', 'release', libName);
if (r.error || r.status !== 0 || !existsSync(built)) {
  const why = r.error ? r.error.message : `cargo exited with ${r.status}`;
  rmSync(out, { force: true });
  console.warn(`dhtscope: native build failed (${why}); the TypeScript fallback will be used`);
  process.exit(0);
}
// Copy then rename: a running dhtscope has the old file mapped, and rewriting it in place crashes that process.
const tmp = `${out}.${process.pid}.tmp`;
copyFileSync(built, tmp);
renameSync(tmp, out);
