import { ModbusRangeError, ModbusStore, parseModbusAddress, parseRegisterRanges } from "../src/index.js";

describe("parseModbusAddress (cpppo's 1-based model)", () => {
  it.each([
    [1, "coils", 0],
    [9999, "coils", 9998],
    ["000001", "coils", 0],
    ["065536", "coils", 65535],
    [10001, "discreteInputs", 0],
    [19999, "discreteInputs", 9998],
    [100001, "discreteInputs", 0],
    [165536, "discreteInputs", 65535],
    [30001, "inputRegisters", 0],
    [39999, "inputRegisters", 9998],
    [300001, "inputRegisters", 0],
    [365536, "inputRegisters", 65535],
    [40001, "holdingRegisters", 0],
    [99999, "holdingRegisters", 59998],
    [400001, "holdingRegisters", 0],
    [465536, "holdingRegisters", 65535],
    ["40001", "holdingRegisters", 0],
  ])("%s → %s %d", (n, table, address) => {
    expect(parseModbusAddress(n)).toEqual({ table, address });
  });

  it.each([
    0,
    10000,
    20001,
    29999,
    30000,
    40000,
    100000,
    165537,
    200001,
    465537,
    1.5,
    -1,
    "abc",
    "0000001",
    "000000",
  ])("refuses %s", (n) => {
    expect(() => parseModbusAddress(n)).toThrow(ModbusRangeError);
  });
});

describe("parseRegisterRanges (cpppo's grammar)", () => {
  it("fills a range with one repeated value", () => {
    const [r] = parseRegisterRanges(["40001-40100=99"]);
    expect(r).toEqual({ table: "holdingRegisters", address: 0, count: 100, values: new Array(100).fill(99) });
  });

  it("repeats several values to fill, and drops extra ones as cpppo does", () => {
    expect(parseRegisterRanges(["1-5=1,0"])[0]?.values).toEqual([1, 0, 1, 0, 1]);
    expect(parseRegisterRanges(["40001-40002=1,2,3"])[0]?.values).toEqual([1, 2]);
  });

  it("infers the end from the values, and defaults the value to 0", () => {
    expect(parseRegisterRanges(["30001=0x1234,7,0xFFFF"])[0]).toEqual({
      table: "inputRegisters",
      address: 0,
      count: 3,
      values: [0x1234, 7, 0xffff],
    });
    expect(parseRegisterRanges(["10001"])[0]).toEqual({
      table: "discreteInputs",
      address: 0,
      count: 1,
      values: [0],
    });
    expect(parseRegisterRanges(["400001-400010"])[0]).toMatchObject({ address: 0, count: 10 });
    expect(parseRegisterRanges(["000001-000016=1"])[0]).toMatchObject({ table: "coils", count: 16 });
  });

  it("stores negative register values as 16-bit two's complement", () => {
    expect(parseRegisterRanges(["40001=-1"])[0]?.values).toEqual([0xffff]);
  });

  it.each([
    ["", "empty"],
    ["40010-40001", "ends before it begins"],
    ["40001-30001", "begins in holdingRegisters but ends in inputRegisters"],
    ["9999-10001", "begins in coils"],
    ["40001=abc", "is not a decimal or 0x hex number"],
    ["40001=65536", "out of range"],
    ["1=2", "out of range for coils"],
    ["20001", "is not a Modbus address"],
    ["465536=1,2", "runs past the end"],
  ])("refuses %j with a one-line reason", (spec, reason) => {
    let error: unknown;
    try {
      parseRegisterRanges([spec]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModbusRangeError);
    expect((error as ModbusRangeError).code).toBe("ERR_MODBUS_RANGE");
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("ModbusStore", () => {
  it("holds only defined addresses", () => {
    const store = ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=7", "40021-40030=8", "1-8=1,0"]));
    expect(store.has("holdingRegisters", 0, 10)).toBe(true);
    expect(store.has("holdingRegisters", 0, 11)).toBe(false);
    expect(store.has("holdingRegisters", 9, 12)).toBe(false);
    expect(store.has("holdingRegisters", 20, 10)).toBe(true);
    expect(store.has("inputRegisters", 0, 1)).toBe(false);
    expect(store.read("holdingRegisters", 20, 3)).toEqual([8, 8, 8]);
    expect(store.read("coils", 0, 4)).toEqual([1, 0, 1, 0]);
    expect(() => store.read("holdingRegisters", 8, 4)).toThrow(ModbusRangeError);
  });

  it("writes defined addresses only, all or nothing", () => {
    const store = new ModbusStore();
    store.define("holdingRegisters", 100, [1, 2, 3]);
    store.write("holdingRegisters", 101, [20, -1]);
    expect(store.read("holdingRegisters", 100, 3)).toEqual([1, 20, 0xffff]);
    expect(() => store.write("holdingRegisters", 102, [5, 6])).toThrow(ModbusRangeError);
    expect(() => store.write("holdingRegisters", 100, [5, 70000])).toThrow("register values");
    expect(store.read("holdingRegisters", 100, 3)).toEqual([1, 20, 0xffff]);
    store.define("coils", 65535, [true]);
    store.write("coils", 65535, [false]);
    expect(store.read("coils", 65535, 1)).toEqual([0]);
  });

  it("refuses a bad table, address or count", () => {
    const store = new ModbusStore();
    expect(() => store.define("registers" as "coils", 0, [1])).toThrow('"table"');
    expect(() => store.define("coils", 65536, [1])).toThrow('"address"');
    expect(() => store.define("coils", 65535, [1, 1])).toThrow('"count"');
  });

  it("answers a request for a few addresses of a full table without scanning it (O(count))", () => {
    const store = ModbusStore.fromRanges(parseRegisterRanges(["400001-465536=5"]));
    expect(store.has("holdingRegisters", 0, 65536)).toBe(true);
    expect(store.read("holdingRegisters", 65530, 6)).toEqual([5, 5, 5, 5, 5, 5]);
  });
});
