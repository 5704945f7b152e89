/**
 * cpppo's history reader: a historical clock running at `factor` times wall-clock speed from a chosen
 * historical time, and the records of a rotated set handed out as that clock reaches them.
 */
import { fileRecordBatches, HistoryExhaustedError, listRotated } from "../files/index.js";
import type { HistoryRecord } from "../records/index.js";
import { wallClock } from "./clock.js";

/** Options of `HistoryReader`. */
export interface HistoryReaderOptions {
  /** The historical time (epoch seconds) that plays at `basis`. */
  historical: number;
  /** The wall-clock time (epoch seconds) at which `historical` plays; defaults to now. */
  basis?: number;
  /** The speed: historical seconds per wall-clock second; defaults to 1. */
  factor?: number;
  /** The wall clock, epoch seconds; defaults to the system's, with sub-millisecond resolution. */
  clock?: () => number;
  /** Called with a one-line message for each file ignored and each line skipped. */
  onWarning?: (message: string) => void;
}

/** Options of `HistoryReader.open` (cpppo's `open(target, after, lookahead, strict)`). */
export interface ReaderOpenOptions {
  /** The time to find a file for; defaults to the current historical time. */
  target?: number;
  /** Find the oldest file starting at or after `target` (true, the next file), or the newest starting at or before it (false, the first open); defaults to true. */
  after?: boolean;
  /** Hand out records up to this many historical seconds ahead of the clock; defaults to 0. */
  lookahead?: number;
  /** Require the file's first record to be strictly after (or before) `target`, so a file of one timestamp is not opened twice; defaults to false. */
  strict?: boolean;
}

/** What the reader hands out: a record whose time has come, or (record undefined) the next record's time, still in the future. */
export interface ReaderItem {
  /** The file the record is from. */
  file: string;
  /** Its line number. */
  line: number;
  /** The current historical time (without lookahead) when it was handed out. */
  current: number;
  /** The record's timestamp. */
  timestamp: number;
  /** The record, or undefined when it is not due yet (come back later: the next `next()` checks again). */
  record: HistoryRecord | undefined;
}

/** Replays the rotated set `path` against a historical clock (cpppo's `reader`). */
export class HistoryReader {
  readonly path: string;
  /** The historical time that plays at `basis`. */
  historical: number;
  /** The wall-clock time at which `historical` plays. */
  basis: number;
  /** Historical seconds per wall-clock second. */
  factor: number;
  readonly clock: () => number;
  protected readonly warn: (message: string) => void;

  constructor(path: string, options: HistoryReaderOptions) {
    this.path = path;
    this.clock = options.clock ?? wallClock;
    this.historical = options.historical;
    this.basis = options.basis ?? this.clock();
    this.factor = options.factor ?? 1;
    this.warn = options.onWarning ?? (() => {});
  }

  /** The historical time at wall-clock `now` (default the clock): `historical + (now − basis) × factor`. */
  advance(now: number = this.clock()): number {
    return this.historical + (now - this.basis) * this.factor;
  }

  /** The wall-clock time at which historical time `when` plays (the inverse of `advance`). */
  realtime(when: number): number {
    return (when - this.historical) / this.factor + this.basis;
  }

  /** The file to play, by cpppo's rules (see `ReaderOpenOptions`); throws `HistoryExhaustedError` when none qualifies. */
  protected async choose(target: number, after: boolean, strict: boolean): Promise<string> {
    let chosen: string | undefined;
    for (const { path } of listRotated(this.path)) {
      let first: HistoryRecord | undefined;
      try {
        for await (const batch of fileRecordBatches(path, () => {})) {
          first = batch[0];
          break;
        }
      } catch (error) {
        this.warn(`ignoring history file ${path}: ${(error as Error).message}`);
        continue;
      }
      if (first === undefined) {
        this.warn(`ignoring history file ${path}: no records`);
        continue;
      }
      const ts = first.timestamp;
      if (after && !(strict ? ts > target : ts >= target)) break;
      chosen = path;
      if (!after && (strict ? ts < target : ts <= target)) break;
    }
    if (chosen === undefined)
      throw new HistoryExhaustedError(
        `no history files found for ${this.path} ${after ? "after" : "before"} ${target}`,
      );
    return chosen;
  }

  /**
   * Opens the file for `target` and hands out its records as the historical clock (plus `lookahead`) reaches
   * them; a record not yet due is handed out with `record: undefined`, and the next `next()` checks it again.
   * Ends with the file; throws `HistoryExhaustedError` (on the first `next()`) when no file qualifies.
   */
  async *open(options: ReaderOpenOptions = {}): AsyncGenerator<ReaderItem, void, undefined> {
    const target = options.target ?? this.advance();
    const lookahead = options.lookahead ?? 0;
    const file = await this.choose(target, options.after ?? true, options.strict ?? false);
    let current = this.advance();
    let ahead = current + lookahead;
    let line = 0;
    for await (const batch of fileRecordBatches(file, this.warn)) {
      for (const record of batch) {
        line++;
        while (record.timestamp > ahead) {
          current = this.advance();
          ahead = current + lookahead;
          if (record.timestamp > ahead)
            yield { file, line, current, timestamp: record.timestamp, record: undefined };
        }
        yield { file, line, current, timestamp: record.timestamp, record };
      }
    }
  }
}
