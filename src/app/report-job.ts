// `report`: the crawls (and campaign) in scope, drawn into a report folder. Reads only; the database may be a
// copy of one a monitor is still writing.
import { writeReport, type WrittenReport } from '../report/write.js';
import type { Figure } from '../report/figure.js';
import { StoreReader, type Queryable } from '../store/index.js';
import { UsageError } from '../util/errors.js';
import { campaignStats, perVantageViews } from './campaign-stats.js';
import type { GeoFiles } from './geo.js';
import { geoFigures } from './report-geo.js';
import { activeFigure, churnFigure, sessionFigure } from './report-campaign.js';
import {
  accumulationFigure, clientFigure, densityFigure, dispersionFigure, failureFigure, networkFigure, rttFigure, statesFigure, trafficFigure, type Scope,
} from './report-figures.js';

export interface ReportConfig {
  dbPath: string;
  outDir: string;
  /** One crawl; else every crawl started at or after `sinceMs`; else the latest crawl. */
  crawlId?: number;
  sinceMs?: number;
  /** Campaign figures for this campaign; default: the latest campaign that ran a crawl in scope. */
  campaignId?: number;
  /** Entered/left window of the campaign figures. */
  windowMs: number;
  dbMemoryMB: number;
  /** Shown in the report's header. */
  toolVersion: string;
  /** Country and AS figures from these range databases (see geo.ts); absent: none, and nothing is loaded. */
  geo?: GeoFiles;
}

export interface ReportResult extends WrittenReport {
  crawlIds: number[];
  campaignId: number | null;
  /** Query and render time, ms. */
  totalMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

async function resolveScope(store: Queryable, c: ReportConfig): Promise<Scope> {
  const rows = await store.query<{ id: number; s: bigint }>(
    c.crawlId !== undefined ? `SELECT id, epoch_ms(started_at) AS s FROM crawls WHERE id = $1 ORDER BY id`
      : c.sinceMs !== undefined ? `SELECT id, epoch_ms(started_at) AS s FROM crawls WHERE epoch_ms(started_at) >= $1 ORDER BY id`
        : `SELECT id, epoch_ms(started_at) AS s FROM crawls ORDER BY id DESC LIMIT 1`,
    c.crawlId !== undefined ? [c.crawlId] : c.sinceMs !== undefined ? [c.sinceMs] : []);
  if (rows.length === 0) {
    throw new UsageError('ERR_USAGE_NO_CRAWL', c.crawlId !== undefined ? `no crawl ${c.crawlId} in ${c.dbPath}`
      : c.sinceMs !== undefined ? `no crawl in ${c.dbPath} started since ${iso(c.sinceMs)}` : `${c.dbPath} holds no crawl`);
  }
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const last = rows.find((r) => Number(r.id) === ids[ids.length - 1])!;
  return { crawlIds: ids, latest: { id: Number(last.id), startedAtMs: Number(last.s) } };
}

async function campaignInScope(store: Queryable, scope: Scope, given?: number): Promise<number | null> {
  if (given !== undefined) {
    const r = await store.query(`SELECT 1 FROM campaigns WHERE id = $1`, [given]);
    if (r.length === 0) throw new UsageError('ERR_USAGE_NO_CAMPAIGN', `no campaign ${given} in the database`);
    return given;
  }
  const r = await store.query<{ id: number | null }>(`SELECT max(campaign_id) AS id FROM crawls WHERE id IN (${scope.crawlIds.join(',')})`);
  return r[0]?.id == null ? null : Number(r[0].id);
}

export async function runReport(c: ReportConfig, progress: (line: string) => void = () => {}): Promise<ReportResult> {
  const t0 = performance.now();
  const store = await StoreReader.open(c.dbPath, { memoryLimitMB: c.dbMemoryMB, onProgress: progress, ...(c.geo ? { allowedPaths: [c.geo.countryCsv, c.geo.asnCsv] } : {}) });
  try {
    const scope = await resolveScope(store, c);
    const figures: Figure[] = [];
    const builders = [statesFigure, rttFigure, dispersionFigure, networkFigure, clientFigure, trafficFigure, accumulationFigure, failureFigure, densityFigure];
    for (const b of builders) {
      figures.push(await b(store, scope));
      progress(`figure ${figures.length}: ${figures[figures.length - 1]!.id}`);
    }
    if (c.geo) {
      figures.push(...(await geoFigures(store, scope, c.geo)));
      progress('geo: 2 figures');
    }
    const campaignId = await campaignInScope(store, scope, c.campaignId);
    if (campaignId !== null) {
      const s = await campaignStats(store, campaignId, c.windowMs);
      // Where every vantage probed every node, their sessions overlap: each vantage's view, not one merged.
      const per = await perVantageViews(store, campaignId);
      const views = per === null ? [s] : await Promise.all(per.map((v) => campaignStats(store, campaignId, c.windowMs, undefined, v)));
      const windowLabel = c.windowMs % 86_400_000 === 0 ? `${c.windowMs / 86_400_000}-day` : `${+(c.windowMs / 3_600_000).toFixed(3)}-hour`;
      figures.push(await activeFigure(store, s), churnFigure(views, windowLabel), sessionFigure(views));
      progress(`campaign ${campaignId}: 3 figures`);
    }
    const span = await store.query<{ s: bigint; e: bigint | null; open: bigint; records: bigint; visits: bigint }>(
      `SELECT epoch_ms(min(started_at)) AS s, epoch_ms(max(ended_at)) AS e, count(*) FILTER (WHERE ended_at IS NULL) AS open,
        (SELECT count(*) FROM records WHERE crawl_id IN (${scope.crawlIds.join(',')})) AS records,
        (SELECT count(*) FROM visits WHERE crawl_id IN (${scope.crawlIds.join(',')})) AS visits
       FROM crawls WHERE id IN (${scope.crawlIds.join(',')})`);
    const sp = span[0]!;
    const crawlText = scope.crawlIds.length === 1 ? `crawl ${scope.crawlIds[0]}` : `${scope.crawlIds.length} crawls (${scope.crawlIds[0]}-${scope.latest.id})`;
    const header = {
      title: `dhtscope report: ${crawlText}${campaignId !== null ? `, campaign ${campaignId}` : ''}`,
      facts: [
        ['database', c.dbPath], ['crawls', crawlText],
        ['time', `${iso(Number(sp.s))} to ${sp.e === null ? 'interrupted (no end recorded)' : iso(Number(sp.e))}`],
        // A crawl without an end stamp was killed or failed (crawlInterrupted): its figures stop where it did.
        ...(Number(sp.open) > 0 && scope.crawlIds.length > 1 ? [['interrupted', `${Number(sp.open)} of ${scope.crawlIds.length} crawls (no end recorded)`] as [string, string]] : []),
        ['records', Number(sp.records).toLocaleString('en-US')], ['visits', Number(sp.visits).toLocaleString('en-US')],
        ['made by', `dhtscope ${c.toolVersion}`],
      ] as Array<[string, string]>,
    };
    const written = await writeReport(c.outDir, header, figures);
    return { ...written, crawlIds: scope.crawlIds, campaignId, totalMs: performance.now() - t0 };
  } finally {
    store.close();
  }
}
