import type { AnyCipType, EPath, Segment } from "@cpppo/cip-codec";
import { CipEncodeError, CipTypeCode, encodeValues, typeByCode, VARIABLE_SIZE } from "@cpppo/cip-codec";
import { InvalidArgumentError, InvalidOperationError } from "./core/errors.js";
import { tagValueType } from "./operations/tags.js";
import { parseJsonSegment, parseLogicalPath, parseRoutePath, parseSendPath, parseUnsigned } from "./route.js";

/** A value written by an operation: numbers for up to 32-bit types and floats, bigint for 64-bit integers, booleans, text. */
export type OperationValue = number | bigint | boolean | string;

/** Routing an operation carries when it was parsed with route/send path defaults (absent: the client's own). */
export interface OperationRouting {
  /** Port segments for the Unconnected Send, or `false` for none. */
  routePath?: EPath | false;
  /** The Unconnected Send target (normally @6/1), or `""` for none. */
  sendPath?: EPath | "";
}

/** Read Tag (or Read Tag Fragmented when `fragment`/`offset` is set) of `elements` elements (default 1) at `path`. */
export interface ReadOperation extends OperationRouting {
  method: "read";
  path: EPath;
  /** Elements to read; absent means 1 (a scalar-safe read). */
  elements?: number;
  /** Byte offset into the data (`+offset`); present implies Read Tag Fragmented. */
  offset?: number;
  /** The operation text, for results and messages. */
  description: string;
  /** True to use the Fragmented service even without continuation; set by `+offset`. */
  fragment?: boolean;
}

/** Write Tag (or Write Tag Fragmented when `fragment`/`offset` is set) of `values` of type `tagType` at `path`. */
export interface WriteOperation extends OperationRouting {
  method: "write";
  path: EPath;
  /** Elements of the whole write (for a fragmented write, of the full range, which `values` may cover in part). */
  elements: number;
  /** Byte offset of the first value (`+offset`); present implies Write Tag Fragmented. */
  offset?: number;
  /** CIP type code of the values (e.g. 0xC3 INT). */
  tagType: number;
  /** The structure handle when `tagType` is STRUCT (0x02A0). */
  structureHandle?: number;
  values: OperationValue[];
  description: string;
  fragment?: boolean;
}

/** Get Attribute Single (path ends in an attribute, element or symbol) or Get Attributes All (path ends in an instance). */
export interface GetAttributeOperation extends OperationRouting {
  method: "getAttributeSingle" | "getAttributesAll";
  path: EPath;
  description: string;
}

/** Set Attribute Single with the raw attribute bytes `data`, and the typed `values` they were made from. */
export interface SetAttributeOperation extends OperationRouting {
  method: "setAttributeSingle";
  path: EPath;
  data: Uint8Array;
  /** The CIP type the values were encoded as (absent when `data` was given as bytes). */
  tagType?: number;
  values?: unknown[];
  description: string;
}

/** Any service `code` sent to `path` with request `data` (cpppo's `service_code`). */
export interface ServiceOperation extends OperationRouting {
  method: "service";
  code: number;
  path: EPath;
  data: Uint8Array;
  description: string;
}

/** One operation the client can run, as parsed from cpppo's tag-operation grammar. */
export type Operation =
  | ReadOperation
  | WriteOperation
  | GetAttributeOperation
  | SetAttributeOperation
  | ServiceOperation;

/** Integer types a write without a `(TYPE)` cast may default to. */
export type IntTypeName = "SINT" | "INT" | "DINT" | "LINT" | "USINT" | "UINT" | "UDINT" | "ULINT";

/** Defaults applied while parsing operations. */
export interface OperationDefaults {
  /** Type of integer values written without a `(TYPE)` cast; defaults to INT (SINT for attribute operations). */
  intType?: IntTypeName;
  /** Route path put on every operation; absent leaves it to the client. */
  routePath?: EPath | false;
  /** Send path put on every operation; absent leaves it to the client. */
  sendPath?: EPath | "";
}

