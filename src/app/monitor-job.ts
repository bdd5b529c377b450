// A measurement campaign: periodic full crawls, and between them a liveness prober that re-checks every known
// node, on one identity and store. The tracker (src/monitor) decides sessions and schedules; this file wires it
// to the protocol's backend (crawls and probes: monitor-backend.ts), the store and the checkpoint, and survives
// a kill (resume).
import { DEFAULT_CRAWL_CONFIG, validateCrawlConfig, type CrawlConfig } from '../crawler/config.js';
import { DEFAULT_MONITOR_CONFIG, validateMonitorConfig, type MonitorConfig } from '../monitor/config.js';
import { Tracker, type ChangeRow, type SessionRow, type TrackedNode } from '../monitor/tracker.js';
import { Prober, probesInFlightBound, type ProbeCounters } from '../monitor/prober.js';
import { encodeCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointState } from '../monitor/checkpoint.js';
import { ShardLeases, shardPrefix } from '../monitor/leases.js';
import { ProbeFeed } from '../monitor/probe-feed.js';
import { closedByOwner, UnownedEnds, unwrittenEnds } from '../monitor/unowned-ends.js';
import { isPostgresUrl, MONITOR_GAPS, MONITOR_SAMPLES, NODE_CHANGES, PROBES, UPTIME_SESSIONS, type DhtProtocol, type Store } from '../store/index.js';
import { fromHex, toHex } from '../util/bytes.js';
import { DhtscopeError, UsageError } from '../util/errors.js';
import { setLongTimeout, type LongTimer } from '../util/timers.js';
import { fullGc } from '../util/gc.js';
import { trimNativeHeap } from '../native/index.js';
import type { Libp2pCrawlConfig } from '../libp2p/crawl.js';
import { Discv5MonitorBackend, type MonitorBackend, type MonitorCrawlResult, type MonitorCrawlStatus } from './monitor-backend.js';

export class MonitorJobError extends DhtscopeError {}

export interface MonitorJobOptions {
  /** The DHT watched (default discv5). */
  protocol?: DhtProtocol;
  /** discv5's crawl settings; its vantage, bind address and crawl length (durationMs) apply to libp2p too. */
  crawl: Partial<CrawlConfig>;
  /** libp2p's crawl settings (concurrency, keys per bucket length) over its defaults. */
  libp2p?: { concurrency?: number; visitsPerSec?: number; keysPerCpl?: number };
  monitor: Partial<MonitorConfig>;
  bootnodes: string[];
  dbPath: string;
  dbMemoryMB?: number;
  /** Default: the database path + `.monitor`. */
  checkpointPath?: string;
  /** Start a new campaign even if a checkpoint says one is under way (the checkpoint is replaced). */
  newCampaign?: boolean;
  /** Join (or start) the shared campaign of this name: the monitors given it share its probes (PostgreSQL only). */
  sharedCampaign?: string | null;
  keyFile: string | null;
  freshIdentity: boolean;
  version: string;
  extraParams?: Record<string, unknown>;
  /** Called once running, with a function that stops the campaign cleanly. */
  onStart?: (stop: () => void, info: { campaignId: number; resumed: boolean; gapMs: number | null; flush: () => Promise<void>; release: () => Promise<void> }) => void;
  /** Every STATUS_EVERY_MS, for progress lines and metrics. */
  onStatus?: (s: MonitorStatus) => void;
  onCrawl?: (s: MonitorCrawlResult) => void;
  /** Every answered probe's round trip, ms. */
  onProbeRtt?: (ms: number) => void;
}

