// `serve`: a read-only web UI and JSON API over a crawl database (hono on node:http).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { networkFigure, rttFigure, statesFigure, type Scope } from '../app/report-figures.js';
import { decodeEnrText, nodeIdFromPublicKey } from '../enr/index.js';
import { StoreReader } from '../store/index.js';
import type { GeoFiles } from '../app/geo.js';
import { fromHex, toHex } from '../util/bytes.js';
import { toCsv } from '../report/csv.js';
import { chartScripts, diffPage, errorPage, esc, layout, networksPage, nodeListPage, nodePage } from './pages.js';
import { BadRequest, parseCrawlId, parseExportFormat, parseFilter, parseNodeId, parseNodeQuery } from './params.js';
import { NODE_COLUMNS, WebQueries } from './queries.js';

export interface ServeConfig {
  dbPath: string;
  /** Country and AS facets from these range databases (app/geo.ts). */
  geo?: GeoFiles;
  host: string;
  port: number;
  dbMemoryMB: number;
}

export interface RunningServer { url: string; close(): Promise<void> }

/** The browser builds of the chart libraries, served from the package so the pages work offline. */
const ASSETS: Record<string, { pkg: string; file: string }> = {
  'vega.min.js': { pkg: 'vega', file: 'vega.min.js' },
  'vega-lite.min.js': { pkg: 'vega-lite', file: 'vega-lite.min.js' },
  'vega-embed.min.js': { pkg: 'vega-embed', file: 'vega-embed.min.js' },
};

/** What a click on a chart's mark filters the node list by: the datum's field, and the query parameter it sets. */
const CHART_CLICKS: Record<string, { clickField: string; clickParam: string }> = {
  networks: { clickField: 'network', clickParam: 'network' },
  rtt: { clickField: 'rtt_ms', clickParam: 'rtt_max' },
};

/** DuckDB's BIGINTs as JSON numbers (counts and sizes here stay far below 2^53). */
const bigintToNumber = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);

class NotFound extends Error { readonly status = 404; }

/** enr:…, enode://<pubkey>@…, or a node ID → the node ID. */
export function lookupNodeId(q: string): string {
  const s = q.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return s.toLowerCase();
  if (s.startsWith('enr:')) {
    try { return toHex(decodeEnrText(s).nodeId()); } catch (e) { throw new BadRequest(`not a valid ENR: ${(e as Error).message}`); }
  }
  const m = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(s);
  if (m) {
    const key = new Uint8Array(65);
    key[0] = 4; // uncompressed point prefix
    key.set(fromHex(m[1]!), 1);
    try { return toHex(nodeIdFromPublicKey(key)); } catch { throw new BadRequest('enode: the key is not a valid secp256k1 point'); }
  }
  throw new BadRequest('give an enr:… text, an enode://… URL or a 64-hex node ID');
}

