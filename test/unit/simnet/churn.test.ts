import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { churnScript, churnToJson, type ChurnParams } from '../../../src/simnet/churn.js';
import { DEFAULT_POPULATION, generatePopulation, type PopulationParams } from '../../../src/simnet/population.js';

/**
 * The discv5 script of two seeded populations, as SHA-256 of its JSON: taken from the script as it was before
 * its schedule was shared with the libp2p simnet, so a refactor that changes one draw or its order fails here.
 * Case one has joiners, co-hosted pairs, moves and seq bumps; case two a heavy-tailed session and final leaves.
 */
const GOLDEN: { pop: Partial<PopulationParams>; churn: ChurnParams; keepUp: number; events: number; sha256: string }[] = [
  {
    pop: { nodes: 600, dead: 10, natFraction: 0, cohostEvery: 50, seed: 'g1' }, keepUp: 3, events: 6793,
    churn: { session: { kind: 'exp', mean: 60 }, offline: { kind: 'uniform', min: 5, max: 40 }, joins: 30, stable: 0.2, leaveForever: 0.1, ipChange: 0.2, seqBump: 0.3, horizonS: 900 },
    sha256: '24280c2c73fc97e8708fefb6bc6092e2b9851eca5bef55cca044fc71689a25c7',
  },
  {
    pop: { nodes: 200, dead: 0, natFraction: 0.02, seed: 7 }, keepUp: 1, events: 1078,
    churn: { session: { kind: 'weibull', scale: 30, shape: 0.6 }, offline: { kind: 'fixed', value: 10 }, joins: 0, stable: 0, leaveForever: 0.3, ipChange: 0.05, seqBump: 0.1, horizonS: 600 },
    sha256: '6332fbd2d29771ee1deab1a247959f19985ec3a8d531126659eb213635616707',
  },
];

describe('discv5 churn script', () => {
  it('is byte-identical to the golden script for a seed', () => {
    for (const g of GOLDEN) {
      const params = { ...DEFAULT_POPULATION, ...g.pop };
      // As startSimnet does: joiners are live identities added after the others.
      params.nodes += g.churn.joins;
      const pop = generatePopulation(params);
      const es = churnScript(pop, params.nodes, g.churn, params.seed, params.liveOctet, g.keepUp);
      assert.equal(es.length, g.events);
      assert.equal(createHash('sha256').update(JSON.stringify(churnToJson(es))).digest('hex'), g.sha256);
    }
  });
});