export interface MonitorStatus {
  campaignId: number;
  elapsedMs: number;
  tracked: number;
  /** In an open uptime session: active now. */
  up: number;
  reachable: number;
  untracked: number;
  crawlsDone: number;
  crawlRunning: boolean;
  /** The DHT watched. */
  protocol: DhtProtocol;
  /** The running crawl's rate limit now (discv5's adaptive FINDNODE rate), its visits waiting and done by result; null between crawls. */
  crawl: MonitorCrawlStatus | null;
  /** Crawl visits over the campaign, by result (a finished crawl's, plus the running one's). */
  visits: { measured: number; failed: number };
  probes: ProbeCounters;
  probesInFlight: number;
  /** Probes started per second since the previous status. */
  probesPerSec: number;
  probeRateLimit: number;
  sessionsEnded: number;
  changes: number;
  storeBacklog: number;
  /** A shared campaign's split: shards this vantage holds, vantages holding any, other vantages' probes read. */
  shared: { shards: number; vantages: number; remoteProbes: number; errors: number } | null;
}

export interface MonitorSummary extends MonitorStatus {
  resumed: boolean;
  /** The outage a resume bridged (ms), null for a new campaign. */
  gapMs: number | null;
  checkpoint: string;
  checkpointBytes: number;
}

const STATUS_EVERY_MS = 1000;
/** V8 frees dead buffers' memory after a GC, on a background thread: the C heap is trimmed this long after it. */
const TRIM_AFTER_GC_MS = 1000;
/** A shared campaign reads the other vantages' probe rows this often: well inside REMOTE_GRACE_MS. */
const FEED_POLL_MS = 1000;
/** Session ends of other vantages' nodes kept for a takeover (bound), and for how many lease times. */
const UNOWNED_ENDS_MAX = 100_000;
const UNOWNED_ENDS_LEASES = 2;

function sessionRow(campaignId: number, vantage: string, r: SessionRow, snapshot: number | null) {
  return {
    snapshot, vantage,
    campaign_id: campaignId, node_id: r.node.id, ip: r.node.ip, udp: r.node.port, started_at: r.startedAtMs, last_ok: r.lastOkMs,
    first_fail: Number.isNaN(r.firstFailMs) ? null : r.firstFailMs, last_fail: Number.isNaN(r.lastFailBeforeMs) ? null : r.lastFailBeforeMs, ended_at: r.open ? null : r.endedAtMs, answers: r.answers, failures: r.failures,
    open: r.open ? 1 : 0, observed_start: r.observedStart ? 1 : 0, new_node: r.isNew ? 1 : 0, end_reason: r.endReason,
  };
}

function changeRow(campaignId: number, vantage: string, c: ChangeRow) {
  return {
    vantage, campaign_id: campaignId, node_id: c.node.id, changed_at: c.atMs, kind: c.kind, old_ip: c.oldIp, old_udp: c.oldPort,
    new_ip: c.newIp, new_udp: c.newPort, old_seq: c.oldSeq, new_seq: c.newSeq,
  };
}

/**
 * Where a campaign's checkpoint goes by default: beside the DuckDB file; for a PostgreSQL store, in the working
 * folder under the database's and the vantage's names (several vantages may share the database).
 */
export function defaultCheckpointPath(dbPath: string, vantage: string): string {
  if (!isPostgresUrl(dbPath)) return `${dbPath}.monitor`;
  const u = new URL(dbPath);
  const name = `${u.pathname.replace(/^\//, '') || 'postgres'}@${u.hostname}-${vantage}`.replace(/[^A-Za-z0-9._@-]/g, '_');
  return `dhtscope-${name}.monitor`;
}

