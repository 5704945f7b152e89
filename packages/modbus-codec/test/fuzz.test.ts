/** Hostile input: mutated real ADUs give values or the codec's typed errors, never anything else. */
import { fuzz } from "./support/fuzz.js";

describe("mutated real ADUs", () => {
  it("5,000 cases through every decoder and both framers throw only typed errors", () => {
    const report = fuzz(5000, 20261206);
    expect(report.failures).toEqual([]);
    // Both outcomes must occur, or the mutants are too tame (or too wild) to test anything.
    expect(report.decoded).toBeGreaterThan(2000);
    expect(report.refused).toBeGreaterThan(2000);
  }, 60_000);
});
