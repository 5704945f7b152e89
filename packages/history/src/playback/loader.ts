/**
 * cpppo's history loader: one pass through a rotated set of register frames (`{"40001": 12345, …}`),
 * loading each into `values` as the historical clock reaches it, with lookahead, the initial-frame
 * (iframe) rules, a duration, and, unlike cpppo, looping back to the start when the history ends.
 */
import { HistoryExhaustedError } from "../files/index.js";
import { HistoryDataError, HistoryRecord } from "../records/index.js";
import { IframeError } from "./errors.js";
import { HistoryReader, type HistoryReaderOptions, type ReaderItem } from "./reader.js";

/** The loader's states, in cpppo's order. */
export const LoaderState = {
  INITIAL: 0,
  SWITCHING: 1,
  STREAMING: 2,
  EXHAUSTED: 3,
  AWAITING: 4,
  COMPLETE: 5,
  FAILED: 6,
} as const;
/** One of `LoaderState`. */
export type LoaderState = (typeof LoaderState)[keyof typeof LoaderState];

/** What to do with bad data: ignore it with a warning, stop the loader (FAILED), or stop it and throw. */
export type OnBadData = "suppress" | "fail" | "raise";

/** Options of `HistoryLoader`. */
export interface HistoryLoaderOptions extends HistoryReaderOptions {
  /** Load records up to this many historical seconds ahead of the clock into `future`; defaults to 0. */
  lookahead?: number;
  /** Stop after this many historical seconds from `historical`; defaults to the end of the history. */
  duration?: number;
  /** Initial register values, as if loaded at time 0. */
  values?: Record<string, number>;
  /** When the history ends, start again from `historical` (the next pass plays right after the last record, one mean record interval later); defaults to false. */
  loop?: boolean;
}

/** Options of `HistoryLoader.load`. */
export interface LoadOptions {
  /** Return once this many events are loaded. */
  limit?: number;
  /** Process no event at or after this historical time (keep it in `future`). */
  upcoming?: number;
  /** The first record of the first file (the iframe) is bad; defaults to "fail". */
  onBadIframe?: OnBadData;
  /** A later record is bad; defaults to "suppress". */
  onBadData?: OnBadData;
}

/** An event the loader produced: a register frame at its historical time. */
export interface LoaderEvent {
  timestamp: number;
  command: "register";
  values: Record<string, unknown>;
}

type Regs = [number, [number, number]][];

/** Replays register frames from a rotated set into `values` (cpppo's `loader`); call `load()` until `active` is false. */
export class HistoryLoader extends HistoryReader {
  readonly lookahead: number;
  readonly loop: boolean;
  /** Register → [wall-clock time it took effect, value]. */
  readonly values = new Map<number, [number, number]>();
  /** Loaded frames not yet due: [historical time, registers]. */
  readonly future: [number, Regs][] = [];
  /** The historical time of the last frame applied to `values`. */
  until: number | undefined;
  /** The passes completed (with `loop`). */
  passes = 0;
  /** Why the loader FAILED, if it did. */
  error: Error | undefined;
  #state: LoaderState = LoaderState.INITIAL;
  #iter: AsyncGenerator<ReaderItem, void, undefined> | undefined;
  #ts: number | undefined;
  #strict = false;
  #duration: number | undefined;
  #deadline: number | undefined;
  #start: number;
  #first: number | undefined;
  #frames = 0;

  constructor(path: string, options: HistoryLoaderOptions) {
    super(path, options);
    this.lookahead = options.lookahead ?? 0;
    this.loop = options.loop ?? false;
    this.#start = this.historical;
    this.duration = options.duration;
    for (const [register, value] of Object.entries(options.values ?? {}))
      this.values.set(Number.parseInt(register, 10), [0, Math.trunc(value)]);
  }

  /** Historical seconds to run before stopping (undefined: to the end). */
  get duration(): number | undefined {
    return this.#duration;
  }
  set duration(value: number | undefined) {
    this.#duration = value;
    this.#deadline = value === undefined ? undefined : this.historical + value;
  }

  /** The current state (see `LoaderState`). */
  get state(): LoaderState {
    return this.#state;
  }

  /** True until the history is played out (COMPLETE) or the loader FAILED. */
  get active(): boolean {
    return this.#state < LoaderState.COMPLETE;
  }