/** The tag part of an operation: its path and what `[first-last]`, `*count` and `+offset` said. */
export interface TagPath {
  path: EPath;
  /** The element index of the last `[i]` (or the default element), if any. */
  element?: number;
  /** Elements named by `[first-last]` (which wins) or `*count`, if either was given. */
  count?: number;
  /** Byte offset from `+offset`, if given. */
  offset?: number;
}

/** Defaults for `parseTagPath` when the text has no index or count. */
export interface TagPathDefaults {
  /** Element appended when the text has no `[i]`; absent: none. */
  element?: number;
  /** Count when the text has neither `[first-last]` nor `*count`; absent: none. */
  count?: number;
}

/** The fail function every parser step reports through; it throws, never returns. */
type Fail = (why: string) => never;

/** Reads one value's text as a value of a type; returns `{ error }` with the reason when it cannot. */
type ValueReader = (text: string) => OperationValue | { error: string };

const SIGNED_TEXT = /^[+-]?(?:\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const SPECIAL_FLOATS: Record<string, number> = {
  inf: Number.POSITIVE_INFINITY,
  "+inf": Number.POSITIVE_INFINITY,
  "-inf": Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  "+infinity": Number.POSITIVE_INFINITY,
  "-infinity": Number.NEGATIVE_INFINITY,
  nan: Number.NaN,
};
/** The largest finite float32; a REAL beyond it would silently become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * An integer reader for `bits`-wide values. Like cpppo, signed types also take the unsigned range (INT: -32768..65535)
 * and store such a value as its two's-complement bit pattern (INT 65535 is written as -1, bytes FF FF).
 */
function integerReader(name: string, bits: number, signed: boolean): ValueReader {
  const span = 1n << BigInt(bits);
  const min = signed ? -(span >> 1n) : 0n;
  const max = span - 1n;
  const signedMax = (span >> 1n) - 1n;
  return (text) => {
    if (!SIGNED_TEXT.test(text)) return { error: `${JSON.stringify(text)} is not an integer` };
    const negative = text.startsWith("-");
    const magnitude = BigInt(text.replace(/^[+-]/, ""));
    let v = negative ? -magnitude : magnitude;
    if (v < min || v > max) return { error: `${text} is not in ${name} range ${min}..${max}` };
    if (signed && v > signedMax) v -= span;
    return bits > 32 ? v : Number(v);
  };
}

function floatReader(name: string, limit: number): ValueReader {
  return (text) => {
    const special = SPECIAL_FLOATS[text.toLowerCase()];
    if (special !== undefined) return special;
    if (!FLOAT_TEXT.test(text)) return { error: `${JSON.stringify(text)} is not a number` };
    const v = Number(text);
    if (Math.abs(v) > limit) return { error: `${text} is beyond the ${name} range ±${limit}` };
    return v;
  };
}

const readBool: ValueReader = (text) => {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (SIGNED_TEXT.test(text)) return BigInt(text.replace(/^[+-]/, "")) !== 0n;
  return { error: `${JSON.stringify(text)} is not a BOOL (true, false or an integer)` };
};

const readText: ValueReader = (text) => text;

const C = CipTypeCode.codes;
/** How to read value text for each writable type, keyed by type code (the codec then checks and encodes it). */
const VALUE_READERS: ReadonlyMap<number, ValueReader> = new Map<number, ValueReader>([
  [C.BOOL, readBool],
  [C.SINT, integerReader("SINT", 8, true)],
  [C.INT, integerReader("INT", 16, true)],
  [C.DINT, integerReader("DINT", 32, true)],
  [C.LINT, integerReader("LINT", 64, true)],
  [C.USINT, integerReader("USINT", 8, false)],
  [C.UINT, integerReader("UINT", 16, false)],
  [C.UDINT, integerReader("UDINT", 32, false)],
  [C.ULINT, integerReader("ULINT", 64, false)],
  [C.BYTE, integerReader("BYTE", 8, false)],
  [C.WORD, integerReader("WORD", 16, false)],
  [C.DWORD, integerReader("DWORD", 32, false)],
  [C.LWORD, integerReader("LWORD", 64, false)],
  [C.REAL, floatReader("REAL", FLOAT32_MAX)],
  [C.LREAL, floatReader("LREAL", Number.MAX_VALUE)],
  [C.STRING, readText],
  [C.SSTRING, readText],
]);

/** Names accepted in a `(TYPE)` cast, case-insensitively. */
export const WRITABLE_TYPE_NAMES: readonly string[] = Object.entries(CipTypeCode.codes)
  .filter(([, code]) => VALUE_READERS.has(code) && typeByCode(code) !== undefined)
  .map(([name]) => name);

/** The codec and value reader of a type name, or undefined. */
function typeNamed(name: string): { type: AnyCipType; read: ValueReader } | undefined {
  const code = (CipTypeCode.codes as Record<string, number>)[name.toUpperCase()];
  if (code === undefined) return undefined;
  const type = tagValueType(code);
  const read = VALUE_READERS.get(code);
  return type && read ? { type, read } : undefined;
}

/** Index of the first `ch` outside JSON braces and double quotes, or -1. */
function indexOfTopLevel(text: string, ch: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === ch && depth === 0) return i;
  }
  return -1;
}

