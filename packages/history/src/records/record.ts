/**
 * The history record, byte-compatible with cpppo's: `<UTC timestamp>\t<JSON serial>\t<JSON data>\n`, the
 * timestamp as `YYYY-MM-DD HH:MM:SS.mmm` (UTC, rounded to milliseconds), the JSON as Python's `json.dumps`
 * renders it. A line that is blank, or whose first non-blank character is `#`, is a comment.
 */
import { formatUtc, parseTimestamp } from "../time/index.js";
import { daysFromCivil, roundScaled } from "../time/utc.js";
import { HistoryDataError } from "./errors.js";
import { pyJson } from "./json.js";

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
  return `${formatRecordTime(timestamp)}\t${pyJson(serial === undefined ? null : serial)}\t${pyJson(data)}\n`;
}

const MS = ["000", ...Array.from({ length: 999 }, (_, i) => String(i + 1).padStart(3, "0"))];
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** `formatUtc(timestamp)` with the whole-second text reused while records fall in the same second (most do). */
function formatRecordTime(timestamp: number): string {
  const n = roundScaled(timestamp, 1000);
  const whole = Math.floor(n / 1000);
  if (!Number.isSafeInteger(n)) return formatUtc(timestamp);
  if (whole !== cachedSecond) {
    cachedPrefix = formatUtc(whole, 0);
    cachedSecond = whole;
  }
  return `${cachedPrefix}.${MS[n - whole * 1000]}`;
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
// The whole-second text and value of the last timestamp parsed: records mostly share their second with the one before.
let lastPrefix = "";
let lastWhole = 0;

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - D0;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

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
  let whole: number;
  if (lastPrefix.length === 19 && text.startsWith(lastPrefix, from)) whole = lastWhole;
  else {
    const year =
      digit(text, from) * 1000 +
      digit(text, from + 1) * 100 +
      digit(text, from + 2) * 10 +
      digit(text, from + 3);
    const month = digit(text, from + 5) * 10 + digit(text, from + 6);
    const day = digit(text, from + 8) * 10 + digit(text, from + 9);
    const hour = digit(text, from + 11) * 10 + digit(text, from + 12);
    const minute = digit(text, from + 14) * 10 + digit(text, from + 15);
    const second = digit(text, from + 17) * 10 + digit(text, from + 18);
    if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 60))
      return Number.NaN;
    whole = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    if (Number.isNaN(whole)) return Number.NaN;
    // A copy, not a slice that would keep the whole line (and its chunk) alive.
    lastPrefix = Buffer.from(text.slice(from, from + 19), "latin1").toString("latin1");
    lastWhole = whole;
  }
  if (n === 19) return whole;
  let fraction = 0;
  let scale = 1;
  for (let i = from + 20; i < to; i++) {
    fraction = fraction * 10 + digit(text, i);
    scale *= 10;
  }
  return whole + fraction / scale;
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
