/**
 * The history record, byte-compatible with cpppo's: `<UTC timestamp>\t<JSON serial>\t<JSON data>\n`, the
 * timestamp as `YYYY-MM-DD HH:MM:SS.mmm` (UTC, rounded to milliseconds), the JSON as Python's `json.dumps`
 * renders it. A line that is blank, or whose first non-blank character is `#`, is a comment.
 */
import { formatUtc, parseTimestamp } from "../time/index.js";
import { daysFromCivil, roundScaled } from "../time/utc.js";
import { ByteSink } from "./bytes.js";
import { HistoryDataError } from "./errors.js";
import { writeJson } from "./json.js";

const TAB = 9;
const HASH = 35;

/**
 * One record of a history file: its timestamp (epoch seconds) and the JSON texts of its serial and data,
 * parsed on first use (cpppo hands the data on as text, too). `data`/`serial` throw `HistoryDataError` when
 * their text is not JSON.
 */
export class HistoryRecord {
  #serial: unknown;
  #data: unknown;
  #parsed = 0;

  constructor(
    /** Epoch seconds (UTC). */
    readonly timestamp: number,
    /** The serial's JSON text, as written. */
    readonly serialText: string,
    /** The data's JSON text, as written (without the newline). */
    readonly dataText: string,
  ) {}

  /** The serial, parsed (cpppo's historize writes `["Tag", [first, last]]`; `null` by default). */
  get serial(): unknown {
    if ((this.#parsed & 1) === 0) {
      this.#serial = parseJson(this.serialText, "serial");
      this.#parsed |= 1;
    }
    return this.#serial;
  }

  /** The data, parsed (historize writes `{"read": […]}` or `{"write": […]}`; register frames are `{"40001": 1}`). */
  get data(): unknown {
    if ((this.#parsed & 2) === 0) {
      this.#data = parseJson(this.dataText, "data");
      this.#parsed |= 2;
    }
    return this.#data;
  }

  /** The record as its line (with the newline), byte for byte as it was read when it came from a file. */
  toLine(): string {
    return `${formatUtc(this.timestamp)}\t${this.serialText}\t${this.dataText}\n`;
  }
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HistoryDataError(`history record ${field} is not JSON: ${excerpt(text)}`, { cause: error });
  }
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/**
 * Renders one record line, with its newline: `formatRecord(1405461824.186, ["Tag_Name", [0, 3]], {write:
 * [0, 1, 2, 3]})` is `2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}\n`. The serial
 * defaults to `null`, as cpppo's logger writes it.
 */
export function formatRecord(timestamp: number, serial: unknown, data: unknown): string {
  const sink = new ByteSink(128);
  writeRecord(sink, timestamp, serial, data);
  return sink.latin1();
}

/**
 * Appends one record line (see `formatRecord`) to `sink` as bytes: what the writer does for each record.
 * On an error (a `toJSON` that throws) the sink is left as it was.
 */
export function writeRecord(sink: ByteSink, timestamp: number, serial: unknown, data: unknown): void {
  const start = sink.pos;
  try {
    writeRecordTime(sink, timestamp);
    sink.reserve(1);
    sink.byte(TAB);
    if (serial === undefined || serial === null) sink.ascii("null");
    else writeJson(sink, serial);
    sink.reserve(1);
    sink.byte(TAB);
    writeJson(sink, data);
    sink.reserve(1);
    sink.byte(10);
  } catch (error) {
    sink.pos = start;
    throw error;
  }
}

// The bytes of `YYYY-MM-DD HH:MM:SS` of the last whole second rendered: records mostly share their second
// with the one before, so only the milliseconds are rendered for them.
const cachedPrefix = Buffer.alloc(19);
let cachedSecond = Number.NaN;

/** Appends `formatUtc(timestamp)` (rounded to milliseconds as cpppo rounds), the whole-second text reused. */
function writeRecordTime(sink: ByteSink, timestamp: number): void {
  // Math.round agrees with Python's rounding (roundScaled) except on an exact half: only then is it called.
  const x = timestamp * 1000;
  let n = Math.round(x);
  if (n - x === 0.5) n = roundScaled(timestamp, 1000);
  const whole = Math.floor(n / 1000);
  // A new second (or a value out of range: NaN never equals the cached second) takes the slow path.
  if (whole !== cachedSecond) {
    const prefix = Number.isSafeInteger(n) ? formatUtc(whole, 0) : "";
    // Beyond the safe range, and years past 9999 (longer than 19 characters), are rendered whole, uncached.
    if (prefix.length !== 19) {
      sink.ascii(formatUtc(timestamp));
      return;
    }
    cachedPrefix.write(prefix, "latin1");
    cachedSecond = whole;
  }
  const ms = n - whole * 1000;
  sink.reserve(23);
  const buf = sink.buf;
  let pos = sink.pos;
  for (let i = 0; i < 19; i++) buf[pos++] = cachedPrefix[i] as number;
  buf[pos++] = 0x2e; // .
  buf[pos++] = 0x30 + ((ms / 100) | 0);
  buf[pos++] = 0x30 + (((ms / 10) | 0) % 10);
  buf[pos++] = 0x30 + (ms % 10);
  sink.pos = pos;
}

/** Whether a line is a comment or blank (skipped by every reader): its first non-blank character is `#`, or it has none. */
export function isCommentLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === HASH) return true;
    if (c !== 32 && c !== TAB && c !== 10 && c !== 13 && c !== 11 && c !== 12) return false;
  }
  return true;
}