  /**
   * Loads the frames due by the current historical time into `values`, and those within `lookahead` into
   * `future`; returns the current historical time and the events newly loaded. Call it again later while
   * `active`. Bad data follows `onBadIframe`/`onBadData`; "raise" throws `IframeError`/`HistoryDataError`.
   */
  async load(options: LoadOptions = {}): Promise<{ current: number; events: LoaderEvent[] }> {
    const onBadIframe = options.onBadIframe ?? "fail";
    const onBadData = options.onBadData ?? "suppress";
    const { limit, upcoming } = options;
    let current = this.advance();
    const events: LoaderEvent[] = [];
    if (!this.active) return { current, events };
    let first = true;
    while (this.#state <= LoaderState.STREAMING || first) {
      first = false;
      try {
        if (this.#state === LoaderState.INITIAL || this.#state === LoaderState.SWITCHING) {
          const after = this.#state !== LoaderState.INITIAL;
          this.#iter = this.open({
            target: this.#ts,
            after,
            lookahead: this.lookahead,
            strict: this.#strict,
          });
          this.#strict = true;
        }
        const iter = this.#iter as AsyncGenerator<ReaderItem, void, undefined>;
        for (;;) {
          const step = await iter.next();
          if (step.done) break;
          const { record, timestamp: ts } = step.value;
          current = step.value.current;
          let data: unknown;
          let problem: string | undefined;
          if (record !== undefined) {
            try {
              data = record.data;
            } catch (error) {
              if (this.#state === LoaderState.INITIAL && this.#frames === 0) {
                problem = `initial frame of historical register data corrupt: ${(error as Error).message}`;
                if (onBadIframe !== "suppress") throw new IframeError(problem, { cause: error });
              } else problem = `historical register data corrupt: ${(error as Error).message}`;
            }
          }
          if (this.#deadline !== undefined && this.#state < LoaderState.EXHAUSTED && ts >= this.#deadline)
            throw new HistoryExhaustedError(`exhausted history duration ${this.#duration}s`);
          if (record === undefined) {
            this.#state = LoaderState.AWAITING;
            break;
          }
          if (this.#strict && this.#state !== LoaderState.INITIAL && this.#state !== LoaderState.SWITCHING) {
            if (this.#ts === undefined || ts > this.#ts) this.#strict = false;
          }
          if (
            this.#state === LoaderState.INITIAL ||
            this.#state === LoaderState.SWITCHING ||
            this.#state === LoaderState.AWAITING
          )
            this.#state = LoaderState.STREAMING;
          if (problem === undefined && data === null && this.#state !== LoaderState.EXHAUSTED)
            problem = "ignoring historical record with 'null' data";
          const regs: Regs = [];
          if (problem === undefined && data !== null && typeof data === "object") {
            if (Array.isArray(data)) problem = "invalid register data: not an object";
            else {
              const realtime = this.realtime(ts);
              for (const [register, value] of Object.entries(data as Record<string, unknown>)) {
                const r = Number.parseInt(register, 10);
                const v = typeof value === "number" ? Math.trunc(value) : Number.NaN;
                if (Number.isNaN(r) || Number.isNaN(v)) {
                  problem = `invalid register data: ${register}: ${JSON.stringify(value)}`;
                  break;
                }
                regs.push([r, [realtime, v]]);
              }
            }
          }
          if (problem !== undefined || typeof data === "string") {
            this.warn(`${problem !== undefined ? "FAIL" : "NOTE"}: ${problem ?? data}`);
            if (problem !== undefined && onBadData !== "suppress") throw new HistoryDataError(problem);
            continue;
          }
          if (data !== null && data !== undefined && this.#state !== LoaderState.EXHAUSTED) {
            if (this.#ts === undefined || ts >= this.#ts) {
              this.#ts = ts;
              this.#frames++;
              this.#first ??= ts;
              events.push({ timestamp: ts, command: "register", values: data as Record<string, unknown> });
              this.future.push([ts, regs]);
            } else this.warn(`playback ignoring out-of-order timestamp ${ts} < ${this.#ts}`);
            this.#state = LoaderState.STREAMING;
          }
          while (this.future.length > 0 && (this.future[0] as [number, Regs])[0] <= current) {
            const [t, due] = this.future[0] as [number, Regs];
            if (upcoming !== undefined && t >= upcoming) return { current: upcoming, events };
            this.future.shift();
            for (const [r, tv] of due) this.values.set(r, tv);
            this.until = t;
          }
          if (this.#state === LoaderState.EXHAUSTED) {
            if (this.future.length === 0) this.#finish();
            break;
          }
          if (limit !== undefined && events.length >= limit)
            return { current: this.until ?? current, events };
        }
        if (this.#state === LoaderState.STREAMING) this.#state = LoaderState.SWITCHING;
      } catch (error) {
        if (error instanceof HistoryExhaustedError) {
          this.#state = LoaderState.EXHAUSTED;
          this.#iter = this.#drain();
        } else {
          this.#state = LoaderState.FAILED;
          this.error = error as Error;
          if (
            error instanceof IframeError
              ? onBadIframe === "raise"
              : error instanceof HistoryDataError && onBadData === "raise"
          )
            throw error;
        }
      }
    }
    return { current, events };
  }

  /** After the history: hands out the advancing time with no data, so the lookahead in `future` drains. */
  async *#drain(): AsyncGenerator<ReaderItem, void, undefined> {
    for (;;) {
      const current = this.advance();
      yield {
        file: "",
        line: 0,
        current,
        timestamp: current,
        record: new HistoryRecord(current, "null", "null"),
      };
    }
  }

  /** History played out: COMPLETE, or with `loop` a new pass from the start, right after the last frame. */
  #finish(): void {
    if (!this.loop || this.#first === undefined || this.#ts === undefined) {
      this.#state = LoaderState.COMPLETE;
      return;
    }
    const last = this.#ts;
    const interval = this.#frames > 1 ? (last - this.#first) / (this.#frames - 1) : 1;
    const next = this.realtime(last) + interval / this.factor;
    this.passes++;
    this.historical = this.#start;
    this.basis = next;
    this.duration = this.#duration;
    this.#ts = undefined;
    this.#first = undefined;
    this.#frames = 0;
    this.#strict = false;
    this.#state = LoaderState.INITIAL;
  }
}
