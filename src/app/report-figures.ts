// The report's crawl figures: each queries the store over the crawls in scope, aggregates there (so a figure's
// data stays a few hundred rows whatever the crawl's size), and says what it plots and over how many observations.
// These are discv5's: report-job gives them the discv5 crawls of the scope only (scopesByProtocol), so libp2p rows
// (no records, NULL ip/udp and packet counters, a connect time in rtt1_ms) never enter them; each says why below.
// The libp2p figures are in report-libp2p.ts.
import { knownNetworks } from '../enr/networks.js';
import { barChart, histogram, lineChart, pointChart, sideBySide, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import { colorScale } from '../report/theme.js';
import { DEFAULT_CRAWL_PROTOCOL, DHT_PROTOCOLS, type DhtProtocol, type Queryable } from '../store/index.js';

export interface Scope {
  /** Crawl ids in scope, ascending. */
  crawlIds: number[];
  /** The crawl the per-second figures show: the latest in scope. */
  latest: { id: number; startedAtMs: number };
}

/** A crawl as a scope is built from; `protocol` as `crawls.protocol` stores it (NULL: before schema 10, discv5). */
export interface ScopeCrawl { id: number; startedAtMs: number; protocol: string | null }

/** SQL for a crawl's protocol, with the NULL of crawls before schema 10 read as discv5. */
export const CRAWL_PROTOCOL_SQL = `coalesce(protocol, '${DEFAULT_CRAWL_PROTOCOL}')`;

/** The crawls of each protocol among `crawls`, as a scope each (null: none of that protocol). */
export function scopesByProtocol(crawls: readonly ScopeCrawl[]): Record<DhtProtocol, Scope | null> {
  const out = {} as Record<DhtProtocol, Scope | null>;
  for (const p of DHT_PROTOCOLS) {
    const mine = crawls.filter((c) => (c.protocol ?? DEFAULT_CRAWL_PROTOCOL) === p).sort((a, b) => a.id - b.id);
    const last = mine[mine.length - 1];
    out[p] = last ? { crawlIds: mine.map((c) => c.id), latest: { id: last.id, startedAtMs: last.startedAtMs } } : null;
  }
  return out;
}

/** Networks in a fixed order, so each keeps its colour in every figure and report. */
export const NETWORK_ORDER: readonly string[] = ['all', ...knownNetworks(), 'execution', 'portal', 'other'];
const netColors = (names: readonly string[]) => colorScale(names, NETWORK_ORDER);

/** Lines drawn per network in a split figure; the rest are folded into `all` (every row is in the CSV). */
export const MAX_NETWORK_SERIES = 6;
/** Bars per category figure; the CSV lists every category. */
export const MAX_BARS = 20;
/** Points per time series: enough for a smooth line at the chart's width. */
export const MAX_SERIES_POINTS = 600;
/** CDF resolution: the 0th..100th percentile in 0.5 steps. */
const CDF_STEPS = 200;
/** Log-spaced histogram bins per decade. */
const BINS_PER_DECADE = 10;
/** Time step of the accumulation within one crawl: a 15 s crawl still gets a smooth curve. */
const ACCUMULATION_STEP_MS = 100;

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const inList = (ids: readonly number[]) => ids.map((i) => Math.trunc(i)).join(',');
export const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)}%`;

/** Every k-th row so that at most `max` remain (the last kept too). */
export function thin<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const k = Math.ceil(rows.length / max);
  const out = rows.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== rows[rows.length - 1]) out.push(rows[rows.length - 1]!);
  return out;
}

/** Latest record per node in scope: its network and fork digest. */
function nodeNetworkSql(scope: Scope): string {
  return `SELECT node_id, arg_max(network, seq) AS network, arg_max(fork, seq) AS fork, arg_max(client, seq) AS client,
    arg_max(ip, seq) AS ip, arg_max(udp, seq) AS udp FROM records WHERE crawl_id IN (${inList(scope.crawlIds)}) GROUP BY node_id`;
}

/** `mainnet/fulu+bpo2` (records.fork is set for known digests only); else the network: `eth2:<digest>`, `portal`, … */
export function networkForkLabel(network: string, fork: string | null): string {
  return fork ? `${network}/${fork}` : network;
}

export async function statesFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const rows = await store.query<{ t_ms: number; discovered: number; queued: number; pending: number; measured: number; failed: number }>(
    `SELECT t_ms, discovered, queued, pending, measured, failed FROM progress WHERE crawl_id = $1 ORDER BY t_ms`, [scope.latest.id]);
  const states = ['discovered', 'queued', 'pending', 'measured', 'failed'] as const;
  const long = (rs: typeof rows): Row[] => rs.flatMap((r) => states.map((s) => ({ t_s: num(r.t_ms) / 1000, state: s, nodes: num(r[s]) })));
  const colors = colorScale([...states], states);
  const base = { x: { field: 't_s', title: 'time since crawl start (s)' }, y: { field: 'nodes', title: 'nodes' }, series: { field: 'state', title: 'state', colors } };
  const zoom = rows.filter((r) => num(r.t_ms) <= 10_000);
  return {
    id: 'states', title: `Node states over time (crawl ${scope.latest.id})`,
    definition: 'Nodes in each state, sampled every 100 ms: discovered (known, not yet queued), queued (waiting for a visit), pending (visit in flight), measured, failed; right: the first 10 s.',
    n: `${fmtInt(rows.length)} samples of crawl ${scope.latest.id}`,
    spec: rows.length === 0 ? null : sideBySide([
      lineChart({ ...base, data: long(thin(rows, MAX_SERIES_POINTS)), width: 420, title: 'whole crawl' }),
      lineChart({ ...base, data: long(thin(zoom, MAX_SERIES_POINTS)), width: 300, title: 'first 10 s' }),
    ]),
    missing: 'this crawl recorded no progress samples',
    tables: [{ name: 'states', columns: ['t_ms', ...states], rows: rows.map((r) => ({ t_ms: num(r.t_ms), ...Object.fromEntries(states.map((s) => [s, num(r[s])])) })) }],
  };
}

/** Networks with the most rows first (at most `max`), `all` ahead of them. */
export function topNetworks(counts: Map<string, number>, max: number): string[] {
  return ['all', ...[...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, max).map(([k]) => k)];
}

/** CDF (quantiles per network) and a log-binned histogram of a per-visit value, from a `value, network` subquery. */
export async function distribution(store: Queryable, valuesSql: string, floor: number) {
  const qs = Array.from({ length: CDF_STEPS + 1 }, (_, i) => i / CDF_STEPS);
  // Both charts are log-scale: a reading at or below the floor (a loopback RTT a few µs below zero, the kernel's
  // receive stamp against the send time taken after sendto returned) is drawn at the floor.
  const cdf = await store.query<{ network: string; n: bigint; q: number[] }>(
    `WITH v AS (SELECT greatest(value, ${floor}) AS value, network FROM (${valuesSql})) SELECT * FROM (SELECT 'all' AS network, count(*) AS n, quantile_cont(value, [${qs.join(',')}]) AS q FROM v
     UNION ALL SELECT network, count(*), quantile_cont(value, [${qs.join(',')}]) FROM v GROUP BY network)
     -- Groups come back in any order from a parallel aggregate; the figure must not.
     ORDER BY network <> 'all', network`);
  const bins = await store.query<{ b: number; n: bigint }>(
    `WITH v AS (${valuesSql}) SELECT floor(log10(greatest(value, ${floor})) * ${BINS_PER_DECADE})::INTEGER AS b, count(*) AS n FROM v GROUP BY b ORDER BY b`);
  const counts = new Map(cdf.filter((r) => r.network !== 'all').map((r) => [r.network, num(r.n)]));
  // No values: the 'all' group still comes back, with n = 0 and no quantiles.
  return { cdf: cdf.filter((r) => num(r.n) > 0 && r.q !== null), bins: bins.map((r) => ({ lo: 10 ** (r.b / BINS_PER_DECADE), hi: 10 ** ((r.b + 1) / BINS_PER_DECADE), count: num(r.n) })), counts };
}

export function cdfRows(cdf: Array<{ network: string; q: number[] }>, shown: string[], field: string): Row[] {
  return cdf.filter((r) => shown.includes(r.network)).flatMap((r) => Array.from(r.q as ArrayLike<number>).map((v, i) => ({ network: r.network, [field]: Number(v), share: i / CDF_STEPS })));
}

// discv5 only: a libp2p visit's rtt1_ms is its connect time (TCP, Noise, Yamux), drawn by libp2pConnectFigure.
export async function rttFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const values = `SELECT v.rtt1_ms AS value, coalesce(n.network, 'unknown') AS network FROM visits v LEFT JOIN (${nodeNetworkSql(scope)}) n USING (node_id)
    WHERE v.crawl_id IN (${inList(scope.crawlIds)}) AND v.rtt1_ms IS NOT NULL`;
  // 0.01 ms: below any real round trip; keeps log10 finite for a zero reading.
  const d = await distribution(store, values, 0.01);
  const total = num(d.cdf.find((r) => r.network === 'all')?.n);
  const shown = topNetworks(d.counts, MAX_NETWORK_SERIES);
  const colors = netColors(shown);
  return {
    id: 'rtt', title: 'Round-trip time',
    definition: 'RTT of the first exchange of each visit (random packet → WHOAREYOU, kernel receive time), ms, log scale: left the CDF overall and per network, right a histogram with 10 bins per decade.',
    n: `${fmtInt(total)} visits with an RTT, ${fmtInt(d.counts.size)} networks (the ${shown.length - 1} largest drawn)`,
    spec: total === 0 ? null : sideBySide([
      lineChart({ data: cdfRows(d.cdf, shown, 'rtt_ms'), x: { field: 'rtt_ms', title: 'RTT (ms)', scale: 'log' }, y: { field: 'share', title: 'share of visits ≤ x', format: '%' }, series: { field: 'network', title: 'network', colors }, width: 380, title: 'CDF' }),
      histogram({ data: d.bins, lo: 'lo', hi: 'hi', count: 'count', xTitle: 'RTT (ms)', yTitle: 'visits', xLog: true, width: 340, title: 'histogram' }),
    ]),
    missing: 'no visit in scope has an RTT',
    tables: [
      { name: 'rtt-cdf', columns: ['network', 'share', 'rtt_ms'], rows: cdfRows(d.cdf, ['all', ...d.counts.keys()], 'rtt_ms') as never },
      { name: 'rtt-histogram', columns: ['lo', 'hi', 'count'], rows: d.bins },
    ],
  };
}

// discv5 only: libp2p visits have no NODES reply trains (dispersion_mbps NULL).
export async function dispersionFigure(store: Queryable, scope: Scope): Promise<Figure> {
  // `network` here is the confidence class: distribution() splits by that column.
  const values = `SELECT dispersion_mbps AS value, CASE WHEN dispersion_low_confidence THEN 'low confidence' ELSE '3+ packets' END AS network
    FROM visits WHERE crawl_id IN (${inList(scope.crawlIds)}) AND dispersion_mbps IS NOT NULL AND dispersion_mbps > 0`;
  // 0.001 Mbit/s: under any link a NODES reply crosses; keeps log10 finite.
  const d = await distribution(store, values, 0.001);
  const total = num(d.cdf.find((r) => r.network === 'all')?.n);
  const classes = ['all', '3+ packets', 'low confidence'].filter((c) => c === 'all' || d.counts.has(c));
  const colors = colorScale(classes, ['all', '3+ packets', 'low confidence']);
  return {
    id: 'dispersion', title: 'Reply-train dispersion rate',
    definition: 'Per measured node, bytes of its NODES reply trains over their arrival spread (least-queued trains only), Mbit/s, log scale. A dispersion rate, not link capacity: the remote\'s pacing and encryption and our receive batching set the spacing too.',
    n: `${fmtInt(total)} visits with a reply train of 2+ packets (${fmtInt(d.counts.get('3+ packets') ?? 0)} with 3+)`,
    spec: total === 0 ? null : sideBySide([
      lineChart({ data: cdfRows(d.cdf, classes, 'mbps'), x: { field: 'mbps', title: 'dispersion rate (Mbit/s)', scale: 'log' }, y: { field: 'share', title: 'share of visits ≤ x', format: '%' }, series: { field: 'network', title: 'train', colors }, width: 380, title: 'CDF' }),
      histogram({ data: d.bins, lo: 'lo', hi: 'hi', count: 'count', xTitle: 'dispersion rate (Mbit/s)', yTitle: 'visits', xLog: true, width: 340, title: 'histogram' }),
    ]),
    missing: 'no visit in scope had a reply train of 2 or more packets',
    tables: [
      { name: 'dispersion-cdf', columns: ['train', 'share', 'mbps'], rows: cdfRows(d.cdf, classes, 'mbps').map((r) => ({ train: r.network, share: r.share, mbps: r.mbps })) as never },
      { name: 'dispersion-histogram', columns: ['lo', 'hi', 'count'], rows: d.bins },
    ],
  };
}

// discv5 only: networks and forks come from records, which libp2p peers have none of (agents: libp2pAgentFigure).
export async function networkFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const rows = await store.query<{ network: string; fork: string | null; all_n: bigint; measured_n: bigint }>(
    `WITH n AS (${nodeNetworkSql(scope)}),
      m AS (SELECT DISTINCT node_id FROM visits WHERE crawl_id IN (${inList(scope.crawlIds)}) AND status = 'measured')
     SELECT n.network, n.fork, count(*) AS all_n, count(m.node_id) AS measured_n FROM n LEFT JOIN m USING (node_id)
     GROUP BY ALL ORDER BY all_n DESC, network, fork`);
  const byLabel = new Map<string, { network: string; all: number; measured: number }>();
  for (const r of rows) {
    const label = networkForkLabel(r.network, r.fork);
    const e = byLabel.get(label) ?? { network: r.network, all: 0, measured: 0 };
    e.all += num(r.all_n); e.measured += num(r.measured_n);
    byLabel.set(label, e);
  }
  const totalAll = [...byLabel.values()].reduce((s, e) => s + e.all, 0);
  const totalMeasured = [...byLabel.values()].reduce((s, e) => s + e.measured, 0);
  const list = [...byLabel].map(([label, e]) => ({ label, ...e })).sort((a, b) => b.all - a.all || (a.label < b.label ? -1 : 1));
  const shown = list.slice(0, MAX_BARS);
  const data: Row[] = shown.flatMap((e) => [
    { label: e.label, network: e.network, among: 'all records', share: totalAll ? e.all / totalAll : 0, text: fmtInt(e.all) },
    { label: e.label, network: e.network, among: 'measured nodes', share: totalMeasured ? e.measured / totalMeasured : 0, text: fmtInt(e.measured) },
  ]);
  const networks = [...new Set(shown.map((e) => e.network))];
  return {
    id: 'networks', title: 'Networks and forks',
    definition: 'Share of each network and fork (eth2 fork digest named by network/fork; unknown digests as eth2:<digest>), among all nodes whose record was received and among nodes measured; latest record per node.',
    n: `${fmtInt(totalAll)} nodes with a record, ${fmtInt(totalMeasured)} measured; ${list.length} labels${list.length > MAX_BARS ? ` (the ${MAX_BARS} largest drawn)` : ''}`,
    spec: totalAll === 0 ? null : barChart({
      data, category: { field: 'label', title: 'network/fork', order: shown.map((e) => e.label) },
      value: { field: 'share', title: 'share', format: '%' }, colors: { field: 'network', title: 'network', scale: netColors(networks) },
      column: { field: 'among', title: '' }, label: 'text',
    }),
    missing: 'no records in scope',
    tables: [{ name: 'networks', columns: ['label', 'network', 'records', 'measured', 'share_records', 'share_measured'],
      rows: list.map((e) => ({ label: e.label, network: e.network, records: e.all, measured: e.measured, share_records: totalAll ? e.all / totalAll : 0, share_measured: totalMeasured ? e.measured / totalMeasured : 0 })) }],
  };
}

/** The client's name: the first part of the `client` entry (`Lighthouse/v7.0.0/…` → `lighthouse`). */
export function clientName(client: string): string {
  return (client.split('/')[0] ?? '').trim().toLowerCase() || 'empty';
}

// discv5 only: the record's `client` entry (a libp2p peer's agent is drawn by libp2pAgentFigure).
export async function clientFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const rows = await store.query<{ client: string | null; n: bigint }>(`SELECT client, count(*) AS n FROM (${nodeNetworkSql(scope)}) GROUP BY client ORDER BY n DESC, client`);
  const total = rows.reduce((s, r) => s + num(r.n), 0);
  const counts = new Map<string, number>();
  for (const r of rows) if (r.client !== null) counts.set(clientName(r.client), (counts.get(clientName(r.client)) ?? 0) + num(r.n));
  const said = [...counts.values()].reduce((s, v) => s + v, 0);
  const list = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    id: 'clients', title: 'Clients',
    definition: 'Client named by the record\'s `client` entry (its first part), as a share of the nodes whose record has one; most records do not say.',
    n: `${fmtInt(said)} of ${fmtInt(total)} nodes' records name a client (coverage ${total ? pct(said / total) : '-'})`,
    spec: said === 0 ? null : barChart({
      data: list.slice(0, MAX_BARS).map(([name, n]) => ({ client: name, share: n / said, text: `${fmtInt(n)} (${pct(n / said)})` })),
      category: { field: 'client', title: 'client' }, value: { field: 'share', title: 'share of records that name a client', format: '%' }, label: 'text',
    }),
    missing: `no record in scope names its client (0 of ${fmtInt(total)})`,
    tables: [{ name: 'clients', columns: ['client', 'nodes', 'share'], rows: list.map(([client, n]) => ({ client, nodes: n, share: said ? n / said : 0 })) }],
  };
}

