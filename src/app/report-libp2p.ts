// The report's libp2p figures, over the libp2p crawls in scope: peer states over time, agent versions (in place
// of discv5's networks and clients), protocols supported, dial errors, connect time, and NAT'd or unreachable
// peers. A peer visited in several crawls counts once, with the latest agent and protocols it reported and the
// state of its latest visit.
import { barChart, histogram, lineChart, sideBySide, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import { colorScale } from '../report/theme.js';
import type { Queryable } from '../store/index.js';
import { agentFamilySql, agentLabelSql, agentVersionSql } from './agents.js';
import { cdfRows, distribution, inList, MAX_BARS, MAX_NETWORK_SERIES, num, pct, statesFigure, topNetworks, visitFailures, type Scope } from './report-figures.js';

/** Agent families in a fixed order, so each keeps its colour in every figure: the Amino DHT's common servers. */
export const AGENT_FAMILY_ORDER: readonly string[] = ['all', 'kubo', 'go-ipfs', 'js-libp2p', 'helia', 'rust-libp2p', 'hydra-booster', 'unknown'];
/** A peer's address classes (peers.nat and nat_evidence), in the order drawn. */
export const NAT_CLASSES = ['dialable address', 'relay-only', 'private-only', 'no address known'] as const;
/** A visited peer's latest outcome, in the order drawn. */
export const PEER_OUTCOMES = ['measured', 'connected, no answer', 'unreachable (dial failed)'] as const;
const DIAL_KINDS = ['dial failed', 'connected, no answer'] as const;

const rank = (order: readonly string[], v: string) => order.indexOf(v);

/** Each peer's latest agent in scope: the latest identify answer (a later visit that got none keeps the earlier one). */
function latestAgentsSql(ids: string): string {
  return `SELECT node_id, arg_max(agent_version, crawl_id) AS agent FROM peers WHERE crawl_id IN (${ids}) AND agent_version IS NOT NULL GROUP BY node_id`;
}

/** The largest `max` of a counted list, the rest folded into one `other` entry. */
function topAndOther<T extends { n: number }>(list: T[], max: number, other: (rest: T[]) => T): T[] {
  if (list.length <= max) return list;
  const rest = list.slice(max - 1);
  return [...list.slice(0, max - 1), other(rest)];
}

/** Distinct peers visited and measured in the crawls. */
async function peerCounts(store: Queryable, ids: string): Promise<{ visited: number; measured: number }> {
  const [r] = await store.query<{ visited: bigint; measured: bigint }>(
    `SELECT count(DISTINCT node_id) AS visited, count(DISTINCT node_id) FILTER (WHERE status = 'measured') AS measured FROM visits WHERE crawl_id IN (${ids})`);
  return { visited: num(r?.visited), measured: num(r?.measured) };
}

export async function libp2pAgentFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const ids = inList(scope.crawlIds);
  const rows = await store.query<{ agent: string; family: string; version: string | null; label: string; n: bigint }>(
    `SELECT agent, ${agentFamilySql('agent')} AS family, ${agentVersionSql('agent')} AS version, ${agentLabelSql('agent')} AS label, count(*) AS n
     FROM (${latestAgentsSql(ids)}) GROUP BY ALL ORDER BY n DESC, agent`);
  const { visited, measured } = await peerCounts(store, ids);
  const total = rows.reduce((s, r) => s + num(r.n), 0);
  const sum = (key: 'family' | 'label') => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(r[key], (m.get(r[key]) ?? 0) + num(r.n));
    return [...m].map(([name, n]) => ({ name, n })).sort((a, b) => b.n - a.n || (a.name < b.name ? -1 : 1));
  };
  const families = sum('family'), labels = sum('label');
  const other = (what: string) => (rest: Array<{ name: string; n: number }>) => ({ name: `other (${rest.length} ${what})`, n: rest.reduce((s, e) => s + e.n, 0) });
  // `field` names the bar's category in the data: serve's overview lists a family's peers on a click of its bar.
  const chart = (list: Array<{ name: string; n: number }>, field: string, title: string) => barChart({
    data: list.map((e): Row => ({ [field]: e.name, share: e.n / total, text: `${fmtInt(e.n)} (${pct(e.n / total)})` })),
    category: { field, title, order: list.map((e) => e.name) },
    value: { field: 'share', title: 'share of peers that gave an agent', format: '%' }, label: 'text', width: 240, title,
  });
  return {
    id: 'libp2p-agents', title: 'libp2p agent versions',
    definition: 'Share of each agent family (the first part of identify\'s agent version: kubo, go-ipfs, js-libp2p, rust-libp2p, …) and of each family/version, ' +
      `among the libp2p peers whose identify answered (latest answer per peer); the ${MAX_BARS - 1} largest drawn, the rest as "other".`,
    n: `${fmtInt(total)} peers gave an agent, of ${fmtInt(measured)} measured and ${fmtInt(visited)} visited; ${families.length} families, ${labels.length} family/versions, ${rows.length} distinct agent strings`,
    spec: total === 0 ? null : sideBySide([
      chart(topAndOther(families, MAX_BARS, other('families')), 'family', 'agent family'),
      chart(topAndOther(labels, MAX_BARS, other('versions')), 'version', 'family/version'),
    ]),
    missing: `no libp2p peer in scope answered identify (of ${fmtInt(visited)} visited)`,
    tables: [
      { name: 'libp2p-agent-families', columns: ['family', 'peers', 'share'], rows: families.map((e) => ({ family: e.name, peers: e.n, share: e.n / total })) },
      { name: 'libp2p-agents', columns: ['agent_version', 'family', 'version', 'peers', 'share'],
        rows: rows.map((r) => ({ agent_version: r.agent, family: r.family, version: r.version, peers: num(r.n), share: num(r.n) / total })) },
    ],
  };
}

