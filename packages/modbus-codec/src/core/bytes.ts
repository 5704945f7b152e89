import { ModbusEncodeError } from "./errors.js";

/** Big-endian u16 at `o` (the caller has checked the bounds). */
export function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

/** Writes big-endian `v` at `o`. */
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

/** `v` when it is an integer in 0…65535, else a `ModbusEncodeError` naming `field`. */
export function checkU16(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new ModbusEncodeError(`"${field}" must be an integer in 0…65535, got ${v}`);
  return v;
}

/** `v` when it is an integer in 0…255, else a `ModbusEncodeError` naming `field`. */
export function checkU8(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff)
    throw new ModbusEncodeError(`"${field}" must be an integer in 0…255, got ${v}`);
  return v;
}

/** `n` when it is within 1…`limit`, else a `ModbusEncodeError` naming `field`. */
export function checkCount(n: number, limit: number, field: string): number {
  if (!Number.isInteger(n) || n < 1 || n > limit)
    throw new ModbusEncodeError(`"${field}" must be 1…${limit}, got ${n}`);
  return n;
}

/** Unpacks `count` bits from `count / 8` bytes at `o`, least significant bit first. */
export function unpackBits(b: Uint8Array, o: number, count: number): boolean[] {
  const out = new Array<boolean>(count);
  for (let i = 0; i < count; i++) out[i] = (((b[o + (i >>> 3)] as number) >>> (i & 7)) & 1) === 1;
  return out;
}

/** Packs `bits` at `o`, least significant bit first, the last byte padded with zeros. */
export function packBits(b: Uint8Array, o: number, bits: readonly boolean[]): void {
  for (let i = 0; i < bits.length; i++)
    if (bits[i]) b[o + (i >>> 3)] = (b[o + (i >>> 3)] as number) | (1 << (i & 7));
}

/** At or below this size a fresh `Uint8Array` is cheap (V8 keeps it on the heap); above it, a slab's view is. */
const SMALL = 64;
const SLAB_SIZE = 65536;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/**
 * `n` zeroed bytes. Above 64 bytes they are a view of a shared 64 KiB slab, because V8 gives every larger typed
 * array its own off-heap store, which costs several times more than encoding a 100-register reply. A view's
 * bytes are never handed out again; a view keeps its slab alive.
 */
export function allocate(n: number): Uint8Array {
  if (n <= SMALL) return new Uint8Array(n);
  if (n > SLAB_SIZE / 4) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed += n;
  return out;
}

const subarray = Uint8Array.prototype.subarray;

/**
 * `b[start…end)` as a plain `Uint8Array` view of the same memory. A plain `Uint8Array` is cut with `subarray` (its
 * species is `Uint8Array` itself: V8's fast path, a third cheaper than the constructor, whose `b.buffer` read is
 * most of its cost). Anything else, a `Buffer` above all, goes through the constructor: `subarray` would look up
 * its species and call `Buffer`'s own, 2-3x the cost of decoding a 100-register reply (bench/index.ts,
 * `.at-offset` figures), and would return a `Buffer`.
 */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  if (b.constructor === Uint8Array) return subarray.call(b, start, end);
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}
