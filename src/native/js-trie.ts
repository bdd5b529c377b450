// TypeScript fallback for the native trie: the same design as
// native/src/trie.rs (2^16-way top table + count tree, crit-bit subtrees with
// n leaves and <= n-1 internal nodes, u32 indices, subtree counts) laid out
// in typed arrays so 1e6 IDs stay compact (see BENCHMARKS.md, "Native trie")
// and the GC sees a handful of objects instead of millions.
import { TrieError, TrieErrorCode } from './errors.js';
import {
  DEFAULT_MIN_DISTANCE,
  ID_BITS,
  ID_BYTES,
  MAX_U32,
  type IdTrie,
  type TrieHole,
} from './types.js';
import { checkDepth, checkId, checkIdBatch, checkInt, checkPrefix } from './validate.js';

/** Child references with this bit set point at a leaf (key slot), otherwise at an internal node. */
const LEAF_TAG = 0x8000_0000;
/** Indices must stay below the tag bit, as in the native trie. */
const MAX_ENTRIES = LEAF_TAG - 1;
/** Bits resolved by the direct table (see native/src/trie.rs for the trade-off). */
const TOP_BITS = 16;
const TOP_SLOTS = 2 ** TOP_BITS;
/** Empty table slot: tagged like a leaf but with an index no leaf can have. */
const EMPTY = 0xffff_ffff;
const INITIAL_CAPACITY = 64;
/** Growth factor for the typed-array arenas (amortised O(1) append). */
const GROWTH = 2;
/** Histogram buckets carry at most 20 prefix bits; count * 2^20 + prefix stays below 2^53. */
const HOLE_SORT_SHIFT = 2 ** 20;

