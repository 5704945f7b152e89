import { CipEncodeError } from "./errors.js";

// Small messages are carved out of a shared slab, as Node's Buffer pool does: allocating a typed array
// over 64 bytes costs an off-heap backing store each time, which dominated encoding small frames.
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX_MESSAGE = 4096;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > SLAB_MAX_MESSAGE) return new Uint8Array(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const bytes = new Uint8Array(slab, slabUsed, size);
  slabUsed += (size + 7) & ~7;
  return bytes;
}

/**
 * A little-endian cursor writing into one buffer. Size the message first (every encoder has a
 * `sizeOf`) and allocate once; the buffer still grows if a size was short, so a wrong estimate costs
 * a copy, never a wrong frame. Messages up to 4 KiB are views into a shared 64 KiB slab: the bytes
 * are the caller's, but `bytes.buffer` is shared, so copy before transferring the ArrayBuffer.
 */
export class Writer {
  bytes: Uint8Array;
  /** Absolute offset of the next byte to write, relative to `bytes`. */
  offset = 0;
  private floatView: DataView | undefined;

  constructor(size = 64) {
    this.bytes = allocate(size);
  }

  private grow(n: number): void {
    if (this.offset + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.offset + n));
    next.set(this.bytes.subarray(0, this.offset));
    this.bytes = next;
    this.floatView = undefined;
  }

  private view(n: number): DataView {
    if (this.offset + n > this.bytes.length) this.grow(n);
    if (this.floatView === undefined)
      this.floatView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.floatView;
  }

  u8(v: number): this {
    if (this.offset + 1 > this.bytes.length) this.grow(1);
    this.bytes[this.offset++] = v;
    return this;
  }

  /** Signed values are written modulo 2^8 (two's complement), as for u8. */
  i8(v: number): this {
    return this.u8(v);
  }

  u16(v: number): this {
    if (this.offset + 2 > this.bytes.length) this.grow(2);
    const b = this.bytes;
    const o = this.offset;
    b[o] = v;
    b[o + 1] = v >>> 8;
    this.offset = o + 2;
    return this;
  }

  i16(v: number): this {
    return this.u16(v & 0xffff);
  }

  u32(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    const b = this.bytes;
    const o = this.offset;
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
    this.offset = o + 4;
    return this;
  }

  i32(v: number): this {
    return this.u32(v >>> 0);
  }

  u64(v: bigint): this {
    this.view(8).setBigUint64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  i64(v: bigint): this {
    this.view(8).setBigInt64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  f32(v: number): this {
    this.view(4).setFloat32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  f64(v: number): this {
    this.view(8).setFloat64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  u16be(v: number): this {
    if (this.offset + 2 > this.bytes.length) this.grow(2);
    this.bytes[this.offset] = v >>> 8;
    this.bytes[this.offset + 1] = v;
    this.offset += 2;
    return this;
  }

  u32be(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    const b = this.bytes;
    const o = this.offset;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
    this.offset = o + 4;
    return this;
  }

  raw(v: Uint8Array): this {
    if (this.offset + v.length > this.bytes.length) this.grow(v.length);
    this.bytes.set(v, this.offset);
    this.offset += v.length;
    return this;
  }

  zeros(n: number): this {
    if (this.offset + n > this.bytes.length) this.grow(n);
    this.bytes.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }

  /** Writes a u16 at an earlier offset (e.g. a length known only after the body). */
  patchU16(at: number, v: number): this {
    if (at + 2 > this.offset) throw new CipEncodeError(`patch at ${at} is beyond the written bytes`);
    this.bytes[at] = v;
    this.bytes[at + 1] = v >>> 8;
    return this;
  }

  /** The written bytes (the buffer itself when sized exactly, else a trimmed view). */
  finish(): Uint8Array {
    return this.offset === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.offset);
  }
}

/** Checks an integer is within `[min, max]` before it is written; throws `CipEncodeError` naming the field. */
export function checkRange(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new CipEncodeError(`"${field}" must be an integer in ${min}..${max}, got ${v}`);
}
