/**
 * JSON rendered exactly as Python's `json.dumps` renders it with its defaults, the form cpppo writes into
 * history files: `", "` between items, `": "` after keys, every character outside printable ASCII escaped
 * as `\uXXXX`, floats as Python's `repr` (`1.0e-05` is `1e-05`, 1e16 is `1e+16`) and NaN/Infinity bare.
 */
import { ByteSink } from "./bytes.js";

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

function escapeCodeUnit(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A string as a Python JSON string literal (ASCII only). */
export function pyJsonString(s: string): string {
  // Most strings (tag names, keys) are printable ASCII without a quote or backslash: quote them as they are.
  let plain = s.length < 64;
  for (let i = 0; plain && i < s.length; i++) {
    const c = s.charCodeAt(i);
    plain = c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c;
  }
  if (plain) return `"${s}"`;
  const quoted = JSON.stringify(s);
  return PRINTABLE_ASCII.test(s) ? quoted : quoted.replace(NON_ASCII, escapeCodeUnit);
}

// Object keys repeat from record to record ("write", "40001"): their rendering (with the `: ` after it) is
// kept, up to a bound.
const KEYS = new Map<string, string>();

function renderedKey(key: string): string {
  let out = KEYS.get(key);
  if (out === undefined) {
    out = `${pyJsonString(key)}: `;
    if (KEYS.size >= 4096) KEYS.clear();
    KEYS.set(key, out);
  }
  return out;
}

/**
 * A number as Python renders it: a safe integer as an `int`, anything else as `repr(float)` (shortest
 * round-trip digits, positional for decimal exponents −4…15, else `d.ddde±XX`).
 */
export function pyJsonNumber(n: number): string {
  if (Number.isSafeInteger(n)) return n === 0 && 1 / n < 0 ? "-0.0" : `${n}`;
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(n);
  if (abs >= 1e-4 && abs < 1e15 && !Number.isInteger(n)) return `${n}`;
  const [mantissa = "", exponentText = "0"] = abs.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = n < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  const digits = mantissa.replace(".", "");
  if (exponent >= digits.length - 1) return `${sign}${digits}${"0".repeat(exponent - digits.length + 1)}.0`;
  if (exponent >= 0) return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
}

/**
 * Renders `value` as Python's `json.dumps(value)` does by default. Objects keep their key order (as a
 * Python dict keeps insertion order; note that JavaScript orders integer-like keys first), `undefined`
 * properties are left out and `undefined` array items are `null`, a `toJSON` method is honoured, and a
 * bigint is an integer.
 */
export function pyJson(value: unknown): string {
  // Rendered into a shared buffer; a `toJSON` that itself calls pyJson gets a buffer of its own.
  const sink = scratchBusy ? new ByteSink(256) : scratch;
  const outer = !scratchBusy;
  scratchBusy = true;
  try {
    sink.clear();
    writeJson(sink, value);
    return sink.latin1();
  } finally {
    if (outer) {
      scratchBusy = false;
      // Do not keep a buffer that one huge value grew.
      if (scratch.buf.length > 1 << 20) scratch = new ByteSink(4096);
    }
  }
}

let scratch = new ByteSink(4096);
let scratchBusy = false;

/**
 * Appends `value` rendered as `pyJson` renders it to `sink`, as ASCII bytes (Python's rendering escapes every
 * other character). The common shapes of history data (safe integers, plain tag names and keys, arrays and
 * objects of them) are written a byte at a time with no intermediate string.
 */
export function writeJson(sink: ByteSink, value: unknown): void {
  // One function for the common cases (numbers, plain strings, arrays of them), so that rendering a record
  // makes few calls: each call costs about as much as writing a few bytes.
  if (typeof value === "number") {
    if (isInt32(value)) {
      sink.reserve(11);
      sink.pos = writeDigits(sink.buf, sink.pos, value);
    } else writeNumber(sink, value);
  } else if (typeof value === "string") {
    if (!writePlainString(sink, value)) sink.ascii(pyJsonString(value));
  } else if (typeof value === "object" && value !== null) {
    if (Array.isArray(value)) writeArray(sink, value);
    else writeObject(sink, value);
  } else if (typeof value === "boolean") sink.ascii(value ? "true" : "false");
  else if (typeof value === "bigint") sink.ascii(value.toString());
  else sink.ascii("null");
}

function writeArray(sink: ByteSink, value: readonly unknown[]): void {
  const n = value.length;
  sink.reserve(1);
  sink.buf[sink.pos++] = 0x5b; // [
  for (let i = 0; i < n; i++) {
    const item = value[i];
    // Room for the separator and a 32-bit integer at once: arrays of them (register values, historize reads
    // and writes) are the common case, written here with no further call.
    sink.reserve(13);
    if (i > 0) {
      sink.buf[sink.pos] = 0x2c; // ,
      sink.buf[sink.pos + 1] = 0x20;
      sink.pos += 2;
    }
    if (typeof item === "number" && isInt32(item)) sink.pos = writeDigits(sink.buf, sink.pos, item);
    else if (item === undefined || typeof item === "function") sink.ascii("null");
    else writeJson(sink, item);
  }
  sink.reserve(1);
  sink.buf[sink.pos++] = 0x5d; // ]
}

function writeObject(sink: ByteSink, value: object): void {
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") {
    writeJson(sink, withJson.toJSON());
    return;
  }
  sink.reserve(1);
  sink.buf[sink.pos++] = 0x7b; // {
  let first = true;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (!first) {
      sink.reserve(2);
      sink.buf[sink.pos] = 0x2c; // ,
      sink.buf[sink.pos + 1] = 0x20;
      sink.pos += 2;
    }
    first = false;
    sink.ascii(renderedKey(key));
    writeJson(sink, item);
  }
  sink.reserve(1);
  sink.buf[sink.pos++] = 0x7d; // }
}

