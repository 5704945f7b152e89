import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, Writer } from "../core/writer.js";
import { formatIpv4, parseIpv4 } from "./sockaddr.js";

/**
 * CIP data type codes (CIP Vol 1 Appendix C-6.1, elementary data types), plus the Logix structure marker 0x02A0
 * that precedes a structure handle in Read Tag replies and Write Tag requests (1756-PM020, "Tag type service parameter").
 */
export const CipTypeCode = codeTable(
  {
    BOOL: 0xc1,
    SINT: 0xc2,
    INT: 0xc3,
    DINT: 0xc4,
    LINT: 0xc5,
    USINT: 0xc6,
    UINT: 0xc7,
    UDINT: 0xc8,
    ULINT: 0xc9,
    REAL: 0xca,
    LREAL: 0xcb,
    STIME: 0xcc,
    DATE: 0xcd,
    TIME_OF_DAY: 0xce,
    DATE_AND_TIME: 0xcf,
    STRING: 0xd0,
    BYTE: 0xd1,
    WORD: 0xd2,
    DWORD: 0xd3,
    LWORD: 0xd4,
    STRING2: 0xd5,
    FTIME: 0xd6,
    LTIME: 0xd7,
    ITIME: 0xd8,
    STRINGN: 0xd9,
    SSTRING: 0xda,
    TIME: 0xdb,
    EPATH: 0xdc,
    ENGUNIT: 0xdd,
    STRINGI: 0xde,
    STRUCT: 0x02a0,
  },
  {
    BOOL: "Boolean (one byte, nonzero = true)",
    SINT: "signed 8-bit integer",
    INT: "signed 16-bit integer",
    DINT: "signed 32-bit integer",
    LINT: "signed 64-bit integer",
    USINT: "unsigned 8-bit integer",
    UINT: "unsigned 16-bit integer",
    UDINT: "unsigned 32-bit integer",
    ULINT: "unsigned 64-bit integer",
    REAL: "32-bit IEEE 754 float",
    LREAL: "64-bit IEEE 754 float",
    STIME: "synchronous time",
    DATE: "date",
    TIME_OF_DAY: "time of day",
    DATE_AND_TIME: "date and time",
    STRING: "character string (UINT length, ISO-8859-1 characters)",
    BYTE: "bit string, 8 bits",
    WORD: "bit string, 16 bits",
    DWORD: "bit string, 32 bits",
    LWORD: "bit string, 64 bits",
    STRING2: "character string, 2 bytes per character",
    FTIME: "duration (high resolution)",
    LTIME: "duration (long)",
    ITIME: "duration (short)",
    STRINGN: "character string, N bytes per character",
    SSTRING: "SHORT_STRING: character string (USINT length, ISO-8859-1 characters)",
    TIME: "duration (milliseconds)",
    EPATH: "CIP path segments",
    ENGUNIT: "engineering units",
    STRINGI: "international character string",
    STRUCT: "Logix structure: a UINT structure handle follows the type code",
  },
);

/** `size` of a type whose values have no fixed length (strings). */
export const VARIABLE_SIZE = -1;

/**
 * A CIP data type as a codec value: its name, type code, fixed size in bytes (or `VARIABLE_SIZE`), and the
 * functions that size, write and read one value. Shared code asks the type; it never switches on names.
 */
export interface CipType<T> {
  readonly name: string;
  /** The CIP type code of the value on the wire (for a Logix structure, 0x02A0; for network-order addresses, 0). */
  readonly code: number;
  /** Bytes of every value, or `VARIABLE_SIZE` (-1) when each value has its own length. */
  readonly size: number;
  /** Bytes `v` takes; throws CipEncodeError for a value that cannot be encoded. */
  sizeOf(v: T): number;
  /** Writes `v`; throws CipEncodeError for a value that cannot be encoded. */
  encode(w: Writer, v: T): void;
  /** Reads one value; throws CipDecodeError on short or invalid input. */
  decode(r: Reader): T;
}

/** Any CIP type codec, for code that handles values of unknown type. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds codecs of every value type
export type AnyCipType = CipType<any>;

/** ISO-8859-1 text of `bytes` (one UTF-16 unit per byte); TextDecoder's "latin1" is windows-1252, so not used. */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 1024) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = "";
  for (let i = 0; i < bytes.length; i += 1024)
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 1024) as unknown as number[]);
  return out;
}

