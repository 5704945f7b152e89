import { CipDecodeError, type DecodeFailure } from "./errors.js";
import { hexExcerpt } from "./hex.js";

/**
 * A little-endian cursor over a byte range. Every read checks the bytes left and throws a
 * `CipDecodeError` naming the field; slices are zero-copy `subarray` views of the input.
 * `path` is the stack of enclosing field names reported in errors: decoders `enter`/`leave` it.
 */
export class Reader {
  readonly bytes: Uint8Array;
  // Created on first use: a DataView per reader cost more than the decoding of a small frame.
  private dataView: DataView | undefined;
  /** Absolute offset of the next byte to read. */
  offset: number;
  /** Absolute offset one past the last readable byte. */
  readonly end: number;
  readonly path: (string | number)[];

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length, path: (string | number)[] = []) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.path = path;
  }

  /** A DataView over `bytes`, for the float and 64-bit reads. */
  get view(): DataView {
    if (this.dataView === undefined)
      this.dataView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.dataView;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  enter(part: string | number): this {
    this.path.push(part);
    return this;
  }

  leave(): this {
    this.path.pop();
    return this;
  }

  /** A coded decode error at the current offset (or `at`), naming `field` under the current path. */
  fail(failure: DecodeFailure, detail: string, field?: string | number, at = this.offset): CipDecodeError {
    const path = field === undefined ? [...this.path] : [...this.path, field];
    return new CipDecodeError(failure, detail, at, path, hexExcerpt(this.bytes, at));
  }

  /** Throws unless `n` bytes are left. */
  need(n: number, field?: string | number): void {
    if (n > this.end - this.offset || n < 0)
      throw this.fail("truncated", `need ${n} byte(s), have ${this.end - this.offset}`, field);
  }

  /** Throws a `limit` error unless `count` ≤ `ceiling`; use before any loop or allocation sized by the wire. */
  ceiling(count: number, ceiling: number, field?: string | number): void {
    if (count > ceiling) throw this.fail("limit", `${count} exceeds the limit of ${ceiling}`, field);
  }

  u8(field?: string | number): number {
    if (this.offset >= this.end) this.need(1, field);
    return this.bytes[this.offset++] as number;
  }

  i8(field?: string | number): number {
    if (this.offset >= this.end) this.need(1, field);
    return ((this.bytes[this.offset++] as number) << 24) >> 24;
  }

  u16(field?: string | number): number {
    if (this.offset + 2 > this.end) this.need(2, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o] as number) | ((b[o + 1] as number) << 8);
  }

  i16(field?: string | number): number {
    if (this.offset + 2 > this.end) this.need(2, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (((b[o] as number) | ((b[o + 1] as number) << 8)) << 16) >> 16;
  }

  u32(field?: string | number): number {
    if (this.offset + 4 > this.end) this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (
      ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
      (b[o + 3] as number) * 0x1000000
    );
  }

  i32(field?: string | number): number {
    if (this.offset + 4 > this.end) this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (
      (b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)
    );
  }

  u64(field?: string | number): bigint {
    if (this.offset + 8 > this.end) this.need(8, field);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  i64(field?: string | number): bigint {
    if (this.offset + 8 > this.end) this.need(8, field);
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return v;
  }

  f32(field?: string | number): number {
    if (this.offset + 4 > this.end) this.need(4, field);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }

  f64(field?: string | number): number {
    if (this.offset + 8 > this.end) this.need(8, field);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** Big-endian u16 (socket addresses are in network order). */
  u16be(field?: string | number): number {
    if (this.offset + 2 > this.end) this.need(2, field);
    const v = this.view.getUint16(this.offset, false);
    this.offset += 2;
    return v;
  }

  /** Big-endian u32 (socket addresses are in network order). */
  u32be(field?: string | number): number {
    if (this.offset + 4 > this.end) this.need(4, field);
    const v = this.view.getUint32(this.offset, false);
    this.offset += 4;
    return v;
  }

  /** The next `n` bytes as a zero-copy view. */
  bytesN(n: number, field?: string | number): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** Everything left, as a zero-copy view. */
  rest(): Uint8Array {
    const v = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  skip(n: number, field?: string | number): void {
    this.need(n, field);
    this.offset += n;
  }

  /** A reader over the next `n` bytes (sharing this path); this reader moves past them. */
  sub(n: number, field?: string | number): Reader {
    this.need(n, field);
    const r = new Reader(this.bytes, this.offset, this.offset + n, this.path);
    this.offset += n;
    return r;
  }
}
