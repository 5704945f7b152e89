/**
 * The history writer (cpppo's logger): opens its file lazily, appends records, compresses by suffix,
 * rotates by size or age, and acknowledges a record only once it is in the file. Records written in the
 * same turn of the event loop share one flush (group commit); the promise `write` returns resolves when
 * that flush has reached the operating system, so a `kill -9` after it loses nothing. A failure to open
 * or write is reported once (`onError`), the records are kept (up to `maxPendingBytes`) and retried.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { InvalidArgumentError } from "@cpppo/automata/errors";
import { ByteSink, writeRecord } from "../records/index.js";
import { type Compression, compressionOf, createEncoder, type Encoder } from "./compression.js";
import { HistoryWriteError } from "./errors.js";
import { openHistory } from "./open.js";
import { listRotated, rotatedBase } from "./rotated.js";

/** Options of `HistoryWriter`. */
export interface HistoryWriterOptions {
  /** The clock for record timestamps and rotation by age, epoch seconds; defaults to `Date.now() / 1000`. */
  clock?: () => number;
  /** Rotate once the current file holds this many bytes of records (uncompressed); defaults to never. */
  rotateBytes?: number;
  /** Rotate once the current file has been open this many seconds; defaults to never. */
  rotateSeconds?: number;
  /** How many rotated files (`name.0` …) to keep; older ones are deleted; defaults to all. */
  keep?: number;
  /** Milliseconds between retries after a failure; defaults to 1000. */
  retryMs?: number;
  /** Bytes of unwritten records held while failing; the oldest are dropped (their promises reject) beyond it; defaults to 16 MiB. */
  maxPendingBytes?: number;
  /** Also `fsync` at each flush, so acknowledged records survive a power loss, not only a crash; defaults to false. */
  fsync?: boolean;
  /** zlib level of `.gz` files (0–9); defaults to 4 (see `DEFAULT_GZIP_LEVEL`: 2 is faster, 6 or 9 make smaller files, slower). */
  gzipLevel?: number;
  /** xz preset of `.xz` files; defaults to 1. */
  xzPreset?: number;
  /** Called once when writing starts failing (not again until it has recovered); defaults to ignoring it. */
  onError?: (error: HistoryWriteError) => void;
  /** Called when writing succeeds again after a failure. */
  onResume?: () => void;
  /** Called with a one-line message when an existing file had to be repaired before appending (a torn end). */
  onWarning?: (message: string) => void;
}

/**
 * Records written in one turn, acknowledged together. Each record is rendered straight into the batch's bytes
 * (see `writeRecord`), so a flush hands the compressor one Buffer and no string is built or kept per record.
 */
interface Batch {
  sink: ByteSink;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Above this many bytes held, a batch is flushed at once rather than at the end of the turn. */
const FLUSH_BYTES = 1 << 20;
/** The initial size of a batch's buffer (it grows as records come; a written batch's buffer is reused). */
const BATCH_BYTES = 64 * 1024;
/** A written batch's buffer is kept for the next batch unless it grew beyond this (one huge record). */
const REUSE_BYTES = 4 * FLUSH_BYTES;

function newBatch(sink: ByteSink): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that ignores the promise must not see an unhandled rejection; `onError` reports failures.
  promise.catch(() => {});
  return { sink, promise, resolve, reject };
}

/**
 * Appends records to a history file in cpppo's format (see `formatRecord`), compressed by the path's
 * suffix (`.gz`, `.xz`, else plain). Parent folders are created on first write.
 */
export class HistoryWriter {
  /** The path of the current file. */
  readonly path: string;
  readonly #compression: Compression;
  readonly #options: HistoryWriterOptions;
  readonly #clock: () => number;
  #queue: Batch[] = [];
  #current: Batch | undefined;
  #fd: number | undefined;
  #encoder: Encoder | undefined;
  #bytes = 0;
  #openedAt = 0;
  #scheduled = false;
  #running: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failing = false;
  #closed = false;
  /** The buffer of the last batch written, for the next one (all writing is synchronous, so it is free again). */
  #spare: ByteSink | undefined;
  /** True while a record is being rendered into the current batch (a `toJSON` that writes again must not interleave). */
  #rendering = false;
  /** Records written while one was being rendered, appended after it (see `#defer`). */
  #deferred: Buffer[] = [];

