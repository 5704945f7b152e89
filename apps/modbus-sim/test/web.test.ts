import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
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
    // Before the server is attached there is no delay to set and no connection to show.
    expect(() => {
      server.delay.value = 1;
    }).toThrow(/has not started/);
    expect(server.connections()).toEqual([]);
    expect(server.counters?.()).toEqual({ requests: 0, errors: 0 });
  });

  it("sets the attached server's reply delay: a value, a range, none; refused under another evil mode", () => {
    const ranges = parseRegisterRanges(["40001-40004=7"]);
    const store = ModbusStore.fromRanges(ranges);
    const { server, attach } = modbusWeb(store, ranges);
    const modbus = new ModbusServer({ store });
    attach(modbus);
    expect(server.delay.value).toBe(0);
    server.delay.value = 0.25;
    expect(modbus.replyDelay).toEqual({ minS: 0.25, maxS: 0.25 });
    expect(server.delay.range).toBeUndefined();
    server.delay.range = { min: 1, max: 2 };
    expect(modbus.replyDelay).toEqual({ minS: 1, maxS: 2 });
    expect(server.delay).toMatchObject({ value: 1, range: { min: 1, max: 2 } });
    // No range: the delay holds at its low end until a value is set.
    server.delay.range = undefined;
    expect(modbus.replyDelay).toEqual({ minS: 1, maxS: 1 });
    server.delay.value = 0;
    expect(modbus.replyDelay).toBeUndefined();

    const evil = modbusWeb(store, ranges);
    evil.attach(new ModbusServer({ store, evil: { mode: "truncate" } }));
    expect(() => {
      evil.server.delay.value = 1;
    }).toThrow(/"truncate" evil mode/);
  });
});
