import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_CONFIDENT_TRAIN_PACKETS, NO_DISPERSION, QUEUE_SLACK_FRACTION, TrainLog } from '../../../src/crawler/dispersion.js';

/** ns a packet of `size` bytes takes at `mbps` Mbit/s. */
const gapNs = (size: number, mbps: number) => (size * 8_000) / mbps;

/** Feeds one train: packets of `sizes`, the first at `startNs`, each next one `gap(i)` ns after the previous. */
function train(log: TrainLog, delayNs: number, startNs: number, sizes: number[], gap: (i: number) => number): void {
  let t = startNs;
  for (let i = 0; i < sizes.length; i++) {
    if (i > 0) t += gap(i);
    log.packet(t, sizes[i]!);
  }
  log.endTrain(delayNs);
}

const close = (got: number | null, want: number, tol = 1e-9) => {
  assert.ok(got !== null && Math.abs(got / want - 1) <= tol, `got ${got}, want ${want}`);
};

describe('reply-train dispersion', () => {
  it('gives a train\'s rate back from its spacing, whatever its packet sizes', () => {
    const sizes = [1200, 1100, 950, 300];
    const log = new TrainLog();
    train(log, 20e6, 5e9, sizes, (i) => gapNs(sizes[i]!, 50));
    const e = log.estimate();
    close(e.mbps, 50);
    assert.equal(e.trainPackets, 4);
    assert.equal(e.lowConfidence, false);
  });

  it('pools the trains of a visit: their bytes over their spans', () => {
    const log = new TrainLog();
    train(log, 20e6, 1e9, [1000, 1000, 1000], () => gapNs(1000, 40));
    train(log, 20.5e6, 2e9, [1000, 1000, 1000, 1000, 1000], () => gapNs(1000, 40));
    const e = log.estimate();
    close(e.mbps, 40);
    assert.equal(e.trainPackets, 5, 'the longest train used');
  });

  it('a pair squeezed by receive batching and the next one stretched cancel out', () => {
    const log = new TrainLog();
    const g = gapNs(1000, 20);
    // The second packet is held and timestamped with the third: a zero gap, then a double one.
    train(log, 10e6, 0, [1000, 1000, 1000, 1000], (i) => (i === 1 ? 2 * g : i === 2 ? 0 : g));
    close(log.estimate().mbps, 20);
  });

  it('leaves out a train that met a queue on the way (its first packet came late) and the spacing it brought', () => {
    const log = new TrainLog();
    train(log, 30e6, 1e9, [1000, 1000, 1000, 1000], () => gapNs(1000, 100));
    // Waited twice as long, its spacing stretched by whatever held it.
    train(log, 60e6, 2e9, [1000, 1000, 1000, 1000], (i) => (i === 2 ? 5e6 : gapNs(1000, 100)));
    // Within the slack of the quickest: a train like any other.
    train(log, 30e6 * (1 + QUEUE_SLACK_FRACTION / 2), 3e9, [1000, 1000, 1000], () => gapNs(1000, 100));
    const e = log.estimate();
    close(e.mbps, 100);
    assert.equal(e.trainPackets, 4);
  });

  it('flags a visit whose longest train is one pair as low confidence, and still estimates it', () => {
    const log = new TrainLog();
    train(log, 5e6, 0, [800, 800], () => gapNs(800, 10));
    const e = log.estimate();
    close(e.mbps, 10);
    assert.equal(e.trainPackets, 2);
    assert.ok(MIN_CONFIDENT_TRAIN_PACKETS > 2);
    assert.equal(e.lowConfidence, true);
  });

  it('a train whose packets all arrived at once has no rate: null, low confidence', () => {
    const log = new TrainLog();
    train(log, 5e6, 7e9, [1000, 1000, 1000], () => 0);
    assert.deepEqual(log.estimate(), { mbps: null, trainPackets: 3, lowConfidence: true });
  });

  it('no train of two packets: no estimate; single packets and empty replies are skipped', () => {
    const log = new TrainLog();
    assert.deepEqual(log.estimate(), NO_DISPERSION);
    train(log, 5e6, 0, [1000], () => 0);
    log.endTrain(6e6); // a reply with no NODES
    assert.deepEqual(log.estimate(), NO_DISPERSION);
    // A later train stands alone: the single packet before it is not its first.
    train(log, 5e6, 1e9, [500, 1000], () => gapNs(1000, 25));
    close(log.estimate().mbps, 25);
  });

  it('a train of unknown delay is kept', () => {
    const log = new TrainLog();
    train(log, Infinity, 0, [1000, 1000, 1000], () => gapNs(1000, 8));
    close(log.estimate().mbps, 8);
  });
});
