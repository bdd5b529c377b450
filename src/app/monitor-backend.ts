// What a monitor campaign needs from the DHT it watches: full crawls that feed the tracker, liveness probes, and
// the state to keep across a restart. The campaign (monitor-job.ts) is the same for every protocol; discv5's
// backend is here, libp2p's in libp2p-monitor-backend.ts.
import type { CrawlConfig } from '../crawler/config.js';
import { NodeState, type CrawlNode } from '../crawler/nodes.js';
import type { Crawler } from '../crawler/crawler.js';
import type { CrawlSink, ProgressSample, VisitRecord } from '../crawler/types.js';
import type { ProbeClient } from '../monitor/prober.js';
import type { Tracker, TrackedNode } from '../monitor/tracker.js';
import type { DhtProtocol, Store } from '../store/index.js';
import { closeCrawlRuntime, crawlOnce, openCrawlRuntime, parseBootnode, vantageAddr, type CrawlRuntime } from './crawl-job.js';

/** One crawl of a campaign, as the campaign and its callers see it whatever the protocol. */
export interface MonitorCrawlResult {
  crawlId: number | null;
  discovered: number;
  measured: number;
  failed: number;
  elapsedMs: number;
  /**
   * Cut short, by a stop or by its time limit with known nodes not visited yet: it may have missed nodes that
   * were there all along, so it cannot tell joiners from them.
   */
  cutShort: boolean;
}

/** The running crawl's rate limit (null where the protocol has none), visits waiting and done by result. */
export interface MonitorCrawlStatus { rateLimit: number | null; queued: number; measured: number; failed: number }

export interface MonitorBackend {
  readonly protocol: DhtProtocol;
  readonly store: Store;
  readonly probeClient: ProbeClient;
  /** Times an unanswered probe is sent again before it counts as failed (the prober's bound on probes in flight counts them). */
  readonly probeResends: number;
  /** The vantage's own address (`ip:port`), null when bound to a wildcard. */
  readonly vantageAddr: string | null;
  /** Nodes that answered lately, as text the next crawl starts from besides the bootnodes (the checkpoint keeps them). */
  seeds: string[];
  /** One crawl under the campaign; every visit reaches the tracker. */
  crawl(o: { campaignId: number; tracker: Tracker; onStart: (stop: () => void) => void }): Promise<MonitorCrawlResult>;
  /** Null between crawls. */
  crawlStatus(): MonitorCrawlStatus | null;
  /** Per tracked node, what this backend needs kept across a restart besides the tracker's state ('' for nothing). */
  nodeTag(n: TrackedNode): string;
  restoreTag(n: TrackedNode, tag: string): void;
  /** Stops probing and closes what the backend opened (the store last). */
  close(): Promise<void>;
}

/** Recent answering nodes kept as seeds for the next crawl: a churning network may have lost the bootnodes. */
export const SEEDS = 16;

/** Up to `max` of `items`, picked at random (reservoir sampling). */
export function reservoir<T>(items: Iterable<T>, max: number): T[] {
  const out: T[] = [];
  let seen = 0;
  for (const x of items) {
    seen++;
    if (out.length < max) out.push(x);
    else { const j = Math.floor(Math.random() * seen); if (j < max) out[j] = x; }
  }
  return out;
}

/** Follows a discv5 crawl's visits into the tracker: an answered contact is an answer, a silent one a failure. */
class TrackerTee implements CrawlSink {
  constructor(private readonly tracker: Tracker) {}
  record(): void {}
  visit(v: VisitRecord): void {
    if (v.error === 'aborted' || !v.node.addr) return;
    const n = this.tracker.sight({ id: v.node.id, ip: v.node.addr.ip, port: v.node.addr.port, seq: v.node.seq, listedBy: v.node.sightings }, v.endedAtMs);
    if (!n) return;
    // Any packet from it answers (a WHOAREYOU before a failed handshake too), at the time it came: a measured visit
    // ends with its last reply; a failed one heard only the WHOAREYOU, a round trip after it started (its end is
    // the timeout, when the node may already have gone). A visit on a session cached from an earlier crawl sends
    // no random packet: its silence fails as a timeout, not as no-whoareyou.
    if (v.packetsIn === 0) this.tracker.failed(n, v.endedAtMs);
    else this.tracker.answered(n, v.status === 'measured' ? v.endedAtMs : Math.round(v.startedAtMs + (v.rtt1Ms ?? 0)));
  }
  packet(): void {}
  edge(): void {}
  progress(_s: ProgressSample): void {}
}