  constructor(path: string, options: HistoryWriterOptions = {}) {
    this.path = path;
    this.#compression = compressionOf(path);
    if (this.#compression === "bz2")
      throw new InvalidArgumentError(
        `history file ${JSON.stringify(path)} cannot be written as .bz2: use .gz, .xz or a plain name`,
      );
    for (const key of ["rotateBytes", "rotateSeconds", "retryMs", "maxPendingBytes"] as const) {
      const value = options[key];
      if (value !== undefined && !(value > 0))
        throw new InvalidArgumentError(`"${key}" must be a positive number`);
    }
    if (options.keep !== undefined && !(Number.isInteger(options.keep) && options.keep >= 0))
      throw new InvalidArgumentError(`"keep" must be a whole number of files`);
    this.#options = options;
    this.#clock = options.clock ?? (() => Date.now() / 1000);
  }

  /** True while the writer is open for writing and not failing (cpppo's logger truthiness). */
  get ok(): boolean {
    return !this.#closed && !this.#failing;
  }

  /**
   * Appends one record: `data` (and `serial`, default `null`) at `now` (default the clock). Returns a promise
   * that resolves once the record is in the file, and rejects only if it was dropped (see `maxPendingBytes`)
   * or the writer closed while it could not be written. Throws `InvalidArgumentError` after `close`.
   */
  write(data: unknown, options: { now?: number; serial?: unknown } = {}): Promise<void> {
    const now = options.now ?? this.#clock();
    const serial = options.serial ?? null;
    const batch = this.#batch();
    if (this.#rendering) return this.#defer(batch, (sink) => writeRecord(sink, now, serial, data));
    this.#rendering = true;
    try {
      writeRecord(batch.sink, now, serial, data);
    } finally {
      this.#rendering = false;
      this.#undefer(batch);
    }
    return this.#added(batch);
  }

  /** Appends a comment line `# text` (readers skip it). */
  comment(text: string): Promise<void> {
    return this.#append(`# ${text.replace(/\n/g, " ")}\n`);
  }

  /** Appends an already formatted record line (it must end with a newline). */
  writeLine(line: string): Promise<void> {
    return this.#append(line.endsWith("\n") ? line : `${line}\n`);
  }

  /** Resolves once everything written so far is in the file (rejects if it could not be written). */
  flush(): Promise<void> {
    const last = this.#current ?? this.#queue[this.#queue.length - 1];
    if (last === undefined) return this.#running ?? Promise.resolve();
    this.#schedule();
    return last.promise;
  }

  /**
   * Writes what is pending, ends the file cleanly (a compressed file gets its trailer) and closes it.
   * Rejects with `HistoryWriteError` if pending records could not be written; they are then lost.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#running;
    this.#failing = false;
    // Run as `#running`, so that a flush scheduled before close waits for this one instead of racing it.
    this.#running = this.#run().finally(() => (this.#running = undefined));
    await this.#running;
    let failure: unknown;
    try {
      this.#closeFile(true);
    } catch (error) {
      failure = error;
    }
    const left = this.#takeAll();
    if (left.length === 0 && failure === undefined) return;
    const error = new HistoryWriteError(
      `history file ${this.path}: closed before all records could be written`,
      { cause: failure },
    );
    for (const batch of left) batch.reject(error);
    throw error;
  }

  #append(line: string): Promise<void> {
    const batch = this.#batch();
    if (this.#rendering) return this.#defer(batch, (sink) => sink.utf8(line));
    batch.sink.utf8(line);
    return this.#added(batch);
  }

  /**
   * A record written while another is being rendered into the batch (from its data's `toJSON`): rendered
   * apart and appended once that one is complete, so the two never interleave.
   */
  #defer(batch: Batch, render: (sink: ByteSink) => void): Promise<void> {
    const apart = new ByteSink(256);
    render(apart);
    this.#deferred.push(apart.bytes());
    return batch.promise;
  }

  /** Appends the records deferred while one was rendered. */
  #undefer(batch: Batch): void {
    if (this.#deferred.length === 0) return;
    for (const bytes of this.#deferred) {
      batch.sink.reserve(bytes.length);
      batch.sink.pos += bytes.copy(batch.sink.buf, batch.sink.pos);
    }
    this.#deferred = [];
    this.#schedule();
  }

  /** The batch of this turn, to append to (throws once closed). */
  #batch(): Batch {
    if (this.#closed) throw new InvalidArgumentError(`history writer for ${this.path} is closed`);
    let batch = this.#current;
    if (batch === undefined) {
      let sink = this.#spare;
      this.#spare = undefined;
      if (sink === undefined) sink = new ByteSink(BATCH_BYTES);
      else sink.clear();
      batch = newBatch(sink);
      this.#current = batch;
    }
    return batch;
  }

  /** Flushes or schedules the batch a record was just added to; returns its promise. */
  #added(batch: Batch): Promise<void> {
    if (this.#failing) {
      if (batch.sink.pos >= FLUSH_BYTES) {
        this.#current = undefined;
        this.#queue.push(batch);
        this.#bound(undefined);
      }
    } else if (batch.sink.pos >= FLUSH_BYTES && this.#running === undefined && this.#openNow()) {
      this.#current = undefined;
      this.#queue.push(batch);
      this.#writeQueued();
    } else this.#schedule();
    return batch.promise;
  }

