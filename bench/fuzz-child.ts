// The crawling process of bench:fuzz: crawls the simnet in cycles until the parent says 'stop' (over IPC), samples
// its RSS every second, then reports coverage against the truth file. argv: JSON of { truthFile, bootnodes, rate, threads }.
import { readFileSync } from 'node:fs';
import { closeCrawlRuntime, crawlOnce, openCrawlRuntime } from '../src/app/crawl-job.js';
import { compareWithTruth } from '../src/app/truth-compare.js';
import { DEFAULT_CRAWL_CONFIG, validateCrawlConfig } from '../src/crawler/config.js';
import type { Crawler } from '../src/crawler/crawler.js';
import type { Truth } from '../src/simnet/simnet.js';
import { toHex } from '../src/util/bytes.js';

const args = JSON.parse(process.argv[2]!) as { truthFile: string; bootnodes: string[]; rate: number; threads: number };
const config = validateCrawlConfig({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: args.rate, burst: Math.max(1, Math.round(args.rate / 20)), bindAddress: '127.0.0.1', threads: args.threads, cycles: 1_000_000 });
const rt = await openCrawlRuntime({ config, dbPath: null, keyFile: null, freshIdentity: true });
const t0 = performance.now();
const rss: Array<[number, number]> = [];
const sampler = setInterval(() => rss.push([Math.round(performance.now() - t0), process.memoryUsage().rss]), 1000);
let stop = () => {};
let crawler: Crawler | null = null;
let stopAsked = false;
process.on('message', (m) => {
  if (m !== 'stop') return;
  stopAsked = true;
  // Every node had its visit: stop at once; else at the end of the first cycle.
  const poll = setInterval(() => { if (crawler && crawler.counters.cyclesDone >= 1) { clearInterval(poll); stop(); } }, 100);
});
process.send!({ ready: true, id: toHex(rt.identity.id), port: rt.transport.address.port });
const { summary } = await crawlOnce(rt, { config, bootnodes: args.bootnodes, version: 'bench', onStart: (s) => { stop = s; }, onCrawler: (c) => { crawler = c; } });
clearInterval(sampler);
await closeCrawlRuntime(rt);
const cov = compareWithTruth(crawler!, JSON.parse(readFileSync(args.truthFile, 'utf8')) as Truth);
process.send!({
  done: true, stopAsked, rss, coverageLive: cov.coverageLive, liveMeasured: cov.liveMeasured, liveTotal: cov.liveTotal, t99Ms: cov.t99Ms,
  packetsIn: summary.packetsIn, cycles: summary.cycles, measured: summary.measured, failures: summary.failures, session: summary.session,
}, () => process.exit(0));
