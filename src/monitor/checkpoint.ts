// The monitor's state that is not in the database (per-node schedules, runs of failures, open sessions as they
// stand, seeds for the next crawl), saved with cbor-x. Written whole to a temporary file, synced, then renamed
// over the old one: a kill at any moment leaves either the old checkpoint or the new one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { Encoder } from 'cbor-x';
import { DhtscopeError } from '../util/errors.js';
import { ByteArena } from '../util/arena.js';
import { newTrackedNode, type TrackedNode } from './tracker.js';
import { NODE_ID_SIZE } from '../wire/constants.js';
import { DHT_PROTOCOLS, type DhtProtocol } from '../store/tables.js';

export class CheckpointError extends DhtscopeError {}

/** Bumped when the layout changes; an older or newer checkpoint is refused, not misread. */
export const CHECKPOINT_VERSION = 1;

export interface CheckpointState {
  campaignId: number;
  /** The campaign's start (unix ms): with the id, it names the campaign in its database (ids repeat across files). */
  campaignStartedAtMs: number;
  /** Open-session rows in the database carry this checkpoint's number (uptime_sessions.snapshot). */
  snapshot: number;
  /** When it was written (unix ms): the monitor is known to have run until then. */
  savedAtMs: number;
  /** Written by a clean stop (the gap that follows is a stop, not a crash). */
  clean: boolean;
  crawlsDone: number;
  /** When the next crawl is due (unix ms). */
  nextCrawlAtMs: number;
  /** Campaign time after which first sightings are new nodes. */
  newAfterMs: number;
  /** The DHT protocol of the campaign (a checkpoint without one is discv5's). */
  protocol: DhtProtocol;
  /** Nodes that answered lately (discv5: enr: text; libp2p: multiaddrs with /p2p): seeds for the next crawl. */
  seeds: string[];
  nodes: TrackedNode[];
  /** Per node, what the protocol's backend keeps besides the tracker's state (libp2p: the peer ID); '' for none. */
  nodeTags: string[];
}

// The flags of a node, packed into one number.
const EVER_UP = 1, UP = 2, OBSERVED_START = 4, IS_NEW = 8, ACROSS_GAP = 16;

/** Numbers per node in `nums`, in this order. */
const NUMS = 12;

/**
 * Nodes column by column: IDs and numbers as typed arrays (cbor-x writes them as byte strings, a copy each),
 * addresses as one newline-joined string. A tuple per node took over a second to encode at 250,000 nodes,
 * blocking the event loop (and the probes' timers) that long.
 */
interface NodeColumns {
  ids: Uint8Array; ips: string; seqs: BigUint64Array; nums: Float64Array;
  /** Per node: lastFailMs, sessionLastFailMs. Absent in checkpoints written before they were kept (read as NaN). */
  fails?: Float64Array;
}

function toColumns(nodes: readonly TrackedNode[]): NodeColumns {
  const n = nodes.length;
  const ids = new Uint8Array(n * NODE_ID_SIZE), ips: string[] = new Array<string>(n), seqs = new BigUint64Array(n), nums = new Float64Array(n * NUMS);
  const fails = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const x = nodes[i]!;
    x.copyIdTo(ids, i * NODE_ID_SIZE);
    ips[i] = x.ip;
    seqs[i] = x.seq;
    const k = i * NUMS;
    nums[k] = x.port;
    nums[k + 1] = (x.everUp ? EVER_UP : 0) | (x.up ? UP : 0) | (x.observedStart ? OBSERVED_START : 0) | (x.isNew ? IS_NEW : 0) | (x.acrossGap ? ACROSS_GAP : 0);
    nums[k + 2] = x.firstSeenMs; nums[k + 3] = x.sessionStartMs; nums[k + 4] = x.lastOkMs; nums[k + 5] = x.firstFailMs;
    nums[k + 6] = x.answers; nums[k + 7] = x.failures; nums[k + 8] = x.failRun; nums[k + 9] = x.downSinceMs; nums[k + 10] = x.listedBy;
    // A probe in flight at save time is due again at once after a restart.
    nums[k + 11] = x.probing || !Number.isFinite(x.dueAtMs) ? 0 : x.dueAtMs;
    fails[i * 2] = x.lastFailMs; fails[i * 2 + 1] = x.sessionLastFailMs;
  }
  return { ids, ips: ips.join('\n'), seqs, nums, fails };
}

