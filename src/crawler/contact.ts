/**
 * First contacts (a random packet; a live node answers WHOAREYOU, a dead one nothing) cost one ~100-byte packet
 * and no crypto, so they run ahead of the full visits (handshake and FINDNODE), which cost CPU. A node that
 * answered waits, parked, for a visit token; its challenge must not go stale meanwhile (geth forgets it after
 * 1 s). So contacts go at the rate that feeds the visits (the visit tokens follow-up requests leave for new
 * nodes, over the share of contacts answered, with headroom), and pause while the parked nodes already fill
 * AHEAD_MS of admissions.
 * Contacts in flight are not counted: dead ones hold their slot for timeout x tries, live ones answer within
 * a round trip, so at this rate at most HEADROOM round trips of admissions arrive after a pause.
 */

/** Admission time the parked nodes may represent before contacts pause: a quarter of geth's challenge lifetime. */
export const AHEAD_MS = 250;
/** Parked nodes that never pause contacts, so a crawl at a few requests per second still proceeds. */
export const MIN_AHEAD = 2;
/** Contacts run this much faster than the visits can take the nodes that answer: the parked queue stays fed. */
export const HEADROOM = 2;
/** Follow-up requests are counted over windows this long for their rate. */
const FOLLOW_UP_WINDOW_MS = 100;
/** Weight of the newest window in the follow-up rate's moving average (~300 ms). */
const FOLLOW_UP_EWMA = 0.3;
/**
 * Share of the visit tokens new visits may always count on. Follow-ups go first, so with a strategy of many
 * requests per node they could take every token; without a floor the contacts stop, the follow-ups run out,
 * and nothing measures that the tokens became free.
 */
const MIN_ADMIT_SHARE = 0.05;
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
  private followUps = 0;
  private windowStartMs = -1;
  /** Visit tokens per second that follow-up requests (a visit's second and later FINDNODEs) took lately. */
  private followUpRate = 0;

  /** A contact concluded: the node answered WHOAREYOU, or it never did. */
  contactConcluded(answered: boolean): void {
    this.concluded++;
    if (answered) this.answered++;
  }

  /** Share of contacts that draw a WHOAREYOU (1 until enough have concluded). */
  get answerShare(): number {
    return this.concluded < MIN_CONCLUDED ? 1 : Math.max(this.answered, 1) / this.concluded;
  }

  /** A visit token went to a follow-up request. */
  followUpSent(): void { this.followUps++; }

  /** Updates the follow-up rate; call with the clock before reading the rates. */
  tick(nowMs: number): void {
    if (this.windowStartMs < 0) { this.windowStartMs = nowMs; return; }
    const dt = nowMs - this.windowStartMs;
    if (dt < FOLLOW_UP_WINDOW_MS) return;
    this.followUpRate += FOLLOW_UP_EWMA * ((this.followUps * 1000) / dt - this.followUpRate);
    this.followUps = 0;
    this.windowStartMs = nowMs;
  }

  /** Visit tokens per second left for new visits at a token rate of `tokenRatePerSec`. */
  admitRate(tokenRatePerSec: number): number {
    return Math.max(tokenRatePerSec * MIN_ADMIT_SHARE, tokenRatePerSec - this.followUpRate);
  }

  /** The contact rate that feeds visits at `tokenRatePerSec`, at most `limitPerSec`. */
  contactRate(tokenRatePerSec: number, limitPerSec: number): number {
    return Math.min(limitPerSec, Math.max(1, (this.admitRate(tokenRatePerSec) * HEADROOM) / this.answerShare));
  }

  /**
   * Whether contacts may go on, with `parked` nodes waiting (the oldest for `oldestWaitMs`) and visit tokens at
   * `tokenRatePerSec`. The wait catches what the count cannot: a rate that just dropped (the adaptive rate
   * backing off) drains the same queue slower.
   */
  allows(parked: number, oldestWaitMs: number, tokenRatePerSec: number): boolean {
    return oldestWaitMs < AHEAD_MS && parked < Math.max(MIN_AHEAD, (this.admitRate(tokenRatePerSec) * AHEAD_MS) / 1000);
  }
}
