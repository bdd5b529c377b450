// A campaign's metrics from its tables: node classes, activity, entered/left/churn per window, availability,
// session length (Kaplan–Meier with open sessions censored, and the naive closed-only figures), and address
// changes per node-day, for all nodes and per network. Definitions: README, "Campaigns".
import { kaplanMeier, quantile, survivalQuantile } from '../monitor/survival.js';
import type { Queryable } from '../store/index.js';
import { UsageError } from '../util/errors.js';
import { agentFamilySql } from './agents.js';

export interface WindowStats {
  fromMs: number;
  toMs: number;
  /** The window ends after the campaign's data does. */
  complete: boolean;
  /** Sessions that started in the window from a state seen down, or of a node new to the campaign. */
  entered: number;
  /** Of them, first sessions of nodes new to the campaign (found by a crawl, so up to a crawl period late). */
  enteredNew: number;
  /** Sessions that ended in the window (their end: halfway between the last answer and the first failed probe). */
  left: number;
  /** Nodes up at the window's start. */
  onlineAtStart: number;
  /** left / onlineAtStart; null when nobody was online. */
  churnRate: number | null;
}

export interface Quantiles { n: number; mean: number | null; p10: number | null; p25: number | null; p50: number | null; p75: number | null; p90: number | null }

export interface GroupStats {
  nodes: {
    /** Nodes a crawl of the campaign visited. */
    tracked: number;
    /** Answered at least once. */
    reachable: number;
    /** Visited (and listed by others) but never answered from this vantage: NAT'd, firewalled or gone. Never churn. */
    unreachable: number;
    /** In an open session at the end of the data: active now. */
    up: number;
    /** Reachable once, down at the end of the data. */
    left: number;
    /** First found after the campaign's first crawl. */
    new: number;
  };
  /** medianListedBy: times its record was returned in the latest crawl. */
  unreachableEvidence: { n: number; medianFailedVisits: number | null; medianListedBy: number | null };
  /** Distinct nodes with a session overlapping the last window. */
  seenInLastWindow: number;
  windows: WindowStats[];
  /** Per reachable node, share of its observed time (first seen to the end of the data) spent up. */
  availability: Quantiles;
  sessionLength: {
    /** Sessions whose start was observed (the node was seen down before): ended ones are events, open ones censored. */
    km: { n: number; ended: number; censored: number; medianMs: number | null; p25Ms: number | null; p75Ms: number | null };
    /** Ended sessions with an observed start only: biased short, shown beside the estimate. */
    naive: { n: number; medianMs: number | null; p25Ms: number | null; p75Ms: number | null };
    curve: Array<{ tMs: number; survival: number; atRisk: number }>;
  };
  addressChanges: { changes: number; seqChanges: number; nodeDays: number; perNodeDay: number | null };
}

export interface CampaignStats {
  campaignId: number;
  /** The vantage whose rows these are; null: all of the campaign's. */
  vantage: string | null;
  startedAtMs: number;
  /** End of the data: the latest sample, answer or stop. */
  endAtMs: number;
  windowMs: number;
  crawls: number;
  /** Crawls with no end recorded (killed, or a store failure): their figures stop where they did. */
  interruptedCrawls: number;
  gaps: Array<{ fromMs: number; toMs: number; reason: string }>;
  probes: { whoareyou: number; ping: number; dial: number; ok: number; failed: number };
  all: GroupStats;
  byNetwork: Record<string, GroupStats>;
}

/**
 * `s`: the start (startOf); `l`, `f`, `e`: last answer, first failure, end, as stored. `censored`: open, or ended
 * across the monitor's own outage (end unknown): either way it counts up to its last answer.
 */
interface SessionIn { node: string; s: number; l: number; f: number | null; e: number | null; open: boolean; censored: boolean; observed: boolean; isNew: boolean }
interface VisitIn { node: string; ok: number; visits: number; first: number }