function fromColumns(c: NodeColumns, arena: ByteArena, path: string): TrackedNode[] {
  const ips = c.ips === '' ? [] : c.ips.split('\n');
  const n = ips.length;
  const fails = c.fails instanceof Float64Array ? c.fails : null;
  if (c.ids.length !== n * NODE_ID_SIZE || c.seqs.length !== n || c.nums.length !== n * NUMS || (fails && fails.length !== n * 2)) {
    throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} has columns of different lengths`);
  }
  const out: TrackedNode[] = new Array<TrackedNode>(n);
  for (let i = 0; i < n; i++) {
    const v = c.nums.subarray(i * NUMS, (i + 1) * NUMS);
    const x = newTrackedNode(arena, c.ids.subarray(i * NODE_ID_SIZE, (i + 1) * NODE_ID_SIZE), ips[i]!, v[0]!, c.seqs[i]!, v[2]!);
    const flags = v[1]!;
    x.everUp = (flags & EVER_UP) !== 0; x.up = (flags & UP) !== 0; x.observedStart = (flags & OBSERVED_START) !== 0; x.isNew = (flags & IS_NEW) !== 0;
    x.acrossGap = (flags & ACROSS_GAP) !== 0;
    x.sessionStartMs = v[3]!; x.lastOkMs = v[4]!; x.firstFailMs = v[5]!;
    x.answers = v[6]!; x.failures = v[7]!; x.failRun = v[8]!; x.downSinceMs = v[9]!; x.listedBy = v[10]!; x.dueAtMs = v[11]!;
    if (fails) { x.lastFailMs = fails[i * 2]!; x.sessionLastFailMs = fails[i * 2 + 1]!; }
    out[i] = x;
  }
  return out;
}

/** What cbor-x keeps between checkpoints (see encodeCheckpoint). */
const RELEASED_BUFFER_BYTES = 8192;
// Plain arrays and maps, no record structures: the layout is versioned by CHECKPOINT_VERSION.
// useBuffer is cbor-x's, missing from its types.
const codec = new Encoder({ useRecords: false, mapsAsObjects: true }) as Encoder & { useBuffer(b: Uint8Array): void };

export function encodeCheckpoint(s: CheckpointState): Uint8Array {
  const bytes = codec.encode({
    v: CHECKPOINT_VERSION, campaignId: s.campaignId, campaignStartedAtMs: s.campaignStartedAtMs, snapshot: s.snapshot, savedAtMs: s.savedAtMs, clean: s.clean, crawlsDone: s.crawlsDone,
    nextCrawlAtMs: s.nextCrawlAtMs, newAfterMs: s.newAfterMs, seeds: s.seeds, nodes: toColumns(s.nodes), protocol: s.protocol,
    // One newline-joined string, as the addresses: a string per node costs cbor-x a header each.
    tags: s.nodeTags.some((t) => t !== '') ? s.nodeTags.join('\n') : undefined,
  });
  // cbor-x returns a view into its output buffer and keeps that buffer (one per process) for the next call: sized
  // for the largest checkpoint so far, with up to 4x headroom. A small one in its place lets the big one go as soon
  // as the caller has written these bytes.
  codec.useBuffer(Buffer.allocUnsafeSlow(RELEASED_BUFFER_BYTES)); // a Buffer, as cbor-x allocates on node
  return bytes;
}

/** Node IDs go into `arena` (the tracker's, so restored nodes pack like new ones). */
export function decodeCheckpoint(bytes: Uint8Array, path: string, arena: ByteArena = new ByteArena()): CheckpointState {
  let o: Record<string, unknown>;
  try { o = codec.decode(bytes) as Record<string, unknown>; } catch (e) {
    throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} cannot be read: ${(e as Error).message}`);
  }
  if (o?.v !== CHECKPOINT_VERSION) throw new CheckpointError('ERR_CHECKPOINT_VERSION', `checkpoint ${path} has layout ${String(o?.v)}; this dhtscope reads ${CHECKPOINT_VERSION}`);
  const c = o.nodes as NodeColumns | undefined;
  if (!c || !(c.ids instanceof Uint8Array) || typeof c.ips !== 'string' || !(c.seqs instanceof BigUint64Array) || !(c.nums instanceof Float64Array) || typeof o.campaignId !== 'number') {
    throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} is incomplete`);
  }
  const nodes = fromColumns(c, arena, path);
  const tags = typeof o.tags === 'string' ? o.tags.split('\n') : new Array<string>(nodes.length).fill('');
  if (tags.length !== nodes.length) throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} has node tags of a different length`);
  const protocol = (o.protocol ?? 'discv5') as DhtProtocol;
  if (!(DHT_PROTOCOLS as readonly string[]).includes(protocol)) throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} names an unknown protocol`);
  return {
    protocol, nodeTags: tags,
    campaignId: o.campaignId, campaignStartedAtMs: o.campaignStartedAtMs as number, snapshot: (o.snapshot as number) ?? 0, savedAtMs: o.savedAtMs as number, clean: o.clean === true, crawlsDone: o.crawlsDone as number,
    nextCrawlAtMs: o.nextCrawlAtMs as number, newAfterMs: (o.newAfterMs as number | null) ?? Infinity, seeds: (o.seeds as string[]) ?? [],
    nodes,
  };
}

export function readCheckpoint(path: string, arena?: ByteArena): CheckpointState | null {
  if (!existsSync(path)) return null;
  return decodeCheckpoint(readFileSync(path), path, arena);
}

/** Writes an encoded checkpoint (encodeCheckpoint) atomically; returns its size. */
export function writeCheckpoint(path: string, bytes: Uint8Array): number {
  const tmp = path + '.tmp';
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // The previous checkpoint stays whole: only the temporary file was being written.
    throw new CheckpointError('ERR_CHECKPOINT_WRITE', `cannot write the checkpoint ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return bytes.length;
}
