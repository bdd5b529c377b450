/** FIFO ring buffer that grows by doubling up to `maxSize`; push beyond it returns false (caller decides). */
export class RingQueue<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  constructor(initial = 1024, readonly maxSize = Infinity) {
    this.buf = new Array(initial);
  }
  get length(): number { return this.len; }
  push(v: T): boolean {
    if (this.len === this.buf.length) {
      if (this.len >= this.maxSize) return false;
      const nb = new Array<T | undefined>(Math.min(this.buf.length * 2, this.maxSize));
      for (let i = 0; i < this.len; i++) nb[i] = this.buf[(this.head + i) % this.buf.length];
      this.buf = nb;
      this.head = 0;
    }
    this.buf[(this.head + this.len) % this.buf.length] = v;
    this.len++;
    return true;
  }
  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.len--;
    return v;
  }
  peek(): T | undefined { return this.len ? this.buf[this.head] : undefined; }
}