export function createApp(q: WebQueries, meta: { lastWritten: string | null; scope: Scope | null; figures: Awaited<ReturnType<typeof overviewFigures>> }): Hono {
  const app = new Hono();
  const lw = meta.lastWritten;
  const isApi = (c: Context) => c.req.path.startsWith('/api/');
  const raw = (c: Context) => c.req.query() as Record<string, string | undefined>;

  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    c.header('Server-Timing', `app;dur=${(performance.now() - t0).toFixed(1)}`);
    c.header('X-Data-Last-Written', lw ?? 'never');
    c.header('Cache-Control', 'no-store');
  });

  app.onError((e, c) => {
    const status = e instanceof BadRequest ? 400 : e instanceof NotFound ? 404 : 500;
    // A failure of ours is one line, never a stack trace; the details go to the server's log.
    const message = status === 500 ? 'internal error (see the server log)' : e.message;
    if (status === 500) console.error(`serve: ${c.req.method} ${c.req.path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return isApi(c) ? c.json({ error: message, status }, status) : c.html(errorPage(status, message, lw), status);
  });
  app.notFound((c) => (isApi(c) ? c.json({ error: 'no such endpoint', status: 404 }, 404) : c.html(errorPage(404, `no page at ${c.req.path}`, lw), 404)));

  const assetRequire = createRequire(import.meta.url);
  const assets = new Map<string, string>();
  app.get('/assets/:file', (c) => {
    const a = ASSETS[c.req.param('file')];
    if (!a) throw new NotFound('no such asset');
    let body = assets.get(a.file);
    // The packages export only their module entry; the browser build sits beside it in build/.
    if (body === undefined) { body = readFileSync(join(dirname(assetRequire.resolve(a.pkg)), a.file), 'utf8'); assets.set(a.file, body); }
    return c.body(body, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });

  // Browsers ask for it on every site; there is none.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  // JSON API.
  app.get('/api/overview', async (c) => c.json({ lastWritten: lw, crawls: await q.crawls(), figures: meta.figures.map((f) => ({ id: f.id, title: f.title, n: f.n, spec: f.spec })) }));
  app.get('/api/crawls', async (c) => c.json({ lastWritten: lw, crawls: await q.crawls() }));
  app.get('/api/networks', async (c) => c.json(JSON.parse(JSON.stringify({ lastWritten: lw, networks: await q.networks(), unknownKeySets: await q.unknownKeySets(), refusedRecords: await q.refusedRecords() }, bigintToNumber))));
  app.get('/api/nodes', async (c) => {
    const nq = parseNodeQuery(raw(c));
    return c.json({ lastWritten: lw, page: nq.page, per: nq.per, ...(await q.nodes(nq)) });
  });
  app.get('/api/nodes/export', async (c) => {
    const f = parseFilter(raw(c)), format = parseExportFormat(raw(c));
    const rows = await q.exportRows(f);
    if (format === 'csv') return c.body(toCsv(NODE_COLUMNS, rows), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="nodes.csv"' });
    if (format === 'ndjson') return c.body(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 200, { 'Content-Type': 'application/x-ndjson', 'Content-Disposition': 'attachment; filename="nodes.ndjson"' });
    return c.body(rows.filter((r) => r.enr).map((r) => r.enr).join('\n') + '\n', 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': 'attachment; filename="nodes.enr.txt"' });
  });
  app.get('/api/nodes/:id', async (c) => {
    const n = await q.node(parseNodeId(c.req.param('id')));
    if (!n) throw new NotFound('no such node in this database');
    return c.json(JSON.parse(JSON.stringify({ lastWritten: lw, ...n }, bigintToNumber)));
  });
  app.get('/api/lookup', (c) => c.json({ nodeId: lookupNodeId(raw(c).q ?? '') }));
  app.get('/api/diff', async (c) => {
    const a = parseCrawlId(raw(c), 'a'), b = parseCrawlId(raw(c), 'b');
    if (a === undefined || b === undefined) throw new BadRequest('a and b: two crawl ids');
    return c.json({ lastWritten: lw, a, b, ...(await q.diff(a, b)) });
  });

  // Pages.
  app.get('/', async (c) => {
    const crawls = await q.crawls();
    const charts = meta.figures.filter((f) => f.spec).map((f) => ({ id: `chart-${f.id}`, spec: f.spec, ...CHART_CLICKS[f.id] }));
    const body = `<p class="muted">Click a network's bar to list its nodes, or a point of the RTT CDF to list the nodes at most that far.</p>${meta.figures.map((f) => `<section class="chart"><h2>${esc(f.title)}</h2><p class="muted">${esc(f.definition)} n = ${esc(f.n)}</p><div id="chart-${f.id}" data-chart="${f.id}"></div></section>`).join('')}
<h2>Crawls</h2><table><tr><th>crawl</th><th>started</th><th>ended</th><th>strategy</th><th>campaign</th><th>measured</th><th>visits</th></tr>${crawls.map((r) => `<tr><td>${r.id}</td><td>${esc(r.startedAt)}</td><td>${esc(r.endedAt ?? 'interrupted or running')}</td><td>${esc(r.strategy)}</td><td>${esc(r.campaignId ?? '')}</td><td class="num">${r.measured}</td><td class="num">${r.visits}</td></tr>`).join('')}</table>`;
    return c.html(layout(meta.scope ? `Overview: crawl ${meta.scope.latest.id}` : 'Overview', lw, body, chartScripts(charts)));
  });
  app.get('/networks', async (c) => c.html(networksPage(await q.networks(), await q.unknownKeySets(), await q.refusedRecords(), lw)));
  app.get('/nodes', async (c) => {
    const nq = parseNodeQuery(raw(c));
    const { total, rows } = await q.nodes(nq);
    const facets = { network: await q.facet('network', nq), client: await q.facet('client', nq), status: await q.facet('status', nq), class: await q.facet('class', nq), fork: await q.facet('fork', nq),
      ...(q.hasGeo ? { country: await q.facet('country', nq), asn: await q.facet('asn', nq) } : {}) };
    return c.html(nodeListPage(nq, total, rows, facets, lw));
  });
  app.get('/nodes/:id', async (c) => {
    const n = await q.node(parseNodeId(c.req.param('id')));
    if (!n) throw new NotFound(`no node ${c.req.param('id')} in this database`);
    return c.html(nodePage(n, lw));
  });
  app.get('/lookup', (c) => c.redirect(`/nodes/${lookupNodeId(raw(c).q ?? '')}`, 302));
  app.get('/diff', async (c) => {
    const crawls = await q.crawls();
    const a = parseCrawlId(raw(c), 'a') ?? crawls[1]?.id, b = parseCrawlId(raw(c), 'b') ?? crawls[0]?.id;
    const d = a !== undefined && b !== undefined ? await q.diff(a, b) : null;
    return c.html(diffPage(crawls, a, b, d, lw));
  });
  return app;
}

async function overviewFigures(db: StoreReader, scope: Scope | null) {
  if (!scope) return [];
  return [await networkFigure(db, scope), await rttFigure(db, scope), await statesFigure(db, scope)];
}

/** Opens the database read-only, builds the node index, and listens. */
export async function startServer(cfg: ServeConfig, log: (line: string) => void = () => {}): Promise<RunningServer> {
  const db = await StoreReader.open(cfg.dbPath, { memoryLimitMB: cfg.dbMemoryMB, onProgress: log, ...(cfg.geo ? { allowedPaths: [cfg.geo.countryCsv, cfg.geo.asnCsv] } : {}) });
  try {
    const q = new WebQueries(db);
    const t0 = performance.now();
    await q.buildIndex(cfg.geo);
    const latest = (await db.query<{ id: number; s: bigint }>(`SELECT id, epoch_ms(started_at) AS s FROM crawls ORDER BY id DESC LIMIT 1`))[0];
    const scope: Scope | null = latest ? { crawlIds: [Number(latest.id)], latest: { id: Number(latest.id), startedAtMs: Number(latest.s) } } : null;
    const figures = await overviewFigures(db, scope);
    const lastWritten = await q.lastWritten();
    log(`serve: indexed ${cfg.dbPath} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const app = createApp(q, { lastWritten, scope, figures });
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port }, () => resolve(s));
      s.once('error', reject);
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
    const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    return {
      url: `http://${host}:${port}`,
      close: () => new Promise<void>((resolve) => { server.close(() => { db.close(); resolve(); }); }),
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
