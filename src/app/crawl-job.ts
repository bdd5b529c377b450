import { decodeEnr, decodeEnrText, enrFields, type Enr } from '../enr/index.js';
import { networkOf } from '../enr/networks.js';
import { secp } from '../crypto/index.js';
import { keccak256 } from '../crypto/hash.js';
import { SessionLayer, type NodeAddress } from '../session/session-layer.js';
import { UdpTransport } from '../transport/udp.js';
import { Crawler, type ProgressSample } from '../crawler/crawler.js';
import { networkInterfaces } from 'node:os';
import { StoreSink } from './crawl-sink.js';
import { OwnEndpoints } from '../crawler/endpoints.js';
import type { CrawlNode } from '../crawler/nodes.js';
import type { CrawlSink, VisitRecord } from '../crawler/types.js';
import { DEFAULT_CRAWL_CONFIG, effectiveConcurrency, validateCrawlConfig, type CrawlConfig } from '../crawler/config.js';
import { createStrategy } from '../crawler/strategies.js';
import { loadIdentity } from '../crawler/identity.js';
import { Store, type StoreOptions } from '../store/index.js';
import { createCryptoOffload, type CryptoOffload, type OffloadStats } from '../work/pool.js';
import { fromHex } from '../util/bytes.js';
import { DhtscopeError, UsageError } from '../util/errors.js';

export class CrawlJobError extends DhtscopeError {
  /** What the crawl did before it failed, when it got that far (a store failure mid-crawl). */
  summary?: CrawlSummary;
}

export interface CrawlJobOptions {
  config: Partial<CrawlConfig>;
  /** ENR texts or enode URLs. */
  bootnodes: string[];
  /** DuckDB file; null runs without a store (benchmarks of the crawler alone). */
  dbPath: string | null;
  /** DuckDB buffer-pool cap (MB); default DEFAULT_DUCKDB_MEMORY_MB. */
  dbMemoryMB?: number;
  /** Other store settings (tests shrink the row bound). */
  storeOptions?: StoreOptions;
  keyFile: string | null;
  freshIdentity: boolean;
  version: string;
  /** Extra parameters stored with the crawl (e.g. the simnet truth file). */
  extraParams?: Record<string, unknown>;
  /** Called every progress sample (for progress bars). */
  onProgress?: (s: ProgressSample, reqPerSec: number) => void;
  /** Called once the crawler is running, with a function that stops it cleanly (signals), and the store. */
  onStart?: (stop: () => void, store: Store | null) => void;
}

export interface CrawlSummary {
  crawlId: number | null;
  strategy: string;
  discovered: number;
  measured: number;
  failed: number;
  unvisited: number;
  /** First contacts: random packets to nodes not yet heard from (a live node answers WHOAREYOU). */
  contacts: number;
  contactsPerSec: number;
  /** FINDNODE requests sent (the visit budget --rate limits). */
  requests: number;
  responses: number;
  elapsedMs: number;
  reqPerSec: number;
  /** Nodes admitted to their visit so late that their challenge may have been forgotten (see ContactAhead). */
  lateAdmissions: number;
  bytesIn: number;
  bytesOut: number;
  bytesOutPerSec: number;
  /** Where reply arrival times (and so RTTs) come from: the kernel's receive timestamps, or the event loop. */
  rxClock: 'kernel' | 'event-loop';
  packetsIn: number;
  packetsOut: number;
  /**
   * notStored: records of unvisited nodes a stopped crawl had no time to check (Crawler.stopVerifyBudgetMs).
   * Dropped from hostile or broken replies: unrequested (at a distance not asked), overCap (past 16 per distance
   * asked), versionLimit (newer versions of one node past MAX_RECORD_UPDATES); unrequestedVisits: visits ended
   * early because their node kept doing the first.
   */
  records: {
    new: number; updated: number; duplicate: number; bad: number; badSignature: number; notStored: number;
    unrequested: number; overCap: number; versionLimit: number; unrequestedVisits: number;
  };
  byNetwork: Record<string, number>;
  failures: Record<string, number>;
  /** Records whose endpoint the crawler would not probe, by reason (special, loopback or private from a public peer, port < 1024). */
  droppedEndpoints: Record<string, number>;
  cycles: number;
  threads: number;
  /** Work the crypto worker pool did (tasks, handshakes, record checks); null when crypto ran inline (1 thread). */
  pool: OffloadStats | null;
  cpuUsPerRequest: number;
  /** Adaptive rate: lowest rate set and time spent below the configured one (null when fixed). */
  throttle: { minRatePerSec: number; throttledMs: number } | null;
  db: string | null;
  dbRowsWritten: number;
  dbRowsPerSec: number;
  stopped: boolean;
  /** Why the store failed mid-crawl or at its end (the crawl was stopped); null when it did not. */
  storeError: string | null;
  /** Session-layer counters: drops by reason, unsolicited WHOAREYOUs, handshakes. */
  session: Record<string, unknown>;
}

