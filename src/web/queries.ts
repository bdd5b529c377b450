// The UI's reads. One in-memory index of every node's latest state is built when the server opens the file
// (a temporary table: the file stays read-only), so a filtered, sorted page is one indexed scan, not an
// aggregation over every record and visit per request. Every value from a request is a bound parameter.
import type { DhtProtocol, Queryable, SqlParam } from '../store/index.js';
import type { NodeFilter, NodeQuery } from './params.js';
import { ipv4NumberSql, rangeCsvSql, type GeoFiles } from '../app/geo.js';
import { agentFamilySql } from '../app/agents.js';
import { CRAWL_PROTOCOL_SQL } from '../app/report-figures.js';

const DISCV5: DhtProtocol = 'discv5', LIBP2P: DhtProtocol = 'libp2p';

/** SQL of the crawls, and of the campaigns, of libp2p. */
const LIBP2P_CRAWLS = `SELECT id FROM crawls WHERE ${CRAWL_PROTOCOL_SQL} = '${LIBP2P}'`;
const LIBP2P_CAMPAIGNS = `SELECT id FROM campaigns WHERE ${CRAWL_PROTOCOL_SQL} = '${LIBP2P}'`;

// A node is a libp2p peer when a libp2p crawl or campaign saw it (Kademlia IDs are SHA-256 digests, discv5's
// keccak ones: the two never meet). Its network is `libp2p`: peers carry no record to name another; their
// identify answers (latest of each kind) stand where a record's fields do. rtt_ms is a libp2p visit's connect time.
// Visited nodes are indexed even when never seen: a libp2p peer whose every dial failed is in no `nodes` row.
/** The index; `libp2p` false (a file of discv5 alone) skips the scans that find libp2p peers. */
const nodeIndexSql = (libp2p: boolean) => `CREATE OR REPLACE TEMP TABLE node_index AS
  WITH r AS (SELECT node_id, max(seq) AS seq, arg_max(network, seq) AS network, arg_max(fork, seq) AS fork,
      arg_max(client, seq) AS client_full, arg_max(ip, seq) AS ip, arg_max(udp, seq) AS udp, arg_max(enr, seq) AS enr,
      arg_max(keys, seq) AS keys FROM records GROUP BY node_id),
    v AS (SELECT node_id, arg_max(status, started_at) AS status, arg_max(rtt1_ms, started_at) AS rtt_ms, count(*) AS visits,
      bool_or(status = 'measured') AS ever_measured FROM visits GROUP BY node_id),
    p AS (SELECT node_id, arg_max(peer_id, crawl_id) AS peer_id, arg_max(agent_version, crawl_id) AS agent_full,
      arg_max(protocols, crawl_id) AS protocols, arg_max(listen_addrs, crawl_id) AS listen_addrs FROM peers GROUP BY node_id),
    lp AS (${libp2p ? `SELECT node_id FROM p UNION SELECT node_id FROM crawl_nodes WHERE crawl_id IN (${LIBP2P_CRAWLS})
      UNION SELECT node_id FROM visits WHERE crawl_id IN (${LIBP2P_CRAWLS}) UNION SELECT node_id FROM uptime_sessions WHERE campaign_id IN (${LIBP2P_CAMPAIGNS})`
    : 'SELECT NULL::VARCHAR AS node_id WHERE false'})
  SELECT node_id, r.seq, NULL::VARCHAR AS country, NULL::VARCHAR AS asn,
    CASE WHEN lp.node_id IS NULL THEN '${DISCV5}' ELSE '${LIBP2P}' END AS protocol,
    CASE WHEN lp.node_id IS NULL THEN coalesce(r.network, 'no record') ELSE '${LIBP2P}' END AS network, r.fork,
    nullif(lower(trim(split_part(r.client_full, '/', 1))), '') AS client, r.client_full, r.ip, r.udp, r.enr, r.keys,
    coalesce(v.status, 'unvisited') AS status,
    CASE WHEN v.ever_measured THEN 'reachable' WHEN v.visits > 0 THEN 'unreachable' ELSE 'unvisited' END AS class, v.rtt_ms, coalesce(v.visits, 0) AS visits, n.first_seen, n.last_seen,
    p.peer_id, ${agentFamilySql('p.agent_full')} AS agent, p.agent_full, p.protocols::VARCHAR[] AS protocols, p.listen_addrs::VARCHAR[] AS listen_addrs
  FROM nodes n FULL JOIN v USING (node_id) LEFT JOIN r USING (node_id) LEFT JOIN p USING (node_id) LEFT JOIN lp USING (node_id)`;