/** Groups of libp2p peers are named by agent family: `libp2p:kubo`, `libp2p:rust-libp2p`. */
export const LIBP2P_GROUP_PREFIX = 'libp2p:';

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The latest campaign's id, or the one given (checked). */
export async function campaignOrLatest(store: Queryable, id?: number): Promise<number> {
  if (id === undefined) {
    const r = await store.query<{ id: number | null }>(`SELECT max(id) AS id FROM campaigns`);
    if (r[0]?.id == null) throw new UsageError('ERR_USAGE_NO_CAMPAIGN', `no campaigns in ${store.path} (run dhtscope monitor first)`);
    return Number(r[0].id);
  }
  const r = await store.query(`SELECT 1 FROM campaigns WHERE id = $1`, [id]);
  if (r.length === 0) throw new UsageError('ERR_USAGE_NO_CAMPAIGN', `no campaign ${id} in ${store.path}`);
  return id;
}

/** A string as a DuckDB SQL literal (the queries below share one text; stats reads DuckDB, or a DuckDB copy of PostgreSQL). */
const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

/**
 * Windows start at `fromMs` (default: the end of the campaign's first crawl, when every node found up has a
 * session) and are `windowMs` long. `vantage`: one vantage's rows of a shared campaign (its crawls, sessions,
 * changes, samples and gaps), as a campaign whose every vantage probes every node needs.
 */
