/** A minimal async queue: producers push, one consumer iterates until close(). */
export class AsyncQueue<T> implements AsyncIterable<T> {
  // A read index rather than shift(): shifting a long array costs its length, and a run may queue a million events.
  private items: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;
  private failure: unknown;
  private roomWaiters: { low: number; resolve: () => void }[] = [];
  /** The consumer stopped iterating: what is pushed after is dropped, and producers never wait. */
  private abandoned = false;

  /** Items pushed and not yet taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /**
   * For a producer that can wait: resolves once the consumer has taken the queue
   * down to `low` items (at once when it is there already, or closed).
   */
  room(low: number): Promise<void> {
    if (this.size <= low || this.closed || this.abandoned) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ low, resolve }));
  }

  private wake(): void {
    if (this.roomWaiters.length === 0) return;
    const size = this.size;
    const ready = this.roomWaiters.filter((w) => size <= w.low || this.closed || this.abandoned);
    if (ready.length === 0) return;
    this.roomWaiters = this.roomWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  push(item: T): void {
    if (this.abandoned) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  close(error?: unknown): void {
    this.closed = true;
    this.failure = error;
    this.wake();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: undefined as T, done: true });
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      yield* this.take();
    } finally {
      this.abandoned = true;
      this.items = [];
      this.head = 0;
      this.wake();
    }
  }

  private async *take(): AsyncGenerator<T> {
    for (;;) {
      if (this.head < this.items.length) {
        const item = this.items[this.head];
        this.items[this.head++] = undefined as T;
        if (this.head === this.items.length) {
          this.items = [];
          this.head = 0;
        }
        this.wake();
        yield item;
        continue;
      }
      if (this.closed) {
        if (this.failure) throw this.failure;
        return;
      }
      const r = await new Promise<IteratorResult<T>>((resolve) => (this.waiting = resolve));
      if (r.done) {
        if (this.failure) throw this.failure;
        return;
      }
      yield r.value;
    }
  }
}
