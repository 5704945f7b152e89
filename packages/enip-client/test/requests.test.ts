// The session's request table on fake time: deadlines fire in order on one timer, a reply taken in time is never
// timed out, aborts and failAll remove every listener. No socket and no real clock.
import { getEventListeners } from "node:events";
import { AbortError, RequestTimeoutError } from "../src/core/errors.js";
import { type PendingRequest, RequestTable, type TimerSource } from "../src/session/requests.js";

/** A fake clock and timer source: `advance(ms)` moves time and fires the timers that fall due. */
function fakeTime(): {
  clock: () => number;
  timers: TimerSource;
  advance(ms: number): void;
  armed(): number;
} {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fire: () => void }>();
  return {
    clock: () => now,
    timers: {
      set: (fire, ms) => {
        const id = next++;
        timers.set(id, { at: now + ms, fire });
        return id;
      },
      clear: (id) => void timers.delete(id as number),
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fire();
      }
      now = until;
    },
    armed: () => timers.size,
  };
}

function pending(
  table: RequestTable,
  timeout: number,
  signal?: AbortSignal,
): { p: PendingRequest; outcome: () => unknown } {
  let outcome: unknown = "pending";
  const p: PendingRequest = {
    command: 0x6f,
    request: undefined,
    decode: undefined,
    raw: false,
    resolve: (m) => {
      outcome = m;
    },
    reject: (e) => {
      outcome = e;
    },
    deadline: table.now() + timeout,
    timeout,
    signal,
    disposeAbort: undefined,
  };
  return { p, outcome: () => outcome };
}

test("deadlines fire in order on one timer; a request taken before its deadline never times out", () => {
  const time = fakeTime();
  const table = new RequestTable({ clock: time.clock, timers: time.timers });
  const a = pending(table, 300);
  const b = pending(table, 100);
  const c = pending(table, 200);
  table.add(1, a.p);
  table.add(2, b.p);
  table.add(3, c.p);
  expect(time.armed()).toBe(1);
  time.advance(99);
  expect(b.outcome()).toBe("pending");
  time.advance(1);
  expect(b.outcome()).toBeInstanceOf(RequestTimeoutError);
  expect(table.take(3)).toBe(c.p);
  c.p.resolve(new Uint8Array(0));
  time.advance(150);
  expect(c.outcome()).toBeInstanceOf(Uint8Array);
  expect(a.outcome()).toBe("pending");
  time.advance(100);
  expect(a.outcome()).toBeInstanceOf(RequestTimeoutError);
  expect((a.outcome() as Error).message).toMatch(/300 ms/);
  expect(table.size).toBe(0);
  expect(time.armed()).toBe(0);
});

test("abort rejects with AbortError; take, timeouts and failAll leave no listener on the signal", () => {
  const time = fakeTime();
  const table = new RequestTable({ clock: time.clock, timers: time.timers });
  const controller = new AbortController();
  const signal = controller.signal;
  const taken = pending(table, 100, signal);
  const timed = pending(table, 50, signal);
  const failed = pending(table, 100, signal);
  const aborted = pending(table, 100, signal);
  table.add(1, taken.p);
  table.add(2, timed.p);
  table.add(3, failed.p);
  expect(getEventListeners(signal, "abort")).toHaveLength(3);
  table.take(1);
  time.advance(60);
  expect(timed.outcome()).toBeInstanceOf(RequestTimeoutError);
  table.failAll(new Error("gone"));
  expect((failed.outcome() as Error).message).toBe("gone");
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
  table.add(4, aborted.p);
  controller.abort();
  expect(aborted.outcome()).toBeInstanceOf(AbortError);
  expect(table.size).toBe(0);
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
  // An already aborted signal is refused before anything is registered.
  const late = pending(table, 100, signal);
  expect(table.add(5, late.p)).toBe(false);
  expect(late.outcome()).toBeInstanceOf(AbortError);
  expect(table.size).toBe(0);
});
