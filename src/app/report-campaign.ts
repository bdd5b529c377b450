// The report's campaign figures (a database a monitor wrote): active nodes over time, entered and left per
// window, and session length as a Kaplan–Meier curve. Definitions as in `stats` and the README's "Campaigns".
import { lineChart, barChart, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import { colorScale } from '../report/theme.js';
import type { Queryable } from '../store/index.js';
import type { CampaignStats, WindowStats } from './campaign-stats.js';
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

/** A campaign's figures from one view of its rows, or one per vantage where every vantage probed every node. */
const viewLabel = (views: readonly CampaignStats[], k: string, v: CampaignStats) => (views.length > 1 ? `${k}, ${v.vantage ?? '?'}` : k);

export function churnFigure(views: readonly CampaignStats[], windowLabel: string): Figure {
  const label = (x: WindowStats, i: number) => `${i + 1}: ${new Date(x.fromMs).toISOString().slice(0, 16).replace('T', ' ')}${x.complete ? '' : ' (partial)'}`;
  const kinds = views.flatMap((v) => ['entered', 'left'].map((k) => viewLabel(views, k, v)));
  const data: Row[] = views.flatMap((v) => v.all.windows.flatMap((x, i) => [
    { window: label(x, i), kind: viewLabel(views, 'entered', v), nodes: x.entered }, { window: label(x, i), kind: viewLabel(views, 'left', v), nodes: x.left },
  ]));
  const windows = Math.max(0, ...views.map((v) => v.all.windows.length));
  return {
    id: 'campaign-churn', title: `Entered and left per ${windowLabel}`,
    definition: `Per ${windowLabel} window from the end of the campaign's first crawl: sessions that started from a state seen down or of a new node (entered), and sessions that ended (left); unreachable nodes are never counted.` +
      (views.length > 1 ? ' Every vantage of this campaign probed every node: each vantage\'s own count.' : ''),
    n: `${windows} windows; ${views.map((v) => `${fmtInt(v.all.nodes.reachable)} reachable nodes${views.length > 1 ? ` from ${v.vantage}` : ''}`).join(', ')}`,
    spec: windows === 0 ? null : barChart({
      data, category: { field: 'kind', title: '', order: kinds }, value: { field: 'nodes', title: 'nodes' },
      colors: { field: 'kind', title: '', scale: colorScale(kinds, views.length > 1 ? [] : ['entered', 'left']) }, column: { field: 'window', title: `${windowLabel} window (UTC start)` }, label: 'nodes',
    }),
    missing: 'the campaign has no complete crawl yet, so no window starts',
    tables: [{ name: 'campaign-churn', columns: ['vantage', 'from', 'to', 'complete', 'entered', 'entered_new', 'left', 'online_at_start', 'churn_rate'],
      rows: views.flatMap((v) => v.all.windows.map((x) => ({
        vantage: v.vantage, from: new Date(x.fromMs).toISOString(), to: new Date(x.toMs).toISOString(), complete: x.complete, entered: x.entered, entered_new: x.enteredNew,
        left: x.left, online_at_start: x.onlineAtStart, churn_rate: x.churnRate,
      }))) }],
  };
}

export function sessionFigure(views: readonly CampaignStats[]): Figure {
  const min = (ms: number) => ms / 60_000;
  const series = views.map((v) => viewLabel(views, 'sessions', v));
  const data = views.flatMap((v) => {
    const km = v.all.sessionLength.km;
    return [{ tMs: 0, survival: 1, atRisk: km.n }, ...thin(v.all.sessionLength.curve, MAX_CURVE_POINTS)]
      .map((p) => ({ t_min: min(p.tMs), survival: p.survival, kind: viewLabel(views, 'sessions', v) }));
  });
  const nText = (v: CampaignStats) => {
    const km = v.all.sessionLength.km, naive = v.all.sessionLength.naive.medianMs;
    return `${views.length > 1 ? `${v.vantage}: ` : ''}${fmtInt(km.n)} sessions (${fmtInt(km.ended)} ended, ${fmtInt(km.censored)} open); KM median ${km.medianMs === null ? 'not reached' : `${min(km.medianMs).toFixed(1)} min`}, naive median ${naive === null ? '-' : `${min(naive).toFixed(1)} min`}`;
  };
  return {
    id: 'campaign-sessions', title: 'Session length (Kaplan–Meier)',
    definition: 'Share of uptime sessions still up after t minutes, Kaplan–Meier with open sessions censored (only sessions whose start was observed); the naive median of ended sessions, biased short, is given beside it.' +
      (views.length > 1 ? ' One curve per vantage: every vantage of this campaign probed every node.' : ''),
    n: views.map(nText).join('; '),
    spec: views.every((v) => v.all.sessionLength.curve.length === 0) ? null : lineChart({
      data, step: true, x: { field: 't_min', title: 'session length t (min)' }, y: { field: 'survival', title: 'share of sessions up after t', format: '%' },
      ...(views.length > 1 ? { series: { field: 'kind', title: '', colors: colorScale(series, []) } } : {}),
      rules: [{ y: 0.5, label: 'median' }],
    }),
    missing: 'no session ended yet',
    tables: [{ name: 'campaign-sessions', columns: ['vantage', 't_ms', 'survival', 'at_risk'],
      rows: views.flatMap((v) => v.all.sessionLength.curve.map((p) => ({ vantage: v.vantage, t_ms: p.tMs, survival: p.survival, at_risk: p.atRisk }))) }],
  };
}
