import { ExceptionCode, FunctionCode } from "@cpppo/modbus-codec";
import {
  type Listener,
  type ModbusAccess,
  ModbusServer,
  ModbusStore,
  parseRegisterRanges,
} from "../src/index.js";
import { bytes, hex, RawClient } from "./support/client.js";

const EX = ExceptionCode;
const FC = FunctionCode;

/** An exception reply PDU. */
const exception = (fc: number, code: number): string => hex(Uint8Array.of(fc | 0x80, code));

let server: ModbusServer;
let listener: Listener;
let client: RawClient;
let store: ModbusStore;
const accesses: ModbusAccess[] = [];

beforeAll(async () => {
  store = ModbusStore.fromRanges(
    parseRegisterRanges([
      "1-16=1,0",
      "10001-10010=1",
      "30001-30005=0x1234,7",
      "40001-40200=99",
      "40301-40302=0xF0F0",
      "000101-000116=0",
    ]),
  );
  server = new ModbusServer({
    store,
    hooks: {
      onRead(access) {
        accesses.push(access);
        if (access.table === "inputRegisters" && access.address === 4 && access.count === 1) return [4242];
        if (access.table === "discreteInputs" && access.address === 9) return false;
        if (access.table === "inputRegisters" && access.address === 3 && access.count === 1)
          throw new Error("hook failure");
        return undefined;
      },
      onWrite(access) {
        accesses.push(access);
        if (access.table === "holdingRegisters" && access.values.includes(666)) return false;
        if (access.table === "holdingRegisters" && access.values.includes(667))
          throw new Error("hook failure");
        return undefined;
      },
    },
  });
  listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  client = await RawClient.connect(listener.port);
});

afterAll(async () => {
  client.close();
  await server.close({ deadlineMs: 1000 });
});

beforeEach(() => {
  accesses.length = 0;
});

describe("reads", () => {
  it("FC1 reads coils, padded to whole bytes", async () => {
    expect(hex(await client.call({ fc: 1, address: 0, quantity: 10 }))).toBe("01025501");
    expect(hex(await client.call({ fc: 1, address: 0, quantity: 16 }))).toBe("01025555");
  });

  it("FC2 reads discrete inputs", async () => {
    expect(hex(await client.call({ fc: 2, address: 0, quantity: 9 }))).toBe("0202ff01");
  });

  it("FC3 reads holding registers, up to 125", async () => {
    expect(hex(await client.call({ fc: 3, address: 0, quantity: 2 }))).toBe("030400630063");
    const reply = await client.call({ fc: 3, address: 10, quantity: 125 });
    expect(reply.length).toBe(2 + 250);
  });

  it("FC4 reads input registers (a hook may answer other values)", async () => {
    expect(hex(await client.call({ fc: 4, address: 0, quantity: 5 }))).toBe("040a12340007123400071234");
    expect(accesses).toEqual([
      expect.objectContaining({
        fc: 4,
        table: "inputRegisters",
        address: 0,
        count: 5,
        write: false,
        unitId: 1,
      }),
    ]);
    expect(accesses[0]?.values).toEqual([0x1234, 7, 0x1234, 7, 0x1234]);
    expect(accesses[0]?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(hex(await client.call({ fc: 4, address: 4, quantity: 1 }))).toBe("04021092");
  });
});

describe("writes", () => {
  it("FC5 writes one coil (0xFF00 on, 0x0000 off) and echoes the request", async () => {
    expect(hex(await client.call(bytes("05 0001 ff00")))).toBe("050001ff00");
    expect(store.read("coils", 1, 1)).toEqual([1]);
    expect(hex(await client.call(bytes("05 0001 0000")))).toBe("0500010000");
    expect(store.read("coils", 1, 1)).toEqual([0]);
  });

  it("FC6 writes one register", async () => {
    expect(hex(await client.call(bytes("06 0005 abcd")))).toBe("060005abcd");
    expect(store.read("holdingRegisters", 5, 1)).toEqual([0xabcd]);
    expect(accesses[0]).toMatchObject({
      fc: 6,
      write: true,
      table: "holdingRegisters",
      address: 5,
      values: [0xabcd],
    });
  });

  it("FC15 writes coils", async () => {
    expect(hex(await client.call(bytes("0f 0064 000a 02 ff 02")))).toBe("0f0064000a");
    expect(store.read("coils", 100, 12)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0]);
  });

  it("FC16 writes registers", async () => {
    expect(hex(await client.call({ fc: 16, address: 20, values: [1, 2, 3] }))).toBe("1000140003");
    expect(store.read("holdingRegisters", 20, 3)).toEqual([1, 2, 3]);
  });

  it("FC22 mask-writes a register: (current AND and) OR (or AND NOT and)", async () => {
    expect(hex(await client.call({ fc: 22, address: 300, andMask: 0x00f2, orMask: 0x0025 }))).toBe(
      "16012c00f20025",
    );
    expect(store.read("holdingRegisters", 300, 1)).toEqual([(0xf0f0 & 0x00f2) | (0x0025 & ~0x00f2 & 0xffff)]);
  });

  it("FC23 writes, then reads", async () => {
    const reply = await client.call({
      fc: 23,
      readAddress: 30,
      readQuantity: 2,
      writeAddress: 31,
      values: [77],
    });
    expect(hex(reply)).toBe("17040063004d");
    // The hooks see the write first, then the read.
    expect(accesses.map((a) => [a.fc, a.write, a.address, a.count])).toEqual([
      [23, true, 31, 1],
      [23, false, 30, 2],
    ]);
  });

  it("the write hook sees the value a mask write is about to store", async () => {
    store.write("holdingRegisters", 301, [0x00ff]);
    await client.call({ fc: 22, address: 301, andMask: 0xff00, orMask: 0x1234 });
    expect(accesses).toEqual([
      expect.objectContaining({ fc: 22, write: true, address: 301, count: 1, values: [0x0034] }),
    ]);
  });
});