/** Columns of one value a node list row carries (and an export writes). */
export const NODE_SCALAR_COLUMNS = ['node_id', 'network', 'fork', 'client', 'client_full', 'ip', 'udp', 'seq', 'status', 'class', 'country', 'asn', 'rtt_ms', 'visits', 'first_seen', 'last_seen',
  'protocol', 'peer_id', 'agent', 'agent_full'] as const;
/** A libp2p peer's lists: identify's protocols and listen addresses (an export writes them as JSON arrays). */
export const NODE_LIST_COLUMNS = ['protocols', 'listen_addrs'] as const;
export const NODE_COLUMNS = [...NODE_SCALAR_COLUMNS, ...NODE_LIST_COLUMNS] as const;
export type NodeRow = Record<(typeof NODE_SCALAR_COLUMNS)[number], string | number | null> & Record<(typeof NODE_LIST_COLUMNS)[number], string[] | null> & { enr: string | null };

/** A row as CSV cells: the lists as JSON text. */
export function nodeCsvRow(r: NodeRow): Record<string, string | number | null> {
  return { ...r, protocols: r.protocols && JSON.stringify(r.protocols), listen_addrs: r.listen_addrs && JSON.stringify(r.listen_addrs) };
}

/** Nodes of each kind a diff lists by ID (the counts cover all). */
const DIFF_SAMPLE = 100;

