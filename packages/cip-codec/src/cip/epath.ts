import { CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, Writer } from "../core/writer.js";
import { checkLatin1, latin1, readLatin1, writeLatin1 } from "../types/types.js";

/**
 * Segment type bytes of a padded EPATH (CIP Vol 1 Appendix C-1.4: port C-1.4.1, logical C-1.4.2, data C-1.4.5).
 * The high three bits pick the segment type; a logical segment's bits 4..2 pick the logical type and bits 1..0
 * its 8/16/32-bit format, which are added to the base codes listed here.
 */
export const EPathSegment = codeTable(
  {
    PORT: 0x00,
    CLASS: 0x20,
    INSTANCE: 0x24,
    ELEMENT: 0x28,
    CONNECTION_POINT: 0x2c,
    ATTRIBUTE: 0x30,
    ELECTRONIC_KEY: 0x34,
    SERVICE_ID: 0x38,
    NETWORK: 0x40,
    SYMBOLIC: 0x60,
    SIMPLE_DATA: 0x80,
    ANSI_EXTENDED_SYMBOLIC: 0x91,
    CONSTRUCTED_DATA_TYPE: 0xa0,
    ELEMENTARY_DATA_TYPE: 0xc0,
  },
  {
    PORT: "port segment (port 1..14 in the low nibble, 0x0F = 16-bit port follows; bit 4 = sized link address)",
    CLASS: "logical segment: class id",
    INSTANCE: "logical segment: instance id",
    ELEMENT: "logical segment: member id (Logix array element)",
    CONNECTION_POINT: "logical segment: connection point",
    ATTRIBUTE: "logical segment: attribute id",
    ELECTRONIC_KEY: "logical segment: special, electronic key",
    SERVICE_ID: "logical segment: service id",
    NETWORK: "network segment",
    SYMBOLIC: "symbolic segment",
    SIMPLE_DATA: "data segment: simple data (word count, words)",
    ANSI_EXTENDED_SYMBOLIC: "data segment: ANSI extended symbol (length, ISO-8859-1 characters, pad)",
    CONSTRUCTED_DATA_TYPE: "constructed data type segment",
    ELEMENTARY_DATA_TYPE: "elementary data type segment",
  },
);

const SEGMENT_TYPE_MASK = 0xe0;
const PORT_SIZED_LINK = 0x10;
const PORT_ID_MASK = 0x0f;
const PORT_ID_EXTENDED = 0x0f;
const LOGICAL_TYPE_MASK = 0xfc;
const LOGICAL_FORMAT_MASK = 0x03;
const FORMAT_8 = 0;
const FORMAT_16 = 1;
const FORMAT_32 = 2;
const KEY_FORMAT_4 = 4;
const KEY_COMPATIBILITY_BIT = 0x80;
const KEY_MAJOR_MASK = 0x7f;
const SEG_PORT = EPathSegment.codes.PORT;
const SEG_LOGICAL = EPathSegment.codes.CLASS;
const SEG_CLASS = EPathSegment.codes.CLASS;
const SEG_INSTANCE = EPathSegment.codes.INSTANCE;
const SEG_ELEMENT = EPathSegment.codes.ELEMENT;
const SEG_CONNECTION = EPathSegment.codes.CONNECTION_POINT;
const SEG_ATTRIBUTE = EPathSegment.codes.ATTRIBUTE;
const SEG_KEY = EPathSegment.codes.ELECTRONIC_KEY;
const SEG_DATA = EPathSegment.codes.SIMPLE_DATA;
const SEG_SYMBOLIC = EPathSegment.codes.ANSI_EXTENDED_SYMBOLIC;
/** Bytes of an electronic key segment: segment byte, key format, vendor, device type, product code, major, minor. */
const KEY_SEGMENT_BYTES = 10;

/** Electronic key, format 4 (CIP Vol 1 C-1.4.2): the device a connection or request expects to reach. */
export interface ElectronicKey {
  vendorId: number;
  deviceType: number;
  productCode: number;
  /** 0..127; the wire byte's top bit carries `compatibility`. */
  majorRevision: number;
  minorRevision: number;
  /** True: any device compatible with this key is accepted; false: the key must match exactly. */
  compatibility: boolean;
}

