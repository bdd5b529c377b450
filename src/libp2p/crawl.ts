// A crawl of a libp2p Kademlia DHT: visit the bootnodes, then every peer any visit returned, each once, with a
// bound on visits in flight. Peers are deduplicated by peer ID; a peer's addresses are the union of what others
// listed for it before its visit started.
import '../util/node-compat.js';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from 'multiaddr13';
import { DhtscopeError } from '../util/errors.js';
import { RingQueue } from '../util/ring.js';
import { TokenBucket } from '../util/token-bucket.js';
import { DEFAULT_CRAWL_CONFIG } from '../crawler/config.js';
import type { ProgressSample } from '../crawler/types.js';
import { DEFAULT_VISIT_OPTIONS, idKey, MAX_STREAMS_PER_CONNECTION, P2P_CODE, neighbourPeerId, parseAddrs, TRANSIENT_DIAL_ERRORS, visitPeer, type Libp2pHost, type Libp2pVisit, type VisitOptions } from './visit.js';

/**
 * The muxer's own bound on outbound streams per connection: a backstop above the visit's (identify, then
 * MAX_STREAMS_PER_CONNECTION at once), because yamux counts a stream until both sides closed it. At the
 * visit's bound, a monitor's crawls failed every FIND_NODE of whole visits ("max outbound streams exceeded")
 * and died out at their start.
 */
const MUXER_OUTBOUND_STREAMS = 4 * MAX_STREAMS_PER_CONNECTION;
/** A peer is dialed at most twice: a second transient failure says it is down or overloaded. */
const MAX_DIAL_ATTEMPTS = 2;

export class Libp2pCrawlError extends DhtscopeError {}

export interface Libp2pCrawlConfig {
  /** Peers visited at once. */
  concurrency: number;
  /** Bound on peers tracked (discovered); past it new peers are counted and not visited. */
  maxPeers: number;
  /** Stop starting visits after this long (null: when the queue is empty). */
  durationMs: number | null;
  /** Visits started per second at most (null: only `concurrency` bounds them): a public network's peers see a steady dialer. */
  visitsPerSec: number | null;
  /** The crawler's own listen address (a loopback simnet: 127.0.0.1). */
  listenIp: string;
  /** How often the peer states are sampled (the `progress` table). */
  progressIntervalMs: number;
  visit: VisitOptions;
}

export const DEFAULT_LIBP2P_CRAWL_CONFIG: Libp2pCrawlConfig = {
  // Each visit is a TCP dial, a Noise handshake and 16 streams: 200 at once keeps ~3,200 streams open, well
  // inside one process's file budget (20,000) with room for sockets in TIME_WAIT.
  concurrency: 200,
  maxPeers: 500_000,
  durationMs: null,
  visitsPerSec: null,
  listenIp: '0.0.0.0',
  // The discv5 crawl's, so the two protocols' node-state series compare point for point.
  progressIntervalMs: DEFAULT_CRAWL_CONFIG.progressIntervalMs,
  visit: DEFAULT_VISIT_OPTIONS,
};

export interface Libp2pCrawlSummary {
  discovered: number;
  measured: number;
  failed: number;
  untracked: number;
  /** Dials tried again after a transient failure. */
  retries: number;
  elapsedMs: number;
  /** Time until 90% / 99% of the measured peers were measured. */
  t90Ms: number | null;
  t99Ms: number | null;
  dialErrors: Record<string, number>;
}