// discv5 only: libp2p visits leave the byte counters NULL (their streams are not counted).
export async function trafficFigure(store: Queryable, scope: Scope): Promise<Figure> {
  // Each visit's bytes are spread evenly over the whole seconds it spans (visits last ms to a few s).
  const rows = await store.query<{ t: bigint; bin: number; bout: number; visits: bigint }>(
    `WITH v AS (SELECT floor((epoch_ms(started_at) - $2) / 1000)::BIGINT AS s, floor((epoch_ms(ended_at) - $2) / 1000)::BIGINT AS e, bytes_in, bytes_out
       FROM visits WHERE crawl_id = $1),
     x AS (SELECT unnest(range(s, greatest(e, s) + 1)) AS t, bytes_in / (greatest(e, s) - s + 1) AS bi, bytes_out / (greatest(e, s) - s + 1) AS bo FROM v)
     SELECT t, sum(bi) AS bin, sum(bo) AS bout, count(*) AS visits FROM x GROUP BY t ORDER BY t`, [scope.latest.id, scope.latest.startedAtMs]);
  const data: Row[] = thin(rows, MAX_SERIES_POINTS).flatMap((r) => [
    { t_s: num(r.t), direction: 'in', kbps: (8 * num(r.bin)) / 1000 },
    { t_s: num(r.t), direction: 'out', kbps: (8 * num(r.bout)) / 1000 },
  ]);
  const totalIn = rows.reduce((s, r) => s + num(r.bin), 0), totalOut = rows.reduce((s, r) => s + num(r.bout), 0);
  return {
    id: 'traffic', title: `Traffic per second (crawl ${scope.latest.id})`,
    definition: 'UDP payload bytes received from and sent to the nodes visited, kbit/s per second of the crawl (each visit\'s bytes spread over the seconds it lasted).',
    n: `${fmtInt(rows.length)} seconds; ${fmtInt(totalIn / 1e3)} kB in, ${fmtInt(totalOut / 1e3)} kB out`,
    spec: rows.length === 0 ? null : lineChart({
      data, x: { field: 't_s', title: 'time since crawl start (s)' }, y: { field: 'kbps', title: 'kbit/s' },
      series: { field: 'direction', title: 'direction', colors: colorScale(['in', 'out'], ['in', 'out']) },
    }),
    missing: 'no visits in this crawl',
    tables: [{ name: 'traffic', columns: ['t_s', 'bytes_in', 'bytes_out'], rows: rows.map((r) => ({ t_s: num(r.t), bytes_in: Math.round(num(r.bin)), bytes_out: Math.round(num(r.bout)) })) }],
  };
}

