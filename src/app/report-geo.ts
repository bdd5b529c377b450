// The report's --geo figures: country and AS shares of the nodes, among all records and among nodes measured.
// discv5 only: they place the address of each node's record, and libp2p peers have none (report-job gives them
// the discv5 crawls of the scope).
import { barChart, type Row } from '../report/charts.js';
import { fmtInt, type Figure } from '../report/figure.js';
import type { Queryable } from '../store/index.js';
import { GEO_PACKAGES, ipv4NumberSql, rangeCsvSql, type GeoFiles } from './geo.js';
import { num, type Scope } from './report-figures.js';

/** Bars drawn; the CSV lists every country or AS. */
const MAX_BARS = 20;
/** Private, loopback and unlisted addresses: no country or AS to give. */
const UNKNOWN = 'not listed (private or unrouted)';


async function shares(store: Queryable, scope: Scope, joinSql: string, keySql: string) {
  const ids = scope.crawlIds.join(',');
  return store.query<{ k: string | null; all_n: bigint; measured_n: bigint }>(
    `WITH n AS (SELECT node_id, arg_max(ip, seq) AS ip FROM records WHERE crawl_id IN (${ids}) GROUP BY node_id),
      m AS (SELECT DISTINCT node_id FROM visits WHERE crawl_id IN (${ids}) AND status = 'measured'),
      x AS (SELECT n.node_id, ${ipv4NumberSql('n.ip')} AS ipn, m.node_id IS NOT NULL AS measured FROM n LEFT JOIN m USING (node_id))
     -- An as-of join finds each address's range by its start in one sorted pass (a BETWEEN join of every address
     -- against every range took seconds); the end is checked after.
     SELECT CASE WHEN x.ipn <= g.e THEN ${keySql} END AS k, count(*) AS all_n, count(*) FILTER (WHERE measured) AS measured_n
     FROM x ASOF LEFT JOIN ${joinSql} g ON x.ipn >= g.s GROUP BY ALL ORDER BY all_n DESC, k`);
}

function shareFigure(id: string, title: string, what: string, source: string, rows: Array<{ k: string | null; all_n: bigint; measured_n: bigint }>): Figure {
  const list = rows.map((r) => ({ key: r.k ?? UNKNOWN, all: num(r.all_n), measured: num(r.measured_n) }));
  const totalAll = list.reduce((s, e) => s + e.all, 0), totalMeasured = list.reduce((s, e) => s + e.measured, 0);
  const shown = list.slice(0, MAX_BARS);
  const data: Row[] = shown.flatMap((e) => [
    { key: e.key, among: 'all records', share: totalAll ? e.all / totalAll : 0, text: fmtInt(e.all) },
    { key: e.key, among: 'measured nodes', share: totalMeasured ? e.measured / totalMeasured : 0, text: fmtInt(e.measured) },
  ]);
  return {
    id, title,
    definition: `Share of each ${what} by the IPv4 address of the node's latest record (${source}), among all nodes with a record and among nodes measured.`,
    n: `${fmtInt(totalAll)} nodes with a record, ${fmtInt(totalMeasured)} measured; ${list.length} ${what === 'country' ? 'countries' : 'ASes'}${list.length > MAX_BARS ? ` (the ${MAX_BARS} largest drawn)` : ''}`,
    spec: totalAll === 0 ? null : barChart({
      data, category: { field: 'key', title: what, order: shown.map((e) => e.key) }, value: { field: 'share', title: 'share', format: '%' },
      column: { field: 'among', title: '' }, label: 'text',
    }),
    missing: 'no records in scope',
    tables: [{ name: id, columns: [what, 'records', 'measured'], rows: list.map((e) => ({ [what]: e.key, records: e.all, measured: e.measured })) }],
  };
}

export async function geoFigures(store: Queryable, scope: Scope, files: GeoFiles): Promise<Figure[]> {
  const c = GEO_PACKAGES.country, a = GEO_PACKAGES.asn;
  const countries = await shares(store, scope, rangeCsvSql(files.countryCsv, { cc: 'VARCHAR' }), 'g.cc');
  const ases = await shares(store, scope, rangeCsvSql(files.asnCsv, { asn: 'UBIGINT', org: 'VARCHAR' }), `'AS' || g.asn || ' ' || g.org`);
  return [
    shareFigure('geo-country', 'Countries', 'country', `${c.name}@${c.version}, ${c.license}`, countries),
    shareFigure('geo-as', 'Autonomous systems', 'AS', `${a.name}@${a.version}, ${a.license}`, ases),
  ];
}
