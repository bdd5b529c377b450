#!/usr/bin/env -S node --max-old-space-size=2047
// The flags above are CLI_NODE_FLAGS (src/app/runtime.ts: why 2047); a test keeps the two in step.
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  // Typed errors were printed by main; anything else is a bug: one line, the stack only with DHTSCOPE_DEBUG=1.
  process.stderr.write(`dhtscope: internal error: ${e instanceof Error ? e.message : String(e)} (DHTSCOPE_DEBUG=1 shows the stack)\n`);
  if (process.env.DHTSCOPE_DEBUG === '1') process.stderr.write(`${e?.stack ?? ''}\n`);
  process.exitCode = 70;
});
