// The monitor's Prometheus endpoint (prom-client): visit and probe counts by result, queue lengths, the store's
// write queue, the current rate limits and a probe RTT histogram; and /status, the latest status as JSON (the
// database is locked while the monitor runs, so this is how a script reads a running campaign). Bound to
// loopback unless told otherwise.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MonitorStatus } from './monitor-job.js';
import { DhtscopeError } from '../util/errors.js';

export class MetricsError extends DhtscopeError {}

/** Probe RTT buckets (seconds): loopback simnets answer in ms, the real network in tens to hundreds of ms. */
const RTT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly visits = new Counter({ name: 'dhtscope_visits_total', help: 'Crawl visits by result', labelNames: ['result'] as const, registers: [this.registry] });
  private readonly probes = new Counter({ name: 'dhtscope_probes_total', help: 'Liveness probes by kind and result', labelNames: ['kind', 'result'] as const, registers: [this.registry] });
  private readonly nodes = new Gauge({ name: 'dhtscope_nodes', help: 'Tracked nodes by state: tracked, up (in an open uptime session), reachable (answered once)', labelNames: ['state'] as const, registers: [this.registry] });
  private readonly queues = new Gauge({ name: 'dhtscope_queue_length', help: 'Queue lengths: probes in flight, crawl visits waiting, store rows not yet committed', labelNames: ['queue'] as const, registers: [this.registry] });
  private readonly rate = new Gauge({ name: 'dhtscope_rate_limit_per_second', help: 'Current rate limits: probe (probes/s), crawl (FINDNODE/s, adaptive; 0 between crawls)', labelNames: ['budget'] as const, registers: [this.registry] });
  private readonly crawls = new Gauge({ name: 'dhtscope_crawls_done', help: 'Crawls finished in the campaign', registers: [this.registry] });
  private readonly rtt = new Histogram({ name: 'dhtscope_probe_rtt_seconds', help: 'Round trip of answered probes (random packet to WHOAREYOU)', buckets: RTT_BUCKETS_S, registers: [this.registry] });
  private last: MonitorStatus | null = null;

  observeRtt(ms: number): void { this.rtt.observe(ms / 1000); }

  /** Counters advance by the difference to the previous status (a resumed campaign starts from zero). */
  update(s: MonitorStatus): void {
    const p = this.last;
    const inc = (c: Counter<'result'> | Counter<'kind' | 'result'>, labels: Record<string, string>, now: number, before: number) => {
      if (now > before) (c as Counter<string>).inc(labels, now - before);
    };
    inc(this.visits, { result: 'measured' }, s.visits.measured, p?.visits.measured ?? 0);
    inc(this.visits, { result: 'failed' }, s.visits.failed, p?.visits.failed ?? 0);
    inc(this.probes, { kind: 'whoareyou', result: 'ok' }, s.probes.ok, p?.probes.ok ?? 0);
    inc(this.probes, { kind: 'whoareyou', result: 'failed' }, s.probes.failed, p?.probes.failed ?? 0);
    inc(this.probes, { kind: 'whoareyou', result: 'busy' }, s.probes.busy, p?.probes.busy ?? 0);
    this.nodes.set({ state: 'tracked' }, s.tracked);
    this.nodes.set({ state: 'up' }, s.up);
    this.nodes.set({ state: 'reachable' }, s.reachable);
    this.queues.set({ queue: 'probes_in_flight' }, s.probesInFlight);
    this.queues.set({ queue: 'crawl_queued' }, s.crawl?.queued ?? 0);
    this.queues.set({ queue: 'store_write' }, s.storeBacklog);
    this.rate.set({ budget: 'probe' }, s.probeRateLimit);
    this.rate.set({ budget: 'crawl' }, s.crawl?.rateLimit ?? 0);
    this.crawls.set(s.crawlsDone);
    // Kept for the next difference; a crawl's visits leave `crawl` but stay in `visits`.
    this.last = s;
  }

  /** Serves GET /metrics and /status on host:port; resolves once listening (port 0 picks one: read `port`). */
  async listen(port: number, host: string): Promise<{ port: number; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/status') {
        res.writeHead(this.last ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.last ?? { error: 'no status yet' }) + '\n');
        return;
      }
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /status\n');
        return;
      }
      this.registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': this.registry.contentType }).end(text); },
        (e: unknown) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`); },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new MetricsError('ERR_USAGE_METRICS_PORT', `cannot serve metrics on ${host}:${port}: ${e.code ?? e.message}`)));
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    return {
      port: typeof addr === 'object' && addr ? addr.port : port,
      close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
    };
  }
}