/** Characters that end a tag name component (the grammar's punctuation, quotes and whitespace). */
const NAME_STOP = /[.[\]*+=@/{}(),"\s]/;

/**
 * The `TAG[<first>[-<last>]][*<count>][+<offset>]` part of an operation: a symbolic tag (`Name`, `A.B[1].C`,
 * `Program:Main.Tag`; ISO-8859-1) or a numeric `@class/instance/attribute/element` path (decimal, 0x/0o/0b, or JSON
 * terms such as `{"connection":100}`), an optional index or range on the last component, `*count` and `+offset`.
 * Throws InvalidOperationError naming the text and the fix.
 */
export function parseTagPath(text: string, defaults?: TagPathDefaults): TagPath {
  const fail: Fail = (why) => {
    throw new InvalidOperationError(`operation "${text.trim()}": ${why}`);
  };
  return scanTagPath(text, fail, defaults);
}

function scanTagPath(text: string, fail: Fail, defaults?: TagPathDefaults): TagPath {
  const s = text;
  let i = 0;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  const readNumber = (what: string): number => {
    skipSpace();
    const start = i;
    while (i < s.length && /[0-9a-z]/i.test(s[i] as string)) i++;
    const n = parseUnsigned(s.slice(start, i));
    if (n === undefined) fail(`${what} "${s.slice(start, i) || s.slice(start)}" is not an unsigned integer`);
    skipSpace();
    return n as number;
  };
  /** Reads `[first]` or `[first-last]`; `i` is at the `[`. */
  const readIndex = (): { first: number; last?: number } => {
    i++;
    const first = readNumber("index");
    let last: number | undefined;
    if (s[i] === "-") {
      i++;
      last = readNumber("range end");
      if (last < first)
        fail(`range [${first}-${last}] ends before it starts; write [first-last] with first ≤ last`);
    }
    if (s[i] === ",")
      fail(`multi-dimensional indexes are not supported; write one index [i] or a range [first-last]`);
    if (s[i] !== "]") fail(`expected "]" at "${s.slice(i)}"; write [i] or [first-last]`);
    i++;
    return last === undefined ? { first } : { first, last };
  };

  skipSpace();
  const path: EPath = [];
  let index: { first: number; last?: number } | undefined;
  if (s[i] === "@") {
    // The logical path runs to the first "[", "*", "+" or space outside JSON terms.
    let depth = 0;
    let quoted = false;
    const start = i;
    for (; i < s.length; i++) {
      const c = s[i] as string;
      if (quoted) {
        if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === "{") depth++;
      else if (c === "}") depth--;
      else if (depth === 0 && (c === "[" || c === "*" || c === "+" || /\s/.test(c))) break;
    }
    path.push(...parseLogicalPath(s.slice(start, i), fail));
    if (s[i] === "[") {
      index = readIndex();
      const last = path[path.length - 1];
      // An index sets the element the path already names (@1/2/3/4[5]) or appends one.
      if (last && "element" in last) path.pop();
      path.push({ element: index.first });
    }
  } else {
    for (;;) {
      const start = i;
      while (i < s.length && !NAME_STOP.test(s[i] as string)) i++;
      const name = s.slice(start, i);
      if (name === "")
        fail(
          i < s.length
            ? `unexpected "${s[i]}" where a tag name belongs; write Name, A.B[1].C or @class/instance/attribute`
            : "no tag name; write Name, A.B[1].C or @class/instance/attribute",
        );
      for (const ch of name)
        if ((ch.codePointAt(0) as number) > 0xff) fail(`tag name "${name}" is not ISO-8859-1 text`);
      path.push({ symbolic: name });
      index = undefined;
      if (s[i] === "[") {
        index = readIndex();
        path.push({ element: index.first });
      }
      if (s[i] !== ".") break;
      if (index?.last !== undefined)
        fail(`only the last component may have a range; write ${name}[${index.first}] here`);
      i++;
    }
  }
  skipSpace();
  let star: number | undefined;
  if (s[i] === "*") {
    i++;
    star = readNumber("count");
    if (star < 1) fail("*count must be at least 1");
  }
  let offset: number | undefined;
  if (s[i] === "+") {
    i++;
    offset = readNumber("offset");
  }
  skipSpace();
  if (i < s.length)
    fail(`unexpected "${s.slice(i)}"; the form is TAG[first-last]*count+offset=(TYPE)value,…`);

  let element = index?.first;
  if (element === undefined && defaults?.element !== undefined) {
    element = defaults.element;
    path.push({ element });
  }
  const count = index?.last !== undefined ? index.last - index.first + 1 : (star ?? defaults?.count);
  const result: TagPath = { path };
  if (element !== undefined) result.element = element;
  if (count !== undefined) result.count = count;
  if (offset !== undefined) result.offset = offset;
  return result;
}

/** One comma-separated value: its text (unquoted) and whether it was quoted. */
interface ValueField {
  text: string;
  quoted: boolean;
}

/** CSV with `"` quotes (a doubled `""` is a literal quote) and whitespace around values skipped. */
function splitValues(text: string, fail: Fail): ValueField[] {
  const fields: ValueField[] = [];
  if (text.trim() === "") return fields;
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) fail(`a quoted value has no closing '"'`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      while (i < text.length && /\s/.test(text[i] as string)) i++;
      if (i < text.length && text[i] !== ",") fail(`unexpected "${text.slice(i)}" after a quoted value`);
      fields.push({ text: value, quoted: true });
    } else {
      const end = text.indexOf(",", i);
      const value = text.slice(i, end < 0 ? text.length : end).trim();
      if (value === "") fail(`an empty value in "${text.trim()}"; remove the extra ","`);
      fields.push({ text: value, quoted: false });
      i = end < 0 ? text.length : end;
    }
    if (i >= text.length) return fields;
    i++; // the ","
  }
}

