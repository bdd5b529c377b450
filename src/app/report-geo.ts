// The report's --geo figures: country and AS shares of the nodes, among all nodes and among nodes measured.
// A discv5 node is placed by the IPv4 address of its latest record; a libp2p peer (no record) by the first IPv4
// address it was dialed at. report-job draws each protocol's pair over that protocol's crawls.
import { barChart, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import type { DhtProtocol, Queryable } from '../store/index.js';
import { GEO_PACKAGES, ipv4NumberSql, rangeCsvSql, type GeoFiles } from './geo.js';
import { num, type Scope } from './report-figures.js';

/** Bars drawn; the CSV lists every country or AS. */
const MAX_BARS = 20;
/** Private, loopback and unlisted addresses: no country or AS to give. */
const UNKNOWN = 'not listed (private or unrouted)';


/**
 * Whether an IPv4 text is in a range no geo database places: this network (0/8), private (10/8, 172.16/12,
 * 192.168/16), shared (100.64/10), loopback (127/8), link-local (169.254/16).
 */
const NON_ROUTABLE_IPV4_SQL = (x: string) =>
  `regexp_matches(${x}, '^(0|10|127)\\.|^169\\.254\\.|^192\\.168\\.|^172\\.(1[6-9]|2[0-9]|3[01])\\.|^100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.')`;

/** Where each protocol's nodes get their address: a query of (node_id, ip) over the crawls `ids`, and its words. */
const ADDRESS_SOURCES = {
  discv5: {
    sql: (ids: string) => `SELECT node_id, arg_max(ip, seq) AS ip FROM records WHERE crawl_id IN (${ids}) GROUP BY node_id`,
    idPrefix: '', address: 'the IPv4 address of the node\'s latest record', nodes: 'nodes with a record', counted: 'records', missing: 'no records in scope',
  },
  libp2p: {
    // dialed_addrs is a JSON list of multiaddrs, private ones often first: the first routable /ip4/ one, else the
    // first at all (a loopback simnet's), from the peer's latest visit.
    sql: (ids: string) => `WITH a AS (SELECT node_id, crawl_id, regexp_extract_all(dialed_addrs, '/ip4/([0-9.]+)/', 1) AS ips FROM peers WHERE crawl_id IN (${ids}))
      SELECT node_id, arg_max(coalesce(list_filter(ips, x -> NOT ${NON_ROUTABLE_IPV4_SQL('x')})[1], ips[1]), crawl_id) AS ip FROM a GROUP BY node_id`,
    idPrefix: 'libp2p-', address: 'the first routable IPv4 address the peer was dialed at', nodes: 'peers visited', counted: 'peers', missing: 'no libp2p peer visited in scope',
  },
} as const satisfies Record<DhtProtocol, unknown>;
export type GeoSource = DhtProtocol;

async function shares(store: Queryable, scope: Scope, source: GeoSource, joinSql: string, keySql: string) {
  const ids = scope.crawlIds.join(',');
  return store.query<{ k: string | null; all_n: bigint; measured_n: bigint }>(
    `WITH n AS (${ADDRESS_SOURCES[source].sql(ids)}),
      m AS (SELECT DISTINCT node_id FROM visits WHERE crawl_id IN (${ids}) AND status = 'measured'),
      x AS (SELECT n.node_id, ${ipv4NumberSql('n.ip')} AS ipn, m.node_id IS NOT NULL AS measured FROM n LEFT JOIN m USING (node_id))
     -- An as-of join finds each address's range by its start in one sorted pass (a BETWEEN join of every address
     -- against every range took seconds); the end is checked after.
     SELECT CASE WHEN x.ipn <= g.e THEN ${keySql} END AS k, count(*) AS all_n, count(*) FILTER (WHERE measured) AS measured_n
     FROM x ASOF LEFT JOIN ${joinSql} g ON x.ipn >= g.s GROUP BY ALL ORDER BY all_n DESC, k`);
}

function shareFigure(
  src: GeoSource, id: string, title: string, what: string, source: string, rows: Array<{ k: string | null; all_n: bigint; measured_n: bigint }>,
): Figure {
  const s = ADDRESS_SOURCES[src];
  const list = rows.map((r) => ({ key: r.k ?? UNKNOWN, all: num(r.all_n), measured: num(r.measured_n) }));
  const totalAll = list.reduce((s, e) => s + e.all, 0), totalMeasured = list.reduce((s, e) => s + e.measured, 0);
  const shown = list.slice(0, MAX_BARS);
  const data: Row[] = shown.flatMap((e) => [
    { key: e.key, among: `all ${s.nodes}`, share: totalAll ? e.all / totalAll : 0, text: fmtInt(e.all) },
    { key: e.key, among: 'measured nodes', share: totalMeasured ? e.measured / totalMeasured : 0, text: fmtInt(e.measured) },
  ]);
  return {
    id: s.idPrefix + id, title: src === 'libp2p' ? `${title} (libp2p peers)` : title,
    definition: `Share of each ${what} by ${s.address} (${source}), among all ${s.nodes} and among those measured.`,
    n: `${fmtInt(totalAll)} ${s.nodes}, ${fmtInt(totalMeasured)} measured; ${list.length} ${what === 'country' ? 'countries' : 'ASes'}${list.length > MAX_BARS ? ` (the ${MAX_BARS} largest drawn)` : ''}`,
    spec: totalAll === 0 ? null : barChart({
      data, category: { field: 'key', title: what, order: shown.map((e) => e.key) }, value: { field: 'share', title: 'share', format: '%' },
      column: { field: 'among', title: '' }, label: 'text',
    }),
    missing: s.missing,
    tables: [{ name: s.idPrefix + id, columns: [what, s.counted, 'measured'], rows: list.map((e) => ({ [what]: e.key, [s.counted]: e.all, measured: e.measured })) }],
  };
}

/** The country and AS figures of one protocol's crawls in `scope`. */
export async function geoFigures(store: Queryable, scope: Scope, files: GeoFiles, source: GeoSource = 'discv5'): Promise<Figure[]> {
  const c = GEO_PACKAGES.country, a = GEO_PACKAGES.asn;
  const countries = await shares(store, scope, source, rangeCsvSql(files.countryCsv, { cc: 'VARCHAR' }), 'g.cc');
  const ases = await shares(store, scope, source, rangeCsvSql(files.asnCsv, { asn: 'UBIGINT', org: 'VARCHAR' }), `'AS' || g.asn || ' ' || g.org`);
  return [
    shareFigure(source, 'geo-country', 'Countries', 'country', `${c.name}@${c.version}, ${c.license}`, countries),
    shareFigure(source, 'geo-as', 'Autonomous systems', 'AS', `${a.name}@${a.version}, ${a.license}`, ases),
  ];
}
