/**
 * cpppo's `timestamp`: epoch seconds (microsecond capable) parsed from `YYYY-MM-DD HH:MM:SS[.ffffff] [TZ]`,
 * rendered in UTC to milliseconds (rounded, so string order is numeric order) or in any zone with its
 * abbreviation, name or numeric offset, and compared with an epsilon of 10⁻³ s.
 */
import { lookupAbbreviation } from "./abbreviations.js";
import { TimestampError } from "./errors.js";
import { daysFromCivil, daysInMonth, formatShifted, roundScaled, validDigits } from "./utc.js";
import { getZone, isUtcName, localZone, numericOffset } from "./zone.js";

/**
 * Renders epoch seconds as `YYYY-MM-DD HH:MM:SS.mmm` in UTC with `digits` (0–6, default 3) sub-second digits,
 * rounded first as cpppo does (1399326141.999836 → `2014-05-05 21:42:22.000`); 0 digits truncates.
 */
export function formatUtc(epochSeconds: number, digits = 3): string {
  if (!validDigits(digits))
    throw new TimestampError(`invalid sub-second precision ${digits}: must be an integer 0-6`);
  if (!Number.isFinite(epochSeconds))
    throw new TimestampError(`cannot render ${epochSeconds}: not a finite time`);
  return formatShifted(epochSeconds, digits, 0);
}

/** Options of `parseTimestamp`. */
export interface ParseTimestampOptions {
  /** The zone of a time that names none (a zone name or a loaded abbreviation); default UTC. */
  zone?: string;
}

const SPACE = 32;
const isSeparator = (c: number) =>
  c === 58 || c === 45 || c === 46 || c === SPACE || c === 9 || c === 10 || c === 13; // : - . and blanks
const isBlank = (c: number) => c === SPACE || c === 9 || c === 10 || c === 13;

/**
 * Parses cpppo's time grammar into epoch seconds: `YYYY-MM-DD HH:MM:SS[.ffffff] [TZ]`, where `:`, `-` and `.`
 * are separators like blanks (so there are 6 or 7 numbers), and a last word that is not a number is the zone:
 * a zone name (`America/Edmonton`, DST inferred) or an abbreviation loaded by `supportAbbreviations` (`MDT`).
 * Without one, `zone` (default UTC) applies. Raises `TimestampError` for bad text or a time skipped by a
 * spring-forward, `AmbiguousTimeZoneError` for a time that a fall-back repeats (unless the abbreviation says which).
 */
export function parseTimestamp(text: string, options: ParseTimestampOptions = {}): number {
  if (options.zone === undefined) {
    const fast = parseCanonicalUtc(text);
    if (fast >= 0) return fast;
  }
  let end = text.length;
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && !isBlank(text.charCodeAt(start - 1))) start--;
  let zoneName = options.zone;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!(c >= 48 && c <= 57) && !isSeparator(c)) {
      zoneName = text.slice(start, end);
      end = start;
      break;
    }
  }
  const terms = [0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let fractionDigits = 0;
  let i = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSeparator(c)) {
      i++;
      continue;
    }
    if (c < 48 || c > 57)
      throw new TimestampError(
        `invalid time '${text}': unexpected '${text[i]}'; expected YYYY-MM-DD HH:MM:SS[.ffffff] [TZ]`,
      );
    let n = 0;
    const from = i;
    while (i < end) {
      const d = text.charCodeAt(i);
      if (d < 48 || d > 57) break;
      n = n * 10 + (d - 48);
      i++;
    }
    if (count === 7)
      throw new TimestampError(
        `invalid time '${text}': more than 7 numbers; expected YYYY-MM-DD HH:MM:SS[.ffffff] [TZ]`,
      );
    if (count === 6) fractionDigits = i - from;
    terms[count++] = n;
  }
  if (count < 6)
    throw new TimestampError(
      `invalid time '${text}': ${count} numbers; expected YYYY-MM-DD HH:MM:SS[.ffffff] [TZ]`,
    );
  const [year, month, day, hour, minute, second] = terms as [number, number, number, number, number, number];
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    throw new TimestampError(`invalid time '${text}': a field is out of range`);
  if (fractionDigits > 6) throw new TimestampError(`invalid time '${text}': more than 6 sub-second digits`);
  const micros = count === 7 ? (terms[6] as number) * 10 ** (6 - fractionDigits) : 0;
  const wall = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  let whole = wall;
  if (!isUtcName(zoneName)) {
    const abbreviation = lookupAbbreviation(zoneName as string);
    whole = abbreviation
      ? abbreviation.zone.localize(wall, abbreviation)
      : getZone(zoneName as string).localize(wall);
  }
  return whole + micros / 1e6;
}

