// Reliability (issue 18): the crawler's own socket under a flood of junk, and a peer whose records name endpoints
// the crawler must never send to. Both crawl a real simnet over loopback.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimnet } from '../../src/simnet/simnet.js';
import { startJunkFlood } from '../../src/simnet/junk.js';
import { closeCrawlRuntime, crawlOnce, openCrawlRuntime } from '../../src/app/crawl-job.js';
import { compareWithTruth } from '../../src/app/truth-compare.js';
import { DEFAULT_CRAWL_CONFIG, validateCrawlConfig } from '../../src/crawler/config.js';
import { Discv5Node } from '../../src/node/node.js';
import type { NodeTable } from '../../src/node/table.js';
import { createEnr, type Enr } from '../../src/enr/enr.js';
import { secp } from '../../src/crypto/index.js';
import { logDistance } from '../../src/util/bytes.js';
import type { Crawler } from '../../src/crawler/crawler.js';

const port = () => 20000 + Math.floor(Math.random() * 20000);
const JUNK = Number(process.env.JUNK_COUNT ?? 200_000);
const MB = 2 ** 20;

describe('reliability: hostile traffic at the crawler', () => {
  it(`${JUNK} junk datagrams at the crawler's socket during a crawl: >= 99% of live nodes measured, RSS +256 MB at most`, { timeout: 180_000 }, async () => {
    const net = await startSimnet({ nodes: 1000, dead: 1000, seed: 21, rttMs: [5, 50], port: port(), shards: 1 });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
    // Cycles: the crawl goes on for as long as the flood does (it is stopped once both are done).
    const config = validateCrawlConfig({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 400, burst: 20, bindAddress: '127.0.0.1', threads: 1, cycles: 1000 });
    const rt = await openCrawlRuntime({ config, dbPath: null, keyFile: null, freshIdentity: true });
    try {
      const flood = startJunkFlood({ targetId: rt.identity.id, ip: '127.0.0.1', port: rt.transport.address.port, count: JUNK, ratePerSec: 10_000, seed: 21 });
      let stop = () => {};
      let crawler: Crawler | null = null;
      let settled = false;
      const crawl = crawlOnce(rt, { config, bootnodes: net.truth.bootnodes.slice(0, 1), version: 'test', onStart: (s) => { stop = s; }, onCrawler: (c) => { crawler = c; } });
      crawl.then(() => { settled = true; }, () => { settled = true; });
      const sent = await flood.done;
      // At least one whole cycle, so every node had its visit.
      while (!settled && crawler!.counters.cyclesDone < 1) await new Promise((r) => setTimeout(r, 100));
      stop();
      const { summary } = await crawl;
      const cov = compareWithTruth(crawler!, net.truth);
      assert.ok(cov.liveMeasured >= 0.99 * cov.liveTotal, `live measured ${cov.liveMeasured} of ${cov.liveTotal}; failures ${JSON.stringify(summary.failures)}, ${summary.cycles} cycles, ${summary.packetsIn} datagrams in`);
      assert.equal(sent.sent, JUNK);
      // The crawl's own replies are a few thousand: the rest that arrived was junk. The kernel drops what the
      // socket buffer cannot hold while the event loop is busy, more so on a loaded machine.
      assert.ok(summary.packetsIn >= JUNK / 4, `the junk reached the crawler while it crawled: ${summary.packetsIn} datagrams in; ${JSON.stringify(rt.session.counters)}`);
      assert.equal(cov.unexpectedMeasured, 0);
      assert.ok(summary.measured > 0 && summary.stopped);
      assert.ok(peak - rss0 <= 256 * MB, `RSS grew by ${Math.round((peak - rss0) / MB)} MB`);
    } finally {
      clearInterval(sampler);
      await closeCrawlRuntime(rt);
      await net.stop();
    }
  });

  it('a peer whose records name special, low-port and our own endpoints: none of them is sent a packet', { timeout: 120_000 }, async () => {
    const net = await startSimnet({ nodes: 200, dead: 100, seed: 22, rttMs: [5, 20], port: port(), shards: 1 });
    const config = validateCrawlConfig({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 500, burst: 25, bindAddress: '127.0.0.1', threads: 1 });
    const rt = await openCrawlRuntime({ config, dbPath: null, keyFile: null, freshIdentity: true });
    const self = rt.transport.address;
    const forbidden: Array<[string, number, string]> = [
      ['0.0.0.0', 30303, 'unspecified'], ['224.0.0.251', 30303, 'multicast'], ['255.255.255.255', 30303, 'broadcast'],
      ['192.0.2.7', 30303, 'documentation'], ['198.51.100.7', 30303, 'documentation'], ['203.0.113.7', 30303, 'documentation'],
      ['169.254.9.9', 30303, 'link-local'], ['240.0.0.9', 30303, 'reserved'], ['127.0.0.1', 80, 'low-port'], [self.ip, self.port, 'self'],
    ];
    const be = secp();
    const sk = be.generatePrivateKey();
    const rogueId = createEnr(sk, 1n, {}).nodeId();
    // Records at exactly the distance asked (anything else is dropped unread as unrequested), made on demand.
    const made = new Map<number, Uint8Array[]>();
    const table: NodeTable = {
      size: forbidden.length,
      enrOf: () => undefined,
      recordsAt(d: number, limit: number): Uint8Array[] {
        if (d < 250) return [];
        let recs = made.get(d);
        if (!recs) {
          recs = forbidden.map(([ip, udp]) => {
            for (;;) {
              const e: Enr = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.from(ip.split('.').map(Number)), udp });
              if (logDistance(rogueId, e.nodeId()) === d) return e.raw;
            }
          });
          made.set(d, recs);
        }
        return recs.slice(0, limit);
      },
    };
    const rogue = await Discv5Node.create({ sk, ip: '127.0.0.1', table });
    const sentTo = new Set<string>();
    const send = rt.transport.send.bind(rt.transport);
    rt.transport.send = (d, ip, p) => { sentTo.add(`${ip}:${p}`); send(d, ip, p); };
    try {
      const { crawler } = await crawlOnce(rt, { config, bootnodes: net.truth.bootnodes.slice(0, 1), extraSeeds: [rogue.enr], version: 'test' });
      assert.ok(sentTo.has(`127.0.0.1:${rogue.port}`), 'the rogue peer was visited');
      for (const [ip, p, why] of forbidden) assert.ok(!sentTo.has(`${ip}:${p}`), `sent to ${ip}:${p} (${why})`);
      for (const why of new Set(forbidden.map((f) => f[2]))) assert.ok((crawler.droppedEndpoints as Record<string, number>)[why]! > 0, `${why}: ${JSON.stringify(crawler.droppedEndpoints)}`);
      const cov = compareWithTruth(crawler, net.truth);
      assert.ok(cov.liveMeasured >= 0.99 * cov.liveTotal, `the rest of the network is crawled: ${cov.liveMeasured} of ${cov.liveTotal}`);
    } finally {
      await rogue.close();
      await closeCrawlRuntime(rt);
      await net.stop();
    }
  });
});
