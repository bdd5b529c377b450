// The web UI's query strings: every parameter is parsed into a typed value here, or the request gets a 400.
// Every filter lives in the URL, so a view can be shared by its address.
import { DHT_PROTOCOLS, type DhtProtocol } from '../store/index.js';

export class BadRequest extends Error {
  readonly status = 400;
}

/** Page size: a node list page, or an export's rows. */
export const PAGE_SIZE_DEFAULT = 50;
/** A page longer than this is no longer a page; exports take every matching row instead. */
export const PAGE_SIZE_MAX = 500;
/** Pages past this are a crawl of the UI, not a reader. */
const PAGE_MAX = 100_000;
/** Free text longer than any ENR (300 bytes of record as base64 ≈ 400 characters) is not a search. */
const TEXT_MAX = 512;
/** Filter values are names (networks, forks, clients) or a peer's agent or protocol ID: short. */
const NAME_MAX = 128;

export const SORT_COLUMNS = ['node_id', 'network', 'fork', 'client', 'ip', 'rtt_ms', 'status', 'last_seen', 'protocol', 'peer_id', 'agent'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export const STATUSES = ['measured', 'failed', 'unvisited'] as const;
export type NodeStatus = (typeof STATUSES)[number];
/** Reachable: measured at least once; unreachable: visited, never answered (NAT'd, firewalled or gone). */
export const CLASSES = ['reachable', 'unreachable', 'unvisited'] as const;
export type NodeClass = (typeof CLASSES)[number];
export const EXPORT_FORMATS = ['csv', 'ndjson', 'enr'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

export interface NodeFilter {
  network?: string;
  fork?: string;
  client?: string;
  status?: NodeStatus;
  class?: NodeClass;
  country?: string;
  /** `AS<number> <organisation>`, as the facet lists it. */
  asn?: string;
  rttMinMs?: number;
  rttMaxMs?: number;
  /** Seen at or after this time, ms since the epoch. */
  seenSinceMs?: number;
  /** The DHT the node was found in. */
  protocol?: DhtProtocol;
  /** A libp2p peer's agent family (`kubo`; `-`: none known), and its whole agent version text. */
  agent?: string;
  agentVersion?: string;
  /** A protocol the libp2p peer lists (`/ipfs/bitswap/1.2.0`). */
  supports?: string;
  /** Node ID prefix, IP address, ENR text or libp2p peer ID. */
  q?: string;
}

export interface NodeQuery extends NodeFilter {
  sort: SortColumn;
  desc: boolean;
  page: number;
  per: number;
}

type Raw = Record<string, string | undefined>;

/** Network, fork and client names: letters, digits and the few marks they use (`eth2:1a2b3c4d`, `fulu+bpo2`). */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._:+/-]*$/;

function name(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === '') return undefined;
  if (v.length > NAME_MAX) throw new BadRequest(`${key}: longer than ${NAME_MAX} characters`);
  if (v !== '-' && !NAME_RE.test(v)) throw new BadRequest(`${key}: not a name (letters, digits, space and . _ : + / -)`);
  return v;
}

/** An AS's label carries its organisation's name: any printable text, bounded. */
function text(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === '') return undefined;
  if (v.length > NAME_MAX || [...v].some((ch) => ch.charCodeAt(0) < 0x20)) throw new BadRequest(`${key}: not a label (at most ${NAME_MAX} printable characters)`);
  return v;
}

function number(raw: Raw, key: string, min: number, max: number, int = false): number | undefined {
  const v = raw[key];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw new BadRequest(`${key}: "${v.slice(0, 40)}" is not a number`);
  const n = Number(v);
  if (!(n >= min && n <= max) || (int && !Number.isInteger(n))) throw new BadRequest(`${key}: must be ${int ? 'an integer ' : ''}from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(raw: Raw, key: string, allowed: readonly T[]): T | undefined {
  const v = raw[key];
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new BadRequest(`${key}: must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function parseFilter(raw: Raw): NodeFilter {
  const f: NodeFilter = {};
  const set = <K extends keyof NodeFilter>(k: K, v: NodeFilter[K] | undefined) => { if (v !== undefined) f[k] = v; };
  set('network', name(raw, 'network'));
  set('fork', name(raw, 'fork'));
  set('client', name(raw, 'client'));
  set('status', oneOf(raw, 'status', STATUSES));
  set('class', oneOf(raw, 'class', CLASSES));
  set('country', name(raw, 'country'));
  set('asn', text(raw, 'asn'));
  set('protocol', oneOf(raw, 'protocol', DHT_PROTOCOLS));
  // Agents and protocol IDs are the peers' own text (`js-libp2p/2.8.0 UserAgent=v20`): any printable text, bounded.
  set('agent', text(raw, 'agent'));
  set('agentVersion', text(raw, 'agent_version'));
  set('supports', text(raw, 'supports'));
  set('rttMinMs', number(raw, 'rtt_min', 0, 1e6));
  set('rttMaxMs', number(raw, 'rtt_max', 0, 1e6));
  const since = raw.seen_since;
  if (since !== undefined && since !== '') {
    const t = Date.parse(since);
    if (!Number.isFinite(t)) throw new BadRequest('seen_since: not an ISO time');
    f.seenSinceMs = t;
  }
  const q = raw.q?.trim();
  if (q) {
    if (q.length > TEXT_MAX) throw new BadRequest(`q: longer than ${TEXT_MAX} characters`);
    f.q = q;
  }
  return f;
}

export function parseNodeQuery(raw: Raw): NodeQuery {
  return {
    ...parseFilter(raw),
    sort: oneOf(raw, 'sort', SORT_COLUMNS) ?? 'node_id',
    desc: oneOf(raw, 'order', ['asc', 'desc'] as const) === 'desc',
    page: number(raw, 'page', 1, PAGE_MAX, true) ?? 1,
    per: number(raw, 'per', 1, PAGE_SIZE_MAX, true) ?? PAGE_SIZE_DEFAULT,
  };
}

export function parseExportFormat(raw: Raw): ExportFormatName {
  return oneOf(raw, 'format', EXPORT_FORMATS) ?? 'csv';
}

/** A crawl id from the query string (positive integer). */
export function parseCrawlId(raw: Raw, key: string): number | undefined {
  return number(raw, key, 1, 2 ** 31 - 1, true);
}

const NODE_ID_RE = /^[0-9a-f]{64}$/;

export function parseNodeId(v: string): string {
  const id = v.toLowerCase();
  if (!NODE_ID_RE.test(id)) throw new BadRequest('node id: must be 64 hex characters');
  return id;
}

/** The filter back as a query string (for links that keep it), without paging. */
export function filterQueryString(f: NodeFilter, extra: Record<string, string | number | undefined> = {}): string {
  const p = new URLSearchParams();
  const add = (k: string, v: string | number | undefined) => { if (v !== undefined && v !== '') p.set(k, String(v)); };
  add('network', f.network); add('fork', f.fork); add('client', f.client); add('status', f.status); add('class', f.class); add('country', f.country); add('asn', f.asn);
  add('protocol', f.protocol); add('agent', f.agent); add('agent_version', f.agentVersion); add('supports', f.supports);
  add('rtt_min', f.rttMinMs); add('rtt_max', f.rttMaxMs);
  add('seen_since', f.seenSinceMs === undefined ? undefined : new Date(f.seenSinceMs).toISOString());
  add('q', f.q);
  for (const [k, v] of Object.entries(extra)) add(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}
