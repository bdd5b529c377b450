// Liveness probes of libp2p peers for the monitor: a dial (TCP, Noise, Yamux) to the peer's address with its
// peer ID, closed at once. The Noise handshake proves the peer holds the key of that ID, so an answer is the
// peer itself, not whoever has its port now; nothing cheaper does that (TCP alone would not, and libp2p has no
// unauthenticated packet like discv5's WHOAREYOU).
import { isIPv6 } from 'node:net';
import { multiaddr } from 'multiaddr13';
import type { NodeAddress, ProbeSink } from '../session/types.js';
import type { Libp2pHost } from './visit.js';
import { dialHeld, release } from './conn-share.js';

/** A probe is one dial with its own timeout: TCP retries its SYNs itself, so it is not sent again. */
export const LIBP2P_PROBE_RESENDS = 0;

/** The peer ID (base58 text) of a tracked node, by its Kademlia ID; null if unknown. */
export type PeerIdOf = (kadId: Uint8Array) => string | null;

export class Libp2pProbeClient {
  readonly probeKind = 'dial' as const;
  /** Dials in flight; the prober bounds them. */
  private inFlight = 0;
  private closed = false;
  private idle: (() => void) | null = null;

  constructor(private readonly host: Libp2pHost, private readonly peerIdOf: PeerIdOf) {}

  get pending(): number { return this.inFlight; }

  probeTo<T>(remote: NodeAddress, timeoutMs: number, sink: ProbeSink<T>, token: T): boolean {
    if (this.closed) return false;
    const peerId = this.peerIdOf(remote.id);
    // No peer ID yet (a node another vantage's probes told of, before this one's crawl met it): nothing to
    // observe, so not sent, and not a failure; the prober asks again later.
    if (!peerId) return false;
    let target;
    try {
      target = multiaddr(`/${isIPv6(remote.ip) ? 'ip6' : 'ip4'}/${remote.ip}/tcp/${remote.port}/p2p/${peerId}`);
    } catch {
      queueMicrotask(() => sink.probeFailed(token, 'no-answer'));
      return true;
    }
    this.inFlight++;
    const t0 = process.hrtime.bigint();
    // A new connection even if the crawl holds one: the probe asks whether the peer takes a dial now.
    dialHeld(this.host, peerId, target, AbortSignal.timeout(timeoutMs)).then(({ conn }) => {
      const rttNs = process.hrtime.bigint() - t0;
      release(conn).catch(() => {});
      sink.probeAnswered(token, rttNs);
    }, () => {
      sink.probeFailed(token, 'no-answer');
    }).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0 && this.idle) { const f = this.idle; this.idle = null; f(); }
    }).catch(() => { /* the sink's own errors are the prober's (it catches them) */ });
    return true;
  }

  /** Starts no more dials; resolves when the ones in flight are done. */
  close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => { this.idle = r; });
  }
}
