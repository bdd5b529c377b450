import { randomFillSync } from 'node:crypto';
import { COMPRESSED_PUBKEY_SIZE, type Enr } from '../enr/enr.js';
import { enrEndpoint } from '../enr/fields.js';
import type { NodeAddress } from '../session/types.js';
import { NODE_ID_SIZE } from '../wire/constants.js';

/** Node states; at every moment each known node is in exactly one. */
export const enum NodeState { Discovered = 0, Queued = 1, Pending = 2, Measured = 3, Failed = 4 }
export const STATE_NAMES = ['discovered', 'queued', 'pending', 'measured', 'failed'] as const;

/** Unix ms at load; nodes keep their first-seen time relative to it. */
const EPOCH_BASE_MS = Date.now();

/**
 * One known node, slim on purpose (a crawl holds 250k+): no view object of its own. Its arena slot holds
 * [ID | record] (or [ID | public key] for a bootnode given as an enode URL), and the node keeps the shared
 * chunk and an offset; id, raw and pubkey build a view per read. A node with an endpoint is its own
 * NodeAddress. That saves an ID view, a record view and an address object per node (see BENCHMARKS.md, "Scale").
 */
export class CrawlNode implements NodeAddress {
  /** Failed visits in the current cycle (for --retries). */
  failures = 0;
  visits = 0;
  state: NodeState = NodeState.Discovered;
  /** ms since crawl start when first measured (for coverage curves), -1 if never. */
  measuredAtMs = -1;
  /** Whole µs (a small integer lives in the object; a fraction would be a heap number per node), -1 if none. */
  private rtt1Us = -1;
  /** Whole µs like rtt1Us: the same visit's handshake → first response, -1 if none. */
  private rtt2Us = -1;
  /** ms since EPOCH_BASE_MS: small enough to stay in the object for 24 days of crawling. */
  private readonly firstSeenRelMs: number;
  /** Free for the sink: a number it gave the node (the store's edge end), -1 until then. */
  sinkRef = -1;
  /**
   * Nodes that returned this record while its signature is not checked yet (checked at visit time);
   * their edges are written once it verifies. Undefined once verified.
   */
  unverifiedFroms: CrawlNode[] | undefined = undefined;
  /** Where to send: this node itself when its record has an endpoint, a bootnode's bare address, or null. */
  addr: NodeAddress | null = null;
  ip = '';
  port = 0;

  constructor(
    /** The arena chunk holding the node's slot (shared by ~800 nodes). */
    private bytes: Uint8Array,
    /** Where the slot starts in `bytes`: 32 bytes of ID, then the record. */
    private off: number,
    public seq: bigint,
    /** Record length after the ID; 0 for a bootnode given as an enode URL (its public key follows the ID). */
    private rawLen: number,
    /** Offset of the compressed public key after the ID. */
    private pubkeyOffset: number,
    firstSeenMs: number,
    /** How often its record was returned (first sighting included); the queue visits often-returned nodes first. */
    public sightings: number,
  ) {
    this.firstSeenRelMs = Math.round(firstSeenMs - EPOCH_BASE_MS);
  }

  /** The 32-byte node ID, a new view per read: per-packet paths read it once per visit or request. */
  get id(): Uint8Array { return this.bytes.subarray(this.off, this.off + NODE_ID_SIZE); }

  /** The raw record (a new view per read: visits and the sink read it), or null. */
  get raw(): Uint8Array | null {
    const at = this.off + NODE_ID_SIZE;
    return this.rawLen === 0 ? null : this.bytes.subarray(at, at + this.rawLen);
  }

  get pubkey(): Uint8Array {
    const at = this.off + NODE_ID_SIZE + this.pubkeyOffset;
    return this.bytes.subarray(at, at + COMPRESSED_PUBKEY_SIZE);
  }

  /** Whether the node's compressed public key equals pk[at..at+33], without building a view. */
  pubkeyEquals(pk: Uint8Array, at: number): boolean {
    const b = this.bytes, o = this.off + NODE_ID_SIZE + this.pubkeyOffset;
    for (let i = 0; i < COMPRESSED_PUBKEY_SIZE; i++) if (b[o + i] !== pk[at + i]) return false;
    return true;
  }

