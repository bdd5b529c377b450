import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatHelp, parseArgs, type FlagSpecs } from '../../../src/util/args.js';
import { CRAWL_FLAGS } from '../../../src/cli/crawl.js';
import { MONITOR_FLAGS } from '../../../src/cli/monitor.js';
import { CHURN_FLAGS, SIMNET_FLAGS } from '../../../src/cli/simnet.js';
import { STATS_FLAGS } from '../../../src/cli/stats.js';
import { COMPARE_FLAGS } from '../../../src/cli/compare.js';
import { DEMO_FLAGS } from '../../../src/cli/demo.js';
import { EXPORT_FLAGS } from '../../../src/cli/export.js';

const COMMANDS: Record<string, FlagSpecs> = {
  crawl: CRAWL_FLAGS, monitor: MONITOR_FLAGS, simnet: { ...SIMNET_FLAGS, ...CHURN_FLAGS }, stats: STATS_FLAGS, compare: COMPARE_FLAGS, demo: DEMO_FLAGS, export: EXPORT_FLAGS,
};

describe('numeric flags', () => {
  for (const [cmd, specs] of Object.entries(COMMANDS)) {
    it(`${cmd}: every numeric flag has a minimum and a maximum, shown in --help and enforced`, () => {
      const help = formatHelp(cmd, '', specs);
      for (const [name, s] of Object.entries(specs)) {
        if (s.type !== 'int' && s.type !== 'number') continue;
        assert.ok(s.min !== undefined && s.max !== undefined, `${cmd} --${name} lacks a bound`);
        assert.ok(help.includes(`[${s.min}..${s.max}]`), `${cmd} --${name}: --help does not show its range`);
        assert.throws(() => parseArgs([`--${name}`, String(s.max! * 2 + 1)], specs), /must be <=/);
      }
    });
  }
});
