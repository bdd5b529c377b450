// One crawl of a libp2p simnet in its own process, so its CPU and peak RSS are the crawler's alone. Prints one
// JSON line. Arguments: TRUTH_FILE CONCURRENCY KEYS_PER_CPL.
import { readFileSync } from 'node:fs';
import { crawlLibp2p, createCrawlerHost, DEFAULT_LIBP2P_CRAWL_CONFIG } from '../src/libp2p/crawl.js';
import type { Libp2pTruth } from '../src/simnet/libp2p/simnet.js';

const [truthFile, concurrency, keysPerCpl] = process.argv.slice(2);
const truth = JSON.parse(readFileSync(truthFile!, 'utf8')) as Libp2pTruth;
const live = new Set(truth.nodes.map((n) => n.peerId));
const need99 = Math.ceil(0.99 * live.size);
const host = await createCrawlerHost('127.0.0.1', Number(concurrency));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let found = 0, t99Ms: number | null = null, visits = 0, cplFailed = 0;
const s = await crawlLibp2p(host, truth.bootnodes, {
  ...DEFAULT_LIBP2P_CRAWL_CONFIG, concurrency: Number(concurrency), listenIp: '127.0.0.1',
  visit: { ...DEFAULT_LIBP2P_CRAWL_CONFIG.visit, keysPerCpl: Number(keysPerCpl) },
}, (v) => {
  visits++;
  // Bucket lengths a measured peer did not answer: work a visit did not do.
  if (v.status === 'measured') for (let c = v.cplErrors; c !== 0; c &= c - 1) cplFailed++;
  if (v.status === 'measured' && live.has(v.peerId) && ++found === need99) t99Ms = performance.now() - t0;
});
const cpu = process.cpuUsage(cpu0);
await host.stop();
process.stdout.write(JSON.stringify({
  coverage: found / live.size, t99Ms, elapsedMs: s.elapsedMs, visits, discovered: s.discovered, failed: s.failed, retries: s.retries, dialErrors: s.dialErrors, cplFailed,
  cpuMsPerPeer: (cpu.user + cpu.system) / 1000 / Math.max(1, visits), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
}) + '\n');
