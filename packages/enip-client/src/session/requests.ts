/**
 * The table of requests in flight: each under its reply key (sender context, or sequence count above
 * `SEQUENCE_KEY_BASE`), with its deadline and its abort listener. One timer, armed for the earliest deadline,
 * sweeps the expired ones. The clock and the timers are injected, so that tests can run on fake time.
 */
import type { CipReply, CipRequest, EnipDecodeOptions, EnipMessage } from "@cpppo/cip-codec";
import { type AbortDisposer, addAbortListener } from "../core/abort.js";
import { AbortError, RequestTimeoutError } from "../core/errors.js";

/** Replies matched by sequence count live above every sender-context key. */
export const SEQUENCE_KEY_BASE = 0x1_0000_0000;

/** One request in flight. */
export interface PendingRequest {
  /** The encapsulation command it went in (its reply comes in the same one). */
  command: number;
  /** The request as sent (with any Unconnected Send wrapper): the decoder's hint. */
  request: CipRequest | undefined;
  decode: EnipDecodeOptions | undefined;
  /** Hand the reply frame over undecoded: `resolve` then receives the frame's bytes. */
  raw: boolean;
  /**
   * The request whose CIP reply `resolve` receives (checked by the session to answer it), rather than the whole
   * decoded frame: one promise per request instead of two.
   */
  answers?: CipRequest;
  resolve(message: EnipMessage | Uint8Array | CipReply): void;
  reject(error: Error): void;
  /** Milliseconds of the clock by which the reply must be in. */
  deadline: number;
  timeout: number;
  signal: AbortSignal | undefined;
  /** Removes the abort listener of `signal` (set once the request is tracked). */
  disposeAbort: AbortDisposer | undefined;
}

/** A timer source: `set` calls `fire` after `ms` and returns what `clear` cancels (Node's timers by default). */
export interface TimerSource {
  set(fire: () => void, ms: number): unknown;
  clear(timer: unknown): void;
}

/** Node's timers, unref'd: pending requests alone never keep the process alive. */
const NODE_TIMERS: TimerSource = {
  set: (fire, ms) => {
    const timer = setTimeout(fire, ms);
    timer.unref?.();
    return timer;
  },
  clear: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** Options of a `RequestTable`. */
export interface RequestTableOptions {
  /** Milliseconds now; defaults to `performance.now`. */
  clock?: () => number;
  /** Defaults to Node's timers. */
  timers?: TimerSource;
  /** Text of a timeout, e.g. "no reply from host:port within 200 ms". */
  describeTimeout?: (timeout: number) => string;
}

/** Requests in flight by reply key, each failed by its deadline or its signal. */
export class RequestTable {
  /** Milliseconds now, on the clock deadlines are set by. */
  readonly now: () => number;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly timers: TimerSource;
  private readonly describeTimeout: (timeout: number) => string;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(options: RequestTableOptions = {}) {
    this.now = options.clock ?? (() => performance.now());
    this.timers = options.timers ?? NODE_TIMERS;
    this.describeTimeout = options.describeTimeout ?? ((timeout) => `no reply within ${timeout} ms`);
  }

  /** Requests in flight. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers `p` under `key` and arms its deadline and abort; false (with `p` rejected with `AbortError`) when its
   * signal has already fired, and the request must not be sent.
   */
  add(key: number, p: PendingRequest): boolean {
    const signal = p.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        p.reject(new AbortError("request aborted", { cause: signal.reason }));
        return false;
      }
      p.disposeAbort = addAbortListener(signal, () => {
        if (this.pending.get(key) !== p) return;
        this.pending.delete(key);
        p.reject(new AbortError("request aborted", { cause: signal.reason }));
      });
    }
    this.pending.set(key, p);
    if (p.deadline < this.timerAt) this.arm(p.deadline);
    return true;
  }

  /** Removes and returns the request under `key` (its abort listener removed), or undefined when there is none. */
  take(key: number): PendingRequest | undefined {
    const p = this.pending.get(key);
    if (p === undefined) return undefined;
    this.pending.delete(key);
    p.disposeAbort?.();
    return p;
  }

  /** Removes and returns the oldest request `match` accepts (its abort listener removed), or undefined. */
  takeFirst(match: (p: PendingRequest) => boolean): PendingRequest | undefined {
    for (const [key, p] of this.pending) if (match(p)) return this.take(key);
    return undefined;
  }

  /** Fails every request in flight with `error` at once, and stops the timer. */
  failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.disposeAbort?.();
    for (const p of pending) p.reject(error);
  }

  /** Stops the timer (the table is done with). */
  stop(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timerAt = deadline;
    this.timer = this.timers.set(this.sweep, Math.max(0, deadline - this.now()));
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // Timers may fire a fraction of a millisecond before the clock reaches the deadline.
    const now = this.now() + 1;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(key);
        p.disposeAbort?.();
        p.reject(new RequestTimeoutError(this.describeTimeout(p.timeout)));
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };
}