/**
 * One EPATH segment. Logical ids are plain numbers (the 8/16/32-bit form is chosen when encoding); a port segment's
 * link is a number for a 1-byte link address or text (e.g. an IP address "10.0.7.1") for a sized link address.
 */
export type Segment =
  | { class: number }
  | { instance: number }
  | { attribute: number }
  | { element: number }
  | { connection: number }
  | { symbolic: string }
  | { port: number; link: number | string }
  | { key: ElectronicKey }
  | { data: Uint8Array };

/** A CIP path: a list of segments, as in request paths, route paths and connection paths. */
export type EPath = Segment[];

/** Ceilings for decoding a path from the wire. */
export interface PathLimits {
  /** Most segments accepted in one path; defaults to 128 (a 255-word path holds at most 255). */
  maxSegments?: number;
  /** Longest ANSI symbol accepted, in bytes; defaults to 255, the wire maximum. */
  maxSymbolicLength?: number;
}

const DEFAULT_MAX_SEGMENTS = 128;
const DEFAULT_MAX_SYMBOLIC_LENGTH = 255;
/** A path's word count travels in one USINT. */
const MAX_PATH_WORDS = 0xff;

// Re-exported here too because EPATH symbols are ISO-8859-1 text and callers of this module read them.
export { latin1 };

/** Checks `text` is 1..`max` ISO-8859-1 characters; returns its length. */
function latin1Bytes(field: string, text: unknown, max: number): number {
  const n = checkLatin1(field, text, max);
  if (n === 0) throw new CipEncodeError(`"${field}" must not be empty`);
  return n;
}

/** Bytes of one logical segment holding `value`, in the smallest form `wide32` allows. */
function logicalSize(field: string, value: number, wide32: boolean): number {
  if (Number.isInteger(value) && value >= 0) {
    if (value <= 0xff) return 2;
    if (value <= 0xffff) return 4;
    if (wide32 && value <= 0xffffffff) return 6;
  }
  throw new CipEncodeError(
    `"${field}" must be an integer in 0..${wide32 ? 0xffffffff : 0xffff}, got ${value}`,
  );
}

function portSize(port: number, link: number | string): number {
  checkRange("port", port, 1, 0xffff);
  const extended = port >= PORT_ID_EXTENDED ? 2 : 0;
  if (typeof link === "number") {
    checkRange("link", link, 0, 0xff);
    return 2 + extended;
  }
  if (typeof link !== "string")
    throw new CipEncodeError(`"link" must be a number or text, got ${typeof link}`);
  const n = latin1Bytes("link", link, 0xff);
  const size = 2 + extended + n;
  return size + (size & 1);
}

/** Bytes one segment takes on the wire, padding included; throws CipEncodeError for a segment that cannot be encoded. */
export function sizeOfSegment(s: Segment): number {
  if (typeof s !== "object" || s === null) throw new CipEncodeError(`not an EPATH segment: ${String(s)}`);
  if ("symbolic" in s) {
    const n = latin1Bytes("symbolic", s.symbolic, 0xff);
    return 2 + n + (n & 1);
  }
  if ("element" in s) return logicalSize("element", s.element, true);
  if ("class" in s) return logicalSize("class", s.class, false);
  if ("instance" in s) return logicalSize("instance", s.instance, true);
  if ("attribute" in s) return logicalSize("attribute", s.attribute, false);
  if ("port" in s) return portSize(s.port, s.link);
  if ("connection" in s) return logicalSize("connection", s.connection, true);
  if ("key" in s) {
    if (typeof s.key !== "object" || s.key === null)
      throw new CipEncodeError(`"key" must be an ElectronicKey`);
    return KEY_SEGMENT_BYTES;
  }
  if ("data" in s) {
    const n = s.data instanceof Uint8Array ? s.data.length : -1;
    if (n < 0 || (n & 1) !== 0 || n > 2 * 0xff)
      throw new CipEncodeError(`"data" must be a Uint8Array of an even length up to 510 bytes, got ${n}`);
    return 2 + n;
  }
  throw new CipEncodeError(`not an EPATH segment: {${Object.keys(s).join(", ")}}`);
}

