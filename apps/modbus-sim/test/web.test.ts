import { ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { parseWebAddress } from "../src/settings.js";
import { cpppoAddress, modbusWeb } from "../src/web.js";

describe("modbus-sim -w pieces", () => {
  it("names ranges by cpppo's 1-based addresses", () => {
    expect(cpppoAddress("holdingRegisters", 0)).toBe("40001");
    expect(cpppoAddress("inputRegisters", 9)).toBe("30010");
    expect(cpppoAddress("coils", 0)).toBe("1");
    expect(cpppoAddress("discreteInputs", 9998)).toBe("19999");
    expect(cpppoAddress("holdingRegisters", 9999)).toBe("410000");
  });

  it("reads -w as [IFACE][:PORT], 127.0.0.1 and 80 by default", () => {
    expect(parseWebAddress(":8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseWebAddress("8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseWebAddress("0.0.0.0")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(() => parseWebAddress(":http")).toThrow(/-w\/--web ":http": the port must be a number/);
    expect(() => parseWebAddress(":70000")).toThrow(/0\.\.65535/);
  });

  it("shows ranges as tags, writes through the store, and refuses requests on a range with an error", () => {
    const ranges = parseRegisterRanges(["40001-40004=7", "1-3=1"]);
    const store = ModbusStore.fromRanges(ranges);
    const { server, hooks } = modbusWeb(store, ranges);
    const tags = server.controller.tags;
    expect(tags.names()).toEqual(["40001", "1"]);
    const hr = tags.get("40001");
    expect(hr?.values()).toEqual([7, 7, 7, 7]);
    hr?.setValues(1, [100, 200]);
    expect(store.read("holdingRegisters", 0, 4)).toEqual([7, 100, 200, 7]);
    const coils = tags.get("1");
    expect(coils?.values()).toEqual([true, true, true]);
    coils?.setValues(2, [false]);
    expect(store.read("coils", 0, 3)).toEqual([1, 1, 0]);
    expect(hr?.describe()).toBe("40001          HOLDING_REGISTER[4] == [7, 100, 200, 7]");

    const access = {
      fc: 3,
      unitId: 1,
      table: "holdingRegisters",
      address: 3,
      count: 2,
      write: false,
      values: [],
    } as const;
    expect(hooks.onRead?.(access)).toBeUndefined();
    if (hr) hr.error = 4;
    expect(hooks.onRead?.(access)).toBe(false);
    expect(hooks.onWrite?.({ ...access, write: true, address: 4 })).toBeUndefined();
    expect(() => {
      server.delay.value = 1;
    }).toThrow(/-e delay/);
    expect(server.connections()).toEqual([]);
  });
});