export async function libp2pProtocolFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const ids = inList(scope.crawlIds);
  const p = `SELECT node_id, arg_max(protocols, crawl_id) AS protocols FROM peers WHERE crawl_id IN (${ids}) AND protocols IS NOT NULL GROUP BY node_id`;
  const [t] = await store.query<{ n: bigint }>(`SELECT count(*) AS n FROM (${p})`);
  const rows = await store.query<{ protocol: string; n: bigint }>(
    `SELECT protocol, count(DISTINCT node_id) AS n FROM (SELECT node_id, unnest(protocols::VARCHAR[]) AS protocol FROM (${p})) GROUP BY ALL ORDER BY n DESC, protocol`);
  const total = num(t?.n);
  const list = rows.map((r) => ({ protocol: r.protocol, peers: num(r.n), share: total ? num(r.n) / total : 0 }));
  return {
    id: 'libp2p-protocols', title: 'libp2p protocols supported',
    definition: 'Share of the libp2p peers whose identify answered that list each protocol (latest answer per peer); a peer lists several, so the shares do not add up to 100%.',
    n: `${fmtInt(total)} peers listed their protocols; ${list.length} protocols${list.length > MAX_BARS ? ` (the ${MAX_BARS} most listed drawn)` : ''}`,
    spec: total === 0 ? null : barChart({
      data: list.slice(0, MAX_BARS).map((e) => ({ ...e, text: `${fmtInt(e.peers)} (${pct(e.share)})` })),
      category: { field: 'protocol', title: 'protocol' }, value: { field: 'share', title: 'share of peers listing it', format: '%' }, label: 'text',
    }),
    missing: 'no libp2p peer in scope listed its protocols (identify never answered)',
    tables: [{ name: 'libp2p-protocols', columns: ['protocol', 'peers', 'share'], rows: list }],
  };
}

