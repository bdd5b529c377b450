import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorStats, rttTruthError } from '../../../src/app/rtt-truth.js';
import type { TruthNode } from '../../../src/simnet/simnet.js';
import { toHex } from '../../../src/util/bytes.js';

const id = (b: number) => new Uint8Array(32).fill(b);
const live = (b: number, rttMs: number): TruthNode => ({ nodeId: toHex(id(b)), enr: '', ip: '127.0.0.1', udp: 1, rttMs });

describe('rtt truth error', () => {
  it('takes nearest-rank percentiles and rounds to 10 µs', () => {
    assert.deepEqual(errorStats([]), { n: 0, p50Ms: null, p95Ms: null });
    assert.deepEqual(errorStats([3, 1, 2]), { n: 3, p50Ms: 2, p95Ms: 3 });
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i + 0.123456);
    assert.deepEqual(errorStats(xs), { n: 100, p50Ms: 50.12, p95Ms: 95.12 });
  });

  it('subtracts the truth, and the simnet\'s lateness for the crawler\'s share', () => {
    const truth = [live(1, 100), live(2, 50), live(3, 20)];
    const measured = [
      { id: id(1), rtt1Ms: 103, rtt2Ms: 110 },
      { id: id(2), rtt1Ms: 51, rtt2Ms: null },
      { id: id(3), rtt1Ms: 30, rtt2Ms: 25 },
      { id: id(9), rtt1Ms: 5, rtt2Ms: 5 }, // not in the truth (a phantom): not counted
    ];
    const lateness = { [toHex(id(1))]: [2, 9] as [number, number], [toHex(id(3))]: [10, null] as [number, null] };
    const r = rttTruthError(measured, truth, lateness);
    // rtt1 errors 3, 1, 10; crawler's share 1 (node 1) and 0 (node 3); node 2 has no lateness.
    assert.deepEqual(r.rtt1.overall, { n: 3, p50Ms: 3, p95Ms: 10 });
    assert.deepEqual(r.rtt1.crawler, { n: 2, p50Ms: 0, p95Ms: 1 });
    // rtt2 errors 10 and 5; only node 1 has a response lateness.
    assert.deepEqual(r.rtt2.overall, { n: 2, p50Ms: 5, p95Ms: 10 });
    assert.deepEqual(r.rtt2.crawler, { n: 1, p50Ms: 1, p95Ms: 1 });
  });

  it('reports no crawler share without a lateness report', () => {
    const r = rttTruthError([{ id: id(1), rtt1Ms: 101, rtt2Ms: 102 }], [live(1, 100)], null);
    assert.equal(r.rtt1.overall.n, 1);
    assert.deepEqual(r.rtt1.crawler, { n: 0, p50Ms: null, p95Ms: null });
  });
});