/** Runs a campaign until stopped or its duration; resumes the campaign of an existing checkpoint. */
export async function runMonitorJob(o: MonitorJobOptions): Promise<MonitorSummary> {
  const protocol = o.protocol ?? 'discv5';
  const config = validateCrawlConfig({ ...DEFAULT_CRAWL_CONFIG, ...o.crawl });
  const mcfg = validateMonitorConfig({ ...DEFAULT_MONITOR_CONFIG, ...o.monitor });
  const ckptPath = o.checkpointPath ?? defaultCheckpointPath(o.dbPath, config.vantage);
  if (o.sharedCampaign && !isPostgresUrl(o.dbPath)) {
    throw new UsageError('ERR_USAGE_SHARED_DUCKDB', '--campaign shares a campaign between monitors, which needs a PostgreSQL --db (a DuckDB file has one writer)');
  }
  const ckpt = o.newCampaign ? null : readCheckpoint(ckptPath);
  if (ckpt && ckpt.protocol !== protocol) {
    throw new MonitorJobError('ERR_MONITOR_CHECKPOINT_MISMATCH',
      `checkpoint ${ckptPath} holds a ${ckpt.protocol} campaign; give --protocol ${ckpt.protocol}, another --checkpoint, or --new-campaign`);
  }
  if (o.bootnodes.length === 0 && !(ckpt && ckpt.seeds.length > 0)) {
    throw new UsageError('ERR_USAGE_NO_BOOTNODE', 'no bootnode: give --bootnode, --network or --simnet');
  }
  const backend = await openBackend(protocol, o, config, mcfg);
  try {
    return await campaign(backend, backend.store, config, mcfg, ckpt, ckptPath, o);
  } finally {
    // Closing commits what is buffered (a store that cannot is aborted there): a failure elsewhere loses no rows.
    await backend.close();
  }
}

async function openBackend(protocol: DhtProtocol, o: MonitorJobOptions, config: CrawlConfig, mcfg: MonitorConfig): Promise<MonitorBackend> {
  if (protocol === 'discv5') {
    return await Discv5MonitorBackend.open({
      config, bootnodes: o.bootnodes, dbPath: o.dbPath, dbMemoryMB: o.dbMemoryMB, keyFile: o.keyFile, freshIdentity: o.freshIdentity,
      version: o.version, extraParams: o.extraParams, extraPending: probesInFlightBound(mcfg, config.retransmits),
    });
  }
  // Loaded here: a discv5 campaign never pays for js-libp2p.
  const [{ Libp2pMonitorBackend }, { libp2pCrawlConfig }, { LIBP2P_PROBE_RESENDS }] = await Promise.all([
    import('./libp2p-monitor-backend.js'), import('./libp2p-crawl-job.js'), import('../libp2p/probe.js'),
  ]);
  const crawl: Libp2pCrawlConfig = libp2pCrawlConfig({
    ...(o.libp2p?.concurrency !== undefined ? { concurrency: o.libp2p.concurrency } : {}),
    ...(o.libp2p?.visitsPerSec !== undefined ? { visitsPerSec: o.libp2p.visitsPerSec } : {}),
    durationMs: config.durationMs, listenIp: config.bindAddress, maxPeers: mcfg.maxTracked,
    visit: o.libp2p?.keysPerCpl !== undefined ? { keysPerCpl: o.libp2p.keysPerCpl } : {},
  });
  return await Libp2pMonitorBackend.open({
    crawl, bootnodes: o.bootnodes, dbPath: o.dbPath, dbMemoryMB: o.dbMemoryMB, vantage: config.vantage, version: o.version, extraParams: o.extraParams,
    maxPeers: mcfg.maxTracked, probeDials: probesInFlightBound(mcfg, LIBP2P_PROBE_RESENDS),
  });
}