/** The `[(TYPE)]v1,v2,…` part of a write: the type (cast, or REAL when any value has a "." else `intType`) and values. */
function parseWriteValues(
  text: string,
  intType: string,
  fail: Fail,
): { type: AnyCipType; values: OperationValue[] } {
  let rest = text.trim();
  let cast: string | undefined;
  if (rest.startsWith("(")) {
    const close = rest.indexOf(")");
    if (close < 0) fail(`"${rest}" has no ")" closing the type cast; write =(TYPE)value`);
    cast = rest.slice(1, close).trim();
    rest = rest.slice(close + 1);
  }
  const fields = splitValues(rest, fail);
  if (fields.length === 0) fail('no values after "="; write =value or =(TYPE)v1,v2,…');
  const name = cast ?? (fields.some((f) => f.text.includes(".")) ? "REAL" : intType);
  const named = typeNamed(name);
  if (!named) return fail(`unknown type (${name}); use one of ${WRITABLE_TYPE_NAMES.join(", ")}`);
  const values = fields.map((f) => {
    const v = named.read(f.quoted ? f.text : f.text.trim());
    if (typeof v === "object" && v !== null && "error" in v)
      return fail(
        cast === undefined
          ? `${v.error} (no cast, so ${name} was assumed); add a cast such as =(DINT)… or =(STRING)"…"`
          : `${v.error}; give a value that fits ${named.type.name} or cast to another type`,
      );
    return v as OperationValue;
  });
  return { type: named.type, values };
}