/** A host that dials and identifies, and serves nothing: a crawler is a client. */
/** `extraDials`: dials besides the crawl's visits the host must allow at once (a monitor's probes in flight). */
export async function createCrawlerHost(listenIp: string, concurrency: number, extraDials = 0): Promise<Libp2pHost> {
  const dials = concurrency + extraDials;
  return await createLibp2p({
    addresses: { listen: [`/ip4/${listenIp}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: MAX_STREAMS_PER_CONNECTION, maxOutboundStreams: MUXER_OUTBOUND_STREAMS })],
    // Identify runs when the visit asks, with its own cap; its push service is not needed by a client.
    services: { identify: identify({ runOnConnectionOpen: false }) },
    // Every visit closes its connection; the manager must not refuse or prune the ones in flight.
    connectionManager: { maxConnections: dials * 2 + 64, maxParallelDials: dials, maxIncomingPendingConnections: 16 },
  }) as unknown as Libp2pHost;
}

/** Parses `/ip4/…/tcp/…/p2p/<id>` bootnodes: one-line errors for anything else. */
export function parseLibp2pBootnode(text: string): { peerId: ReturnType<typeof peerIdFromString>; addr: Multiaddr } {
  try {
    const addr = multiaddr(text);
    const id = addr.getComponents().find((c) => c.name === 'p2p')?.value;
    if (!id) throw new Error('no /p2p/<peer id> part');
    return { peerId: peerIdFromString(id), addr };
  } catch (e) {
    throw new Libp2pCrawlError('ERR_USAGE_BAD_BOOTNODE', `bad libp2p bootnode "${text.slice(0, 120)}": ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface Known { peerId: ReturnType<typeof peerIdFromString>; addrs: Map<string, Uint8Array>; state: 'queued' | 'visiting' | 'done'; attempts: number }

/**
 * Crawls from the bootnodes; `onVisit` gets every visit as it ends, `onSample` the peer states every
 * cfg.progressIntervalMs and once at the end. Once `stop` is aborted no visit starts; the ones in flight end
 * within their timeouts.
 */
export async function crawlLibp2p(
  host: Libp2pHost, bootnodes: string[], cfg: Libp2pCrawlConfig, onVisit: (v: Libp2pVisit) => void, stop?: AbortSignal,
  onSample?: (s: ProgressSample) => void,
): Promise<Libp2pCrawlSummary> {
  const t0 = performance.now();
  /** By idKey of the peer ID bytes; bound: cfg.maxPeers. */
  const known = new Map<string, Known>();
  /** Peers to visit, each at most once at a time: bounded by `known`. */
  const queue = new RingQueue<Known>();
  let untracked = 0, measured = 0, failed = 0, retries = 0, requests = 0;
  const measuredAt: number[] = [];
  const dialErrors: Record<string, number> = {};
  /** A peer by its ID bytes; its addresses (bytes) are kept until its visit starts. */
  const learn = (idBytes: Uint8Array, addrs: Iterable<Uint8Array>, peerId?: Known['peerId']) => {
    const k = idKey(idBytes);
    let n = known.get(k);
    if (!n) {
      if (known.size >= cfg.maxPeers) { untracked++; return; }
      const id = peerId ?? neighbourPeerId({ id: idBytes, addrs: [] });
      if (!id) return;
      n = { peerId: id, addrs: new Map(), state: 'queued', attempts: 0 };
      known.set(k, n);
      queue.push(n);
    }
    if (n.state === 'queued') for (const a of addrs) n.addrs.set(idKey(a), a);
  };
  for (const b of bootnodes) { const { peerId, addr } = parseLibp2pBootnode(b); learn(peerId.toMultihash().bytes, [addr.decapsulateCode(P2P_CODE).bytes], peerId); }
  const deadline = cfg.durationMs === null ? Infinity : t0 + cfg.durationMs;
  let inFlight = 0;
  // A burst of a tenth of a second's visits: a stall is not followed by a flood of dials.
  const bucket = cfg.visitsPerSec === null ? null : new TokenBucket(cfg.visitsPerSec, Math.max(1, cfg.visitsPerSec / 10));
  let wakeTimer: NodeJS.Timeout | null = null;
  /** What the caller's onVisit or onSample threw: no more visits start, and the crawl rejects with it once the others end. */
  let thrown: { e: unknown } | null = null;
  // Every known peer is queued at once (a FIND_NODE reply carries its addresses): none waits as 'discovered'.
  const sample = () => onSample?.({
    tMs: Math.round(performance.now() - t0), discovered: 0, queued: queue.length, pending: inFlight, measured, failed, requests, records: known.size,
  });
  const sampleTimer = onSample ? setInterval(() => { try { sample(); } catch (e) { thrown ??= { e }; } }, cfg.progressIntervalMs) : null;
  await new Promise<void>((done) => {
    const pump = () => {
      while (inFlight < cfg.concurrency && queue.length > 0 && performance.now() < deadline && !stop?.aborted && !thrown) {
        if (bucket && !bucket.take()) {
          // Out of tokens: look again when the next one is due (one timer at a time).
          wakeTimer ??= setTimeout(() => { wakeTimer = null; pump(); }, Math.ceil(1000 / bucket.ratePerSec));
          return;
        }
        const n = queue.shift()!;
        n.state = 'visiting';
        inFlight++;
        n.attempts++;
        visitPeer(host, n.peerId, parseAddrs(n.addrs.values()), cfg.visit).then((v) => {
          v.attempts = n.attempts;
          // Tried again at the back of the queue, when the load that failed it may have passed.
          if (v.dialError && TRANSIENT_DIAL_ERRORS.has(v.dialError) && n.attempts < MAX_DIAL_ATTEMPTS) { retries++; n.state = 'queued'; queue.push(n); return; }
          n.state = 'done';
          n.addrs.clear();
          requests += v.requests;
          if (v.status === 'measured') { measured++; measuredAt.push(performance.now() - t0); } else failed++;
          if (v.dialError) dialErrors[v.dialError] = (dialErrors[v.dialError] ?? 0) + 1;
          for (const p of v.neighbours.values()) learn(p.id, p.addrs);
          onVisit(v);
        }).catch((e: unknown) => { thrown ??= { e }; }).finally(() => {
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) done();
    };
    pump();
  });
  if (sampleTimer) clearInterval(sampleTimer);
  if (thrown) throw (thrown as { e: unknown }).e;
  sample();
  const at = (q: number) => (measuredAt.length ? measuredAt[Math.max(0, Math.ceil(q * measuredAt.length) - 1)]! : null);
  return { discovered: known.size, measured, failed, untracked, retries, elapsedMs: performance.now() - t0, t90Ms: at(0.9), t99Ms: at(0.99), dialErrors };
}
