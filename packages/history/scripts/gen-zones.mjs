// Generates src/time/zonedata.ts from the system's compiled tz database (/usr/share/zoneinfo): each
// zone's abbreviations with their UTC offset, DST flag and the span of time they were in use, and the
// country → zones table of zone.tab. Offsets at run time come from the platform's Intl; this table only
// names them, because Intl's short names are locale-bound ("GMT+1" for Europe/Berlin in en-US).
// Run: node packages/history/scripts/gen-zones.mjs [/usr/share/zoneinfo]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = process.argv[2] ?? "/usr/share/zoneinfo";
const out = resolve(dirname(new URL(import.meta.url).pathname), "../src/time/zonedata.ts");
const NEVER = 1e13; // seconds; stands for ±infinity in the table

/** Parses a TZif (v2+) file: its local time types, when each was in use, and the footer's rule. */
function tzif(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "TZif") throw new Error("not TZif");
  const counts = (at) => [20, 24, 28, 32, 36, 40].map((o) => view.getUint32(at + o));
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut; // skip the v1 block
  [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
  at += 44;
  const times = [];
  for (let i = 0; i < timecnt; i++) times.push(Number(view.getBigInt64(at + i * 8)));
  at += timecnt * 8;
  const idx = [...bytes.subarray(at, at + timecnt)];
  at += timecnt;
  const types = [];
  for (let i = 0; i < typecnt; i++)
    types.push({ off: view.getInt32(at + i * 6), dst: bytes[at + i * 6 + 4], ai: bytes[at + i * 6 + 5] });
  at += typecnt * 6;
  const chars = Buffer.from(bytes.subarray(at, at + charcnt)).toString("latin1");
  at += charcnt + leap * 12 + isstd + isut;
  const footer = Buffer.from(bytes.subarray(at)).toString("latin1").trim();
  const abbr = (t) => chars.slice(t.ai, chars.indexOf("\0", t.ai));
  const eras = types.map((t) => ({ abbr: abbr(t), off: t.off, dst: t.dst, from: NEVER, to: -NEVER }));
  const use = (type, from, to) => {
    const e = eras[type];
    e.from = Math.min(e.from, from);
    e.to = Math.max(e.to, to);
  };
  if (timecnt === 0) use(0, -NEVER, NEVER);
  else use(0, -NEVER, times[0]);
  for (let i = 0; i < timecnt; i++) use(idx[i], times[i], i + 1 < timecnt ? times[i + 1] : times[i]);
  // The footer's POSIX TZ rule governs after the last transition: its names stay in use for ever.
  const m = /^(<[^>]+>|[A-Za-z]+)([-+]?[\d:]+)(?:(<[^>]+>|[A-Za-z]+)([-+]?[\d:]+)?)?/.exec(footer);
  const last = timecnt ? times[timecnt - 1] : -NEVER;
  if (m) {
    const secs = (s) => {
      const sign = s.startsWith("-") ? -1 : 1;
      const [h, mi = 0, se = 0] = s.replace(/^[-+]/, "").split(":").map(Number);
      return sign * (h * 3600 + mi * 60 + se);
    };
    const std = -secs(m[2]);
    const names = [[m[1].replace(/[<>]/g, ""), std, 0]];
    if (m[3]) names.push([m[3].replace(/[<>]/g, ""), m[4] ? -secs(m[4]) : std + 3600, 1]);
    // "Negative DST" (Europe/Dublin: IST in summer is standard time, GMT in winter the DST): store it the
    // rearguard way, as pytz and cpppo see it, so that summer names are the DST ones.
    if (names.length === 2 && names[1][1] < names[0][1]) {
      for (const e of eras)
        for (const [a, off] of names)
          if (e.abbr === a && e.off === off) e.dst = e.off === names[0][1] ? 1 : 0;
      names[0][2] = 1;
      names[1][2] = 0;
    }
    for (const [a, off, dst] of names) {
      let e = eras.find((x) => x.abbr === a && x.off === off && x.dst === dst);
      if (!e) {
        e = { abbr: a, off, dst, from: last, to: NEVER };
        eras.push(e);
      }
      e.from = Math.min(e.from, last);
      e.to = NEVER;
    }
  }
  // One row per (abbr, offset, dst), types used never dropped.
  const rows = new Map();
  for (const e of eras) {
    if (e.from > e.to) continue;
    const key = `${e.abbr}/${e.off}/${e.dst}`;
    const r = rows.get(key);
    if (r) {
      r.from = Math.min(r.from, e.from);
      r.to = Math.max(r.to, e.to);
    } else rows.set(key, { ...e });
  }
  return [...rows.values()].sort((a, b) => a.from - b.from).map((e) => [e.abbr, e.off, e.dst, e.from, e.to]);
}

