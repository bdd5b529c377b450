// Writes data/kad-prefix-table.bin, the preimage table src/libp2p/keys.ts crafts FIND_NODE keys from
// (node scripts/gen-kad-prefix-table.js; about a second; prints the file's SHA-256 for keys.ts).
//
// Entry p (uint32, big-endian, at byte 4p) is the smallest n such that SHA-256 of the 34-byte
// "peer ID" 0x12 0x20 | n as uint32 big-endian | 28 zero bytes starts with the 16 bits p. That is how
// go-libp2p-kbucket has built its keyPrefixMap since 2019 (generate/main.go) and how GenRandPeerID lays
// the entry out, so the same n gives the same bytes on the wire as a Go peer would send.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const PREFIX_BITS = 16;
const ENTRIES = 1 << PREFIX_BITS;
const SHA2_256_CODE = 0x12; // multihash code of sha2-256
const DIGEST_SIZE = 32; // multihash length byte: a 32-byte digest follows
const ID_SIZE = 2 + DIGEST_SIZE;
const ENTRY_SIZE = 4; // uint32 counters, as in Go's [...]uint32 table

const table = new Uint8Array(ENTRIES * ENTRY_SIZE);
const table32 = new DataView(table.buffer);
const found = new Uint8Array(ENTRIES);
const id = Buffer.alloc(ID_SIZE);
id[0] = SHA2_256_CODE;
id[1] = DIGEST_SIZE;
let count = 0;
for (let n = 0; count < ENTRIES; n++) {
  if (n > 0xffffffff) throw new Error('ran out of 32-bit counters');
  id.writeUInt32BE(n, 2);
  const digest = createHash('sha256').update(id).digest();
  const prefix = digest.readUInt16BE(0);
  if (found[prefix] === 0) {
    found[prefix] = 1;
    table32.setUint32(prefix * ENTRY_SIZE, n, false);
    count++;
  }
}

const out = new URL('../data/kad-prefix-table.bin', import.meta.url);
writeFileSync(out, table);
let max = 0;
for (let p = 0; p < ENTRIES; p++) max = Math.max(max, table32.getUint32(p * ENTRY_SIZE, false));
process.stdout.write(`wrote ${table.length} bytes, largest entry ${max}, sha256 ${createHash('sha256').update(table).digest('hex')}\n`);