export interface CrawlJobResult {
  summary: CrawlSummary;
  crawler: Crawler;
}

/** Parses an `enr:` text or an `enode://<pubkey>@ip:port[?discport=N]` URL. */
export function parseBootnode(s: string): Enr | NodeAddress {
  const t = s.trim();
  if (t.startsWith('enr:')) {
    try { return decodeEnrText(t); } catch (e) {
      throw new UsageError('ERR_USAGE_BAD_BOOTNODE', `bad bootnode record ${t.slice(0, 24)}…: ${(e as Error).message}`);
    }
  }
  const m = /^enode:\/\/([0-9a-fA-F]{128})@([^:?#]+|\[[0-9a-fA-F:]+\]):(\d+)(?:\?discport=(\d+))?$/.exec(t);
  if (!m) throw new UsageError('ERR_USAGE_BAD_BOOTNODE', `bad bootnode "${t.slice(0, 40)}": expected enr:… or enode://<128 hex>@ip:port`);
  const xy = fromHex(m[1]!);
  let pubkey: Uint8Array;
  try { pubkey = secp().publicKeyConvert(Uint8Array.from([4, ...xy]), true); } catch {
    throw new UsageError('ERR_USAGE_BAD_BOOTNODE', `bad bootnode "${t.slice(0, 40)}": public key is not on the curve`);
  }
  const port = Number(m[4] ?? m[3]);
  if (!(port > 0 && port < 65536)) throw new UsageError('ERR_USAGE_BAD_BOOTNODE', `bad bootnode port ${port}`);
  return { id: keccak256(xy), ip: m[2]!.replace(/^\[|\]$/g, ''), port, pubkey };
}

/** Network counts without a store: decoded from the crawler's records (after the crawl, off its clock). */
function countNetworks(crawler: Crawler): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of crawler.allNodes()) {
    let net = 'unknown';
    if (n.raw) try { net = networkOf(enrFields(decodeEnr(n.raw))); } catch { /* counted as unknown */ }
    out[net] = (out[net] ?? 0) + 1;
  }
  return sortedCounts(out);
}

/** Network counts from the stored records: the latest record of each node; nodes without one are unknown. */
async function storedNetworks(store: Store, crawlId: number, discovered: number): Promise<Record<string, number>> {
  const rows = await store.query<{ network: string; n: bigint }>(
    `SELECT network, count(*) AS n FROM (SELECT network, row_number() OVER (PARTITION BY node_id ORDER BY seq DESC) AS pick
      FROM records WHERE crawl_id = $1) r WHERE pick = 1 GROUP BY network`, [crawlId]);
  const out: Record<string, number> = {};
  let withRecord = 0;
  for (const r of rows) { out[r.network ?? 'unknown'] = Number(r.n); withRecord += Number(r.n); }
  if (discovered > withRecord) out.unknown = (out.unknown ?? 0) + discovered - withRecord;
  return sortedCounts(out);
}

function sortedCounts(c: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).sort((a, b) => b[1] - a[1]));
}

/** What crawls share when several run in one process (a monitor): identity, store, socket, session layer, crypto pool. */
export interface CrawlRuntime {
  identity: ReturnType<typeof loadIdentity>;
  store: Store | null;
  transport: UdpTransport;
  session: SessionLayer;
  offload: CryptoOffload | null;
}

