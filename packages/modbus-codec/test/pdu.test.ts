/** Every function code both ways, the quantity limits, the length rules and the errors a server answers with. */
import { ModbusEncodeError, ModbusPduError } from "../src/core/errors.js";
import {
  EXCEPTION_CODES,
  ExceptionCode,
  FUNCTION_CODES,
  FunctionCode,
  QUANTITY_LIMITS,
} from "../src/core/tables.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeExceptionPdu,
  encodeRequestPdu,
  encodeResponsePdu,
  requestPduLength,
  responsePduLength,
} from "../src/pdu/pdu.js";
import type { ModbusRequest, ModbusResponse } from "../src/pdu/types.js";
import { bytes, hex } from "./support/vectors.js";

/** The `ModbusPduError` `fn` throws. */
function pduError(fn: () => unknown): ModbusPduError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModbusPduError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("code tables", () => {
  it("has the function and exception codes by name", () => {
    expect(FunctionCode.ReadHoldingRegisters).toBe(3);
    expect(FunctionCode.EncapsulatedInterfaceTransport).toBe(43);
    expect(ExceptionCode.GatewayTargetFailedToRespond).toBe(0x0b);
    expect(FUNCTION_CODES.map((e) => e.code)).toEqual([1, 2, 3, 4, 5, 6, 15, 16, 22, 23, 43]);
    expect(EXCEPTION_CODES.find((e) => e.code === 2)?.name).toBe("IllegalDataAddress");
    expect(QUANTITY_LIMITS).toEqual({
      readBits: 2000,
      writeBits: 1968,
      readRegisters: 125,
      writeRegisters: 123,
      readWriteRead: 125,
      readWriteWrite: 121,
    });
  });
});

describe("requests", () => {
  const cases: [ModbusRequest, string][] = [
    [{ fc: 1, address: 19, quantity: 19 }, "0100130013"],
    [{ fc: 2, address: 0, quantity: 2000 }, "02000007d0"],
    [{ fc: 3, address: 0xffff, quantity: 125 }, "03ffff007d"],
    [{ fc: 4, address: 8, quantity: 1 }, "0400080001"],
    [{ fc: 5, address: 172, value: true }, "0500acff00"],
    [{ fc: 5, address: 172, value: false }, "0500ac0000"],
    [{ fc: 6, address: 1, value: 0xffff }, "060001ffff"],
    [
      { fc: 15, address: 19, values: [true, false, true, true, false, false, true, true, true, false] },
      "0f0013000a02cd01",
    ],
    [{ fc: 16, address: 1, values: [10, 258] }, "100001000204000a0102"],
    [{ fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 }, "16000400f20025"],
    [
      { fc: 23, readAddress: 3, readQuantity: 6, writeAddress: 14, values: [0xff, 0xff, 0xff] },
      "1700030006000e00030600ff00ff00ff",
    ],
    [{ fc: 43, meiType: 14, readDeviceIdCode: 1, objectId: 0 }, "2b0e0100"],
  ];
  it.each(cases)("%j ⇄ %s", (req, wire) => {
    expect(hex(encodeRequestPdu(req))).toBe(wire);
    expect(decodeRequestPdu(bytes(wire))).toEqual(req);
    expect(requestPduLength(bytes(wire), 0, 1)).toBe(
      wire.length / 2 > 6 && req.fc !== 22 ? -1 : wire.length / 2,
    );
    expect(requestPduLength(bytes(wire), 0, wire.length / 2)).toBe(wire.length / 2);
  });

  it("decodes inside a larger buffer between offset and end", () => {
    const b = bytes("ff ff 03 006b 0003 ff");
    expect(decodeRequestPdu(b, 2, 7)).toEqual({ fc: 3, address: 107, quantity: 3 });
  });

  it.each([
    ["", 1, "empty PDU"],
    ["07", 1, "unknown function (FC7, 1 byte)"],
    ["83 0001 0001", 1, "a function code with the exception bit"],
    ["2b 0d 01 00", 1, "MEI type other than 14"],
    ["03 0000", 3, "too short"],
    ["03 0000 0001 00", 3, "too long"],
    ["01 0000 0000", 3, "read bits, quantity 0"],
    ["01 0000 07d1", 3, "read bits, quantity 2001"],
    ["03 0000 0000", 3, "read registers, quantity 0"],
    ["04 0000 007e", 3, "read registers, quantity 126"],
    ["05 0000 ff01", 3, "coil value neither 0xff00 nor 0"],
    [`0f 0000 07b1 f7${"00".repeat(247)}`, 3, "write coils, quantity 1969"],
    ["0f 0000 000a 01 ff", 3, "write coils, byte count not ceil(q/8)"],
    ["0f 0000 0000 00", 3, "write coils, quantity 0"],
    [`10 0000 007c f8${"00".repeat(248)}`, 3, "write registers, quantity 124"],
    ["10 0000 0002 03 000000", 3, "write registers, byte count not 2q"],
    ["10 0000 0002 04 000000", 3, "write registers, fewer bytes than the count"],
    ["17 0000 007e 0000 0001 02 0000", 3, "FC23 read quantity 126"],
    [`17 0000 0001 0000 007a f4${"00".repeat(244)}`, 3, "FC23 write quantity 122"],
    ["17 0000 0001 0000 0002 02 0000", 3, "FC23 byte count not 2q"],
    ["2b 0e 05 00", 3, "read device id code 5"],
    ["2b 0e 00 00", 3, "read device id code 0"],
  ])("%s → exception %d (%s)", (wire, exception) => {
    const err = pduError(() => decodeRequestPdu(bytes(wire)));
    expect(err.code).toBe("ERR_MODBUS_PDU");
    expect(err.exceptionCode).toBe(exception);
  });

  it("accepts every quantity at its limit", () => {
    expect(decodeRequestPdu(bytes(`0f 0000 07b0 f6${"ff".repeat(246)}`))).toMatchObject({ fc: 15 });
    expect(decodeRequestPdu(bytes(`10 0000 007b f6${"00".repeat(246)}`))).toMatchObject({ fc: 16 });
    expect(decodeRequestPdu(bytes(`17 0000 007d 0000 0079 f2${"00".repeat(242)}`))).toMatchObject({ fc: 23 });
  });

  it("refuses to encode what it would refuse to decode", () => {
    const bad: ModbusRequest[] = [
      { fc: 3, address: 0, quantity: 126 },
      { fc: 1, address: 0, quantity: 0 },
      { fc: 3, address: 65536, quantity: 1 },
      { fc: 6, address: 0, value: -1 },
      { fc: 15, address: 0, values: [] },
      { fc: 16, address: 0, values: new Array(124).fill(0) },
      { fc: 16, address: 0, values: [1.5] },
      { fc: 23, readAddress: 0, readQuantity: 1, writeAddress: 0, values: new Array(122).fill(0) },
      { fc: 43, meiType: 14, readDeviceIdCode: 5 as 1, objectId: 0 },
      { fc: 7 } as unknown as ModbusRequest,
    ];
    for (const req of bad) expect(() => encodeRequestPdu(req)).toThrow(ModbusEncodeError);
  });

  it("gives the length rule of each function", () => {
    expect(requestPduLength(bytes(""), 0, 0)).toBe(-1);
    expect(requestPduLength(bytes("07"), 0, 1)).toBe(0);
    expect(requestPduLength(bytes("10 0000 0002"), 0, 5)).toBe(-1);
    expect(requestPduLength(bytes("10 0000 0002 04"), 0, 6)).toBe(10);
    expect(requestPduLength(bytes("17 0000 0001 0000 0002"), 0, 9)).toBe(-1);
    expect(requestPduLength(bytes("17 0000 0001 0000 0002 04"), 0, 10)).toBe(14);
    expect(requestPduLength(bytes("2b"), 0, 1)).toBe(4);
  });
});

