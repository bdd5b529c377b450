// A libp2p Kademlia crawl into the crawl store: the same store, crawl row and edges as a discv5 crawl. Each visit
// becomes a visits row (the columns whose meaning carries over, see tables.ts), a peers row (identify's answers
// and the NAT evidence), an edge per peer it returned, and node sightings keyed by the peers' Kademlia IDs.
import { peerIdFromString } from '@libp2p/peer-id';
import { crawlLibp2p, createCrawlerHost, DEFAULT_LIBP2P_CRAWL_CONFIG, parseLibp2pBootnode, type Libp2pCrawlConfig } from '../libp2p/crawl.js';
import { CPL_COUNT, idKey, type Libp2pHost, type Libp2pVisit } from '../libp2p/visit.js';
import { KAD_ID_SIZE, kadId } from '../libp2p/keys.js';
import { addrScope, natOf, tcpAddr, type NatEvidence } from '../libp2p/addrs.js';
import { PEERS, PROGRESS, Store, VISITS, type StoreOptions } from '../store/index.js';
import { progressRow } from './crawl-sink.js';
import type { ProgressSample } from '../crawler/types.js';
import { DhtscopeError, UsageError } from '../util/errors.js';

export class Libp2pCrawlJobError extends DhtscopeError {
  /** What the crawl did before it failed (a store failure mid-crawl, no bootnode answering). */
  summary?: Libp2pCrawlJobSummary;
}

/** The strategy name stored with libp2p crawls: FIND_NODE for keys crafted into each bucket 0..15 of every peer. */
export const LIBP2P_STRATEGY = 'buckets';
/** visits.error of a peer that connected but answered neither identify nor any FIND_NODE. */
export const LIBP2P_NO_ANSWER = 'no-answer';
/** edge_ix.seq of a libp2p edge: a peer listing carries no record seq. */
const LIBP2P_EDGE_SEQ = 0n;
/** Bits of a Kademlia ID: a key sharing c leading bits with a peer's ID sits at log2 distance KAD_ID_BITS - c. */
const KAD_ID_BITS = KAD_ID_SIZE * 8;
/** How often onProgress is called: a progress line a second is as fast as a person reads it. */
const PROGRESS_INTERVAL_MS = 1000;

export interface Libp2pCrawlJobOptions {
  /** `/ip4/…/tcp/…/p2p/<id>` or `/dnsaddr/…/p2p/<id>` multiaddrs. */
  bootnodes: string[];
  /** DuckDB file or PostgreSQL URL; null crawls without a store. */
  dbPath: string | null;
  dbMemoryMB?: number;
  storeOptions?: StoreOptions;
  /** Over DEFAULT_LIBP2P_CRAWL_CONFIG; `visit` fields over its visit options. */
  config: Partial<Omit<Libp2pCrawlConfig, 'visit'>> & { visit?: Partial<Libp2pCrawlConfig['visit']> };
  vantage: string;
  version: string;
  /** Extra parameters stored with the crawl (the network, the simnet truth file). */
  extraParams?: Record<string, unknown>;
  onProgress?: (p: Libp2pProgress) => void;
  /** Called once the crawl runs, with a function that stops it (signals) and the store. */
  onStart?: (stop: () => void, store: Store | null) => void;
}

export interface Libp2pProgress { discovered: number; visited: number; measured: number; failed: number; elapsedMs: number }

export interface Libp2pCrawlJobSummary {
  crawlId: number | null;
  protocol: 'libp2p';
  strategy: string;
  /** Peers known (visited or listed), bootnodes included. */
  discovered: number;
  measured: number;
  failed: number;
  /** Peers listed past the crawl's bound on tracked peers, not visited. */
  untracked: number;
  /** Visited peers whose dial failed (every address, or none to dial). */
  unreachable: number;
  /** Visited peers advertising only relay or private addresses (peers.nat), and by evidence. */
  nat: number;
  natEvidence: Partial<Record<NatEvidence, number>>;
  /** Failed dials by class. */
  dialErrors: Record<string, number>;
  /** Failed visits by visits.error (dial classes and no-answer). */
  failures: Record<string, number>;
  /** Time until 90% / 99% of the measured peers were measured, ms. */
  t90Ms: number | null;
  t99Ms: number | null;
  elapsedMs: number;
  requests: number;
  edges: number;
  /** Measured peers by identify's agent version (NULL agent: `unknown`), most common first. */
  agentVersions: Record<string, number>;
  db: string | null;
  dbRowsWritten: number;
  stopped: boolean;
  storeError: string | null;
}

