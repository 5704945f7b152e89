/// <reference path="./modules.d.ts" />
// (The untyped codecs' typings travel with this file, so a package that typechecks history from source gets them.)
/**
 * History files compressed by their suffix (`.gz`, `.bz2`, `.xz`, anything else plain), as cpppo's opener
 * chooses. Writing is synchronous and incremental so that every acknowledgement can flush the compressor:
 * `.gz` is one gzip member whose deflate data is cut at a sync flush at each `flush()` (a reader recovers
 * everything up to the last flush of a file that was never closed); `.xz` closes one xz stream at each
 * `flush()` (a file of concatenated streams, which every xz reader accepts). `.bz2` is read only.
 */

import { constants, crc32, deflateRawSync } from "node:zlib";
import { InvalidArgumentError } from "@cpppo/automata/errors";
import lzma, { type NativeStream } from "lzma-native";

/** The compression of a history file, from its name. */
export type Compression = "gz" | "bz2" | "xz" | "plain";

/** The compression that `path`'s suffix names: `.gz`, `.bz2`, `.xz`, or `plain` for any other name. */
export function compressionOf(path: string): Compression {
  if (path.endsWith(".gz")) return "gz";
  if (path.endsWith(".bz2")) return "bz2";
  if (path.endsWith(".xz")) return "xz";
  return "plain";
}

/** An incremental, synchronous compressor: `write` takes data, `flush` returns the bytes that make all of it readable, `finish` ends the file. */
export interface Encoder {
  /** Compresses `data`; returns the bytes to append (possibly none until the next flush). */
  write(data: Buffer): Buffer;
  /** Returns the bytes that make everything written so far decodable by a reader. */
  flush(): Buffer;
  /** Returns the bytes that end the file cleanly; the encoder is then spent. */
  finish(): Buffer;
}

const EMPTY = Buffer.alloc(0);

class PlainEncoder implements Encoder {
  write(data: Buffer): Buffer {
    return data;
  }
  flush(): Buffer {
    return EMPTY;
  }
  finish(): Buffer {
    return EMPTY;
  }
}

// The 10-byte gzip member header (RFC 1952 §2.3): magic, deflate, no flags, no mtime, no extra flags, OS unix.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
// A final, empty fixed-Huffman deflate block (RFC 1951 §3.2.6): ends a deflate stream.
const DEFLATE_END = Buffer.from([0x03, 0x00]);

/**
 * How many bytes of the data before a flush are handed to deflate as its preset dictionary. Each flush is
 * compressed by a fresh deflate (Node has no synchronous deflate that lives across calls), which alone could
 * not refer to anything before it: a writer acknowledging records one or a few at a time (historize) would
 * then get files no smaller than the text. The bytes just before are in every reader's window (up to 32 KiB
 * of the same gzip member), so the new piece may refer to them; 4 KiB holds the last few dozen records, which
 * share most of their text with the new ones, and costs little to prepare.
 */
const DICTIONARY_BYTES = 4096;

/**
 * One gzip member, written in sync-flushed pieces: each `flush` deflates the data held since the last one
 * (with the data before it as a dictionary) and ends it with a sync flush (an empty stored block), so the
 * deflate data up to there is complete.
 */
class GzipEncoder implements Encoder {
  #pending: Buffer[] = [];
  #started = false;
  #crc = 0;
  #size = 0;
  /** The last `DICTIONARY_BYTES` of the data flushed so far (a copy: the writer reuses its buffers). */
  #window: Buffer = EMPTY;
  constructor(private readonly level: number) {}

  write(data: Buffer): Buffer {
    if (data.length > 0) this.#pending.push(data);
    return EMPTY;
  }