/** Bytes of the segments of `path` (always even: every segment keeps word alignment). */
export function sizeOfPath(path: EPath): number {
  let size = 0;
  for (let i = 0; i < path.length; i++) size += sizeOfSegment(path[i] as Segment);
  return size;
}

function encodeLogical(w: Writer, field: string, base: number, value: number, wide32: boolean): void {
  if (value >= 0 && value <= 0xff && Number.isInteger(value)) w.u8(base | FORMAT_8).u8(value);
  else if (value > 0xff && value <= 0xffff && Number.isInteger(value))
    w.u8(base | FORMAT_16)
      .u8(0)
      .u16(value);
  else if (wide32 && value > 0xffff && value <= 0xffffffff && Number.isInteger(value))
    w.u8(base | FORMAT_32)
      .u8(0)
      .u32(value);
  else logicalSize(field, value, wide32); // throws the range error
}

function encodeSymbolic(w: Writer, symbolic: string): void {
  const n = typeof symbolic === "string" ? symbolic.length : 0;
  if (n === 0 || n > 0xff) latin1Bytes("symbolic", symbolic, 0xff); // throws the type or length error
  w.u8(SEG_SYMBOLIC).u8(n);
  for (let i = 0; i < n; i++) {
    const c = symbolic.charCodeAt(i);
    if (c > 0xff) latin1Bytes("symbolic", symbolic, 0xff); // throws the character error
    w.u8(c);
  }
  if (n & 1) w.u8(0);
}

function encodePort(w: Writer, port: number, link: number | string): void {
  portSize(port, link); // validates
  const extended = port >= PORT_ID_EXTENDED;
  const id = extended ? PORT_ID_EXTENDED : port;
  if (typeof link === "number") {
    w.u8(SEG_PORT | id);
    if (extended) w.u16(port);
    w.u8(link);
    return;
  }
  w.u8(SEG_PORT | PORT_SIZED_LINK | id).u8(link.length);
  if (extended) w.u16(port);
  writeLatin1(w, link);
  if (link.length & 1) w.u8(0);
}

function encodeKey(w: Writer, key: ElectronicKey): void {
  if (typeof key !== "object" || key === null) throw new CipEncodeError(`"key" must be an ElectronicKey`);
  checkRange("key.vendorId", key.vendorId, 0, 0xffff);
  checkRange("key.deviceType", key.deviceType, 0, 0xffff);
  checkRange("key.productCode", key.productCode, 0, 0xffff);
  checkRange("key.majorRevision", key.majorRevision, 0, KEY_MAJOR_MASK);
  checkRange("key.minorRevision", key.minorRevision, 0, 0xff);
  w.u8(SEG_KEY).u8(KEY_FORMAT_4).u16(key.vendorId).u16(key.deviceType).u16(key.productCode);
  w.u8(key.majorRevision | (key.compatibility ? KEY_COMPATIBILITY_BIT : 0)).u8(key.minorRevision);
}

/** Writes one segment in its minimal form, padded to a word boundary; throws CipEncodeError for a bad segment. */
export function encodeSegment(w: Writer, s: Segment): void {
  if (typeof s !== "object" || s === null) throw new CipEncodeError(`not an EPATH segment: ${String(s)}`);
  if ("symbolic" in s) encodeSymbolic(w, s.symbolic);
  else if ("element" in s) encodeLogical(w, "element", SEG_ELEMENT, s.element, true);
  else if ("class" in s) encodeLogical(w, "class", SEG_CLASS, s.class, false);
  else if ("instance" in s) encodeLogical(w, "instance", SEG_INSTANCE, s.instance, true);
  else if ("attribute" in s) encodeLogical(w, "attribute", SEG_ATTRIBUTE, s.attribute, false);
  else if ("port" in s) encodePort(w, s.port, s.link);
  else if ("connection" in s) encodeLogical(w, "connection", SEG_CONNECTION, s.connection, true);
  else if ("key" in s) encodeKey(w, s.key);
  else if ("data" in s) {
    sizeOfSegment(s); // validates the data length
    w.u8(SEG_DATA)
      .u8(s.data.length >> 1)
      .raw(s.data);
  } else throw new CipEncodeError(`not an EPATH segment: {${Object.keys(s).join(", ")}}`);
}

