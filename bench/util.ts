import { cpus, totalmem } from 'node:os';
import { COMMON_FLAGS, formatHelp, parseArgs, type FlagSpecs, type ParsedFlags } from '../src/util/args.js';
import { UsageError } from '../src/util/errors.js';

/** The S-50k network shape: 20,000 live nodes and 30,000 dead records in their tables. */
export const S50K_FLAGS: FlagSpecs = {
  nodes: { type: 'int', help: 'live simnet nodes', default: 20_000, min: 1 },
  dead: { type: 'int', help: 'dead records in the simnet tables', default: 30_000, min: 0 },
};

/**
 * A benchmark's command line: `--help` prints what it measures and its flags, then exits 0; a bad flag
 * exits 2 with one line instead of running a minutes-long benchmark with the flag ignored.
 */
export function benchArgs(usage: string, description: string, specs: FlagSpecs, argv = process.argv.slice(2)): { flags: ParsedFlags; positional: string[] } {
  try {
    const parsed = parseArgs(argv, specs);
    if (parsed.flags.help) {
      process.stdout.write(formatHelp(usage, description, specs, { help: COMMON_FLAGS.help! }));
      process.exit(0);
    }
    return parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${usage.split(' ')[0]}: ${e.message} (see --help)\n`);
    process.exit(2);
  }
}

/** Runs fn repeatedly for about `ms` after a warm-up and returns microseconds per call. */
export function usPerOp(fn: () => unknown, ms = 300, warmup = 50): number {
  for (let i = 0; i < warmup; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1000 / n;
}

export function machine(): string {
  const c = cpus();
  return `${c.length}x ${c[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
