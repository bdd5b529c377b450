// Server-rendered pages: plain HTML, one stylesheet, and a little script only where a chart is drawn.
import { filterQueryString, type NodeFilter, type NodeQuery, type SortColumn } from './params.js';
import type { NodeRow } from './queries.js';

export const esc = (v: unknown): string => String(v ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const int = (n: number) => n.toLocaleString('en-US');

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222}header{background:#1d2b3a;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .fresh{margin-left:auto;font-size:.85em;color:#cfd8e3}header form{display:flex;gap:.3em}
main{padding:1em 1.2em;max-width:1300px}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .6em;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.9em;word-break:break-all}.facets{display:flex;gap:1.5em;flex-wrap:wrap}
.facets ul{list-style:none;padding:0;margin:.2em 0}.chart{margin:1em 0}.err{color:#a33}.muted{color:#666}`;

export function layout(title: string, lastWritten: string | null, body: string, scripts = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · dhtscope</title><style>${STYLE}</style></head><body>
<header><strong>dhtscope</strong><a href="/">Overview</a><a href="/networks">Networks</a><a href="/nodes">Nodes</a><a href="/diff">Crawl diff</a>
<form action="/lookup" method="get"><input name="q" size="32" placeholder="ENR, enode or node ID" aria-label="look up a node"><button>Look up my node</button></form>
<span class="fresh" id="fresh">data last written: ${esc(lastWritten ?? 'never')}</span></header>
<main><h1>${esc(title)}</h1>${body}</main>${scripts}</body></html>`;
}

/** Charts drawn in the browser by vega-embed (served from the package: no CDN), clicks lead to a filtered node list. */
export function chartScripts(charts: Array<{ id: string; spec: unknown; clickField?: string; clickParam?: string; extra?: string }>): string {
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<script src="/assets/vega.min.js"></script><script src="/assets/vega-lite.min.js"></script><script src="/assets/vega-embed.min.js"></script>
<script>for (const c of ${data}) vegaEmbed('#' + c.id, c.spec, { actions: false, renderer: 'svg' }).then((r) => {
  if (!c.clickField) return;
  r.view.addEventListener('click', (_e, item) => { const v = item && item.datum && item.datum[c.clickField]; if (v != null) location.href = '/nodes?' + c.clickParam + '=' + encodeURIComponent(v) + (c.extra ? '&' + c.extra : ''); });
}).catch((e) => { document.getElementById(c.id).textContent = 'chart failed: ' + e.message; });</script>`;
}

export function errorPage(status: number, message: string, lastWritten: string | null): string {
  return layout(status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error', lastWritten, `<p class="err">${esc(message)}</p>`);
}

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export const nodeLink = (id: string) => `<a href="/nodes/${esc(id)}"><code>${esc(id.slice(0, 16))}…</code></a>`;

/** A node list column: its header, the sort key it links to (if sortable), and its cell. */
interface ListColumn { head: string; sort?: SortColumn; numeric?: boolean; cell: (r: NodeRow) => string }

const lines = (v: string[] | null) => (v ?? []).map((x) => `<code>${esc(x)}</code>`).join('<br>');
const rttCell = (r: NodeRow) => (r.rtt_ms === null ? '' : (r.rtt_ms as number).toFixed(1));

/** The discv5 view: a node's record. A libp2p peer among them shows its network, `libp2p`, and its status. */
const DISCV5_LIST: readonly ListColumn[] = [
  { head: 'node_id', sort: 'node_id', cell: (r) => nodeLink(String(r.node_id)) }, { head: 'network', sort: 'network', cell: (r) => esc(r.network) },
  { head: 'fork', sort: 'fork', cell: (r) => esc(r.fork ?? '') }, { head: 'client', sort: 'client', cell: (r) => esc(r.client ?? '') },
  { head: 'ip', sort: 'ip', cell: (r) => esc(r.ip ? `${r.ip}:${r.udp ?? ''}` : '') }, { head: 'status', sort: 'status', cell: (r) => esc(r.status) },
  { head: 'rtt_ms', sort: 'rtt_ms', numeric: true, cell: rttCell }, { head: 'last_seen', sort: 'last_seen', cell: (r) => esc(r.last_seen ?? '') },
];
/** The libp2p view: a peer's ID and identify's answers; rtt_ms is its connect time. */
const LIBP2P_LIST: readonly ListColumn[] = [
  { head: 'node_id', sort: 'node_id', cell: (r) => nodeLink(String(r.node_id)) }, { head: 'peer_id', sort: 'peer_id', cell: (r) => `<code>${esc(r.peer_id ?? '')}</code>` },
  { head: 'agent', sort: 'agent', cell: (r) => esc(r.agent_full ?? '') }, { head: 'protocols', cell: (r) => lines(r.protocols) },
  { head: 'listen_addrs', cell: (r) => lines(r.listen_addrs) }, { head: 'status', sort: 'status', cell: (r) => esc(r.status) },
  { head: 'connect_ms', sort: 'rtt_ms', numeric: true, cell: rttCell }, { head: 'last_seen', sort: 'last_seen', cell: (r) => esc(r.last_seen ?? '') },
];

export function nodeListPage(q: NodeQuery, total: number, rows: NodeRow[], facets: Record<string, Array<{ value: string | null; n: number }>>, view: 'discv5' | 'libp2p',
  lastWritten: string | null): string {
  const pages = Math.max(1, Math.ceil(total / q.per));
  const keep = (extra: Record<string, string | number | undefined>) => filterQueryString(q, { sort: q.sort, order: q.desc ? 'desc' : 'asc', per: q.per, ...extra });
  const facetHtml = Object.entries(facets).map(([k, vs]) => `<div><strong>${esc(k)}</strong><ul>${vs.map((v) => {
    const val = v.value ?? '-';
    const f: NodeFilter = { ...q, [k]: val };
    return `<li><a href="/nodes${filterQueryString(f)}" data-facet="${esc(k)}" data-value="${esc(val)}">${esc(v.value ?? '(none)')}</a> <span class="muted">${int(v.n)}</span></li>`;
  }).join('')}</ul></div>`).join('');
  const sortLink = (c: ListColumn) => (c.sort ? `<a href="/nodes${keep({ sort: c.sort, order: q.sort === c.sort && !q.desc ? 'desc' : 'asc', page: 1 })}">${esc(c.head)}</a>` : esc(c.head));
  const cols = view === 'libp2p' ? LIBP2P_LIST : DISCV5_LIST;
  const hidden = { network: q.network, fork: q.fork, client: q.client, status: q.status, class: q.class, country: q.country, asn: q.asn,
    protocol: q.protocol, agent: q.agent, agent_version: q.agentVersion, supports: q.supports };
  const body = `<form method="get" action="/nodes">${Object.entries(hidden).filter(([, v]) => v !== undefined).map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')}
<input name="q" value="${esc(q.q ?? '')}" placeholder="node ID prefix, IP, ENR or peer ID" size="40"> RTT <input name="rtt_min" value="${esc(q.rttMinMs ?? '')}" size="5">–<input name="rtt_max" value="${esc(q.rttMaxMs ?? '')}" size="5"> ms,
seen since <input name="seen_since" value="${esc(q.seenSinceMs === undefined ? '' : new Date(q.seenSinceMs).toISOString())}" placeholder="2026-12-01T00:00Z" size="22"> <button>Filter</button> <a href="/nodes">clear</a></form>
<p><span id="total">${int(total)}</span> nodes${total > 0 ? `, page ${q.page} of ${int(pages)}` : ''}. Export this filter:
<a id="export-csv" href="/api/nodes/export${filterQueryString(q, { format: 'csv' })}">CSV</a> · <a href="/api/nodes/export${filterQueryString(q, { format: 'ndjson' })}">NDJSON</a> · <a href="/api/nodes/export${filterQueryString(q, { format: 'enr' })}">ENR list</a></p>
<div class="facets">${facetHtml}</div>
<table id="nodes"><thead><tr>${cols.map((c) => `<th>${sortLink(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${cols.map((c) => `<td${c.numeric ? ' class="num"' : ''}>${c.cell(r)}</td>`).join('')}</tr>`).join('')}</tbody></table>
<p>${q.page > 1 ? `<a href="/nodes${keep({ page: q.page - 1 })}">← previous</a>` : ''} ${q.page < pages ? `<a id="next" href="/nodes${keep({ page: q.page + 1 })}">next →</a>` : ''}</p>`;
  return layout('Nodes', lastWritten, body);
}

export function networksPage(rows: Array<{ network: string; fork: string | null; nodes: number; measured: number }>, keySets: Array<{ keys: string; nodes: number }>,
  refused: { byReason: Array<{ reason: string; n: number }>; latest: Array<Record<string, unknown>> },
  libp2p: { agents: Array<{ agent: string | null; nodes: number; measured: number }>; protocols: Array<{ protocol: string; nodes: number }> } | null, lastWritten: string | null): string {
  const group = (n: string) => (n.startsWith('eth2:') ? 'eth2 (unknown digest)' : n.startsWith('opstack:') ? 'OP Stack chains' : n === 'execution' ? 'execution (eth)' : n === 'portal' ? 'Portal (c)'
    : n === 'libp2p' ? 'libp2p Kademlia DHT' : n === 'other' || n === 'no record' ? 'other' : 'eth2 networks');
  const groups = new Map<string, typeof rows>();
  for (const r of rows) { const g = group(r.network); groups.set(g, [...(groups.get(g) ?? []), r]); }
  const order = ['eth2 networks', 'eth2 (unknown digest)', 'execution (eth)', 'Portal (c)', 'OP Stack chains', 'libp2p Kademlia DHT', 'other'];
  // libp2p peers carry no record: they are listed by the agent family identify gave, and by the protocols they list.
  const libp2pHtml = libp2p === null ? '' : `<h2>libp2p agents</h2><p class="muted">libp2p peers by agent family (the first part of identify's agent version; none: identify never answered, or the peer was only listed).</p>` +
    table(['agent', 'peers', 'measured'], libp2p.agents.map((a) => [`<a href="/nodes${filterQueryString({ protocol: 'libp2p', agent: a.agent ?? '-' })}" data-agent="${esc(a.agent ?? '-')}">${esc(a.agent ?? '(none)')}</a>`,
      int(a.nodes), int(a.measured)]), new Set([1, 2])).replace('<table>', '<table id="libp2p-agents">') +
    `<h2>libp2p protocols</h2><p class="muted">Protocols the libp2p peers list in identify, by the peers that list each.</p>` +
    table(['protocol', 'peers'], libp2p.protocols.map((p) => [`<a href="/nodes${filterQueryString({ supports: p.protocol })}"><code>${esc(p.protocol)}</code></a>`, int(p.nodes)]), new Set([1]))
      .replace('<table>', '<table id="libp2p-protocols">');
  const body = order.filter((g) => groups.has(g)).map((g) => `<h2>${esc(g)}</h2>${table(['network', 'fork', 'nodes', 'measured'], groups.get(g)!.map((r) => [
    `<a href="/nodes${filterQueryString({ network: r.network })}">${esc(r.network)}</a>`,
    r.fork ? `<a href="/nodes${filterQueryString({ network: r.network, fork: r.fork })}">${esc(r.fork)}</a>` : '',
    int(r.nodes), int(r.measured)]), new Set([2, 3]))}`).join('') + libp2pHtml +
    `<h2>Unknown key sets</h2><p class="muted">Records of no known network ("other"), by the keys they carry.</p>${table(['keys', 'nodes'], keySets.map((k) => [`<code>${esc(k.keys)}</code>`, int(k.nodes)]), new Set([1]))}` +
    `<h2>Refused records</h2><p class="muted">Records that did not decode (decode), verify (signature) or name a valid key (key), by reason, and the latest 50 with the node that sent them.</p>` +
    table(['reason', 'records'], refused.byReason.map((r) => [esc(r.reason), int(r.n)]), new Set([1])) + rowsTable(refused.latest, 'from_node');
  return layout('Networks', lastWritten, body);
}

function rowsTable(rows: Array<Record<string, unknown>>, linkCol?: string): string {
  if (rows.length === 0) return '<p class="muted">none</p>';
  const cols = Object.keys(rows[0]!);
  const cell = (c: string, v: unknown) => (c === linkCol && typeof v === 'string' ? nodeLink(v) : Array.isArray(v) ? lines(v.map(String))
    : esc(v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v));
  return table(cols, rows.map((r) => cols.map((c) => cell(c, r[c]))));
}

export function nodePage(n: NonNullable<Awaited<ReturnType<import('./queries.js').WebQueries['node']>>>, lastWritten: string | null): string {
  const x = n.node;
  const ms = (label: string): [string, string] => [label, x.rtt_ms === null ? '' : `${(x.rtt_ms as number).toFixed(1)} ms`];
  const common: Array<[string, string]> = [['status (latest visit)', esc(x.status)]];
  const seen: Array<[string, string]> = [['first seen', esc(x.first_seen ?? '')], ['last seen', esc(x.last_seen ?? '')]];
  if (x.protocol === 'libp2p') {
    const facts: Array<[string, string]> = [['node ID (Kademlia ID)', `<code>${esc(x.node_id)}</code>`], ['protocol', 'libp2p'], ['peer ID', `<code id="peer-id">${esc(x.peer_id ?? '(never visited)')}</code>`],
      ['agent', `<span id="agent">${esc(x.agent_full ?? '')}</span>`], ['protocols', lines(x.protocols)], ['listen addresses', lines(x.listen_addrs)], ...common, ms('connect time (latest visit)'), ...seen];
    const body = `<table id="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>
<h2>Identify answers</h2><p class="muted">What the peer told each crawl that visited it, the addresses dialed, and whether it advertises only relay or private addresses (nat).</p>${rowsTable(n.peers)}
<h2>Visits</h2>${rowsTable(n.visits)}<h2>Uptime sessions</h2>${rowsTable(n.sessions)}
<h2>Returned by</h2><p class="muted">Peers whose FIND_NODE replies listed this peer.</p>${rowsTable(n.returnedBy, 'node_id')}
<h2>Returned</h2><p class="muted">Peers this peer listed in its FIND_NODE replies.</p>${rowsTable(n.returned, 'node_id')}`;
    return layout(`Peer ${String(x.peer_id ?? x.node_id).slice(0, 20)}…`, lastWritten, body);
  }
  const facts: Array<[string, string]> = [['node ID', `<code>${esc(x.node_id)}</code>`], ['network', esc(x.network)], ['fork', esc(x.fork ?? '')], ['client', esc(x.client_full ?? '')],
    ['endpoint', esc(x.ip ? `${x.ip}:${x.udp}` : '')], ...common, ms('RTT (latest visit)'), ...seen, ['record', `<code id="enr">${esc(x.enr ?? '')}</code>`]];
  const body = `<table>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>
<h2>Record versions</h2>${rowsTable(n.records)}<h2>Visits</h2>${rowsTable(n.visits)}<h2>Uptime sessions</h2>${rowsTable(n.sessions)}
<h2>Returned by</h2><p class="muted">Nodes whose NODES replies listed this node.</p>${rowsTable(n.returnedBy, 'node_id')}
<h2>Returned</h2><p class="muted">Nodes this node listed in its replies.</p>${rowsTable(n.returned, 'node_id')}
<h2>Refused records</h2><p class="muted">Records naming this node, or sent by it, that did not decode or verify (the first 10,000 per crawl are kept).</p>${rowsTable(n.refused, 'from_node')}`;
  return layout(`Node ${String(x.node_id).slice(0, 16)}…`, lastWritten, body);
}

export function diffPage(crawls: Array<{ id: number; startedAt: string }>, a: number | undefined, b: number | undefined,
  d: Awaited<ReturnType<import('./queries.js').WebQueries['diff']>> | null, lastWritten: string | null): string {
  const opt = (sel: number | undefined) => crawls.map((c) => `<option value="${c.id}"${c.id === sel ? ' selected' : ''}>crawl ${c.id} (${esc(c.startedAt)})</option>`).join('');
  let body = `<form method="get" action="/diff">from <select name="a">${opt(a)}</select> to <select name="b">${opt(b)}</select> <button>Compare</button></form>`;
  if (d && a !== undefined && b !== undefined) {
    body += `<h2>Per network</h2><p class="muted">Measured in crawl ${b} and not ${a} (appeared), in ${a} and not ${b} (left).</p>` +
      table(['network', 'appeared', 'left', 'in both'], d.perNetwork.map((r) => [esc(r.network), int(r.appeared), int(r.left), int(r.both)]), new Set([1, 2, 3])).replace('<table>', '<table id="diff">') +
      `<h2>Appeared (first 100)</h2>${rowsTable(d.appeared, 'node_id')}<h2>Left (first 100)</h2>${rowsTable(d.left, 'node_id')}`;
  }
  return layout('Crawl diff', lastWritten, body);
}