const d = (text: string, at: number) => text.charCodeAt(at) - 48;
const d2 = (text: string, at: number) => {
  const a = d(text, at);
  const b = d(text, at + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1000;
};

/**
 * The common case, fast: exactly `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (a history record's form), in UTC. Returns -1
 * when the text has any other form (the general parser then decides, and reports errors).
 */
function parseCanonicalUtc(text: string): number {
  const n = text.length;
  if (n < 19 || n === 20 || n > 26) return -1;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== SPACE) return -1;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return -1;
  const year = d2(text, 0) * 100 + d2(text, 2);
  const month = d2(text, 5);
  const day = d2(text, 8);
  const hour = d2(text, 11);
  const minute = d2(text, 14);
  const second = d2(text, 17);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return -1;
  if (day > 28 && day > daysInMonth(year, month)) return -1;
  let micros = 0;
  if (n > 19) {
    if (text.charCodeAt(19) !== 46) return -1;
    for (let i = 20; i < 26; i++) {
      let digit = 0;
      if (i < n) {
        digit = d(text, i);
        if (digit < 0 || digit > 9) return -1;
      }
      micros = micros * 10 + digit;
    }
  }
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + micros / 1e6;
}

/** How `Timestamp.render` writes the zone: undefined = its abbreviation, true = its full name, false = a numeric offset. */
export interface RenderOptions {
  /** Sub-second digits: true = `Timestamp.precision` (3), false = none (truncated), or 0–6; default true. */
  ms?: boolean | number;
  /** undefined/null: the abbreviation (none for UTC); truthy: the zone's full name; falsy: a numeric offset `+hhmm`. */
  tzdetail?: boolean | null;
}

/** A zone given by name or loaded abbreviation, resolved for rendering. */
function zoneFor(name: string) {
  return lookupAbbreviation(name)?.zone ?? getZone(name);
}

/**
 * A point in time as cpppo's `timestamp`: `value` in epoch seconds (microsecond capable); `utc` (and
 * `toString()`) renders it in UTC with 3 rounded decimals; comparisons treat values within `epsilon` (10⁻³ s)
 * as equal, so comparing timestamps agrees with comparing their `utc` strings.
 */
export class Timestamp {
  /** Default sub-second digits of `render` and `utc`; 3. */
  static precision = 3;
  /** Values nearer than this (seconds) compare equal; 10⁻³. */
  static epsilon = 1e-3;

  /** Epoch seconds. */
  value: number;
  #utc: string | undefined;

  /** From epoch seconds, a time text (`parseTimestamp`, UTC unless it names a zone), a Date or another Timestamp; default now. */
  constructor(value?: number | string | Date | Timestamp, options: ParseTimestampOptions = {}) {
    if (value === undefined) this.value = Date.now() / 1000;
    else if (typeof value === "number") this.value = value;
    else if (typeof value === "string") this.value = parseTimestamp(value, options);
    else if (value instanceof Timestamp) this.value = value.value;
    else if (value instanceof Date) this.value = value.getTime() / 1000;
    else
      throw new TimestampError(
        `invalid timestamp ${String(value)}: expected seconds, text, a Date or a Timestamp`,
      );
    if (!Number.isFinite(this.value))
      throw new TimestampError(`invalid timestamp ${String(value)}: not a finite time`);
  }

  /** The UTC rendering with `Timestamp.precision` digits (cached). */
  get utc(): string {
    this.#utc ??= this.render();
    return this.#utc;
  }

