/**
 * cpppo's `parse_datetime`: ISO-like dates and times (`2019-01-20 10:00`, `2019-01-20T10:00:00.5+01:00`,
 * `2019-01-20`), optionally followed by a zone name (`2019-01-20 10:00 Canada/Mountain`).
 */
import { TimestampError } from "./errors.js";
import { daysFromCivil, daysInMonth } from "./utc.js";
import { getZone, isUtcName } from "./zone.js";

const DATETIME = /^\s*(?<dt>[0-9-]+(?:[ T][0-9:.+-]+Z?)?)(?:\s+(?<tz>[a-z_-]+(?:\/[a-z_+-]*)*))?\s*$/i;
const FIELDS =
  /^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})(?:[ T](?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2})(?:\.(?<f>\d{1,6}))?)?(?<z>Z|[-+]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses a date and time into epoch seconds. A numeric offset in the text (`+01:00`, `-0700`, `Z`) fixes the
 * instant; otherwise the time is local to the zone named after it, else `zone`, else UTC. A local time that a
 * DST change skips raises `TimestampError`, one it repeats `AmbiguousTimeZoneError`; bad text raises `TimestampError`.
 */
export function parseDatetime(text: string, zone?: string): number {
  const outer = DATETIME.exec(text);
  const fields = outer?.groups ? FIELDS.exec(outer.groups.dt as string) : null;
  const g = fields?.groups;
  if (!outer?.groups || !g)
    throw new TimestampError(
      `invalid date-time '${text}': expected YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]][±HH:MM|Z]] [Zone/Name]`,
    );
  const year = Number(g.y);
  const month = Number(g.mo);
  const day = Number(g.d);
  const hour = Number(g.h ?? 0);
  const minute = Number(g.mi ?? 0);
  const second = Number(g.s ?? 0);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    throw new TimestampError(`invalid date-time '${text}': a field is out of range`);
  if (g.z !== undefined && g.s === undefined)
    throw new TimestampError(`invalid date-time '${text}': an offset needs the seconds (HH:MM:SS±HH:MM)`);
  const micros = g.f ? Number(g.f.padEnd(6, "0")) : 0;
  const wall = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  const name = outer.groups.tz ?? zone;
  if (name !== undefined && !isUtcName(name)) getZone(name); // an unknown zone is an error even with an offset
  let whole: number;
  if (g.z !== undefined) {
    const z = g.z.toUpperCase();
    const sign = z.startsWith("-") ? -1 : 1;
    const digits = z === "Z" ? "0000" : z.slice(1).replace(":", "").padEnd(4, "0");
    whole = wall - sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  } else whole = name === undefined || isUtcName(name) ? wall : getZone(name).localize(wall);
  return whole + micros / 1e6;
}

/** Renders epoch seconds as a Zulu ISO time, `YYYY-MM-DDTHH:MM:SSZ` (whole seconds), as cpppo's `zulu_datetime`. */
export function zuluDatetime(epochSeconds: number): string {
  return `${new Date(Math.floor(epochSeconds) * 1000).toISOString().slice(0, 19)}Z`;
}