/** ISO-8859-1 text of `length` bytes of `bytes` from `start`; short runs (tag names) avoid a subarray. */
export function latin1Range(bytes: Uint8Array, start: number, length: number): string {
  if (length > 32) return latin1(bytes.subarray(start, start + length));
  let out = "";
  for (let i = start; i < start + length; i++) out += String.fromCharCode(bytes[i] as number);
  return out;
}

/** Reads `n` bytes as ISO-8859-1 text, naming `field` if they are not there. */
export function readLatin1(r: Reader, n: number, field: string): string {
  r.need(n, field);
  const text = latin1Range(r.bytes, r.offset, n);
  r.offset += n;
  return text;
}

/** Throws CipEncodeError unless `text` is a string of at most `max` ISO-8859-1 characters; returns its length. */
export function checkLatin1(field: string, text: unknown, max: number): number {
  if (typeof text !== "string") throw new CipEncodeError(`"${field}" must be a string, got ${typeof text}`);
  const n = text.length;
  if (n > max) throw new CipEncodeError(`"${field}" must be at most ${max} characters, got ${n}`);
  for (let i = 0; i < n; i++)
    if (text.charCodeAt(i) > 0xff)
      throw new CipEncodeError(`"${field}" must be ISO-8859-1 text, got ${JSON.stringify(text)}`);
  return n;
}

/** Writes the characters of `text` (already checked by `checkLatin1`), one byte each. */
export function writeLatin1(w: Writer, text: string): void {
  for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
}

function checkNumber(field: string, v: unknown): void {
  if (typeof v !== "number") throw new CipEncodeError(`"${field}" must be a number, got ${typeof v}`);
}

function checkBigInt(field: string, v: unknown, min: bigint, max: bigint): void {
  if (typeof v !== "bigint" || v < min || v > max)
    throw new CipEncodeError(`"${field}" must be a bigint in ${min}..${max}, got ${String(v)}`);
}

const BOOL_TRUE = 0xff;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** BOOL (0xC1): one byte; decodes nonzero as true, encodes true as 0xFF as Logix and cpppo produce it. */
export const BOOL: CipType<boolean> = {
  name: "BOOL",
  code: CipTypeCode.codes.BOOL,
  size: 1,
  sizeOf: () => 1,
  encode(w, v) {
    if (typeof v !== "boolean") throw new CipEncodeError(`"BOOL" must be a boolean, got ${typeof v}`);
    w.u8(v ? BOOL_TRUE : 0);
  },
  decode: (r) => r.u8("BOOL") !== 0,
};

// Each numeric type is written out rather than made by one factory: a shared encode/decode body calling
// `w[method]` goes megamorphic across the types and measured 2× slower on 1,000-element arrays.

/** SINT (0xC2): signed 8-bit integer. */
export const SINT: CipType<number> = {
  name: "SINT",
  code: CipTypeCode.codes.SINT,
  size: 1,
  sizeOf: () => 1,
  encode(w, v) {
    checkRange("SINT", v, -0x80, 0x7f);
    w.i8(v);
  },
  decode: (r) => r.i8("SINT"),
};

/** INT (0xC3): signed 16-bit integer. */
export const INT: CipType<number> = {
  name: "INT",
  code: CipTypeCode.codes.INT,
  size: 2,
  sizeOf: () => 2,
  encode(w, v) {
    checkRange("INT", v, -0x8000, 0x7fff);
    w.i16(v);
  },
  decode: (r) => r.i16("INT"),
};

/** DINT (0xC4): signed 32-bit integer. */
export const DINT: CipType<number> = {
  name: "DINT",
  code: CipTypeCode.codes.DINT,
  size: 4,
  sizeOf: () => 4,
  encode(w, v) {
    checkRange("DINT", v, -0x80000000, 0x7fffffff);
    w.i32(v);
  },
  decode: (r) => r.i32("DINT"),
};

/** LINT (0xC5): signed 64-bit integer, as a bigint. */
export const LINT: CipType<bigint> = {
  name: "LINT",
  code: CipTypeCode.codes.LINT,
  size: 8,
  sizeOf: () => 8,
  encode(w, v) {
    checkBigInt("LINT", v, I64_MIN, I64_MAX);
    w.i64(v);
  },
  decode: (r) => r.i64("LINT"),
};

/** USINT (0xC6): unsigned 8-bit integer. */
export const USINT: CipType<number> = {
  name: "USINT",
  code: CipTypeCode.codes.USINT,
  size: 1,
  sizeOf: () => 1,
  encode(w, v) {
    checkRange("USINT", v, 0, 0xff);
    w.u8(v);
  },
  decode: (r) => r.u8("USINT"),
};

