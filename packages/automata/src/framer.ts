import { count, type Machine, machine, type SymbolBuffer } from "./builder.js";
import type { Program } from "./compile.js";
import { InvalidArgumentError } from "./errors.js";
import { Parser } from "./parser.js";

/** Little-endian unsigned 8-bit decoder for counted runs. */
export const u8 = (b: SymbolBuffer, start: number): number => b[start] as number;
/** Little-endian unsigned 16-bit decoder for counted runs. */
export const u16le = (b: SymbolBuffer, start: number): number =>
  (b[start] as number) | ((b[start + 1] as number) << 8);
/** Big-endian unsigned 16-bit decoder for counted runs. */
export const u16be = (b: SymbolBuffer, start: number): number =>
  ((b[start] as number) << 8) | (b[start + 1] as number);
/** Little-endian unsigned 32-bit decoder for counted runs. */
export const u32le = (b: SymbolBuffer, start: number): number =>
  ((b[start] as number) | ((b[start + 1] as number) << 8) | ((b[start + 2] as number) << 16)) +
  (b[start + 3] as number) * 0x1000000;
/** Big-endian unsigned 32-bit decoder for counted runs. */
export const u32be = (b: SymbolBuffer, start: number): number =>
  (b[start] as number) * 0x1000000 +
  (((b[start + 1] as number) << 16) | ((b[start + 2] as number) << 8) | (b[start + 3] as number));

/** Options of `lengthPrefixedFrame`. */
export interface LengthPrefixOptions {
  /** Width of the length field in bytes: 1, 2 or 4; defaults to 2. */
  lengthBytes?: 1 | 2 | 4;
  /** Whether the length field is big-endian; defaults to false (little-endian, as EtherNet/IP). */
  bigEndian?: boolean;
  /** Name of the machine; defaults to "frame". */
  name?: string;
}

/**
 * A machine for one length-prefixed frame: a counted run for the length field (stored at `length`),
 * then a counted run of that many bytes (stored at `payload`, a zero-copy view when it fits one chunk).
 */
export function lengthPrefixedFrame(options: LengthPrefixOptions = {}): Machine {
  const width = options.lengthBytes ?? 2;
  if (width !== 1 && width !== 2 && width !== 4)
    throw new InvalidArgumentError('"lengthBytes" must be 1, 2 or 4');
  const big = options.bigEndian ?? false;
  const decoder = width === 1 ? u8 : width === 2 ? (big ? u16be : u16le) : big ? u32be : u32le;
  const header = count("length", width, { context: "length", decode: decoder });
  const payload = count("payload", "length", { context: "payload", terminal: true });
  header.epsilon(payload);
  return machine(options.name ?? "frame", header);
}

/**
 * Splits a stream into consecutive runs of one machine: `push(chunk)` feeds as much as it can, calls
 * `onFrame(parser)` for each completed run (read results with `parser.slotValue`/`get`/`result`
 * inside the callback), then restarts the machine on the rest of the chunk.
 */
export class Framer {
  readonly parser: Parser;
  private readonly onFrame: (parser: Parser) => void;
  private partial = false;

  constructor(program: Program, onFrame: (parser: Parser) => void) {
    this.parser = new Parser(program);
    this.onFrame = onFrame;
  }

  /** Feeds one chunk; returns the number of frames it completed. Throws the parser's errors on bad input. */
  push(chunk: Uint8Array | string): number {
    const parser = this.parser;
    let start = 0;
    let frames = 0;
    while (start < chunk.length) {
      const status = parser.feed(chunk, start);
      if (status === "more") {
        this.partial = true;
        break;
      }
      this.onFrame(parser);
      frames++;
      start += parser.consumed;
      parser.reset();
      this.partial = false;
    }
    return frames;
  }

  /** Ends the stream: completes a pending frame (calling `onFrame`) or throws NonTerminalError for a truncated one. */
  end(): void {
    if (!this.partial) return;
    this.parser.end();
    this.onFrame(this.parser);
    this.parser.reset();
    this.partial = false;
  }
}
