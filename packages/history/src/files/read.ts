/**
 * Reading the records of history files and rotated sets in time order, streaming.
 */
import { type HistoryRecord, parseRecordLines } from "../records/index.js";
import { HistoryExhaustedError } from "./errors.js";
import { historyTexts } from "./open.js";
import { listRotated } from "./rotated.js";

/** Options of `readRecords`. */
export interface ReadRecordsOptions {
  /** Leave out records before this time (epoch seconds); files that end before it are not read. */
  since?: number;
  /** With `since`: also yield the records of the first file read that come before `since` (cpppo's initial frame of values: the state at `since`); defaults to false. */
  prime?: boolean;
  /** Stop at the first record after this time (epoch seconds). */
  until?: number;
  /** Also parse each record's serial and data, and skip (with a warning) one that is not JSON; defaults to false (they are parsed on use, as cpppo's reader hands on the data as text). */
  validate?: boolean;
  /** Called with a one-line message for each line skipped (torn, not a record) and each truncated file; defaults to ignoring them. */
  onWarning?: (message: string) => void;
}

/** The files of one rotated set to read, oldest first, one per index (the uncompressed twin preferred). */
export function setFilesOldestFirst(name: string): string[] {
  return listRotated(name)
    .filter((f) => !f.duplicate)
    .map((f) => f.path)
    .reverse();
}

/** The records of one file, in batches, each line that is not a record (or, with `validate`, whose JSON is bad) skipped with a warning. */
export async function* fileRecordBatches(
  path: string,
  warn: (message: string) => void,
  validate = false,
): AsyncGenerator<HistoryRecord[]> {
  let line = 0;
  for await (const texts of historyTexts(path, { onWarning: warn })) {
    const records: HistoryRecord[] = [];
    for (const text of texts) {
      const first = line + 1;
      line += parseRecordLines(
        text,
        records,
        (index, error) => warn(`${path}:${first + index}: skipped: ${(error as Error).message}`),
        validate,
      );
    }
    if (records.length > 0) yield records;
  }
}

/** The first record of a file, or undefined when it has none. */
async function firstRecord(
  path: string,
  warn: (message: string) => void,
): Promise<HistoryRecord | undefined> {
  for await (const batch of fileRecordBatches(path, warn)) return batch[0];
  return undefined;
}

async function* setBatches(name: string, options: ReadRecordsOptions): AsyncGenerator<HistoryRecord[]> {
  const warn = options.onWarning ?? (() => {});
  let files = setFilesOldestFirst(name);
  if (files.length === 0) throw new HistoryExhaustedError(`no history files found for ${name}`);
  const { since, until } = options;
  if (since !== undefined) {
    // Start with the newest file whose first record is at or before `since` (cpppo's initial open).
    for (let i = files.length - 1; i > 0; i--) {
      const first = await firstRecord(files[i] as string, () => {});
      if (first !== undefined && first.timestamp <= since) {
        files = files.slice(i);
        break;
      }
    }
  }
  for (const path of files) {
    for await (const batch of fileRecordBatches(path, warn, options.validate)) {
      let out = batch;
      if (since !== undefined && !options.prime && (batch[0] as HistoryRecord).timestamp < since)
        out = batch.filter((r) => r.timestamp >= since);
      if (until !== undefined) {
        const stop = out.findIndex((r) => r.timestamp > until);
        if (stop >= 0) {
          if (stop > 0) yield out.slice(0, stop);
          return;
        }
      }
      if (out.length > 0) yield out;
    }
  }
}

/**
 * The records of the files or rotated sets `paths`, in batches, in time order: each set from its oldest
 * file to its newest, several sets merged by timestamp. Throws `HistoryExhaustedError` when a path names no
 * file at all.
 */
export async function* readRecordBatches(
  paths: string | readonly string[],
  options: ReadRecordsOptions = {},
): AsyncGenerator<HistoryRecord[]> {
  const names = typeof paths === "string" ? [paths] : paths;
  if (names.length === 1) {
    yield* setBatches(names[0] as string, options);
    return;
  }
  // Merge several sets: hold each set's current batch and take the earliest head each time.
  const sources = names.map((name) => setBatches(name, options));
  const heads: { batch: HistoryRecord[]; at: number; source: AsyncGenerator<HistoryRecord[]> }[] = [];
  try {
    for (const source of sources) {
      const next = await source.next();
      if (!next.done) heads.push({ batch: next.value, at: 0, source });
    }
    const out: HistoryRecord[] = [];
    while (heads.length > 0) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) {
        const h = heads[i] as (typeof heads)[number];
        const b = heads[best] as (typeof heads)[number];
        if ((h.batch[h.at] as HistoryRecord).timestamp < (b.batch[b.at] as HistoryRecord).timestamp) best = i;
      }
      const head = heads[best] as (typeof heads)[number];
      out.push(head.batch[head.at++] as HistoryRecord);
      if (head.at === head.batch.length) {
        const next = await head.source.next();
        if (next.done) heads.splice(best, 1);
        else {
          head.batch = next.value;
          head.at = 0;
        }
      }
      if (out.length >= 4096) yield out.splice(0);
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(sources.map((s) => s.return(undefined)));
  }
}

/** The records of the files or rotated sets `paths`, one by one, in time order (see `readRecordBatches`). */
export async function* readRecords(
  paths: string | readonly string[],
  options: ReadRecordsOptions = {},
): AsyncGenerator<HistoryRecord> {
  for await (const batch of readRecordBatches(paths, options)) yield* batch;
}