/** Writes the segments of `path` (no size byte), each in its minimal form and padded as CIP requires. */
export function encodePath(w: Writer, path: EPath): void {
  for (let i = 0; i < path.length; i++) encodeSegment(w, path[i] as Segment);
}

/** The segments of `path` as bytes (no size byte). */
export function encodePathBytes(path: EPath): Uint8Array {
  const w = new Writer(sizeOfPath(path));
  encodePath(w, path);
  return w.finish();
}

function decodeLogicalValue(r: Reader, format: number, field: string): number {
  if (format === FORMAT_8) return r.u8(field);
  r.skip(1, "pad");
  if (format === FORMAT_16) return r.u16(field);
  return r.u32(field);
}

function decodePortSegment(r: Reader, first: number): Segment {
  const id = first & PORT_ID_MASK;
  if ((first & PORT_SIZED_LINK) === 0) {
    const port = id === PORT_ID_EXTENDED ? r.u16("port") : id;
    if (port === 0) throw r.fail("invalid", "port 0 is reserved", "port");
    return { port, link: r.u8("link") };
  }
  const start = r.offset - 1;
  const length = r.u8("linkLength");
  const port = id === PORT_ID_EXTENDED ? r.u16("port") : id;
  if (port === 0) throw r.fail("invalid", "port 0 is reserved", "port");
  if (length === 0) throw r.fail("invalid", "empty link address", "linkLength");
  const link = readLatin1(r, length, "link");
  if ((r.offset - start) & 1) r.skip(1, "pad");
  return { port, link };
}

function decodeKey(r: Reader): Segment {
  const format = r.u8("keyFormat");
  if (format !== KEY_FORMAT_4)
    throw r.fail(
      "unsupported",
      `electronic key format ${format} (only 4 is known)`,
      "keyFormat",
      r.offset - 1,
    );
  const vendorId = r.u16("vendorId");
  const deviceType = r.u16("deviceType");
  const productCode = r.u16("productCode");
  const major = r.u8("majorRevision");
  const minorRevision = r.u8("minorRevision");
  return {
    key: {
      vendorId,
      deviceType,
      productCode,
      majorRevision: major & KEY_MAJOR_MASK,
      minorRevision,
      compatibility: (major & KEY_COMPATIBILITY_BIT) !== 0,
    },
  };
}

/** Reads one segment at the reader's offset; every legal width and padding is accepted. */
function decodeSegment(r: Reader, maxSymbolicLength: number): Segment {
  const first = r.u8("segment");
  const type = first & SEGMENT_TYPE_MASK;
  if (type === SEG_PORT) return decodePortSegment(r, first);
  if (type === SEG_LOGICAL) {
    const logical = first & LOGICAL_TYPE_MASK;
    const format = first & LOGICAL_FORMAT_MASK;
    if (logical === SEG_KEY) {
      if (format !== 0)
        throw r.fail("unsupported", "special segment other than an electronic key", "segment", r.offset - 1);
      return decodeKey(r);
    }
    if (logical === EPathSegment.codes.SERVICE_ID)
      throw r.fail("unsupported", "service id segment", "segment", r.offset - 1);
    if (format === 3) throw r.fail("invalid", "reserved logical format 3", "segment", r.offset - 1);
    if (format === FORMAT_32 && (logical === SEG_CLASS || logical === SEG_ATTRIBUTE))
      throw r.fail("invalid", "class and attribute ids have no 32-bit form", "segment", r.offset - 1);
    switch (logical) {
      case SEG_CLASS:
        return { class: decodeLogicalValue(r, format, "class") };
      case SEG_INSTANCE:
        return { instance: decodeLogicalValue(r, format, "instance") };
      case SEG_ELEMENT:
        return { element: decodeLogicalValue(r, format, "element") };
      case SEG_CONNECTION:
        return { connection: decodeLogicalValue(r, format, "connection") };
      case SEG_ATTRIBUTE:
        return { attribute: decodeLogicalValue(r, format, "attribute") };
      default:
        // 0x3C..0x3E, the extended logical segment (CIP Vol 1 C-1.4.2.2), was read as an attribute id before:
        // a 32-bit one then decoded to a path no encoder can write.
        throw r.fail("unsupported", "extended logical segment", "segment", r.offset - 1);
    }
  }
  if (first === SEG_SYMBOLIC) {
    const length = r.u8("symbolicLength");
    if (length === 0) throw r.fail("invalid", "empty symbol", "symbolicLength", r.offset - 1);
    r.ceiling(length, maxSymbolicLength, "symbolicLength");
    const symbolic = readLatin1(r, length, "symbolic");
    if (length & 1) r.skip(1, "pad");
    return { symbolic };
  }
  if (first === SEG_DATA) {
    const words = r.u8("dataWords");
    return { data: r.bytesN(words * 2, "data") };
  }
  throw r.fail(
    "unsupported",
    `segment 0x${first.toString(16).padStart(2, "0")} (${EPathSegment.describe(first & (type === SEG_DATA ? 0xff : SEGMENT_TYPE_MASK))})`,
    "segment",
    r.offset - 1,
  );
}

