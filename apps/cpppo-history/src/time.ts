/** `cpppo-history time`: each time's epoch seconds, its UTC rendering and its rendering in a zone. */
import { EXIT_OK, UsageError } from "@cpppo/cli-kit";
import { localZone, parseTimestamp, supportAbbreviations, Timestamp } from "@cpppo/history";
import type { Invocation } from "./main.js";

/** Epoch seconds as text with at most 6 decimals (microseconds), no trailing zeros: `1399326141.999836`. */
export function epochText(seconds: number): string {
  return seconds.toFixed(6).replace(/\.?0+$/, "");
}

/** The zone to render in: `--zone` checked, else the local zone (TZ aware). */
export function zoneOption(zone: string | undefined): string {
  if (zone === undefined) return localZone();
  try {
    new Timestamp(0).render(zone);
  } catch (err) {
    throw new UsageError(`--zone "${zone}": ${(err as Error).message}`);
  }
  return zone;
}

/** Runs `time [--zone Z] [--abbreviations REGION]... STRING...`. */
export async function timeCommand({
  values,
  positionals,
  io,
}: Invocation<{
  zone: { type: "string" };
  abbreviations: { type: "string"; multiple: true };
}>): Promise<number> {
  if (positionals.length === 0)
    throw new UsageError("a time to parse is required (see cpppo-history time --help)");
  for (const region of (values.abbreviations as string[] | undefined) ?? []) {
    try {
      supportAbbreviations(region);
    } catch (err) {
      throw new UsageError(`--abbreviations "${region}": ${(err as Error).message}`);
    }
  }
  const zone = zoneOption(values.zone as string | undefined);
  let out = "";
  for (const text of positionals) {
    // Epoch seconds as they are; a time that names no zone is UTC, as cpppo's timestamp reads it; a bad one is a
    // TimestampError (exit 2).
    const seconds = /^\s*\d+(\.\d*)?\s*$/.test(text) ? Number(text) : parseTimestamp(text);
    const ts = new Timestamp(seconds);
    out += `${epochText(seconds)}\t${ts.utc}\t${ts.render(zone)}\n`;
  }
  io.stdout.write(out);
  return EXIT_OK;
}