export interface RuntimeOptions {
  config: CrawlConfig;
  dbPath: string | null;
  dbMemoryMB?: number;
  storeOptions?: StoreOptions;
  keyFile: string | null;
  freshIdentity: boolean;
  /** Requests in flight besides the crawl's visits (a monitor's probes). */
  extraPending?: number;
}

/**
 * Opens what a crawl runs on. The identity, then the store, before anything else: a bad key file, an unwritable
 * or locked path fail before any packet is sent (and before the store's writer thread exists).
 */
export async function openCrawlRuntime(o: RuntimeOptions): Promise<CrawlRuntime> {
  const config = o.config;
  const identity = loadIdentity(o.keyFile, o.freshIdentity);
  const store = o.dbPath ? await Store.open(o.dbPath, { memoryLimitMB: o.dbMemoryMB, ...o.storeOptions }) : null;
  let transport: UdpTransport | null = null;
  try {
    // A second, IPv6 socket serves records that only offer ip6/udp6 (skipped if the host has no IPv6).
    transport = await UdpTransport.bind({ address: config.bindAddress, port: config.bindPort, ip6Address: config.bindAddress === '127.0.0.1' ? '::1' : '::' });
    // A client: it answers no stranger (respond: false), so nobody can make it do handshake crypto or hold a
    // challenge; its own requests never need it to (a node that lost our session sends us the WHOAREYOU).
    const session = new SessionLayer(transport, { sk: identity.sk, id: identity.id, enr: identity.enr }, {
      requestTimeoutMs: config.requestTimeoutMs, retransmits: config.retransmits, collectNodes: false, respond: false,
      maxPendingRequests: Math.max(effectiveConcurrency(config) * 2, 1024) + (o.extraPending ?? 0), maxSessions: Math.min(config.maxNodes, 500_000),
    });
    const offload = config.threads > 1 ? createCryptoOffload(config.threads) : null;
    session.useOffload(offload);
    return { identity, store, transport, session, offload };
  } catch (e) {
    await transport?.close();
    if (store) await store.close().catch(() => store.abort());
    throw e;
  }
}

/** Closes the runtime; a store that fails to close is aborted, so no writer thread is left running. */
export async function closeCrawlRuntime(rt: CrawlRuntime): Promise<void> {
  rt.session.close();
  await rt.offload?.close();
  await rt.transport.close();
  if (rt.store) await rt.store.close().catch(() => rt.store!.abort());
}

export interface CrawlOnceOptions {
  config: CrawlConfig;
  bootnodes: string[];
  version: string;
  extraParams?: Record<string, unknown>;
  /** Records in the form of parsed bootnodes, added besides `bootnodes` (a monitor's known live nodes). */
  extraSeeds?: Array<Enr | NodeAddress>;
  campaignId?: number | null;
  onProgress?: (s: ProgressSample, reqPerSec: number) => void;
  onStart?: (stop: () => void, store: Store | null) => void;
  /** Called with the crawler before it runs (a monitor reads its queue and rate limit). */
  onCrawler?: (c: Crawler) => void;
  /** A stop also closes the session layer, which fails the requests in flight at once (a lone crawl). */
  closeSessionOnStop?: boolean;
  /** Gets every crawl event after the store (a monitor follows the visits). */
  tee?: CrawlSink;
}

/** The crawler's own endpoints: its sockets, on every address of this host when bound to a wildcard. */
function ownEndpoints(t: UdpTransport): OwnEndpoints {
  const host = Object.values(networkInterfaces()).flatMap((xs) => (xs ?? []).map((x) => x.address.replace(/%.*$/, '')));
  return new OwnEndpoints([t.address, ...(t.address6 ? [t.address6] : [])], [...host, '127.0.0.1', '::1']);
}

/** The vantage's endpoint as stored with its crawls: only a specific address says where the vantage is. */
export function vantageAddr(t: UdpTransport): string | null {
  const a = t.address;
  return a.ip === '0.0.0.0' || a.ip === '::' ? null : `${a.ip}:${a.port}`;
}

