/**
 * WAMP on the wire: the message codes, the two serializers (`wamp.2.msgpack`, `wamp.2.json`), and the router's
 * zero-copy path for msgpack: it reads only the head of a CALL or YIELD (type, ids, procedure) and forwards the
 * arguments' bytes as received inside a hand-built INVOCATION or RESULT, instead of decoding and re-encoding them.
 */
import type { WebSocket } from "ws";
import { hasBytes } from "./has-bytes.js";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";

/** WAMP message codes (Basic Profile, and CHALLENGE/AUTHENTICATE of the Advanced Profile for WAMP-CRA). */
export const M = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  CHALLENGE: 4,
  AUTHENTICATE: 5,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  YIELD: 70,
} as const;

export const MSGPACK = "wamp.2.msgpack";
export const JSON_PROTOCOL = "wamp.2.json";

export type Msg = unknown[];

/** WAMP JSON carries bytes as a string: NUL then base64. A replacer slows every call, so it runs only when needed. */
export function jsonEncode(message: Msg): string {
  if (!hasBytes(message)) return JSON.stringify(message);
  return JSON.stringify(message, (_k, v: unknown) =>
    v instanceof Uint8Array ? `\0${Buffer.from(v).toString("base64")}` : v,
  );
}

/** The reverse; the reviver (slow) runs only when the text holds an escaped NUL, i.e. may carry bytes. */
export function jsonDecode(text: string): unknown {
  if (!text.includes("\\u0000")) return JSON.parse(text);
  return JSON.parse(text, (_k, v: unknown) =>
    typeof v === "string" && v.startsWith("\0") ? new Uint8Array(Buffer.from(v.slice(1), "base64")) : v,
  );
}

/** `message` in the socket's subprotocol. */
export function encodeFor(protocol: string, message: Msg): Uint8Array | string {
  return protocol === MSGPACK ? encodeMsgpack(message) : jsonEncode(message);
}

/** Sends `message` with the socket's subprotocol (dropped unless the socket is open). */
export function send(socket: WebSocket, message: Msg): void {
  if (socket.readyState !== 1) return;
  if (socket.protocol === MSGPACK) socket.send(encodeMsgpack(message), { binary: true });
  else socket.send(jsonEncode(message));
}

/** Sends bytes already encoded for the socket's subprotocol. */
export function sendRaw(socket: WebSocket, frame: Uint8Array | string): void {
  if (socket.readyState !== 1) return;
  socket.send(frame, { binary: typeof frame !== "string" });
}

/** `ws` hands over a Buffer (the default binaryType), or fragments. */
export function asBuffer(data: unknown): Buffer {
  return Array.isArray(data) ? Buffer.concat(data as Buffer[]) : (data as Buffer);
}