// discv5 only: IDs against IP:port endpoints of the records received; libp2p peers have no records.
export async function accumulationFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const many = scope.crawlIds.length > 1;
  // The unit: a crawl's ordinal when several are in scope, else the second of the crawl the record arrived in.
  const unit = many
    ? `dense_rank() OVER (ORDER BY crawl_id)`
    : `floor((epoch_ms(first_seen) - ${Math.trunc(scope.latest.startedAtMs)}) / ${ACCUMULATION_STEP_MS}) / ${1000 / ACCUMULATION_STEP_MS}`;
  const rows = await store.query<{ u: number; ids: bigint; endpoints: bigint }>(
    `WITH r AS (SELECT ${unit} AS u, node_id, ip || ':' || udp AS ep FROM records WHERE crawl_id IN (${inList(scope.crawlIds)})),
      ci AS (SELECT u, count(*) AS n FROM (SELECT min(u) AS u FROM r GROUP BY node_id) GROUP BY u),
      ce AS (SELECT u, count(*) AS n FROM (SELECT min(u) AS u FROM r WHERE ep IS NOT NULL GROUP BY ep) GROUP BY u),
      us AS (SELECT DISTINCT u FROM r)
     SELECT us.u, sum(coalesce(ci.n, 0)) OVER (ORDER BY us.u) AS ids, sum(coalesce(ce.n, 0)) OVER (ORDER BY us.u) AS endpoints
     FROM us LEFT JOIN ci USING (u) LEFT JOIN ce USING (u) ORDER BY us.u`);
  const data: Row[] = thin(rows, MAX_SERIES_POINTS).flatMap((r) => [
    { u: num(r.u), kind: 'unique node IDs', count: num(r.ids) },
    { u: num(r.u), kind: 'unique IP:port', count: num(r.endpoints) },
  ]);
  const last = rows[rows.length - 1];
  return {
    id: 'accumulation', title: many ? 'Accumulation over crawls' : 'Accumulation during the crawl',
    definition: `Distinct node IDs and distinct IP:port endpoints in the records received, cumulative ${many ? 'over the crawls in scope' : 'by second of the crawl'}; a gap between the lines is IDs sharing (or moving between) endpoints.`,
    n: last ? `${fmtInt(num(last.ids))} node IDs, ${fmtInt(num(last.endpoints))} IP:port over ${many ? `${scope.crawlIds.length} crawls` : `${num(last.u).toFixed(1)} s`}` : '0 records',
    spec: rows.length === 0 ? null : lineChart({
      data, x: { field: 'u', title: many ? 'crawl (in order)' : 'time since crawl start (s)' }, y: { field: 'count', title: 'cumulative distinct' },
      series: { field: 'kind', title: '', colors: colorScale(['unique node IDs', 'unique IP:port'], ['unique node IDs', 'unique IP:port']) }, step: many,
    }),
    missing: 'no records in scope',
    tables: [{ name: 'accumulation', columns: [many ? 'crawl_no' : 't_s', 'node_ids', 'endpoints'], rows: rows.map((r) => ({ [many ? 'crawl_no' : 't_s']: num(r.u), node_ids: num(r.ids), endpoints: num(r.endpoints) })) }],
  };
}

