/**
 * The pure core against cpppo's figures: the address model, merge/shatter (cpppo's own test cases, in our
 * words), the load averages' weights and the cadence's whole-period skips.
 */
import {
  blocksOf,
  ema,
  formatRanges,
  merge,
  nextCycle,
  nextLoad,
  shatter,
  wireAddress,
  wireAddressOf,
} from "../src/index.js";

describe("address model", () => {
  it.each([
    [1, "coils", 0, 1],
    [9999, "coils", 9998, 1],
    [10001, "discreteInputs", 0, 2],
    [100001, "discreteInputs", 0, 2],
    [165536, "discreteInputs", 65535, 2],
    [30001, "inputRegisters", 0, 4],
    [300001, "inputRegisters", 0, 4],
    [40001, "holdingRegisters", 0, 3],
    [99999, "holdingRegisters", 59998, 3],
    [400001, "holdingRegisters", 0, 3],
    [465536, "holdingRegisters", 65535, 3],
  ])("%d is %s offset %d (FC%d)", (address, table, offset, fc) => {
    expect(wireAddress(address)).toMatchObject({ table, offset, readFunction: fc });
  });
  it.each([0, 10000, 20001, 29999, 165537, 200000, 365537, 465537, 1.5])("%d is outside the model", (a) => {
    expect(wireAddressOf(a)).toBeUndefined();
    expect(() => wireAddress(a)).toThrow(/is not a Modbus address/);
  });
});

describe("shatter and merge (cpppo's figures)", () => {
  it("cuts at the limit given", () => {
    expect(shatter(1, 8, 3)).toEqual([
      [1, 3],
      [4, 3],
      [7, 2],
    ]);
  });
  it("defaults to 1968 bits and 123 registers", () => {
    expect(shatter(1, 2000)).toEqual([
      [1, 1968],
      [1969, 32],
    ]);
    expect(shatter(100001, 1969)).toEqual([
      [100001, 1968],
      [101969, 1],
    ]);
    expect(shatter(40001, 125)).toEqual([
      [40001, 123],
      [40124, 2],
    ]);
    expect(shatter(30001, 246)).toEqual([
      [30001, 123],
      [30124, 123],
    ]);
  });
  it("merges overlapping and adjacent ranges with reach 1", () => {
    expect(
      merge([
        [1, 2],
        [2, 3],
      ]),
    ).toEqual([[1, 4]]);
    expect(
      merge([
        [1, 2],
        [2, 3],
        [6, 6],
        [40001, 5],
      ]),
    ).toEqual([
      [1, 4],
      [6, 6],
      [40001, 5],
    ]);
  });
  it("reaches over gaps, then shatters at the limit", () => {
    const ranges: [number, number][] = [
      [1, 2],
      [2, 3],
      [6, 6],
      [40001, 5],
    ];
    expect(merge(ranges, 5)).toEqual([
      [1, 11],
      [40001, 5],
    ]);
    expect(merge(ranges, 5, 5)).toEqual([
      [1, 5],
      [6, 5],
      [11, 1],
      [40001, 5],
    ]);
  });
  it("never merges across a // 10000 boundary", () => {
    expect(
      merge(
        [
          [9998, 1],
          [9999, 1],
          [10000, 1],
        ],
        5,
        5,
      ),
    ).toEqual([
      [9998, 2],
      [10000, 1],
    ]);
    expect(blocksOf([49999, 50000], 100)).toEqual([
      [49999, 1],
      [50000, 1],
    ]);
  });
  it("merges when address < base + length + reach, not at equality", () => {
    expect(blocksOf([40001, 40003], 1)).toEqual([
      [40001, 1],
      [40003, 1],
    ]);
    expect(blocksOf([40001, 40003], 2)).toEqual([[40001, 3]]);
    expect(blocksOf([40001, 40004], 2)).toEqual([
      [40001, 1],
      [40004, 1],
    ]);
  });
  it("keeps a block's end when a range lies inside it", () => {
    expect(
      merge([
        [1, 10],
        [2, 1],
      ]),
    ).toEqual([[1, 10]]);
  });
  it("blocksOf equals merge of single registrations, in any order", () => {
    const addresses = [40010, 1, 40001, 3, 2, 40100, 30001, 40005];
    expect(blocksOf(addresses, 5)).toEqual(
      merge(
        addresses.map((a) => [a, 1] as const),
        5,
      ),
    );
    expect(formatRanges(blocksOf(addresses, 5))).toBe("1-3, 30001-30001, 40001-40010, 40100-40100");
  });
  it("shatters 200 registered holding registers with reach 1 into 123 + 77", () => {
    const addresses = Array.from({ length: 200 }, (_, i) => 40001 + i);
    expect(blocksOf(addresses)).toEqual([
      [40001, 123],
      [40124, 77],
    ]);
  });
});

describe("load average", () => {
  it("seeds all three averages with the first sample", () => {
    expect(nextLoad(undefined, 0.25, 1)).toEqual([0.25, 0.25, 0.25]);
  });
  it("weighs each sample 1/(minutes · 60/period)", () => {
    const first = nextLoad(undefined, 0, 1);
    const second = nextLoad(first, 1, 1); // load 1.0 at a 1 s period: 60 samples a minute
    expect(second[0]).toBeCloseTo(1 / 60, 12);
    expect(second[1]).toBeCloseTo(1 / 300, 12);
    expect(second[2]).toBeCloseTo(1 / 900, 12);
    const tenth = nextLoad(nextLoad(undefined, 0, 0.1), 0.05, 0.1); // 50 ms busy every 100 ms
    expect(tenth[0]).toBeCloseTo(0.5 / 600, 12);
  });
  it("converges to a steady load", () => {
    let load = nextLoad(undefined, 0, 1);
    for (let i = 0; i < 6000; i++) load = nextLoad(load, 0.3, 1);
    expect(load[0]).toBeCloseTo(0.3, 6);
    expect(load[2]).toBeGreaterThan(0.29);
  });
  it("is 1.0 for a zero period and ema keeps the seed", () => {
    expect(nextLoad(undefined, 5, 0)).toEqual([1, 1, 1]);
    expect(ema(undefined, 3, 0.5)).toBe(3);
    expect(ema(1, 3, 0.5)).toBe(2);
  });
});

describe("cadence", () => {
  it("runs a cycle on time and targets the next period", () => {
    expect(nextCycle(1000, 1000, 100)).toEqual({ missed: 0, next: 1100 });
    expect(nextCycle(1000, 1099, 100)).toEqual({ missed: 0, next: 1100 });
  });
  it("skips whole missed periods and keeps the phase", () => {
    expect(nextCycle(1000, 1250, 100)).toEqual({ missed: 2, next: 1300 });
    expect(nextCycle(1000, 1300, 100)).toEqual({ missed: 3, next: 1400 });
  });
});
