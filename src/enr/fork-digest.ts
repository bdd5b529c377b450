// Consensus-layer fork digests (phase0 and Fulu p2p specs, EIP-7892), as pure functions over bytes.
// data/eth2-networks.README.md walks through the formula.
import { sha256 } from '@noble/hashes/sha2.js';
import { EnrError } from '../util/errors.js';

export const FORK_VERSION_SIZE = 4;
export const ROOT_SIZE = 32;
export const FORK_DIGEST_SIZE = 4;
const UINT64_SIZE = 8;

/** Blob parameters in force from `epoch` on (a BLOB_SCHEDULE entry, or Electra's as the fallback). */
export interface BlobParams { epoch: number; maxBlobsPerBlock: number }

function checkSize(name: string, b: Uint8Array, size: number): void {
  if (b.length !== size) throw new EnrError('ERR_FORK_DIGEST_INPUT', `${name} must be ${size} bytes, got ${b.length}`);
}

function le64(v: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < 0) throw new EnrError('ERR_FORK_DIGEST_INPUT', `not a uint64 epoch or count: ${v}`);
  const b = new Uint8Array(UINT64_SIZE);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

/** hash_tree_root(ForkData): SHA-256 of the version right-padded to a 32-byte leaf, then the genesis validators root. */
export function computeForkDataRoot(forkVersion: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array {
  checkSize('fork version', forkVersion, FORK_VERSION_SIZE);
  checkSize('genesis validators root', genesisValidatorsRoot, ROOT_SIZE);
  const leaves = new Uint8Array(2 * ROOT_SIZE);
  leaves.set(forkVersion, 0);
  leaves.set(genesisValidatorsRoot, ROOT_SIZE);
  return sha256(leaves);
}

/** EIP-7892 mask: SHA-256(le64(epoch) || le64(max_blobs_per_block)). */
export function blobParamsMask(p: BlobParams): Uint8Array {
  const b = new Uint8Array(2 * UINT64_SIZE);
  b.set(le64(p.epoch), 0);
  b.set(le64(p.maxBlobsPerBlock), UINT64_SIZE);
  return sha256(b);
}

/**
 * compute_fork_digest: the fork data root's first 4 bytes; from Fulu on (`blobParams` given) the root is first
 * XORed with the mask of the blob parameters in force.
 */
export function computeForkDigest(forkVersion: Uint8Array, genesisValidatorsRoot: Uint8Array, blobParams: BlobParams | null = null): Uint8Array {
  const root = computeForkDataRoot(forkVersion, genesisValidatorsRoot);
  if (blobParams) {
    const mask = blobParamsMask(blobParams);
    for (let i = 0; i < ROOT_SIZE; i++) root[i] = root[i]! ^ mask[i]!;
  }
  return root.slice(0, FORK_DIGEST_SIZE);
}

/**
 * get_blob_parameters: the schedule entry with the greatest epoch not after `epoch`, else `fallback`.
 * `epoch` null stands for "after every entry" (a fork with no epoch yet is projected that way).
 */
export function blobParamsAt(epoch: number | null, schedule: readonly BlobParams[], fallback: BlobParams): BlobParams {
  let best: BlobParams | null = null;
  for (const e of schedule) if ((epoch === null || e.epoch <= epoch) && (!best || e.epoch > best.epoch)) best = e;
  return best ?? fallback;
}
