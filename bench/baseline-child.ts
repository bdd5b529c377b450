/**
 * Baseline crawler child process: a breadth-first FINDNODE crawl written only against
 * @chainsafe/discv5's public API (`Discv5.create`, `start`, `sendFindNode`, `stop`). It is what a
 * TypeScript user would write today without dhtscope, and the baseline of the headline benchmark.
 * Driven by bench/baseline-chainsafe.ts (fork + one IPC config message, one IPC reply).
 *
 * Fairness notes:
 *  - chainsafe signs, verifies and does ECDH with pure-JS secp256k1 (ethereum-cryptography /
 *    noble-curves): each handshake costs milliseconds of CPU, and every record of every NODES reply
 *    is signature-checked on decode (duplicates included). That is the library as shipped; we do
 *    not swap its crypto.
 *  - chainsafe's default request timeout is 1 s (`requestTimeout`), with no retransmission by
 *    default (`requestRetries: 1` counts the first send). The timer restarts when the handshake is
 *    sent, so a request to a live node may take up to ~2 timeouts; a dead node fails after one.
 *    `timeoutMs` overrides `requestTimeout`; retries stay at chainsafe's default.
 *  - chainsafe accepts at most 5 NODES packets per reply and drops records whose log-distance is
 *    not one of the asked distances.
 *  - Background traffic: chainsafe 11 has no periodic lookups (no lookup-interval setting exists),
 *    `enrUpdate: false` stops PONG-vote ENR rewriting, and `pingInterval` is set to the largest
 *    timer value (~24.8 days) so the per-peer keep-alive pings that start whenever a session lands
 *    in the routing table never fire during a crawl. Not disableable by config: the routing table
 *    itself (every verified outgoing session inserts the peer, and a full bucket holding a
 *    disconnected entry triggers one eviction PING), and answering inbound requests; both are
 *    negligible in a crawl (the table only holds a few hundred entries and the simnet never
 *    queries the crawler).
 *  - Each node gets exactly ONE sendFindNode; `distances: 'prefix'` rotates one distance 256..241
 *    across requests (dhtscope's default `prefix` strategy), 'all' asks [256, 255, 254].
 */
import { createSocket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Discv5 } from '@chainsafe/discv5';
import { ENR, SignableENR } from '@chainsafe/enr';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';

export interface BaselineConfig {
  /** ENR texts (enr:...) to start from. */
  bootnodes: string[];
  /** FINDNODE requests in flight at once. */
  concurrency: number;
  /** chainsafe `requestTimeout` in ms (default: chainsafe's own, 1,000). */
  timeoutMs?: number;
  distances: 'prefix' | 'all';
  maxDurationMs: number;
}

export interface BaselineChildResult {
  /** [nodeIdHex, ms since crawl start at which its FINDNODE succeeded], in completion order. */
  measured: [string, number][];
  /** Distinct node IDs known (bootnodes + every record received). */
  discovered: number;
  /** sendFindNode calls made. */
  requests: number;
  /** sendFindNode calls that rejected (timeout, handshake failure) or never settled. */
  failures: number;
  /** Node IDs of those failures (to tell live nodes given up on from dead records). */
  failed: string[];
  /** Failures by chainsafe error code ('Timeout', ...; 'Guard' = never settled). */
  failureReasons: Record<string, number>;
  /** Crawl start until the queue drained with nothing in flight, or until maxDurationMs. */
  elapsedMs: number;
  /** user + system CPU of this process over the crawl. */
  cpuUs: number;
  peakRssBytes: number;
  eventLoopP99Ms: number;
  /** True if the crawl stopped at maxDurationMs with work left. */
  timedOut: boolean;
}

