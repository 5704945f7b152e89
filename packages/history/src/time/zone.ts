/**
 * Time zones: UTC offsets from the platform's Intl (cached per zone and year as a list of transitions, so a
 * lookup is a short scan, not an Intl call), abbreviations and DST flags from the tz database table that
 * scripts/gen-zones.mjs generates (zonedata.ts), and local times turned into instants with the ambiguous
 * (fall back) and missing (spring forward) cases found and reported.
 */
import { AmbiguousTimeZoneError, TimestampError } from "./errors.js";
import { formatWholeSeconds } from "./utc.js";
import { COUNTRY_ZONES, ZONE_ERAS, ZONE_INDEX } from "./zonedata.js";

type Era = readonly [string, number, number, number, number];

const DAY = 86400;
const YEAR = 31556952; // average Gregorian year, seconds: only to guess which year table to look in
const MARGIN = 2 * DAY; // each year table overlaps its neighbours by this much

interface YearTable {
  readonly from: number;
  readonly to: number;
  /** starts[i] is when offsets[i] begins; starts[0] = from. */
  readonly starts: number[];
  readonly offsets: number[];
}

/** One transition of a zone: at `at` (epoch seconds) the offset becomes `offset`. */
export interface ZoneTransition {
  readonly at: number;
  readonly offset: number;
}

/** A time zone known to the platform: offsets, abbreviations and DST flags at any instant (cached). */
export class Zone {
  /** The name it was asked for (`America/Edmonton`, `Canada/Mountain`, `UTC`). */
  readonly name: string;
  private readonly parts: Intl.DateTimeFormat;
  private readonly eras: ReadonlyArray<Era> | undefined;
  private readonly years = new Map<number, YearTable>();
  private last: YearTable | undefined;

  constructor(name: string, parts: Intl.DateTimeFormat, eras: ReadonlyArray<Era> | undefined) {
    this.name = name;
    this.parts = parts;
    this.eras = eras;
  }

  /** UTC offset in seconds (east positive) at an instant (epoch seconds). */
  offsetAt(t: number): number {
    let table = this.last;
    if (table === undefined || t < table.from || t >= table.to) {
      table = this.year(Math.floor(t / YEAR) + 1970);
      if (t < table.from) table = this.year(Math.floor(t / YEAR) + 1969);
      else if (t >= table.to) table = this.year(Math.floor(t / YEAR) + 1971);
      this.last = table;
    }
    const { starts, offsets } = table;
    let i = starts.length - 1;
    while (i > 0 && (starts[i] as number) > t) i--;
    return offsets[i] as number;
  }

  /** The zone's abbreviation at an instant (`MDT`, `CET`, `+03`); a numeric `+hhmm` form when the tz data has none. */
  abbreviationAt(t: number): string {
    return this.eraAt(t, this.offsetAt(t))?.[0] ?? numericAbbreviation(this.offsetAt(t));
  }

  /** Whether daylight saving time is in effect at an instant (the tz database's flag). */
  isDstAt(t: number): boolean {
    const offset = this.offsetAt(t);
    const era = this.eraAt(t, offset);
    if (era) return era[2] === 1;
    const y = Math.floor(t / YEAR) * YEAR;
    return offset > Math.min(this.offsetAt(y + 15 * DAY), this.offsetAt(y + 196 * DAY));
  }

