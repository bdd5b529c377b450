// The libp2p simnet's churn script: the discv5 simnet's timing (`churnSchedule`), drawn from the seed by the
// coordinator and by every shard alike, with nodes that always come back where they were.
import { churnSchedule, type ChurnParams, type ScheduledEvent } from '../churn.js';
import { SimnetError } from '../errors.js';
import type { Libp2pNodeSpec } from './population.js';

/** A scripted event of one node, at its listen address. */
export interface Libp2pChurnEvent extends ScheduledEvent { ip: string; port: number }

/**
 * Churn parameters a libp2p simnet takes only as 0, by key, with their flag and why: every table is filled
 * from the population at start, so a joiner or a node on a new address would be in none; a peer ID carries no
 * record seq.
 */
export const LIBP2P_ZERO_CHURN = {
  joins: { flag: 'joins', why: 'no table would list a joiner' },
  ipChange: { flag: 'ip-change', why: 'a node comes back on the address the tables hold' },
  seqBump: { flag: 'seq-bump', why: 'a libp2p peer has no record seq' },
} as const satisfies Partial<Record<keyof ChurnParams, { flag: string; why: string }>>;

/** Throws ERR_SIMNET_CONFIG for churn parameters the libp2p simnet cannot script. */
export function validateLibp2pChurn(c: ChurnParams): void {
  for (const [k, { flag, why }] of Object.entries(LIBP2P_ZERO_CHURN)) {
    if (c[k as keyof typeof LIBP2P_ZERO_CHURN] !== 0) throw new SimnetError('ERR_SIMNET_CONFIG', `libp2p simnet: --${flag} must be 0 (${why})`);
  }
}

/** The script of a population; the first `keepUp` nodes (the bootnodes) never go down. */
export function libp2pChurnScript(pop: readonly Libp2pNodeSpec[], c: ChurnParams, seed: string | number, keepUp: number): Libp2pChurnEvent[] {
  validateLibp2pChurn(c);
  // Its own stream (the population draws from `libp2p/<seed>`), apart from a discv5 simnet's of the same seed.
  return churnSchedule(pop.length, c, `libp2p/${seed}`, keepUp, (i) => (e) => ({ ...e, ip: pop[i]!.ip, port: pop[i]!.port }));
}
