/**
 * Human durations as cpppo writes them (`1y2w3d4h5m6.789s`, `250ms`, `3us`; a year is 365.25 days), seconds
 * from `HHH:MM[:SS.s]` or a number, and `< h:mm:ss.sss` offsets.
 */
import { TimestampError } from "./errors.js";

const YR = 31557600;
const WK = 604800;
const DY = 86400;
const HR = 3600;
const MN = 60;

// Each unit may be spelled out (y|yr|yrs|year|years, …); seconds are either fractional or split into s/ms/us/ns.
const DURATION = new RegExp(
  [
    "^",
    "(?:\\s*(?<y>\\d+)\\s*y(?:(?:(?:ea)?r)s?)?)?",
    "(?:\\s*(?<w>\\d+)\\s*w(?:(?:(?:ee)?k)s?)?)?",
    "(?:\\s*(?<d>\\d+)\\s*d(?:(?:(?:a)?y)s?)?)?",
    "(?:\\s*(?<h>\\d+)\\s*h(?:(?:(?:ou)?r)s?)?)?",
    "(?:\\s*(?<m>\\d+)\\s*m(?:(?:in(?:ute)?)s?)?)?",
    "(?:",
    "(?:\\s*(?<sman>\\d+)?[.,](?<sfra>\\d+)\\s*s(?:(?:ec(?:ond)?)s?)?)?",
    "|(?:",
    "(?:\\s*(?<s>\\d+)\\s*s(?:(?:ec(?:ond)?)s?)?)?",
    "(?:\\s*(?<ms>\\d+)\\s*(?:m|milli)s(?:(?:ec(?:ond)?)s?)?)?",
    "(?:\\s*(?<us>\\d+)\\s*(?:u|μ|micro)s(?:(?:ec(?:ond)?)s?)?)?",
    "(?:\\s*(?<ns>\\d+)\\s*(?:n|nano)s(?:(?:ec(?:ond)?)s?)?)?",
    ")",
    ")",
    "\\s*$",
  ].join(""),
  "i",
);

/**
 * Parses a duration into seconds: years (365.25 days), weeks, days, hours, minutes, then either fractional
 * seconds (`6.789s`) or whole s/ms/us/ns, each optional but in that order (`1y2w3d4h5m6.789s`, `1m30s`, `250ms`).
 * Nanoseconds are truncated to microseconds, as cpppo does. Raises `TimestampError` otherwise.
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m?.groups || !/\d/.test(text))
    throw new TimestampError(
      `invalid duration '${text}': expected e.g. 1y2w3d4h5m6.789s, 250ms, 3us (y w d h m s ms us ns)`,
    );
  const g = m.groups;
  const n = (k: string) => Number(g[k] ?? 0);
  const seconds =
    (g.s ? n("s") : n("sman")) + MN * n("m") + HR * n("h") + DY * n("d") + WK * n("w") + YR * n("y");
  const micros =
    Number((g.sfra ?? "0").padEnd(6, "0").slice(0, 6)) +
    n("ms") * 1000 +
    n("us") +
    Math.floor(n("ns") / 1000);
  return seconds + micros / 1e6;
}

/**
 * Formats seconds as cpppo's `duration` does: `1y2w3d4h5m6.789s`, the seconds part scaled to s, ms or us by the
 * finest digit present (`250ms`, `3us`, `1s500us`), zero as `0s`; a negative duration gets a leading `-`.
 * Microsecond resolution.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new TimestampError(`cannot format duration ${seconds}: not finite`);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  let total = Math.round(seconds * 1e6);
  const microseconds = total % 1e6;
  total = (total - microseconds) / 1e6;
  let out = "";
  const years = Math.floor(total / YR);
  if (years) out += `${years}y`;
  const ySecs = total % YR;
  const weeks = Math.floor(ySecs / WK);
  if (weeks) out += `${weeks}w`;
  const wSecs = ySecs % WK;
  const days = Math.floor(wSecs / DY);
  if (days) out += `${days}d`;
  const dSecs = wSecs % DY;
  const hours = Math.floor(dSecs / HR);
  if (hours) out += `${hours}h`;
  const hSecs = dSecs % HR;
  const minutes = Math.floor(hSecs / MN);
  if (minutes) out += `${minutes}m`;
  const s = hSecs % MN;
  const isUs = microseconds % 1000 > 0;
  const isMs = Math.floor(microseconds / 1000) > 0;
  if (isMs && (s > 0 || isUs))
    out += `${`${s}.${String(microseconds).padStart(6, "0")}`.replace(/0+$/, "")}s`;
  else if (microseconds > 0 || s > 0) {
    if (s) out += `${s}s`;
    if (isUs) out += `${microseconds}us`;
    else if (isMs) out += `${microseconds / 1000}ms`;
  } else if (total === 0) out += "0s";
  return out;
}

const HHMMSS = /^(\d*):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/;

/**
 * Seconds from a number, numeric text (`"1.5"`), `[HHH]:MM[:SS[.s]]` (`"1:30"` is 90 minutes, `":01"` one) or a duration
 * (`"1m30s"`), as cpppo's `parse_seconds`. Raises `TimestampError` when none fits.
 */