function* measuredRecords(crawler: Crawler): IterableIterator<string> {
  for (const n of crawler.allNodes() as IterableIterator<CrawlNode>) {
    if (n.state === NodeState.Measured && n.raw) yield 'enr:' + Buffer.from(n.raw).toString('base64url');
  }
}

export interface Discv5BackendOptions {
  config: CrawlConfig;
  bootnodes: string[];
  dbPath: string;
  dbMemoryMB?: number;
  keyFile: string | null;
  freshIdentity: boolean;
  version: string;
  extraParams?: Record<string, unknown>;
  /** Requests the session layer must hold besides the crawl's: the prober's bound. */
  extraPending: number;
}

/** discv5: crawls and probes share one socket and identity; a probe is a random packet answered by WHOAREYOU. */
export class Discv5MonitorBackend implements MonitorBackend {
  readonly protocol = 'discv5' as const;
  seeds: string[] = [];
  private crawler: Crawler | null = null;

  private constructor(private readonly rt: CrawlRuntime, private readonly o: Discv5BackendOptions) {}

  static async open(o: Discv5BackendOptions): Promise<Discv5MonitorBackend> {
    o.bootnodes.forEach(parseBootnode);
    const rt = await openCrawlRuntime({
      config: o.config, dbPath: o.dbPath, dbMemoryMB: o.dbMemoryMB, keyFile: o.keyFile, freshIdentity: o.freshIdentity, extraPending: o.extraPending,
    });
    return new Discv5MonitorBackend(rt, o);
  }

  get store(): Store { return this.rt.store!; }
  get probeClient(): ProbeClient { return this.rt.session; }
  get probeResends(): number { return this.o.config.retransmits; }
  get vantageAddr(): string | null { return vantageAddr(this.rt.transport); }

  /** Its own function on purpose: the crawler is referenced only while it runs, so its nodes go with it. */
  async crawl(c: { campaignId: number; tracker: Tracker; onStart: (stop: () => void) => void }): Promise<MonitorCrawlResult> {
    const o = this.o;
    try {
      const r = await crawlOnce(this.rt, {
        config: o.config, bootnodes: o.bootnodes, version: o.version, campaignId: c.campaignId, tee: new TrackerTee(c.tracker), extraSeeds: this.seeds.map(parseBootnode),
        extraParams: o.extraParams, onStart: c.onStart, onCrawler: (cr) => { this.crawler = cr; },
      });
      const fresh = reservoir(measuredRecords(r.crawler), SEEDS);
      if (fresh.length > 0) this.seeds = fresh;
      const s = r.summary, left = r.crawler.counts;
      // Nodes still queued or in flight at the end: its time limit stopped it. (Known nodes it never queues, with
      // no endpoint or one it refuses to probe, stay 'discovered' in a complete crawl too.)
      return { crawlId: s.crawlId, discovered: s.discovered, measured: s.measured, failed: s.failed, elapsedMs: s.elapsedMs, cutShort: s.stopped || left.queued + left.pending > 0 };
    } finally {
      this.crawler = null;
    }
  }

  crawlStatus(): MonitorCrawlStatus | null {
    const c = this.crawler;
    if (!c) return null;
    const k = c.counts;
    return { rateLimit: Math.round(c.rateLimit), queued: k.queued, measured: k.measured, failed: k.failed };
  }

  nodeTag(): string { return ''; }
  restoreTag(): void {}

  /** Closing commits what is buffered (a store that cannot is aborted there). */
  async close(): Promise<void> { await closeCrawlRuntime(this.rt); }
}