export async function libp2pDialErrorFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const { nFailed, nAll, list } = await visitFailures(store, scope.crawlIds);
  // A libp2p visit that connected has a connect time: its failure is no-answer, not a dial error.
  const rows = list.map((e) => ({ reason: e.reason, kind: e.dialed > 0 ? DIAL_KINDS[1] : DIAL_KINDS[0], visits: e.visits, share: nFailed ? e.visits / nFailed : 0 }));
  const dialFailed = rows.filter((r) => r.kind === DIAL_KINDS[0]).reduce((s, r) => s + r.visits, 0);
  return {
    id: 'libp2p-dial-errors', title: 'Why libp2p visits failed',
    definition: 'Failed libp2p visits by visits.error: the dial error class when no connection was made (TCP, Noise and Yamux), no-answer when it connected but identify and every FIND_NODE failed; as a share of all failed visits.',
    n: `${fmtInt(nFailed)} failed of ${fmtInt(nAll)} visits (${nAll ? pct(nFailed / nAll) : '-'}): ${fmtInt(dialFailed)} dials failed, ${fmtInt(nFailed - dialFailed)} connected without an answer`,
    spec: nFailed === 0 ? null : barChart({
      data: rows.map((r) => ({ ...r, text: `${fmtInt(r.visits)} (${pct(r.share)})` })),
      category: { field: 'reason', title: 'error' }, value: { field: 'share', title: 'share of failed visits', format: '%' }, label: 'text',
    }),
    missing: `no failed libp2p visits among ${fmtInt(nAll)}`,
    tables: [{ name: 'libp2p-dial-errors', columns: ['reason', 'kind', 'visits', 'share'], rows }],
  };
}

export async function libp2pConnectFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const ids = inList(scope.crawlIds);
  // `network` is the peer's agent family here: distribution() splits by that column.
  const values = `SELECT v.rtt1_ms AS value, coalesce(${agentFamilySql('a.agent')}, 'unknown') AS network FROM visits v LEFT JOIN (${latestAgentsSql(ids)}) a USING (node_id)
    WHERE v.crawl_id IN (${ids}) AND v.rtt1_ms IS NOT NULL`;
  // 0.01 ms: below any real connect; keeps log10 finite for a zero reading.
  const d = await distribution(store, values, 0.01);
  const total = num(d.cdf.find((r) => r.network === 'all')?.n);
  const shown = topNetworks(d.counts, MAX_NETWORK_SERIES);
  const colors = colorScale(shown, AGENT_FAMILY_ORDER);
  const cdf = (names: string[]) => cdfRows(d.cdf, names, 'connect_ms').map((r) => ({ agent: r.network, share: r.share, connect_ms: r.connect_ms }));
  return {
    id: 'libp2p-connect', title: 'libp2p connect time',
    definition: 'Time to connect to each libp2p peer visited (TCP, Noise and Yamux; visits.rtt1_ms), ms, log scale: left the CDF overall and per agent family, right a histogram with 10 bins per decade.',
    n: `${fmtInt(total)} visits that connected, ${fmtInt(d.counts.size)} agent families (the ${shown.length - 1} largest drawn)`,
    spec: total === 0 ? null : sideBySide([
      lineChart({ data: cdfRows(d.cdf, shown, 'connect_ms'), x: { field: 'connect_ms', title: 'connect time (ms)', scale: 'log' }, y: { field: 'share', title: 'share of visits ≤ x', format: '%' }, series: { field: 'network', title: 'agent', colors }, width: 380, title: 'CDF' }),
      histogram({ data: d.bins, lo: 'lo', hi: 'hi', count: 'count', xTitle: 'connect time (ms)', yTitle: 'visits', xLog: true, width: 340, title: 'histogram' }),
    ]),
    missing: 'no libp2p visit in scope connected',
    tables: [
      { name: 'libp2p-connect-cdf', columns: ['agent', 'share', 'connect_ms'], rows: cdf(['all', ...d.counts.keys()]) as never },
      { name: 'libp2p-connect-histogram', columns: ['lo', 'hi', 'count'], rows: d.bins },
    ],
  };
}