describe("responses", () => {
  const deviceId: ModbusResponse = {
    fc: 43,
    meiType: 14,
    readDeviceIdCode: 1,
    conformityLevel: 0x01,
    moreFollows: false,
    nextObjectId: 0,
    objects: [
      { id: 0, value: new TextEncoder().encode("cpppo") },
      { id: 1, value: new TextEncoder().encode("MBSIM") },
      { id: 2, value: new TextEncoder().encode("V1.0") },
    ],
  };
  const cases: [ModbusResponse, string][] = [
    [{ fc: 1, bits: [true, false, true, true, false, false, true, true] }, "0101cd"],
    [{ fc: 3, registers: [555, 0, 100] }, "0306022b00000064"],
    [{ fc: 4, registers: [10] }, "0402000a"],
    [{ fc: 23, registers: [0xfe, 0xacf0] }, "170400feacf0"],
    [{ fc: 5, address: 172, value: true }, "0500acff00"],
    [{ fc: 6, address: 1, value: 3 }, "0600010003"],
    [{ fc: 15, address: 19, quantity: 10 }, "0f0013000a"],
    [{ fc: 16, address: 1, quantity: 2 }, "1000010002"],
    [{ fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 }, "16000400f20025"],
    [deviceId, "2b0e01010000030005637070706f01054d4253494d020456312e30"],
    [{ ...deviceId, moreFollows: true, nextObjectId: 2, objects: [] }, "2b0e0101ff0200"],
  ];
  it.each(cases)("%j ⇄ %s", (res, wire) => {
    expect(hex(encodeResponsePdu(res))).toBe(wire);
    expect(decodeResponsePdu(bytes(wire))).toEqual(res);
    const b = bytes(wire);
    for (let end = 1; end < b.length; end++) {
      const n = responsePduLength(b, 0, end);
      expect(n === -1 || n === b.length).toBe(true);
    }
    expect(responsePduLength(b, 0, b.length)).toBe(b.length);
  });

  it("reads and writes every register count, odd and even, in order (the loops take two a turn)", () => {
    for (let n = 1; n <= 125; n++) {
      const registers = Array.from({ length: n }, (_, i) => (i * 40503 + 7) & 0xffff);
      const pdu = encodeResponsePdu({ fc: 3, registers });
      expect(pdu.length).toBe(2 + 2 * n);
      for (let i = 0; i < n; i++)
        expect(((pdu[2 + 2 * i] as number) << 8) | (pdu[3 + 2 * i] as number)).toBe(registers[i]);
      expect(decodeResponsePdu(pdu)).toEqual({ fc: 3, registers });
      expect(
        decodeRequestPdu(encodeRequestPdu({ fc: 16, address: 9, values: registers.slice(0, 123) })),
      ).toEqual({
        fc: 16,
        address: 9,
        values: registers.slice(0, 123),
      });
    }
  });

  it("names the first bad register whether it is first or second of its pair", () => {
    for (const [at, bad] of [
      [0, -1],
      [1, 0x10000],
      [4, 1.5],
      [5, Number.NaN],
      [6, 70000],
    ] as const) {
      const registers = [1, 2, 3, 4, 5, 6, 7];
      registers[at] = bad;
      expect(() => encodeResponsePdu({ fc: 3, registers })).toThrow(`"registers[${at}]"`);
    }
  });

  it("pads bits to whole bytes", () => {
    const res = decodeResponsePdu(encodeResponsePdu({ fc: 2, bits: [true, true, false, true] }));
    expect(res).toEqual({ fc: 2, bits: [true, true, false, true, false, false, false, false] });
  });

  it("encodes and decodes exception replies", () => {
    for (const { code } of EXCEPTION_CODES)
      for (const fc of [1, 3, 16, 43, 0x7f]) {
        const pdu = encodeExceptionPdu(fc, code);
        expect(Array.from(pdu)).toEqual([fc | 0x80, code]);
        expect(decodeResponsePdu(pdu)).toEqual({ fc, exception: code });
        expect(responsePduLength(pdu, 0, 1)).toBe(2);
        expect(hex(encodeResponsePdu({ fc, exception: code }))).toBe(hex(pdu));
      }
    // Whatever byte a request carried can be answered: function 0 gets 0x80 (as libmodbus answers), 0x83 stays 0x83.
    expect(hex(encodeExceptionPdu(0, 1))).toBe("8001");
    expect(decodeResponsePdu(bytes("8001"))).toEqual({ fc: 0, exception: 1 });
    expect(hex(encodeExceptionPdu(0x83, 1))).toBe("8301");
    expect(() => encodeExceptionPdu(256, 1)).toThrow(ModbusEncodeError);
    expect(() => encodeExceptionPdu(-1, 1)).toThrow(ModbusEncodeError);
    expect(() => encodeExceptionPdu(1.5, 1)).toThrow(ModbusEncodeError);
    expect(() => encodeExceptionPdu(3, 256)).toThrow(ModbusEncodeError);
  });

  it.each([
    ["", 1],
    ["07 00", 1],
    ["83", 3],
    ["83 02 00", 3],
    ["03 03 000000", 3],
    ["03 00", 3],
    [`03 fc${"00".repeat(252)}`, 3],
    ["01 00", 3],
    [`01 fb${"00".repeat(251)}`, 3],
    ["03 04 0000", 3],
    ["05 0000 1234", 3],
    ["10 0000 007c", 3],
    ["0f 0000 0000", 3],
    ["2b 0e 01 01 01 00 00", 3],
    ["2b 0e 01 01 00 00 01 00 05 6370", 3],
    ["2b 0d 01 01 00 00 00", 1],
  ])("refuses %s with exception %d", (wire, exception) => {
    expect(pduError(() => decodeResponsePdu(bytes(wire))).exceptionCode).toBe(exception);
  });

  it("gives -1 or 0 when the length is not known", () => {
    expect(responsePduLength(bytes("03"), 0, 1)).toBe(-1);
    expect(responsePduLength(bytes("07"), 0, 1)).toBe(0);
    expect(responsePduLength(bytes("2b 0e 01 01 00 00 02 00 03 616263 01"), 0, 12)).toBe(-1);
    expect(responsePduLength(bytes("2b 0e 01 01 00 00 02 00 03 616263 01 00"), 0, 14)).toBe(14);
  });

  it("refuses to encode a device identification over 253 bytes", () => {
    const res: ModbusResponse = { ...deviceId, objects: [{ id: 0, value: new Uint8Array(245) }] };
    expect(() => encodeResponsePdu(res)).toThrow(ModbusEncodeError);
    expect(() => encodeResponsePdu({ fc: 3, registers: new Array(126).fill(0) })).toThrow(ModbusEncodeError);
    expect(() => encodeResponsePdu({ fc: 1, bits: [] })).toThrow(ModbusEncodeError);
  });
});
