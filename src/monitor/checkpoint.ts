// The monitor's state that is not in the database (per-node schedules, runs of failures, open sessions as they
// stand, seeds for the next crawl), saved with cbor-x. Written whole to a temporary file, synced, then renamed
// over the old one: a kill at any moment leaves either the old checkpoint or the new one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { Encoder } from 'cbor-x';
import { DhtscopeError } from '../util/errors.js';
import { ByteArena } from '../util/arena.js';
import { newTrackedNode, type TrackedNode } from './tracker.js';

export class CheckpointError extends DhtscopeError {}

/** Bumped when the layout changes; an older or newer checkpoint is refused, not misread. */
export const CHECKPOINT_VERSION = 1;

export interface CheckpointState {
  campaignId: number;
  /** When it was written (unix ms): the monitor is known to have run until then. */
  savedAtMs: number;
  /** Written by a clean stop (the gap that follows is a stop, not a crash). */
  clean: boolean;
  crawlsDone: number;
  /** When the next crawl is due (unix ms). */
  nextCrawlAtMs: number;
  /** Campaign time after which first sightings are new nodes. */
  newAfterMs: number;
  /** Records (enr: text) of nodes that answered lately: seeds for the next crawl besides the bootnodes. */
  seeds: string[];
  nodes: TrackedNode[];
}

// The flags of a node, packed into one integer.
const EVER_UP = 1, UP = 2, OBSERVED_START = 4, IS_NEW = 8;

type NodeTuple = [Uint8Array, string, number, bigint, number, number, number, number, number, number, number, number, number, number, number];

function toTuple(n: TrackedNode): NodeTuple {
  const flags = (n.everUp ? EVER_UP : 0) | (n.up ? UP : 0) | (n.observedStart ? OBSERVED_START : 0) | (n.isNew ? IS_NEW : 0);
  // A probe in flight at save time is due again at once after a restart.
  const due = n.probing || !Number.isFinite(n.dueAtMs) ? 0 : n.dueAtMs;
  return [n.id, n.ip, n.port, n.seq, flags, n.firstSeenMs, n.sessionStartMs, n.lastOkMs, n.firstFailMs, n.answers, n.failures, n.failRun, n.downSinceMs, n.listedBy, due];
}

function fromTuple(t: NodeTuple, arena: ByteArena): TrackedNode {
  const [id, ip, port, seq, flags, firstSeen, start, lastOk, firstFail, answers, failures, failRun, downSince, listedBy, due] = t;
  const n = newTrackedNode(arena, id, ip, port, BigInt(seq), firstSeen);
  n.everUp = (flags & EVER_UP) !== 0; n.up = (flags & UP) !== 0; n.observedStart = (flags & OBSERVED_START) !== 0; n.isNew = (flags & IS_NEW) !== 0;
  n.sessionStartMs = start; n.lastOkMs = lastOk; n.firstFailMs = firstFail;
  n.answers = answers; n.failures = failures; n.failRun = failRun; n.downSinceMs = downSince; n.listedBy = listedBy; n.dueAtMs = due;
  return n;
}

// Plain arrays and maps, no record structures: the layout is the tuple above, versioned by CHECKPOINT_VERSION.
const codec = new Encoder({ useRecords: false, mapsAsObjects: true });

export function encodeCheckpoint(s: CheckpointState): Uint8Array {
  return codec.encode({
    v: CHECKPOINT_VERSION, campaignId: s.campaignId, savedAtMs: s.savedAtMs, clean: s.clean, crawlsDone: s.crawlsDone,
    nextCrawlAtMs: s.nextCrawlAtMs, newAfterMs: s.newAfterMs, seeds: s.seeds, nodes: s.nodes.map(toTuple),
  });
}

/** Node IDs go into `arena` (the tracker's, so restored nodes pack like new ones). */
export function decodeCheckpoint(bytes: Uint8Array, path: string, arena: ByteArena = new ByteArena()): CheckpointState {
  let o: Record<string, unknown>;
  try { o = codec.decode(bytes) as Record<string, unknown>; } catch (e) {
    throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} cannot be read: ${(e as Error).message}`);
  }
  if (o?.v !== CHECKPOINT_VERSION) throw new CheckpointError('ERR_CHECKPOINT_VERSION', `checkpoint ${path} has layout ${String(o?.v)}; this dhtscope reads ${CHECKPOINT_VERSION}`);
  const nodes = o.nodes as NodeTuple[];
  if (!Array.isArray(nodes) || typeof o.campaignId !== 'number') throw new CheckpointError('ERR_CHECKPOINT_CORRUPT', `checkpoint ${path} is incomplete`);
  return {
    campaignId: o.campaignId, savedAtMs: o.savedAtMs as number, clean: o.clean === true, crawlsDone: o.crawlsDone as number,
    nextCrawlAtMs: o.nextCrawlAtMs as number, newAfterMs: (o.newAfterMs as number | null) ?? Infinity, seeds: (o.seeds as string[]) ?? [],
    nodes: nodes.map((t) => fromTuple(t, arena)),
  };
}

export function readCheckpoint(path: string, arena?: ByteArena): CheckpointState | null {
  if (!existsSync(path)) return null;
  return decodeCheckpoint(readFileSync(path), path, arena);
}

export function writeCheckpoint(path: string, s: CheckpointState): number {
  const bytes = encodeCheckpoint(s);
  const tmp = path + '.tmp';
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return bytes.length;
}
