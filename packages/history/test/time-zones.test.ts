// Renderings in 42 zones at 504 instants of 2000–2030, against Python's zoneinfo (an independent reader of the
// tz database): the local time, the abbreviation and the offset. fixtures/README.md says how they were made.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getZone, parseTimestamp, Timestamp } from "../src/index.js";

type Row = [zone: string, epoch: number, rendered: string, offset: number];
const rows = JSON.parse(
  readFileSync(join(__dirname, "..", "fixtures", "zone-renderings.json"), "utf8"),
) as Row[];

test("the fixture covers many zones", () => {
  expect(new Set(rows.map((r) => r[0])).size).toBeGreaterThanOrEqual(40);
});

test.each(rows)("%s at %d renders %j (offset %d)", (zone, epoch, rendered, offset) => {
  expect(new Timestamp(epoch).render(zone, { ms: false })).toBe(rendered);
  expect(getZone(zone).offsetAt(epoch)).toBe(offset);
});

test("each rendering parses back to its instant, unless the local time is repeated", () => {
  let parsed = 0;
  for (const [zone, epoch, rendered] of rows) {
    const local = `${rendered.slice(0, 19)} ${zone}`;
    if (
      getZone(zone).offsetsOfWall(Date.parse(`${rendered.slice(0, 10)}T${rendered.slice(11, 19)}Z`) / 1000)
        .length !== 1
    )
      continue;
    expect(`${local} → ${parseTimestamp(local)}`).toBe(`${local} → ${epoch}`);
    parsed++;
  }
  expect(parsed).toBeGreaterThan(490);
});