/**
 * Visits by status and error over these crawls, and the failed ones by reason. Visit status carries over to libp2p
 * (measured or failed, with the dial error class in `error`): libp2pDialErrorFigure counts its visits with this too.
 */
export async function visitFailures(store: Queryable, crawlIds: readonly number[]) {
  const rows = await store.query<{ status: string; error: string | null; dialed: boolean; n: bigint }>(
    // `dialed`: the visit got a connect time; a libp2p visit without one failed at its dial (discv5: no WHOAREYOU).
    `SELECT status, error, rtt1_ms IS NOT NULL AS dialed, count(*) AS n FROM visits WHERE crawl_id IN (${inList(crawlIds)})
     GROUP BY ALL ORDER BY n DESC, status, error, dialed`);
  const failed = rows.filter((r) => r.status !== 'measured');
  const nFailed = failed.reduce((s, r) => s + num(r.n), 0), nAll = rows.reduce((s, r) => s + num(r.n), 0);
  const byReason = new Map<string, { visits: number; dialed: number }>();
  for (const r of failed) {
    const e = byReason.get(r.error ?? 'unknown') ?? { visits: 0, dialed: 0 };
    e.visits += num(r.n);
    if (r.dialed) e.dialed += num(r.n);
    byReason.set(r.error ?? 'unknown', e);
  }
  const list = [...byReason].map(([reason, e]) => ({ reason, ...e })).sort((a, b) => b.visits - a.visits || (a.reason < b.reason ? -1 : 1));
  return { nFailed, nAll, list };
}

