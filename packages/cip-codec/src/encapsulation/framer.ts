import { CipDecodeError, InvalidArgumentError } from "../core/errors.js";
import { hexExcerpt } from "../core/hex.js";
import { ENCAPSULATION_HEADER_SIZE, MAX_ENCAPSULATION_LENGTH } from "./encapsulation.js";

/** Options of an `EnipFramer`. */
export interface EnipFramerOptions {
  /** Largest frame accepted, header included; defaults to 65535 + 24 (every frame the length field can describe). */
  maxFrameSize?: number;
}

const LENGTH_OFFSET = 2;
/** Below this many bytes a byte loop beats `subarray` + `set` (which allocates a view). */
const SMALL_COPY = 32;
/**
 * Carried frames are assembled in slabs of this size and returned as views of them, because V8 gives
 * every typed array above 64 bytes its own off-heap store, which costs more than copying 100 bytes.
 */
const SLAB_SIZE = 16384;
/** A carried frame larger than this gets a buffer of its own rather than a slab's tail. */
const SLAB_FRAME_MAX = SLAB_SIZE / 4;

/**
 * Splits a TCP byte stream into whole encapsulation frames (24-byte header + `length` bytes).
 *
 * `push(chunk)` returns the frames completed by `chunk`, oldest first. A frame that lies inside one
 * chunk is returned as a zero-copy view of that chunk, so the caller must not reuse a chunk's buffer
 * after pushing it. A frame split across chunks is assembled once, as soon as its header is known,
 * into a piece of a 16 KiB slab (or a buffer of its own above 4 KiB), so each carried byte is copied
 * exactly once and nothing grows per chunk; a returned view may keep its slab alive.
 * Short input is never an error, only "need more". A header announcing more than `maxFrameSize` bytes
 * throws a `CipDecodeError` (`limit`) and leaves the framer failed: the stream has lost its framing, so
 * every later `push` or `end` throws the same error. Frames completed earlier in the failing chunk are
 * dropped with it.
 */
export class EnipFramer {
  /** Largest frame accepted, header included. */
  readonly maxFrameSize: number;
  /** A header that has not fully arrived. */
  private readonly head = new Uint8Array(ENCAPSULATION_HEADER_SIZE);
  private headFill = 0;
  /** The frame being assembled across chunks once its header is known, or null. */
  private pending: Uint8Array | null = null;
  private pendingFill = 0;
  /** Where carried frames are assembled; views of it are returned, so its written bytes are never reused. */
  private slab: Uint8Array | null = null;
  private slabUsed = 0;
  /** Stream offset of the first byte of the next chunk. */
  private position = 0;
  /** Stream offset of the carried frame's first byte. */
  private frameStart = 0;
  private failure: CipDecodeError | null = null;