function grow<T extends Uint8Array | Uint16Array | Uint32Array>(a: T, minLength: number): T {
  let n = Math.max(a.length, 1);
  while (n < minLength) n *= GROWTH;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** Bit `i` (MSB first) of the 32-byte key at `off` in `buf`. */
function bitAt(buf: Uint8Array, off: number, i: number): number {
  return (buf[off + (i >>> 3)]! >>> (7 - (i & 7))) & 1;
}

/** True if `a` at `aOff` and `b` agree on their first `bits` bits. */
function prefixEq(a: Uint8Array, aOff: number, b: Uint8Array, bits: number): boolean {
  const full = bits >>> 3;
  for (let i = 0; i < full; i++) if (a[aOff + i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[aOff + full]! ^ b[full]!) & mask) === 0;
}

/** Table slot of the key at `off`: its first TOP_BITS bits. */
function slotOf(id: Uint8Array, off: number): number {
  return (id[off]! << 8) | id[off + 1]!;
}

/** First `bits` (<= 16) bits of `prefix`; reads only the bytes that exist for them. */
function prefixBits(prefix: Uint8Array, bits: number): number {
  if (bits === 0) return 0;
  const hi = prefix[0]!;
  const lo = bits > 8 ? prefix[1]! : 0;
  return ((hi << 8) | lo) >>> (TOP_BITS - bits);
}

/** Compares ca * 2^ea with cb * 2^eb exactly (counts < 2^32, exponents <= 256). */
export function scaledCmp(ca: number, ea: number, cb: number, eb: number): number {
  if (ca === 0 || cb === 0) return ca - cb;
  // Divide the other side instead of multiplying: division by a power of two is
  // exact for doubles, whereas ca * 2^s could exceed 2^53.
  if (ea >= eb) {
    const s = ea - eb;
    if (s >= 32) return 1;
    return ca - cb / 2 ** s;
  }
  const s = eb - ea;
  if (s >= 32) return -1;
  return ca / 2 ** s - cb;
}

export class JsIdTrie implements IdTrie {
  private keys = new Uint8Array(INITIAL_CAPACITY * ID_BYTES);
  private keyTop = 0;
  /** Internal node i: children at child[2i], child[2i+1]. */
  private child = new Uint32Array(INITIAL_CAPACITY * 2);
  private count = new Uint32Array(INITIAL_CAPACITY);
  private bit = new Uint16Array(INITIAL_CAPACITY);
  private nodeTop = 0;
  private freeKeys: number[] = [];
  private freeNodes: number[] = [];
  /** Subtree root (or EMPTY) per value of the first TOP_BITS bits. */
  private slots = new Uint32Array(TOP_SLOTS).fill(EMPTY);
  /** levels[2^d + p] = IDs whose first d bits equal p, for d in 0..=TOP_BITS. */
  private levels = new Uint32Array(TOP_SLOTS * 2);
  private len = 0;

  insert(id: Uint8Array): boolean {
    checkId(id);
    return this.insertAt(id, 0);
  }

  remove(id: Uint8Array): boolean {
    checkId(id);
    return this.removeAt(id);
  }

  has(id: Uint8Array): boolean {
    checkId(id);
    return this.hasAt(id, 0);
  }

  size(): number {
    return this.len;
  }

  insertBatch(ids: Uint8Array): number {
    checkIdBatch(ids);
    let added = 0;
    for (let off = 0; off < ids.length; off += ID_BYTES) if (this.insertAt(ids, off)) added++;
    return added;
  }

  hasBatch(ids: Uint8Array): Uint8Array {
    checkIdBatch(ids);
    const out = new Uint8Array(ids.length / ID_BYTES);
    for (let i = 0; i < out.length; i++) out[i] = this.hasAt(ids, i * ID_BYTES) ? 1 : 0;
    return out;
  }

  countPrefix(prefix: Uint8Array, bits: number): number {
    checkPrefix(prefix, bits);
    return this.countPrefixRaw(prefix, bits);
  }

  countsAtDepth(depth: number): Uint32Array {
    checkDepth(depth);
    if (depth <= TOP_BITS) return this.levels.slice(2 ** depth, 2 ** (depth + 1));
    const hist = new Uint32Array(2 ** depth);
    const stack: number[] = [];
    for (let s = 0; s < TOP_SLOTS; s++) if (this.slots[s] !== EMPTY) stack.push(this.slots[s]!);
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (r < LEAF_TAG && this.bit[r]! < depth) {
        stack.push(this.child[2 * r + 1]!, this.child[2 * r]!);
        continue;
      }
      // Below here every ID shares the first `depth` bits, so one leaf names the bucket.
      hist[this.topBits(this.anyLeafOff(r), depth)]! += this.countOf(r);
    }
    return hist;
  }

  holes(depth: number, limit: number): TrieHole[] {
    checkDepth(depth);
    checkInt(limit, 0, MAX_U32, 'limit');
    const hist = this.countsAtDepth(depth);
    const expected = this.len / 2 ** depth;
    // Expected is the same for every bucket, so largest deficit == smallest count.
    // Pack (count, prefix) into one double and sort numerically: no comparator, no objects.
    const keys: number[] = [];
    for (let p = 0; p < hist.length; p++) if (hist[p]! < expected) keys.push(hist[p]! * HOLE_SORT_SHIFT + p);
    const packed = Float64Array.from(keys).sort();
    const n = Math.min(limit, packed.length);
    const out: TrieHole[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = packed[i]!;
      const count = Math.floor(k / HOLE_SORT_SHIFT);
      out[i] = { prefix: k - count * HOLE_SORT_SHIFT, depth, count, expected };
    }
    return out;
  }

  suggestDistance(peerId: Uint8Array, minDistance: number = DEFAULT_MIN_DISTANCE): number {
    return this.suggestDistances(peerId, 1, minDistance)[0]!;
  }

  suggestDistances(peerId: Uint8Array, n: number, minDistance: number = DEFAULT_MIN_DISTANCE): number[] {
    checkId(peerId, 'peerId');
    checkInt(n, 0, ID_BITS, 'n');
    checkInt(minDistance, 1, ID_BITS, 'minDistance');
    const cands: Array<{ d: number; c: number }> = [];
    const prefix = new Uint8Array(peerId);
    for (let d = minDistance; d <= ID_BITS; d++) {
      const split = ID_BITS - d;
      const flip = 0x80 >>> (split & 7);
      prefix[split >>> 3]! ^= flip;
      cands.push({ d, c: this.countPrefixRaw(prefix, split + 1) });
      prefix[split >>> 3]! ^= flip;
    }
    // Deficit ratio 1 - c/(size * 2^(d-1-256)) descending == c * 2^(257-d) ascending.
    cands.sort((a, b) => scaledCmp(a.c, ID_BITS + 1 - a.d, b.c, ID_BITS + 1 - b.d) || b.d - a.d);
    return cands.slice(0, n).map((x) => x.d);
  }

  memoryBytes(): number {
    const POINTER_BYTES = 8; // number[] slots of small integers
    return (
      this.keys.byteLength +
      this.slots.byteLength +
      this.levels.byteLength +
      this.child.byteLength +
      this.count.byteLength +
      this.bit.byteLength +
      (this.freeKeys.length + this.freeNodes.length) * POINTER_BYTES
    );
  }

  // --- internals -------------------------------------------------------

  private countOf(r: number): number {
    return r >= LEAF_TAG ? 1 : this.count[r]!;
  }

  /** Byte offset in `keys` of some leaf under `r`. */
  private anyLeafOff(r: number): number {
    while (r < LEAF_TAG) r = this.child[2 * r]!;
    return (r - LEAF_TAG) * ID_BYTES;
  }

  private topBits(off: number, depth: number): number {
    const k = this.keys;
    const head = ((k[off]! << 24) | (k[off + 1]! << 16) | (k[off + 2]! << 8) | k[off + 3]!) >>> 0;
    return head >>> (32 - depth);
  }

  /** Moves the count-tree entries on the key's path up or down by one. */
  private bumpLevels(top: number, delta: 1 | -1): void {
    for (let d = 0; d <= TOP_BITS; d++) this.levels[(1 << d) + (top >>> (TOP_BITS - d))]! += delta;
  }

  /** The only leaf that can equal the key at `off` in `id`, or EMPTY. */
  private walk(id: Uint8Array, off: number): number {
    let r = this.slots[slotOf(id, off)]!;
    while (r < LEAF_TAG) r = this.child[2 * r + bitAt(id, off, this.bit[r]!)]!;
    return r;
  }

  private leafEquals(r: number, id: Uint8Array, off: number): boolean {
    const k = this.keys;
    const base = (r - LEAF_TAG) * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (k[base + i] !== id[off + i]) return false;
    return true;
  }

  private hasAt(id: Uint8Array, off: number): boolean {
    const r = this.walk(id, off);
    return r !== EMPTY && this.leafEquals(r, id, off);
  }

  private allocLeaf(id: Uint8Array, off: number): number {
    let i = this.freeKeys.pop();
    if (i === undefined) {
      i = this.keyTop++;
      if (this.keyTop * ID_BYTES > this.keys.length) this.keys = grow(this.keys, this.keyTop * ID_BYTES);
    }
    this.keys.set(id.subarray(off, off + ID_BYTES), i * ID_BYTES);
    return i + LEAF_TAG;
  }

  private allocNode(c0: number, c1: number, count: number, bit: number): number {
    let i = this.freeNodes.pop();
    if (i === undefined) {
      i = this.nodeTop++;
      if (this.nodeTop > this.count.length) {
        this.count = grow(this.count, this.nodeTop);
        this.bit = grow(this.bit, this.nodeTop);
        this.child = grow(this.child, this.nodeTop * 2);
      }
    }
    this.child[2 * i] = c0;
    this.child[2 * i + 1] = c1;
    this.count[i] = count;
    this.bit[i] = bit;
    return i;
  }

  private insertAt(id: Uint8Array, off: number): boolean {
    const slot = slotOf(id, off);
    const root = this.slots[slot]!;
    let diff = -1;
    if (root !== EMPTY) {
      // First differing bit between the new key and its closest existing leaf.
      const base = (this.walk(id, off) - LEAF_TAG) * ID_BYTES;
      for (let i = 0; i < ID_BYTES; i++) {
        const x = this.keys[base + i]! ^ id[off + i]!;
        if (x !== 0) {
          diff = i * 8 + Math.clz32(x) - 24;
          break;
        }
      }
      if (diff < 0) return false;
    }
    if (this.len >= MAX_ENTRIES) throw new TrieError(TrieErrorCode.FULL, 'trie is full (2^31-1 entries)');
    this.bumpLevels(slot, 1);
    this.len++;
    if (root === EMPTY) {
      this.slots[slot] = this.allocLeaf(id, off);
      return true;
    }
    // Second descent: the new node sits above the first node whose crit bit is past `diff`.
    let parentSlot = -1; // index into `child`, or -1 for the table slot
    let r = root;
    while (r < LEAF_TAG && this.bit[r]! < diff) {
      this.count[r]!++;
      parentSlot = 2 * r + bitAt(id, off, this.bit[r]!);
      r = this.child[parentSlot]!;
    }
    const leaf = this.allocLeaf(id, off);
    const dir = bitAt(id, off, diff);
    const node = this.allocNode(dir ? r : leaf, dir ? leaf : r, this.countOf(r) + 1, diff);
    if (parentSlot < 0) this.slots[slot] = node;
    else this.child[parentSlot] = node;
    return true;
  }

  private removeAt(id: Uint8Array): boolean {
    const slot = slotOf(id, 0);
    let r = this.slots[slot]!;
    if (r === EMPTY) return false;
    const path: number[] = [];
    while (r < LEAF_TAG) {
      path.push(r);
      r = this.child[2 * r + bitAt(id, 0, this.bit[r]!)]!;
    }
    if (!this.leafEquals(r, id, 0)) return false;
    this.freeKeys.push(r - LEAF_TAG);
    this.len--;
    this.bumpLevels(slot, -1);
    if (path.length === 0) {
      this.slots[slot] = EMPTY;
      return true;
    }
    // Splice the parent out: the sibling takes its place.
    const parent = path[path.length - 1]!;
    const sibling = this.child[2 * parent + 1 - bitAt(id, 0, this.bit[parent]!)]!;
    if (path.length === 1) {
      this.slots[slot] = sibling;
    } else {
      const gp = path[path.length - 2]!;
      this.child[2 * gp + bitAt(id, 0, this.bit[gp]!)] = sibling;
    }
    for (let i = 0; i < path.length - 1; i++) this.count[path[i]!]!--;
    this.freeNodes.push(parent);
    return true;
  }

  private countPrefixRaw(prefix: Uint8Array, bits: number): number {
    if (bits <= TOP_BITS) return this.levels[2 ** bits + prefixBits(prefix, bits)]!;
    let r = this.slots[slotOf(prefix, 0)]!;
    if (r === EMPTY) return 0;
    while (r < LEAF_TAG && this.bit[r]! < bits) r = this.child[2 * r + bitAt(prefix, 0, this.bit[r]!)]!;
    // Everything under r shares the first `bits` bits, so one leaf decides.
    return prefixEq(this.keys, this.anyLeafOff(r), prefix, bits) ? this.countOf(r) : 0;
  }
}
