/**
 * The MessagePack subset WAMP's `wamp.2.msgpack` needs: nil, booleans, integers (up to 2^53), float64, UTF-8
 * strings, binary, arrays and maps with string keys. Decoding checks every length against the bytes left.
 */
import { RpcProtocolError } from "./errors.js";

/** Encodes `value` (undefined as nil; Uint8Array as bin; other objects as maps). */
export function encodeMsgpack(value: unknown): Uint8Array {
  const out: number[] = [];
  const bytes = (b: ArrayLike<number>): void => {
    for (let i = 0; i < b.length; i++) out.push(b[i] as number);
  };
  const be = (n: number, size: number): void => {
    for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  };
  const put = (v: unknown): void => {
    if (v === null || v === undefined) out.push(0xc0);
    else if (v === false) out.push(0xc2);
    else if (v === true) out.push(0xc3);
    else if (typeof v === "number") {
      if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
        if (v >= 0 && v < 0x80) out.push(v);
        else if (v < 0 && v >= -32) out.push(0x100 + v);
        else if (v >= 0) {
          if (v <= 0xff) out.push(0xcc, v);
          else if (v <= 0xffff) {
            out.push(0xcd);
            be(v, 2);
          } else if (v <= 0xffffffff) {
            out.push(0xce);
            be(v, 4);
          } else {
            out.push(0xcf);
            be(v, 8);
          }
        } else {
          const b = Buffer.alloc(8);
          b.writeBigInt64BE(BigInt(v));
          out.push(0xd3);
          bytes(b);
        }
      } else {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        out.push(0xcb);
        bytes(b);
      }
    } else if (typeof v === "string") {
      const s = Buffer.from(v, "utf8");
      if (s.length < 32) out.push(0xa0 | s.length);
      else if (s.length <= 0xff) out.push(0xd9, s.length);
      else if (s.length <= 0xffff) {
        out.push(0xda);
        be(s.length, 2);
      } else {
        out.push(0xdb);
        be(s.length, 4);
      }
      bytes(s);
    } else if (v instanceof Uint8Array) {
      if (v.length <= 0xff) out.push(0xc4, v.length);
      else if (v.length <= 0xffff) {
        out.push(0xc5);
        be(v.length, 2);
      } else {
        out.push(0xc6);
        be(v.length, 4);
      }
      bytes(v);
    } else if (Array.isArray(v)) {
      if (v.length < 16) out.push(0x90 | v.length);
      else if (v.length <= 0xffff) {
        out.push(0xdc);
        be(v.length, 2);
      } else {
        out.push(0xdd);
        be(v.length, 4);
      }
      for (const item of v) put(item);
    } else if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (entries.length < 16) out.push(0x80 | entries.length);
      else if (entries.length <= 0xffff) {
        out.push(0xde);
        be(entries.length, 2);
      } else {
        out.push(0xdf);
        be(entries.length, 4);
      }
      for (const [k, x] of entries) {
        put(k);
        put(x);
      }
    } else throw new RpcProtocolError(`cannot encode a ${typeof v} as MessagePack`);
  };
  put(value);
  return Uint8Array.from(out);
}

/** Decodes one MessagePack value filling all of `data`; throws RpcProtocolError for anything else. */
export function decodeMsgpack(data: Uint8Array): unknown {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const need = (n: number): number => {
    if (at + n > view.length) throw new RpcProtocolError(`MessagePack value runs past the end at byte ${at}`);
    const start = at;
    at += n;
    return start;
  };
  const uint = (n: number): number => {
    const s = need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (view[s + i] as number);
    return v;
  };
  const str = (n: number): string => view.toString("utf8", need(n), at);
  const bin = (n: number): Uint8Array => new Uint8Array(view.subarray(need(n), at));
  const arr = (n: number): unknown[] => {
    if (n > view.length - at)
      throw new RpcProtocolError(`MessagePack array of ${n} is longer than the bytes left`);
    // A plain loop: Array.from with a mapping function costs more than the decoding itself for WAMP's small arrays.
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = get();
    return out;
  };
  const map = (n: number): Record<string, unknown> => {
    if (n > view.length - at)
      throw new RpcProtocolError(`MessagePack map of ${n} is longer than the bytes left`);
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[String(get())] = get();
    return o;
  };
  const get = (): unknown => {
    const t = view[need(1)] as number;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return bin(uint(1));
      case 0xc5:
        return bin(uint(2));
      case 0xc6:
        return bin(uint(4));
      case 0xca:
        return view.readFloatBE(need(4));
      case 0xcb:
        return view.readDoubleBE(need(8));
      case 0xcc:
        return uint(1);
      case 0xcd:
        return uint(2);
      case 0xce:
        return uint(4);
      case 0xcf:
        return uint(8);
      case 0xd0:
        return view.readInt8(need(1));
      case 0xd1:
        return view.readInt16BE(need(2));
      case 0xd2:
        return view.readInt32BE(need(4));
      case 0xd3:
        return Number(view.readBigInt64BE(need(8)));
      case 0xd9:
        return str(uint(1));
      case 0xda:
        return str(uint(2));
      case 0xdb:
        return str(uint(4));
      case 0xdc:
        return arr(uint(2));
      case 0xdd:
        return arr(uint(4));
      case 0xde:
        return map(uint(2));
      case 0xdf:
        return map(uint(4));
      default:
        throw new RpcProtocolError(`MessagePack type byte 0x${t.toString(16)} is not supported`);
    }
  };
  const value = get();
  if (at !== view.length) throw new RpcProtocolError(`${view.length - at} bytes after the MessagePack value`);
  return value;
}
