/** `cpppo-history cat`, `write` and `play`: history records out of files (and rotated sets), into a file, and replayed. */
import { once } from "node:events";
import { closeSync, fsyncSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { EXIT_OK, type TextSink, UsageError } from "@cpppo/cli-kit";
import {
  formatUtc,
  type HistoryRecord,
  HistoryWriter,
  parseRecordLine,
  parseTimestamp,
  playback,
  readRecordBatches,
} from "@cpppo/history";
import { compactJson, pythonSpacedJson } from "./json-text.js";
import type { Invocation, MainIo } from "./main.js";

/** A `--since`/`--until`/`T` value: epoch seconds, or a time (`YYYY-MM-DD HH:MM:SS[.ffffff] [ZONE]`, UTC by default). */
export function timeOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\s*\d+(\.\d*)?\s*$/.test(text)) return Number(text);
  try {
    return parseTimestamp(text);
  } catch (err) {
    throw new UsageError(`${flag} "${text}": ${(err as Error).message}`);
  }
}

/** The command's PATH arguments, resolved; at least one is required. */
export function pathsOf(invocation: { positionals: string[]; absolute(path: string): string }): string[] {
  if (invocation.positionals.length === 0)
    throw new UsageError("a history file PATH is required (see --help)");
  const paths = invocation.positionals.map((p) => invocation.absolute(p));
  for (const path of paths)
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${path}: is a folder, not a history file`);
  return paths;
}

/** Text written to a sink in large pieces, waiting for `drain` when the sink (a stream) asks for it. */
export class Output {
  #text = "";
  constructor(private readonly sink: TextSink) {}
  /** Adds `text`; resolves once it may go on (at once, unless the sink's buffer is full). */
  async add(text: string): Promise<void> {
    this.#text += text;
    if (this.#text.length >= 1 << 16) await this.flush();
  }
  /** Writes what is held; resolves once the sink can take more. */
  async flush(): Promise<void> {
    if (this.#text === "") return;
    const text = this.#text;
    this.#text = "";
    const more = this.sink.write(text);
    const stream = this.sink as TextSink & Partial<NodeJS.EventEmitter>;
    if (more === false && typeof stream.once === "function")
      await once(stream as NodeJS.EventEmitter, "drain");
  }
}

/** A record as `cat` and `play` print it: the UTC time as cpppo renders it, then the serial and data as compact JSON. */
export function catLine(record: HistoryRecord): string {
  return `${formatUtc(record.timestamp)}\t${compactJson(record.serialText)}\t${compactJson(record.dataText)}\n`;
}

/** The warnings of readers (a torn last line skipped) as `cpppo-history CMD: warning: …` lines on stderr. */
function warner(io: MainIo, command: string): (message: string) => void {
  return (message) => io.stderr.write(`cpppo-history ${command}: warning: ${message}\n`);
}

/** Calls `each` with every record of `paths` between `since` and `until`, in time order. */
export async function readAll(
  paths: string[],
  range: { since: number | undefined; until: number | undefined },
  io: MainIo,
  each: (ts: number, serial: unknown, data: unknown) => void,
): Promise<void> {
  const options = {
    onWarning: warner(io, "plot"),
    ...(range.since !== undefined && { since: range.since }),
    ...(range.until !== undefined && { until: range.until }),
  };
  for await (const batch of readRecordBatches(paths, options))
    for (const record of batch) {
      let serial: unknown;
      let data: unknown;
      try {
        serial = record.serial;
        data = record.data;
      } catch {
        continue; // not JSON: nothing to plot (cat would print it as it is)
      }
      each(record.timestamp, serial, data);
    }
}

/** Runs `cat [--since T] [--until T] PATH...`. */
export async function catCommand(
  invocation: Invocation<{ since: { type: "string" }; until: { type: "string" } }>,
): Promise<number> {
  const { values, io } = invocation;
  const since = timeOption("--since", values.since as string | undefined);
  const until = timeOption("--until", values.until as string | undefined);
  const paths = pathsOf(invocation);
  const out = new Output(io.stdout);
  const options = {
    onWarning: warner(io, "cat"),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
  };
  for await (const batch of readRecordBatches(paths, options)) {
    let text = "";
    for (const record of batch) text += catLine(record);
    await out.add(text);
  }
  await out.flush();
  return EXIT_OK;
}

/** The lines of `input` (UTF-8 bytes or text chunks), without their newlines, a chunk's worth at a time. */
async function* lineBatches(input: AsyncIterable<string | Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of input) {
    const text = rest + (typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    const lines = text.split("\n");
    rest = lines.pop() as string;
    if (lines.length > 0) yield lines;
  }
  rest += decoder.decode();
  if (rest !== "") yield [rest];
}

/** Forces `path` (and its folder's entry of it) from the page cache to the disk: durable even across a power loss. */
function syncToDisk(path: string): void {
  for (const target of [path, dirname(path)]) {
    const fd = openSync(target, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Runs `write PATH`: appends stdin's records; resolves with 0 once they are durable (written and fsync'ed). */
export async function writeCommand(invocation: {
  positionals: string[];
  io: MainIo;
  absolute(path: string): string;
}): Promise<number> {
  const { io } = invocation;
  if (invocation.positionals.length !== 1)
    throw new UsageError("write takes exactly one PATH (see cpppo-history write --help)");
  const path = invocation.absolute(invocation.positionals[0] as string);
  let failure: Error | undefined;
  let failed!: (error: Error) => void;
  const failing = new Promise<never>((_, reject) => {
    failed = reject;
  });
  failing.catch(() => {});
  // No fsync at each flush (one per chunk of stdin would dominate): once, at the end, before exit 0.
  const writer = new HistoryWriter(path, {
    onError: (error) => {
      failure = error;
      failed(error);
    },
    onWarning: warner(io, "write"),
  });
  let line = 0;
  let bad: Error | undefined;
  let serialText: string | undefined;
  let serialSpaced = "";
  try {
    read: for await (const lines of lineBatches(io.stdin ?? process.stdin)) {
      for (const text of lines) {
        line++;
        let record: HistoryRecord | undefined;
        try {
          record = parseRecordLine(text);
          if (record === undefined) continue;
          // Both must be JSON; they are written as they came, in cpppo's spacing. A serial repeats line after
          // line (a tag's records), so one just checked and re-spaced is reused.
          if (record.serialText !== serialText) {
            void record.serial;
            serialText = record.serialText;
            serialSpaced = pythonSpacedJson(serialText);
          }
          void record.data;
        } catch (err) {
          bad = new UsageError(`stdin line ${line}: ${(err as Error).message}`);
          break read;
        }
        void writer.writeLine(
          `${formatUtc(record.timestamp)}\t${serialSpaced}\t${pythonSpacedJson(record.dataText)}\n`,
        );
      }
      // Keep at most a chunk of stdin unwritten; stop at the first failure to write rather than retry forever.
      await Promise.race([writer.flush(), failing]);
    }
  } catch (err) {
    if (err !== failure) throw err;
  }
  if (failure !== undefined) {
    await writer.close().catch(() => {});
    throw new UsageError(`${path}: ${failure.message}`);
  }
  // Everything read before a bad line is kept: closing writes and fsyncs it.
  await writer.close();
  syncToDisk(path);
  if (bad) throw bad;
  return EXIT_OK;
}

/** A `--speed` value: a number more than 0 (default 1). */
function speedOption(text: string | undefined): number {
  if (text === undefined) return 1;
  const speed = Number(text);
  if (!/^\s*(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) || !(speed > 0) || !Number.isFinite(speed))
    throw new UsageError(`--speed "${text}" must be a number more than 0 (e.g. 1, 10 or 0.5)`);
  return speed;
}

/**
 * Runs `play [--speed F] [--loop] [--since T] PATH...`: each record printed when its time comes on a historical
 * clock that starts at the first record (or T) now and runs F times as fast (`playback` of @cpppo/history);
 * `--loop` starts again at the end. SIGINT or SIGTERM stops it (exit 0).
 */
export async function playCommand(
  invocation: Invocation<{ speed: { type: "string" }; loop: { type: "boolean" }; since: { type: "string" } }>,
): Promise<number> {
  const { values, io } = invocation;
  const speed = speedOption(values.speed as string | undefined);
  const since = timeOption("--since", values.since as string | undefined);
  const paths = pathsOf(invocation);
  const abort = new AbortController();
  const stop = () => abort.abort();
  io.signals?.on("SIGINT", stop);
  io.signals?.on("SIGTERM", stop);
  const out = new Output(io.stdout);
  try {
    const events = playback(paths, {
      speed,
      loop: values.loop === true,
      // Records before --since are left out, as `cat --since` leaves them out (no initial frame is printed).
      prime: false,
      signal: abort.signal,
      onWarning: warner(io, "play"),
      ...(since !== undefined && { since }),
    });
    for await (const event of events) {
      await out.add(catLine(event.record));
      await out.flush();
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    io.signals?.off("SIGINT", stop);
    io.signals?.off("SIGTERM", stop);
  }
  await out.flush();
  return EXIT_OK;
}