async function campaign(
  backend: MonitorBackend, store: Store, config: CrawlConfig, mcfg: MonitorConfig, ckpt: CheckpointState | null, ckptPath: string, o: MonitorJobOptions,
): Promise<MonitorSummary> {
  const t0 = Date.now();
  const vantage = config.vantage;
  let campaignId: number;
  let sessionsEnded = 0, changes = 0;
  // A shared campaign: this vantage writes the sessions and changes of the nodes it holds the leases of; the ends
  // it sees of other nodes are kept a while, for a shard it takes over before their owner wrote them.
  let leases: ShardLeases | null = null;
  const unownedEnds = new UnownedEnds(UNOWNED_ENDS_MAX, UNOWNED_ENDS_LEASES * mcfg.leaseMs);
  // Every vantage probing every node: each writes all its own rows, as a lone monitor does.
  const everyVantage = Boolean(o.sharedCampaign) && mcfg.probeEveryVantage;
  const mine = (n: { shard: number }) => leases === null || everyVantage || leases.owns(n.shard);
  const tracker = new Tracker(mcfg, {
    sessionEnded: (r) => {
      if (mine(r.node)) { sessionsEnded++; store.add(UPTIME_SESSIONS, sessionRow(campaignId, vantage, r, null)); return; }
      unownedEnds.add(r, Date.now());
    },
    changed: (c) => { if (mine(c.node)) { changes++; store.add(NODE_CHANGES, changeRow(campaignId, vantage, c)); } },
  });
  let crawlsDone = 0;
  let nextCrawlAtMs = t0;
  let gapMs: number | null = null;
  let campaignStartedAtMs = t0;
  let snapshot = 0;
  if (ckpt) {
    const found = await store.query<{ s: bigint }>(`SELECT epoch_ms(started_at) AS s FROM campaigns WHERE id = $1`, [ckpt.campaignId]);
    // Ids repeat across files: the start time tells this database's campaign from another's.
    if (found.length === 0 || Number(found[0]!.s) !== ckpt.campaignStartedAtMs) {
      throw new MonitorJobError('ERR_MONITOR_CHECKPOINT_MISMATCH',
        `checkpoint ${ckptPath} belongs to campaign ${ckpt.campaignId}, which ${o.dbPath} does not hold; give the matching --db or --new-campaign`);
    }
    campaignId = ckpt.campaignId;
    campaignStartedAtMs = ckpt.campaignStartedAtMs;
    snapshot = ckpt.snapshot;
    for (let i = 0; i < ckpt.nodes.length; i++) { tracker.restore(ckpt.nodes[i]!); backend.restoreTag(ckpt.nodes[i]!, ckpt.nodeTags[i]!); }
    tracker.newAfterMs = ckpt.newAfterMs;
    crawlsDone = ckpt.crawlsDone; nextCrawlAtMs = ckpt.nextCrawlAtMs; backend.seeds = ckpt.seeds;
    // Sessions that ended after the checkpoint are in the database: take its word, so none is written twice.
    const closed = await store.query<{ node_id: string; s: bigint; e: bigint; f: bigint | null }>(
      `SELECT node_id, epoch_ms(started_at) AS s, epoch_ms(ended_at) AS e, epoch_ms(first_fail) AS f FROM uptime_sessions
       WHERE campaign_id = $1 AND NOT open AND ended_at >= epoch_ms($2::BIGINT)`, [campaignId, BigInt(Math.floor(ckpt.savedAtMs))]);
    for (const r of closed) {
      const n = tracker.get(fromHex(r.node_id));
      if (n && n.up && n.sessionStartMs === Number(r.s)) tracker.closeFromStore(n, Number(r.e), r.f === null ? NaN : Number(r.f));
    }
    // Changes learned after the checkpoint are learned again (the checkpoint holds the address before them); in a
    // shared campaign only this vantage's.
    await store.query(`DELETE FROM node_changes WHERE campaign_id = $1 AND changed_at >= epoch_ms($2::BIGINT)${o.sharedCampaign ? ' AND vantage = $3' : ''}`,
      [campaignId, BigInt(Math.floor(ckpt.savedAtMs)), ...(o.sharedCampaign ? [vantage] : [])]);
    // Running again: not stopped cleanly until it is.
    await store.query(`UPDATE campaigns SET ended_at = NULL WHERE id = $1`, [campaignId]);
    gapMs = t0 - ckpt.savedAtMs;
    store.add(MONITOR_GAPS, { campaign_id: campaignId, from_at: ckpt.savedAtMs, to_at: t0, reason: ckpt.clean ? 'stopped' : 'crash', vantage });
  } else {
    campaignId = await store.beginCampaign({
      params: { crawl: config, monitor: mcfg, bootnodes: o.bootnodes, ...(o.extraParams ?? {}) }, vantage, version: o.version, startedAtMs: t0,
      vantageAddr: backend.vantageAddr, sharedName: o.sharedCampaign ?? null, protocol: backend.protocol,
    });
    // A shared campaign another vantage started: it counts from its start, and this one must watch it as it does.
    const [c] = await store.query<{ s: bigint; protocol: string | null; every: string | null }>(
      `SELECT epoch_ms(started_at) AS s, protocol, params->'monitor'->>'probeEveryVantage' AS every FROM campaigns WHERE id = $1`, [campaignId]);
    campaignStartedAtMs = Number(c!.s);
    const theirs = c!.protocol ?? 'discv5';
    if (theirs !== backend.protocol) {
      throw new UsageError('ERR_USAGE_CAMPAIGN_MISMATCH', `shared campaign ${o.sharedCampaign} watches ${theirs}; give --protocol ${theirs} or another --campaign`);
    }
    if (o.sharedCampaign && (c!.every === 'true') !== mcfg.probeEveryVantage) {
      throw new UsageError('ERR_USAGE_CAMPAIGN_MISMATCH',
        `shared campaign ${o.sharedCampaign} ${c!.every === 'true' ? 'has every vantage probe every node: add' : 'splits its probes between vantages: leave out'} --every-vantage`);
    }
  }

  let feed: ProbeFeed | null = null;
  let probeSeq = 0n;
  if (o.sharedCampaign) {
    // Rows of the shards it lets go are committed before they go: the taker reads them to tell what is written.
    leases = new ShardLeases(store, campaignId, vantage, mcfg.leaseMs, () => store.flush(), everyVantage);
    if (!ckpt && await leases.selfLive()) {
      throw new MonitorJobError('ERR_MONITOR_VANTAGE_TAKEN',
        `another monitor with vantage ${vantage} runs shared campaign ${o.sharedCampaign}; give each monitor its own --vantage (a killed one's leases lapse within ${mcfg.leaseMs / 1000} s)`);
    }
    await leases.init();
  }
  if (o.sharedCampaign && !everyVantage) {
    const [q] = await store.query<{ s: bigint | string | null }>(`SELECT max(seq_no) AS s FROM probes WHERE campaign_id = $1 AND vantage = $2`, [campaignId, vantage]);
    probeSeq = q?.s == null ? 0n : BigInt(q.s);
    // What the others probed lately: a resume from its checkpoint on, a new vantage the last probe interval's worth.
    feed = new ProbeFeed(store, campaignId, vantage, tracker, ckpt ? ckpt.savedAtMs - mcfg.probeTimeoutMs : t0 - mcfg.probeMaxMs);
    tracker.owns = mine;
  }

  /** (last probe seq_no, time) at each checkpoint, oldest first: which rows are old enough to delete. Bound: keep / checkpoint interval. */
  const probeMarks: { seq: bigint; atMs: number }[] = [];
  const pruneProbes = async (nowMs: number) => {
    if (!leases || everyVantage || mcfg.probeRowsKeepMs === null) return;
    probeMarks.push({ seq: probeSeq, atMs: nowMs });
    let upTo: bigint | null = null;
    while (probeMarks.length > 0 && probeMarks[0]!.atMs <= nowMs - mcfg.probeRowsKeepMs) upTo = probeMarks.shift()!.seq;
    // By seq_no: a range of the (campaign_id, vantage, seq_no) index, never a scan of the vantage's rows.
    if (upTo !== null) await store.query(`DELETE FROM probes WHERE campaign_id = $1 AND vantage = $2 AND seq_no <= $3`, [campaignId, vantage, upTo]);
  };
  const probeRow = (n: TrackedNode, ok: boolean, rttMs: number) => {
    store.add(PROBES, {
      campaign_id: campaignId, vantage, seq_no: ++probeSeq, node_id: n.id, ip: n.ip, udp: n.port, enr_seq: n.seq, sent_at: n.probeSentMs,
      ok: ok ? 1 : 0, rtt_ms: ok ? rttMs : null,
    });
  };
  const prober = new Prober(tracker, backend.probeClient, mcfg, backend.probeResends, o.onProbeRtt, (e) => fail(e), leases && !everyVantage ? probeRow : null);
  let stopping = false;
  let fatal: unknown = null;
  let crawlRunning = false;
  const visitsDone = { measured: 0, failed: 0 };
  let stopCrawl: (() => void) | null = null;
  let wake: (() => void) | null = null;
  let durationTimer: LongTimer | null = null;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    durationTimer?.clear();
    stopCrawl?.();
    wake?.();
  };
  const fail = (e: unknown) => { fatal ??= e; stop(); };
  const watchStore = () => { store.onStall = (e) => fail(e); };
  watchStore();

  // One checkpoint at a time. The open sessions are written under the checkpoint's number and the state is encoded
  // in one synchronous step; then every row added up to it is committed, then the file appears, and only then are
  // older open rows deleted (a kill at any point leaves a whole set: readers take the highest number). A row of a
  // session that ends after the snapshot is newer than it: a resume finds it by its end time.
  let ckptChain: Promise<number> = Promise.resolve(0);
  let ckptRunning = false;
  const checkpoint = (clean: boolean): Promise<number> => {
    ckptChain = ckptChain.then(async () => {
      ckptRunning = true;
      try {
        tracker.compact();
        const gen = ++snapshot;
        const held = leases?.heldShards() ?? [];
        for (const r of tracker.openSessions()) if (mine(r.node)) store.add(UPTIME_SESSIONS, sessionRow(campaignId, vantage, r, gen));
        const nodes = [...tracker.values()];
        const bytes = encodeCheckpoint({
          campaignId, campaignStartedAtMs, snapshot: gen, savedAtMs: Date.now(), clean, crawlsDone, nextCrawlAtMs, newAfterMs: tracker.newAfterMs,
          seeds: backend.seeds, protocol: backend.protocol, nodes, nodeTags: nodes.map((n) => backend.nodeTag(n)),
        });
        await store.flush();
        const size = writeCheckpoint(ckptPath, bytes);
        if (!leases) {
          await store.query(`DELETE FROM uptime_sessions WHERE campaign_id = $1 AND open AND snapshot < $2`, [campaignId, gen]);
        } else if (everyVantage) {
          await store.query(`DELETE FROM uptime_sessions WHERE campaign_id = $1 AND open AND vantage = $3 AND snapshot < $2`, [campaignId, gen, vantage]);
        } else {
          // This vantage's older open rows, and those another vantage wrote of the shards this one holds now.
          await store.query(`DELETE FROM uptime_sessions WHERE campaign_id = $1 AND open AND
            ((vantage = $3 AND snapshot < $2) OR (vantage <> $3 AND substr(node_id, 1, 2) = ANY(string_to_array($4, ','))))`,
          [campaignId, gen, vantage, held.map(shardPrefix).join(',')]);
        }
        await pruneProbes(Date.now());
        return size;
      } finally {
        ckptRunning = false;
      }
    });
    return ckptChain;
  };

  let lastSample = { ...prober.counters };
  const sample = () => {
    const c = prober.counters;
    store.add(MONITOR_SAMPLES, {
      campaign_id: campaignId, sampled_at: Date.now(), tracked: tracker.size, up: tracker.upCount, reachable: tracker.reachableCount,
      probes_whoareyou: c.whoareyou - lastSample.whoareyou, probes_ping: 0, probes_dial: c.dial - lastSample.dial, probes_ok: c.ok - lastSample.ok, probes_failed: c.failed - lastSample.failed,
      crawl_running: crawlRunning ? 1 : 0, vantage,
    });
    lastSample = { ...c };
  };

  let lastStatusAt = performance.now(), lastStatusProbes = 0;
  const status = (): MonitorStatus => {
    const t = performance.now();
    const sent = prober.counters.whoareyou + prober.counters.dial;
    const pps = t > lastStatusAt ? ((sent - lastStatusProbes) * 1000) / (t - lastStatusAt) : 0;
    lastStatusAt = t; lastStatusProbes = sent;
    const c = backend.crawlStatus();
    return {
      protocol: backend.protocol, campaignId, elapsedMs: Date.now() - t0, tracked: tracker.size, up: tracker.upCount, reachable: tracker.reachableCount, untracked: tracker.untracked,
      crawlsDone, crawlRunning,
      crawl: c,
      visits: { measured: visitsDone.measured + (c?.measured ?? 0), failed: visitsDone.failed + (c?.failed ?? 0) }, probes: { ...prober.counters }, probesInFlight: prober.pending, probesPerSec: Math.round(pps),
      probeRateLimit: mcfg.probeRatePerSec * prober.share, sessionsEnded, changes, storeBacklog: store.backlog(),
      shared: leases ? { shards: leases.heldShards().length, vantages: leaseHolders, remoteProbes: feed?.applied ?? 0, errors: sharedErrors } : null,
    };
  };

  const crawlOne = async (): Promise<void> => {
    const r = await backend.crawl({ campaignId, tracker, onStart: (st) => { stopCrawl = st; if (stopping) st(); } });
    crawlsDone++;
    visitsDone.measured += r.measured; visitsDone.failed += r.failed;
    // Nodes first found after the campaign's first whole crawl joined during it.
    if (!Number.isFinite(tracker.newAfterMs) && !r.cutShort) tracker.newAfterMs = Date.now();
    o.onCrawl?.(r);
  };

  const crawlLoop = async () => {
    while (!stopping) {
      const waitMs = nextCrawlAtMs - Date.now();
      if (waitMs > 0) await new Promise<void>((r) => { const t = setTimeout(r, waitMs); wake = () => { clearTimeout(t); r(); }; });
      wake = null;
      if (stopping) break;
      nextCrawlAtMs = Date.now() + mcfg.crawlEveryMs;
      crawlRunning = true;
      prober.share = mcfg.duringCrawlShare;
      try {
        await crawlOne();
      } finally {
        stopCrawl = null;
        crawlRunning = false;
        prober.share = 1;
        watchStore();
      }
      // The crawl's nodes and records are garbage now: collect them before the quiet spell, so the next crawl is
      // not built on top of them (a pause of a fraction of a second, once per crawl).
      if (mcfg.gcAfterCrawl) {
        fullGc();
        // The GC frees the crawl's buffers (record arenas, store batches) on V8's own time; then the C heap, which
        // keeps freed pages resident, hands them back.
        await new Promise((r) => setTimeout(r, TRIM_AFTER_GC_MS));
        trimNativeHeap();
      }
    }
  };

  // Shared campaign: lease rounds and reads of the others' probes run beside the prober; a failed one (the
  // database away) is retried, and the leases this vantage cannot renew lapse on their own.
  let leaseHolders = 0, sharedErrors = 0;
  let leaseTimer: NodeJS.Timeout | null = null;
  let leaseWork: Promise<void> = Promise.resolve();
  /**
   * Squares this vantage's view of the shards it just took with what their owner wrote: closes the sessions open
   * here that the owner closed, and writes the ends seen here that the owner did not.
   */
  const fillTaken = async (taken: number[]) => {
    const ends = unownedEnds.take(taken, Date.now());
    const shards = new Set(taken);
    // This vantage's open sessions in the shards (one pass over the tracker, at a takeover only).
    const openHere: TrackedNode[] = [];
    let since = Infinity;
    for (const e of ends) since = Math.min(since, e.startedAtMs);
    for (const n of tracker.values()) if (n.up && shards.has(n.shard)) { openHere.push(n); since = Math.min(since, n.sessionStartMs); }
    if (!Number.isFinite(since)) return;
    const written = await store.query<{ node_id: string; s: bigint; e: bigint; f: bigint | null }>(
      `SELECT node_id, epoch_ms(started_at) AS s, epoch_ms(ended_at) AS e, epoch_ms(first_fail) AS f FROM uptime_sessions
       WHERE campaign_id = $1 AND NOT open AND ended_at >= epoch_ms($2::bigint) AND substr(node_id, 1, 2) = ANY(string_to_array($3, ','))`,
      [campaignId, BigInt(Math.floor(since)), taken.map(shardPrefix).join(',')]);
    const rows = written.map((r) => ({ nodeIdHex: r.node_id, startedAtMs: Number(r.s), endedAtMs: Number(r.e), firstFailMs: r.f === null ? null : Number(r.f) }));
    for (const { node, closed } of closedByOwner(openHere, rows, toHex)) {
      // Still the session the owner closed (the query awaited; a new one may have begun since).
      if (node.up && node.sessionStartMs <= closed.endedAtMs) tracker.closeFromStore(node, closed.endedAtMs, closed.firstFailMs ?? NaN);
    }
    for (const r of unwrittenEnds(ends, rows, toHex)) {
      sessionsEnded++;
      store.add(UPTIME_SESSIONS, sessionRow(campaignId, vantage, r, null));
    }
  };
  const leaseRound = async () => {
    let nextInMs = leases!.renewEveryMs;
    try {
      const r = await leases!.round();
      leaseHolders = r.round.holders; nextInMs = r.nextInMs;
      if (r.round.taken.length > 0) await fillTaken(r.round.taken);
    } catch {
      sharedErrors++;
    }
    if (!stopping) leaseTimer = setTimeout(() => { leaseWork = leaseRound(); }, nextInMs);
  };
  let feedWork: Promise<void> | null = null;
  const pollFeed = () => {
    if (feedWork || !feed || !leases) return;
    feedWork = feed.poll(leases.vantages).then(() => {}, () => { sharedErrors++; }).finally(() => { feedWork = null; });
  };
  if (leases) {
    try {
      await leaseRound();
      if (feed) await feed.poll(leases.vantages);
    } catch (e) {
      // The lease round re-arms itself: a start that fails here must not leave it running.
      stopping = true;
      if (leaseTimer) clearTimeout(leaseTimer);
      await leaseWork;
      throw e;
    }
  }

  prober.start();
  const timers = [
    setInterval(pollFeed, FEED_POLL_MS),
    // A checkpoint still running when the next is due (a large crawl keeps the writer busy) makes the next wait a round.
    setInterval(() => { if (!ckptRunning) checkpoint(false).catch(fail); }, mcfg.checkpointEveryMs),
    setInterval(() => { try { sample(); } catch (e) { fail(e); } }, mcfg.sampleEveryMs),
    setInterval(() => { try { o.onStatus?.(status()); } catch (e) { fail(e); } }, STATUS_EVERY_MS),
  ];
  if (mcfg.durationMs !== null) durationTimer = setLongTimeout(stop, mcfg.durationMs);
  o.onStart?.(stop, { campaignId, resumed: ckpt !== null, gapMs, flush: () => store.flush(), release: () => store.abort() });
  try {
    await crawlLoop().catch(fail);
  } finally {
    for (const t of timers) clearInterval(t);
    if (leaseTimer) clearTimeout(leaseTimer);
    durationTimer?.clear();
    await prober.stop();
    // The last lease round and probe read end before the final checkpoint and the close.
    await leaseWork;
    await feedWork;
  }
  if (fatal) throw fatal;
  sample();
  const checkpointBytes = await checkpoint(true);
  const summary: MonitorSummary = { ...status(), resumed: ckpt !== null, gapMs, checkpoint: ckptPath, checkpointBytes };
  // A shared campaign goes on while another vantage holds leases: this one hands its shards over and leaves.
  if (leases) await leases.releaseAll();
  if (!leases || !(await leases.othersLive())) await store.endCampaign(campaignId, summary);
  await store.close();
  return summary;
}
