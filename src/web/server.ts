// `serve`: a read-only web UI and JSON API over a crawl database (hono on node:http).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { peerIdFromString } from '@libp2p/peer-id';
import { CRAWL_PROTOCOL_SQL, networkFigure, rttFigure, scopesByProtocol, statesFigure, type Scope } from '../app/report-figures.js';
import { libp2pAgentFigure, libp2pConnectFigure, libp2pProtocolFigure } from '../app/report-libp2p.js';
import type { Figure } from '../report/figure.js';
import { decodeEnrText, nodeIdFromPublicKey } from '../enr/index.js';
import { kadId } from '../libp2p/keys.js';
import { StoreReader, type DhtProtocol } from '../store/index.js';
import type { GeoFiles } from '../app/geo.js';
import { fromHex, toHex } from '../util/bytes.js';
import { toCsv } from '../report/csv.js';
import { chartScripts, diffPage, errorPage, esc, layout, networksPage, nodeListPage, nodePage } from './pages.js';
import { BadRequest, parseCrawlId, parseExportFormat, parseFilter, parseNodeId, parseNodeQuery } from './params.js';
import { NODE_COLUMNS, nodeCsvRow, WebQueries } from './queries.js';

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

/**
 * What a click on a chart's mark filters the node list by: the datum's field, the query parameter it sets, and the
 * protocol its figure is of (also set where the database holds both, as the RTT and the connect time share rtt_ms).
 */
const CHART_CLICKS: Record<string, { clickField: string; clickParam: string; protocol: DhtProtocol }> = {
  networks: { clickField: 'network', clickParam: 'network', protocol: 'discv5' },
  rtt: { clickField: 'rtt_ms', clickParam: 'rtt_max', protocol: 'discv5' },
  'libp2p-agents': { clickField: 'family', clickParam: 'agent', protocol: 'libp2p' },
  'libp2p-protocols': { clickField: 'protocol', clickParam: 'supports', protocol: 'libp2p' },
  'libp2p-connect': { clickField: 'connect_ms', clickParam: 'rtt_max', protocol: 'libp2p' },
};

/** DuckDB's BIGINTs as JSON numbers (counts and sizes here stay far below 2^53). */
const bigintToNumber = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);

class NotFound extends Error { readonly status = 404; }

/** A libp2p peer ID's Kademlia ID (the node ID its rows are stored under); null if `s` is no peer ID. */
function peerNodeId(s: string): string | null {
  try { return toHex(kadId(peerIdFromString(s).toMultihash().bytes)); } catch { return null; }
}

/** enr:…, enode://<pubkey>@…, a libp2p peer ID (12D3KooW…, Qm…), or a node ID → the node ID. */
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
  const peer = peerNodeId(s);
  if (peer) return peer;
  throw new BadRequest('give an enr:… text, an enode://… URL, a libp2p peer ID or a 64-hex node ID');
}