export async function campaignStats(store: Queryable, campaignId: number, windowMs: number, fromMs?: number, vantage?: string | null): Promise<CampaignStats> {
  const c = (await store.query<{ s: bigint; e: bigint | null }>(`SELECT epoch_ms(started_at) AS s, epoch_ms(ended_at) AS e FROM campaigns WHERE id = $1`, [campaignId]))[0]!;
  const mineOnly = vantage == null ? '' : ` AND vantage = ${literal(vantage)}`;
  const crawlIds = `SELECT id FROM crawls WHERE campaign_id = ${Number(campaignId)}${mineOnly}`;
  const [sessRows, visitRows, netRows, listedRows, gapRows, changeRows, sampleRows, crawlRows] = await Promise.all([
    // Open rows of each vantage's latest checkpoint only (a shared campaign has several), and none whose session a
    // later row shows ended (a kill between the two writes leaves both).
    store.query<{ node_id: string; s: bigint; lf: bigint | null; l: bigint; f: bigint | null; e: bigint | null; open: boolean; end_reason: string | null; observed_start: boolean; new_node: boolean }>(
      `WITH u AS (SELECT * FROM uptime_sessions WHERE campaign_id = $1${mineOnly})
       SELECT node_id, epoch_ms(started_at) AS s, epoch_ms(last_fail) AS lf, epoch_ms(last_ok) AS l, epoch_ms(first_fail) AS f, epoch_ms(ended_at) AS e, open, end_reason, observed_start, new_node
       FROM u WHERE NOT open OR (snapshot = (SELECT max(snapshot) FROM u v WHERE v.open AND v.vantage IS NOT DISTINCT FROM u.vantage)
         AND NOT EXISTS (SELECT 1 FROM u c WHERE NOT c.open AND c.node_id = u.node_id AND c.started_at = u.started_at))`, [campaignId]),
    store.query<{ node_id: string; ok: bigint; visits: bigint; first: bigint }>(
      `SELECT node_id, count(*) FILTER (WHERE status = 'measured') AS ok, count(*) AS visits, epoch_ms(min(started_at)) AS first
       FROM visits WHERE crawl_id IN (${crawlIds}) GROUP BY node_id`),
    // discv5: the network its record names; libp2p (no records): the family of the agent it last reported.
    store.query<{ node_id: string; network: string | null }>(
      `SELECT node_id, arg_max(network, seq) AS network FROM records WHERE crawl_id IN (${crawlIds}) GROUP BY node_id
       UNION ALL
       SELECT node_id, '${LIBP2P_GROUP_PREFIX}' || coalesce(${agentFamilySql('arg_max(agent_version, crawl_id) FILTER (WHERE agent_version IS NOT NULL)')}, 'unknown')
       FROM peers WHERE crawl_id IN (${crawlIds}) GROUP BY node_id`),
    // Evidence that others list a node: how often its record was returned in the campaign's latest crawl (a count
    // of edges by node number: a DISTINCT over a crawl's million edges ran DuckDB out of its memory cap).
    store.query<{ node_id: string; n: bigint }>(
      `SELECT c.node_id, e.n FROM (SELECT crawl_id, to_ix, count(*) AS n FROM edge_ix WHERE crawl_id = (SELECT max(id) FROM crawls WHERE campaign_id = $1${mineOnly}) GROUP BY ALL) e
       JOIN crawl_nodes c ON c.crawl_id = e.crawl_id AND c.ix = e.to_ix`, [campaignId]),
    store.query<{ f: bigint; t: bigint; reason: string }>(`SELECT epoch_ms(from_at) AS f, epoch_ms(to_at) AS t, reason FROM monitor_gaps WHERE campaign_id = $1${mineOnly} ORDER BY from_at`, [campaignId]),
    store.query<{ node_id: string; kind: string }>(`SELECT node_id, kind FROM node_changes WHERE campaign_id = $1${mineOnly}`, [campaignId]),
    store.query<{ last: bigint | null; w: bigint | null; p: bigint | null; d: bigint | null; ok: bigint | null; failed: bigint | null }>(
      `SELECT epoch_ms(max(sampled_at)) AS last, sum(probes_whoareyou) AS w, sum(probes_ping) AS p, sum(probes_dial) AS d, sum(probes_ok) AS ok, sum(probes_failed) AS failed
       FROM monitor_samples WHERE campaign_id = $1${mineOnly}`, [campaignId]),
    store.query<{ n: bigint; open: bigint; first: bigint | null }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE ended_at IS NULL) AS open, epoch_ms(min(ended_at)) AS first FROM crawls WHERE campaign_id = $1${mineOnly}`, [campaignId]),
  ]);
  const sessions: SessionIn[] = sessRows.map((r) => ({
    node: r.node_id, s: startOf(Number(r.s), n(r.lf), Boolean(r.observed_start)), l: Number(r.l), f: n(r.f), e: n(r.e), open: Boolean(r.open), censored: Boolean(r.open) || r.end_reason === 'gap',
    observed: Boolean(r.observed_start), isNew: Boolean(r.new_node),
  }));
  const visits: VisitIn[] = visitRows.map((r) => ({ node: r.node_id, ok: Number(r.ok), visits: Number(r.visits), first: Number(r.first) }));
  const startedAtMs = Number(c.s);
  let endAtMs = Math.max(startedAtMs, n(c.e) ?? 0, n(sampleRows[0]?.last) ?? 0);
  for (const s of sessions) endAtMs = Math.max(endAtMs, s.l);
  const network = new Map<string, string>();
  for (const r of netRows) network.set(r.node_id, r.network ?? 'unknown');
  const listedBy = new Map<string, number>();
  for (const r of listedRows) listedBy.set(r.node_id, Number(r.n));
  const groupOf = (node: string) => network.get(node) ?? 'unknown';
  const changes = changeRows.map((r) => ({ node: r.node_id, kind: r.kind }));

  const names = new Set<string>(['*']);
  for (const v of visits) names.add(groupOf(v.node));
  const byNetwork: Record<string, GroupStats> = {};
  let all: GroupStats | null = null;
  for (const name of names) {
    const inGroup = (node: string) => name === '*' || groupOf(node) === name;
    const g = groupStats(sessions.filter((s) => inGroup(s.node)), visits.filter((v) => inGroup(v.node)), changes.filter((x) => inGroup(x.node)),
      listedBy, fromMs ?? n(crawlRows[0]?.first) ?? startedAtMs, endAtMs, windowMs);
    if (name === '*') all = g; else byNetwork[name] = g;
  }
  const sp = sampleRows[0];
  return {
    campaignId, vantage: vantage ?? null, startedAtMs, endAtMs, windowMs, crawls: Number(crawlRows[0]?.n ?? 0), interruptedCrawls: Number(crawlRows[0]?.open ?? 0),
    gaps: gapRows.map((r) => ({ fromMs: Number(r.f), toMs: Number(r.t), reason: r.reason })),
    probes: { whoareyou: Number(sp?.w ?? 0), ping: Number(sp?.p ?? 0), dial: Number(sp?.d ?? 0), ok: Number(sp?.ok ?? 0), failed: Number(sp?.failed ?? 0) },
    all: all!, byNetwork: Object.fromEntries(Object.entries(byNetwork).sort((a, b) => b[1].nodes.tracked - a[1].nodes.tracked)),
  };
}

/**
 * A session's start: halfway between the failure before it and its first answer when both are known (the node
 * came up in between), as its end is taken halfway; the first answer otherwise (a start not observed, or rows
 * from before schema 12). The first answer alone would date every return late by half a probe interval.
 */
function startOf(firstAnswerMs: number, lastFailMs: number | null, observed: boolean): number {
  return observed && lastFailMs !== null && lastFailMs <= firstAnswerMs ? (lastFailMs + firstAnswerMs) / 2 : firstAnswerMs;
}

/** A closed session's end: halfway between its last answer and its first failed probe (the node went down in between). */
function endOf(s: SessionIn): number {
  if (s.open) return Infinity;
  if (s.censored) return s.l; // ended during the monitor's outage: known up to its last answer
  return s.f !== null ? (s.l + s.f) / 2 : s.e ?? s.l;
}

function quantiles(xs: number[]): Quantiles {
  return {
    n: xs.length, mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
    p10: quantile(xs, 0.1), p25: quantile(xs, 0.25), p50: quantile(xs, 0.5), p75: quantile(xs, 0.75), p90: quantile(xs, 0.9),
  };
}

function groupStats(
  sessions: SessionIn[], visits: VisitIn[], changes: Array<{ node: string; kind: string }>, listedBy: Map<string, number>,
  startMs: number, endMs: number, windowMs: number,
): GroupStats {
  const byNode = new Map<string, SessionIn[]>();
  for (const s of sessions) { const a = byNode.get(s.node); if (a) a.push(s); else byNode.set(s.node, [s]); }
  const firstSeen = new Map<string, number>();
  for (const v of visits) firstSeen.set(v.node, v.first);
  let up = 0, left = 0, isNew = 0;
  const availability: number[] = [];
  let nodeDays = 0;
  for (const [node, ss] of byNode) {
    if (ss.some((s) => s.open)) up++; else left++;
    if (ss.some((s) => s.isNew)) isNew++;
    const from = Math.min(firstSeen.get(node) ?? Infinity, ...ss.map((s) => s.s));
    const span = endMs - from;
    // An open session counts up to its last answer: what is known.
    const upMs = ss.reduce((a, s) => a + (Math.min(s.censored ? s.l : endOf(s), endMs) - s.s), 0);
    if (span > 0) { availability.push(Math.min(1, upMs / span)); nodeDays += span / 86_400_000; }
  }
  const unreachable = visits.filter((v) => isUnreachable(v.ok, byNode.has(v.node)));
  const windows: WindowStats[] = [];
  for (let w = startMs; w < endMs; w += windowMs) {
    const to = w + windowMs;
    let entered = 0, enteredNew = 0, leftW = 0, online = 0;
    for (const s of sessions) {
      if (s.s >= w && s.s < to && (s.observed || s.isNew)) { entered++; if (!s.observed) enteredNew++; }
      const e = endOf(s);
      if (!s.censored && e >= w && e < to) leftW++;
      if (s.s <= w && e > w) online++;
    }
    windows.push({ fromMs: w, toMs: to, complete: to <= endMs, entered, enteredNew, left: leftW, onlineAtStart: online, churnRate: online > 0 ? leftW / online : null });
  }
  const lastFrom = endMs - windowMs;
  const seen = new Set<string>();
  for (const s of sessions) if (s.s <= endMs && (s.open ? s.l : endOf(s)) >= lastFrom) seen.add(s.node);
  // Only sessions whose start was observed: one already running when first seen has an unknown start.
  const observed = sessions.filter((s) => s.observed);
  const dur = observed.map((s) => (s.censored ? s.l : endOf(s)) - s.s);
  const ended = observed.map((s) => !s.censored);
  const km = kaplanMeier(dur, ended);
  const closed = observed.filter((s) => !s.censored).map((s) => endOf(s) - s.s);
  // Per node-day of the reachable nodes, so only their changes.
  const reachableChanges = changes.filter((x) => byNode.has(x.node));
  const addr = reachableChanges.filter((x) => x.kind === 'address').length;
  return {
    nodes: { tracked: visits.length, reachable: byNode.size, unreachable: unreachable.length, up, left, new: isNew },
    unreachableEvidence: {
      n: unreachable.length, medianFailedVisits: quantile(unreachable.map((v) => v.visits), 0.5),
      medianListedBy: quantile(unreachable.map((v) => listedBy.get(v.node) ?? 0), 0.5),
    },
    seenInLastWindow: seen.size,
    windows,
    availability: quantiles(availability),
    sessionLength: {
      km: { n: observed.length, ended: closed.length, censored: observed.length - closed.length, medianMs: survivalQuantile(km, 0.5), p25Ms: survivalQuantile(km, 0.25), p75Ms: survivalQuantile(km, 0.75) },
      naive: { n: closed.length, medianMs: quantile(closed, 0.5), p25Ms: quantile(closed, 0.25), p75Ms: quantile(closed, 0.75) },
      curve: km.map((s) => ({ tMs: s.t, survival: s.survival, atRisk: s.atRisk })),
    },
    addressChanges: { changes: addr, seqChanges: reachableChanges.length - addr, nodeDays, perNodeDay: nodeDays > 0 ? addr / nodeDays : null },
  };
}

/** One vantage's view of its latest campaign: the node classes as groupStats defines them. */
export interface VantageView {
  vantage: string;
  vantageAddr: string | null;
  campaignId: number;
  tracked: number;
  reachable: number;
  unreachable: number;
  /** Reachable from this vantage and from no other. */
  onlyHere: number;
}

export interface VantagesStats {
  vantages: VantageView[];
  /** Over every vantage: reachable when any vantage reached it; unreachable only when none did. */
  merged: {
    tracked: number;
    reachable: number;
    unreachable: number;
    /** Reached by some vantage, visited and never answered from another: what one vantage alone would misclass. */
    reachableFromSome: number;
  };
}

/** The vantages that crawled in a campaign whose every vantage probes every node, else null (its rows are one view). */
export async function perVantageViews(store: Queryable, campaignId: number): Promise<string[] | null> {
  const [c] = await store.query<{ every: string | null }>(`SELECT params->'monitor'->>'probeEveryVantage' AS every FROM campaigns WHERE id = $1`, [campaignId]);
  if (c?.every !== 'true') return null;
  const rows = await store.query<{ vantage: string }>(`SELECT DISTINCT vantage FROM crawls WHERE campaign_id = $1 AND vantage IS NOT NULL ORDER BY vantage`, [campaignId]);
  return rows.map((r) => r.vantage);
}

/** A visited node is unreachable when it never answered a visit and never had an uptime session (its record was all we saw). */
export function isUnreachable(okVisits: number, hasSession: boolean): boolean {
  return okVisits === 0 && !hasSession;
}

/**
 * Each vantage's latest campaign (or the campaigns given), side by side, and merged. A shared campaign gives one
 * view per vantage that crawled in it: its crawls' visits and the sessions it wrote.
 */
export async function vantagesStats(store: Queryable, campaignIds?: readonly number[]): Promise<VantagesStats> {
  const views = `SELECT id, vantage, vantage_addr, false AS shared FROM campaigns WHERE shared_name IS NULL
    UNION ALL
    SELECT k.campaign_id, k.vantage, min(k.vantage_addr), true FROM crawls k JOIN campaigns c ON c.id = k.campaign_id
    WHERE c.shared_name IS NOT NULL GROUP BY k.campaign_id, k.vantage`;
  const camps = await store.query<{ id: number; vantage: string | null; vantage_addr: string | null; shared: boolean }>(
    campaignIds
      ? `SELECT * FROM (${views}) v WHERE id IN (${campaignIds.map((x) => Number(x)).join(',') || 'NULL'}) ORDER BY vantage, id`
      : `WITH v AS (${views})
         SELECT v.* FROM v JOIN (SELECT vantage, max(id) AS id FROM v GROUP BY vantage) l ON l.id = v.id AND l.vantage IS NOT DISTINCT FROM v.vantage
         ORDER BY v.vantage`);
  if (camps.length === 0) throw new UsageError('ERR_USAGE_NO_CAMPAIGN', `no campaigns in ${store.path} (run dhtscope monitor first)`);
  const per = await Promise.all(camps.map(async (c) => {
    // $3: the vantage's own rows of a shared campaign; all of a campaign run from one vantage (older rows name none).
    const rows = await store.query<{ node_id: string; ok: bigint; sess: boolean }>(
      `WITH v AS (SELECT node_id, count(*) FILTER (WHERE status = 'measured') AS ok FROM visits
                  WHERE crawl_id IN (SELECT id FROM crawls WHERE campaign_id = $1 AND (NOT $3 OR vantage = $2)) GROUP BY node_id),
            s AS (SELECT DISTINCT node_id FROM uptime_sessions WHERE campaign_id = $1 AND (NOT $3 OR vantage = $2))
       SELECT v.node_id, v.ok, s.node_id IS NOT NULL AS sess FROM v LEFT JOIN s ON s.node_id = v.node_id`, [c.id, c.vantage ?? '', Boolean(c.shared)]);
    const reachable = new Set<string>(), unreachable = new Set<string>();
    for (const r of rows) {
      // A vantage that shares a campaign's probes has sessions of its own shards only; its visits reach all.
      if (r.sess || Number(r.ok) > 0) reachable.add(r.node_id);
      else if (isUnreachable(Number(r.ok), false)) unreachable.add(r.node_id);
    }
    return { c, tracked: rows.length, reachable, unreachable };
  }));
  const anyReach = new Set<string>(), visited = new Set<string>(), reachCount = new Map<string, number>();
  for (const p of per) {
    for (const x of p.reachable) { anyReach.add(x); visited.add(x); reachCount.set(x, (reachCount.get(x) ?? 0) + 1); }
    for (const x of p.unreachable) visited.add(x);
  }
  let fromSome = 0;
  for (const x of anyReach) if (per.some((p) => p.unreachable.has(x))) fromSome++;
  return {
    vantages: per.map((p) => ({
      vantage: p.c.vantage ?? '-', vantageAddr: p.c.vantage_addr, campaignId: p.c.id, tracked: p.tracked, reachable: p.reachable.size, unreachable: p.unreachable.size,
      onlyHere: [...p.reachable].filter((x) => reachCount.get(x) === 1).length,
    })),
    merged: { tracked: visited.size, reachable: anyReach.size, unreachable: visited.size - anyReach.size, reachableFromSome: fromSome },
  };
}
