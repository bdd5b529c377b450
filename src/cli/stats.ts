import { campaignOrLatest, campaignStats, perVantageViews, vantagesStats, type CampaignStats, type GroupStats, type VantagesStats } from '../app/campaign-stats.js';
import { StoreReader } from '../store/index.js';
import { FLAG_MAX, formatHelp, parseArgs, parseDurationMs, type FlagSpecs } from '../util/args.js';
import { UsageError } from '../util/errors.js';
import type { CliIo } from './io.js';
import { READER_DB_MEMORY_FLAG, checkDb, dbFlag } from './db-flags.js';
import { toJson } from './json.js';


export const STATS_FLAGS: FlagSpecs = {
  db: dbFlag('the store a monitor wrote (a DuckDB file not while that monitor runs: DuckDB lets one process open a file; a PostgreSQL store is read as a snapshot, also while monitors write it)'),
  campaign: { type: 'int', help: 'campaign id (default: the latest)', min: 1, max: FLAG_MAX.id },
  window: { type: 'string', help: 'window for entered/left/churn, counted from the campaign start', default: '24h', valueName: 'time' },
  networks: { type: 'int', help: 'networks shown one by one in the text output (all of them in --json)', default: 5, min: 0, max: 1000 },
  vantage: { type: 'string', help: 'one vantage\'s figures of a shared campaign (its crawls, probes and sessions); without it, a campaign whose every vantage probes every node (monitor --every-vantage) shows each vantage\'s', valueName: 'name' },
  vantages: { type: 'bool', help: 'each vantage\'s latest campaign side by side, and merged: unreachable only when no vantage reached the node' },
  'db-memory-mb': READER_DB_MEMORY_FLAG,
};

export const STATS_HELP = formatHelp('dhtscope stats --db FILE [options]',
  'Campaign metrics, each with its n and its time window: node classes (reachable, unreachable, up, left,\n' +
  'new), entered and left per window, churn rate, availability, session length (Kaplan–Meier with open\n' +
  'sessions censored, the naive figure beside it) and address changes per node-day, for all nodes and per\n' +
  'network. Definitions: README, "Campaigns". With --vantages, the node classes of each vantage\'s latest\n' +
  'campaign in the database, and merged over them.', STATS_FLAGS);

export function formatVantages(v: VantagesStats): string {
  const rows = v.vantages.map((x) => [x.vantage, x.vantageAddr ?? '-', String(x.campaignId), String(x.tracked), String(x.reachable), String(x.unreachable), String(x.onlyHere)]);
  const m = v.merged;
  rows.push(['all (merged)', '', '', String(m.tracked), String(m.reachable), String(m.unreachable), '']);
  const head = ['vantage', 'address', 'campaign', 'tracked', 'reachable', 'unreachable', 'only here'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line), `${m.reachableFromSome} nodes answered some vantages and never another: one vantage alone would call them unreachable`].join('\n');
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

