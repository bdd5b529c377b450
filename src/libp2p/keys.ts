import { readFileSync } from 'node:fs';
import { sha256, SHA256_SIZE } from '../crypto/hash.js';
import { KadError } from '../util/errors.js';

/**
 * Kademlia keys for bucket-targeted FIND_NODE. A libp2p peer places a peer ID (or any key) at SHA-256 of its
 * bytes, and answers FIND_NODE with the peers closest to SHA-256 of the key sent. To read a peer's bucket c,
 * send a key whose hash shares exactly c leading bits with the peer's own Kademlia ID. SHA-256 cannot be
 * steered, so the keys come from a table of preimages, the one go-libp2p-kbucket and js-libp2p kad-dht use
 * for their bucket refreshes (see data/kad-prefix-table.README.md).
 */

/** A Kademlia ID is a SHA-256 digest. */
export const KAD_ID_SIZE = SHA256_SIZE;
/** Multihash code of sha2-256, the first byte of the peer IDs the table's keys are shaped as. */
export const SHA2_256_MULTIHASH_CODE = 0x12;
/** Bytes of such a peer ID: code, digest length, digest. */
export const CRAFTED_KEY_SIZE = 2 + KAD_ID_SIZE;
/** Leading hash bits the preimage table fixes. */
export const PREFIX_TABLE_BITS = 16;
/**
 * Deepest bucket a key can be crafted for: an exact CPL of c fixes c + 1 bits (c shared, the next one
 * flipped) and the table fixes 16. go-libp2p-kbucket (maxCplForRefresh) and js-libp2p stop at the same 15.
 * Bucket c of a network of N peers holds about N / 2^(c+1) of them, so past 15 a crawl of the tens of
 * thousands of IPFS DHT servers would mostly ask for empty buckets.
 */
export const MAX_CRAFTED_CPL = PREFIX_TABLE_BITS - 1;

const TABLE_ENTRIES = 1 << PREFIX_TABLE_BITS;
/** Entries are uint32, big-endian, as Go's []uint32 table and the key layout hold them. */
const TABLE_ENTRY_SIZE = 4;
/** Offset of the entry in a crafted key, after the multihash code and length bytes. */
const KEY_COUNTER_OFFSET = 2;
/** SHA-256 of data/kad-prefix-table.bin as scripts/gen-kad-prefix-table.js writes it. */
const TABLE_SHA256 = 'c873d6284aaf8bacddb12e24f1e923c045732a1d9df64dddc677c1f727e4451a';
const TABLE_FILE = new URL('../../../data/kad-prefix-table.bin', import.meta.url);
const PREFIX_MASK = TABLE_ENTRIES - 1;
const TOP_PREFIX_BIT = TABLE_ENTRIES >>> 1;
const BITS_PER_BYTE = 8;

let table: DataView | null = null;

/** Checks a preimage table's size and digest; a truncated or edited file would silently aim at wrong buckets. */
export function parsePrefixTable(bytes: Uint8Array): DataView {
  if (bytes.length !== TABLE_ENTRIES * TABLE_ENTRY_SIZE) {
    throw new KadError('ERR_KAD_TABLE', `kad prefix table: ${bytes.length} bytes, want ${TABLE_ENTRIES * TABLE_ENTRY_SIZE}`);
  }
  if (Buffer.from(sha256(bytes)).toString('hex') !== TABLE_SHA256) {
    throw new KadError('ERR_KAD_TABLE', 'kad prefix table: digest does not match');
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function prefixTable(): DataView {
  if (table) return table;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(TABLE_FILE);
  } catch (e) {
    throw new KadError('ERR_KAD_TABLE', `kad prefix table: cannot read ${TABLE_FILE.pathname}: ${(e as Error).message}`);
  }
  table = parsePrefixTable(bytes);
  return table;
}

/** A peer's Kademlia ID: SHA-256 of its peer-ID bytes (the multihash), as Go and JS peers compute it. */
export function kadId(peerId: Uint8Array): Uint8Array {
  return sha256(peerId);
}

/** Number of leading bits two Kademlia IDs share (KAD_ID_SIZE * 8 when equal). */
export function commonPrefixLen(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== KAD_ID_SIZE || b.length !== KAD_ID_SIZE) {
    throw new KadError('ERR_KAD_ID_SIZE', `kad id: ${a.length} and ${b.length} bytes, want ${KAD_ID_SIZE}`);
  }
  for (let i = 0; i < KAD_ID_SIZE; i++) {
    const x = a[i]! ^ b[i]!;
    // clz32 counts within 32 bits; a byte sits in the low 8.
    if (x !== 0) return i * BITS_PER_BYTE + Math.clz32(x) - (32 - BITS_PER_BYTE);
  }
  return KAD_ID_SIZE * BITS_PER_BYTE;
}

/** The table's key for a 16-bit prefix: a sha2-256-shaped peer ID whose SHA-256 starts with `prefix`. */
export function keyForPrefix(prefix: number): Uint8Array {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > PREFIX_MASK) {
    throw new KadError('ERR_KAD_PREFIX', `kad key prefix ${prefix} is not a ${PREFIX_TABLE_BITS}-bit number`);
  }
  const key = new Uint8Array(CRAFTED_KEY_SIZE);
  key[0] = SHA2_256_MULTIHASH_CODE;
  key[1] = KAD_ID_SIZE;
  const counter = prefixTable().getUint32(prefix * TABLE_ENTRY_SIZE, false);
  new DataView(key.buffer).setUint32(KEY_COUNTER_OFFSET, counter, false);
  return key;
}

/**
 * A FIND_NODE key whose SHA-256 shares exactly `cpl` leading bits with `targetKadId` (0..MAX_CRAFTED_CPL): the
 * target's first `cpl` bits, the next one flipped, the rest of the 16 from `rand` (uniform in [0, 1)). This is
 * the key go-libp2p-kbucket's GenRandPeerID would make for the same random bits.
 */
export function keyForCpl(targetKadId: Uint8Array, cpl: number, rand: () => number): Uint8Array {
  if (!Number.isInteger(cpl) || cpl < 0 || cpl > MAX_CRAFTED_CPL) {
    throw new KadError('ERR_KAD_CPL', `kad key: cpl ${cpl} outside 0..${MAX_CRAFTED_CPL}`);
  }
  if (targetKadId.length !== KAD_ID_SIZE) {
    throw new KadError('ERR_KAD_ID_SIZE', `kad id: ${targetKadId.length} bytes, want ${KAD_ID_SIZE}`);
  }
  const targetPrefix = (targetKadId[0]! << BITS_PER_BYTE) | targetKadId[1]!;
  const flipped = targetPrefix ^ (TOP_PREFIX_BIT >>> cpl);
  // The top cpl + 1 bits come from the target (one of them flipped); the others are free.
  const fixed = (PREFIX_MASK << (MAX_CRAFTED_CPL - cpl)) & PREFIX_MASK;
  const random = Math.floor(rand() * TABLE_ENTRIES) & PREFIX_MASK;
  return keyForPrefix((flipped & fixed) | (random & ~fixed & PREFIX_MASK));
}
