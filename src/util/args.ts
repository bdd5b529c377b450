import { UsageError } from './errors.js';

export type FlagType = 'bool' | 'string' | 'int' | 'number' | 'list';
export interface FlagSpec { type: FlagType; short?: string; help: string; default?: unknown; min?: number; max?: number; valueName?: string }
export type FlagSpecs = Record<string, FlagSpec>;

/** Upper bounds shared by numeric flags; each says why it has its value. */
export const FLAG_MAX = {
  /** Packets or requests per second: far past what one host sends, and safe in the token buckets' arithmetic. */
  perSec: 1_000_000,
  /** A timeout: a remote forgets its challenge after about a second, and a minute covers any real round trip. */
  timeoutMs: 60_000,
  /** A row id (crawls, campaigns): the INTEGER column's range. */
  id: 2 ** 31 - 1,
  /** A count of things in memory (nodes, slots) where the memory bounds bite long before. */
  count: 100_000_000,
} as const;
export type ParsedFlags = Record<string, unknown>;

/** Common flags every command accepts. */
export const COMMON_FLAGS: FlagSpecs = {
  help: { type: 'bool', short: 'h', help: 'show this help' },
  json: { type: 'bool', help: 'machine-readable output (one JSON object per line)' },
};

/** Parses `--name value`, `--name=value`, `-h` and positionals; unknown flags and bad numbers are UsageErrors. */
export function parseArgs(argv: string[], specs: FlagSpecs): { flags: ParsedFlags; positional: string[] } {
  const all = { ...COMMON_FLAGS, ...specs };
  const byShort = new Map<string, string>();
  for (const [k, s] of Object.entries(all)) if (s.short) byShort.set(s.short, k);
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  for (const [k, s] of Object.entries(all)) {
    if (s.type === 'list') flags[k] = [];
    else if (s.default !== undefined) flags[k] = s.default;
    else if (s.type === 'bool') flags[k] = false;
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (a.length === 2 && a[0] === '-' && a[1] !== '-' && isNaN(Number(a))) {
      name = byShort.get(a[1]!);
      if (!name) throw new UsageError('ERR_USAGE_UNKNOWN_FLAG', `unknown flag ${a}`);
    } else {
      positional.push(a);
      continue;
    }
    const spec = all[name];
    if (!spec) throw new UsageError('ERR_USAGE_UNKNOWN_FLAG', `unknown flag --${name}`);
    if (spec.type === 'bool') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new UsageError('ERR_USAGE_BAD_VALUE', `--${name} takes no value`);
      flags[name] = inline !== 'false';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError('ERR_USAGE_MISSING_VALUE', `--${name} needs a value`);
    flags[name] = convert(name, spec, v, flags[name]);
  }
  return { flags, positional };
}

function convert(name: string, spec: FlagSpec, v: string, prev: unknown): unknown {
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = Number(v.replace(/_/g, ''));
      if (v.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
        throw new UsageError('ERR_USAGE_BAD_NUMBER', `--${name}: "${v}" is not ${spec.type === 'int' ? 'an integer' : 'a number'}`);
      }
      if (spec.min !== undefined && n < spec.min) throw new UsageError('ERR_USAGE_BAD_NUMBER', `--${name} must be >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw new UsageError('ERR_USAGE_BAD_NUMBER', `--${name} must be <= ${spec.max}`);
      return n;
    }
    case 'list':
      return [...(prev as string[]), v];
    default:
      return v;
  }
}

export function formatHelp(usage: string, description: string, specs: FlagSpecs, common: FlagSpecs = COMMON_FLAGS): string {
  const all = { ...specs, ...common };
  const rows = Object.entries(all).map(([k, s]) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${k}${s.type === 'bool' ? '' : ` <${s.valueName ?? s.type}>`}`;
    const range = (s.type === 'int' || s.type === 'number') && (s.min !== undefined || s.max !== undefined)
      ? ` [${s.min ?? ''}..${s.max ?? ''}]` : '';
    const def = (s.default !== undefined ? ` (default: ${String(s.default)})` : '') + range;
    return [left, s.help + def + (s.type === 'list' ? ' (repeatable)' : '')] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `Usage: ${usage}\n\n${description}\n\nOptions:\n${rows.map(([l, r]) => `  ${l.padEnd(w)}${r}`).join('\n')}\n`;
}

/** "90", "90s", "500ms", "10m", "2h" -> milliseconds. */
/** The longest --duration a command takes: a year, far past any campaign and well inside a double's ms. */
export const MAX_DURATION_MS = 366 * 86_400_000;

export function parseDurationMs(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new UsageError('ERR_USAGE_BAD_DURATION', `--${flag}: "${v}" is not a duration (e.g. 90s, 10m, 500ms, 12h, 7d)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000));
  if (!(ms > 0) || ms > MAX_DURATION_MS) throw new UsageError('ERR_USAGE_BAD_DURATION', `--${flag}: "${v}" must be more than 0 and at most 366d`);
  return ms;
}

/** A point in time: an ISO time, or a duration before `nowMs` (`24h`: a day ago). */
export function parseSinceMs(v: string, flag: string, nowMs: number): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(v.trim())) return nowMs - parseDurationMs(v, flag);
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${flag}: "${v}" is neither an ISO time nor a duration (e.g. 2026-12-01T00:00Z, 24h)`);
  return t;
}

/** "10-300" or "50" -> [min, max]. */
export function parseRange(v: string, flag: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v.trim());
  if (!m) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${flag}: "${v}" must be MIN-MAX or a single number`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  if (hi < lo) throw new UsageError('ERR_USAGE_BAD_VALUE', `--${flag}: MAX is below MIN`);
  return [lo, hi];
}

/** "geth=40,nim=25" -> weights; keys must be among `allowed`. */
export function parseWeights<K extends string>(v: string, flag: string, allowed: readonly K[]): Record<K, number> {
  const out = Object.fromEntries(allowed.map((k) => [k, 0])) as Record<K, number>;
  for (const part of v.split(',')) {
    const [k, w] = part.split(/[=:]/);
    if (!k || !(allowed as readonly string[]).includes(k) || w === undefined || !(Number(w) >= 0)) {
      throw new UsageError('ERR_USAGE_BAD_VALUE', `--${flag}: "${part}" must be NAME=WEIGHT with NAME one of ${allowed.join(', ')}`);
    }
    out[k as K] = Number(w);
  }
  return out;
}