/** Sends every event to the store's sink, then to the tee. */
class TeeSink implements CrawlSink {
  readonly load?: CrawlSink['load'];
  constructor(private readonly a: CrawlSink | null, private readonly b: CrawlSink) { this.load = a?.load; }
  record(n: CrawlNode, t: number): void { this.a?.record(n, t); this.b.record(n, t); }
  visit(v: VisitRecord): void { this.a?.visit(v); this.b.visit(v); }
  packet(id: Uint8Array, r: number, i: number, at: bigint, size: number): void { this.a?.packet(id, r, i, at, size); this.b.packet(id, r, i, at, size); }
  edge(f: CrawlNode, t: CrawlNode, seq: bigint): void { this.a?.edge(f, t, seq); this.b.edge(f, t, seq); }
  progress(s: ProgressSample): void { this.a?.progress(s); this.b.progress(s); }
}

/**
 * One crawl on a runtime: records it in the store (begin, rows, end), crawls, and returns the summary. The
 * runtime stays open. A store failure stops the crawl and throws CrawlJobError with the summary.
 */
export async function crawlOnce(rt: CrawlRuntime, o: CrawlOnceOptions): Promise<CrawlJobResult> {
  const config = o.config;
  const strategy = createStrategy(config.strategy);
  const boots = o.bootnodes.map(parseBootnode);
  const { store, transport, session, offload } = rt;
  const crawlId = store ? await store.beginCrawl({
    params: { ...config, bootnodes: o.bootnodes, ...(o.extraParams ?? {}) }, vantage: config.vantage, version: o.version, strategy: strategy.name,
    campaignId: o.campaignId ?? null, vantageAddr: vantageAddr(transport), protocol: 'discv5',
  }) : null;
  const storeSink = store && crawlId !== null ? new StoreSink(store, crawlId) : null;
  const sink = o.tee ? new TeeSink(storeSink, o.tee) : storeSink;
  const crawler = new Crawler(config, session, strategy, rt.identity.id, sink, offload);
  crawler.own = ownEndpoints(transport);
  for (const b of boots) crawler.addBootnode(b);
  for (const b of o.extraSeeds ?? []) crawler.addBootnode(b);
  const t0 = { ...transport.stats };
  let lastReq = 0, lastT = 0;
  const progressTimer = o.onProgress ? setInterval(() => {
    const s = crawler.samples[crawler.samples.length - 1];
    if (!s) return;
    const rps = s.tMs > lastT ? ((s.requests - lastReq) * 1000) / (s.tMs - lastT) : 0;
    lastReq = s.requests; lastT = s.tMs;
    o.onProgress!(s, rps);
  }, 250) : null;
  let stopped = false;
  const stop = () => { stopped = true; crawler.stop(); if (o.closeSessionOnStop) session.close(); };
  // A writer that keeps failing stops the crawl (outside the crawler's own call stack); the rows stay queued.
  let storeFailure: unknown = null;
  if (store) store.onStall = (e) => { storeFailure ??= e; setImmediate(stop); };
  o.onStart?.(stop, store);
  o.onCrawler?.(crawler);
  const cpu0 = process.cpuUsage();
  try {
    await crawler.run();
  } finally {
    if (progressTimer) clearInterval(progressTimer);
  }
  const cpu = process.cpuUsage(cpu0);
  const c = crawler.counts;
  const perSec = (n: number): number => Math.round((n * 1000) / Math.max(1, crawler.elapsedMs));
  const ts = transport.stats;
  const bytesOut = ts.bytesOut - t0.bytesOut;
  const summary: CrawlSummary = {
    crawlId, strategy: strategy.name, discovered: crawler.knownNodes, measured: c.measured, failed: c.failed,
    unvisited: c.discovered + c.queued + c.pending, contacts: crawler.counters.contacts, contactsPerSec: perSec(crawler.counters.contacts),
    requests: crawler.counters.requests, responses: crawler.counters.responses,
    elapsedMs: Math.round(crawler.elapsedMs), reqPerSec: perSec(crawler.counters.requests), lateAdmissions: crawler.counters.lateAdmissions,
    bytesIn: ts.bytesIn - t0.bytesIn, bytesOut, bytesOutPerSec: perSec(bytesOut), rxClock: transport.rxClock,
    packetsIn: ts.packetsIn - t0.packetsIn, packetsOut: ts.packetsOut - t0.packetsOut,
    records: {
      new: crawler.counters.newRecords, updated: crawler.counters.updatedRecords, duplicate: crawler.counters.duplicateRecords,
      bad: crawler.counters.badRecords, badSignature: crawler.counters.badSignatures, notStored: crawler.counters.unverifiedAtStop,
      unrequested: crawler.counters.unrequestedRecords, overCap: crawler.counters.overCapRecords,
      versionLimit: crawler.counters.versionLimitRecords, unrequestedVisits: crawler.counters.unrequestedVisits,
    },
    byNetwork: store ? {} : countNetworks(crawler), failures: { ...crawler.failureReasons }, droppedEndpoints: { ...crawler.droppedEndpoints },
    cycles: crawler.counters.cyclesDone, threads: config.threads, pool: offload ? { ...offload.stats } : null, throttle: crawler.throttle,
    cpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, crawler.counters.requests)),
    db: store?.path ?? null, dbRowsWritten: 0, dbRowsPerSec: 0, stopped, storeError: null, session: { ...session.counters },
  };
  if (store && crawlId !== null) {
    store.onStall = null;
    try {
      if (!storeFailure) summary.byNetwork = await storedNetworks(store, crawlId, summary.discovered);
      await store.endCrawl(crawlId, summary);
    } catch (e) {
      storeFailure ??= e;
    }
    const st = store.stats();
    summary.dbRowsWritten = st.rowsWritten;
    summary.dbRowsPerSec = Math.round(store.rowsPerSec());
    if (storeFailure) {
      summary.byNetwork = countNetworks(crawler);
      const why = storeFailure instanceof Error ? storeFailure.message : String(storeFailure);
      summary.storeError = why;
      const err = new CrawlJobError('ERR_CRAWL_STORE_FAILED',
        `the store failed and the crawl was stopped: ${why}; ${st.rowsBuffered} rows not written, ${st.rowsWritten} committed`);
      err.summary = summary;
      throw err;
    }
  }
  return { summary, crawler };
}