/** Reads exactly `byteLength` bytes of segments; `limits` default to 128 segments and 255-byte symbols. */
export function decodePath(r: Reader, byteLength: number, limits?: PathLimits): EPath {
  const maxSegments = limits?.maxSegments ?? DEFAULT_MAX_SEGMENTS;
  const maxSymbolicLength = limits?.maxSymbolicLength ?? DEFAULT_MAX_SYMBOLIC_LENGTH;
  r.need(byteLength, "path");
  const end = r.offset + byteLength;
  const path: EPath = [];
  while (r.offset < end) {
    r.ceiling(path.length + 1, maxSegments, "path");
    const at = r.offset;
    const segment = decodeSegment(r, maxSymbolicLength);
    if (r.offset > end)
      throw r.fail("invalid", `segment overruns the path by ${r.offset - end} byte(s)`, "path", at);
    path.push(segment);
  }
  return path;
}

/** Options of a path preceded by its size. */
export interface PathSizeOptions {
  /** True for the route-path form: the USINT word count is followed by a reserved 0x00 byte; defaults to false. */
  padded?: boolean;
}

/** Bytes of `path` with its USINT word count (and the reserved byte when `padded`). */
export function sizeOfPathWithSize(path: EPath, opts?: PathSizeOptions): number {
  return (opts?.padded ? 2 : 1) + sizeOfPath(path);
}

/** Writes the USINT word count, a reserved 0x00 when `padded` (default false), then the segments. */
export function encodePathWithSize(w: Writer, path: EPath, opts?: PathSizeOptions): void {
  const at = w.offset;
  w.u8(0);
  if (opts?.padded) w.u8(0);
  const start = w.offset;
  encodePath(w, path);
  const bytes = w.offset - start;
  if (bytes > MAX_PATH_WORDS * 2)
    throw new CipEncodeError(`path is ${bytes / 2} words; a sized path holds at most ${MAX_PATH_WORDS}`);
  w.bytes[at] = bytes >> 1;
}

/** Reads a USINT word count, the reserved byte when `padded` (default false; its value is ignored), then the segments. */
export function decodePathWithSize(r: Reader, opts?: PathSizeOptions & { limits?: PathLimits }): EPath {
  const words = r.u8("pathSize");
  if (opts?.padded) r.skip(1, "reserved");
  return decodePath(r, words * 2, opts?.limits);
}

const NUMBER_TEXT = /^(?:0x[0-9a-f]+|\d+)$/i;
const TAG_PART = /^([^.[\],\s]+)(?:\[\s*(\d+(?:\s*,\s*\d+)*)\s*\])?$/;

function parseNumber(token: string): number | undefined {
  return NUMBER_TEXT.test(token) ? Number(token) : undefined;
}

