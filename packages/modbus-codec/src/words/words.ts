import { InvalidArgumentError, ModbusEncodeError } from "../core/errors.js";

/**
 * How a 32-bit value's bytes A B C D (A most significant) lie in two registers: "ABCD" is big-endian (w0 = AB,
 * w1 = CD), "CDAB" swaps the words, "BADC" swaps the bytes in each word, "DCBA" is little-endian.
 */
export type WordOrder = "ABCD" | "CDAB" | "BADC" | "DCBA";

const scratch = new DataView(new ArrayBuffer(4));

function checkOrder(order: WordOrder): void {
  if (order !== "ABCD" && order !== "CDAB" && order !== "BADC" && order !== "DCBA")
    throw new ModbusEncodeError(`word order must be ABCD, CDAB, BADC or DCBA, got ${String(order)}`);
}

const swapBytes = (w: number): number => ((w & 0xff) << 8) | (w >>> 8);

/** The two registers of the scratch's big-endian bytes in `order`. */
function toWords(order: WordOrder): [number, number] {
  checkOrder(order);
  const hi = scratch.getUint16(0);
  const lo = scratch.getUint16(2);
  switch (order) {
    case "ABCD":
      return [hi, lo];
    case "CDAB":
      return [lo, hi];
    case "BADC":
      return [swapBytes(hi), swapBytes(lo)];
    default:
      return [swapBytes(lo), swapBytes(hi)];
  }
}

/** Puts `words[offset]`, `words[offset + 1]` in `order` into the scratch as big-endian bytes. */
function fromWords(words: readonly number[], offset: number, order: WordOrder): void {
  checkOrder(order);
  const w0 = words[offset];
  const w1 = words[offset + 1];
  if (w0 === undefined || w1 === undefined)
    throw new InvalidArgumentError(
      `two registers are needed at offset ${offset}, ${words.length - offset} remain`,
    );
  for (const w of [w0, w1])
    if (!Number.isInteger(w) || w < 0 || w > 0xffff)
      throw new InvalidArgumentError(`a register must be 0…65535, got ${w}`);
  switch (order) {
    case "ABCD":
      scratch.setUint16(0, w0);
      scratch.setUint16(2, w1);
      break;
    case "CDAB":
      scratch.setUint16(0, w1);
      scratch.setUint16(2, w0);
      break;
    case "BADC":
      scratch.setUint16(0, swapBytes(w0));
      scratch.setUint16(2, swapBytes(w1));
      break;
    default:
      scratch.setUint16(0, swapBytes(w1));
      scratch.setUint16(2, swapBytes(w0));
  }
}

function checkInteger(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ModbusEncodeError(`${what} must be an integer in ${min}…${max}, got ${value}`);
}

/** The two registers of a signed 32-bit integer. */
export function encodeInt32(value: number, order: WordOrder = "ABCD"): [number, number] {
  checkInteger(value, -0x80000000, 0x7fffffff, "an int32");
  scratch.setInt32(0, value);
  return toWords(order);
}

/** The signed 32-bit integer in `words[offset…offset + 2)`. */
export function decodeInt32(words: readonly number[], offset = 0, order: WordOrder = "ABCD"): number {
  fromWords(words, offset, order);
  return scratch.getInt32(0);
}

/** The two registers of an unsigned 32-bit integer. */
export function encodeUint32(value: number, order: WordOrder = "ABCD"): [number, number] {
  checkInteger(value, 0, 0xffffffff, "a uint32");
  scratch.setUint32(0, value);
  return toWords(order);
}

/** The unsigned 32-bit integer in `words[offset…offset + 2)`. */
export function decodeUint32(words: readonly number[], offset = 0, order: WordOrder = "ABCD"): number {
  fromWords(words, offset, order);
  return scratch.getUint32(0);
}

/** The two registers of an IEEE 754 single (the value rounded to single precision; NaN and ±Infinity kept). */
export function encodeFloat32(value: number, order: WordOrder = "ABCD"): [number, number] {
  if (typeof value !== "number")
    throw new ModbusEncodeError(`a float32 must be a number, got ${typeof value}`);
  scratch.setFloat32(0, value);
  return toWords(order);
}

/** The IEEE 754 single in `words[offset…offset + 2)`. */
export function decodeFloat32(words: readonly number[], offset = 0, order: WordOrder = "ABCD"): number {
  fromWords(words, offset, order);
  return scratch.getFloat32(0);
}

/** How text lies in registers: which byte of a register comes first, and the character encoding. */
export interface RegisterStringOptions {
  /** "high-first" (default): the first character is the register's high byte. */
  byteOrder?: "high-first" | "low-first";
  /** "latin1" (default; one byte per character, U+0000…U+00FF) or "utf8". */
  encoding?: "latin1" | "utf8";
}

function stringOptions(opts: RegisterStringOptions): { low: boolean; utf8: boolean } {
  const { byteOrder = "high-first", encoding = "latin1" } = opts;
  if (byteOrder !== "high-first" && byteOrder !== "low-first")
    throw new ModbusEncodeError(`byteOrder must be "high-first" or "low-first", got ${String(byteOrder)}`);
  if (encoding !== "latin1" && encoding !== "utf8")
    throw new ModbusEncodeError(`encoding must be "latin1" or "utf8", got ${String(encoding)}`);
  return { low: byteOrder === "low-first", utf8: encoding === "utf8" };
}

/** `text` in exactly `registers` registers, two bytes each, NUL-padded. Throws when it does not fit. */
export function encodeRegisterString(
  text: string,
  registers: number,
  opts: RegisterStringOptions = {},
): number[] {
  const { low, utf8 } = stringOptions(opts);
  checkInteger(registers, 0, 0xffff, "a register count");
  let encoded: Uint8Array;
  if (utf8) encoded = new TextEncoder().encode(text);
  else {
    encoded = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff)
        throw new ModbusEncodeError(`character U+${c.toString(16).padStart(4, "0")} is not latin1`);
      encoded[i] = c;
    }
  }
  if (encoded.length > 2 * registers)
    throw new ModbusEncodeError(`${encoded.length} bytes of text do not fit in ${registers} registers`);
  const out = new Array<number>(registers);
  for (let r = 0; r < registers; r++) {
    const first = encoded[2 * r] ?? 0;
    const second = encoded[2 * r + 1] ?? 0;
    out[r] = low ? (second << 8) | first : (first << 8) | second;
  }
  return out;
}

/** The text in `words[offset…offset + registers)`, up to its first NUL. */
export function decodeRegisterString(
  words: readonly number[],
  offset: number,
  registers: number,
  opts: RegisterStringOptions = {},
): string {
  const { low, utf8 } = stringOptions(opts);
  if (
    !Number.isInteger(offset) ||
    offset < 0 ||
    !Number.isInteger(registers) ||
    registers < 0 ||
    offset + registers > words.length
  )
    throw new InvalidArgumentError(
      `registers ${offset}…${offset + registers} are outside the ${words.length} given`,
    );
  const bytes = new Uint8Array(2 * registers);
  for (let r = 0; r < registers; r++) {
    const w = words[offset + r] as number;
    bytes[2 * r] = low ? w & 0xff : (w >>> 8) & 0xff;
    bytes[2 * r + 1] = low ? (w >>> 8) & 0xff : w & 0xff;
  }
  let n = bytes.indexOf(0);
  if (n < 0) n = bytes.length;
  if (utf8) return new TextDecoder().decode(bytes.subarray(0, n));
  let out = "";
  for (let i = 0; i < n; i++) out += String.fromCharCode(bytes[i] as number);
  return out;
}
