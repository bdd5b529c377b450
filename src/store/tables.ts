// Every table of the crawl store, declared once (see columns.ts for what is derived from a declaration).
// No foreign keys, and in DuckDB no indexes besides the primary keys: they would slow the appenders, and
// DuckDB's zone maps serve the per-crawl scans the exports do. PostgreSQL gets the `indexes` declared here:
// the per-crawl and per-campaign lookups a shared server needs.
import { decodeEnr, enrFields, type Enr, type EnrFields } from '../enr/index.js';
import { forkOf, knownDigests, networkOf, nextForkOf } from '../enr/networks.js';
import { toHex } from '../util/bytes.js';
import { addColumnSql, dropNotNullSql, type Dialect, type TableDecl, type ViewDecl } from './columns.js';

/**
 * 3: nodes_staging lost its merge generation (one writer thread merges it serially). 4: monitor campaigns.
 * 5: records name the eth2 fork and the next fork, and carry the custody group count. 6: visits carry the
 * reply-train dispersion rate. 7: the records a crawl refused (bad_records). 8: crawls and campaigns carry the
 * vantage's own address, for campaigns run from several vantages into one PostgreSQL database. 9: shared
 * campaigns: several monitors probe one campaign's nodes (campaigns.shared_name, probes, probe_leases), and the
 * monitor's rows name the vantage that wrote them. 10: libp2p Kademlia crawls: crawls name their protocol, `peers`
 * holds what identify told of each libp2p peer, visits' discv5-only counters became nullable and visits carry the
 * failed bucket lengths (cpl_errors). 11: libp2p campaigns: campaigns name their protocol, and the monitor's samples
 * count libp2p dial probes (probes_dial). 12: uptime sessions carry the failure before their start (last_fail), which
 * bounds when the node came up as first_fail bounds when it went down.
 */
export const SCHEMA_VERSION = 12;

/** The DHT protocols a crawl speaks; `crawls.protocol` names one (NULL in crawls before schema 10: discv5). */
export const DHT_PROTOCOLS = ['discv5', 'libp2p'] as const;
export type DhtProtocol = typeof DHT_PROTOCOLS[number];

const CRAWL_ID = { type: 'INTEGER', doc: 'the crawl (`crawls.id`)' } as const;
const VANTAGE_ADDR = {
  type: 'VARCHAR', nullable: true,
  doc: 'the vantage\'s own UDP endpoint, `ip:port`, when it is bound to a specific address; NULL when bound to all (added in schema 8). Visits, sessions and samples belong to the vantage of their crawl or campaign',
} as const;
const NODE_ID = { type: 'VARCHAR', id: true, doc: 'node ID, 64 lowercase hex characters' } as const;
const ROW_VANTAGE = {
  type: 'VARCHAR', nullable: true,
  doc: 'the vantage (`--vantage`) of the monitor that wrote the row; NULL before schema 9 (the campaign\'s own vantage)',
} as const;

export const META = {
  name: 'meta', batched: false, primaryKey: ['key'],
  doc: 'Facts about the file.',
  columns: {
    key: { type: 'VARCHAR', doc: '`schema_version` or `last_opened_at` (ISO time of the latest open)' },
    value: { type: 'VARCHAR', nullable: true, doc: 'the value' },
  },
} as const satisfies TableDecl;