/** Whether the crawl reaches a public network: some bootnode is at a public address or a DNS name. */
export function isPublicNetwork(bootnodes: readonly string[]): boolean {
  return bootnodes.some((b) => addrScope(b) === 'public');
}

/** The log2 distances a visit's FIND_NODE keys were crafted at, one per request, bucket by bucket. */
function distancesOf(v: Libp2pVisit, keysPerCpl: number): string {
  if (v.requests === 0) return '';
  const out: number[] = [];
  for (let cpl = 0; cpl < CPL_COUNT; cpl++) for (let k = 0; k < keysPerCpl; k++) out.push(KAD_ID_BITS - cpl);
  return out.join(',');
}

function sortedCounts(c: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

const bump = (c: Record<string, number>, k: string) => { c[k] = (c[k] ?? 0) + 1; };

/** What one crawl runs on: a crawl job opens them for itself, a monitor keeps them over its campaign. */
export interface Libp2pCrawlContext {
  host: Libp2pHost;
  store: Store | null;
  /** The host's own address (`ip:port`), null when it listens on a wildcard. */
  vantageAddr: string | null;
}

export interface Libp2pCrawlOnceOptions {
  bootnodes: string[];
  config: Libp2pCrawlConfig;
  vantage: string;
  version: string;
  extraParams?: Record<string, unknown>;
  /** The campaign the crawl belongs to (a monitor's). */
  campaignId?: number | null;
  onProgress?: (p: Libp2pProgress) => void;
  onStart?: (stop: () => void) => void;
  /** Gets every visit after the store, with the peer's Kademlia ID (null past the crawl's bound). */
  tee?: (v: Libp2pVisit, kadId: Uint8Array | null) => void;
}

/** Resolves a partial config over the defaults (the visit options over theirs). */
export function libp2pCrawlConfig(c: Libp2pCrawlJobOptions['config']): Libp2pCrawlConfig {
  const { visit, ...rest } = c;
  return { ...DEFAULT_LIBP2P_CRAWL_CONFIG, ...rest, visit: { ...DEFAULT_LIBP2P_CRAWL_CONFIG.visit, ...visit } };
}

/** The crawler's host and its own address, listening on `listenIp`; `extraDials` as for createCrawlerHost. */
export async function openLibp2pCrawlHost(cfg: Libp2pCrawlConfig, extraDials = 0): Promise<{ host: Libp2pHost; vantageAddr: string | null }> {
  const host = await createCrawlerHost(cfg.listenIp, cfg.concurrency, extraDials);
  const listen = host.getMultiaddrs().map((a) => tcpAddr(String(a))).find((t) => t !== null);
  const wildcard = cfg.listenIp === '0.0.0.0' || cfg.listenIp === '::';
  return { host, vantageAddr: !wildcard && listen ? `${listen.ip}:${listen.port}` : null };
}

/**
 * One libp2p crawl end to end: checks the bootnodes, opens the store (before any dial), records the crawl
 * (protocol libp2p), crawls, writes every visit's rows, stamps the end and closes. A store failure stops the
 * crawl and throws Libp2pCrawlJobError with the summary, as the discv5 crawl does.
 */
export async function runLibp2pCrawlJob(o: Libp2pCrawlJobOptions): Promise<Libp2pCrawlJobSummary> {
  if (o.bootnodes.length === 0) throw new UsageError('ERR_USAGE_NO_BOOTNODE', 'no bootnode: give --bootnode, --network or --simnet');
  o.bootnodes.forEach(parseLibp2pBootnode);
  const cfg = libp2pCrawlConfig(o.config);
  const store = o.dbPath ? await Store.open(o.dbPath, { memoryLimitMB: o.dbMemoryMB, ...o.storeOptions }) : null;
  let failed = false;
  let host: Libp2pHost | null = null;
  try {
    const h = await openLibp2pCrawlHost(cfg);
    host = h.host;
    const s = await libp2pCrawlOnce({ host, store, vantageAddr: h.vantageAddr }, {
      bootnodes: o.bootnodes, config: cfg, vantage: o.vantage, version: o.version, extraParams: o.extraParams, onProgress: o.onProgress,
      onStart: (stop) => o.onStart?.(stop, store),
    });
    await stopHost(host);
    host = null;
    if (store) {
      try {
        await store.close();
      } catch (e) {
        s.storeError = e instanceof Error ? e.message : String(e);
        const err = new Libp2pCrawlJobError('ERR_CRAWL_STORE_FAILED', `the store failed and the crawl was stopped: ${s.storeError}`);
        err.summary = s;
        throw err;
      }
      s.dbRowsWritten = store.stats().rowsWritten;
    }
    if (s.measured === 0 && !s.stopped) {
      const err = new Libp2pCrawlJobError('ERR_CRAWL_NO_REACHABLE_BOOTNODE',
        `no bootnode answered (${o.bootnodes.length} tried; dial errors: ${Object.entries(s.dialErrors).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); check the address and your network`);
      err.summary = s;
      throw err;
    }
    return s;
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await stopHost(host);
    if (failed && store) await store.close().catch(() => store.abort());
  }
}

/**
 * One crawl on a host and store that outlive it: records the crawl, crawls, writes every visit's rows and stamps
 * the end (the store stays open). A store failure stops the crawl and throws Libp2pCrawlJobError with the summary.
 */
export async function libp2pCrawlOnce(ctx: Libp2pCrawlContext, o: Libp2pCrawlOnceOptions): Promise<Libp2pCrawlJobSummary> {
  const { host, store } = ctx;
  const cfg = o.config;
  const publicNetwork = isPublicNetwork(o.bootnodes);
  const crawlId = store ? await store.beginCrawl({
    // The visit options without their random source (a function: not a parameter, and not cloneable).
    params: { ...cfg, visit: { ...cfg.visit, rand: undefined }, bootnodes: o.bootnodes, ...(o.extraParams ?? {}) },
    vantage: o.vantage, version: o.version, strategy: LIBP2P_STRATEGY, protocol: 'libp2p', vantageAddr: ctx.vantageAddr, campaignId: o.campaignId ?? null,
  }) : null;
  const s = newSummary(crawlId, store);
  const stopper = new AbortController();
  let storeFailure: unknown = null;
  if (store) store.onStall = (e) => { storeFailure ??= e; stopper.abort(); };
  const stop = () => { s.stopped = true; stopper.abort(); };
  o.onStart?.(stop);

  /** Kademlia IDs by idKey of the peer ID bytes, for every peer seen in this crawl (bounded like the crawl: cfg.maxPeers). */
  const ids = new Map<string, Uint8Array>();
  const idOf = (key: string, bytes: Uint8Array): Uint8Array | null => {
    let id = ids.get(key);
    if (!id) {
      if (ids.size >= cfg.maxPeers) return null;
      id = kadId(bytes);
      ids.set(key, id);
    }
    return id;
  };
  let visited = 0;
  const t0 = performance.now();
  const onVisit = (v: Libp2pVisit) => {
    visited++;
    if (v.status === 'measured') bump(s.agentVersions, v.identify?.agentVersion ?? 'unknown');
    const error = v.dialError ?? (v.status === 'failed' ? LIBP2P_NO_ANSWER : null);
    if (error) bump(s.failures, error);
    if (v.dialError) s.unreachable++;
    s.requests += v.requests;
    const nat = natOf(v.identify?.listenAddrs ?? v.dialedAddrs, publicNetwork);
    if (nat.evidence) { s.nat++; bump(s.natEvidence, nat.evidence); }
    const peerBytes = peerIdFromString(v.peerId).toMultihash().bytes;
    const nodeId = idOf(idKey(peerBytes), peerBytes);
    if (store && crawlId !== null && nodeId) writeVisit(store, crawlId, nodeId, v, error, nat, cfg.visit.keysPerCpl);
    if (store && crawlId !== null && nodeId) {
      for (const [key, n] of v.neighbours) {
        const known = ids.has(key);
        const to = idOf(key, n.id);
        if (!to) continue;
        // A listing is a sighting, once per crawl as a record is in a discv5 crawl.
        if (!known) store.touchNode(to, v.endedAtMs);
        store.addEdge(crawlId, nodeId, to, LIBP2P_EDGE_SEQ);
        s.edges++;
      }
    }
    o.tee?.(v, nodeId);
  };
  const timer = o.onProgress ? setInterval(() => {
    o.onProgress!({ discovered: ids.size, visited, measured: s.measured, failed: s.failed, elapsedMs: performance.now() - t0 });
  }, PROGRESS_INTERVAL_MS) : null;
  // Counted here too, so progress is live; the crawl's own totals replace them at the end.
  const counting = (v: Libp2pVisit) => { if (v.status === 'measured') s.measured++; else s.failed++; onVisit(v); };
  try {
    const sample = store && crawlId !== null ? (p: ProgressSample) => store.add(PROGRESS, progressRow(crawlId, p)) : undefined;
    const c = await crawlLibp2p(host, o.bootnodes, cfg, counting, stopper.signal, sample);
    Object.assign(s, {
      discovered: c.discovered, measured: c.measured, failed: c.failed, untracked: c.untracked, dialErrors: sortedCounts(c.dialErrors),
      t90Ms: c.t90Ms === null ? null : Math.round(c.t90Ms), t99Ms: c.t99Ms === null ? null : Math.round(c.t99Ms), elapsedMs: Math.round(c.elapsedMs),
    });
  } finally {
    if (timer) clearInterval(timer);
  }
  s.agentVersions = sortedCounts(s.agentVersions);
  s.failures = sortedCounts(s.failures);
  if (store && crawlId !== null) {
    store.onStall = null;
    if (storeFailure) s.stopped = true;
    try {
      await store.endCrawl(crawlId, s);
    } catch (e) {
      storeFailure ??= e;
    }
    s.dbRowsWritten = store.stats().rowsWritten;
    if (storeFailure) {
      s.storeError = storeFailure instanceof Error ? storeFailure.message : String(storeFailure);
      const err = new Libp2pCrawlJobError('ERR_CRAWL_STORE_FAILED', `the store failed and the crawl was stopped: ${s.storeError}`);
      err.summary = s;
      throw err;
    }
  }
  return s;
}

/** A visit's visits and peers rows, and the peer's sighting if it answered. */
function writeVisit(store: Store, crawlId: number, nodeId: Uint8Array, v: Libp2pVisit, error: string | null, nat: ReturnType<typeof natOf>, keysPerCpl: number): void {
  store.add(VISITS, {
    crawl_id: crawlId, node_id: nodeId, ip: null, udp: null, status: v.status, error,
    rtt1_ms: v.connectMs, rtt2_ms: null, bytes_in: null, bytes_out: null, packets_in: null, packets_out: null,
    requests: v.requests, records_returned: v.neighbours.size, started_at: v.startedAtMs, ended_at: v.endedAtMs,
    distances: distancesOf(v, keysPerCpl), dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null,
    cpl_errors: v.connectMs === null ? null : v.cplErrors,
  });
  store.add(PEERS, {
    crawl_id: crawlId, node_id: nodeId, peer_id: v.peerId, agent_version: v.identify?.agentVersion ?? null,
    protocol_version: v.identify?.protocolVersion ?? null, protocols: v.identify ? JSON.stringify(v.identify.protocols) : null,
    listen_addrs: v.identify ? JSON.stringify(v.identify.listenAddrs) : null, dialed_addrs: JSON.stringify(v.dialedAddrs),
    nat: nat.nat, nat_evidence: nat.evidence,
  });
  if (v.status === 'measured') store.touchNode(nodeId, v.endedAtMs);
}

/** Stops the crawler's host (its listener and connections); a failure to stop leaves nothing the process waits on. */
async function stopHost(host: { stop(): void | Promise<void> } | null): Promise<void> {
  try { await host?.stop(); } catch { /* the crawl's result stands */ }
}

function newSummary(crawlId: number | null, store: Store | null): Libp2pCrawlJobSummary {
  return {
    crawlId, protocol: 'libp2p', strategy: LIBP2P_STRATEGY, discovered: 0, measured: 0, failed: 0, untracked: 0, unreachable: 0, nat: 0,
    natEvidence: {}, dialErrors: {}, failures: {}, t90Ms: null, t99Ms: null, elapsedMs: 0, requests: 0, edges: 0, agentVersions: {},
    db: store?.path ?? null, dbRowsWritten: 0, stopped: false, storeError: null,
  };
}