export function parseSeconds(value: number | string): number {
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new TimestampError("invalid seconds NaN");
    return value;
  }
  const text = value.trim();
  if (text !== "" && /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$|^[-+]?(?:inf(?:inity)?|nan)$/i.test(text)) {
    const lower = text.toLowerCase().replace(/^\+/, "");
    if (lower.endsWith("inf") || lower.endsWith("infinity"))
      return lower.startsWith("-") ? -Infinity : Infinity;
    if (!lower.endsWith("nan")) return Number(text);
  }
  const m = HHMMSS.exec(text);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
  try {
    return parseDuration(text);
  } catch {
    throw new TimestampError(
      `invalid seconds '${value}': expected a number, HHH:MM[:SS.s] or a duration such as 1m30s`,
    );
  }
}

/**
 * Seconds from an offset `</> [[h:]m:]s[.s]` (`<` is negative): `'< 1:00:00.001'` → -3600.001, `'>1'` → 1.
 * Raises `TimestampError` otherwise.
 */
export function parseOffset(text: string, symbols = "<>"): number {
  const fail = (why: string) =>
    new TimestampError(`invalid offset '${text}': ${why}; must be ${symbols[0]}/${symbols[1]}[[h:]m:]s[.s]`);
  const sign = Math.max(text.indexOf(symbols[0] as string), text.indexOf(symbols[1] as string));
  if (sign < 0) throw fail("missing sign");
  if (text.slice(0, sign).trim() !== "") throw fail("garbage before sign");
  let hms = text.slice(sign + 1).split(":");
  if (hms.length < 1 || hms.length > 3) throw fail("only h:mm:ss.s allowed");
  while (hms.length > 1 && hms[0] === "") hms = hms.slice(1);
  let offset = 0;
  for (const v of hms) {
    const t = v.trim();
    if (!/^(?:\d+\.?\d*|\.\d+)$/.test(t)) throw fail(`'${v}' is not a number`);
    offset = offset * 60 + Number(t);
  }
  return text[sign] === symbols[0] ? -offset : offset;
}

/** Formats seconds as `<`/`>` then `h:mm:ss.sss` (`ms` false: whole seconds), hours padded to 2: `'> 1:00:00.001'`. */
export function formatOffset(seconds: number, ms = true, symbols = "<>"): string {
  const a = Math.abs(seconds);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  const sec = ms ? s.toFixed(3).padStart(6, "0") : String(Math.floor(s)).padStart(2, "0");
  return `${seconds < 0 ? symbols[0] : symbols[1]}${String(h).padStart(2, " ")}:${String(m).padStart(2, "0")}:${sec}`;
}
