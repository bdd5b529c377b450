// npm run bench:offload — record verification and initiator handshakes on the main thread vs a
// piscina pool: throughput, and main-thread CPU per item (what the crawl loop pays).
import { InlineCrypto, PooledCrypto, type CryptoOffload } from '../src/work/pool.js';
import { createEnr } from '../src/enr/enr.js';
import { secp } from '../src/crypto/index.js';
import { benchArgs, machine } from './util.js';

benchArgs('offload.bench.js', `Record verification and initiator handshakes inline vs on a piscina pool: throughput and\n` +
  `main-thread CPU per item. The last line is JSON.`, {});

const be = secp();
const RECORDS = 4000, HANDSHAKES = 2000;
const records = Array.from({ length: RECORDS }, (_, i) => createEnr(be.generatePrivateKey(), 1n, { udp: 1 + (i % 60000) }).raw);
const sk = be.generatePrivateKey();
const localId = new Uint8Array(32).fill(1);
const remotes = Array.from({ length: HANDSHAKES }, () => be.publicKeyCreate(be.generatePrivateKey(), true));
const challenge = new Uint8Array(63).fill(7);
const rid = new Uint8Array(32).fill(9);

async function measure(impl: CryptoOffload, what: 'verify' | 'handshake'): Promise<{ itemsPerSec: number; mainCpuUsPerItem: number }> {
  // Warm-up: workers start and JIT.
  await Promise.all(records.slice(0, 200).map((r) => impl.verifyRecord(r)));
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  if (what === 'verify') await Promise.all(records.map((r) => impl.verifyRecord(r)));
  else await Promise.all(remotes.map((p) => impl.handshake(sk, localId, rid, p, challenge)));
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  void cpu0;
  const n = what === 'verify' ? RECORDS : HANDSHAKES;
  // Main-thread busy time (event-loop utilisation x wall) is what the crawl loop cannot use.
  return { itemsPerSec: Math.round((n * 1000) / ms), mainCpuUsPerItem: Number(((elu.active * 1000) / n).toFixed(1)) };
}

const rows: Record<string, Record<string, { itemsPerSec: number; mainCpuUsPerItem: number }>> = {};
for (const threads of [1, 2]) {
  const impl = threads === 1 ? new InlineCrypto() : new PooledCrypto(threads);
  rows[`${threads} thread${threads > 1 ? 's (pool)' : ' (inline)'}`] = { verify: await measure(impl, 'verify'), handshake: await measure(impl, 'handshake') };
  await impl.close();
}
console.log(`crypto offload on ${machine()}`);
console.log('threads'.padEnd(22), 'verify/s'.padStart(10), 'main us/rec'.padStart(12), 'handshake/s'.padStart(12), 'main us/hs'.padStart(11));
for (const [k, v] of Object.entries(rows)) {
  console.log(k.padEnd(22), String(v.verify!.itemsPerSec).padStart(10), String(v.verify!.mainCpuUsPerItem).padStart(12), String(v.handshake!.itemsPerSec).padStart(12), String(v.handshake!.mainCpuUsPerItem).padStart(11));
}
console.log(JSON.stringify({ bench: 'offload', machine: machine(), records: RECORDS, handshakes: HANDSHAKES, rows }));