/**
 * One crawl end to end: validates input, opens the store before any packet, binds, crawls,
 * flushes and closes the store (also on stop), and returns the summary.
 */
export async function runCrawlJob(o: CrawlJobOptions): Promise<CrawlJobResult> {
  const config = validateCrawlConfig({ ...DEFAULT_CRAWL_CONFIG, ...o.config });
  createStrategy(config.strategy); // an unknown strategy fails before anything opens
  if (o.bootnodes.length === 0) throw new UsageError('ERR_USAGE_NO_BOOTNODE', 'no bootnode: give --bootnode, --network or --simnet');
  o.bootnodes.forEach(parseBootnode);
  const rt = await openCrawlRuntime({ config, dbPath: o.dbPath, dbMemoryMB: o.dbMemoryMB, storeOptions: o.storeOptions, keyFile: o.keyFile, freshIdentity: o.freshIdentity });
  let failed = false;
  try {
    const result = await crawlOnce(rt, {
      config, bootnodes: o.bootnodes, version: o.version, extraParams: o.extraParams, onProgress: o.onProgress, onStart: o.onStart, closeSessionOnStop: true,
    });
    rt.session.close();
    if (rt.store) {
      try {
        await rt.store.close();
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        result.summary.storeError = why;
        const st = rt.store.stats();
        const err = new CrawlJobError('ERR_CRAWL_STORE_FAILED',
          `the store failed and the crawl was stopped: ${why}; ${st.rowsBuffered} rows not written, ${st.rowsWritten} committed`);
        err.summary = result.summary;
        throw err;
      }
    }
    const { summary } = result;
    if (summary.measured === 0 && !summary.stopped) {
      throw new CrawlJobError('ERR_CRAWL_NO_REACHABLE_BOOTNODE',
        `no bootnode answered within ${config.requestTimeoutMs} ms x ${config.retransmits + 1} tries (${o.bootnodes.length} tried); check the address and your network`);
    }
    return result;
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (failed && rt.store) await rt.store.abort().catch(() => undefined);
    await closeCrawlRuntime(rt);
  }
}
