import { readFileSync } from 'node:fs';
import type { EnrFields } from './fields.js';

/** Fork digest -> network, read from data/eth2-networks.json (computed from the consensus specs' parameters). */
export interface DigestInfo { network: string; fork: string; label: string; status: string; epoch: number }

interface DataFile { digests: Record<string, { network: string; fork: string; label: string; status: string; epoch: number }> }

let cache: Map<string, DigestInfo> | null = null;

function load(): Map<string, DigestInfo> {
  if (cache) return cache;
  const file = new URL('../../../data/eth2-networks.json', import.meta.url);
  const d = JSON.parse(readFileSync(file, 'utf8')) as DataFile;
  cache = new Map();
  for (const [k, v] of Object.entries(d.digests)) {
    cache.set(k.replace(/^0x/, ''), { network: v.network, fork: v.fork, label: v.label, status: v.status, epoch: v.epoch });
  }
  return cache;
}

/** Network and fork of a 4-byte fork digest (hex without 0x), or null for unknown networks. */
export function lookupForkDigest(hex: string): DigestInfo | null {
  return load().get(hex.toLowerCase()) ?? null;
}

/** The newest confirmed digest of each network: what a live node advertises today. */
export function currentDigests(): Record<string, string> {
  const best: Record<string, { epoch: number; digest: string }> = {};
  for (const [digest, v] of load()) {
    if (v.status !== 'confirmed') continue;
    const b = best[v.network];
    if (!b || v.epoch > b.epoch) best[v.network] = { epoch: v.epoch, digest };
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