export async function libp2pNatFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const ids = inList(scope.crawlIds);
  const rows = await store.query<{ outcome: string; address: string; n: bigint }>(
    `WITH l AS (SELECT crawl_id, node_id, nat, nat_evidence FROM peers WHERE crawl_id IN (${ids})
        QUALIFY row_number() OVER (PARTITION BY node_id ORDER BY crawl_id DESC) = 1),
      v AS (SELECT crawl_id, node_id, bool_or(status = 'measured') AS measured, bool_or(rtt1_ms IS NOT NULL) AS connected FROM visits WHERE crawl_id IN (${ids}) GROUP BY ALL)
     SELECT CASE WHEN v.measured THEN '${PEER_OUTCOMES[0]}' WHEN v.connected THEN '${PEER_OUTCOMES[1]}' ELSE '${PEER_OUTCOMES[2]}' END AS outcome,
       CASE WHEN l.nat THEN coalesce(l.nat_evidence, '${NAT_CLASSES[3]}') WHEN NOT l.nat THEN '${NAT_CLASSES[0]}' ELSE '${NAT_CLASSES[3]}' END AS address, count(*) AS n
     FROM l LEFT JOIN v USING (crawl_id, node_id) GROUP BY ALL`);
  const list = rows.map((r) => ({ outcome: r.outcome, address: r.address, peers: num(r.n) }))
    .sort((a, b) => rank(PEER_OUTCOMES, a.outcome) - rank(PEER_OUTCOMES, b.outcome) || rank(NAT_CLASSES, a.address) - rank(NAT_CLASSES, b.address));
  const count = (f: (e: (typeof list)[number]) => boolean) => list.filter(f).reduce((s, e) => s + e.peers, 0);
  const total = count(() => true);
  const relay = count((e) => e.address === 'relay-only'), priv = count((e) => e.address === 'private-only');
  return {
    id: 'libp2p-nat', title: 'NAT\'d and unreachable libp2p peers',
    definition: 'libp2p peers by the addresses they advertise (peers.nat: relay-only or private-only on a public network is NAT\'d; judged on identify\'s listen addresses, else the addresses dialed) ' +
      'and by the outcome of their latest visit: measured, connected without an answer, or unreachable (every dial failed).',
    n: `${fmtInt(total)} peers visited: ${fmtInt(count((e) => e.outcome === PEER_OUTCOMES[0]))} measured, ${fmtInt(count((e) => e.outcome === PEER_OUTCOMES[2]))} unreachable, ` +
      `${fmtInt(count((e) => e.outcome === PEER_OUTCOMES[1]))} connected without an answer; ${fmtInt(relay + priv)} NAT'd (${fmtInt(relay)} relay-only, ${fmtInt(priv)} private-only)`,
    spec: total === 0 ? null : barChart({
      data: list.map((e) => ({ ...e, text: fmtInt(e.peers) })),
      category: { field: 'address', title: 'addresses advertised', order: NAT_CLASSES.filter((c) => list.some((e) => e.address === c)) },
      value: { field: 'peers', title: 'peers' }, column: { field: 'outcome', title: 'latest visit' }, label: 'text',
    }),
    missing: 'no libp2p peer visited in scope',
    tables: [{ name: 'libp2p-nat', columns: ['outcome', 'address', 'peers'], rows: list }],
  };
}

/** The latest libp2p crawl's peer states over time: discv5's figure over the same table, named apart from it. */
export async function libp2pStatesFigure(store: Queryable, scope: Scope): Promise<Figure> {
  const f = await statesFigure(store, scope);
  return {
    ...f, id: 'libp2p-states', title: `Peer states over time (libp2p crawl ${scope.latest.id})`,
    tables: f.tables.map((t) => ({ ...t, name: `libp2p-${t.name}` })),
  };
}

/** The libp2p figures, in the report's order. */
export const LIBP2P_FIGURES = [libp2pStatesFigure, libp2pAgentFigure, libp2pProtocolFigure, libp2pDialErrorFigure, libp2pConnectFigure, libp2pNatFigure] as const;
