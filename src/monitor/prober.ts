// The liveness prober: takes due nodes from the tracker and probes them within its own rate budget, with a
// bound on probes in flight. It never queues the crawl's packets behind its own: each probe is one send.
import type { NodeAddress, ProbeFailure, ProbeSink } from '../session/types.js';
import type { MonitorConfig } from './config.js';
import type { Tracker, TrackedNode } from './tracker.js';

export interface ProbeClient {
  /** What one probe is: a discv5 random packet answered by WHOAREYOU (the session layer's), or a libp2p dial. */
  readonly probeKind?: 'whoareyou' | 'dial';
  /** False when not sent (busy or closed); else the end is told to `sink` (SessionLayer.probeTo). */
  probeTo<T>(remote: NodeAddress, timeoutMs: number, sink: ProbeSink<T>, token: T): boolean;
}

export interface ProbeCounters {
  /** Random-packet probes started (each may resend per the session's retransmits). */
  whoareyou: number;
  /** libp2p dial probes started. */
  dial: number;
  ok: number;
  failed: number;
  /** Not sent: a handshake with the node was under way, or the request table was full; retried shortly. */
  busy: number;
}

/** Budget tick: at 5,000 probes/s a 10 ms tick sends 50 at a time, well inside one socket's burst. */
const TICK_MS = 10;
/** Tokens saved up at most: 100 ms of the rate, so an idle spell does not end in a burst. */
const BURST_MS = 100;
/** A busy node is asked again after this (a handshake takes a round trip or two). */
const BUSY_RETRY_MS = 2000;
/** In flight at most: rate x (timeout x tries), with a quarter more for stragglers. */
const IN_FLIGHT_HEADROOM = 1.25;
/** Floor of the bound, for very low rates. */
const MIN_IN_FLIGHT = 16;

/** Probes in flight at most; the session layer's request table must hold this many besides the crawl's. */
export function probesInFlightBound(cfg: Pick<MonitorConfig, 'probeRatePerSec' | 'probeTimeoutMs'>, retransmits: number): number {
  return Math.ceil((cfg.probeRatePerSec * cfg.probeTimeoutMs * (1 + retransmits)) / 1000 * IN_FLIGHT_HEADROOM) + MIN_IN_FLIGHT;
}

/** Each probe is one call into the session layer and one call back (the node is its own address and token). */
export class Prober implements ProbeSink<TrackedNode> {
  readonly counters: ProbeCounters = { whoareyou: 0, dial: 0, ok: 0, failed: 0, busy: 0 };
  /** Share of the rate in use (the monitor lowers it while a crawl runs). */
  share = 1;
  private inFlight = 0;
  private tokens = 0;
  private lastTickMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private drained: (() => void) | null = null;
  readonly maxInFlight: number;

  constructor(
    private readonly tracker: Tracker,
    private readonly client: ProbeClient,
    private readonly cfg: MonitorConfig,
    retransmits: number,
    /** Told every answered probe's round trip (ms), for the RTT histogram. */
    private readonly onAnswer: (rttMs: number) => void = () => {},
    /** Told what a tick or a probe's result threw (a store refusing rows): the campaign ends with it. */
    private readonly onError: (e: unknown) => void = () => {},
    /** Told every probe's end before the tracker is (a shared campaign writes each as a row); rttMs NaN if unanswered. */
    private readonly onResult: ((n: TrackedNode, ok: boolean, rttMs: number) => void) | null = null,
  ) {
    this.maxInFlight = probesInFlightBound(cfg, retransmits);
  }

  get pending(): number { return this.inFlight; }

  start(): void {
    this.lastTickMs = performance.now();
    this.timer = setInterval(() => { try { this.tick(); } catch (e) { this.onError(e); } }, TICK_MS);
  }

  /** Stops taking nodes; resolves once the probes in flight are done. */
  stop(): Promise<void> {
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => { this.drained = r; });
  }

  private tick(): void {
    const t = performance.now();
    const rate = this.cfg.probeRatePerSec * this.share;
    this.tokens = Math.min((rate * BURST_MS) / 1000, this.tokens + (rate * (t - this.lastTickMs)) / 1000);
    this.lastTickMs = t;
    const now = Date.now();
    while (this.tokens >= 1 && this.inFlight < this.maxInFlight) {
      const n = this.tracker.nextDue(now);
      if (!n) break;
      this.tokens--;
      this.send(n, now);
    }
  }

  private send(n: TrackedNode, nowMs: number): void {
    if (this.client.probeKind === 'dial') this.counters.dial++; else this.counters.whoareyou++;
    let sent: boolean;
    try { sent = this.client.probeTo(n, this.cfg.probeTimeoutMs, this, n); } catch (e) { sent = false; this.onError(e); }
    if (!sent) { this.counters.busy++; this.tracker.retryAt(n, nowMs + BUSY_RETRY_MS); return; }
    n.probing = true;
    // A failure is dated when the probe went out: the node did not answer a packet sent then.
    n.probeSentMs = nowMs;
    this.inFlight++;
  }

  probeAnswered(n: TrackedNode, rttNs: bigint): void {
    if (!this.settle(n)) return;
    try {
      this.counters.ok++;
      const rttMs = Number(rttNs) / 1e6;
      this.onResult?.(n, true, rttMs);
      this.tracker.answered(n, Date.now());
      this.onAnswer(rttMs);
    } catch (e) { this.onError(e); } finally { this.drainCheck(); }
  }

  probeFailed(n: TrackedNode, reason: ProbeFailure): void {
    if (!this.settle(n)) return;
    try {
      if (reason === 'no-whoareyou' || reason === 'no-answer') {
        this.counters.failed++;
        this.onResult?.(n, false, NaN);
        this.tracker.failed(n, n.probeSentMs);
      } else {
        this.counters.busy++;
        this.tracker.retryAt(n, Date.now() + BUSY_RETRY_MS);
      }
    } catch (e) { this.onError(e); } finally { this.drainCheck(); }
  }

  /** Ends the node's probe; false if it had none (a second report). */
  private settle(n: TrackedNode): boolean {
    if (!n.probing) return false;
    n.probing = false;
    this.inFlight--;
    return true;
  }

  /** Even when the tracker's report threw (a store refusing rows): stop() must not wait for it forever. */
  private drainCheck(): void {
    if (this.inFlight === 0 && this.drained) { const d = this.drained; this.drained = null; d(); }
  }
}
