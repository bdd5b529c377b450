/** An entry the wheel fires once its deadline passes, unless `cancelled` is set first. */
export interface WheelEntry {
  deadlineMs: number;
  cancelled: boolean;
  fire(): void;
}

/**
 * One interval timer for every request timeout (a setTimeout per request costs an allocation,
 * a libuv timer and a heap insert each). Entries land in the slot of their deadline; a slot
 * holds entries of later rounds too, and re-checks them when it comes around. Cancellation is
 * lazy: the owner sets `cancelled`, the wheel drops it when the slot fires.
 */
export class TimerWheel {
  private readonly slots: WheelEntry[][];
  private cursor = 0;
  private lastTickMs: number;
  private timer: NodeJS.Timeout | null = null;
  private live = 0;

  /**
   * @param tickMs resolution; timeouts fire up to one tick late.
   * @param slotCount slots per round; tickMs * slotCount should cover the usual timeout.
   */
  constructor(private readonly tickMs = 10, slotCount = 512, private readonly now: () => number = performanceNow) {
    this.slots = Array.from({ length: slotCount }, () => []);
    this.lastTickMs = this.now();
  }

  get size(): number { return this.live; }

  /** Entries whose fire() threw; each is also told to onError, if set. */
  failures = 0;
  onError: ((e: unknown) => void) | null = null;

  add(e: WheelEntry): void {
    const n = this.slots.length;
    const nowMs = this.now();
    if (this.timer === null) { this.lastTickMs = nowMs; this.start(); }
    const ticks = Math.max(1, Math.ceil((e.deadlineMs - this.lastTickMs) / this.tickMs));
    this.slots[(this.cursor + Math.min(ticks, n - 1)) % n]!.push(e);
    this.live++;
  }

  private start(): void {
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Advances through every slot whose time has come (catches up after a blocked event loop). */
  tick(): void {
    const nowMs = this.now();
    const n = this.slots.length;
    while (this.lastTickMs + this.tickMs <= nowMs) {
      this.lastTickMs += this.tickMs;
      this.cursor = (this.cursor + 1) % n;
      const slot = this.slots[this.cursor]!;
      if (slot.length === 0) continue;
      this.slots[this.cursor] = [];
      for (const e of slot) {
        if (e.cancelled) { this.live--; continue; }
        if (e.deadlineMs <= nowMs) {
          this.live--;
          // One entry's failure must not take the others' timeouts (or the process) with it.
          try { e.fire(); } catch (err) { this.failures++; this.onError?.(err); }
          continue;
        }
        // A later round: put it back where it belongs.
        const ticks = Math.max(1, Math.ceil((e.deadlineMs - this.lastTickMs) / this.tickMs));
        this.slots[(this.cursor + Math.min(ticks, n - 1)) % n]!.push(e);
      }
    }
    if (this.live === 0 && this.timer) { clearInterval(this.timer); this.timer = null; }
  }


  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (let i = 0; i < this.slots.length; i++) this.slots[i] = [];
    this.live = 0;
  }
}

export function performanceNow(): number {
  return performance.now();
}