export function fmtDuration(ms: number | null): string {
  if (ms === null) return '-';
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

function group(name: string, g: GroupStats, windowMs: number): string[] {
  const n = g.nodes;
  const km = g.sessionLength.km, nv = g.sessionLength.naive;
  const lines = [
    `${name}: ${n.tracked} tracked, ${n.reachable} reachable, ${n.unreachable} unreachable (never answered; median ${g.unreachableEvidence.medianFailedVisits ?? '-'} failed visits, listed by ${g.unreachableEvidence.medianListedBy ?? '-'} peers), ${n.up} up now, ${n.left} left, ${n.new} new`,
    `  seen in the last ${fmtDuration(windowMs)}: ${g.seenInLastWindow}`,
  ];
  for (const w of g.windows) {
    lines.push(`  ${iso(w.fromMs)} +${fmtDuration(windowMs)}${w.complete ? '' : ' (partial)'}: entered ${w.entered}, left ${w.left}, online at start ${w.onlineAtStart}, churn ${pct(w.churnRate)}`);
  }
  const a = g.availability;
  lines.push(`  availability (n=${a.n}): p10 ${pct(a.p10)}, median ${pct(a.p50)}, p90 ${pct(a.p90)}, mean ${pct(a.mean)}`);
  lines.push(`  session length, Kaplan–Meier (n=${km.n}: ${km.ended} ended, ${km.censored} open): median ${fmtDuration(km.medianMs)} (p25 ${fmtDuration(km.p25Ms)}, p75 ${fmtDuration(km.p75Ms)}); naive, ended only (n=${nv.n}): median ${fmtDuration(nv.medianMs)}`);
  const c = g.addressChanges;
  lines.push(`  address changes: ${c.changes} over ${c.nodeDays.toFixed(2)} node-days (${c.perNodeDay === null ? '-' : c.perNodeDay.toFixed(3)} per node-day); seq-only changes ${c.seqChanges}`);
  return lines;
}

export function formatStats(s: CampaignStats, networks: number): string {
  const out = [
    `campaign ${s.campaignId}${s.vantage === null ? '' : ` from vantage ${s.vantage}`}: ${iso(s.startedAtMs)} to ${iso(s.endAtMs)} (${fmtDuration(s.endAtMs - s.startedAtMs)}), ${s.crawls} crawls${s.interruptedCrawls ? ` (${s.interruptedCrawls} interrupted)` : ''}, ` +
      `${s.probes.whoareyou + s.probes.ping + s.probes.dial} probes (${s.probes.ok} answered, ${s.probes.failed} not)`,
  ];
  for (const g of s.gaps) out.push(`  monitor away ${iso(g.fromMs)} to ${iso(g.toMs)} (${fmtDuration(g.toMs - g.fromMs)}, ${g.reason}): nodes are not judged over it`);
  out.push(...group('all networks', s.all, s.windowMs));
  for (const [name, g] of Object.entries(s.byNetwork).slice(0, networks)) out.push(...group(name, g, s.windowMs));
  return out.join('\n');
}

export async function runStats(argv: string[], io: CliIo): Promise<number> {
  const { flags, positional } = parseArgs(argv, STATS_FLAGS);
  if (flags.help) { io.out(STATS_HELP); return 0; }
  if (positional.length) throw new UsageError('ERR_USAGE_UNEXPECTED_ARG', `unexpected argument "${positional[0]}"`);
  const db = checkDb(flags.db as string, true);
  const windowMs = parseDurationMs(flags.window as string, 'window');
  const store = await StoreReader.open(db, { memoryLimitMB: flags['db-memory-mb'] as number, onProgress: (line) => io.err(line) });
  try {
    if (flags.vantages) {
      if (flags.campaign !== undefined) throw new UsageError('ERR_USAGE_CONFLICT', '--vantages takes each vantage\'s latest campaign; leave out --campaign');
      const v = await vantagesStats(store);
      io.out(flags.json ? toJson(v) : formatVantages(v));
      return 0;
    }
    const id = await campaignOrLatest(store, flags.campaign as number | undefined);
    const one = flags.vantage as string | undefined;
    // Each vantage's own view where every vantage probed every node: their sessions overlap, and must not merge.
    const views = one !== undefined ? [one] : await perVantageViews(store, id);
    if (views === null) {
      const s = await campaignStats(store, id, windowMs);
      io.out(flags.json ? toJson(s) : formatStats(s, flags.networks as number));
      return 0;
    }
    const all = [];
    for (const v of views) all.push(await campaignStats(store, id, windowMs, undefined, v));
    if (one !== undefined && all[0]!.crawls === 0) throw new UsageError('ERR_USAGE_NO_VANTAGE', `no crawl of vantage "${one}" in campaign ${id}`);
    io.out(flags.json ? toJson(one !== undefined ? all[0] : { campaignId: id, vantages: all }) : all.map((s) => formatStats(s, flags.networks as number)).join('\n\n'));
  } finally {
    store.close();
  }
  return 0;
}