  flush(): Buffer {
    if (this.#pending.length === 0) return EMPTY;
    const data = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#crc = crc32(data, this.#crc);
    this.#size = (this.#size + data.length) >>> 0;
    const deflated = deflateRawSync(data, {
      level: this.level,
      finishFlush: constants.Z_SYNC_FLUSH,
      // zlib's output pieces sized to the data (its default is 16 KiB): a few large pieces for a batch of
      // records to join, and no 16 KiB buffer to allocate for the few bytes of one record.
      chunkSize: Math.min(256 * 1024, Math.max(1024, data.length >> 1)),
      ...(this.#window.length > 0 ? { dictionary: this.#window } : {}),
    });
    this.#window =
      data.length >= DICTIONARY_BYTES
        ? Buffer.from(data.subarray(data.length - DICTIONARY_BYTES))
        : Buffer.concat([
            this.#window.subarray(Math.max(0, this.#window.length + data.length - DICTIONARY_BYTES)),
            data,
          ]);
    if (this.#started) return deflated;
    this.#started = true;
    return Buffer.concat([GZIP_HEADER, deflated]);
  }

  finish(): Buffer {
    const flushed = this.flush();
    if (!this.#started) return EMPTY;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.#crc >>> 0, 0);
    trailer.writeUInt32LE(this.#size, 4);
    return Buffer.concat([flushed, DEFLATE_END, trailer]);
  }
}

/** Runs `code` on a native liblzma stream synchronously and returns the output (throws its error). */
function codeSync(stream: NativeStream, chunk: Buffer | null, out: Buffer[]): void {
  let failure: Error | undefined;
  stream.bufferHandler = (buf, _processed, error) => {
    if (buf) out.push(buf);
    if (error) failure = error;
  };
  stream.code(chunk, false);
  if (failure !== undefined) throw failure;
}

/** A series of xz streams: each `flush` compresses the data held since the last one as one complete stream. */
class XzEncoder implements Encoder {
  #pending: Buffer[] = [];
  constructor(private readonly preset: number) {}

  write(data: Buffer): Buffer {
    if (data.length > 0) this.#pending.push(data);
    return EMPTY;
  }

  flush(): Buffer {
    if (this.#pending.length === 0) return EMPTY;
    const data = Buffer.concat(this.#pending);
    this.#pending = [];
    const stream = new lzma.Stream();
    stream.easyEncoder_(this.preset, lzma.CHECK_CRC32);
    const out: Buffer[] = [];
    codeSync(stream, data, out);
    codeSync(stream, null, out);
    return Buffer.concat(out);
  }

  finish(): Buffer {
    return this.flush();
  }
}

/**
 * The default zlib level of `.gz` history files: 4, a trade of speed for size. Python's `gzip` module, which
 * cpppo's opener uses, defaults to 9, and zlib (and the gzip tool) to 6; every level makes the same format, so
 * readers (cpppo's included) do not care. On history records (tags with integer or float values, register
 * frames) level 4 makes files within 3–10 % of level 6's at about 1.6 times its speed, which is what lets a
 * writer keep up with a million records a second; level 2 is faster still for files 10–30 % larger; level 1
 * is no faster and a little larger; level 9 is some 5 times slower than 6 for files 1–10 % smaller. A writer
 * that wants other trade-offs sets `gzipLevel`.
 */
export const DEFAULT_GZIP_LEVEL = 4;

/** Options of `createEncoder`. */
export interface EncoderOptions {
  /** zlib level for `.gz` (0–9); defaults to `DEFAULT_GZIP_LEVEL` (4). */
  gzipLevel?: number;
  /** xz preset for `.xz` (0–9); defaults to 1 (a small dictionary: each flush starts a stream). */
  xzPreset?: number;
}

/** The encoder for writing a file of compression `kind` (`bz2` cannot be written). */
export function createEncoder(kind: Compression, options: EncoderOptions = {}): Encoder {
  switch (kind) {
    case "gz":
      return new GzipEncoder(options.gzipLevel ?? DEFAULT_GZIP_LEVEL);
    case "xz":
      return new XzEncoder(options.xzPreset ?? 1);
    case "plain":
      return new PlainEncoder();
    case "bz2":
      throw new InvalidArgumentError("history files cannot be written as .bz2: use .gz, .xz or a plain name");
  }
}

/** A synchronous xz decoder of concatenated streams; `end` reports a stream cut short. */
export class XzDecoder {
  #stream: NativeStream = new lzma.Stream();
  constructor() {
    this.#stream.autoDecoder_(null, lzma.CONCATENATED);
  }
  /** Decodes `chunk`; returns the bytes it completes. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    codeSync(this.#stream, chunk, out);
    return out;
  }
  /** Ends the input; returns the last bytes and throws when the data was cut short or corrupt. */
  end(): Buffer[] {
    const out: Buffer[] = [];
    codeSync(this.#stream, null, out);
    return out;
  }
}
