import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AHEAD_MS, ContactAhead, HEADROOM, MIN_AHEAD } from '../../../src/crawler/contact.js';

describe('ContactAhead: first contacts paced to the visits they feed', () => {
  it('counts every contact as live until enough have concluded, then uses the measured share', () => {
    const g = new ContactAhead();
    for (let i = 0; i < 10; i++) g.contactConcluded(false);
    assert.equal(g.answerShare, 1, 'too few to trust: cautious');
    for (let i = 0; i < 90; i++) g.contactConcluded(i < 25);
    assert.equal(g.answerShare, 0.25);
  });

  it('runs contacts at the visit rate over the answer share, with headroom, under the limit', () => {
    const g = new ContactAhead();
    for (let i = 0; i < 100; i++) g.contactConcluded(i % 4 === 0);
    assert.equal(g.contactRate(1000, 1e9), (1000 * HEADROOM) / 0.25);
    assert.equal(g.contactRate(1000, 3000), 3000, 'never above --contact-rate');
  });

  it('gives contacts the visit tokens follow-up requests leave, never less than a floor', () => {
    const g = new ContactAhead();
    g.tick(0);
    assert.equal(g.admitRate(1000), 1000, 'no follow-ups yet: every token');
    // 900 follow-ups per second for a second, as sweep spends them.
    for (let t = 1; t <= 1000; t++) { if (t % 10 !== 0) g.followUpSent(); if (t % 100 === 0) g.tick(t); }
    assert.ok(g.admitRate(1000) < 200, `${g.admitRate(1000)}`);
    // They stop: the tokens come back to new visits (no stall at a share measured while they ran).
    for (let t = 1001; t <= 3000; t += 100) g.tick(t);
    assert.ok(g.admitRate(1000) > 990, `${g.admitRate(1000)}`);
    // Follow-ups above the token rate (a burst) leave the floor.
    for (let i = 0; i < 5000; i++) g.followUpSent();
    g.tick(3100);
    assert.ok(g.admitRate(1000) > 0);
  });

  it('pauses contacts while the parked nodes fill AHEAD_MS of admissions, or the oldest has waited that long', () => {
    const g = new ContactAhead();
    const room = (1000 * AHEAD_MS) / 1000;
    assert.ok(g.allows(room - 1, 0, 1000));
    assert.ok(!g.allows(room, 0, 1000));
    assert.ok(!g.allows(1, AHEAD_MS, 1000), 'one node, but it has waited too long');
    assert.ok(g.allows(MIN_AHEAD - 1, 0, 0.01), 'a very low rate still proceeds');
  });
});
