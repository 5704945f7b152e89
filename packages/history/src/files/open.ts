/// <reference path="./modules.d.ts" />
// (The untyped codecs' typings travel with this file, so a package that typechecks history from source gets them.)
/**
 * Reading history files, streaming, by suffix: plain, `.gz`, `.bz2` or `.xz`. A file cut short (a writer
 * killed mid-write) is read up to its last complete line: the torn tail, or compressed data that ends
 * early, gives a warning and never an error for what came before it.
 */
import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import { type Duplex, PassThrough } from "node:stream";
import { createGunzip } from "node:zlib";
import unbzip2Stream from "unbzip2-stream";
import { type Compression, compressionOf, XzDecoder } from "./compression.js";

/** Options of `openHistory`. */
export interface OpenHistoryOptions {
  /** Called with a one-line message for each recoverable problem (a torn last line, truncated compressed data); defaults to ignoring them. */
  onWarning?: (message: string) => void;
  /** Bytes read from the file at a time; defaults to 256 KiB. */
  chunkSize?: number;
}

/** A history file opened for reading: its lines in batches (`batches()`) or one by one (async iteration). */
export interface HistoryFileReader extends AsyncIterable<string> {
  /** The file's path. */
  readonly path: string;
  /** Its compression, from its suffix. */
  readonly compression: Compression;
  /** The file's complete lines (without newlines), in batches, streaming; the file is closed when it ends or the loop breaks. */
  batches(): AsyncGenerator<string[], void, undefined>;
}

const NEWLINE = 10;

/**
 * The size of the pieces gunzip hands on (zlib's default is 16 KiB): every piece goes through a few async
 * generators on its way to the reader, each a promise turn or two, so fewer, larger pieces cost less per record;
 * 64 KiB still decodes to a string that V8 keeps in its young generation.
 */
const GUNZIP_CHUNK = 64 * 1024;

async function* decompressed(
  path: string,
  kind: Compression,
  chunkSize: number,
  warn: (m: string) => void,
): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { highWaterMark: chunkSize });
  if (kind === "plain") {
    try {
      yield* file as AsyncIterable<Buffer>;
    } finally {
      file.destroy();
    }
    return;
  }
  if (kind === "xz") {
    const decoder = new XzDecoder();
    try {
      for await (const chunk of file as AsyncIterable<Buffer>) {
        for (const out of decoder.push(chunk)) yield out;
      }
      for (const out of decoder.end()) yield out;
    } catch (error) {
      warn(
        `${path}: xz data ends early or is corrupt (${(error as Error).message}); read up to its last complete block`,
      );
    } finally {
      file.destroy();
    }
    return;
  }
  if (kind === "gz") {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
    file.on("error", (error) => gunzip.destroy(error));
    file.pipe(gunzip);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      truncated(path, kind, error, warn);
    } finally {
      file.unpipe(gunzip);
      file.destroy();
      gunzip.destroy();
    }
    return;
  }
  // unbzip2-stream is an old-style stream without async iteration: read through a PassThrough.
  const decoder: Duplex = unbzip2Stream();
  const output = new PassThrough({ highWaterMark: chunkSize });
  file.on("error", (error) => output.destroy(error));
  decoder.on("error", (error) => output.destroy(error));
  file.pipe(decoder).pipe(output);
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    truncated(path, kind, error, warn);
  } finally {
    file.unpipe(decoder);
    file.destroy();
    decoder.destroy();
    output.destroy();
  }
}

/** Rethrows a failure to read the file itself; warns of compressed data that ends early or is corrupt. */
function truncated(path: string, kind: Compression, error: unknown, warn: (m: string) => void): void {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw error;
  warn(
    `${path}: ${kind} data ends early or is corrupt (${(error as Error).message}); read up to its last complete block`,
  );
}

/** Decodes bytes of a history file: ASCII (what cpppo and our writer write) as latin1, the fastest decoding (the same characters, a one-byte string); anything else as UTF-8. */
function decode(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
}

/**
 * The complete lines of a file, streaming, as texts: each text is one or more lines joined by `\n` (the last
 * without its newline), decoded a chunk at a time, so no string is made per line and no chunk is copied to
 * join it to the line the chunk before left unfinished. Yields the texts of each chunk together.
 */
export async function* historyTexts(
  path: string,
  options: OpenHistoryOptions = {},
): AsyncGenerator<string[]> {
  const compression = compressionOf(path);
  const warn = options.onWarning ?? (() => {});
  const chunkSize = options.chunkSize ?? 256 * 1024;
  let carry: Buffer | undefined;
  for await (const chunk of decompressed(path, compression, chunkSize, warn)) {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      carry = carry === undefined ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
      continue;
    }
    const texts: string[] = [];
    let from = 0;
    if (carry !== undefined) {
      // The line the last chunk left unfinished, completed alone (only it is copied).
      const first = chunk.indexOf(NEWLINE);
      texts.push(decode(Buffer.concat([carry, chunk.subarray(0, first)])));
      from = first + 1;
    }
    if (last >= from) texts.push(decode(chunk.subarray(from, last)));
    carry = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : undefined;
    yield texts;
  }
  if (carry !== undefined && carry.length > 0) {
    const text = carry.toString("utf8");
    warn(
      `${path}: skipped a torn last line (${carry.length} bytes with no newline): ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`,
    );
  }
}

/**
 * Opens a history file for reading, chosen by its suffix as cpppo's opener does. Nothing is read until it
 * is iterated. Lines are split at `\n`; a last line with no newline is torn (its writer died) and skipped
 * with a warning.
 */
export function openHistory(path: string, options: OpenHistoryOptions = {}): HistoryFileReader {
  const compression = compressionOf(path);
  async function* batches(): AsyncGenerator<string[], void, undefined> {
    for await (const texts of historyTexts(path, options)) {
      // One or two texts: the line the chunk before left unfinished (one line), then the chunk's other lines.
      let lines: string[] = [];
      for (const text of texts)
        lines = lines.length === 0 ? text.split("\n") : lines.concat(text.split("\n"));
      yield lines;
    }
  }
  return {
    path,
    compression,
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch;
    },
  };
}
