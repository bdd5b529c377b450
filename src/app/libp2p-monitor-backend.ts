// A monitor campaign on a libp2p Kademlia DHT: crawls with the libp2p crawler into the campaign's store, and
// probes peers by dialing them (src/libp2p/probe.ts). Peers are tracked by their Kademlia ID (the node_id of
// every libp2p row); the peer ID each needs for a dial is kept beside the tracker and in the checkpoint.
import { peerIdFromString } from '@libp2p/peer-id';
import { LIBP2P_PROBE_RESENDS, Libp2pProbeClient } from '../libp2p/probe.js';
import { parseLibp2pBootnode, type Libp2pCrawlConfig } from '../libp2p/crawl.js';
import { idKey, type Libp2pHost } from '../libp2p/visit.js';
import { tcpAddrOf } from '../libp2p/addrs.js';
import type { Tracker, TrackedNode } from '../monitor/tracker.js';
import { Store } from '../store/index.js';
import { libp2pCrawlOnce, openLibp2pCrawlHost, type Libp2pProgress } from './libp2p-crawl-job.js';
import { reservoir, SEEDS, type MonitorBackend, type MonitorCrawlResult, type MonitorCrawlStatus } from './monitor-backend.js';


export interface Libp2pBackendOptions {
  crawl: Libp2pCrawlConfig;
  bootnodes: string[];
  dbPath: string;
  dbMemoryMB?: number;
  vantage: string;
  version: string;
  extraParams?: Record<string, unknown>;
  /** Peer IDs kept at most: the tracker's own bound. */
  maxPeers: number;
  /** The prober's bound on probes in flight: dials the host must allow besides the crawl's. */
  probeDials: number;
}

export class Libp2pMonitorBackend implements MonitorBackend {
  readonly protocol = 'libp2p' as const;
  seeds: string[] = [];
  readonly probeClient: Libp2pProbeClient;
  readonly probeResends = LIBP2P_PROBE_RESENDS;
  /** Peer IDs of the bootnodes: the only peers not visited because another listed them. */
  private readonly bootPeerIds: ReadonlySet<string>;
  /** Peer ID text by idKey of the Kademlia ID; bound: maxPeers. */
  private readonly peerIds = new Map<string, string>();
  private progress: Libp2pProgress | null = null;

  private constructor(private readonly o: Libp2pBackendOptions, readonly store: Store, private readonly host: Libp2pHost, readonly vantageAddr: string | null) {
    this.probeClient = new Libp2pProbeClient(host, (id) => this.peerIds.get(idKey(id)) ?? null);
    this.bootPeerIds = new Set(o.bootnodes.map((b) => parseLibp2pBootnode(b).peerId.toString()));
  }

  static async open(o: Libp2pBackendOptions): Promise<Libp2pMonitorBackend> {
    o.bootnodes.forEach(parseLibp2pBootnode);
    const store = await Store.open(o.dbPath, { memoryLimitMB: o.dbMemoryMB });
    try {
      const { host, vantageAddr } = await openLibp2pCrawlHost(o.crawl, o.probeDials);
      return new Libp2pMonitorBackend(o, store, host, vantageAddr);
    } catch (e) {
      await store.close().catch(() => store.abort());
      throw e;
    }
  }

  async crawl(c: { campaignId: number; tracker: Tracker; onStart: (stop: () => void) => void }): Promise<MonitorCrawlResult> {
    const o = this.o;
    const answered: string[] = [];
    this.progress = { discovered: 0, visited: 0, measured: 0, failed: 0, elapsedMs: 0 };
    try {
      const s = await libp2pCrawlOnce({ host: this.host, store: this.store, vantageAddr: this.vantageAddr }, {
        bootnodes: [...o.bootnodes, ...this.seeds], config: o.crawl, vantage: o.vantage, version: o.version, extraParams: o.extraParams,
        campaignId: c.campaignId, onStart: c.onStart, onProgress: (p) => { this.progress = p; },
        tee: (v, kadId) => {
          if (!kadId) return;
          const addr = tcpAddrOf(v);
          if (!addr) return;
          // Every peer but a bootnode was visited because another listed it.
          const n = c.tracker.sight({ id: kadId, ip: addr.ip, port: addr.port, seq: 0n, listedBy: this.bootPeerIds.has(v.peerId) ? 0 : 1 }, v.endedAtMs);
          if (!n) return;
          const k = idKey(kadId);
          if (!this.peerIds.has(k) && this.peerIds.size < o.maxPeers) this.peerIds.set(k, v.peerId);
          // A connection is an answer (the Noise handshake proved the key), at the time it was made.
          if (v.connectMs !== null) {
            c.tracker.answered(n, v.status === 'measured' ? v.endedAtMs : Math.round(v.startedAtMs + v.connectMs));
            if (v.status === 'measured') answered.push(`${addr.text}/p2p/${v.peerId}`);
          } else {
            c.tracker.failed(n, v.endedAtMs);
          }
        },
      });
      const fresh = reservoir(answered, SEEDS);
      if (fresh.length > 0) this.seeds = fresh;
      return { crawlId: s.crawlId, discovered: s.discovered, measured: s.measured, failed: s.failed, elapsedMs: s.elapsedMs, cutShort: s.stopped || s.measured + s.failed < s.discovered };
    } finally {
      this.progress = null;
    }
  }

  crawlStatus(): MonitorCrawlStatus | null {
    const p = this.progress;
    return p ? { rateLimit: null, queued: Math.max(0, p.discovered - p.visited), measured: p.measured, failed: p.failed } : null;
  }

  nodeTag(n: TrackedNode): string { return this.peerIds.get(idKey(n.id)) ?? ''; }

  restoreTag(n: TrackedNode, tag: string): void {
    if (!tag || this.peerIds.size >= this.o.maxPeers) return;
    // A tag that is no peer ID (a damaged checkpoint) is dropped: the next crawl learns the peer again.
    try { peerIdFromString(tag); } catch { return; }
    this.peerIds.set(idKey(n.id), tag);
  }

  async close(): Promise<void> {
    try {
      await this.probeClient.close();
      await Promise.resolve(this.host.stop()).catch(() => {});
    } finally {
      // Closing commits what is buffered; a store that cannot is aborted.
      await this.store.close().catch(() => this.store.abort());
    }
  }
}