/** Decodes one WebSocket message with `protocol`; undefined when it is not a WAMP message. */
export function decode(protocol: string, bytes: Buffer): Msg | undefined {
  try {
    const value = protocol === MSGPACK ? decodeMsgpack(bytes) : jsonDecode(bytes.toString("utf8"));
    return Array.isArray(value) && typeof value[0] === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}

// ---- The msgpack head reader -------------------------------------------------------------------------------------

/** The end of the msgpack value at `at` in `b` (skipped, not decoded); throws RangeError past the end. */
function skip(b: Buffer, at: number): number {
  const t = b[at];
  if (t === undefined) throw new RangeError("msgpack value past the end");
  if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return at + 1;
  if ((t & 0xe0) === 0xa0) return at + 1 + (t & 0x1f);
  if ((t & 0xf0) === 0x90) return skipItems(b, at + 1, t & 0x0f);
  if ((t & 0xf0) === 0x80) return skipItems(b, at + 1, 2 * (t & 0x0f));
  switch (t) {
    case 0xc4:
    case 0xd9:
      return at + 2 + b.readUInt8(at + 1);
    case 0xc5:
    case 0xda:
      return at + 3 + b.readUInt16BE(at + 1);
    case 0xc6:
    case 0xdb:
      return at + 5 + b.readUInt32BE(at + 1);
    case 0xcc:
    case 0xd0:
      return at + 2;
    case 0xcd:
    case 0xd1:
      return at + 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return at + 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return at + 9;
    case 0xdc:
      return skipItems(b, at + 3, b.readUInt16BE(at + 1));
    case 0xdd:
      return skipItems(b, at + 5, b.readUInt32BE(at + 1));
    case 0xde:
      return skipItems(b, at + 3, 2 * b.readUInt16BE(at + 1));
    case 0xdf:
      return skipItems(b, at + 5, 2 * b.readUInt32BE(at + 1));
    default:
      throw new RangeError(`msgpack type 0x${t.toString(16)} not expected in WAMP`);
  }
}
function skipItems(b: Buffer, at: number, n: number): number {
  let p = at;
  for (let i = 0; i < n; i++) p = skip(b, p);
  return p;
}

/** An unsigned integer (a WAMP id) at `at`, or undefined when something else is there. */
function uintAt(b: Buffer, at: number): number | undefined {
  const t = b[at] as number;
  if (t < 0x80) return t;
  switch (t) {
    case 0xcc:
      return b.readUInt8(at + 1);
    case 0xcd:
      return b.readUInt16BE(at + 1);
    case 0xce:
      return b.readUInt32BE(at + 1);
    case 0xcf:
      return b.readUInt32BE(at + 1) * 2 ** 32 + b.readUInt32BE(at + 5);
    default:
      return undefined;
  }
}

/** A string at `at` and its end, or undefined. */
function strAt(b: Buffer, at: number): [string, number] | undefined {
  const t = b[at] as number;
  let start: number;
  let length: number;
  if ((t & 0xe0) === 0xa0) [start, length] = [at + 1, t & 0x1f];
  else if (t === 0xd9) [start, length] = [at + 2, b.readUInt8(at + 1)];
  else if (t === 0xda) [start, length] = [at + 3, b.readUInt16BE(at + 1)];
  else return undefined;
  if (start + length > b.length) return undefined;
  return [b.toString("utf8", start, start + length), start + length];
}

/** The head of a msgpack CALL (`[48, Request, Options, Procedure, …tail]`) and where its tail starts. */
export interface CallHead {
  request: number;
  procedure: string;
  /** Elements after the procedure (Arguments, ArgumentsKw): 0…2. */
  tailCount: number;
  tail: Buffer;
}

/** The head of a msgpack YIELD (`[70, Invocation, Options, …tail]`). */
export interface YieldHead {
  invocation: number;
  tailCount: number;
  tail: Buffer;
}

/** Reads a msgpack CALL's head without decoding its arguments; undefined when it is not one (use the full decoder). */
export function callHead(b: Buffer): CallHead | undefined {
  try {
    const n = (b[0] as number) - 0x90;
    if (n < 4 || n > 6 || b[1] !== M.CALL) return undefined;
    const request = uintAt(b, 2);
    if (request === undefined) return undefined;
    const s = strAt(b, skip(b, skip(b, 2)));
    if (s === undefined) return undefined;
    const tail = b.subarray(s[1]);
    if (skipItems(b, s[1], n - 4) !== b.length) return undefined;
    return { request, procedure: s[0], tailCount: n - 4, tail };
  } catch {
    return undefined;
  }
}

/** The head of a msgpack `[code, ...ids, Details|Options, …tail]` message (YIELD, INVOCATION, RESULT). */
export interface IdsHead {
  ids: number[];
  /** Elements after the Details/Options (Arguments, ArgumentsKw): 0…2. */
  tailCount: number;
  tail: Buffer;
}

/** Reads the head of a msgpack `code` message with `idCount` ids, without decoding its arguments; else undefined. */
export function idsHead(b: Buffer, code: number, idCount: number): IdsHead | undefined {
  try {
    const fixed = 2 + idCount;
    const n = (b[0] as number) - 0x90;
    if (n < fixed || n > fixed + 2 || b[1] !== code) return undefined;
    const ids: number[] = [];
    let at = 2;
    for (let i = 0; i < idCount; i++) {
      const id = uintAt(b, at);
      if (id === undefined) return undefined;
      ids.push(id);
      at = skip(b, at);
    }
    at = skip(b, at);
    if (skipItems(b, at, n - fixed) !== b.length) return undefined;
    return { ids, tailCount: n - fixed, tail: b.subarray(at) };
  } catch {
    return undefined;
  }
}

/** Reads a msgpack YIELD's head without decoding its arguments; undefined when it is not one. */
export function yieldHead(b: Buffer): YieldHead | undefined {
  const h = idsHead(b, M.YIELD, 1);
  return h && { invocation: h.ids[0] as number, tailCount: h.tailCount, tail: h.tail };
}

/** Decodes a head's tail (Arguments, ArgumentsKw) into values. */
export function decodeTail(
  tail: Buffer,
  count: number,
): [unknown[] | undefined, Record<string, unknown> | undefined] {
  if (count === 0) return [undefined, undefined];
  // An empty Arguments list (most PLC methods take none) needs no decoder.
  if (count === 1 && tail.length === 1 && tail[0] === 0x90) return [[], undefined];
  if (count === 1) return [decodeMsgpack(tail) as unknown[], undefined];
  const end = skip(tail, 0);
  return [
    decodeMsgpack(tail.subarray(0, end)) as unknown[],
    decodeMsgpack(tail.subarray(end)) as Record<string, unknown>,
  ];
}

/** Writes an unsigned integer (a WAMP id or code) at `at`; returns the end. */
function putUint(out: Buffer, at: number, v: number): number {
  if (v < 0x80) {
    out[at] = v;
    return at + 1;
  }
  if (v <= 0xffff) {
    out[at] = 0xcd;
    out.writeUInt16BE(v, at + 1);
    return at + 3;
  }
  if (v <= 0xffffffff) {
    out[at] = 0xce;
    out.writeUInt32BE(v, at + 1);
    return at + 5;
  }
  out[at] = 0xcf;
  out.writeUInt32BE(Math.floor(v / 2 ** 32), at + 1);
  out.writeUInt32BE(v >>> 0, at + 5);
  return at + 9;
}

/** A msgpack string (header and UTF-8 bytes): a procedure name, encoded once and kept by the caller. */
export function msgpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const n = bytes.length;
  const head =
    n < 32 ? [0xa0 | n] : n <= 0xff ? [0xd9, n] : n <= 0xffff ? [0xda, n >> 8, n & 0xff] : undefined;
  if (head === undefined) return Buffer.from(encodeMsgpack(text));
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** msgpack of an empty Arguments list. */
const NO_ARGS = Buffer.from([0x90]);

/**
 * A msgpack CALL `[48, request, {}, procedure, args]` built by hand: `procedure` is already encoded (see
 * `msgpackString`), and a call without arguments (most PLC methods) needs no encoder at all.
 */
export function callFrame(request: number, procedure: Buffer, args: readonly unknown[]): Buffer {
  const payload = args.length === 0 ? NO_ARGS : encodeMsgpack(args);
  const out = Buffer.allocUnsafe(12 + procedure.length + payload.length);
  out[0] = 0x95;
  out[1] = M.CALL;
  let at = putUint(out, 2, request);
  out[at++] = 0x80; // Options {}
  at += procedure.copy(out, at);
  out.set(payload, at);
  return out.subarray(0, at + payload.length);
}

/**
 * `[code, ...ids, {}, …tail]` in msgpack, the tail copied as received: an INVOCATION (`ids` = invocation,
 * registration) from a CALL's tail, or a RESULT (`ids` = the caller's request) from a YIELD's tail. One allocation.
 */
export function forwardFrame(
  code: number,
  ids: readonly number[],
  tailCount: number,
  tail: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(3 + 9 * ids.length + tail.length);
  out[0] = 0x90 | (ids.length + 2 + tailCount);
  out[1] = code;
  let at = 2;
  for (const id of ids) at = putUint(out, at, id);
  out[at++] = 0x80; // Details {}
  out.set(tail, at);
  return out.subarray(0, at + tail.length);
}
