import { it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVE_FLAGS } from '../../../src/cli/serve.js';

it('serve listens on loopback unless --host says otherwise', () => {
  assert.equal(SERVE_FLAGS.host!.default, '127.0.0.1');
});
