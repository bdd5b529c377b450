import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  blobParamsAt, blobParamsMask, computeForkDataRoot, computeForkDigest, FORK_DIGEST_SIZE, ROOT_SIZE, type BlobParams,
} from '../../../src/enr/fork-digest.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { EnrError } from '../../../src/util/errors.js';
import { repoRoot } from '../../helpers.js';

const DATA = JSON.parse(readFileSync(join(repoRoot(), 'data', 'eth2-networks.json'), 'utf8'));
const MAINNET_GVR = fromHex('4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95');
const hex = (b: Uint8Array) => toHex(b);

test('every algorithmTestVectors case of the spec\'s Fulu compute_fork_digest test', () => {
  const v = DATA.algorithmTestVectors;
  const schedule: BlobParams[] = v.config.BLOB_SCHEDULE.map((e: any) => ({ epoch: e.EPOCH, maxBlobsPerBlock: e.MAX_BLOBS_PER_BLOCK }));
  assert.equal(v.config.FULU_FORK_EPOCH, 0, 'every case is at or after Fulu: all are masked');
  // The cases start at the first schedule entry, so the Electra fallback never applies.
  const unused: BlobParams = { epoch: 0, maxBlobsPerBlock: 0 };
  assert.ok(v.cases.length >= 11);
  for (const c of v.cases) {
    assert.ok(c.epoch >= schedule[0]!.epoch);
    const params = blobParamsAt(c.epoch, schedule, unused);
    const got = computeForkDigest(fromHex(c.forkVersion), fromHex(c.genesisValidatorsRoot), params);
    assert.equal('0x' + hex(got), c.expectedDigest, `epoch ${c.epoch} version ${c.forkVersion}`);
  }
});

test('pre-Fulu digests are the fork data root\'s prefix: published mainnet values', () => {
  // eth-clients/mainnet README (phase0), the known Deneb digest, Prysm's topics test (Electra).
  assert.equal(hex(computeForkDigest(fromHex('00000000'), MAINNET_GVR)), 'b5303f2a');
  assert.equal(hex(computeForkDigest(fromHex('04000000'), MAINNET_GVR)), '6a95a1a9');
  assert.equal(hex(computeForkDigest(fromHex('05000000'), MAINNET_GVR)), 'ad532ceb');
});

test('from Fulu the root is XORed with SHA-256(le64 epoch || le64 max blobs): mainnet Fulu and BPO1', () => {
  const fulu = fromHex('06000000');
  assert.equal(hex(computeForkDigest(fulu, MAINNET_GVR, { epoch: 364032, maxBlobsPerBlock: 9 })), 'cc2c5cdb');
  assert.equal(hex(computeForkDigest(fulu, MAINNET_GVR, { epoch: 412672, maxBlobsPerBlock: 15 })), 'cb0d1acc');
  // The mask by hand: 364032 = 0x058e00, little-endian.
  const le = Uint8Array.of(0x00, 0x8e, 0x05, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0);
  assert.deepEqual(blobParamsMask({ epoch: 364032, maxBlobsPerBlock: 9 }), sha256(le));
});

test('the unmasked Fulu and Gloas prefixes are the file\'s nonWireBaseDigests', () => {
  const nets = new Map<string, any>(DATA.networks.map((n: any) => [n.name, n]));
  const entries = Object.entries(DATA.nonWireBaseDigests as Record<string, { network: string; fork: string }>);
  assert.equal(entries.length, 12);
  for (const [digest, { network, fork }] of entries) {
    const n = nets.get(network);
    const f = n.forks.find((x: any) => x.name === fork);
    assert.equal('0x' + hex(computeForkDigest(fromHex(f.version), fromHex(n.genesisValidatorsRoot))), digest, `${network}/${fork}`);
  }
});

test('the fork data root hashes two 32-byte leaves; the digest is 4 bytes', () => {
  const version = Uint8Array.of(1, 2, 3, 4);
  const gvr = new Uint8Array(ROOT_SIZE).fill(7);
  const leaves = new Uint8Array(2 * ROOT_SIZE);
  leaves.set(version); leaves.set(gvr, ROOT_SIZE);
  assert.deepEqual(computeForkDataRoot(version, gvr), sha256(leaves));
  assert.equal(computeForkDigest(version, gvr).length, FORK_DIGEST_SIZE);
  assert.deepEqual(computeForkDigest(version, gvr), sha256(leaves).subarray(0, FORK_DIGEST_SIZE));
});

test('blob parameters in force: the latest entry not after the epoch, else the fallback; null epoch takes the last', () => {
  const fallback = { epoch: 5, maxBlobsPerBlock: 6 };
  const schedule = [{ epoch: 100, maxBlobsPerBlock: 21 }, { epoch: 10, maxBlobsPerBlock: 15 }]; // any order
  assert.equal(blobParamsAt(9, schedule, fallback), fallback);
  assert.equal(blobParamsAt(10, schedule, fallback), schedule[1]);
  assert.equal(blobParamsAt(99, schedule, fallback), schedule[1]);
  assert.equal(blobParamsAt(100, schedule, fallback), schedule[0]);
  assert.equal(blobParamsAt(null, schedule, fallback), schedule[0]);
  assert.equal(blobParamsAt(null, [], fallback), fallback);
});

test('wrong sizes and non-uint64 numbers are refused with a stable code', () => {
  const gvr = new Uint8Array(ROOT_SIZE);
  const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof EnrError && e.code === 'ERR_FORK_DIGEST_INPUT');
  bad(() => computeForkDigest(new Uint8Array(3), gvr));
  bad(() => computeForkDigest(new Uint8Array(4), new Uint8Array(31)));
  bad(() => blobParamsMask({ epoch: -1, maxBlobsPerBlock: 1 }));
  bad(() => blobParamsMask({ epoch: 1, maxBlobsPerBlock: 1.5 }));
});
