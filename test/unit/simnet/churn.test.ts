import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { churnSchedule, churnScript, churnToJson, type ChurnParams, type ScheduledEvent } from '../../../src/simnet/churn.js';
import { libp2pChurnScript } from '../../../src/simnet/libp2p/churn.js';
import { libp2pPopulation } from '../../../src/simnet/libp2p/population.js';
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

describe('churn schedule', () => {
  const c: ChurnParams = { session: { kind: 'exp', mean: 20 }, offline: { kind: 'exp', mean: 10 }, joins: 5, stable: 0.3, leaveForever: 0.2, ipChange: 0, seqBump: 0, horizonS: 300 };
  const plain = (seed: string, p = c) => churnSchedule(100, p, seed, 4, () => (e: ScheduledEvent) => e);

  it('keeps the bootnodes and a stable share up, alternates each node\'s events, ends at a leave', () => {
    const es = plain('s');
    assert.deepEqual(plain('s'), es, 'the same seed, the same schedule');
    assert.notDeepEqual(plain('t'), es);
    const perNode = new Map<number, ScheduledEvent[]>();
    for (const e of es) perNode.set(e.node, [...perNode.get(e.node) ?? [], e]);
    for (let i = 0; i < 4; i++) assert.ok(!perNode.has(i), `bootnode ${i} never churns`);
    // Of the 91 others that could go down, a stable share of 0.3 stays up (with room for the draw).
    const churning = [...perNode.keys()].filter((i) => i < 95).length;
    assert.ok(churning > 91 * 0.5 && churning < 91 * 0.9, String(churning));
    for (const [i, ev] of perNode) {
      const first = i >= 95 ? 'join' : 'down';
      assert.equal(ev[0]!.kind === 'leave' ? 'down' : ev[0]!.kind, first, `node ${i}`);
      ev.forEach((e, k) => {
        assert.ok(e.tMs >= 0 && e.tMs < c.horizonS * 1000);
        if (k > 0) assert.ok(e.tMs >= ev[k - 1]!.tMs);
        if (e.kind === 'leave') assert.equal(k, ev.length - 1, 'a leave is final');
      });
      // After the first event they alternate: up after each down, down (or leave) after each up or join.
      for (let k = 1; k < ev.length; k++) assert.equal(ev[k]!.kind === 'up', ev[k - 1]!.kind === 'down', `node ${i} event ${k}`);
    }
    assert.ok(es.some((e) => e.kind === 'leave') && es.filter((e) => e.kind === 'join').length === 5);
    for (let k = 1; k < es.length; k++) assert.ok(es[k]!.tMs > es[k - 1]!.tMs || (es[k]!.tMs === es[k - 1]!.tMs && es[k]!.node > es[k - 1]!.node));
  });

  it('cuts first sessions at a uniform point: the first downs spread over a session, not all at its end', () => {
    const fixed = plain('u', { ...c, session: { kind: 'fixed', value: 100 }, joins: 0, stable: 0, leaveForever: 0 });
    const firstDown = new Map<number, number>();
    for (const e of fixed) if (!firstDown.has(e.node)) firstDown.set(e.node, e.tMs);
    const ts = [...firstDown.values()];
    assert.ok(ts.every((t) => t <= 100_000));
    assert.ok(ts.filter((t) => t < 50_000).length > ts.length / 4 && ts.filter((t) => t >= 50_000).length > ts.length / 4);
  });

  it('gives the libp2p simnet the same timing at each node\'s own address, and refuses what it cannot script', () => {
    const pop = libp2pPopulation({ nodes: 50, seed: 'x', port: 4001, tablePeers: 10 });
    const p = { ...c, joins: 0 };
    const es = libp2pChurnScript(pop, p, 'x', 2);
    assert.deepEqual(es.map(({ tMs, node, kind }) => ({ tMs, node, kind })), churnSchedule(50, p, 'libp2p/x', 2, () => (e: ScheduledEvent) => e));
    for (const e of es) assert.deepEqual([e.ip, e.port], [pop[e.node]!.ip, 4001]);
    for (const [k, flag] of [['joins', 'joins'], ['ipChange', 'ip-change'], ['seqBump', 'seq-bump']] as const) {
      assert.throws(() => libp2pChurnScript(pop, { ...p, [k]: 1 }, 'x', 2), { code: 'ERR_SIMNET_CONFIG', message: new RegExp(`--${flag} must be 0`) });
    }
  });
});