/** Rows an export may hold: the whole index of a large crawl, with a bound that keeps a response in memory. */
export const EXPORT_ROWS_MAX = 1_000_000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const list = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);
/** A TIMESTAMP as DuckDB's JS rows give it (a Date) or as text, as ISO 8601 UTC. */
function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? String(v) : `${String(v).replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}

function normalise(r: Record<string, unknown>): NodeRow {
  return {
    node_id: r.node_id as string, network: r.network as string, fork: (r.fork as string) ?? null, client: (r.client as string) ?? null,
    client_full: (r.client_full as string) ?? null, ip: (r.ip as string) ?? null, udp: num(r.udp), seq: num(r.seq), status: r.status as string,
    class: r.class as string, country: (r.country as string) ?? null, asn: (r.asn as string) ?? null, rtt_ms: num(r.rtt_ms), visits: num(r.visits), first_seen: iso(r.first_seen), last_seen: iso(r.last_seen), enr: (r.enr as string) ?? null,
    protocol: r.protocol as string, peer_id: str(r.peer_id), agent: str(r.agent), agent_full: str(r.agent_full), protocols: list(r.protocols), listen_addrs: list(r.listen_addrs),
  };
}

export class WebQueries {
  constructor(private readonly db: Queryable) {}

  /** Country and AS facets exist when the index was built with the --geo databases. */
  hasGeo = false;
  /** Protocol, agent and protocol-support facets exist when the database holds libp2p crawls or campaigns. */
  hasLibp2p = false;

  async buildIndex(geo?: GeoFiles): Promise<void> {
    const [l] = await this.db.query<{ yes: boolean }>(`SELECT EXISTS (${LIBP2P_CRAWLS}) OR EXISTS (${LIBP2P_CAMPAIGNS}) OR EXISTS (SELECT 1 FROM peers) AS yes`);
    this.hasLibp2p = Boolean(l?.yes);
    await this.db.query(nodeIndexSql(this.hasLibp2p));
    if (geo) {
      // As-of joins on the range starts, as the report does; addresses in no range stay NULL.
      const set = async (col: string, csv: string, values: Record<string, 'VARCHAR' | 'UBIGINT'>, expr: string) => this.db.query(
        `UPDATE node_index SET ${col} = g.v FROM (SELECT x.node_id, CASE WHEN x.ipn <= g.e THEN ${expr} END AS v
           FROM (SELECT node_id, ${ipv4NumberSql('ip')} AS ipn FROM node_index WHERE ip IS NOT NULL) x ASOF LEFT JOIN ${rangeCsvSql(csv, values)} g ON x.ipn >= g.s) g
         WHERE node_index.node_id = g.node_id`);
      await set('country', geo.countryCsv, { cc: 'VARCHAR' }, 'g.cc');
      await set('asn', geo.asnCsv, { asn: 'UBIGINT', org: 'VARCHAR' }, `'AS' || g.asn || ' ' || g.org`);
      this.hasGeo = true;
    }
  }

  private where(f: NodeFilter): { sql: string; params: SqlParam[] } {
    const parts: string[] = [], params: SqlParam[] = [];
    const p = (v: SqlParam) => { params.push(v); return `$${params.length}`; };
    if (f.network !== undefined) parts.push(`network = ${p(f.network)}`);
    if (f.fork !== undefined) parts.push(f.fork === '-' ? 'fork IS NULL' : `fork = ${p(f.fork)}`);
    if (f.client !== undefined) parts.push(f.client === '-' ? 'client IS NULL' : `client = ${p(f.client)}`);
    if (f.status !== undefined) parts.push(`status = ${p(f.status)}`);
    if (f.class !== undefined) parts.push(`class = ${p(f.class)}`);
    if (f.country !== undefined) parts.push(f.country === '-' ? 'country IS NULL' : `country = ${p(f.country)}`);
    if (f.asn !== undefined) parts.push(f.asn === '-' ? 'asn IS NULL' : `asn = ${p(f.asn)}`);
    if (f.protocol !== undefined) parts.push(`protocol = ${p(f.protocol)}`);
    if (f.agent !== undefined) parts.push(f.agent === '-' ? `agent IS NULL AND protocol = '${LIBP2P}'` : `agent = ${p(f.agent)}`);
    if (f.agentVersion !== undefined) parts.push(`agent_full = ${p(f.agentVersion)}`);
    if (f.supports !== undefined) parts.push(`list_contains(protocols, ${p(f.supports)})`);
    if (f.rttMinMs !== undefined) parts.push(`rtt_ms >= ${p(f.rttMinMs)}`);
    if (f.rttMaxMs !== undefined) parts.push(`rtt_ms <= ${p(f.rttMaxMs)}`);
    if (f.seenSinceMs !== undefined) parts.push(`last_seen >= make_timestamp(${p(f.seenSinceMs * 1000)}::BIGINT)`);
    if (f.q !== undefined) {
      const q = p(f.q);
      parts.push(`(starts_with(node_id, lower(${q})) OR ip = ${q} OR enr = ${q} OR client_full ILIKE '%' || ${q} || '%' OR peer_id = ${q} OR agent_full ILIKE '%' || ${q} || '%')`);
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  async nodes(q: NodeQuery): Promise<{ total: number; rows: NodeRow[] }> {
    const w = this.where(q);
    const [c] = await this.db.query<{ n: bigint }>(`SELECT count(*) AS n FROM node_index ${w.sql}`, w.params);
    // The sort column comes from a fixed list (params.ts); node_id breaks ties so pages do not overlap.
    const order = `${q.sort} ${q.desc ? 'DESC' : 'ASC'} NULLS LAST${q.sort === 'node_id' ? '' : ', node_id'}`;
    const rows = await this.db.query(`SELECT * FROM node_index ${w.sql} ORDER BY ${order} LIMIT ${q.per} OFFSET ${(q.page - 1) * q.per}`, w.params);
    return { total: Number(c!.n), rows: rows.map(normalise) };
  }

  async exportRows(f: NodeFilter): Promise<NodeRow[]> {
    const w = this.where(f);
    return (await this.db.query(`SELECT * FROM node_index ${w.sql} ORDER BY node_id LIMIT ${EXPORT_ROWS_MAX}`, w.params)).map(normalise);
  }

  /** Counts per value of one column under a filter (the facets beside the list). */
  async facet(column: 'network' | 'fork' | 'client' | 'status' | 'class' | 'country' | 'asn' | 'protocol' | 'agent' | 'supports', f: NodeFilter, limit = 40): Promise<Array<{ value: string | null; n: number }>> {
    const w = this.where(f);
    // A peer lists several protocols: it counts once under each.
    const from = column === 'supports' ? `(SELECT unnest(protocols) AS supports FROM node_index ${w.sql})` : `node_index ${w.sql}`;
    const rows = await this.db.query<{ value: string | null; n: bigint }>(`SELECT ${column} AS value, count(*) AS n FROM ${from} GROUP BY ALL ORDER BY n DESC, value LIMIT ${limit}`, w.params);
    return rows.map((r) => ({ value: r.value, n: Number(r.n) }));
  }

  /** libp2p peers by agent family (NULL: identify never answered, or never visited). */
  async libp2pAgents(): Promise<Array<{ agent: string | null; nodes: number; measured: number }>> {
    const rows = await this.db.query<{ agent: string | null; nodes: bigint; measured: bigint }>(
      `SELECT agent, count(*) AS nodes, count(*) FILTER (WHERE status = 'measured') AS measured FROM node_index WHERE protocol = '${LIBP2P}' GROUP BY ALL ORDER BY nodes DESC, agent`);
    return rows.map((r) => ({ agent: r.agent, nodes: Number(r.nodes), measured: Number(r.measured) }));
  }

  /** Protocols libp2p peers list, by the peers that list each. */
  async libp2pProtocols(): Promise<Array<{ protocol: string; nodes: number }>> {
    const rows = await this.db.query<{ protocol: string; nodes: bigint }>(
      `SELECT protocol, count(*) AS nodes FROM (SELECT unnest(protocols) AS protocol FROM node_index WHERE protocol = '${LIBP2P}') GROUP BY ALL ORDER BY nodes DESC, protocol LIMIT 200`);
    return rows.map((r) => ({ protocol: r.protocol, nodes: Number(r.nodes) }));
  }

  async networks(): Promise<Array<{ network: string; fork: string | null; nodes: number; measured: number }>> {
    const rows = await this.db.query<{ network: string; fork: string | null; nodes: bigint; measured: bigint }>(
      `SELECT network, fork, count(*) AS nodes, count(*) FILTER (WHERE status = 'measured') AS measured FROM node_index GROUP BY ALL ORDER BY nodes DESC, network, fork`);
    return rows.map((r) => ({ network: r.network, fork: r.fork, nodes: Number(r.nodes), measured: Number(r.measured) }));
  }

  /** Records that name no known network: which keys they carry, and how many. */
  async unknownKeySets(): Promise<Array<{ keys: string; nodes: number }>> {
    const rows = await this.db.query<{ keys: string; nodes: bigint }>(`SELECT coalesce(keys, '') AS keys, count(*) AS nodes FROM node_index WHERE network = 'other' GROUP BY ALL ORDER BY nodes DESC, keys LIMIT 200`);
    return rows.map((r) => ({ keys: r.keys, nodes: Number(r.nodes) }));
  }

  /** Refused records by reason, and the latest few with who sent them. */
  async refusedRecords(): Promise<{ byReason: Array<{ reason: string; n: number }>; latest: Array<Record<string, unknown>> }> {
    const by = await this.db.query<{ reason: string; n: bigint }>(`SELECT reason, count(*) AS n FROM bad_records GROUP BY ALL ORDER BY n DESC, reason`);
    const latest = await this.db.query(`SELECT crawl_id, reason, node_id AS claimed, from_node, octet_length(raw) AS bytes, seen_at FROM bad_records ORDER BY seen_at DESC LIMIT 50`);
    return { byReason: by.map((r) => ({ reason: r.reason, n: Number(r.n) })), latest };
  }

  async crawls(): Promise<Array<{ id: number; protocol: string; startedAt: string; endedAt: string | null; strategy: string; campaignId: number | null; measured: number; visits: number }>> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT c.id, ${CRAWL_PROTOCOL_SQL} AS protocol, c.started_at, c.ended_at, c.strategy, c.campaign_id,
        (SELECT count(*) FROM visits v WHERE v.crawl_id = c.id AND v.status = 'measured') AS measured, (SELECT count(*) FROM visits v WHERE v.crawl_id = c.id) AS visits
       FROM crawls c ORDER BY c.id DESC LIMIT 500`);
    return rows.map((r) => ({ id: Number(r.id), protocol: String(r.protocol), startedAt: iso(r.started_at)!, endedAt: iso(r.ended_at), strategy: String(r.strategy), campaignId: num(r.campaign_id), measured: Number(r.measured), visits: Number(r.visits) }));
  }

  /** The time the data was last written: the latest crawl end or start, monitor sample or checkpoint. */
  async lastWritten(): Promise<string | null> {
    const [r] = await this.db.query<{ t: unknown }>(
      `SELECT greatest((SELECT max(greatest(started_at, coalesce(ended_at, started_at))) FROM crawls), (SELECT max(sampled_at) FROM monitor_samples)) AS t`);
    return iso(r?.t);
  }

  async node(id: string) {
    const [row] = await this.db.query(`SELECT * FROM node_index WHERE node_id = $1`, [id]);
    if (!row) return null;
    const node = normalise(row);
    const libp2p = node.protocol === LIBP2P;
    const [records, peers, visits, sessions, returnedBy, returned, refused] = await Promise.all([
      this.db.query(`SELECT crawl_id, seq, enr, ip, udp, network, fork, client, keys, first_seen FROM records WHERE node_id = $1 ORDER BY seq DESC, crawl_id DESC LIMIT 200`, [id]),
      // A libp2p peer's identify answers and addresses, one row per crawl that visited it.
      this.db.query(`SELECT crawl_id, peer_id, agent_version, protocol_version, protocols::VARCHAR[] AS protocols, listen_addrs::VARCHAR[] AS listen_addrs,
          dialed_addrs::VARCHAR[] AS dialed_addrs, nat, nat_evidence FROM peers WHERE node_id = $1 ORDER BY crawl_id DESC LIMIT 200`, [id]),
      // A libp2p visit's columns under their libp2p meaning (tables.ts); the discv5-only ones are NULL in it.
      this.db.query(libp2p
        ? `SELECT crawl_id, status, error, rtt1_ms AS connect_ms, requests, records_returned AS peers_returned, cpl_errors, started_at, ended_at FROM visits WHERE node_id = $1 ORDER BY started_at DESC LIMIT 200`
        : `SELECT crawl_id, status, error, ip, udp, rtt1_ms, rtt2_ms, requests, records_returned, dispersion_mbps, started_at, ended_at FROM visits WHERE node_id = $1 ORDER BY started_at DESC LIMIT 200`, [id]),
      this.db.query(`SELECT campaign_id, started_at, last_ok, first_fail, ended_at, answers, failures, open, end_reason FROM uptime_sessions WHERE node_id = $1 ORDER BY started_at DESC LIMIT 200`, [id]),
      // Edges are stored by per-crawl node numbers: find this node's numbers first, then the edges at them.
      this.db.query(`WITH me AS (SELECT crawl_id, ix FROM crawl_nodes WHERE node_id = $1)
        SELECT c.node_id, count(*) AS times FROM me JOIN edge_ix e ON e.crawl_id = me.crawl_id AND e.to_ix = me.ix
        JOIN crawl_nodes c ON c.crawl_id = e.crawl_id AND c.ix = e.from_ix GROUP BY ALL ORDER BY times DESC, c.node_id LIMIT 200`, [id]),
      this.db.query(`WITH me AS (SELECT crawl_id, ix FROM crawl_nodes WHERE node_id = $1)
        SELECT c.node_id, count(*) AS times FROM me JOIN edge_ix e ON e.crawl_id = me.crawl_id AND e.from_ix = me.ix
        JOIN crawl_nodes c ON c.crawl_id = e.crawl_id AND c.ix = e.to_ix GROUP BY ALL ORDER BY times DESC, c.node_id LIMIT 200`, [id]),
      this.db.query(`SELECT CASE WHEN node_id = $1 THEN 'names this node' ELSE 'sent by this node' END AS role, crawl_id, reason,
          node_id AS claimed, from_node, octet_length(raw) AS bytes, seen_at FROM bad_records WHERE node_id = $1 OR from_node = $1 ORDER BY seen_at DESC LIMIT 200`, [id]),
    ]);
    return { node, records, peers, visits, sessions, returnedBy, returned, refused };
  }

  /** Nodes measured in one crawl and not the other, per network (the network of their latest record). */
  async diff(a: number, b: number) {
    const x = `WITH a AS (SELECT DISTINCT node_id FROM visits WHERE crawl_id = $1 AND status = 'measured'),
      b AS (SELECT DISTINCT node_id FROM visits WHERE crawl_id = $2 AND status = 'measured'),
      x AS (SELECT coalesce(a.node_id, b.node_id) AS node_id, coalesce(n.network, 'no record') AS network,
        CASE WHEN a.node_id IS NULL THEN 'appeared' WHEN b.node_id IS NULL THEN 'left' ELSE 'both' END AS kind
        FROM a FULL JOIN b USING (node_id) LEFT JOIN node_index n ON n.node_id = coalesce(a.node_id, b.node_id))`;
    const perNetwork = await this.db.query<{ network: string; appeared: bigint; gone: bigint; both: bigint }>(
      `${x} SELECT network, count(*) FILTER (WHERE kind = 'appeared') AS appeared, count(*) FILTER (WHERE kind = 'left') AS gone,
        count(*) FILTER (WHERE kind = 'both') AS both FROM x GROUP BY ALL ORDER BY appeared + gone DESC, network`, [a, b]);
    // The first DIFF_SAMPLE of each kind, in one pass.
    const samples = await this.db.query<{ node_id: string; network: string; kind: string }>(
      `${x} SELECT node_id, network, kind FROM (SELECT *, row_number() OVER (PARTITION BY kind ORDER BY network, node_id) AS k FROM x WHERE kind <> 'both')
       WHERE k <= ${DIFF_SAMPLE} ORDER BY kind, network, node_id`, [a, b]);
    const pick = (kind: string) => samples.filter((r) => r.kind === kind).map((r) => ({ node_id: r.node_id, network: r.network }));
    return {
      perNetwork: perNetwork.map((r) => ({ network: r.network, appeared: Number(r.appeared), left: Number(r.gone), both: Number(r.both) })),
      appeared: pick('appeared'), left: pick('left'),
    };
  }
}
