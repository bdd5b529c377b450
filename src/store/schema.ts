// DDL for the crawl store. Column order matters: the appenders in store.ts write positionally.
// No indexes or foreign keys besides the two primary keys: they would slow the appenders, and DuckDB's
// zone maps are enough for the per-crawl scans the exports do. The README documents every column.

/** 2: edges became a view over edge_ix + crawl_nodes (integer ends; v1 files are migrated on open). */
export const SCHEMA_VERSION = 2;

export const DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    params JSON,
    vantage VARCHAR,
    version VARCHAR,
    strategy VARCHAR,
    summary JSON
  )`,
  `CREATE TABLE IF NOT EXISTS nodes (
    node_id VARCHAR PRIMARY KEY,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
  )`,
  // Appenders cannot upsert, so touchNode rows land here and are merged into nodes after each flush.
  // gen lets a merge delete exactly the rows it folded in, even if more arrive meanwhile.
  `CREATE TABLE IF NOT EXISTS nodes_staging (
    node_id VARCHAR NOT NULL,
    seen_at TIMESTAMP NOT NULL,
    gen INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS records (
    crawl_id INTEGER NOT NULL,
    node_id VARCHAR NOT NULL,
    seq UBIGINT NOT NULL,
    raw BLOB,
    enr VARCHAR,
    ip VARCHAR,
    udp INTEGER,
    tcp INTEGER,
    ip6 VARCHAR,
    udp6 INTEGER,
    eth2_fork_digest VARCHAR,
    eth2_next_fork_version VARCHAR,
    eth2_next_fork_epoch UBIGINT,
    attnets VARCHAR,
    syncnets VARCHAR,
    client VARCHAR,
    c VARCHAR,
    opstack_chain_id UBIGINT,
    opstack_version UBIGINT,
    keys VARCHAR,
    network VARCHAR,
    first_seen TIMESTAMP
  )`,
  `CREATE TABLE IF NOT EXISTS visits (
    crawl_id INTEGER NOT NULL,
    node_id VARCHAR NOT NULL,
    ip VARCHAR,
    udp INTEGER,
    status VARCHAR NOT NULL,
    error VARCHAR,
    rtt1_ms DOUBLE,
    rtt2_ms DOUBLE,
    bytes_in INTEGER,
    bytes_out INTEGER,
    packets_in INTEGER,
    packets_out INTEGER,
    requests INTEGER,
    records_returned INTEGER,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    distances VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS packet_train (
    crawl_id INTEGER NOT NULL,
    node_id VARCHAR NOT NULL,
    request_no INTEGER,
    packet_index INTEGER,
    arrival_ns UBIGINT,
    size INTEGER
  )`,
  // Edges are the bulk of a crawl's rows (one per record in every NODES reply, ~16 per live node). Stored with
  // integer ends, they cost a quarter of two 64-character hex IDs per row to append and compress; the edges
  // view below gives them their IDs back. ix is unique per file (per crawl is enough for the join).
  `CREATE TABLE IF NOT EXISTS crawl_nodes (
    crawl_id INTEGER NOT NULL,
    ix UINTEGER NOT NULL,
    node_id VARCHAR NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS edge_ix (
    crawl_id INTEGER NOT NULL,
    from_ix UINTEGER NOT NULL,
    to_ix UINTEGER NOT NULL,
    seq UBIGINT
  )`,
  `CREATE TABLE IF NOT EXISTS progress (
    crawl_id INTEGER NOT NULL,
    t_ms INTEGER,
    discovered INTEGER,
    queued INTEGER,
    pending INTEGER,
    measured INTEGER,
    failed INTEGER,
    requests INTEGER,
    records INTEGER
  )`,
];

/** Views, created after the tables (and after migrating a v1 file, whose edges was a table). */
export const EDGES_VIEW = `CREATE VIEW IF NOT EXISTS edges AS
  SELECT e.crawl_id, f.node_id AS from_node, t.node_id AS to_node, e.seq
  FROM edge_ix e
  JOIN crawl_nodes f ON f.crawl_id = e.crawl_id AND f.ix = e.from_ix
  JOIN crawl_nodes t ON t.crawl_id = e.crawl_id AND t.ix = e.to_ix`;

/** v1 -> v2: number the node IDs of each crawl's edges, move the edges over, and replace the table by the view. */
export const MIGRATE_EDGES_V1: readonly string[] = [
  `INSERT INTO crawl_nodes
    SELECT crawl_id, (row_number() OVER (ORDER BY crawl_id, node_id) - 1)::UINTEGER, node_id
    FROM (SELECT crawl_id, from_node AS node_id FROM edges UNION SELECT crawl_id, to_node FROM edges)`,
  `INSERT INTO edge_ix
    SELECT e.crawl_id, f.ix, t.ix, e.seq FROM edges e
    JOIN crawl_nodes f ON f.crawl_id = e.crawl_id AND f.node_id = e.from_node
    JOIN crawl_nodes t ON t.crawl_id = e.crawl_id AND t.node_id = e.to_node`,
  `DROP TABLE edges`,
];

/** Quote a string literal for SQL that cannot take bound parameters (COPY ... TO 'file'). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Best visit per node in a crawl: any measured beats failed, then the latest. */
function bestVisit(c: number): string {
  return `SELECT * FROM visits WHERE crawl_id = ${c}
    QUALIFY row_number() OVER (PARTITION BY node_id ORDER BY (status = 'measured') DESC, ended_at DESC) = 1`;
}

/** Highest-seq record per node in a crawl. */
function latestRecord(c: number): string {
  return `SELECT * FROM records WHERE crawl_id = ${c}
    QUALIFY row_number() OVER (PARTITION BY node_id ORDER BY seq DESC, first_seen DESC) = 1`;
}

// Export queries take a validated integer crawl id inline because COPY cannot bind parameters.
// Column names are snake_case so CSV/Parquet files read naturally in the duckdb CLI.

export function nodesExportSql(c: number): string {
  return `WITH rec AS (${latestRecord(c)}), vis AS (${bestVisit(c)}),
    ids AS (SELECT node_id FROM rec UNION SELECT node_id FROM vis)
    SELECT ids.node_id, rec.enr, rec.seq,
      coalesce(rec.ip, vis.ip) AS ip, coalesce(rec.udp, vis.udp) AS udp, rec.tcp,
      coalesce(vis.status, 'discovered') AS status, vis.error,
      vis.rtt1_ms AS rtt_ms, vis.rtt2_ms,
      rec.eth2_fork_digest, rec.network, rec.client, rec.c, rec.attnets, rec.keys,
      n.first_seen, n.last_seen
    FROM ids
    LEFT JOIN rec ON rec.node_id = ids.node_id
    LEFT JOIN vis ON vis.node_id = ids.node_id
    LEFT JOIN nodes n ON n.node_id = ids.node_id
    ORDER BY ids.node_id`;
}

export function visitsExportSql(c: number): string {
  return `SELECT node_id, ip, udp, status, error, rtt1_ms, rtt2_ms, bytes_in, bytes_out, packets_in, packets_out,
      requests, records_returned, started_at, ended_at, distances
    FROM visits WHERE crawl_id = ${c} ORDER BY started_at, node_id`;
}

export function edgesExportSql(c: number): string {
  return `SELECT from_node, to_node, seq FROM edges WHERE crawl_id = ${c} ORDER BY from_node, to_node, seq`;
}

/**
 * Per node with a record in crawl c: its latest record plus, per crawl up to c, whether any visit succeeded
 * and when it was checked. nodesJson folds this into geth's score.
 */
export function nodeSetSql(c: number): string {
  return `WITH rec AS (${latestRecord(c)}),
    hist AS (
      SELECT node_id, crawl_id,
        bool_or(status = 'measured') AS ok,
        min(started_at) FILTER (WHERE status = 'measured') AS first_ok,
        max(started_at) FILTER (WHERE status = 'measured') AS last_ok,
        max(started_at) AS checked
      FROM visits WHERE crawl_id <= ${c} AND node_id IN (SELECT node_id FROM rec)
      GROUP BY node_id, crawl_id
    )
    SELECT rec.node_id, rec.seq, rec.enr,
      list(hist.ok ORDER BY hist.crawl_id) FILTER (WHERE hist.ok IS NOT NULL) AS oks,
      epoch_ms(min(hist.first_ok)) AS first_ok_ms,
      epoch_ms(max(hist.last_ok)) AS last_ok_ms,
      epoch_ms(max(hist.checked)) AS checked_ms
    FROM rec LEFT JOIN hist ON hist.node_id = rec.node_id
    GROUP BY rec.node_id, rec.seq, rec.enr
    ORDER BY rec.node_id`;
}
