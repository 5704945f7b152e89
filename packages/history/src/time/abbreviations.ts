/**
 * DST-specific zone abbreviations (`MST`/`MDT`, `CET`/`CEST`), loaded per region as cpppo's
 * `timestamp.support_abbreviations` does: each zone of the region contributes the abbreviations in force around
 * `at`, and an abbreviation two zones define differently is a conflict.
 */
import { AmbiguousTimeZoneError } from "./errors.js";
import { getZone, offsetText, type Zone, zoneNames } from "./zone.js";

/** What a loaded abbreviation stands for: a zone, whether it names DST (null: the zone uses it for both), its UTC offset. */
export interface Abbreviation {
  readonly abbreviation: string;
  readonly zone: Zone;
  readonly isDst: boolean | null;
  readonly offset: number;
}

/** Options of `supportAbbreviations`. */
export interface AbbreviationOptions {
  /** Zone names, regions or abbreviations to leave out; default none. */
  exclude?: string | readonly string[];
  /** The instant (epoch seconds) around which the zones are compared; default now. */
  at?: number;
  /** Seconds either side of `at` to compare over; default half a year (182.5 days). */
  reach?: number;
  /** Forget the abbreviations loaded before; default false. */
  reset?: boolean;
  /** Keep the first zone's meaning of a conflicting abbreviation instead of raising `AmbiguousTimeZoneError`; default false. */
  first?: boolean;
}

let table = new Map<string, Abbreviation>();

/** The abbreviation loaded under a name, if any. */
export function lookupAbbreviation(name: string): Abbreviation | undefined {
  return table.get(name);
}

/** Every loaded abbreviation, by name. */
export function loadedAbbreviations(): ReadonlyMap<string, Abbreviation> {
  return table;
}

const DAY = 86400;

/**
 * Loads the DST and non-DST abbreviations of a region (a country code such as `CA`, or a zone prefix such as
 * `Europe/Berlin` or `America`; several at once as an array) and returns those added, sorted. An abbreviation
 * already loaded with another offset, or as DST with other transition times within `at ± reach`, is a
 * conflict: `AmbiguousTimeZoneError` names them all unless `first` is set (then the first meaning stays). Only
 * alphabetic abbreviations are loaded (not `+03`). Nothing is loaded if it raises.
 */
export function supportAbbreviations(
  region: string | readonly string[] | null,
  options: AbbreviationOptions = {},
): string[] {
  if (options.reset) table = new Map();
  const at = options.at ?? Date.now() / 1000;
  const reach = options.reach ?? (365 / 2) * DAY;
  const next = new Map(table);
  const incompatible: string[] = [];
  const exclusions = new Set(
    zoneNames(typeof options.exclude === "string" ? [options.exclude] : (options.exclude ?? [])),
  );
  for (const name of zoneNames(region)) {
    if (exclusions.has(name)) continue;
    const zone = getZone(name);
    const changes = zone.transitions(at - reach, at + reach);
    const details: Array<{ abbr: string; dst: boolean | null; off: number }> = [];
    if (changes.length === 0) {
      // No offset change; but a zone may rename its time without one (Whitehorse's PDT became MST in 2020).
      const [early, late] = [at - reach, at + reach];
      if (zone.abbreviationAt(early) !== zone.abbreviationAt(late))
        details.push(
          { abbr: zone.abbreviationAt(early), dst: zone.isDstAt(early), off: zone.offsetAt(early) },
          { abbr: zone.abbreviationAt(late), dst: zone.isDstAt(late), off: zone.offsetAt(late) },
        );
      else details.push({ abbr: zone.abbreviationAt(at), dst: zone.isDstAt(at), off: zone.offsetAt(at) });
    } else {
      const t = (changes[0] as { at: number }).at;
      const [ins, out] = [t - DAY, t + DAY];
      const insAbbr = zone.abbreviationAt(ins);
      const outAbbr = zone.abbreviationAt(out);
      if (insAbbr === outAbbr) details.push({ abbr: insAbbr, dst: null, off: zone.offsetAt(ins) });
      else
        details.push(
          { abbr: insAbbr, dst: zone.isDstAt(ins), off: zone.offsetAt(ins) },
          { abbr: outAbbr, dst: zone.isDstAt(out), off: zone.offsetAt(out) },
        );
    }
    for (const { abbr, dst, off } of details) {
      if (!/^[A-Za-z]+$/.test(abbr) || exclusions.has(abbr)) continue;
      const had = next.get(abbr);
      let dup = had !== undefined;
      if (had && !dst) {
        if (had.offset !== off) {
          incompatible.push(
            `${name}: ${abbr} ${offsetText(off)} vs ${offsetText(had.offset)} in ${had.zone.name}`,
          );
          continue;
        }
        if (had.isDst === null && dst === false) dup = false; // a concrete non-DST meaning replaces an ambiguous one
      }
      if (had && dst) {
        const mine = changes.map((c) => `${c.at}/${c.offset}/${zone.isDstAt(c.at)}`);
        const theirs = had.zone
          .transitions(at - reach, at + reach)
          .map((c) => `${c.at}/${c.offset}/${had.zone.isDstAt(c.at)}`);
        if (mine.length !== theirs.length || mine.some((m, i) => m !== theirs[i])) {
          incompatible.push(`${name}: ${abbr} time changes differ from ${had.zone.name}`);
          continue;
        }
      }
      if (!dup) next.set(abbr, { abbreviation: abbr, zone, isDst: dst, offset: off });
    }
  }
  if (incompatible.length && !options.first)
    throw new AmbiguousTimeZoneError(
      `region ${JSON.stringify(region)} has conflicting abbreviations: ${incompatible.join(", ")}`,
    );
  const added = [...next.keys()].filter((k) => !table.has(k)).sort();
  table = next;
  return added;
}
