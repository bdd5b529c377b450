import { decodeEnr, enrFields, enrTextToBytes, verifyEnr, type Enr } from '../enr/index.js';
import { fromHex, toHex } from '../util/bytes.js';
import { DhtscopeError, EnrError } from '../util/errors.js';
import { formatHelp, parseArgs, type FlagSpecs } from '../util/args.js';
import { toJson } from './json.js';
import type { CliIo } from './io.js';

const FLAGS: FlagSpecs = {};
export const ENR_DECODE_HELP = formatHelp('dhtscope enr decode [--json] <enr>...',
  'Decodes and verifies node records given as "enr:" text or RLP hex, and prints their fields.\n' +
  'A bad record prints a one-line reason on stderr; the others are still decoded (exit status 2 if any failed).', FLAGS);

/** Decoded record as the JSON export shape. */
export function enrToJson(e: Enr, text?: string): Record<string, unknown> {
  const f = enrFields(e);
  const { keys, unknown, invalid, ...typed } = f;
  return {
    nodeId: toHex(e.nodeId()), seq: e.seq, publicKey: toHex(e.publicKey), enr: text ?? e.toText(),
    ...typed, keys, unknown, invalid, size: e.raw.length,
  };
}

function parseRecord(arg: string): Uint8Array {
  if (arg.startsWith('enr:')) return enrTextToBytes(arg);
  if (/^(0x)?[0-9a-fA-F]+$/.test(arg)) return fromHex(arg);
  throw new EnrError('ERR_ENR_BAD_TEXT', 'expected "enr:..." text or RLP hex');
}

export function runEnrDecode(argv: string[], io: CliIo): number {
  const { flags, positional } = parseArgs(argv, FLAGS);
  if (flags.help) { io.out(ENR_DECODE_HELP); return 0; }
  if (positional.length === 0) { io.err('dhtscope enr decode: give at least one record (see --help)'); return 2; }
  let failed = 0;
  for (const arg of positional) {
    try {
      const e = decodeEnr(parseRecord(arg));
      if (!verifyEnr(e)) throw new EnrError('ERR_ENR_BAD_SIGNATURE', 'record signature does not verify');
      const j = enrToJson(e);
      if (flags.json) io.out(toJson(j));
      else io.out(formatEnr(j));
    } catch (err) {
      failed++;
      const code = err instanceof DhtscopeError ? err.code : 'ERR_INTERNAL';
      const short = arg.length > 24 ? arg.slice(0, 24) + '…' : arg;
      io.err(`dhtscope: ${short}: ${code}: ${(err as Error).message}`);
    }
  }
  return failed ? 2 : 0;
}

function formatEnr(j: Record<string, unknown>): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => {
    if (v === undefined) return;
    const s = typeof v === 'object' && v !== null ? toJson(v) : String(v);
    if (s === '{}') return;
    lines.push(`  ${k.padEnd(10)} ${s}`);
  };
  lines.push(String(j.enr));
  for (const k of ['nodeId', 'seq', 'publicKey', 'ip', 'udp', 'tcp', 'quic', 'ip6', 'udp6', 'tcp6', 'quic6', 'eth', 'eth2', 'attnets',
    'syncnets', 'cgc', 'nfd', 'opstack', 'client', 'c', 'keys', 'unknown', 'invalid', 'size']) row(k, j[k]);
  return lines.join('\n');
}