/** Encodes `values` as `type`, turning the codec's complaint into one about the operation. */
function encodeOrFail(type: AnyCipType, values: readonly OperationValue[], fail: Fail): Uint8Array {
  try {
    return encodeValues(type, values);
  } catch (err) {
    if (err instanceof CipEncodeError) return fail(`${err.message}; give values that fit ${type.name}`);
    throw err;
  }
}

function routingOf(defaults: OperationDefaults | undefined): OperationRouting {
  const routing: OperationRouting = {};
  if (defaults?.routePath !== undefined) routing.routePath = defaults.routePath;
  if (defaults?.sendPath !== undefined) routing.sendPath = defaults.sendPath;
  return routing;
}

function failFor(text: string): Fail {
  return (why) => {
    throw new InvalidOperationError(`operation "${text}": ${why}`);
  };
}

/**
 * One operation in cpppo's grammar `TAG[<first>[-<last>]][*<count>][+<offset>][=[(TYPE)]v1,v2,…]`: without `=` a read,
 * with it a write whose type is the cast, else REAL when any value contains "." and otherwise `defaults.intType`
 * (INT). `+offset` makes it Fragmented. A write without `+offset` must give exactly the count of values `[a-b]`/`*n`
 * names. A text starting with `{` is a JSON operation object (see `parseJsonOperation`). Throws InvalidOperationError
 * naming the operation and the fix.
 */
export function parseOperation(text: string, defaults?: OperationDefaults): Operation {
  const description = text.trim();
  const fail = failFor(description);
  if (description === "") fail("it is empty; write e.g. Tag, Tag[0-9] or Tag[1]=(DINT)5");
  if (description.startsWith("{")) return parseJsonOperation(description, defaults);
  const eq = indexOfTopLevel(description, "=");
  const tag = scanTagPath(eq < 0 ? description : description.slice(0, eq), fail);
  const routing = routingOf(defaults);
  if (eq < 0) {
    const read: ReadOperation = { method: "read", path: tag.path, description, ...routing };
    if (tag.count !== undefined) read.elements = tag.count;
    if (tag.offset !== undefined) {
      read.offset = tag.offset;
      read.fragment = true;
    }
    return read;
  }
  const { type, values } = parseWriteValues(description.slice(eq + 1), defaults?.intType ?? "INT", fail);
  encodeOrFail(type, values, fail);
  const write: WriteOperation = {
    method: "write",
    path: tag.path,
    elements: writeElements(tag, type, values.length, fail),
    tagType: type.code,
    values,
    description,
    ...routing,
  };
  if (tag.offset !== undefined) {
    write.offset = tag.offset;
    write.fragment = true;
  }
  return write;
}

/** The element count of a write, checking the values fit the range (exactly, unless fragmented by `+offset`). */
function writeElements(tag: TagPath, type: AnyCipType, n: number, fail: Fail): number {
  if (tag.offset === undefined) {
    if (tag.count !== undefined && tag.count !== n)
      fail(
        `${n} value${n === 1 ? "" : "s"} for ${tag.count} elements; give ${tag.count} values, or name ${n} elements with [first-last] or *${n}`,
      );
    return tag.count ?? n;
  }
  if (type.size === VARIABLE_SIZE) {
    const elements = tag.count ?? n;
    if (n > elements) fail(`${n} values for ${elements} elements; give at most ${elements}`);
    return elements;
  }
  if (tag.offset % type.size !== 0)
    fail(
      `offset ${tag.offset} is not a multiple of the ${type.size}-byte ${type.name}; use +${tag.offset - (tag.offset % type.size)}`,
    );
  const first = tag.offset / type.size;
  const elements = tag.count ?? first + n;
  if (first + n > elements)
    fail(
      `${n} values at +${tag.offset} (element ${first}) run past the ${elements} elements named; give at most ${Math.max(0, elements - first)} values or a larger range`,
    );
  return elements;
}

/** Parses every text with `parseOperation`, in order; throws at the first bad one. */
export function parseOperations(texts: Iterable<string>, defaults?: OperationDefaults): Operation[] {
  const out: Operation[] = [];
  for (const text of texts) out.push(parseOperation(text, defaults));
  return out;
}

