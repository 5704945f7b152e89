/** The one way the poller listens to a caller's AbortSignal: add the listener, and remove it when the operation settles. */

/** Removes the listener `onAbort` added; calling it again does nothing. */
export type AbortDisposer = () => void;

const NOTHING: AbortDisposer = () => undefined;

/** Calls `listener` once when `signal` aborts and returns the disposer; with no `signal` nothing is added. */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): AbortDisposer {
  if (signal === undefined) return NOTHING;
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
