import { getHeapStatistics } from 'node:v8';
import { cryptoInfo } from '../crypto/index.js';
import { recvDelayFn } from '../transport/rx-stamp.js';
import type { CliIo } from './io.js';
import { toJson } from './json.js';

/** Reports which implementations are active: users need to know if they run the slow fallbacks. */
export async function runDoctor(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out('Usage: dhtscope doctor [--json]\n\nShows whether crypto runs on libsecp256k1 or pure JS, whether the native trie is loaded, and where datagram arrival times come from.\n');
    return 0;
  }
  const { version } = await import('./version.js');
  const c = cryptoInfo();
  let trie = 'unavailable';
  try {
    const m = (await import('../native/index.js')) as { trieBackend?: () => string };
    if (m.trieBackend) trie = m.trieBackend();
  } catch { trie = 'unavailable'; }
  const info = { version: version(), node: process.version, secp256k1: c.secp256k1, keccak: c.keccak, aes: c.aes, sha256: c.sha256, trie,
    rxClock: recvDelayFn() ? 'kernel' : 'event-loop',
    heapLimitMB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20), cryptoFallbackReason: c.fallbackReason };
  if (argv.includes('--json')) { io.out(toJson(info)); return 0; }
  if (argv.includes('--version-line')) { io.out(`dhtscope ${info.version} (node ${info.node}; secp256k1: ${info.secp256k1}; keccak: ${info.keccak}; aes: ${info.aes}; sha256: ${info.sha256}; trie: ${info.trie})`); return 0; }
  io.out(`dhtscope ${info.version} on node ${info.node}`);
  io.out(`  secp256k1  ${info.secp256k1}${c.fallbackReason ? ` (fallback: ${c.fallbackReason})` : ''}`);
  io.out(`  keccak256  ${info.keccak}`);
  io.out(`  aes/gcm    ${info.aes}`);
  io.out(`  sha256     ${info.sha256}`);
  io.out(`  trie       ${info.trie}`);
  io.out(`  rx clock   ${info.rxClock === 'kernel' ? 'kernel receive timestamps (RTTs exclude time in the socket and event loop)' : 'event loop (RTTs include time replies wait in the socket)'}`);
  io.out(`  JS heap    ${info.heapLimitMB} MB limit`);
  return 0;
}
