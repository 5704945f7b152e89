import { CipEncodeError } from "./errors.js";

/**
 * A little-endian cursor writing into one buffer. Size the message first (every encoder has a
 * `sizeOf`) and allocate once; the buffer still grows if a size was short, so a wrong estimate costs
 * a copy, never a wrong frame.
 */
export class Writer {
  bytes: Uint8Array;
  view: DataView;
  offset = 0;

  constructor(size = 64) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  private grow(n: number): void {
    if (this.offset + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.offset + n));
    next.set(this.bytes.subarray(0, this.offset));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    if (this.offset + 1 > this.bytes.length) this.grow(1);
    this.bytes[this.offset++] = v;
    return this;
  }

  u16(v: number): this {
    if (this.offset + 2 > this.bytes.length) this.grow(2);
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
    return this;
  }

  i16(v: number): this {
    if (this.offset + 2 > this.bytes.length) this.grow(2);
    this.view.setInt16(this.offset, v, true);
    this.offset += 2;
    return this;
  }

  u32(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  i32(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    this.view.setInt32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  i8(v: number): this {
    if (this.offset + 1 > this.bytes.length) this.grow(1);
    this.view.setInt8(this.offset++, v);
    return this;
  }

  u64(v: bigint): this {
    if (this.offset + 8 > this.bytes.length) this.grow(8);
    this.view.setBigUint64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  i64(v: bigint): this {
    if (this.offset + 8 > this.bytes.length) this.grow(8);
    this.view.setBigInt64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  f32(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  f64(v: number): this {
    if (this.offset + 8 > this.bytes.length) this.grow(8);
    this.view.setFloat64(this.offset, v, true);
    this.offset += 8;
    return this;
  }

  u16be(v: number): this {
    if (this.offset + 2 > this.bytes.length) this.grow(2);
    this.view.setUint16(this.offset, v, false);
    this.offset += 2;
    return this;
  }

  u32be(v: number): this {
    if (this.offset + 4 > this.bytes.length) this.grow(4);
    this.view.setUint32(this.offset, v, false);
    this.offset += 4;
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

  /** Writes a u16 at an earlier absolute offset (e.g. a length known only after the body). */
  patchU16(at: number, v: number): this {
    if (at + 2 > this.offset) throw new CipEncodeError(`patch at ${at} is beyond the written bytes`);
    this.view.setUint16(at, v, true);
    return this;
  }

  /** The written bytes (a view when the buffer was sized exactly, else a trimmed view). */
  finish(): Uint8Array {
    return this.offset === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.offset);
  }
}

/** Checks an integer is within `[min, max]` before it is written; throws `CipEncodeError` naming the field. */
export function checkRange(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new CipEncodeError(`"${field}" must be an integer in ${min}..${max}, got ${v}`);
}