/** UINT (0xC7): unsigned 16-bit integer. */
export const UINT: CipType<number> = {
  name: "UINT",
  code: CipTypeCode.codes.UINT,
  size: 2,
  sizeOf: () => 2,
  encode(w, v) {
    checkRange("UINT", v, 0, 0xffff);
    w.u16(v);
  },
  decode: (r) => r.u16("UINT"),
};

/** UDINT (0xC8): unsigned 32-bit integer. */
export const UDINT: CipType<number> = {
  name: "UDINT",
  code: CipTypeCode.codes.UDINT,
  size: 4,
  sizeOf: () => 4,
  encode(w, v) {
    checkRange("UDINT", v, 0, 0xffffffff);
    w.u32(v);
  },
  decode: (r) => r.u32("UDINT"),
};

/** ULINT (0xC9): unsigned 64-bit integer, as a bigint. */
export const ULINT: CipType<bigint> = {
  name: "ULINT",
  code: CipTypeCode.codes.ULINT,
  size: 8,
  sizeOf: () => 8,
  encode(w, v) {
    checkBigInt("ULINT", v, 0n, U64_MAX);
    w.u64(v);
  },
  decode: (r) => r.u64("ULINT"),
};

/** REAL (0xCA): 32-bit float; a number is rounded to the nearest float32 when written. */
export const REAL: CipType<number> = {
  name: "REAL",
  code: CipTypeCode.codes.REAL,
  size: 4,
  sizeOf: () => 4,
  encode(w, v) {
    checkNumber("REAL", v);
    w.f32(v);
  },
  decode: (r) => r.f32("REAL"),
};

/** LREAL (0xCB): 64-bit float. */
export const LREAL: CipType<number> = {
  name: "LREAL",
  code: CipTypeCode.codes.LREAL,
  size: 8,
  sizeOf: () => 8,
  encode(w, v) {
    checkNumber("LREAL", v);
    w.f64(v);
  },
  decode: (r) => r.f64("LREAL"),
};

/** BYTE (0xD1): 8-bit bit string, as an unsigned number. */
export const BYTE: CipType<number> = {
  name: "BYTE",
  code: CipTypeCode.codes.BYTE,
  size: 1,
  sizeOf: () => 1,
  encode(w, v) {
    checkRange("BYTE", v, 0, 0xff);
    w.u8(v);
  },
  decode: (r) => r.u8("BYTE"),
};

/** WORD (0xD2): 16-bit bit string, as an unsigned number. */
export const WORD: CipType<number> = {
  name: "WORD",
  code: CipTypeCode.codes.WORD,
  size: 2,
  sizeOf: () => 2,
  encode(w, v) {
    checkRange("WORD", v, 0, 0xffff);
    w.u16(v);
  },
  decode: (r) => r.u16("WORD"),
};

/** DWORD (0xD3): 32-bit bit string, as an unsigned number (Logix BOOL arrays are DWORD arrays). */
export const DWORD: CipType<number> = {
  name: "DWORD",
  code: CipTypeCode.codes.DWORD,
  size: 4,
  sizeOf: () => 4,
  encode(w, v) {
    checkRange("DWORD", v, 0, 0xffffffff);
    w.u32(v);
  },
  decode: (r) => r.u32("DWORD"),
};

/** LWORD (0xD4): 64-bit bit string, as an unsigned bigint. */
export const LWORD: CipType<bigint> = {
  name: "LWORD",
  code: CipTypeCode.codes.LWORD,
  size: 8,
  sizeOf: () => 8,
  encode(w, v) {
    checkBigInt("LWORD", v, 0n, U64_MAX);
    w.u64(v);
  },
  decode: (r) => r.u64("LWORD"),
};

/** STRING (0xD0): UINT character count, then ISO-8859-1 characters (no pad: objects that pad add it themselves). */
export const STRING: CipType<string> = {
  name: "STRING",
  code: CipTypeCode.codes.STRING,
  size: VARIABLE_SIZE,
  sizeOf: (v) => 2 + checkLatin1("STRING", v, 0xffff),
  encode(w, v) {
    w.u16(checkLatin1("STRING", v, 0xffff));
    writeLatin1(w, v);
  },
  decode(r) {
    const n = r.u16("STRING.length");
    return readLatin1(r, n, "STRING");
  },
};