const D0 = 48;
// The calendar date (as YYYYMMDD) and its days since the epoch of the last timestamp parsed: records mostly
// share their day with the one before, so the civil-day arithmetic is done once a day.
let lastDate = -1;
let lastDays = 0;

/** Epoch seconds of `text[from, to)` in the canonical form `YYYY-MM-DD HH:MM:SS[.f…]` (UTC), or NaN for any other form. */
function parseCanonical(text: string, from: number, to: number): number {
  const n = to - from;
  if (
    n < 19 ||
    text.charCodeAt(from + 4) !== 45 ||
    text.charCodeAt(from + 7) !== 45 ||
    text.charCodeAt(from + 10) !== 32 ||
    text.charCodeAt(from + 13) !== 58 ||
    text.charCodeAt(from + 16) !== 58 ||
    !(n === 19 || (text.charCodeAt(from + 19) === 46 && n > 20 && n <= 26))
  )
    return Number.NaN;
  // Digits read by position in small-integer arithmetic; `bad` turns negative if any is not 0–9 (d < 0 or
  // 9 - d < 0), checked once for all of them.
  let bad = 0;
  let d = text.charCodeAt(from) - D0;
  bad |= d | (9 - d);
  let year = d * 1000;
  d = text.charCodeAt(from + 1) - D0;
  bad |= d | (9 - d);
  year += d * 100;
  d = text.charCodeAt(from + 2) - D0;
  bad |= d | (9 - d);
  year += d * 10;
  d = text.charCodeAt(from + 3) - D0;
  bad |= d | (9 - d);
  year += d;
  const month = pair(text, from + 5);
  const day = pair(text, from + 8);
  const hour = pair(text, from + 11);
  const minute = pair(text, from + 14);
  const second = pair(text, from + 17);
  // `pair` gives -1 for a non-digit, which the range checks refuse.
  if (bad < 0 || !(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return Number.NaN;
  if (!(hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60))
    return Number.NaN;
  const date = year * 10000 + month * 100 + day;
  let days = lastDays;
  if (date !== lastDate) {
    days = daysFromCivil(year, month, day);
    lastDate = date;
    lastDays = days;
  }
  const whole = days * 86400 + hour * 3600 + minute * 60 + second;
  if (n === 19) return whole;
  let fraction = 0;
  let scale = 1;
  for (let i = from + 20; i < to; i++) {
    d = text.charCodeAt(i) - D0;
    bad |= d | (9 - d);
    fraction = fraction * 10 + d;
    scale *= 10;
  }
  return bad < 0 ? Number.NaN : whole + fraction / scale;
}

/** The two-digit number at `text[i, i + 2)`, or -1 when either is not a digit. */
function pair(text: string, i: number): number {
  const a = text.charCodeAt(i) - D0;
  const b = text.charCodeAt(i + 1) - D0;
  return (a | (9 - a) | b | (9 - b)) < 0 ? -1 : a * 10 + b;
}

/**
 * Epoch seconds of a record's timestamp field. The form every writer produces (`YYYY-MM-DD HH:MM:SS` with
 * an optional fraction, UTC) is read directly; anything else goes through `parseTimestamp` (cpppo's whole
 * grammar). Throws `HistoryDataError`.
 */
export function parseRecordTimestamp(text: string): number {
  const fast = parseCanonical(text, 0, text.length);
  if (!Number.isNaN(fast)) return fast;
  try {
    return parseTimestamp(text);
  } catch (error) {
    throw new HistoryDataError(`history record timestamp cannot be parsed: ${excerpt(text)}`, {
      cause: error,
    });
  }
}

/**
 * Parses one line of a history file (with or without its newline). Returns `undefined` for a comment or
 * blank line; throws `HistoryDataError` when the line has no timestamp, serial and data separated by tabs,
 * or its timestamp cannot be parsed. The serial and data are parsed lazily (see `HistoryRecord`).
 */
export function parseRecordLine(line: string): HistoryRecord | undefined {
  let start = 0;
  const n = line.length;
  while (start < n) {
    const c = line.charCodeAt(start);
    if (c !== 32 && c !== TAB && c !== 10 && c !== 13 && c !== 11 && c !== 12) break;
    start++;
  }
  if (start === n || line.charCodeAt(start) === HASH) return undefined;
  const tab1 = line.indexOf("\t", start);
  const tab2 = tab1 < 0 ? -1 : line.indexOf("\t", tab1 + 1);
  if (tab2 < 0)
    throw new HistoryDataError(`history line has no timestamp, serial and data: ${excerpt(line)}`);
  let end = n;
  while (end > tab2 + 1) {
    const c = line.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  let timestamp = parseCanonical(line, start, tab1);
  if (Number.isNaN(timestamp)) timestamp = parseRecordTimestamp(line.slice(start, tab1));
  return new HistoryRecord(timestamp, line.slice(tab1 + 1, tab2), line.slice(tab2 + 1, end));
}

/**
 * The record of `text[at, nl)` when it is in the form every writer produces (a canonical UTC timestamp at the
 * start of the line, then two tabs), read in place with no line string; `undefined` for anything else (a
 * comment, leading blanks, another timestamp form, a bad line), which `parseRecordLine` then decides.
 */
function fastRecord(text: string, at: number, nl: number): HistoryRecord | undefined {
  if (nl - at < 24) return undefined;
  const c = text.charCodeAt(at);
  if (c < D0 || c > D0 + 9) return undefined;
  // The timestamp is 23 characters with milliseconds (as cpppo and this package write it), else 19–26.
  let tab1 = at + 23;
  if (text.charCodeAt(tab1) !== TAB) {
    tab1 = -1;
    for (let i = at + 19; i <= at + 26 && i < nl; i++)
      if (text.charCodeAt(i) === TAB) {
        tab1 = i;
        break;
      }
    if (tab1 < 0) return undefined;
  }
  const tab2 = text.indexOf("\t", tab1 + 1);
  if (tab2 < 0 || tab2 >= nl) return undefined;
  const timestamp = parseCanonical(text, at, tab1);
  if (Number.isNaN(timestamp)) return undefined;
  let end = nl;
  while (end > tab2 + 1 && text.charCodeAt(end - 1) === 13) end--;
  // Slices of the chunk's text: no copy (they keep the chunk's text alive while the record lives).
  return new HistoryRecord(timestamp, text.slice(tab1 + 1, tab2), text.slice(tab2 + 1, end));
}

/**
 * Parses the lines of `text` (complete lines separated by `\n`, the last without its newline) and appends
 * their records to `out`, skipping comments and blank lines: what readers do with each chunk of a file, with
 * no string made per line. A line that is not a record (or, with `validate`, whose serial or data is not
 * JSON) is reported to `onBad` with its index in `text` and the error, and skipped. Returns the number of lines.
 */
export function parseRecordLines(
  text: string,
  out: HistoryRecord[],
  onBad: (index: number, error: unknown) => void,
  validate = false,
): number {
  const n = text.length;
  let at = 0;
  let index = 0;
  for (;;) {
    let nl = text.indexOf("\n", at);
    if (nl < 0) nl = n;
    const fast = fastRecord(text, at, nl);
    if (fast !== undefined && !validate) out.push(fast);
    else {
      try {
        const record = fast ?? parseRecordLine(text.slice(at, nl));
        if (record !== undefined) {
          if (validate) {
            void record.serial;
            void record.data;
          }
          out.push(record);
        }
      } catch (error) {
        onBad(index, error);
      }
    }
    index++;
    if (nl >= n) return index;
    at = nl + 1;
  }
}