export function createApp(q: WebQueries, meta: { lastWritten: string | null; scopes: Record<DhtProtocol, Scope | null>; figures: Figure[] }): Hono {
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
  app.get('/api/networks', async (c) => c.json(JSON.parse(JSON.stringify({
    lastWritten: lw, networks: await q.networks(), unknownKeySets: await q.unknownKeySets(), refusedRecords: await q.refusedRecords(),
    libp2pAgents: await q.libp2pAgents(), libp2pProtocols: await q.libp2pProtocols(),
  }, bigintToNumber))));
  app.get('/api/nodes', async (c) => {
    const nq = parseNodeQuery(raw(c));
    return c.json({ lastWritten: lw, page: nq.page, per: nq.per, ...(await q.nodes(nq)) });
  });
  app.get('/api/nodes/export', async (c) => {
    const f = parseFilter(raw(c)), format = parseExportFormat(raw(c));
    const rows = await q.exportRows(f);
    if (format === 'csv') return c.body(toCsv(NODE_COLUMNS, rows.map(nodeCsvRow)), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="nodes.csv"' });
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
    const both = meta.scopes.discv5 !== null && meta.scopes.libp2p !== null;
    const charts = meta.figures.filter((f) => f.spec).map((f) => {
      const click = CHART_CLICKS[f.id];
      return { id: `chart-${f.id}`, spec: f.spec, ...(click ? { clickField: click.clickField, clickParam: click.clickParam, ...(both ? { extra: `protocol=${click.protocol}` } : {}) } : {}) };
    });
    const hint = [meta.scopes.discv5 ? 'a network\'s bar to list its nodes, or a point of the RTT CDF to list the nodes at most that far' : null,
      meta.scopes.libp2p ? 'an agent family\'s or a protocol\'s bar to list those libp2p peers, or a point of the connect-time CDF for the peers at most that far' : null].filter((h) => h !== null);
    const body = `${hint.length ? `<p class="muted">Click ${esc(hint.join('; '))}.</p>` : ''}${meta.figures.map((f) => `<section class="chart"><h2>${esc(f.title)}</h2><p class="muted">${esc(f.definition)} n = ${esc(f.n)}</p><div id="chart-${f.id}" data-chart="${f.id}"></div></section>`).join('')}
<h2>Crawls</h2><table id="crawls"><tr><th>crawl</th><th>protocol</th><th>started</th><th>ended</th><th>strategy</th><th>campaign</th><th>measured</th><th>visits</th></tr>${crawls.map((r) => `<tr><td>${r.id}</td><td>${esc(r.protocol)}</td><td>${esc(r.startedAt)}</td><td>${esc(r.endedAt ?? 'interrupted or running')}</td><td>${esc(r.strategy)}</td><td>${esc(r.campaignId ?? '')}</td><td class="num">${r.measured}</td><td class="num">${r.visits}</td></tr>`).join('')}</table>`;
    const shown = [meta.scopes.discv5, meta.scopes.libp2p].filter((s) => s !== null).map((s) => s.latest.id).sort((a, b) => a - b);
    return c.html(layout(shown.length === 0 ? 'Overview' : `Overview: crawl${shown.length > 1 ? 's' : ''} ${shown.join(' and ')}`, lw, body, chartScripts(charts)));
  });
  app.get('/networks', async (c) => c.html(networksPage(await q.networks(), await q.unknownKeySets(), await q.refusedRecords(),
    q.hasLibp2p ? { agents: await q.libp2pAgents(), protocols: await q.libp2pProtocols() } : null, lw)));
  app.get('/nodes', async (c) => {
    const nq = parseNodeQuery(raw(c));
    const { total, rows } = await q.nodes(nq);
    const protocols = q.hasLibp2p ? await q.facet('protocol', nq) : [];
    // libp2p columns and facets when every node the filter matches is a libp2p peer (a record's facets say nothing of them).
    const libp2pView = nq.protocol === 'libp2p' || (protocols.length > 0 && protocols.every((p) => p.value === 'libp2p'));
    const facets = {
      ...(q.hasLibp2p ? { protocol: protocols } : {}),
      ...(libp2pView ? {} : { network: await q.facet('network', nq), client: await q.facet('client', nq) }),
      status: await q.facet('status', nq), class: await q.facet('class', nq),
      ...(libp2pView ? {} : { fork: await q.facet('fork', nq) }),
      ...(q.hasGeo && !libp2pView ? { country: await q.facet('country', nq), asn: await q.facet('asn', nq) } : {}),
      ...(q.hasLibp2p ? { agent: await q.facet('agent', nq), supports: await q.facet('supports', nq) } : {}),
    };
    return c.html(nodeListPage(nq, total, rows, facets, libp2pView ? 'libp2p' : 'discv5', lw));
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

/** The overview's figures: of the latest discv5 crawl, and of the latest libp2p crawl. */
async function overviewFigures(db: StoreReader, scopes: Record<DhtProtocol, Scope | null>): Promise<Figure[]> {
  const out: Figure[] = [];
  if (scopes.discv5) for (const b of [networkFigure, rttFigure, statesFigure]) out.push(await b(db, scopes.discv5));
  if (scopes.libp2p) for (const b of [libp2pAgentFigure, libp2pProtocolFigure, libp2pConnectFigure]) out.push(await b(db, scopes.libp2p));
  return out;
}

/** Opens the database read-only, builds the node index, and listens. */
export async function startServer(cfg: ServeConfig, log: (line: string) => void = () => {}): Promise<RunningServer> {
  const db = await StoreReader.open(cfg.dbPath, { memoryLimitMB: cfg.dbMemoryMB, onProgress: log, ...(cfg.geo ? { allowedPaths: [cfg.geo.countryCsv, cfg.geo.asnCsv] } : {}) });
  try {
    const q = new WebQueries(db);
    const t0 = performance.now();
    await q.buildIndex(cfg.geo);
    const latest = await db.query<{ id: number; s: bigint; protocol: string }>(
      `SELECT id, epoch_ms(started_at) AS s, ${CRAWL_PROTOCOL_SQL} AS protocol FROM crawls QUALIFY row_number() OVER (PARTITION BY ${CRAWL_PROTOCOL_SQL} ORDER BY id DESC) = 1`);
    const scopes = scopesByProtocol(latest.map((r) => ({ id: Number(r.id), startedAtMs: Number(r.s), protocol: r.protocol })));
    const figures = await overviewFigures(db, scopes);
    const lastWritten = await q.lastWritten();
    log(`serve: indexed ${cfg.dbPath} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const app = createApp(q, { lastWritten, scopes, figures });
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