/**
 * STRING (0xD0) padded to an even byte count, as the TCP/IP Interface object writes its domain and host names, and
 * as cpppo serves and takes each element of a STRING tag's Read/Write Tag data: UINT count, characters, and a 0x00
 * after an odd count. A missing pad at the very end of the data is tolerated.
 */
export const PADDED_STRING: CipType<string> = {
  name: "STRING",
  code: CipTypeCode.codes.STRING,
  size: VARIABLE_SIZE,
  sizeOf(v) {
    const n = checkLatin1("STRING", v, 0xffff);
    return 2 + n + (n & 1);
  },
  encode(w, v) {
    const n = checkLatin1("STRING", v, 0xffff);
    w.u16(n);
    writeLatin1(w, v);
    if (n & 1) w.u8(0);
  },
  decode(r) {
    const n = r.u16("STRING.length");
    const text = readLatin1(r, n, "STRING");
    if (n & 1 && r.remaining > 0) r.skip(1, "pad");
    return text;
  },
};

/** SHORT_STRING (0xDA, "SSTRING"): USINT character count, then ISO-8859-1 characters, no pad. */
export const SSTRING: CipType<string> = {
  name: "SSTRING",
  code: CipTypeCode.codes.SSTRING,
  size: VARIABLE_SIZE,
  sizeOf: (v) => 1 + checkLatin1("SSTRING", v, 0xff),
  encode(w, v) {
    w.u8(checkLatin1("SSTRING", v, 0xff));
    writeLatin1(w, v);
  },
  decode(r) {
    const n = r.u8("SSTRING.length");
    return readLatin1(r, n, "SSTRING");
  },
};

/** The CIP name of SSTRING (0xDA). */
export const SHORT_STRING = SSTRING;

/** Structure handle of the built-in Logix STRING type {LEN DINT, DATA SINT[82]} (0x0FCE, as real controllers report it). */
export const LOGIX_STRING_HANDLE = 0x0fce;

/**
 * A Logix string structure `{LEN DINT, DATA SINT[capacity]}` of `structureSize` bytes (LEN, DATA, then pad to a
 * multiple of 4 by default), read as the JS string `DATA[0:LEN]` and written with zeros after the characters.
 */
export function logixStringType(
  capacity: number,
  structureSize = (4 + capacity + 3) & ~3,
  name = "STRING",
  handle?: number,
): CipType<string> & { readonly capacity: number; readonly structureHandle?: number } {
  if (!Number.isInteger(capacity) || capacity < 0 || structureSize < 4 + capacity)
    throw new CipEncodeError(`a Logix string of capacity ${capacity} does not fit ${structureSize} bytes`);
  return {
    name,
    code: CipTypeCode.codes.STRUCT,
    size: structureSize,
    capacity,
    structureHandle: handle,
    sizeOf: () => structureSize,
    encode(w, v) {
      const n = checkLatin1(name, v, capacity);
      w.i32(n);
      writeLatin1(w, v);
      w.zeros(structureSize - 4 - n);
    },
    decode(r) {
      const at = r.offset;
      r.need(structureSize, name);
      const n = r.i32("LEN");
      if (n < 0 || n > capacity)
        throw r.fail("invalid", `string length ${n} is outside 0..${capacity}`, "LEN", at);
      const text = readLatin1(r, n, "DATA");
      r.offset = at + structureSize;
      return text;
    },
  };
}

/** The Logix STRING structure {LEN DINT, DATA SINT[82]}: 88 bytes, handle 0x0FCE, as a JS string. */
export const LOGIX_STRING = logixStringType(82, 88, "STRING", LOGIX_STRING_HANDLE);

/** IPv4 address as a little-endian UDINT (TCP/IP Interface object attribute 5), read and written as dotted text. */
export const IPADDR: CipType<string> = {
  name: "IPADDR",
  code: CipTypeCode.codes.UDINT,
  size: 4,
  sizeOf: () => 4,
  encode: (w, v) => {
    w.u32(parseIpv4(v, "IPADDR"));
  },
  decode: (r) => formatIpv4(r.u32("IPADDR")),
};

/** IPv4 address in network byte order (socket addresses of ListIdentity), read and written as dotted text. */
export const IPADDR_NETWORK: CipType<string> = {
  name: "IPADDR_NETWORK",
  code: 0,
  size: 4,
  sizeOf: () => 4,
  encode: (w, v) => {
    w.u32be(parseIpv4(v, "IPADDR_NETWORK"));
  },
  decode: (r) => formatIpv4(r.u32be("IPADDR_NETWORK")),
};

