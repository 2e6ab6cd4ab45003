/** An armed timer; opaque to callers. */
export type TimerHandle = { readonly id: number };

/**
 * The clock and timers the loop uses, injected so tests can drive time. `setTimeout` accepts
 * any delay (the real one re-arms past Node's 2^31-1 ms limit instead of firing at once).
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}

/** Node's setTimeout fires after 1 ms when asked for more than this. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Real wall clock and timers. Long delays are split into chunks of at most MAX_TIMEOUT_MS. */
export function realTimers(): Timers {
  let next = 1;
  const live = new Map<number, NodeJS.Timeout>();
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = next++;
      const due = Date.now() + Math.max(0, ms);
      const arm = () => {
        // re-measure on every chunk: the wall clock may have been stepped meanwhile
        const left = due - Date.now();
        if (left <= 0) {
          live.delete(id);
          fn();
          return;
        }
        live.set(id, setTimeout(arm, Math.min(left, MAX_TIMEOUT_MS)));
      };
      live.set(id, setTimeout(arm, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS)));
      return { id };
    },
    clearTimeout(h) {
      const t = live.get(h.id);
      if (t) clearTimeout(t);
      live.delete(h.id);
    },
  };
}
