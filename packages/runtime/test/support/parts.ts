/** Helpers of the part tests: sampling trace variables until they settle, the CRITICAL log, status and handle waits. */
import type { RuntimeObject } from "../../src/index.js";

/** How long a part test waits for a value, a status or handles to settle. */
export const SETTLE_MS = 10_000;

/**
 * Samples the trace variables named `names` until `done` holds for their values, or until they equal `done` when it
 * is a list of values; resolves them (10 s deadline, then throws with the last sample).
 */
export async function traceUntil(
  runtime: RuntimeObject,
  names: string[],
  until: ((values: unknown[]) => boolean) | unknown[],
): Promise<unknown[]> {
  const done =
    typeof until === "function" ? until : (v: unknown[]) => JSON.stringify(v) === JSON.stringify(until);
  const all = await runtime.TraceableVariables();
  for (const name of names) if (!all.includes(name)) throw new Error(`no trace variable ${name} in ${all}`);
  const token = await runtime.SetTraceVariablesList(names.map((n) => [all.indexOf(n), null] as const));
  const deadline = Date.now() + SETTLE_MS;
  let last: unknown[] = [];
  while (Date.now() < deadline) {
    const [status, samples] = await runtime.GetTraceVariables(token);
    if (status !== "Started") throw new Error(`the program is ${status} while tracing ${names.join(", ")}`);
    last = samples[0]?.[1] ?? [];
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`trace variables ${names.join(", ")} never got there: ${JSON.stringify(last)}`);
}

/** The CRITICAL log messages so far, joined by newlines. */
export async function criticals(runtime: RuntimeObject): Promise<string> {
  const out: string[] = [];
  const [, counts] = await runtime.GetPLCstatus();
  for (let id = 0; id < counts[0]; id++) out.push(((await runtime.GetLogMessage(0, id)) ?? [""])[0]);
  return out.join("\n");
}

/** Resolves once the runtime's status is `status` (10 s deadline). */
export async function statusBecomes(runtime: RuntimeObject, status: string): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (runtime.status !== status) {
    if (Date.now() > deadline) throw new Error(`status stayed ${runtime.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The active timers, sockets and listeners of this process, counted by kind. */
export function handles(): Record<string, number> {
  const out: Record<string, number> = { Timeout: 0, TCPSocketWrap: 0, TCPServerWrap: 0 };
  for (const kind of process.getActiveResourcesInfo()) if (kind in out) out[kind] = (out[kind] as number) + 1;
  return out;
}

/**
 * Resolves the kinds of handle that outnumber `before` (with their counts now), waiting up to 10 s for them to go:
 * `{}` once none is left over (a closed listener leaves the list a moment after its close callback; a timer that
 * was pending in `before` may be gone), a leak shows as a kind that stays above its count.
 */
export async function handlesLeftOver(before: Record<string, number>): Promise<Record<string, number>> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const now = handles();
    const over = Object.fromEntries(Object.entries(now).filter(([kind, n]) => n > (before[kind] ?? 0)));
    if (Object.keys(over).length === 0 || Date.now() > deadline) return over;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