  constructor(options: EnipFramerOptions = {}) {
    const max = options.maxFrameSize ?? MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE;
    if (!Number.isInteger(max) || max < ENCAPSULATION_HEADER_SIZE)
      throw new InvalidArgumentError(
        `"maxFrameSize" must be an integer of at least ${ENCAPSULATION_HEADER_SIZE}, got ${max}`,
      );
    this.maxFrameSize = max;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get buffered(): number {
    return this.pending === null ? this.headFill : this.pendingFill;
  }

  /** Feeds `chunk` and returns every frame it completes (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== null) throw this.failure;
    const frames: Uint8Array[] = [];
    const n = chunk.length;
    let at = this.headFill > 0 || this.pending !== null ? this.resume(chunk, frames) : 0;
    const max = this.maxFrameSize;
    while (n - at >= ENCAPSULATION_HEADER_SIZE) {
      const total =
        ENCAPSULATION_HEADER_SIZE + ((chunk[at + 2] as number) | ((chunk[at + 3] as number) << 8));
      if (total > max) throw this.tooLarge(chunk, at, total);
      if (total > n - at) break;
      // A chunk that is exactly one frame (a lock-step peer's every request) is returned as it is: no view.
      frames.push(total === n ? chunk : chunk.subarray(at, at + total));
      at += total;
    }
    if (at < n) this.carry(chunk, at);
    this.position += n;
    return frames;
  }

  /** Declares the end of the stream; throws a `CipDecodeError` (`truncated`) when a partial frame remains. */
  end(): void {
    if (this.failure !== null) throw this.failure;
    const held = this.buffered;
    if (held === 0) return;
    const bytes = this.pending ?? this.head.subarray(0, this.headFill);
    const expected = this.pending === null ? "a 24-byte header" : `${this.pending.length} bytes`;
    const error = new CipDecodeError(
      "truncated",
      `stream ended after ${held} byte(s) of a frame that needs ${expected}`,
      this.frameStart + held,
      [],
      hexExcerpt(bytes, held),
    );
    this.headFill = 0;
    this.pending = null;
    this.pendingFill = 0;
    throw error;
  }

  /** Completes the carried frame from the start of `chunk`; returns how many bytes of `chunk` it used. */
  private resume(chunk: Uint8Array, frames: Uint8Array[]): number {
    const n = chunk.length;
    let at = 0;
    if (this.pending === null) {
      const head = this.head;
      let fill = this.headFill;
      const take = Math.min(ENCAPSULATION_HEADER_SIZE - fill, n);
      for (let i = 0; i < take; i++) head[fill++] = chunk[i] as number;
      at = take;
      this.headFill = fill;
      if (fill < ENCAPSULATION_HEADER_SIZE) return at;
      const total = ENCAPSULATION_HEADER_SIZE + ((head[2] as number) | ((head[3] as number) << 8));
      if (total > this.maxFrameSize) throw this.tooLarge(head, 0, total, this.frameStart);
      this.headFill = 0;
      const frame = this.allocate(total);
      for (let i = 0; i < ENCAPSULATION_HEADER_SIZE; i++) frame[i] = head[i] as number;
      if (total === ENCAPSULATION_HEADER_SIZE) {
        frames.push(frame);
        return at;
      }
      this.pending = frame;
      this.pendingFill = ENCAPSULATION_HEADER_SIZE;
    }
    const frame = this.pending as Uint8Array;
    let fill = this.pendingFill;
    const take = Math.min(frame.length - fill, n - at);
    if (take < SMALL_COPY) for (let i = 0; i < take; i++) frame[fill++] = chunk[at + i] as number;
    else {
      frame.set(at === 0 && take === n ? chunk : chunk.subarray(at, at + take), fill);
      fill += take;
    }
    at += take;
    if (fill === frame.length) {
      frames.push(frame);
      this.pending = null;
      this.pendingFill = 0;
    } else this.pendingFill = fill;
    return at;
  }

  /** Keeps the tail of `chunk` from `at`, which holds less than one whole frame. */
  private carry(chunk: Uint8Array, at: number): void {
    const rest = chunk.length - at;
    this.frameStart = this.position + at;
    if (rest < ENCAPSULATION_HEADER_SIZE) {
      const head = this.head;
      for (let i = 0; i < rest; i++) head[i] = chunk[at + i] as number;
      this.headFill = rest;
      return;
    }
    // The header is here and its size already passed the ceiling in `push`.
    const total = ENCAPSULATION_HEADER_SIZE + ((chunk[at + 2] as number) | ((chunk[at + 3] as number) << 8));
    const frame = this.allocate(total);
    if (rest < SMALL_COPY) for (let i = 0; i < rest; i++) frame[i] = chunk[at + i] as number;
    else frame.set(chunk.subarray(at), 0);
    this.pending = frame;
    this.pendingFill = rest;
  }

  /** A buffer of `size` bytes for a carried frame: the next piece of the slab, or its own when large. */
  private allocate(size: number): Uint8Array {
    if (size > SLAB_FRAME_MAX) return new Uint8Array(size);
    let slab = this.slab;
    let used = this.slabUsed;
    if (slab === null || slab.length - used < size) {
      slab = new Uint8Array(SLAB_SIZE);
      this.slab = slab;
      used = 0;
    }
    this.slabUsed = used + size;
    return slab.subarray(used, used + size);
  }

  private tooLarge(bytes: Uint8Array, at: number, total: number, start = this.position + at): CipDecodeError {
    this.failure = new CipDecodeError(
      "limit",
      `frame of ${total} bytes exceeds the limit of ${this.maxFrameSize}`,
      start + LENGTH_OFFSET,
      ["length"],
      hexExcerpt(bytes, at + LENGTH_OFFSET),
    );
    this.headFill = 0;
    this.pending = null;
    this.pendingFill = 0;
    return this.failure;
  }
}
