// The report's campaign figures (a database a monitor wrote): active nodes over time, entered and left per
// window, and session length as a Kaplan–Meier curve. Definitions as in `stats` and the README's "Campaigns".
import { lineChart, barChart, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import { colorScale } from '../report/theme.js';
import type { Queryable } from '../store/index.js';
import type { CampaignStats } from './campaign-stats.js';
import { MAX_SERIES_POINTS, num, thin } from './report-figures.js';

/** Steps of the survival curve drawn; the CSV has every step. */
const MAX_CURVE_POINTS = 800;

export async function activeFigure(store: Queryable, s: CampaignStats): Promise<Figure> {
  const rows = await store.query<{ t: bigint; tracked: number; up: number; reachable: number; vantage: string | null }>(
    `SELECT epoch_ms(sampled_at) AS t, tracked, up, reachable, vantage FROM monitor_samples WHERE campaign_id = $1 ORDER BY sampled_at`, [s.campaignId]);
  const kinds = ['up (active)', 'reachable', 'tracked'] as const;
  // A shared campaign's monitors each sample their own view of every node: one line per vantage.
  const vantages = [...new Set(rows.map((r) => r.vantage ?? ''))].sort();
  const label = (k: string, v: string | null) => (vantages.length > 1 ? `${k}, ${v ?? '?'}` : k);
  const series = vantages.flatMap((v) => kinds.map((k) => label(k, v)));
  const t0 = s.startedAtMs;
  const data: Row[] = thin(rows, MAX_SERIES_POINTS * vantages.length).flatMap((r) => [
    { h: (num(r.t) - t0) / 3.6e6, kind: label(kinds[0], r.vantage), nodes: num(r.up) },
    { h: (num(r.t) - t0) / 3.6e6, kind: label(kinds[1], r.vantage), nodes: num(r.reachable) },
    { h: (num(r.t) - t0) / 3.6e6, kind: label(kinds[2], r.vantage), nodes: num(r.tracked) },
  ]);
  return {
    id: 'campaign-active', title: `Active nodes over time (campaign ${s.campaignId})`,
    definition: 'Nodes in an open uptime session (active), nodes that answered at least once (reachable), and nodes tracked, sampled by the monitor; hours since the campaign started.' +
      (vantages.length > 1 ? ' A shared campaign draws each vantage\'s own view of every node.' : ''),
    n: `${fmtInt(rows.length)} samples over ${((s.endAtMs - s.startedAtMs) / 3.6e6).toFixed(2)} h${vantages.length > 1 ? ` from ${vantages.length} vantages` : ''}`,
    spec: rows.length === 0 ? null : lineChart({
      data, x: { field: 'h', title: 'hours since campaign start' }, y: { field: 'nodes', title: 'nodes' },
      series: { field: 'kind', title: '', colors: colorScale(series, vantages.length > 1 ? [] : kinds) },
    }),
    missing: 'the monitor recorded no samples',
    tables: [{
      name: 'campaign-active', columns: ['t_ms', 'vantage', 'tracked', 'up', 'reachable'],
      rows: rows.map((r) => ({ t_ms: num(r.t), vantage: r.vantage, tracked: num(r.tracked), up: num(r.up), reachable: num(r.reachable) })),
    }],
  };
}

export function churnFigure(s: CampaignStats, windowLabel: string): Figure {
  const w = s.all.windows;
  const label = (x: (typeof w)[number], i: number) => `${i + 1}: ${new Date(x.fromMs).toISOString().slice(0, 16).replace('T', ' ')}${x.complete ? '' : ' (partial)'}`;
  const data: Row[] = w.flatMap((x, i) => [{ window: label(x, i), kind: 'entered', nodes: x.entered }, { window: label(x, i), kind: 'left', nodes: x.left }]);
  return {
    id: 'campaign-churn', title: `Entered and left per ${windowLabel}`,
    definition: `Per ${windowLabel} window from the end of the campaign's first crawl: sessions that started from a state seen down or of a new node (entered), and sessions that ended (left); unreachable nodes are never counted.`,
    n: `${w.length} windows; ${fmtInt(s.all.nodes.reachable)} reachable nodes`,
    spec: w.length === 0 ? null : barChart({
      data, category: { field: 'kind', title: '', order: ['entered', 'left'] }, value: { field: 'nodes', title: 'nodes' },
      colors: { field: 'kind', title: '', scale: colorScale(['entered', 'left'], ['entered', 'left']) }, column: { field: 'window', title: `${windowLabel} window (UTC start)` }, label: 'nodes',
    }),
    missing: 'the campaign has no complete crawl yet, so no window starts',
    tables: [{ name: 'campaign-churn', columns: ['from', 'to', 'complete', 'entered', 'entered_new', 'left', 'online_at_start', 'churn_rate'],
      rows: w.map((x) => ({ from: new Date(x.fromMs).toISOString(), to: new Date(x.toMs).toISOString(), complete: x.complete, entered: x.entered, entered_new: x.enteredNew, left: x.left, online_at_start: x.onlineAtStart, churn_rate: x.churnRate })) }],
  };
}

export function sessionFigure(s: CampaignStats): Figure {
  const km = s.all.sessionLength.km, curve = s.all.sessionLength.curve;
  const pts = [{ tMs: 0, survival: 1, atRisk: km.n }, ...thin(curve, MAX_CURVE_POINTS)];
  const min = (ms: number) => ms / 60_000;
  return {
    id: 'campaign-sessions', title: 'Session length (Kaplan–Meier)',
    definition: 'Share of uptime sessions still up after t minutes, Kaplan–Meier with open sessions censored (only sessions whose start was observed); the naive median of ended sessions, biased short, is given beside it.',
    n: `${fmtInt(km.n)} sessions (${fmtInt(km.ended)} ended, ${fmtInt(km.censored)} open); KM median ${km.medianMs === null ? 'not reached' : `${min(km.medianMs).toFixed(1)} min`}, naive median ${s.all.sessionLength.naive.medianMs === null ? '-' : `${min(s.all.sessionLength.naive.medianMs).toFixed(1)} min`}`,
    spec: curve.length === 0 ? null : lineChart({
      data: pts.map((p) => ({ t_min: min(p.tMs), survival: p.survival })), step: true,
      x: { field: 't_min', title: 'session length t (min)' }, y: { field: 'survival', title: 'share of sessions up after t', format: '%' },
      rules: [{ y: 0.5, label: 'median' }],
    }),
    missing: 'no session ended yet',
    tables: [{ name: 'campaign-sessions', columns: ['t_ms', 'survival', 'at_risk'], rows: curve.map((p) => ({ t_ms: p.tMs, survival: p.survival, at_risk: p.atRisk })) }],
  };
}
