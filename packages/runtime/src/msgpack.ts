/**
 * The MessagePack subset WAMP's `wamp.2.msgpack` needs: nil, booleans, integers (up to 2^53), float64, UTF-8
 * strings, binary, arrays and maps with string keys. Decoding checks every length against the bytes left.
 *
 * Both directions are module-level functions over one small state object rather than closures made per call: a WAMP
 * call encodes and decodes a few short messages, and creating (and, under tsx, naming) a handful of inner functions
 * each time cost more than the encoding itself.
 */
import { RpcProtocolError } from "./errors.js";

/** The encoder's output: a buffer that doubles when full, and how much of it is written. */
interface Output {
  buf: Buffer;
  at: number;
}

/** Encodes `value` (undefined as nil; Uint8Array as bin; other objects as maps). */
export function encodeMsgpack(value: unknown): Uint8Array {
  const out: Output = { buf: Buffer.allocUnsafe(256), at: 0 };
  put(out, value);
  return out.buf.subarray(0, out.at);
}

function room(out: Output, n: number): void {
  if (out.at + n <= out.buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.buf.length * 2, out.at + n));
  out.buf.copy(bigger, 0, 0, out.at);
  out.buf = bigger;
}

function byte(out: Output, b: number): void {
  room(out, 1);
  out.buf[out.at++] = b;
}

/** A type byte followed by `n` as a `size`-byte big-endian unsigned integer. */
function typed(out: Output, type: number, n: number, size: 1 | 2 | 4 | 8): void {
  room(out, 1 + size);
  const { buf } = out;
  buf[out.at++] = type;
  if (size === 8) {
    buf.writeBigUInt64BE(BigInt(n), out.at);
  } else {
    buf.writeUIntBE(n, out.at, size);
  }
  out.at += size;
}

/** A length header: the fix form when `n` is below `fixLimit`, else the 8-, 16- or 32-bit form. */
function header(
  out: Output,
  n: number,
  fix: number,
  fixLimit: number,
  t8: number,
  t16: number,
  t32: number,
): void {
  if (n < fixLimit) byte(out, fix | n);
  else if (t8 !== 0 && n <= 0xff) typed(out, t8, n, 1);
  else if (n <= 0xffff) typed(out, t16, n, 2);
  else typed(out, t32, n, 4);
}

function put(out: Output, v: unknown): void {
  if (v === null || v === undefined) byte(out, 0xc0);
  else if (v === false) byte(out, 0xc2);
  else if (v === true) byte(out, 0xc3);
  else if (typeof v === "number") putNumber(out, v);
  else if (typeof v === "string") {
    const length = Buffer.byteLength(v, "utf8");
    header(out, length, 0xa0, 32, 0xd9, 0xda, 0xdb);
    room(out, length);
    out.at += out.buf.write(v, out.at, length, "utf8");
  } else if (v instanceof Uint8Array) {
    // bin has no fix form: a limit of 0 always takes the 8-, 16- or 32-bit header.
    header(out, v.length, 0, 0, 0xc4, 0xc5, 0xc6);
    room(out, v.length);
    out.buf.set(v, out.at);
    out.at += v.length;
  } else if (Array.isArray(v)) {
    header(out, v.length, 0x90, 16, 0, 0xdc, 0xdd);
    for (let i = 0; i < v.length; i++) put(out, v[i]);
  } else if (typeof v === "object") {
    const record = v as Record<string, unknown>;
    let count = 0;
    for (const key in record) if (Object.hasOwn(record, key) && record[key] !== undefined) count++;
    header(out, count, 0x80, 16, 0, 0xde, 0xdf);
    for (const key in record) {
      if (!Object.hasOwn(record, key) || record[key] === undefined) continue;
      put(out, key);
      put(out, record[key]);
    }
  } else throw new RpcProtocolError(`cannot encode a ${typeof v} as MessagePack`);
}

