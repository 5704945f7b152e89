/**
 * Waiting for a wall-clock time with sub-millisecond lateness: a timer to just short of it, then turns of
 * the event loop (setImmediate) for the last stretch, since a timer alone fires up to a millisecond or more late.
 */
import { setImmediate as immediate, setTimeout as sleep } from "node:timers/promises";

/** Wall-clock epoch seconds with sub-millisecond resolution. */
export function wallClock(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** The margin, milliseconds, left to the event-loop turns after the timer. */
const SPIN_MS = 1.5;

/** Resolves at or just after `due` (epoch seconds by `clock`); resolves false at once if `signal` aborts. */
export async function waitUntil(due: number, clock: () => number, signal?: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal?.aborted) return false;
    const left = (due - clock()) * 1000;
    if (left <= 0) return true;
    try {
      if (left > SPIN_MS + 0.5) await sleep(left - SPIN_MS, undefined, { signal });
      else await immediate(undefined, { signal });
    } catch {
      return false;
    }
  }
}
