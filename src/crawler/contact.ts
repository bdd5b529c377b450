/**
 * First contacts (a random packet; a live node answers WHOAREYOU, a dead one nothing) cost one ~100-byte packet
 * and no crypto, so they run ahead of the full visits (handshake and FINDNODE), which cost CPU. A node that
 * answered waits, parked, for a visit token; its challenge must not go stale meanwhile (geth forgets it after
 * 1 s). So contacts go at the rate that feeds the visits (the visit tokens left for new nodes over the share of
 * contacts answered, with headroom), and pause while the parked nodes already fill AHEAD_MS of admissions.
 * Contacts in flight are not counted: dead ones hold their slot for timeout x tries, live ones answer within
 * a round trip, so at this rate at most HEADROOM round trips of admissions arrive after a pause.
 */

/** Admission time the parked nodes may represent before contacts pause: a quarter of geth's challenge lifetime. */
export const AHEAD_MS = 250;
/** Parked nodes that never pause contacts, so a crawl at a few requests per second still proceeds. */
export const MIN_AHEAD = 2;
/** Contacts run this much faster than the visits can take the nodes that answer: the parked queue stays fed. */
export const HEADROOM = 2;
/** Visit tokens per update of the admissions' share of them. */
const SHARE_WINDOW_TOKENS = 64;
/** Weight of the newest window in that share's moving average. */
const SHARE_EWMA = 0.3;
/** Concluded contacts before the answer share is trusted; until then every contact counts as live (cautious). */
const MIN_CONCLUDED = 64;
/**
 * Depth of the contact bucket, in time at the contact limit: a few pump intervals. Contacts sent in a burst are
 * answered in a burst that parks at once; a 50 ms burst after each pause (the visit bucket's depth) left
 * thousands of S-50k nodes parked past LATE_ADMISSION_MS and cost 8 s of t99.
 */
export const CONTACT_BURST_MS = 2;
/** A parked node admitted later than this may find its challenge forgotten (counted as a late admission). */
export const LATE_ADMISSION_MS = 800;

export class ContactAhead {
  private answered = 0;
  private concluded = 0;
  private admits = 0;
  private followUps = 0;
  /** Share of visit tokens that admit parked nodes (the rest go to visits' follow-up requests). */
  private admitShare = 1;

  /** A contact concluded: the node answered WHOAREYOU, or it never did. */
  contactConcluded(answered: boolean): void {
    this.concluded++;
    if (answered) this.answered++;
  }

  /** Share of contacts that draw a WHOAREYOU (1 until enough have concluded). */
  get answerShare(): number {
    return this.concluded < MIN_CONCLUDED ? 1 : Math.max(this.answered, 1) / this.concluded;
  }

  /** A visit token went to a parked node (admit) or to a visit's next request. */
  tokenUsed(admit: boolean): void {
    if (admit) this.admits++; else this.followUps++;
    const n = this.admits + this.followUps;
    if (n < SHARE_WINDOW_TOKENS) return;
    this.admitShare += SHARE_EWMA * (this.admits / n - this.admitShare);
    this.admits = 0;
    this.followUps = 0;
  }

  /** The contact rate that feeds visits at `tokenRatePerSec`, at most `limitPerSec`. */
  contactRate(tokenRatePerSec: number, limitPerSec: number): number {
    return Math.min(limitPerSec, Math.max(1, (tokenRatePerSec * this.admitShare * HEADROOM) / this.answerShare));
  }

  /**
   * Whether contacts may go on, with `parked` nodes waiting (the oldest for `oldestWaitMs`) and visit tokens at
   * `tokenRatePerSec`. The wait catches what the count cannot: a rate that just dropped (the adaptive rate
   * backing off) drains the same queue slower.
   */
  allows(parked: number, oldestWaitMs: number, tokenRatePerSec: number): boolean {
    return oldestWaitMs < AHEAD_MS && parked < Math.max(MIN_AHEAD, (tokenRatePerSec * this.admitShare * AHEAD_MS) / 1000);
  }
}