  /** The transitions in (from, to], oldest first. */
  transitions(from: number, to: number): ZoneTransition[] {
    const out: ZoneTransition[] = [];
    const last = new Date(to * 1000).getUTCFullYear();
    for (let y = new Date(from * 1000).getUTCFullYear(); y <= last; y++) {
      const table = this.year(y);
      for (let i = 1; i < table.starts.length; i++) {
        const at = table.starts[i] as number;
        if (at > from && at <= to && !out.some((x) => x.at === at))
          out.push({ at, offset: table.offsets[i] as number });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /**
   * The UTC offsets a local wall-clock time (`wall`: local fields as if UTC, epoch seconds) can have: one
   * normally, two when it occurs twice (fall back), none when it is skipped (spring forward).
   */
  offsetsOfWall(wall: number): number[] {
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    const out: number[] = [];
    if (this.offsetAt(wall - before) === before) out.push(before);
    if (after !== before && this.offsetAt(wall - after) === after) out.push(after);
    return out;
  }

  /**
   * Turns a local wall-clock time (fields as if UTC, whole seconds) into an instant. With `prefer` unset an
   * ambiguous time raises `AmbiguousTimeZoneError` and a missing one `TimestampError`; with an abbreviation
   * and DST flag (from `MST`, `MDT`, …) the matching offset is chosen, as pytz does with `is_dst`.
   */
  localize(wall: number, prefer?: { abbreviation: string; isDst: boolean | null; offset: number }): number {
    const offsets = this.offsetsOfWall(wall);
    if (offsets.length === 1) return wall - (offsets[0] as number);
    const text = formatWholeSeconds(wall);
    if (offsets.length === 2) {
      const [a, b] = offsets as [number, number];
      if (prefer && prefer.isDst !== null) {
        const pick = this.choose(wall, [a, b], prefer);
        if (pick !== undefined) return wall - pick;
      }
      const [first, second] = [this.abbreviationAt(wall - a), this.abbreviationAt(wall - b)];
      throw new AmbiguousTimeZoneError(
        `'${text}' is ambiguous in ${this.name}: it occurs twice as the clocks fall back (${first} ${offsetText(a)} or ${second} ${offsetText(b)}); name ${first} or ${second} instead, once supportAbbreviations has loaded them`,
      );
    }
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    if (prefer && prefer.isDst !== null) {
      const pick = this.choose(wall, [before, after], prefer, true);
      if (pick !== undefined) return wall - pick;
    }
    throw new TimestampError(
      `'${text}' does not exist in ${this.name}: the clocks spring forward from ${offsetText(before)} to ${offsetText(after)} over it`,
    );
  }

  private choose(
    wall: number,
    offsets: number[],
    prefer: { abbreviation: string; isDst: boolean | null; offset: number },
    gap = false,
  ): number | undefined {
    // In a gap, each offset's abbreviation is read a day away, where it is in force.
    const at = (o: number, i: number) => (gap ? wall - o + (i === 0 ? -DAY : DAY) : wall - o);
    const byName = offsets.filter((o, i) => this.abbreviationAt(at(o, i)) === prefer.abbreviation);
    if (byName.length === 1) return byName[0];
    const byFlag = offsets.filter((o, i) => this.isDstAt(at(o, i)) === prefer.isDst);
    if (byFlag.length === 1) return byFlag[0];
    return offsets.includes(prefer.offset) ? prefer.offset : undefined;
  }

  private eraAt(t: number, offset: number): Era | undefined {
    const eras = this.eras;
    if (eras === undefined) return undefined;
    let best: Era | undefined;
    let distance = Number.POSITIVE_INFINITY;
    for (const era of eras) {
      if (era[1] !== offset) continue;
      const d = t < era[3] ? era[3] - t : t > era[4] ? t - era[4] : 0;
      if (d < distance || (d === 0 && distance === 0 && era[3] > (best as Era)[3])) {
        best = era;
        distance = d;
      }
    }
    return best;
  }

  private year(y: number): YearTable {
    let table = this.years.get(y);
    if (table === undefined) {
      table = this.build(y);
      this.years.set(y, table);
    }
    return table;
  }

  // Samples the offset every 3 days across the year (and its margins), then bisects each change to the second.
  private build(y: number): YearTable {
    const from = Date.UTC(y, 0, 1) / 1000 - MARGIN;
    const to = Date.UTC(y + 1, 0, 1) / 1000 + MARGIN;
    const starts = [from];
    const offsets = [this.intlOffset(from)];
    const step = 3 * DAY;
    let t = from;
    let prev = offsets[0] as number;
    while (t < to) {
      const next = Math.min(t + step, to);
      const o = this.intlOffset(next);
      if (o !== prev) {
        let lo = t;
        let hi = next; // offset(lo) = prev, offset(hi) ≠ prev
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.intlOffset(mid) === prev) lo = mid;
          else hi = mid;
        }
        starts.push(hi);
        offsets.push(this.intlOffset(hi));
        prev = this.intlOffset(hi);
        if (prev !== o) {
          t = hi;
          continue;
        }
      }
      t = next;
    }
    return { from, to, starts, offsets };
  }

  private intlOffset(t: number): number {
    const ms = Math.floor(t) * 1000;
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.parts.formatToParts(ms)) {
      switch (p.type) {
        case "year":
          y = Number(p.value);
          break;
        case "month":
          mo = Number(p.value);
          break;
        case "day":
          d = Number(p.value);
          break;
        case "hour":
          h = Number(p.value) % 24;
          break;
        case "minute":
          mi = Number(p.value);
          break;
        case "second":
          s = Number(p.value);
          break;
        case "era":
          if (p.value.startsWith("B")) y = 1 - y;
          break;
      }
    }
    const date = new Date(0); // setUTCFullYear, because Date.UTC maps years 0–99 to 19xx
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, 0);
    return Math.round((date.getTime() - ms) / 1000);
  }
}