/**
 * One operation in `enip-get-attribute`'s grammar: the tag-operation grammar aimed at CIP attributes. A path ending in
 * an instance (`@1/1`) is Get Attributes All (which cannot write); one ending in an attribute, element or symbol
 * (`@1/1/7`) is Get Attribute Single, or Set Attribute Single with `=values` encoded as raw bytes. Integer values
 * default to SINT. Throws InvalidOperationError.
 */
export function parseAttributeOperation(text: string, defaults?: OperationDefaults): Operation {
  const description = text.trim();
  const fail = failFor(description);
  if (description === "") fail("it is empty; write e.g. @1/1 or @1/1/7");
  if (description.startsWith("{")) return parseJsonOperation(description, defaults);
  const eq = indexOfTopLevel(description, "=");
  const tag = scanTagPath(eq < 0 ? description : description.slice(0, eq), fail);
  if (tag.offset !== undefined) fail("Get/Set Attribute takes no +offset; remove it");
  if (tag.count !== undefined && tag.count !== 1)
    fail("Get/Set Attribute moves one attribute; remove the [first-last] range or *count");
  const routing = routingOf(defaults);
  const last = tag.path[tag.path.length - 1] as Segment;
  if ("instance" in last) {
    if (eq >= 0)
      fail(
        "Get Attributes All (a path ending in an instance) cannot write; name an attribute, e.g. @1/1/7=…",
      );
    return { method: "getAttributesAll", path: tag.path, description, ...routing };
  }
  if ("class" in last)
    fail("the path names only a class; add an instance (@1/1, Get Attributes All) or an attribute (@1/1/7)");
  if (eq < 0) return { method: "getAttributeSingle", path: tag.path, description, ...routing };
  const { type, values } = parseWriteValues(description.slice(eq + 1), defaults?.intType ?? "SINT", fail);
  const data = encodeOrFail(type, values, fail);
  return {
    method: "setAttributeSingle",
    path: tag.path,
    data,
    tagType: type.code,
    values,
    description,
    ...routing,
  };
}

/** Parses every text with `parseAttributeOperation`, in order; throws at the first bad one. */
export function parseAttributeOperations(texts: Iterable<string>, defaults?: OperationDefaults): Operation[] {
  const out: Operation[] = [];
  for (const text of texts) out.push(parseAttributeOperation(text, defaults));
  return out;
}

/** Method names of JSON operations: ours, and cpppo's operation-dict names. */
const JSON_METHODS: Record<string, Operation["method"]> = {
  read: "read",
  write: "write",
  getAttributeSingle: "getAttributeSingle",
  get_attribute_single: "getAttributeSingle",
  getAttributesAll: "getAttributesAll",
  get_attributes_all: "getAttributesAll",
  setAttributeSingle: "setAttributeSingle",
  set_attribute_single: "setAttributeSingle",
  service: "service",
  service_code: "service",
};
const JSON_KEYS = new Set([
  "method",
  "path",
  "elements",
  "offset",
  "tagType",
  "tag_type",
  "data",
  "values",
  "code",
  "routePath",
  "route_path",
  "sendPath",
  "send_path",
]);

/**
 * A JSON operation object (cpppo's operation dicts): `{"method": "read"|"write"|"getAttributeSingle"|
 * "getAttributesAll"|"setAttributeSingle"|"service" (or cpppo's snake_case names), "path": "Tag[1]" | [segments],
 * "elements", "offset", "tagType" (code or name), "data"/"values", "code", "routePath", "sendPath"}`. Writes take
 * `values` (or `data`) of `tagType`; Set Attribute Single and services take `data` as bytes 0..255 (or, for Set
 * Attribute Single with `tagType`, values). Throws InvalidOperationError.
 */