export const CRAWLS = {
  name: 'crawls', batched: false, primaryKey: ['id'],
  doc: 'One row per crawl. Ids are allocated as `max(id) + 1`.',
  columns: {
    id: { type: 'INTEGER', doc: 'crawl id, from 1' },
    started_at: { type: 'TIMESTAMP', doc: 'when the crawl started' },
    ended_at: { type: 'TIMESTAMP', nullable: true, doc: 'when it finished; NULL while it runs or if it was killed' },
    params: { type: 'JSON', nullable: true, doc: 'crawl parameters (flags, bootnodes, limits)' },
    vantage: { type: 'VARCHAR', nullable: true, doc: 'free-form label of the machine and network the crawl ran from' },
    version: { type: 'VARCHAR', nullable: true, doc: 'dhtscope version' },
    strategy: { type: 'VARCHAR', nullable: true, doc: 'crawl strategy name' },
    summary: { type: 'JSON', nullable: true, doc: 'end-of-crawl totals; NULL until the crawl ends' },
    campaign_id: { type: 'INTEGER', nullable: true, doc: 'the monitor campaign that ran this crawl (`campaigns.id`); NULL for a lone crawl' },
    vantage_addr: VANTAGE_ADDR,
    protocol: {
      type: 'VARCHAR', nullable: true,
      doc: `the DHT protocol crawled: ${DHT_PROTOCOLS.map((p) => `\`${p}\``).join(' or ')}; NULL in crawls before schema 10 (all discv5)`,
    },
  },
} as const satisfies TableDecl;

const CAMPAIGN_ID = { type: 'INTEGER', doc: 'the monitor campaign (`campaigns.id`)' } as const;

export const CAMPAIGNS = {
  name: 'campaigns', batched: false, primaryKey: ['id'],
  doc: 'One row per monitor campaign: periodic crawls plus liveness probes between them. A restarted monitor continues its campaign.',
  columns: {
    id: { type: 'INTEGER', doc: 'campaign id, from 1' },
    started_at: { type: 'TIMESTAMP', doc: 'when the campaign started' },
    ended_at: { type: 'TIMESTAMP', nullable: true, doc: 'when the monitor last stopped cleanly; NULL while it runs or after a kill' },
    params: { type: 'JSON', nullable: true, doc: 'monitor parameters (flags, bootnodes, probe bounds)' },
    vantage: { type: 'VARCHAR', nullable: true, doc: 'free-form label of the machine and network the campaign ran from' },
    version: { type: 'VARCHAR', nullable: true, doc: 'dhtscope version' },
    summary: { type: 'JSON', nullable: true, doc: 'totals at the latest clean stop' },
    vantage_addr: VANTAGE_ADDR,
    shared_name: {
      type: 'VARCHAR', nullable: true,
      doc: 'for a shared campaign (`monitor --campaign NAME`), its name: the monitors given it join the newest one not ended, and share its probes; NULL otherwise',
    },
    protocol: {
      type: 'VARCHAR', nullable: true,
      doc: `the DHT protocol monitored: ${DHT_PROTOCOLS.map((p) => `\`${p}\``).join(' or ')}; NULL in campaigns before schema 11 (all discv5)`,
    },
  },
} as const satisfies TableDecl;

export const UPTIME_SESSIONS = {
  name: 'uptime_sessions', batched: true, indexes: [['campaign_id', 'open']],
  doc: 'One row per node per uptime session: the stretch between the first answer after a time down (or first sighting) and K failed probes in a row. ' +
    'Closed sessions are written once, when they end; open (censored) ones are written at every checkpoint under its number (`snapshot`), and the older open rows are deleted once the new ones are committed.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    node_id: NODE_ID,
    ip: { type: 'VARCHAR', doc: 'address probed' },
    udp: { type: 'INTEGER', doc: 'port probed' },
    started_at: { type: 'TIMESTAMP', doc: 'first answer of the session (probe or crawl visit)' },
    last_ok: { type: 'TIMESTAMP', doc: 'latest answer of the session' },
    first_fail: { type: 'TIMESTAMP', nullable: true, doc: 'first failed probe after `last_ok`; NULL while answering' },
    ended_at: { type: 'TIMESTAMP', nullable: true, doc: 'when the K-th failed probe in a row ended it; NULL while open' },
    answers: { type: 'INTEGER', doc: 'answered probes and crawl visits in the session' },
    failures: { type: 'INTEGER', doc: 'failed probes in the session (a later answer resets the run of failures, not this count)' },
    open: { type: 'BOOLEAN', doc: 'still up when written (censored at `last_ok`)' },
    observed_start: { type: 'BOOLEAN', doc: 'the node was seen down (or listed and silent) just before, so the start is known within one probe interval' },
    new_node: { type: 'BOOLEAN', doc: 'the node was first found after the campaign\'s first crawl: it joined during the campaign' },
    end_reason: { type: 'VARCHAR', nullable: true, doc: '`down` (K failed probes in a row), or `gap` (up before the monitor\'s own outage, down after it: ended some time during it, counted as censored, not as left); NULL while open' },
    snapshot: { type: 'INTEGER', nullable: true, doc: 'for open rows, the checkpoint that wrote them: only the highest of each vantage in a campaign is current; NULL for closed rows' },
    vantage: ROW_VANTAGE,
    last_fail: { type: 'TIMESTAMP', nullable: true, doc: 'when `observed_start`: the latest failed probe before `started_at`, so the node came up in between (the session is taken to start midway, as it ends midway between `last_ok` and `first_fail`); NULL otherwise, and before schema 12' },
  },
} as const satisfies TableDecl;

export const NODE_CHANGES = {
  name: 'node_changes', batched: true, indexes: [['campaign_id', 'changed_at']],
  doc: 'Every address or record seq change of a tracked node, with when the monitor learned it.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    node_id: NODE_ID,
    changed_at: { type: 'TIMESTAMP', doc: 'when the change was learned (the crawl visit that saw the record)' },
    kind: { type: 'VARCHAR', doc: '`address` (ip or port changed; the seq too) or `seq` (same address, higher seq)' },
    old_ip: { type: 'VARCHAR', doc: 'address before' },
    old_udp: { type: 'INTEGER', doc: 'port before' },
    new_ip: { type: 'VARCHAR', doc: 'address after' },
    new_udp: { type: 'INTEGER', doc: 'port after' },
    old_seq: { type: 'UBIGINT', doc: 'record seq before' },
    new_seq: { type: 'UBIGINT', doc: 'record seq after' },
    vantage: ROW_VANTAGE,
  },
} as const satisfies TableDecl;

export const MONITOR_GAPS = {
  name: 'monitor_gaps', batched: true,
  doc: 'Times the monitor itself was not running within its campaign (a crash or a stop, then a restart). Nodes are not judged over a gap.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    from_at: { type: 'TIMESTAMP', doc: 'the last checkpoint before the monitor went away' },
    to_at: { type: 'TIMESTAMP', doc: 'when it started again' },
    reason: { type: 'VARCHAR', doc: '`crash` (no clean stop recorded) or `stopped`' },
    vantage: ROW_VANTAGE,
  },
} as const satisfies TableDecl;

export const MONITOR_SAMPLES = {
  name: 'monitor_samples', batched: true,
  doc: 'The monitor\'s state and probe counts, sampled at a fixed interval (counts are since the previous sample).',
  columns: {
    campaign_id: CAMPAIGN_ID,
    sampled_at: { type: 'TIMESTAMP', doc: 'sample time' },
    tracked: { type: 'INTEGER', doc: 'nodes tracked' },
    up: { type: 'INTEGER', doc: 'nodes in an open uptime session (active now)' },
    reachable: { type: 'INTEGER', doc: 'nodes that answered at least once in the campaign' },
    probes_whoareyou: { type: 'INTEGER', doc: 'random-packet probes sent' },
    probes_ping: { type: 'INTEGER', doc: 'PING probes sent over a cached session' },
    probes_dial: { type: 'INTEGER', nullable: true, doc: 'libp2p probes sent (a dial: TCP, Noise and Yamux with the peer, then closed); NULL before schema 11' },
    probes_ok: { type: 'INTEGER', doc: 'probes answered' },
    probes_failed: { type: 'INTEGER', doc: 'probes with no answer after the resends' },
    crawl_running: { type: 'BOOLEAN', doc: 'a crawl was running at sample time' },
    vantage: ROW_VANTAGE,
  },
} as const satisfies TableDecl;

export const PROBES = {
  name: 'probes', batched: true, indexes: [['campaign_id', 'vantage', 'seq_no']],
  doc: 'Every liveness probe of a shared campaign, one row each (a lone monitor writes none). The monitors sharing the campaign read each other\'s rows, ' +
    'so each knows every node\'s state and can take over another\'s shards.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    vantage: { type: 'VARCHAR', doc: 'the vantage that sent the probe' },
    seq_no: { type: 'UBIGINT', doc: 'the vantage\'s own row number within the campaign, from 1 (readers follow each vantage by it)' },
    node_id: NODE_ID,
    ip: { type: 'VARCHAR', doc: 'address probed' },
    udp: { type: 'INTEGER', doc: 'port probed' },
    enr_seq: { type: 'UBIGINT', doc: 'seq of the node\'s record the prober knew' },
    sent_at: { type: 'TIMESTAMP', doc: 'when the probe went out' },
    ok: { type: 'BOOLEAN', doc: 'answered (a WHOAREYOU came back, resends included)' },
    rtt_ms: { type: 'DOUBLE', nullable: true, doc: 'round trip of the answered packet; NULL when unanswered' },
  },
} as const satisfies TableDecl;

export const CAMPAIGN_VANTAGES = {
  name: 'campaign_vantages', batched: false, primaryKey: ['campaign_id', 'vantage'],
  doc: 'The monitors of a shared campaign, one row per vantage: each renews `alive_until` with its leases, so the others count it when they split the shards, even before it holds any.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    vantage: { type: 'VARCHAR', doc: 'the monitor\'s `--vantage`' },
    joined_at: { type: 'TIMESTAMP', doc: 'when it first joined the campaign' },
    alive_until: { type: 'TIMESTAMP', doc: 'the database server\'s time until which it counts as running (its lease time past its latest round)' },
  },
} as const satisfies TableDecl;

export const PROBE_LEASES = {
  name: 'probe_leases', batched: false, primaryKey: ['campaign_id', 'shard'],
  doc: 'Who probes which nodes of a shared campaign: a shard is the nodes whose ID starts with one byte, held by one vantage until its lease expires. ' +
    'A monitor renews its leases well before they expire; those of a monitor that died return to the pool and are taken by the others.',
  columns: {
    campaign_id: CAMPAIGN_ID,
    shard: { type: 'INTEGER', doc: 'the first byte of the node IDs in the shard, 0-255' },
    holder: { type: 'VARCHAR', nullable: true, doc: 'the vantage holding the lease; NULL before anyone took it' },
    expires_at: { type: 'TIMESTAMP', doc: 'the database server\'s time at which the lease lapses unless renewed' },
    taken_at: { type: 'TIMESTAMP', nullable: true, doc: 'when the holder took the shard' },
    taken_from: { type: 'VARCHAR', nullable: true, doc: 'the holder before, if its lease had lapsed or it let the shard go' },
  },
} as const satisfies TableDecl;

export const NODES = {
  name: 'nodes', batched: false, primaryKey: ['node_id'],
  doc: 'Every node ever seen, across all crawls (merged from `nodes_staging` by the writer).',
  columns: {
    node_id: NODE_ID,
    first_seen: { type: 'TIMESTAMP', doc: 'earliest sighting: record first received or visit answered' },
    last_seen: { type: 'TIMESTAMP', doc: 'latest such sighting' },
  },
} as const satisfies TableDecl;

export const NODES_STAGING = {
  name: 'nodes_staging', batched: true,
  doc: 'Sightings not yet folded into `nodes` (appenders cannot upsert). Empty after a clean close.',
  columns: {
    node_id: NODE_ID,
    seen_at: { type: 'TIMESTAMP', doc: 'when the node was seen' },
  },
} as const satisfies TableDecl;

/** What the writer decodes a stored record into, once per row. */
export interface RecordSource { enr: Enr; f: EnrFields }

function decodeRecord(raw: Uint8Array): RecordSource {
  const enr = decodeEnr(raw);
  return { enr, f: enrFields(enr) };
}

const bitsHex = (v: unknown): string | null => (v instanceof Uint8Array ? toHex(v) : null);

/** A derived records column: `from` reads the decoded record. */
function fromRecord<T extends TableDecl['columns'][string]['type']>(type: T, doc: string, from: (s: RecordSource) => unknown) {
  return { type, doc, nullable: true, from: from as (s: never) => unknown } as const;
}

export const RECORDS = {
  name: 'records', batched: true, indexes: [['crawl_id', 'node_id']],
  doc: 'Each distinct (node, seq) record received in a crawl, written once, after its signature checked out. ' +
    'Only `raw` is sent by the crawler; the other record columns are decoded from it by the writer. ' +
    'In rows written before schema 5, `nfd`, `nfd_fork` and `cgc` are NULL.',
  derive: { column: 'raw', decode: decodeRecord },
  columns: {
    crawl_id: CRAWL_ID,
    node_id: NODE_ID,
    seq: { type: 'UBIGINT', doc: 'record sequence number' },
    raw: { type: 'BLOB', doc: 'the record\'s RLP bytes as received' },
    enr: fromRecord('VARCHAR', 'text form, `enr:…`', (s) => s.enr.toText()),
    ip: fromRecord('VARCHAR', 'IPv4 address', (s) => s.f.ip ?? null),
    udp: fromRecord('INTEGER', 'UDP port', (s) => s.f.udp ?? null),
    tcp: fromRecord('INTEGER', 'TCP port', (s) => s.f.tcp ?? null),
    ip6: fromRecord('VARCHAR', 'IPv6 address', (s) => s.f.ip6 ?? null),
    udp6: fromRecord('INTEGER', 'IPv6 UDP port', (s) => s.f.udp6 ?? null),
    eth2_fork_digest: fromRecord('VARCHAR', '`eth2` fork digest, 8 hex', (s) => s.f.eth2?.forkDigest ?? null),
    eth2_next_fork_version: fromRecord('VARCHAR', '`eth2` next fork version, 8 hex', (s) => s.f.eth2?.nextForkVersion ?? null),
    eth2_next_fork_epoch: fromRecord('UBIGINT', '`eth2` next fork epoch', (s) => s.f.eth2?.nextForkEpoch ?? null),
    attnets: fromRecord('VARCHAR', 'attestation subnet bitfield, hex', (s) => bitsHex(s.enr.get('attnets'))),
    syncnets: fromRecord('VARCHAR', 'sync-committee subnet bitfield, hex', (s) => bitsHex(s.enr.get('syncnets'))),
    client: fromRecord('VARCHAR', '`client` entry, parts joined by `/`', (s) => (s.f.client ? s.f.client.join('/') : null)),
    c: fromRecord('VARCHAR', 'Portal `c` client string', (s) => s.f.c ?? null),
    opstack_chain_id: fromRecord('UBIGINT', 'OP Stack chain id', (s) => s.f.opstack?.chainId ?? null),
    opstack_version: fromRecord('UBIGINT', 'OP Stack version', (s) => s.f.opstack?.version ?? null),
    keys: fromRecord('VARCHAR', 'record keys present, comma-separated', (s) => s.f.keys.join(',')),
    network: fromRecord('VARCHAR', 'network: the eth2 digest\'s name (`mainnet`, …), `eth2:<digest>`, `opstack:<chain>`, `portal`, `execution` or `other`', (s) => networkOf(s.f)),
    first_seen: { type: 'TIMESTAMP', doc: 'when this (node, seq) was first received' },
    // Added in schema 5, after first_seen: where the migration's ALTER TABLE puts them.
    fork: fromRecord('VARCHAR', 'fork of the eth2 digest, with its blob-parameter-only step: `fulu`, `fulu+bpo1`; NULL for unknown digests', (s) => forkOf(s.f)),
    nfd: fromRecord('VARCHAR', '`nfd` next fork digest, 8 hex (`00000000`: none scheduled)', (s) => s.f.nfd ?? null),
    nfd_fork: fromRecord('VARCHAR', 'network and fork of `nfd`: `mainnet/fulu+bpo2`; NULL when all zero or unknown', (s) => nextForkOf(s.f)),
    cgc: fromRecord('INTEGER', '`cgc` custody group count (PeerDAS)', (s) => s.f.cgc ?? null),
  },
} as const satisfies TableDecl;

export const BAD_RECORDS = {
  name: 'bad_records', batched: true,
  doc: 'Records a crawl refused, with the reason (the first 10,000 per crawl; the summary counts them all).',
  columns: {
    crawl_id: CRAWL_ID,
    // Plain hex text: the batch codec's 32-byte ID columns have no NULL, and these rows are rare.
    node_id: { type: 'VARCHAR', nullable: true, doc: 'the node ID the record names (64 hex), when it can be read' },
    from_node: { type: 'VARCHAR', nullable: true, doc: 'the node whose NODES reply carried it (64 hex; NULL: a bootnode)' },
    reason: { type: 'VARCHAR', doc: '`decode` (not an ENR), `signature` (does not verify) or `key` (no valid secp256k1 key)' },
    raw: { type: 'BLOB', doc: 'the bytes as received' },
    seen_at: { type: 'TIMESTAMP', doc: 'when it arrived' },
  },
} as const satisfies TableDecl;

// libp2p visits (schema 10) reuse the columns whose meaning carries over; the discv5-only ones are NULL in them.
/** A discv5 packet counter: NULL in libp2p visits, whose streams are not counted (NOT NULL before schema 10). */
function discv5Counter(doc: string) {
  return { type: 'INTEGER', nullable: true, doc: `${doc}; NULL for libp2p` } as const;
}

export const VISITS = {
  name: 'visits', batched: true, indexes: [['crawl_id']],
  doc: 'One attempt to measure a node in a crawl. A libp2p visit (`crawls.protocol` = `libp2p`, schema 10) is a dial, identify and ' +
    'FIND_NODE for keys crafted to land in each of the peer\'s buckets 0-15; its `node_id` is the peer\'s Kademlia ID (SHA-256 of the ' +
    'peer ID\'s bytes), its peer ID and identify answers are in `peers`.',
  columns: {
    crawl_id: CRAWL_ID,
    node_id: NODE_ID,
    ip: { type: 'VARCHAR', nullable: true, doc: 'address visited; NULL for libp2p (the multiaddrs dialed are `peers.dialed_addrs`)' },
    udp: { type: 'INTEGER', nullable: true, doc: 'port visited; NULL for libp2p' },
    status: { type: 'VARCHAR', doc: '`measured` or `failed` (libp2p: measured when identify or any FIND_NODE answered)' },
    error: {
      type: 'VARCHAR', nullable: true,
      doc: '`timeout`, `no-whoareyou`, `bad-handshake` or `bad-reply`; libp2p: the dial error class (`refused`, `timeout`, `no-addresses`, `security`, ' +
        '`muxer`, `peer-id-mismatch`, `reset`, `unreachable`, `other`), or `no-answer` (connected, but identify and every FIND_NODE failed); NULL when measured',
    },
    rtt1_ms: { type: 'DOUBLE', nullable: true, doc: 'random packet → WHOAREYOU round trip; libp2p: connect time (TCP, Noise and Yamux), NULL when the dial failed' },
    rtt2_ms: { type: 'DOUBLE', nullable: true, doc: 'handshake → first NODES round trip; NULL for libp2p' },
    bytes_in: discv5Counter('bytes received from the node'),
    bytes_out: discv5Counter('bytes sent to it'),
    packets_in: discv5Counter('datagrams received'),
    packets_out: discv5Counter('datagrams sent'),
    requests: { type: 'INTEGER', doc: 'FINDNODE requests sent (libp2p: FIND_NODE requests)' },
    records_returned: { type: 'INTEGER', doc: 'records in its NODES replies; libp2p: distinct peers its FIND_NODE replies returned' },
    started_at: { type: 'TIMESTAMP', doc: 'first packet sent (libp2p: dial started)' },
    ended_at: { type: 'TIMESTAMP', doc: 'last reply or timeout (libp2p: connection closed)' },
    distances: {
      type: 'VARCHAR',
      doc: 'FINDNODE distances asked, comma-separated; libp2p: the log2 distance each FIND_NODE key was crafted at, 256 - its common-prefix length with the peer (256..241 for buckets 0..15)',
    },
    dispersion_mbps: { type: 'DOUBLE', nullable: true, doc: 'reply-train dispersion rate, Mbit/s: bytes over arrival spread of its NODES trains (a dispersion rate, not link capacity; README); NULL without a train of 2+ packets or when they arrived at once' },
    train_packets: { type: 'INTEGER', nullable: true, doc: 'packets in the longest reply train the dispersion rate used; NULL when none' },
    dispersion_low_confidence: { type: 'BOOLEAN', nullable: true, doc: 'the longest train used had fewer than 3 packets, or no spread; NULL when no train was used' },
    cpl_errors: {
      type: 'INTEGER', nullable: true,
      doc: 'libp2p: bit c set when every FIND_NODE for common-prefix length c failed (0: every bucket answered); NULL for discv5 and for libp2p visits that never connected (added in schema 10)',
    },
  },
} as const satisfies TableDecl;

export const PACKET_TRAIN = {
  name: 'packet_train', batched: true,
  doc: 'Arrival of every NODES packet, for reply-train (packet-pair) analysis.',
  columns: {
    crawl_id: CRAWL_ID,
    node_id: NODE_ID,
    request_no: { type: 'INTEGER', doc: 'the visit\'s request number, from 1' },
    packet_index: { type: 'INTEGER', doc: 'position in the reply train, from 0' },
    arrival_ns: { type: 'UBIGINT', doc: 'arrival, ns since the crawl\'s start (monotonic clock)' },
    size: { type: 'INTEGER', doc: 'datagram size, bytes' },
  },
} as const satisfies TableDecl;

// Edges are the bulk of a crawl's rows (one per record in every NODES reply). Stored with integer ends they
// append and compress far cheaper than two hex IDs per row; the edges view gives the IDs back.
export const CRAWL_NODES = {
  name: 'crawl_nodes', batched: true, indexes: [['crawl_id', 'ix']],
  doc: 'Node numbers of the edges: `ix` is unique per file.',
  columns: {
    crawl_id: CRAWL_ID,
    ix: { type: 'UINTEGER', doc: 'the node\'s number' },
    node_id: NODE_ID,
  },
} as const satisfies TableDecl;

export const EDGE_IX = {
  name: 'edge_ix', batched: true, indexes: [['crawl_id']],
  doc: 'Neighbour edges by node number; read them through the `edges` view.',
  columns: {
    crawl_id: CRAWL_ID,
    from_ix: { type: 'UINTEGER', doc: 'the node that returned the record (`crawl_nodes.ix`)' },
    to_ix: { type: 'UINTEGER', doc: 'the node whose record it returned' },
    seq: { type: 'UBIGINT', doc: 'seq of the record returned; 0 in libp2p crawls (a peer listing has no seq)' },
  },
} as const satisfies TableDecl;

export const PEERS = {
  name: 'peers', batched: true, indexes: [['crawl_id', 'node_id']],
  doc: 'One row per libp2p peer visited in a crawl (schema 10): what identify told, and the addresses that judge whether it is behind a NAT. ' +
    'Its visit is the `visits` row of the same crawl and `node_id`.',
  columns: {
    crawl_id: CRAWL_ID,
    node_id: { ...NODE_ID, doc: 'the peer\'s Kademlia ID, SHA-256 of its peer ID\'s bytes (64 hex): the ID `visits`, `nodes` and `edges` use' },
    peer_id: { type: 'VARCHAR', doc: 'peer ID, as text (`12D3KooW…`, `Qm…`)' },
    agent_version: { type: 'VARCHAR', nullable: true, doc: 'identify\'s agent version (`kubo/0.29.0/…`); NULL when identify did not answer' },
    protocol_version: { type: 'VARCHAR', nullable: true, doc: 'identify\'s protocol version (`ipfs/0.1.0`); NULL when identify did not answer' },
    protocols: { type: 'JSON', nullable: true, doc: 'identify\'s protocols, a sorted JSON array of strings; NULL when identify did not answer' },
    listen_addrs: { type: 'JSON', nullable: true, doc: 'identify\'s listen multiaddrs, a JSON array of strings; NULL when identify did not answer' },
    dialed_addrs: { type: 'JSON', doc: 'the multiaddrs the crawler dialed (what other peers listed for it, or the bootnode address), a JSON array' },
    nat: {
      type: 'BOOLEAN', nullable: true,
      doc: 'advertises no address others can dial: only relay (`/p2p-circuit`) addresses, or only private ones while the crawl is of a public network (see `nat_evidence`); ' +
        'judged on `listen_addrs`, or on `dialed_addrs` when identify did not answer; NULL when no address is known',
    },
    nat_evidence: { type: 'VARCHAR', nullable: true, doc: '`relay-only` or `private-only` when `nat`; NULL otherwise' },
  },
} as const satisfies TableDecl;

export const PROGRESS = {
  name: 'progress', batched: true,
  doc: 'The crawler\'s node states, sampled every 100 ms.',
  columns: {
    crawl_id: CRAWL_ID,
    t_ms: { type: 'INTEGER', doc: 'ms since the crawl started' },
    discovered: { type: 'INTEGER', doc: 'nodes known but not queued (no address, or not yet checked)' },
    queued: { type: 'INTEGER', doc: 'nodes waiting for a visit' },
    pending: { type: 'INTEGER', doc: 'visits in flight' },
    measured: { type: 'INTEGER', doc: 'nodes measured' },
    failed: { type: 'INTEGER', doc: 'nodes whose visit failed' },
    requests: { type: 'INTEGER', doc: 'FINDNODE requests sent so far' },
    records: { type: 'INTEGER', doc: 'distinct records known' },
  },
} as const satisfies TableDecl;

/** Every table, in creation order. */
export const TABLES: readonly TableDecl[] = [
  META, CRAWLS, NODES, NODES_STAGING, RECORDS, BAD_RECORDS, VISITS, PACKET_TRAIN, CRAWL_NODES, EDGE_IX, PROGRESS,
  PEERS, CAMPAIGNS, UPTIME_SESSIONS, NODE_CHANGES, MONITOR_GAPS, MONITOR_SAMPLES, PROBES, CAMPAIGN_VANTAGES, PROBE_LEASES,
];

export const EDGES_VIEW: ViewDecl = {
  name: 'edges',
  doc: 'Neighbour edges with node IDs: `from_node` returned `to_node`\'s record with this `seq`.',
  sql: `  SELECT e.crawl_id, f.node_id AS from_node, t.node_id AS to_node, e.seq
  FROM edge_ix e
  JOIN crawl_nodes f ON f.crawl_id = e.crawl_id AND f.ix = e.from_ix
  JOIN crawl_nodes t ON t.crawl_id = e.crawl_id AND t.ix = e.to_ix`,
};

export const VIEWS: readonly ViewDecl[] = [EDGES_VIEW];

/** The shared campaign a monitor given `--campaign NAME` joins: the newest of that name not ended ($1: the name). */
export const JOIN_SHARED_CAMPAIGN = 'SELECT id FROM campaigns WHERE shared_name = $1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1';

/** SQL that folds the staged sightings into `nodes`. */
export const MERGE_NODES_SQL: readonly string[] = [
  `INSERT INTO nodes SELECT node_id, min(seen_at), max(seen_at) FROM nodes_staging GROUP BY node_id
    ON CONFLICT (node_id) DO UPDATE SET first_seen = least(first_seen, excluded.first_seen), last_seen = greatest(last_seen, excluded.last_seen)`,
  `DELETE FROM nodes_staging`,
];

/**
 * A step from the version before to `to`: DuckDB's statements, and PostgreSQL's. PostgreSQL databases were
 * first created at POSTGRES_FIRST_SCHEMA, so only the steps after it have (and need) PostgreSQL statements.
 */
export interface Migration { to: number; sql: readonly string[]; postgres?: readonly string[] }

/** The schema version the first PostgreSQL databases were created at. */
export const POSTGRES_FIRST_SCHEMA = 7;

const SCHEMA_9_COLUMNS: readonly (readonly [TableDecl, string])[] = [
  [CAMPAIGNS, 'shared_name'], [UPTIME_SESSIONS, 'vantage'], [NODE_CHANGES, 'vantage'], [MONITOR_GAPS, 'vantage'], [MONITOR_SAMPLES, 'vantage'],
];

/** The visits counters libp2p visits leave NULL: NOT NULL before schema 10. */
const SCHEMA_10_RELAXED = ['bytes_in', 'bytes_out', 'packets_in', 'packets_out'] as const;

/** Schema 10's steps in one dialect: peers is created on open; older crawls keep a NULL protocol (discv5). */
function schema10(dialect: Dialect): string[] {
  return [
    addColumnSql(CRAWLS, 'protocol', dialect),
    ...SCHEMA_10_RELAXED.map((c) => dropNotNullSql(VISITS, c)),
    addColumnSql(VISITS, 'cpl_errors', dialect),
  ];
}

/** Schema 11's steps in one dialect: older campaigns keep a NULL protocol (discv5) and NULL dial counts. */
function schema11(dialect: Dialect): string[] {
  return [addColumnSql(CAMPAIGNS, 'protocol', dialect), addColumnSql(MONITOR_SAMPLES, 'probes_dial', dialect)];
}

/** Steps from each older version to the next, run in one transaction on open; each ends at `to`. */
export const MIGRATIONS: readonly Migration[] = [
  {
    // Edges became a view over edge_ix + crawl_nodes: number each crawl's edge node IDs, move the edges over.
    to: 2,
    sql: [
      `INSERT INTO crawl_nodes
        SELECT crawl_id, (row_number() OVER (ORDER BY crawl_id, node_id) - 1)::UINTEGER, node_id
        FROM (SELECT crawl_id, from_node AS node_id FROM edges UNION SELECT crawl_id, to_node FROM edges)`,
      `INSERT INTO edge_ix
        SELECT e.crawl_id, f.ix, t.ix, e.seq FROM edges e
        JOIN crawl_nodes f ON f.crawl_id = e.crawl_id AND f.node_id = e.from_node
        JOIN crawl_nodes t ON t.crawl_id = e.crawl_id AND t.node_id = e.to_node`,
      `DROP TABLE edges`,
    ],
  },
  {
    // The merge generation goes: fold in what a crashed run staged, then drop the column.
    to: 3,
    sql: [...MERGE_NODES_SQL, `ALTER TABLE nodes_staging DROP COLUMN IF EXISTS gen`],
  },
  {
    // Monitor campaigns: their tables are created on open; crawls name the campaign that ran them.
    to: 4,
    sql: [`ALTER TABLE crawls ADD COLUMN IF NOT EXISTS campaign_id INTEGER`],
  },
  {
    // Fork names, nfd and cgc. Older rows get their fork from the stored digest; nfd and cgc were never stored.
    to: 5,
    sql: [
      ...(['fork', 'nfd', 'nfd_fork', 'cgc'] as const).map((c) => addColumnSql(RECORDS, c)),
      `UPDATE records SET fork = k.stage FROM (VALUES ${knownDigests().map((d) => `('${d.digest}', '${d.stage}')`).join(', ')}) k(digest, stage)
        WHERE records.eth2_fork_digest = k.digest`,
    ],
  },
  {
    // Visits carry the reply-train dispersion rate; older visits have none.
    to: 6,
    sql: (['dispersion_mbps', 'train_packets', 'dispersion_low_confidence'] as const).map((c) => addColumnSql(VISITS, c)),
  },
  {
    // bad_records is created on open like every table; nothing older to move.
    to: 7,
    sql: [],
  },
  {
    // The vantage's address; older crawls and campaigns have none.
    to: 8,
    sql: [addColumnSql(CRAWLS, 'vantage_addr'), addColumnSql(CAMPAIGNS, 'vantage_addr')],
    postgres: [addColumnSql(CRAWLS, 'vantage_addr', 'postgres'), addColumnSql(CAMPAIGNS, 'vantage_addr', 'postgres')],
  },
  {
    // Shared campaigns: probes, campaign_vantages and probe_leases are created on open; the monitor's rows name their vantage.
    to: 9,
    sql: SCHEMA_9_COLUMNS.map(([t, c]) => addColumnSql(t, c)),
    postgres: SCHEMA_9_COLUMNS.map(([t, c]) => addColumnSql(t, c, 'postgres')),
  },
  {
    // libp2p crawls: crawls name their protocol, visits' packet counters may be NULL, visits carry cpl_errors.
    to: 10,
    sql: schema10('duckdb'),
    postgres: schema10('postgres'),
  },
  {
    // libp2p campaigns: campaigns name their protocol, samples count dial probes.
    to: 11,
    sql: schema11('duckdb'),
    postgres: schema11('postgres'),
  },
  { to: 12, sql: [addColumnSql(UPTIME_SESSIONS, 'last_fail', 'duckdb')], postgres: [addColumnSql(UPTIME_SESSIONS, 'last_fail', 'postgres')] },
];