/** setInterval's largest delay; anything above overflows to 1 ms in Node. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const PREFIX_DISTANCES = 16;

/** A UDP port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startNode(timeoutMs: number | undefined): Promise<Discv5> {
  const privateKey = await generateKeyPair('secp256k1');
  // @libp2p/crypto and chainsafe may resolve different copies of @libp2p/interface: same shape, other type.
  const pk = privateKey as unknown as Parameters<typeof SignableENR.createFromPrivateKey>[0];
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const enr = SignableENR.createFromPrivateKey(pk);
    enr.ip = '127.0.0.1';
    enr.udp = port;
    const d = Discv5.create({
      enr,
      privateKey: pk,
      bindAddrs: { ip4: multiaddr(`/ip4/127.0.0.1/udp/${port}`) },
      config: {
        enrUpdate: false,
        pingInterval: MAX_TIMER_MS,
        ...(timeoutMs !== undefined ? { requestTimeout: timeoutMs } : {}),
      },
    });
    try {
      await d.start();
      return d;
    } catch (e) {
      if (attempt >= 5) throw e; // the port was taken between freePort() and bind
    }
  }
}

export async function crawl(cfg: BaselineConfig): Promise<BaselineChildResult> {
  const d = await startNode(cfg.timeoutMs);
  const selfId = d.enr.nodeId;
  // A guard for sendFindNode promises that never settle (chainsafe drops a request silently when
  // sending throws or the target is its own address); generous next to its own ~2x timeout.
  const guardMs = Math.max(10_000, 5 * (cfg.timeoutMs ?? 1000));

  const seen = new Set<string>([selfId]);
  const queue: ENR[] = [];
  let head = 0;
  for (const txt of cfg.bootnodes) {
    const e = ENR.decodeTxt(txt);
    if (!seen.has(e.nodeId)) { seen.add(e.nodeId); queue.push(e); }
  }

  const measured: [string, number][] = [];
  let requests = 0;
  const failed: string[] = [];
  const failureReasons: Record<string, number> = {};
  let inFlight = 0;
  let rotation = 0;
  const nextDistances = (): number[] =>
    cfg.distances === 'all' ? [256, 255, 254] : [256 - (rotation++ % PREFIX_DISTANCES)];

  const eld = monitorEventLoopDelay({ resolution: 10 });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
  eld.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();

  const elapsedMs = await new Promise<number>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      resolve(performance.now() - t0);
    };
    const deadline = setTimeout(finish, cfg.maxDurationMs);

    const visit = (enr: ENR): void => {
      requests++;
      inFlight++;
      let guard: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => { guard = setTimeout(() => reject(new Error('never settled')), guardMs); });
      Promise.race([d.sendFindNode(enr, nextDistances()), hung]).then(
        (enrs) => {
          if (finished) return;
          measured.push([enr.nodeId, Math.round((performance.now() - t0) * 10) / 10]);
          for (const e of enrs) {
            const id = e.nodeId;
            if (!seen.has(id)) { seen.add(id); queue.push(e); }
          }
        },
        (e: unknown) => {
          if (finished) return;
          failed.push(enr.nodeId);
          const code = (e as { code?: string }).code ?? ((e as Error).message === 'never settled' ? 'Guard' : 'Other');
          failureReasons[code] = (failureReasons[code] ?? 0) + 1;
        },
      ).finally(() => {
        clearTimeout(guard);
        inFlight--;
        pump();
      });
    };

    const pump = (): void => {
      if (finished) return;
      while (inFlight < cfg.concurrency && head < queue.length) {
        const e = queue[head]!;
        queue[head++] = undefined as unknown as ENR; // let visited records be collected
        visit(e);
      }
      if (head > 65_536 && head * 2 > queue.length) { queue.splice(0, head); head = 0; }
      if (inFlight === 0 && head >= queue.length) finish();
    };
    pump();
  });

  const cpu = process.cpuUsage(cpu0);
  eld.disable();
  clearInterval(rssTimer);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const timedOut = inFlight > 0 || head < queue.length;
  const result: BaselineChildResult = {
    measured,
    discovered: seen.size - 1,
    requests,
    failures: failed.length,
    failed,
    failureReasons,
    elapsedMs: Math.round(elapsedMs * 10) / 10,
    cpuUs: cpu.user + cpu.system,
    peakRssBytes: peakRss,
    eventLoopP99Ms: Math.round(eld.percentile(99) / 1e4) / 100,
    timedOut,
  };
  // Do not wait for in-flight requests; stop() clears chainsafe's timers and closes the socket.
  await Promise.race([d.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  return result;
}

if (process.send) {
  const send = process.send.bind(process);
  process.once('message', (cfg: BaselineConfig) => {
    crawl(cfg).then(
      (result) => { send({ ok: true, result }, () => process.exit(0)); },
      (e: unknown) => {
        const err = e as { message?: string; stack?: string };
        send({ ok: false, error: err.stack ?? err.message ?? String(e) }, () => process.exit(1));
      },
    );
  });
  // The parent went away: do not linger holding a port.
  process.on('disconnect', () => process.exit(0));
}
