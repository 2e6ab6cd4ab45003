import type { Timers, TimerHandle } from '../../src/loop/timers.js';

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A hand-driven clock: timers fire only inside advanceTo/advanceBy, in due order. */
export class FakeTimers implements Timers {
  private next = 1;
  private queue: Array<{ id: number; at: number; fn: () => void }> = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.queue.push({ id, at: this.t + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(h: TimerHandle): void {
    this.queue = this.queue.filter((q) => q.id !== h.id);
  }
  /** Due times of armed timers, ascending. */
  pending(): number[] {
    return this.queue.map((q) => q.at).sort((a, b) => a - b);
  }
  async advanceTo(ms: number): Promise<void> {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const q = this.queue[0];
      if (!q || q.at > ms) break;
      this.queue.shift();
      this.t = Math.max(this.t, q.at);
      q.fn();
      await flush();
    }
    this.t = Math.max(this.t, ms);
    await flush();
  }
  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }
}