/** `+hh:mm` / `-hh:mm` (seconds when not whole minutes), for messages. */
export function offsetText(offset: number): string {
  const a = Math.abs(offset);
  const hh = String(Math.floor(a / 3600)).padStart(2, "0");
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, "0");
  const ss = a % 60 ? `:${String(a % 60).padStart(2, "0")}` : "";
  return `${offset < 0 ? "-" : "+"}${hh}:${mm}${ss}`;
}

/** `+0100` / `-0600`, strftime's `%z`. */
export function numericOffset(offset: number): string {
  const a = Math.abs(Math.round(offset / 60));
  return `${offset < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}${String(a % 60).padStart(2, "0")}`;
}

function numericAbbreviation(offset: number): string {
  const text = numericOffset(offset);
  return text.endsWith("00") ? text.slice(0, 3) : text;
}

const zones = new Map<string, Zone>();

/** The zone of a name the platform knows (`America/Edmonton`, `Canada/Mountain`, `UTC`); raises `TimestampError` if none. */
export function getZone(name: string): Zone {
  let zone = zones.get(name);
  if (zone !== undefined) return zone;
  let parts: Intl.DateTimeFormat;
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw new TimestampError(
      `unknown time zone '${name}': not a zone name the platform knows, nor a loaded abbreviation`,
    );
  }
  const canonical = parts.resolvedOptions().timeZone;
  const index = ZONE_INDEX[name] ?? ZONE_INDEX[canonical];
  zone = new Zone(name, parts, index === undefined ? undefined : ZONE_ERAS[index]);
  zones.set(name, zone);
  return zone;
}

/** Whether a name means UTC itself (rendered without a zone suffix). */
export function isUtcName(name: string | undefined): boolean {
  return name === undefined || name === "UTC" || name === "Z" || name === "Etc/UTC";
}

/**
 * The zone names of a region, as cpppo's `zone_names`: a country code (`CA`, from zone.tab) gives its zones,
 * anything else the zone names that start with it (`Europe`, `Europe/Berlin`, `Canada/`); a region that
 * matches nothing is returned as is.
 */
export function zoneNames(region: string | readonly string[] | null | undefined): string[] {
  const regions = region == null ? [] : typeof region === "string" ? [region] : region;
  const out: string[] = [];
  for (const r of regions) {
    const matched =
      COUNTRY_ZONES[r] ?? Object.keys(ZONE_INDEX).filter((z) => z.startsWith(r) && z.includes("/"));
    if (matched.length) out.push(...matched);
    else out.push(r);
  }
  return out;
}

/**
 * The local zone's name: the `TZ` environment variable when set (a zone name, or a path under a `zoneinfo/`
 * folder), else the platform's default zone.
 */
export function localZone(): string {
  const tz = process.env.TZ?.replace(/^:/, "");
  if (tz) {
    const at = tz.lastIndexOf("zoneinfo/");
    return at >= 0 ? tz.slice(at + "zoneinfo/".length) : tz;
  }
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}