// discv5's reasons, over the discv5 crawls; the libp2p visits' dial errors are libp2pDialErrorFigure's (the same counts).
export async function failureFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const { nFailed, nAll, list: all } = await visitFailures(store, scope.crawlIds);
  const list = all.map((e) => ({ reason: e.reason, visits: e.visits }));
  return {
    id: 'failures', title: 'Why visits failed',
    definition: 'Failed visits by reason: timeout (no reply after the resends), no-whoareyou, bad-handshake, bad-reply; as a share of all failed visits.',
    n: `${fmtInt(nFailed)} failed of ${fmtInt(nAll)} visits (${nAll ? pct(nFailed / nAll) : '-'})`,
    spec: nFailed === 0 ? null : barChart({
      data: list.map((e) => ({ ...e, share: e.visits / nFailed, text: `${fmtInt(e.visits)} (${pct(e.visits / nFailed)})` })),
      category: { field: 'reason', title: 'reason' }, value: { field: 'share', title: 'share of failed visits', format: '%' }, label: 'text',
    }),
    missing: `no failed visits among ${fmtInt(nAll)}`,
    tables: [{ name: 'failures', columns: ['reason', 'visits', 'share'], rows: list.map((e) => ({ ...e, share: nFailed ? e.visits / nFailed : 0 })) }],
  };
}

