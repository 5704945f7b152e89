/**
 * Playback as an async iterator of events at the historical pace (at a speed factor, from any time in the
 * history, looping if asked), and `driveTags`, which replays those events into a simulator's tags.
 */
import { InvalidArgumentError } from "@cpppo/automata/errors";
import { readRecordBatches } from "../files/index.js";
import type { HistoryRecord } from "../records/index.js";
import { waitUntil, wallClock } from "./clock.js";

/** Options of `playback`. */
export interface PlaybackOptions {
  /** Historical seconds per wall-clock second; defaults to 1. */
  speed?: number;
  /** Start at this historical time (epoch seconds); defaults to the first record. */
  since?: number;
  /** Stop after this historical time (epoch seconds); defaults to the end of the history. */
  until?: number;
  /** With `since`: first hand out at once the records of the file that holds `since` that precede it (cpppo's initial frame, so a replay starts from the state at `since`); defaults to true. */
  prime?: boolean;
  /** Play the history again from the start each time it ends; defaults to false. */
  loop?: boolean;
  /** Historical seconds between the last record of a pass and the first of the next; defaults to the mean interval between records (1 s if there is one record). */
  loopGap?: number;
  /** The wall clock, epoch seconds; defaults to the system's with sub-millisecond resolution. */
  clock?: () => number;
  /** Ends the iteration when it aborts. */
  signal?: AbortSignal;
  /** Called with a one-line message for each line skipped. */
  onWarning?: (message: string) => void;
}

/** One record played. */
export interface PlaybackEvent {
  /** The record's historical timestamp (epoch seconds). */
  timestamp: number;
  /** Its serial (historize: `["Tag", [first, last]]`). */
  serial: unknown;
  /** Its data (historize: `{"read": […]}`/`{"write": […]}`; register frames `{"40001": 1}`). */
  data: unknown;
  /** The record itself. */
  record: HistoryRecord;
  /** The pass through the history, from 0 (see `loop`). */
  pass: number;
  /** True for a record before `since`, handed out at once to set up the state (see `prime`). */
  primed: boolean;
  /** The wall-clock time (epoch seconds) it was due; the iterator hands it out at or just after it. */
  due: number;
}

/**
 * Plays the records of the files or rotated sets `paths` in time order at the historical pace: the record
 * at historical time `t` is handed out at `start + (t − since) / speed` of the wall clock. A record whose
 * JSON is bad is skipped with a warning. Throws `HistoryExhaustedError` when a path names no file.
 */
export async function* playback(
  paths: string | readonly string[],
  options: PlaybackOptions = {},
): AsyncGenerator<PlaybackEvent, void, undefined> {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new InvalidArgumentError('"speed" must be a positive number');
  const clock = options.clock ?? wallClock;
  const warn = options.onWarning ?? (() => {});
  const { since, until, signal } = options;
  let origin = since;
  // The wall-clock time `origin` plays at: when the first record is in hand (opening the files takes time).
  let basis: number | undefined;
  for (let pass = 0; ; pass++) {
    let first: number | undefined;
    let last: number | undefined;
    let count = 0;
    const batches = readRecordBatches(paths, { since, until, prime: options.prime ?? true, onWarning: warn });
    for await (const batch of batches) {
      for (const record of batch) {
        let serial: unknown;
        let data: unknown;
        try {
          serial = record.serial;
          data = record.data;
        } catch (error) {
          warn(`skipped a record at ${record.timestamp}: ${(error as Error).message}`);
          continue;
        }
        origin ??= record.timestamp;
        first ??= record.timestamp;
        last = record.timestamp;
        count++;
        basis ??= clock();
        const primed = record.timestamp < origin;
        const due = primed ? basis : basis + (record.timestamp - origin) / speed;
        if (!primed && !(await waitUntil(due, clock, signal))) return;
        yield { timestamp: record.timestamp, serial, data, record, pass, primed, due };
      }
    }
    if (!options.loop || count === 0 || first === undefined || last === undefined || signal?.aborted) return;
    const gap = options.loopGap ?? (count > 1 ? (last - first) / (count - 1) : 1);
    basis = (basis ?? clock()) + (last - (origin as number) + gap) / speed;
  }
}

/** Where `driveTags` writes: a simulator's tags (or registers) by name, from an element index. */
export interface TagSink {
  /** Sets `values` into tag `name` from element `index`; may return a promise, which is awaited. */
  write(name: string, index: number, values: unknown[]): void | Promise<void>;
}

/** Options of `driveTags`. */
export interface DriveTagsOptions {
  /** Also apply the values of recorded reads (the plant's state as a client saw it), not only writes; defaults to true. */
  reads?: boolean;
  /** Called with a one-line message for each event that names no tag values. */
  onWarning?: (message: string) => void;
}

/** What `driveTags` did. */
export interface DriveTagsResult {
  /** Events written to the sink. */
  applied: number;
  /** Events that were notes, reads left out, or not tag data. */
  skipped: number;
}

/**
 * Replays playback events into `sink`: a historize record (serial `["Tag", [first, last]]`, data
 * `{"write": […]}` or `{"read": […]}`) writes its values into that tag from `first`; a register frame (data
 * `{"40001": 5, …}`) writes each register's value at index 0. Resolves when the events end.
 */
export async function driveTags(
  events: AsyncIterable<PlaybackEvent>,
  sink: TagSink,
  options: DriveTagsOptions = {},
): Promise<DriveTagsResult> {
  const reads = options.reads ?? true;
  const warn = options.onWarning ?? (() => {});
  let applied = 0;
  let skipped = 0;
  for await (const event of events) {
    const { serial, data } = event;
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      const frame = data as Record<string, unknown>;
      const values = Array.isArray(frame.write)
        ? frame.write
        : reads && Array.isArray(frame.read)
          ? frame.read
          : undefined;
      if (values !== undefined && Array.isArray(serial) && typeof serial[0] === "string") {
        const range = serial[1];
        const index = Array.isArray(range) && typeof range[0] === "number" ? range[0] : 0;
        await sink.write(serial[0], index, values);
        applied++;
        continue;
      }
      if (!("write" in frame) && !("read" in frame)) {
        const entries = Object.entries(frame).filter(([, v]) => typeof v === "number");
        if (entries.length > 0) {
          for (const [name, value] of entries) await sink.write(name, 0, [value]);
          applied++;
          continue;
        }
      }
    }
    if (!(typeof data === "object" && data !== null && "read" in data && !reads) && typeof data !== "string")
      warn(`driveTags: no tag values in the record at ${event.timestamp}`);
    skipped++;
  }
  return { applied, skipped };
}