const ELEMENTARY_TYPES: readonly AnyCipType[] = [
  BOOL,
  SINT,
  INT,
  DINT,
  LINT,
  USINT,
  UINT,
  UDINT,
  ULINT,
  REAL,
  LREAL,
  STRING,
  BYTE,
  WORD,
  DWORD,
  LWORD,
  SSTRING,
];
const BY_CODE: ReadonlyMap<number, AnyCipType> = new Map(ELEMENTARY_TYPES.map((t) => [t.code, t]));

/** The codec of an elementary type code (BOOL 0xC1 … SSTRING 0xDA), or undefined for codes without one here. */
export function typeByCode(code: number): AnyCipType | undefined {
  return BY_CODE.get(code);
}

/** Ceilings for decoding many values. */
export interface ValuesLimits {
  /** Most values decoded from one byte run; defaults to 65 536. */
  maxValues?: number;
}

const DEFAULT_MAX_VALUES = 65536;

/** Bytes `values` take when written one after another. */
export function sizeOfValues<T>(type: CipType<T>, values: readonly T[]): number {
  if (type.size !== VARIABLE_SIZE) return type.size * values.length;
  let size = 0;
  for (let i = 0; i < values.length; i++) size += type.sizeOf(values[i] as T);
  return size;
}

/** Writes `values` one after another. */
export function writeValues<T>(w: Writer, type: CipType<T>, values: readonly T[]): void {
  for (let i = 0; i < values.length; i++) type.encode(w, values[i] as T);
}

/** `values` of one type, packed as in Read Tag replies and Write Tag requests. */
export function encodeValues<T>(type: CipType<T>, values: readonly T[]): Uint8Array {
  const w = new Writer(sizeOfValues(type, values));
  writeValues(w, type, values);
  return w.finish();
}

/**
 * Reads `count` values of `type` from `bytes` (trailing bytes are left), or, without `count`, values until `bytes`
 * ends exactly; throws CipDecodeError on short input or more than `limits.maxValues` (default 65 536) values.
 */
export function decodeValues<T>(
  type: CipType<T>,
  bytes: Uint8Array,
  count?: number,
  limits?: ValuesLimits,
): T[] {
  const max = limits?.maxValues ?? DEFAULT_MAX_VALUES;
  const r = new Reader(bytes);
  const fixed = type.size !== VARIABLE_SIZE;
  if (count === undefined) {
    if (fixed) {
      if (bytes.length % type.size !== 0)
        throw r.fail(
          "invalid",
          `${bytes.length} bytes are not a whole number of ${type.name} (${type.size} bytes)`,
        );
      count = bytes.length / type.size;
    } else {
      const out: T[] = [];
      while (r.remaining > 0) {
        r.ceiling(out.length + 1, max, type.name);
        out.push(type.decode(r));
      }
      return out;
    }
  }
  r.ceiling(count, max, type.name);
  // Every value takes at least one byte, so a count beyond the bytes left is short input, found before allocating.
  r.need(fixed ? count * type.size : count, type.name);
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = type.decode(r);
  return out;
}

/** The type of a Logix tag's data: an elementary type code, or STRUCT (0x02A0) with its structure handle. */
export interface TagType {
  /** The type code (0xC1…0xDA), or 0x02A0 for a structure. */
  type: number;
  /** The structure handle; present exactly when `type` is 0x02A0. */
  structureHandle?: number;
}

/** Bytes of a tag type: 2, or 4 for a structure. */
export function sizeOfTagType(t: TagType): number {
  return t.type === CipTypeCode.codes.STRUCT ? 4 : 2;
}

/** Writes the UINT type code, then the UINT structure handle for a structure. */
export function encodeTagType(w: Writer, t: TagType): void {
  checkRange("type", t.type, 0, 0xffff);
  w.u16(t.type);
  if (t.type === CipTypeCode.codes.STRUCT) {
    if (t.structureHandle === undefined) throw new CipEncodeError(`"structureHandle" is required for STRUCT`);
    checkRange("structureHandle", t.structureHandle, 0, 0xffff);
    w.u16(t.structureHandle);
  }
}

/** Reads a UINT type code, and the UINT structure handle that follows 0x02A0. */
export function decodeTagType(r: Reader): TagType {
  const type = r.u16("type");
  if (type !== CipTypeCode.codes.STRUCT) return { type };
  return { type, structureHandle: r.u16("structureHandle") };
}