/**
 * Segments of a path written as text: `@class/instance[/attribute[/element]]` (numbers decimal or 0x-hex),
 * `port/link` pairs (`1/0`, `2/10.0.7.1`), and Logix tag names (`Program:Main.Tag[1,2].Member`), joined by `/`
 * (e.g. `1/0/@2/1`). Throws CipEncodeError for text it cannot read.
 */
export function parseEPath(text: string): EPath {
  const path: EPath = [];
  const trimmed = text.trim();
  if (trimmed === "") return path;
  const tokens = trimmed.split("/").map((t) => t.trim());
  const bad = (why: string): CipEncodeError => new CipEncodeError(`cannot read EPATH "${text}": ${why}`);
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i] as string;
    if (token.startsWith("@")) {
      const ids: number[] = [];
      const first = parseNumber(token.slice(1));
      if (first === undefined) throw bad(`"${token}" is not @class`);
      ids.push(first);
      i++;
      while (ids.length < 4 && i < tokens.length) {
        const n = parseNumber(tokens[i] as string);
        if (n === undefined) break;
        ids.push(n);
        i++;
      }
      path.push({ class: ids[0] as number });
      if (ids.length > 1) path.push({ instance: ids[1] as number });
      if (ids.length > 2) path.push({ attribute: ids[2] as number });
      if (ids.length > 3) path.push({ element: ids[3] as number });
      continue;
    }
    const port = parseNumber(token);
    if (port !== undefined) {
      const linkText = tokens[i + 1];
      if (linkText === undefined || linkText === "") throw bad(`port ${token} has no link`);
      path.push({ port, link: parseNumber(linkText) ?? linkText });
      i += 2;
      continue;
    }
    for (const part of token.split(".")) {
      const m = TAG_PART.exec(part);
      if (!m) throw bad(`"${part}" is not a tag name with optional [indexes]`);
      path.push({ symbolic: m[1] as string });
      if (m[2] !== undefined) for (const index of m[2].split(",")) path.push({ element: Number(index) });
    }
    i++;
  }
  for (const s of path) sizeOfSegment(s);
  return path;
}

/** Text of a path for messages, in the notation `parseEPath` reads; segments it has no notation for show as `{…}`. */
export function formatEPath(path: EPath): string {
  const tokens: string[] = [];
  // What the previous segment lets the next one join: a logical chain (@c/i/a/e) or a tag (Name[1,2].Member).
  let chain: "class" | "instance" | "attribute" | "tag" | "index" | "" = "";
  for (const s of path) {
    const last = tokens.length - 1;
    if ("class" in s) {
      tokens.push(`@${s.class}`);
      chain = "class";
    } else if ("instance" in s && chain === "class") {
      tokens.push(String(s.instance));
      chain = "instance";
    } else if ("attribute" in s && chain === "instance") {
      tokens.push(String(s.attribute));
      chain = "attribute";
    } else if ("element" in s && chain === "attribute") {
      tokens.push(String(s.element));
      chain = "";
    } else if ("element" in s && chain === "tag") {
      tokens[last] += `[${s.element}]`;
      chain = "index";
    } else if ("element" in s && chain === "index") {
      tokens[last] = `${(tokens[last] as string).slice(0, -1)},${s.element}]`;
    } else if ("symbolic" in s) {
      if (chain === "tag" || chain === "index") tokens[last] += `.${s.symbolic}`;
      else tokens.push(s.symbolic);
      chain = "tag";
    } else if ("port" in s) {
      tokens.push(`${s.port}/${s.link}`);
      chain = "";
    } else {
      tokens.push(formatOther(s));
      chain = "";
    }
  }
  return tokens.join("/");
}

function formatOther(s: Segment): string {
  if ("key" in s) {
    const k = s.key;
    const compat = k.compatibility ? " compatible" : "";
    return `{key:${k.vendorId}/${k.deviceType}/${k.productCode}/${k.majorRevision}.${k.minorRevision}${compat}}`;
  }
  if ("data" in s) {
    let hex = "";
    for (const b of s.data) hex += b.toString(16).padStart(2, "0");
    return `{data:${hex}}`;
  }
  const [name, value] = Object.entries(s)[0] ?? ["?", "?"];
  return `{${name}:${String(value)}}`;
}
