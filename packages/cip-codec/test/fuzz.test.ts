/** Hostile input: mutated real frames only ever decode or throw CipDecodeError (bench/fuzz.ts runs ≥ 1M). */
import { fuzz, fuzzTargets } from "./support/fuzz.js";

describe("mutated real frames", () => {
  it("every target has seeds", () => {
    for (const t of fuzzTargets()) expect(t.seeds.length).toBeGreaterThan(0);
  });

  it("60,000 mutants give values or CipDecodeError, none slow", () => {
    const report = fuzz(60_000, 20261124);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(60_000);
    // Both outcomes must occur, or the mutants are too tame (or too wild) to test anything.
    expect(report.values).toBeGreaterThan(1000);
    expect(report.decodeErrors).toBeGreaterThan(1000);
    expect(report.slowest.ms).toBeLessThan(250);
  }, 120_000);
});