  /** Log-distance from this node's ID to `other` (as logDistance), without building a view. */
  logDistanceTo(other: Uint8Array): number {
    const b = this.bytes, o = this.off;
    for (let i = 0; i < NODE_ID_SIZE; i++) {
      const x = b[o + i]! ^ other[i]!;
      if (x !== 0) return (NODE_ID_SIZE - i) * 8 - Math.clz32(x) + 24;
    }
    return 0;
  }

  /** Unix ms when the record was first seen. */
  get firstSeenMs(): number { return EPOCH_BASE_MS + this.firstSeenRelMs; }
  /** RTT of the first request of its last measured visit, null before one. */
  get rtt1Ms(): number | null { return this.rtt1Us < 0 ? null : this.rtt1Us / 1000; }
  set rtt1Ms(ms: number | null) { this.rtt1Us = ms === null ? -1 : Math.round(ms * 1000); }
  /** Handshake → first response of the visit whose rtt1 this node holds (the visit that did the handshake), null if none. */
  get rtt2Ms(): number | null { return this.rtt2Us < 0 ? null : this.rtt2Us / 1000; }
  set rtt2Ms(ms: number | null) { this.rtt2Us = ms === null ? -1 : Math.round(ms * 1000); }

  /** Points the node at a new [ID | record] slot (a higher seq) and takes the record's endpoint, if any. */
  setRecord(bytes: Uint8Array, off: number, rawLen: number, pubkeyOffset: number, seq: bigint, enr: Enr): void {
    this.bytes = bytes; this.off = off; this.rawLen = rawLen; this.pubkeyOffset = pubkeyOffset; this.seq = seq;
    this.takeEndpoint(enr);
  }

  /** With an endpoint in its record, the node becomes its own address. */
  takeEndpoint(enr: Enr): void {
    const e = enrEndpoint(enr);
    if (e) { this.ip = e.ip; this.port = e.port; this.addr = this; }
  }
}

/**
 * Known nodes by compressed public key, with no string key per node (a heap string per node adds up at 250k
 * nodes; see BENCHMARKS.md, "Scale"): a Map from a salted 30-bit hash of the key to the node, or to an array of
 * nodes on a collision. Random keys collide a few times in 150k. The hash is salted per process, so crafted keys
 * collide only if their x coordinates share bytes 1..8, which costs ~2^32 key generations per pair: chains stay
 * short. Bound: maxNodes.
 */
export class NodeIndex {
  private readonly m = new Map<number, CrawlNode | CrawlNode[]>();
  private readonly salt = randomFillSync(new Uint32Array(2));
  size = 0;

  /** Smi-sized hash of the key's x coordinate (bytes 1..8; byte 0 is the parity prefix). */
  private hash(pk: Uint8Array, at: number): number {
    const a = (pk[at + 1]! << 24 | pk[at + 2]! << 16 | pk[at + 3]! << 8 | pk[at + 4]!) >>> 0;
    const b = (pk[at + 5]! << 24 | pk[at + 6]! << 16 | pk[at + 7]! << 8 | pk[at + 8]!) >>> 0;
    return (Math.imul(a ^ this.salt[0]!, 0x9e3779b1) ^ Math.imul(b ^ this.salt[1]!, 0x85ebca77)) >>> 2;
  }

  get(pk: Uint8Array, at: number): CrawlNode | undefined {
    const e = this.m.get(this.hash(pk, at));
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return e.pubkeyEquals(pk, at) ? e : undefined;
    for (const n of e) if (n.pubkeyEquals(pk, at)) return n;
    return undefined;
  }

  /** Adds a node not in the index yet, under its own public key. */
  add(n: CrawlNode): void {
    const pk = n.pubkey, h = this.hash(pk, 0);
    const e = this.m.get(h);
    if (e === undefined) this.m.set(h, n);
    else if (Array.isArray(e)) e.push(n);
    else this.m.set(h, [e, n]);
    this.size++;
  }

  delete(n: CrawlNode): boolean {
    const h = this.hash(n.pubkey, 0);
    const e = this.m.get(h);
    if (e === n) { this.m.delete(h); this.size--; return true; }
    if (!Array.isArray(e)) return false;
    const i = e.indexOf(n);
    if (i < 0) return false;
    e.splice(i, 1);
    if (e.length === 1) this.m.set(h, e[0]!);
    this.size--;
    return true;
  }

  *values(): IterableIterator<CrawlNode> {
    for (const e of this.m.values()) {
      if (Array.isArray(e)) yield* e;
      else yield e;
    }
  }
}
