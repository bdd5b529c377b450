// One crawl in its own process for bench:stop: a fake network hands out the cached records (16 per distance
// asked) until the crawler knows `target` of them, most never visited; then the parent signals it. Stops the
// way the CLI does (app/signals.ts): crawler.stop, then the crawl's end stamped and the store closed.
// argv: JSON of { recordsFile, db, threads, rate, target }. Prints JSON lines: {ready}, then {done} or nothing (exit 130).
import { Crawler } from '../src/crawler/crawler.js';
import { DEFAULT_CRAWL_CONFIG } from '../src/crawler/config.js';
import { createStrategy } from '../src/crawler/strategies.js';
import type { FindNodeClient } from '../src/crawler/types.js';
import type { NodeAddress, RequestEvents, RequestResult } from '../src/session/types.js';
import { MessageType, type Nodes } from '../src/wire/messages.js';
import { decodeEnr } from '../src/enr/enr.js';
import { Store } from '../src/store/index.js';
import { StoreSink } from '../src/app/crawl-sink.js';
import { onSignals } from '../src/app/signals.js';
import { createCryptoOffload } from '../src/work/pool.js';
import { readRecords } from './stop-records.js';

const args = JSON.parse(process.argv[2]!) as { recordsFile: string; db: string; threads: number; rate: number; target: number };
const recs = readRecords(args.recordsFile);
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const stats = () => ({ bytesOut: 100, bytesIn: 1200, packetsOut: 1, packetsIn: 1, rtt1Ns: 1_000_000n, rtt2Ns: 2_000_000n, handshake: true });

/** Every node answers at once, with the next unseen records: the crawler learns far faster than it visits. */
class FeedClient implements FindNodeClient {
  private next = 1;
  async findNode(_remote: NodeAddress, distances: number[], events?: RequestEvents): Promise<RequestResult> {
    await new Promise((r) => setImmediate(r));
    if (events?.admit) await new Promise<void>((release) => events.admit!(release));
    const enrs = recs.slice(this.next, Math.min(recs.length, this.next + 16 * distances.length));
    this.next += enrs.length;
    const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs };
    events?.onNodes?.(m, process.hrtime.bigint(), 1200);
    return { ok: true, response: m, nodes: [], complete: true, stats: stats() };
  }
}

const store = await Store.open(args.db);
const crawlId = await store.beginCrawl({ params: { bench: 'stop' }, vantage: 'bench', version: 'bench', strategy: DEFAULT_CRAWL_CONFIG.strategy });
const offload = args.threads > 1 ? createCryptoOffload(args.threads) : null;
const crawler = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: args.rate, burst: Math.max(1, Math.round(args.rate / 20)), adaptiveRate: false, allowPrivate: true },
  new FeedClient(), createStrategy(DEFAULT_CRAWL_CONFIG.strategy), new Uint8Array(32), new StoreSink(store, crawlId), offload);
// The fake network ignores the distances asked.
crawler.checkDistances = false;
crawler.addBootnode(decodeEnr(recs[0]!));
let signalAt = 0;
let released = false;
onSignals(() => { signalAt = performance.now(); crawler.stop(); }, { err: (l) => process.stderr.write(l + '\n') },
  { lastFlush: () => store.flush(), release: () => { released = true; return store.abort(); } });
const poll = setInterval(() => {
  if (crawler.knownNodes < args.target) return;
  clearInterval(poll);
  const c = crawler.counts;
  say({ ready: true, known: crawler.knownNodes, unvisited: c.discovered + c.queued + c.pending, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) });
}, 20);
// After a second signal the store is gone (the crawler's next row fails the run): onSignals ends the process.
await crawler.run().catch((e: unknown) => (released ? new Promise<never>(() => {}) : Promise.reject(e)));
clearInterval(poll);
const runAt = performance.now();
await store.endCrawl(crawlId, { stopped: true });
const endAt = performance.now();
await offload?.close();
await store.close();
const closeAt = performance.now();
const st = store.stats();
say({
  done: true, crawlerStopMs: Math.round(runAt - signalAt), endCrawlMs: Math.round(endAt - runAt), closeMs: Math.round(closeAt - endAt),
  unverifiedAtStop: crawler.counters.unverifiedAtStop, rowsWritten: st.rowsWritten, measured: crawler.counts.measured,
});
process.exit(0);
