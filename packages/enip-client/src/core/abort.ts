/**
 * The one way the client listens to a caller's AbortSignal: add the listener, keep the function that removes it,
 * call that when the operation settles. A long-lived signal (one per poller, reused for every reconnect) then
 * never collects listeners. Written out here rather than taken from Node's `events.addAbortListener` (experimental
 * in Node 20, and Node-only) so that the session and operation layers use nothing but the DOM `AbortSignal`.
 */

/** Removes the listener `addAbortListener` added; calling it again does nothing. */
export type AbortDisposer = () => void;

/** The disposer of "no signal, no listener". */
const NOTHING_TO_REMOVE: AbortDisposer = () => undefined;

/**
 * Calls `listener` once when `signal` aborts and returns the disposer that removes it; with no `signal` nothing is
 * added. The caller checks `signal.aborted` first: an already aborted signal never fires again.
 */
export function addAbortListener(signal: AbortSignal | undefined, listener: () => void): AbortDisposer {
  if (signal === undefined) return NOTHING_TO_REMOVE;
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
