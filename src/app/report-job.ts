// `report`: the crawls (and campaign) in scope, drawn into a report folder. Reads only; the database may be a
// copy of one a monitor is still writing.
import { writeReport, type WrittenReport } from '../report/write.js';
import type { Figure } from '../report/figure.js';
import { DHT_PROTOCOLS, StoreReader, type Queryable } from '../store/index.js';
import { UsageError } from '../util/errors.js';
import { campaignStats, perVantageViews } from './campaign-stats.js';
import type { GeoFiles } from './geo.js';
import { geoFigures } from './report-geo.js';
import { activeFigure, churnFigure, sessionFigure } from './report-campaign.js';
import { CRAWL_PROTOCOL_SQL, DISCV5_FIGURES, scopesByProtocol, type Scope, type ScopeCrawl } from './report-figures.js';
import { LIBP2P_FIGURES } from './report-libp2p.js';

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

/** Crawl ids the header lists one by one when they are not a range; more are given as first to last. */
const MAX_IDS_LISTED = 4;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The crawls in scope, and the crawls each protocol's figures show. */
interface ReportScope extends Scope { discv5: Scope | null; libp2p: Scope | null }

async function resolveScope(store: Queryable, c: ReportConfig): Promise<ReportScope> {
  const cols = `id, epoch_ms(started_at) AS s, ${CRAWL_PROTOCOL_SQL} AS protocol`;
  const rows = await store.query<{ id: number; s: bigint; protocol: string }>(
    c.crawlId !== undefined ? `SELECT ${cols} FROM crawls WHERE id = $1 ORDER BY id`
      : c.sinceMs !== undefined ? `SELECT ${cols} FROM crawls WHERE epoch_ms(started_at) >= $1 ORDER BY id`
        // The latest crawl of each protocol: a database of both gets both sets of figures.
        : `SELECT ${cols} FROM crawls QUALIFY row_number() OVER (PARTITION BY ${CRAWL_PROTOCOL_SQL} ORDER BY id DESC) = 1 ORDER BY id`,
    c.crawlId !== undefined ? [c.crawlId] : c.sinceMs !== undefined ? [c.sinceMs] : []);
  if (rows.length === 0) {
    throw new UsageError('ERR_USAGE_NO_CRAWL', c.crawlId !== undefined ? `no crawl ${c.crawlId} in ${c.dbPath}`
      : c.sinceMs !== undefined ? `no crawl in ${c.dbPath} started since ${iso(c.sinceMs)}` : `${c.dbPath} holds no crawl`);
  }
  const crawls: ScopeCrawl[] = rows.map((r) => ({ id: Number(r.id), startedAtMs: Number(r.s), protocol: r.protocol }));
  const ids = crawls.map((r) => r.id).sort((a, b) => a - b);
  const last = crawls.find((r) => r.id === ids[ids.length - 1])!;
  return { crawlIds: ids, latest: { id: last.id, startedAtMs: last.startedAtMs }, ...scopesByProtocol(crawls) };
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
    const builders = [
      ...(scope.discv5 ? DISCV5_FIGURES.map((b) => () => b(store, scope.discv5!)) : []),
      ...(scope.libp2p ? LIBP2P_FIGURES.map((b) => () => b(store, scope.libp2p!)) : []),
    ];
    for (const b of builders) {
      figures.push(await b());
      progress(`figure ${figures.length}: ${figures[figures.length - 1]!.id}`);
    }
    // Each protocol's nodes placed by its own kind of address.
    if (c.geo) {
      for (const protocol of DHT_PROTOCOLS) {
        const s = scope[protocol];
        if (!s) continue;
        figures.push(...(await geoFigures(store, s, c.geo, protocol)));
        progress(`geo: 2 ${protocol} figures`);
      }
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
    const span = await store.query<{ s: bigint; e: bigint | null; open: bigint; records: bigint; visits: bigint; peers: bigint }>(
      `SELECT epoch_ms(min(started_at)) AS s, epoch_ms(max(ended_at)) AS e, count(*) FILTER (WHERE ended_at IS NULL) AS open,
        (SELECT count(*) FROM records WHERE crawl_id IN (${scope.crawlIds.join(',')})) AS records,
        (SELECT count(*) FROM visits WHERE crawl_id IN (${scope.crawlIds.join(',')})) AS visits,
        (SELECT count(DISTINCT node_id) FROM peers WHERE crawl_id IN (${scope.crawlIds.join(',')})) AS peers
       FROM crawls WHERE id IN (${scope.crawlIds.join(',')})`);
    const sp = span[0]!;
    const ids = scope.crawlIds, contiguous = scope.latest.id - ids[0]! === ids.length - 1;
    // The latest crawl of each protocol (the default scope of a mixed database) need not be neighbours.
    const crawlText = ids.length === 1 ? `crawl ${ids[0]}`
      : `${ids.length} crawls (${contiguous ? `${ids[0]}-${scope.latest.id}` : ids.length <= MAX_IDS_LISTED ? ids.join(', ') : `${ids[0]} to ${scope.latest.id}`})`;
    const crawlsOf = (s: Scope) => `${s.crawlIds.length} crawl${s.crawlIds.length === 1 ? '' : 's'}`;
    const protocols = [scope.discv5 ? `discv5 (${crawlsOf(scope.discv5)})` : null, scope.libp2p ? `libp2p (${crawlsOf(scope.libp2p)})` : null].filter((p) => p !== null);
    const header = {
      title: `dhtscope report: ${crawlText}${campaignId !== null ? `, campaign ${campaignId}` : ''}`,
      facts: [
        ['database', c.dbPath], ['crawls', crawlText],
        ['time', `${iso(Number(sp.s))} to ${sp.e === null ? 'interrupted (no end recorded)' : iso(Number(sp.e))}`],
        // A crawl without an end stamp was killed or failed (crawlInterrupted): its figures stop where it did.
        ...(Number(sp.open) > 0 && scope.crawlIds.length > 1 ? [['interrupted', `${Number(sp.open)} of ${scope.crawlIds.length} crawls (no end recorded)`] as [string, string]] : []),
        ...(protocols.length > 1 ? [['protocols', protocols.join(', ')] as [string, string]] : []),
        ...(scope.discv5 ? [['records', Number(sp.records).toLocaleString('en-US')] as [string, string]] : []),
        ...(scope.libp2p ? [['libp2p peers', Number(sp.peers).toLocaleString('en-US')] as [string, string]] : []),
        ['visits', Number(sp.visits).toLocaleString('en-US')],
        ['made by', `dhtscope ${c.toolVersion}`],
      ] as Array<[string, string]>,
    };
    const written = await writeReport(c.outDir, header, figures);
    return { ...written, crawlIds: scope.crawlIds, campaignId, totalMs: performance.now() - t0 };
  } finally {
    store.close();
  }
}