export function parseJsonOperation(text: string, defaults?: OperationDefaults): Operation {
  const description = text.trim();
  const fail = failFor(description);
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(description);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return fail("expected a JSON object");
  for (const key of Object.keys(obj))
    if (!JSON_KEYS.has(key)) fail(`unknown key "${key}"; use ${[...JSON_KEYS].join(", ")}`);
  const method = JSON_METHODS[String(obj.method)];
  if (!method) return fail(`"method" must be one of ${Object.keys(JSON_METHODS).join(", ")}`);
  if (obj.path === undefined) fail(`"path" is required, e.g. "Tag[0-9]" or [{"class":2},{"instance":1}]`);
  const tag: TagPath =
    typeof obj.path === "string"
      ? scanTagPath(obj.path, fail)
      : Array.isArray(obj.path)
        ? { path: obj.path.map((s) => parseJsonSegment(s, fail)) }
        : fail(`"path" must be text or a list of segments`);
  const integer = (key: string, min: number, max: number): number | undefined => {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      fail(`"${key}" must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const routing = routingOf(defaults);
  const route = obj.routePath ?? obj.route_path;
  const send = obj.sendPath ?? obj.send_path;
  if (send !== undefined && typeof send !== "string") fail(`"sendPath" must be text such as "@6/1" or ""`);
  try {
    if (route !== undefined) routing.routePath = parseRoutePath(route);
    if (send !== undefined) routing.sendPath = parseSendPath(send as string);
  } catch (err) {
    // The route grammar reports a bad argument; here it is part of a bad operation.
    if (err instanceof InvalidArgumentError) fail(err.message);
    throw err;
  }
  const elements = integer("elements", 1, 0xffff) ?? tag.count;
  const offset = integer("offset", 0, 0xffffffff) ?? tag.offset;
  const typeKey = obj.tagType ?? obj.tag_type;
  const typed = (): { type: AnyCipType; read: ValueReader } | undefined => {
    if (typeKey === undefined) return undefined;
    const named =
      typeof typeKey === "number"
        ? typeNamed(CipTypeCode.nameOf(typeKey) ?? "")
        : typeof typeKey === "string"
          ? typeNamed(typeKey)
          : undefined;
    return (
      named ?? fail(`"tagType" ${JSON.stringify(typeKey)} is not one of ${WRITABLE_TYPE_NAMES.join(", ")}`)
    );
  };
  const typedValues = (named: { type: AnyCipType; read: ValueReader }): OperationValue[] => {
    const raw = obj.values ?? obj.data;
    if (!Array.isArray(raw) || raw.length === 0) return fail(`"values" must be a non-empty list`);
    return raw.map((v) => {
      const r = named.read(String(v));
      if (typeof r === "object" && r !== null && "error" in r) return fail(r.error);
      return r as OperationValue;
    });
  };
  const bytes = (): Uint8Array => {
    const raw = obj.data ?? [];
    if (
      !Array.isArray(raw) ||
      raw.some((b) => typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 0xff)
    )
      return fail(`"data" must be a list of bytes 0..255`);
    return Uint8Array.from(raw as number[]);
  };
  switch (method) {
    case "read": {
      const read: ReadOperation = { method, path: tag.path, description, ...routing };
      if (elements !== undefined) read.elements = elements;
      if (offset !== undefined) {
        read.offset = offset;
        read.fragment = true;
      }
      return read;
    }
    case "write": {
      const named = typed() ?? fail(`a write needs "tagType", e.g. "DINT"`);
      const values = typedValues(named);
      encodeOrFail(named.type, values, fail);
      const count = writeElements({ ...tag, count: elements, offset }, named.type, values.length, fail);
      const write: WriteOperation = {
        method,
        path: tag.path,
        elements: count,
        tagType: named.type.code,
        values,
        description,
        ...routing,
      };
      if (offset !== undefined) {
        write.offset = offset;
        write.fragment = true;
      }
      return write;
    }
    case "getAttributeSingle":
    case "getAttributesAll":
      return { method, path: tag.path, description, ...routing };
    case "setAttributeSingle": {
      const named = typed();
      if (!named) return { method, path: tag.path, data: bytes(), description, ...routing };
      const values = typedValues(named);
      const data = encodeOrFail(named.type, values, fail);
      return { method, path: tag.path, data, tagType: named.type.code, values, description, ...routing };
    }
    case "service": {
      const code = integer("code", 0, 0xff) ?? fail(`a service needs "code", e.g. 76 (0x4C)`);
      return { method, code, path: tag.path, data: bytes(), description, ...routing };
    }
  }
}
