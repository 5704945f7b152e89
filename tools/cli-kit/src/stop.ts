/** How a server CLI stops: the first SIGINT or SIGTERM gracefully, a second one at once, SIGHUP reopens its log. */
import type { EventEmitter } from "node:events";

/** Waits for `promise` at most `ms`; true when it settled in time. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `watchStopSignals` gives: the stop request, the forced stop, and the release of its listeners. */
export interface StopSignals {
  /** Resolves with the first stop's reason: the signal's name, or what `stop` was given. */
  readonly stopped: Promise<string>;
  /** Resolves when a stop signal comes while already stopping: close every connection now. */
  readonly forced: Promise<void>;
  /** Asks for a graceful stop from elsewhere (e.g. a web API's `done`); a later signal then forces it. */
  stop(reason: string): void;
  /** Stops reopening the log on SIGHUP (at the start of shutdown). */
  releaseHangup(): void;
  /** Removes every listener (once shutdown no longer needs the second signal). */
  release(): void;
}

/**
 * Listens on `signals` (`process` in the real CLIs; none in tests that do not need it): the first SIGINT or SIGTERM
 * resolves `stopped`, another while stopping resolves `forced`, and SIGHUP calls `onHangup`.
 */
export function watchStopSignals(signals: EventEmitter | undefined, onHangup: () => void): StopSignals {
  let stopping = false;
  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => {
    resolveStopped = resolve;
  });
  let resolveForced!: () => void;
  const forced = new Promise<void>((resolve) => {
    resolveForced = resolve;
  });
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    resolveStopped(reason);
  };
  const onStopSignal = (name: string) => () => (stopping ? resolveForced() : stop(name));
  const onSigint = onStopSignal("SIGINT");
  const onSigterm = onStopSignal("SIGTERM");
  signals?.on("SIGINT", onSigint);
  signals?.on("SIGTERM", onSigterm);
  signals?.on("SIGHUP", onHangup);
  const releaseHangup = (): void => {
    signals?.off("SIGHUP", onHangup);
  };
  return {
    stopped,
    forced,
    stop,
    releaseHangup,
    release: () => {
      releaseHangup();
      signals?.off("SIGINT", onSigint);
      signals?.off("SIGTERM", onSigterm);
    },
  };
}
