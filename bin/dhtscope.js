#!/usr/bin/env -S node --max-old-space-size=2047
// The flags above are CLI_NODE_FLAGS (src/app/runtime.ts: why 2047); a test keeps the two in step.
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
