import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI_HEAP_LIMIT_MB, CLI_NODE_FLAGS } from '../../../src/app/runtime.js';

const BIN = fileURLToPath(new URL('../../../../bin/dhtscope.js', import.meta.url));

test('the CLI runs with its node flags: the shebang carries them and the heap limit reaches V8', () => {
  const shebang = readFileSync(BIN, 'utf8').split('\n')[0]!;
  assert.match(shebang, /^#!\/usr\/bin\/env -S node /);
  for (const f of CLI_NODE_FLAGS) assert.ok(shebang.split(' ').includes(f), `${f} missing from ${shebang}`);
  // Executed as a program (as npm's bin link does), not as `node bin/dhtscope.js`.
  const info = JSON.parse(execFileSync(BIN, ['doctor', '--json'], { encoding: 'utf8' })) as { heapLimitMB: number };
  // V8 adds its young generation to the old-space limit it was given.
  assert.ok(info.heapLimitMB >= CLI_HEAP_LIMIT_MB && info.heapLimitMB < CLI_HEAP_LIMIT_MB + 128, `heap limit ${info.heapLimitMB} MB`);
});