describe("device identification (FC43/14)", () => {
  it("answers the basic stream with the default objects", async () => {
    const reply = await client.call(bytes("2b 0e 01 00"));
    expect(hex(reply)).toBe(
      `2b0e01810000 03 0005${hex(Buffer.from("cpppo"))} 010a${hex(Buffer.from("modbus-sim"))} 0203${hex(Buffer.from("1.0"))}`.replace(
        / /g,
        "",
      ),
    );
  });

  it("answers one object, and exception 02 for an unknown one", async () => {
    expect(hex(await client.call(bytes("2b 0e 04 01")))).toBe(
      `2b0e0481000001010a${hex(Buffer.from("modbus-sim"))}`,
    );
    expect(hex(await client.call(bytes("2b 0e 04 55")))).toBe(exception(43, EX.IllegalDataAddress));
  });
});

describe("exception codes", () => {
  it.each([
    ["an unknown function", "07", exception(7, EX.IllegalFunction)],
    ["function 0x41", "41 0000 0001", exception(0x41, EX.IllegalFunction)],
    ["function 0", "00 0000 0001", "8001"],
    ["a function code with the exception bit set", "83 0000 0001", exception(3, EX.IllegalFunction)],
    ["a PDU too short for its function", "03 00", exception(3, EX.IllegalFunction)],
    ["FC3 of quantity 0", "03 0000 0000", exception(3, EX.IllegalDataValue)],
    ["FC3 of quantity 126", "03 0000 007e", exception(3, EX.IllegalDataValue)],
    ["FC1 of quantity 2001", "01 0000 07d1", exception(1, EX.IllegalDataValue)],
    ["FC5 with value 0x0001", "05 0001 0001", exception(5, EX.IllegalDataValue)],
    ["FC16 of quantity 124", "10 0000 007c 02 0000", exception(16, EX.IllegalDataValue)],
    ["FC16 of quantity 0", "10 0000 0000 00", exception(16, EX.IllegalDataValue)],
    ["FC16 too short for its byte count", "10 0000", exception(16, EX.IllegalFunction)],
    ["FC16 with a byte count mismatch", "10 0000 0002 03 000100", exception(16, EX.IllegalDataValue)],
    ["FC15 with a byte count mismatch", "0f 0000 0010 01 ff", exception(15, EX.IllegalDataValue)],
    ["FC23 writing 122", "17 0000 0001 0000 007a 02 0000", exception(23, EX.IllegalDataValue)],
    ["FC23 reading 126", "17 0000 007e 0000 0001 02 0000", exception(23, EX.IllegalDataValue)],
    ["FC2 of quantity 0", "02 0000 0000", exception(2, EX.IllegalDataValue)],
    ["FC15 of quantity 1969", `0f 0000 07b1 f7 ${"00".repeat(247)}`, exception(15, EX.IllegalDataValue)],
    ["FC43 with another MEI type", "2b 0d 01 00", exception(43, EX.IllegalFunction)],
    ["FC43/14 with read code 5", "2b 0e 05 00", exception(43, EX.IllegalDataValue)],
    ["FC3 past the defined range", "03 00c7 0002", exception(3, EX.IllegalDataAddress)],
    ["FC3 of an undefined gap", "03 00c8 0001", exception(3, EX.IllegalDataAddress)],
    ["FC4 of an undefined table", "04 0100 0001", exception(4, EX.IllegalDataAddress)],
    ["FC6 to an undefined register", "06 ffff 0001", exception(6, EX.IllegalDataAddress)],
    ["FC16 spanning a gap", "10 00c7 0002 04 00010002", exception(16, EX.IllegalDataAddress)],
    ["FC22 to an undefined register", "16 1000 ffff 0000", exception(22, EX.IllegalDataAddress)],
    [
      "FC23 reading an undefined register",
      "17 1000 0001 0000 0001 02 0001",
      exception(23, EX.IllegalDataAddress),
    ],
    ["a read a hook vetoes", "02 0009 0001", exception(2, EX.IllegalFunction)],
    ["a read whose hook throws", "04 0003 0001", exception(4, EX.ServerDeviceFailure)],
    ["a write a hook vetoes", "06 0000 029a", exception(6, EX.IllegalFunction)],
    ["a write whose hook throws", "06 0000 029b", exception(6, EX.ServerDeviceFailure)],
  ])("%s", async (_what, request, expected) => {
    expect(hex(await client.call(bytes(request)))).toBe(expected);
  });

  it("a write a hook vetoes stores nothing", async () => {
    const before = store.read("holdingRegisters", 0, 2);
    expect(hex(await client.call({ fc: 16, address: 0, values: [1, 666] }))).toBe(
      exception(16, EX.IllegalFunction),
    );
    expect(store.read("holdingRegisters", 0, 2)).toEqual(before);
  });

  it("the connection still works after every exception", async () => {
    expect(hex(await client.call({ fc: 3, address: 0, quantity: 1 }))).toBe("03020063");
  });
});

