import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../util/bytes.js';
import type { EnrFields } from './fields.js';
import { blobParamsAt, computeForkDigest, FORK_DIGEST_SIZE, type BlobParams } from './fork-digest.js';

/** The first fork whose digest carries the blob-parameter mask (EIP-7892); later forks keep it. */
const FIRST_MASKED_FORK = 'fulu';
/** `nfd` when no fork is scheduled. */
const NO_NEXT_FORK = '00'.repeat(FORK_DIGEST_SIZE);

/** What the digests need of one entry of data/eth2-networks.json's `networks[]`. */
export interface NetworkParams {
  name: string;
  genesisValidatorsRoot: string;
  electraBlobParams: BlobParams;
  /** In activation order; epoch null = version defined, not scheduled. */
  forks: readonly { name: string; version: string; epoch: number | null; status: string; onWire: boolean }[];
  blobSchedule: readonly { name: string; epoch: number; maxBlobsPerBlock: number }[];
}

/**
 * What a fork digest names. `status`: `confirmed` or `unconfirmed` (the fork's schedule is taken from primary or
 * only from secondary sources), `projected` (no epoch yet) or `never-on-wire` (overtaken by a fork at the same epoch).
 */
export interface DigestInfo {
  /** Digest, 8 lowercase hex. */
  digest: string;
  network: string;
  /** The consensus fork: `fulu`. */
  fork: string;
  /** The blob-parameter-only fork in force on top of it (`bpo1`), or null. */
  bpo: string | null;
  /** Fork and BPO step, `fulu+bpo1` (`fulu` before any BPO): the data file's `label`. */
  stage: string;
  /** Network and stage, `mainnet/fulu+bpo1`. */
  label: string;
  status: string;
  /** Epoch the digest takes effect; null when unscheduled. */
  epoch: number | null;
}

function info(network: string, fork: string, bpo: string | null, digest: Uint8Array, status: string, epoch: number | null): DigestInfo {
  const stage = bpo ? `${fork}+${bpo}` : fork;
  return { digest: toHex(digest), network, fork, bpo, stage, label: `${network}/${stage}`, status, epoch };
}

/** Every digest of a network, computed from its parameters: one per fork, one per BPO fork that changes it. */
export function networkDigests(n: NetworkParams): DigestInfo[] {
  const gvr = fromHex(n.genesisValidatorsRoot);
  const maskedFrom = n.forks.findIndex((f) => f.name === FIRST_MASKED_FORK);
  const masked = (i: number) => maskedFrom >= 0 && i >= maskedFrom;
  const out: DigestInfo[] = [];
  n.forks.forEach((f, i) => {
    const params = masked(i) ? blobParamsAt(f.epoch, n.blobSchedule, n.electraBlobParams) : null;
    const status = f.epoch === null ? 'projected' : f.onWire ? f.status : 'never-on-wire';
    out.push(info(n.name, f.name, null, computeForkDigest(fromHex(f.version), gvr, params), status, f.epoch));
  });
  for (const b of n.blobSchedule) {
    // The fork in force at the BPO epoch; the last of several at one epoch is the one on the wire.
    let i = -1;
    n.forks.forEach((f, j) => { if (f.epoch !== null && f.epoch <= b.epoch) i = j; });
    const f = n.forks[i];
    // Before the mask, blob parameters do not change the digest; at a fork's own epoch the fork's digest has them.
    if (!f || !masked(i) || f.epoch === b.epoch) continue;
    out.push(info(n.name, f.name, b.name, computeForkDigest(fromHex(f.version), gvr, b), f.status, b.epoch));
  }
  return out;
}

interface Table { byDigest: Map<string, DigestInfo>; networks: readonly string[] }

let cache: Table | null = null;

function load(): Table {
  if (cache) return cache;
  const file = new URL('../../../data/eth2-networks.json', import.meta.url);
  const d = JSON.parse(readFileSync(file, 'utf8')) as { networks: NetworkParams[] };
  const byDigest = new Map<string, DigestInfo>();
  // First one wins on a (2^-32-unlikely) collision; a test checks there is none.
  for (const n of d.networks) for (const e of networkDigests(n)) if (!byDigest.has(e.digest)) byDigest.set(e.digest, e);
  cache = { byDigest, networks: d.networks.map((n) => n.name) };
  return cache;
}

/** Every digest computed from data/eth2-networks.json, networks in file order. */
export function knownDigests(): readonly DigestInfo[] {
  return [...load().byDigest.values()];
}

/** Network names of data/eth2-networks.json in file order: stable, so a network keeps its colour across figures. */
export function knownNetworks(): readonly string[] {
  return load().networks;
}

/** Network and fork of a 4-byte fork digest (hex, `0x` optional), or null for unknown networks. */
export function lookupForkDigest(hex: string): DigestInfo | null {
  return load().byDigest.get(hex.toLowerCase().replace(/^0x/, '')) ?? null;
}

/** `network/fork` of a fork digest (`mainnet/fulu+bpo1`), or null when unknown. */
export function forkLabel(digestHex: string): string | null {
  return lookupForkDigest(digestHex)?.label ?? null;
}

/** The newest confirmed digest of each network: what a live node advertises today. */
export function currentDigests(): Record<string, string> {
  const best: Record<string, { epoch: number; digest: string }> = {};
  for (const v of load().byDigest.values()) {
    if (v.status !== 'confirmed' || v.epoch === null) continue;
    const b = best[v.network];
    if (!b || v.epoch > b.epoch) best[v.network] = { epoch: v.epoch, digest: v.digest };
  }
  return Object.fromEntries(Object.entries(best).map(([k, v]) => [k, v.digest]));
}

/** Network label of a record: the eth2 fork digest's network, else the kind of node it is. */
export function networkOf(f: EnrFields): string {
  if (f.eth2) return lookupForkDigest(f.eth2.forkDigest)?.network ?? `eth2:${f.eth2.forkDigest}`;
  if (f.opstack) return `opstack:${f.opstack.chainId}`;
  if (f.c !== undefined) return 'portal';
  if (f.eth) return 'execution';
  return 'other';
}

/** Fork of a record's eth2 digest (`fulu+bpo1`), or null without eth2 or for an unknown digest. */
export function forkOf(f: EnrFields): string | null {
  return f.eth2 ? lookupForkDigest(f.eth2.forkDigest)?.stage ?? null : null;
}

/** `network/fork` of a record's `nfd` (next fork digest), or null when absent, all zero (none scheduled) or unknown. */
export function nextForkOf(f: EnrFields): string | null {
  return f.nfd && f.nfd !== NO_NEXT_FORK ? forkLabel(f.nfd) : null;
}