const zoneTab = readFileSync(join(root, "zone.tab"), "latin1")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.split("\t"));
const countries = {};
for (const [cc, , zone] of zoneTab) {
  countries[cc] ??= [];
  countries[cc].push(zone);
}
const legacy = [
  "UTC",
  "GMT",
  "CET",
  "EET",
  "MET",
  "WET",
  "MST",
  "EST",
  "HST",
  "EST5EDT",
  "CST6CDT",
  "MST7MDT",
  "PST8PDT",
];
// Links (Canada/Mountain → America/Edmonton, …) from tzdata.zi, so prefixes such as "Canada" or "US" match.
const links = existsSync(join(root, "tzdata.zi"))
  ? readFileSync(join(root, "tzdata.zi"), "latin1")
      .split("\n")
      .filter((l) => l.startsWith("L "))
      .map((l) => l.split(" ")[2])
  : [];
const names = [
  ...new Set([...Intl.supportedValuesOf("timeZone"), ...zoneTab.map((r) => r[2]), ...legacy, ...links]),
]
  .filter((n) => !n.startsWith("posix") && !n.startsWith("right"))
  .sort();
const zones = {};
const data = [];
const byHash = new Map();
for (const name of names) {
  const file = join(root, name);
  if (!existsSync(file)) continue;
  const bytes = readFileSync(file);
  const hash = createHash("sha1").update(bytes).digest("hex");
  let index = byHash.get(hash);
  if (index === undefined) {
    index = data.length;
    data.push(tzif(bytes));
    byHash.set(hash, index);
  }
  zones[name] = index;
}
const version = existsSync(join(root, "tzdata.zi"))
  ? (/version\s+(\S+)/.exec(readFileSync(join(root, "tzdata.zi"), "latin1"))?.[1] ?? "?")
  : "?";
const text = `// Generated by scripts/gen-zones.mjs from the tz database ${version} (/usr/share/zoneinfo); do not edit.
// ZONE_INDEX: zone name → row of ZONE_ERAS. ZONE_ERAS rows: [abbreviation, UTC offset s, DST 0|1, first used, last used]
// (epoch seconds; ±1e13 = for ever). COUNTRY_ZONES: ISO 3166 code → zones, from zone.tab.
/** The tz database release the tables were generated from. */
export const TZDATA_VERSION = ${JSON.stringify(version)};
/** Zone name → index into ZONE_ERAS. */
export const ZONE_INDEX: Readonly<Record<string, number>> = ${JSON.stringify(zones)};
/** Each zone's abbreviations: [abbreviation, offset seconds, dst, from, to]. */
export const ZONE_ERAS: ReadonlyArray<ReadonlyArray<readonly [string, number, number, number, number]>> = ${JSON.stringify(data)};
/** Country code → zone names (zone.tab). */
export const COUNTRY_ZONES: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(countries)};
`;
writeFileSync(out, text);
// Laid out as the repository's formatter wants, so that the lint check passes on the generated file.
execFileSync("npx", ["biome", "format", "--write", out], {
  stdio: "ignore",
  cwd: resolve(dirname(out), "../../../.."),
});
console.log(`wrote ${out}: ${Object.keys(zones).length} names, ${data.length} zones, ${text.length} bytes`);