describe("units", () => {
  it("one store answers every unit id by default (cpppo's single)", async () => {
    for (const unit of [0, 1, 17, 247, 255])
      expect(hex(await client.call({ fc: 3, address: 0, quantity: 1 }, unit))).toBe("03020063");
  });

  it("with a unit map, each unit has its store and other units get no reply", async () => {
    const a = ModbusStore.fromRanges(parseRegisterRanges(["40001=1"]));
    const b = ModbusStore.fromRanges(parseRegisterRanges(["40001=2"]));
    const units = new ModbusServer({
      units: new Map([
        [1, a],
        [2, b],
      ]),
    });
    const l = await units.listenTcp({ host: "127.0.0.1", port: 0 });
    const c = await RawClient.connect(l.port);
    try {
      expect(hex(await c.call({ fc: 3, address: 0, quantity: 1 }, 1))).toBe("03020001");
      expect(hex(await c.call({ fc: 3, address: 0, quantity: 1 }, 2))).toBe("03020002");
      c.sendPdu(bytes("03 0000 0001"), 3);
      expect(await c.silentFor(300)).toBe(true);
      // The connection is still in step after the dropped request.
      expect(hex(await c.call({ fc: 3, address: 0, quantity: 1 }, 2))).toBe("03020002");
    } finally {
      c.close();
      await units.close({ deadlineMs: 1000 });
    }
  });

  it("refuses a store beside a unit map, and a bad unit id", () => {
    expect(() => new ModbusServer({ store, units: { 1: store } })).toThrow('"units"');
    expect(() => new ModbusServer({ units: [256] })).toThrow('"units"');
  });
});

it("FC codes table is the codec's", () => {
  expect(FC.ReadHoldingRegisters).toBe(3);
});

describe("device identification over several replies", () => {
  it("streams objects that do not fit in one PDU with moreFollows and nextObjectId", async () => {
    const big = "x".repeat(100);
    const s = new ModbusServer({
      deviceIdentification: { 0: "v", 1: "p", 2: "r", 128: big, 129: big, 130: big },
    });
    const l = await s.listenTcp({ host: "127.0.0.1", port: 0 });
    const c = await RawClient.connect(l.port);
    try {
      const first = await c.call(bytes("2b 0e 03 80"));
      // fc, MEI, code, conformity 0x83 (extended), more follows 0xff, next 0x82, 2 objects
      expect(hex(first.subarray(0, 7))).toBe("2b0e0383ff8202");
      expect(first.length).toBeLessThanOrEqual(253);
      const second = await c.call(bytes("2b 0e 03 82"));
      expect(hex(second.subarray(0, 9))).toBe("2b0e0383000001" + "8264");
      // An object id outside the extended range restarts the stream at its first object.
      expect(hex((await c.call(bytes("2b 0e 03 05"))).subarray(0, 7))).toBe("2b0e0383ff8202");
    } finally {
      c.close();
      await s.close();
    }
  });

  it("refuses a device identification without the three basic objects", () => {
    expect(() => new ModbusServer({ deviceIdentification: { 0: "v", 1: "p" } })).toThrow("2 is missing");
  });
});