  /** Sets the time from text in UTC (or the zone the text names). */
  set utc(text: string) {
    this.value = parseTimestamp(text);
    this.#utc = undefined;
  }

  /** The rendering in the local zone (`localZone()`, TZ aware) in whole seconds with its abbreviation. */
  get local(): string {
    return this.render(localZone(), { ms: false });
  }

  /** Sets the time from text in the local zone (or the zone the text names). */
  set local(text: string) {
    this.value = parseTimestamp(text, { zone: localZone() });
    this.#utc = undefined;
  }

  /**
   * Renders in a zone (default UTC): `YYYY-MM-DD HH:MM:SS[.fff]`, then for a non-UTC zone ` ABBR` (or the zone
   * name, or `±hhmm` right after the seconds, by `tzdetail`). Sub-second digits are rounded, none truncates.
   */
  render(zone?: string, options: RenderOptions = {}): string {
    const ms = options.ms ?? true;
    const digits = ms === true ? Timestamp.precision : ms === false ? 0 : ms;
    if (!validDigits(digits))
      throw new TimestampError(`invalid sub-second precision ${String(ms)}: must be 0-6 digits`);
    const { tzdetail } = options;
    if (isUtcName(zone)) {
      const text = formatShifted(this.value, digits, 0);
      if (tzdetail == null) return text;
      return tzdetail ? `${text} UTC` : `${text}+0000`;
    }
    const z = zoneFor(zone as string);
    const rounded = digits ? roundScaled(this.value, 10 ** digits) / 10 ** digits : this.value;
    const instant = Math.floor(rounded);
    const offset = z.offsetAt(instant);
    const text = formatShifted(this.value, digits, offset);
    if (tzdetail == null) return `${text} ${z.abbreviationAt(instant)}`;
    return tzdetail ? `${text} ${z.name}` : `${text}${numericOffset(offset)}`;
  }

  /** The UTC rendering, as `utc`. */
  toString(): string {
    return this.utc;
  }

  /** The UTC rendering, so JSON carries the time as a history record does. */
  toJSON(): string {
    return this.utc;
  }

  /** cpppo's repr, `<2014-05-10 12:52:47.000 =~= 1399726367.000000>`, for `util.inspect` and `console.log`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `<${this.utc} =~= ${this.value.toFixed(6)}>`;
  }

  /** Less than `other` by more than `epsilon`. */
  lt(other: Timestamp | number): boolean {
    return this.value + Timestamp.epsilon < secondsOf(other);
  }
  /** Greater than `other` by more than `epsilon`. */
  gt(other: Timestamp | number): boolean {
    return this.value - Timestamp.epsilon > secondsOf(other);
  }
  /** Not greater than `other`. */
  le(other: Timestamp | number): boolean {
    return !this.gt(other);
  }
  /** Not less than `other`. */
  ge(other: Timestamp | number): boolean {
    return !this.lt(other);
  }
  /** Within `epsilon` of `other`. */
  eq(other: Timestamp | number): boolean {
    return !this.ne(other);
  }
  /** Further than `epsilon` from `other`. */
  ne(other: Timestamp | number): boolean {
    return this.lt(other) || this.gt(other);
  }
  /** -1, 0 or 1 as `lt`, `eq`, `gt` (a sort comparator). */
  compare(other: Timestamp | number): -1 | 0 | 1 {
    return this.lt(other) ? -1 : this.gt(other) ? 1 : 0;
  }

  /** A new Timestamp `seconds` later. */
  plus(seconds: number): Timestamp {
    return new Timestamp(this.value + seconds);
  }

  /** A new Timestamp `seconds` earlier; or, given a Timestamp, the difference in seconds. */
  minus(other: number): Timestamp;
  minus(other: Timestamp): number;
  minus(other: number | Timestamp): Timestamp | number {
    return other instanceof Timestamp ? this.value - other.value : new Timestamp(this.value - other);
  }
}

function secondsOf(x: Timestamp | number): number {
  return typeof x === "number" ? x : x.value;
}
