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

  it('slows contacts when visit tokens go to follow-up requests (multi-request strategies)', () => {
    const g = new ContactAhead();
    const before = g.contactRate(1000, 1e9);
    // One admission per 16 tokens, as sweep spends them.
    for (let i = 0; i < 64 * 20; i++) g.tokenUsed(i % 16 === 0);
    const after = g.contactRate(1000, 1e9);
    assert.ok(after < before / 8, `${after} vs ${before}`);
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