  #takeAll(): Batch[] {
    const all = this.#queue;
    if (this.#current !== undefined) all.push(this.#current);
    this.#queue = [];
    this.#current = undefined;
    return all;
  }

  #schedule(): void {
    if (this.#scheduled || this.#failing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#running === undefined) this.#running = this.#run().finally(() => (this.#running = undefined));
      else void this.#running.then(() => this.#schedule());
    });
  }

  async #run(): Promise<void> {
    if (this.#current !== undefined) {
      this.#queue.push(this.#current);
      this.#current = undefined;
    }
    if (this.#queue.length === 0) return;
    try {
      if (this.#fd === undefined) await this.#open();
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#writeQueued();
  }

  /** Writes every queued batch synchronously, acknowledging each once it is in the file. */
  #writeQueued(): void {
    while (this.#queue.length > 0) {
      const batch = this.#queue[0] as Batch;
      try {
        if (this.#fd === undefined) return;
        const fd = this.#fd;
        const encoder = this.#encoder as Encoder;
        const data = batch.sink.bytes();
        const written = encoder.write(data);
        if (written.length > 0) writeAll(fd, written);
        const flushed = encoder.flush();
        if (flushed.length > 0) writeAll(fd, flushed);
        if (this.#options.fsync === true) fsyncSync(fd);
        this.#bytes += data.length;
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#queue.shift();
      batch.resolve();
      if (batch.sink.buf.length <= REUSE_BYTES) this.#spare = batch.sink;
      if (this.#failing) {
        this.#failing = false;
        this.#options.onResume?.();
      }
      if (this.#dueForRotation()) {
        try {
          this.#rotate();
        } catch (error) {
          this.#fail(error);
          return;
        }
      }
    }
  }

  #dueForRotation(): boolean {
    const { rotateBytes, rotateSeconds } = this.#options;
    if (rotateBytes !== undefined && this.#bytes >= rotateBytes) return true;
    return rotateSeconds !== undefined && this.#clock() - this.#openedAt >= rotateSeconds;
  }

  #fail(error: unknown): void {
    try {
      this.#closeFile(false);
    } catch {
      // The file is abandoned either way; the retry opens it afresh.
    }
    const wrapped =
      error instanceof HistoryWriteError
        ? error
        : new HistoryWriteError(`history file ${this.path}: ${(error as Error).message ?? String(error)}`, {
            cause: error,
          });
    if (!this.#failing) {
      this.#failing = true;
      this.#options.onError?.(wrapped);
    }
    this.#bound(error);
    if (this.#closed || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#running === undefined) this.#running = this.#run().finally(() => (this.#running = undefined));
    }, this.#options.retryMs ?? 1000);
  }

  /** Keeps what is not written, newest last, within `maxPendingBytes`; older batches are dropped and their writers told. */
  #bound(cause: unknown): void {
    const limit = this.#options.maxPendingBytes ?? 16 * 1024 * 1024;
    let held = this.#current?.sink.pos ?? 0;
    for (const batch of this.#queue) held += batch.sink.pos;
    while (held > limit && this.#queue.length > 0) {
      const dropped = this.#queue.shift() as Batch;
      held -= dropped.sink.pos;
      dropped.reject(
        new HistoryWriteError(`history file ${this.path}: records dropped while writing failed`, { cause }),
      );
    }
  }

  /** Whether the file is compressed and already holds data, so it must be checked (and maybe repaired) before appending. */
  #needsCheck(): boolean {
    if (this.#compression === "plain") return false;
    try {
      return statSync(this.path).size > 0;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  /** Opens the file now if that needs no reading first; true when it is open. */
  #openNow(): boolean {
    if (this.#fd !== undefined) return true;
    if (this.#failing) return false;
    try {
      if (this.#needsCheck()) return false;
      this.#openFile();
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  async #open(): Promise<void> {
    if (this.#needsCheck()) await this.#repairCompressed();
    this.#openFile();
  }

  #openFile(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const fd = openSync(this.path, this.#compression === "plain" ? "a+" : "a");
    try {
      if (size > 0 && this.#compression === "plain") {
        const cut = dropTornLine(fd, size);
        if (cut > 0)
          this.#options.onWarning?.(
            `history file ${this.path} ended in a torn line; dropped its ${cut} bytes before appending`,
          );
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#fd = fd;
    this.#encoder = createEncoder(this.#compression, this.#options);
    this.#bytes = 0;
    this.#openedAt = this.#clock();
  }

  /** Rewrites an existing compressed file whose end is torn (its writer was killed) so it can be appended to. */
  async #repairCompressed(): Promise<void> {
    const problems: string[] = [];
    const source = openHistory(this.path, { onWarning: (m) => problems.push(m) });
    for await (const _ of source.batches());
    if (problems.length === 0) return;
    const repaired = `${this.path}.repair-${process.pid}`;
    const fd = openSync(repaired, "w");
    try {
      const encoder = createEncoder(this.#compression, this.#options);
      for await (const batch of openHistory(this.path).batches()) {
        writeAll(fd, encoder.write(Buffer.from(`${batch.join("\n")}\n`, "utf8")));
        writeAll(fd, encoder.flush());
      }
      writeAll(fd, encoder.finish());
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(repaired, this.path);
    this.#options.onWarning?.(
      `history file ${this.path} had a torn end and was repaired before appending (${problems[0]})`,
    );
  }

  #closeFile(clean: boolean): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      if (clean && this.#encoder !== undefined) {
        const tail = this.#encoder.finish();
        if (tail.length > 0) writeAll(fd, tail);
        if (this.#options.fsync === true) fsyncSync(fd);
      }
    } finally {
      this.#encoder = undefined;
      closeSync(fd);
    }
  }

  /** Ends the current file and shifts the set: `name.N` → `name.N+1`, …, `name` → `name.0` (compression suffixes kept). */
  #rotate(): void {
    this.#closeFile(true);
    const base = rotatedBase(this.path);
    const ext = this.path.slice(base.length);
    const files = listRotated(this.path).filter((f) => f.index >= 0);
    files.sort((a, b) => b.index - a.index);
    const keep = this.#options.keep;
    for (const file of files) {
      const fileExt = file.path.slice(`${base}.${file.index}`.length);
      if (keep !== undefined && file.index + 1 >= keep) rmSync(file.path, { force: true });
      else renameSync(file.path, `${base}.${file.index + 1}${fileExt}`);
    }
    if (keep === 0) rmSync(this.path, { force: true });
    else renameSync(this.path, `${base}.0${ext}`);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** Drops a torn last line (bytes after the last newline) of a plain file; returns how many bytes it dropped. */
function dropTornLine(fd: number, size: number): number {
  const block = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const n = readSync(fd, block, 0, end - start, start);
    const at = block.subarray(0, n).lastIndexOf(10);
    if (at >= 0) {
      const keep = start + at + 1;
      if (keep < size) ftruncateSync(fd, keep);
      return size - keep;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return size;
}
