// A token bucket: the rate limit of a crawl's requests, contacts or visits.
import { performance } from 'node:perf_hooks';

/** Token bucket: `ratePerSec` sustained, `burst` tokens at most (so a stall is not followed by a flood). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(public ratePerSec: number, readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = Math.min(burst, 1);
    this.last = now();
  }
  /** Takes one token if available. */
  take(): boolean {
    this.refill();
    if (this.tokens >= 1) { this.tokens -= 1; return true; }
    return false;
  }
  available(): number { this.refill(); return Math.floor(this.tokens); }
  /** Changes the sustained rate from now on (tokens earned so far are kept). */
  setRate(ratePerSec: number): void { this.refill(); this.ratePerSec = ratePerSec; }
  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
  }
}