/** Whether `n` is an integer in the 32-bit range and not −0 (which Python renders `-0.0`). */
function isInt32(n: number): boolean {
  return (n | 0) === n && (n !== 0 || 1 / n > 0);
}

/** A number that is not a 32-bit integer: a larger safe integer by its digits, else as `pyJsonNumber`. */
function writeNumber(sink: ByteSink, n: number): void {
  if (Number.isSafeInteger(n) && (n !== 0 || 1 / n > 0)) writeInteger(sink, n);
  else sink.ascii(pyJsonNumber(n));
}

// The digits of 0–9999, four bytes each, zero-padded on the left: most values in history data (register
// values, counts, indices) are small, and copying their digits costs less than dividing them out.
const DIGITS = new Uint8Array(40000);
for (let n = 0; n < 10000; n++) {
  DIGITS[4 * n] = 0x30 + ((n / 1000) | 0);
  DIGITS[4 * n + 1] = 0x30 + (((n / 100) | 0) % 10);
  DIGITS[4 * n + 2] = 0x30 + (((n / 10) | 0) % 10);
  DIGITS[4 * n + 3] = 0x30 + (n % 10);
}

/** Writes the decimal digits of a 32-bit integer at `pos` (11 bytes reserved); returns the position after them. */
function writeDigits(buf: Buffer, pos: number, value: number): number {
  let n = value;
  if (n < 0) {
    buf[pos++] = 0x2d; // -
    n = -n; // up to 2^31, still exact
  }
  if (n < 10000) {
    const k = 4 * n;
    if (n >= 1000) {
      buf[pos] = DIGITS[k] as number;
      buf[pos + 1] = DIGITS[k + 1] as number;
      buf[pos + 2] = DIGITS[k + 2] as number;
      buf[pos + 3] = DIGITS[k + 3] as number;
      return pos + 4;
    }
    if (n >= 100) {
      buf[pos] = DIGITS[k + 1] as number;
      buf[pos + 1] = DIGITS[k + 2] as number;
      buf[pos + 2] = DIGITS[k + 3] as number;
      return pos + 3;
    }
    if (n >= 10) {
      buf[pos] = DIGITS[k + 2] as number;
      buf[pos + 1] = DIGITS[k + 3] as number;
      return pos + 2;
    }
    buf[pos] = 0x30 + n;
    return pos + 1;
  }
  let end = pos + 5;
  for (let p = 100000; p <= n; p *= 10) end++;
  let at = end;
  while (n >= 10) {
    const q = Math.floor(n / 10);
    buf[--at] = 0x30 + (n - q * 10);
    n = q;
  }
  buf[--at] = 0x30 + n;
  return end;
}

/** Appends the decimal digits of a safe integer (not −0) without rendering a string first. */
function writeInteger(sink: ByteSink, value: number): void {
  sink.reserve(17);
  const buf = sink.buf;
  let pos = sink.pos;
  let n = value;
  if (n < 0) {
    buf[pos++] = 0x2d; // -
    n = -n;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let at = pos + digits;
  sink.pos = at;
  // Small values divide in 32-bit integers; larger (up to 2^53) in doubles, where floor(n / 10) is exact.
  while (n >= 0x80000000) {
    const q = Math.floor(n / 10);
    buf[--at] = 0x30 + (n - q * 10);
    n = q;
  }
  while (n >= 10) {
    const q = (n / 10) | 0;
    buf[--at] = 0x30 + (n - q * 10);
    n = q;
  }
  buf[--at] = 0x30 + n;
}

/**
 * Appends a plain string (shorter than 64, printable ASCII, no quote or backslash: tag names, keys) quoted,
 * byte by byte, and returns true; returns false, having appended nothing, for any other string.
 */
function writePlainString(sink: ByteSink, s: string): boolean {
  const n = s.length;
  if (n >= 64) return false;
  sink.reserve(n + 2);
  const buf = sink.buf;
  let pos = sink.pos;
  buf[pos++] = 0x22; // "
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false; // `sink.pos` is unchanged
    buf[pos++] = c;
  }
  buf[pos++] = 0x22;
  sink.pos = pos;
  return true;
}