function putNumber(out: Output, v: number): void {
  if (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    room(out, 9);
    out.buf[out.at++] = 0xcb;
    out.at = out.buf.writeDoubleBE(v, out.at);
  } else if (v >= 0 && v < 0x80) byte(out, v);
  else if (v < 0 && v >= -32) byte(out, 0x100 + v);
  else if (v >= 0) {
    if (v <= 0xff) typed(out, 0xcc, v, 1);
    else if (v <= 0xffff) typed(out, 0xcd, v, 2);
    else if (v <= 0xffffffff) typed(out, 0xce, v, 4);
    else typed(out, 0xcf, v, 8);
  } else {
    room(out, 9);
    out.buf[out.at++] = 0xd3;
    out.at = out.buf.writeBigInt64BE(BigInt(v), out.at);
  }
}

/** The decoder's input and position. */
interface Input {
  readonly view: Buffer;
  at: number;
}

/** Decodes one MessagePack value filling all of `data`; throws RpcProtocolError for anything else. */
export function decodeMsgpack(data: Uint8Array): unknown {
  const input: Input = { view: Buffer.from(data.buffer, data.byteOffset, data.byteLength), at: 0 };
  const value = get(input);
  if (input.at !== input.view.length) {
    throw new RpcProtocolError(`${input.view.length - input.at} bytes after the MessagePack value`);
  }
  return value;
}

/** The position of the next `n` bytes, which must be there. */
function need(input: Input, n: number): number {
  const start = input.at;
  if (start + n > input.view.length) {
    throw new RpcProtocolError(`MessagePack value runs past the end at byte ${start}`);
  }
  input.at = start + n;
  return start;
}

function uint(input: Input, n: number): number {
  const s = need(input, n);
  const { view } = input;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (view[s + i] as number);
  return v;
}

function str(input: Input, n: number): string {
  const s = need(input, n);
  return input.view.toString("utf8", s, s + n);
}

function bin(input: Input, n: number): Uint8Array {
  const s = need(input, n);
  return new Uint8Array(input.view.subarray(s, s + n));
}

function arr(input: Input, n: number): unknown[] {
  if (n > input.view.length - input.at) {
    throw new RpcProtocolError(`MessagePack array of ${n} is longer than the bytes left`);
  }
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = get(input);
  return out;
}

function map(input: Input, n: number): Record<string, unknown> {
  if (n > input.view.length - input.at) {
    throw new RpcProtocolError(`MessagePack map of ${n} is longer than the bytes left`);
  }
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const key = String(get(input));
    o[key] = get(input);
  }
  return o;
}

function get(input: Input): unknown {
  const { view } = input;
  const t = view[need(input, 1)] as number;
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if ((t & 0xe0) === 0xa0) return str(input, t & 0x1f);
  if ((t & 0xf0) === 0x90) return arr(input, t & 0x0f);
  if ((t & 0xf0) === 0x80) return map(input, t & 0x0f);
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return bin(input, uint(input, 1));
    case 0xc5:
      return bin(input, uint(input, 2));
    case 0xc6:
      return bin(input, uint(input, 4));
    case 0xca:
      return view.readFloatBE(need(input, 4));
    case 0xcb:
      return view.readDoubleBE(need(input, 8));
    case 0xcc:
      return uint(input, 1);
    case 0xcd:
      return uint(input, 2);
    case 0xce:
      return uint(input, 4);
    case 0xcf:
      return uint(input, 8);
    case 0xd0:
      return view.readInt8(need(input, 1));
    case 0xd1:
      return view.readInt16BE(need(input, 2));
    case 0xd2:
      return view.readInt32BE(need(input, 4));
    case 0xd3:
      return Number(view.readBigInt64BE(need(input, 8)));
    case 0xd9:
      return str(input, uint(input, 1));
    case 0xda:
      return str(input, uint(input, 2));
    case 0xdb:
      return str(input, uint(input, 4));
    case 0xdc:
      return arr(input, uint(input, 2));
    case 0xdd:
      return arr(input, uint(input, 4));
    case 0xde:
      return map(input, uint(input, 2));
    case 0xdf:
      return map(input, uint(input, 4));
    default:
      throw new RpcProtocolError(`MessagePack type byte 0x${t.toString(16)} is not supported`);
  }
}