/** Expected IDs per subtree at the depth the density figure uses: few enough subtrees to draw, enough IDs per subtree to judge 2x. */
const DENSITY_EXPECTED_PER_SUBTREE = 16;
/** A subtree is flagged when it holds more than this many times the expected IDs. */
export const DENSITY_FLAG_FACTOR = 2;

/** IDs per subtree of `depth` leading bits; the depth puts ~DENSITY_EXPECTED_PER_SUBTREE IDs in each. */
export function subtreeCounts(ids: readonly string[]): { depth: number; counts: Uint32Array } {
  const depth = Math.max(1, Math.min(16, Math.floor(Math.log2(Math.max(2, ids.length / DENSITY_EXPECTED_PER_SUBTREE)))));
  const counts = new Uint32Array(1 << depth);
  for (const id of ids) counts[parseInt(id.slice(0, 4), 16) >>> (16 - depth)]!++;
  return { depth, counts };
}

// discv5 only: the node IDs of the records received (libp2p peers' Kademlia IDs are not in records).
export async function densityFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const ids = (await store.query<{ node_id: string }>(`SELECT DISTINCT node_id FROM records WHERE crawl_id IN (${inList(scope.crawlIds)}) ORDER BY node_id`)).map((r) => r.node_id);
  const { depth, counts } = subtreeCounts(ids);
  const expected = ids.length / counts.length;
  const rows = [...counts].map((c, prefix) => ({ prefix, prefix_bits: prefix.toString(2).padStart(depth, '0'), ids: c, flagged: c > DENSITY_FLAG_FACTOR * expected }));
  const flagged = rows.filter((r) => r.flagged);
  return {
    id: 'density', title: 'ID-space density',
    definition: `Node IDs per subtree of the ID space (the first ${depth} bits), against the ${expected.toFixed(1)} expected if IDs are uniform; subtrees over ${DENSITY_FLAG_FACTOR}x that are flagged (a Sybil or eclipse sign, or a crawl artefact).`,
    n: `${fmtInt(ids.length)} node IDs in ${fmtInt(counts.length)} subtrees; ${flagged.length} flagged`,
    spec: ids.length === 0 ? null : pointChart({
      data: rows.map((r) => ({ prefix: r.prefix, ids: r.ids, class: r.flagged ? `over ${DENSITY_FLAG_FACTOR}x expected` : 'within' })),
      x: { field: 'prefix', title: `subtree (first ${depth} bits of the ID, as a number)` }, y: { field: 'ids', title: 'node IDs' },
      color: { field: 'class', title: '', colors: { domain: ['within', `over ${DENSITY_FLAG_FACTOR}x expected`], range: ['#0072B2', '#D55E00'] } },
      rules: [{ y: expected, label: 'expected' }, { y: DENSITY_FLAG_FACTOR * expected, label: `${DENSITY_FLAG_FACTOR}x` }],
    }),
    missing: 'no records in scope',
    tables: [
      { name: 'density', columns: ['prefix_bits', 'ids', 'flagged'], rows },
      { name: 'density-flagged', columns: ['prefix_bits', 'ids', 'expected'], rows: flagged.map((r) => ({ prefix_bits: r.prefix_bits, ids: r.ids, expected })) },
    ],
  };
}

/** The discv5 figures, in the report's order (each given the discv5 crawls of the scope). */
export const DISCV5_FIGURES = [statesFigure, rttFigure, dispersionFigure, networkFigure, clientFigure, trafficFigure, accumulationFigure, failureFigure, densityFigure] as const;
