import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dispersionTruthError } from '../../../src/app/bandwidth-truth.js';
import type { TruthNode } from '../../../src/simnet/simnet.js';

const live = (id: string, bandwidthMbps: number): TruthNode => ({ nodeId: id, enr: '', ip: '127.0.0.1', udp: 1, bandwidthMbps });

describe('dispersion truth error', () => {
  it('relative errors by train length; unresolved trains and nodes outside the truth are not counted', () => {
    const truth = [live('a', 10), live('b', 100), live('c', 50), live('d', 20), live('e', 5)];
    const r = dispersionTruthError([
      { nodeId: 'a', mbps: 11, trainPackets: 2 }, // +10%
      { nodeId: 'b', mbps: 150, trainPackets: 3 }, // +50%
      { nodeId: 'c', mbps: 45, trainPackets: 3 }, // -10%
      { nodeId: 'd', mbps: null, trainPackets: 4 }, // unresolved
      { nodeId: 'e', mbps: 5, trainPackets: 7 }, // exact
      { nodeId: 'zz', mbps: 5, trainPackets: 3 }, // not in the truth
    ], truth);
    assert.deepEqual(r.byTrain['2'], { n: 1, unresolved: 0, medianAbsRelError: 0.1, withinClose: 1, medianRatio: 1.1 });
    assert.deepEqual(r.byTrain['3'], { n: 2, unresolved: 0, medianAbsRelError: 0.3, withinClose: 0.5, medianRatio: 1.2 });
    assert.deepEqual(r.byTrain['4'], { n: 0, unresolved: 1, medianAbsRelError: null, withinClose: null, medianRatio: null });
    assert.deepEqual(r.byTrain['5+'], { n: 1, unresolved: 0, medianAbsRelError: 0, withinClose: 1, medianRatio: 1 });
    assert.deepEqual(r.threePlus, { n: 3, unresolved: 1, medianAbsRelError: 0.1, withinClose: 0.6667, medianRatio: 1 });
    assert.equal(r.all.n, 4);
    assert.deepEqual(Object.fromEntries(Object.entries(r.threePlusByRate).map(([k, v]) => [k, [v.n, v.unresolved]])),
      { '0-10': [1, 0], '10-50': [0, 1], '50-200': [2, 0], '200+': [0, 0] });
  });
});
