/** 32-bit integers, floats and strings in registers, in every word and byte order. */
import fc from "fast-check";
import { InvalidArgumentError, ModbusEncodeError } from "../src/core/errors.js";
import {
  decodeFloat32,
  decodeInt32,
  decodeRegisterString,
  decodeUint32,
  encodeFloat32,
  encodeInt32,
  encodeRegisterString,
  encodeUint32,
  type WordOrder,
} from "../src/words/words.js";

const ORDERS: WordOrder[] = ["ABCD", "CDAB", "BADC", "DCBA"];

describe("32-bit values in two registers", () => {
  it.each([
    ["ABCD", [0x1234, 0x5678]],
    ["CDAB", [0x5678, 0x1234]],
    ["BADC", [0x3412, 0x7856]],
    ["DCBA", [0x7856, 0x3412]],
  ] as const)("lays 0x12345678 out as %s", (order, words) => {
    expect(encodeUint32(0x12345678, order)).toEqual(words);
    expect(decodeUint32([0, ...words], 1, order)).toBe(0x12345678);
    expect(encodeInt32(0x12345678, order)).toEqual(words);
  });

  it("reads a float in every order (123.456 = 0x42f6e979)", () => {
    expect(encodeFloat32(123.456)).toEqual([0x42f6, 0xe979]);
    expect(encodeFloat32(123.456, "CDAB")).toEqual([0xe979, 0x42f6]);
    expect(encodeFloat32(123.456, "BADC")).toEqual([0xf642, 0x79e9]);
    expect(encodeFloat32(123.456, "DCBA")).toEqual([0x79e9, 0xf642]);
    expect(decodeFloat32([0x42f6, 0xe979])).toBeCloseTo(123.456, 4);
    expect(decodeFloat32(encodeFloat32(Number.NaN))).toBeNaN();
    expect(decodeFloat32(encodeFloat32(-Infinity, "DCBA"), 0, "DCBA")).toBe(-Infinity);
  });

  it("signs int32 and not uint32", () => {
    expect(encodeInt32(-1)).toEqual([0xffff, 0xffff]);
    expect(decodeInt32([0xffff, 0xfffe])).toBe(-2);
    expect(decodeUint32([0xffff, 0xfffe])).toBe(0xfffffffe);
    expect(decodeInt32([0x8000, 0], 0)).toBe(-0x80000000);
  });

  it("round-trips every value in every order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.constantFrom(...ORDERS),
        (v, order) => {
          expect(decodeInt32(encodeInt32(v, order), 0, order)).toBe(v);
          expect(decodeUint32(encodeUint32(v >>> 0, order), 0, order)).toBe(v >>> 0);
          const f = Math.fround(v / 7);
          expect(decodeFloat32(encodeFloat32(f, order), 0, order)).toBe(f);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses values and registers out of range", () => {
    expect(() => encodeInt32(0x80000000)).toThrow(ModbusEncodeError);
    expect(() => encodeUint32(-1)).toThrow(ModbusEncodeError);
    expect(() => encodeUint32(1.5)).toThrow(ModbusEncodeError);
    expect(() => encodeUint32(1, "ACBD" as WordOrder)).toThrow(ModbusEncodeError);
    expect(() => decodeInt32([1], 0)).toThrow(InvalidArgumentError);
    expect(() => decodeInt32([1, 0x10000], 0)).toThrow(InvalidArgumentError);
  });
});

describe("strings in registers", () => {
  it("puts the first character in the high byte by default, NUL-padded", () => {
    expect(encodeRegisterString("ABC", 3)).toEqual([0x4142, 0x4300, 0]);
    expect(encodeRegisterString("ABC", 2, { byteOrder: "low-first" })).toEqual([0x4241, 0x0043]);
    expect(decodeRegisterString([0, 0x4142, 0x4300, 0x4445], 1, 3)).toBe("ABC");
    expect(decodeRegisterString([0x4241, 0x0043], 0, 2, { byteOrder: "low-first" })).toBe("ABC");
    expect(decodeRegisterString([0x4142], 0, 1)).toBe("AB");
  });

  it("encodes latin1 and utf8", () => {
    expect(encodeRegisterString("é", 1)).toEqual([0xe900]);
    expect(encodeRegisterString("é", 1, { encoding: "utf8" })).toEqual([0xc3a9]);
    expect(decodeRegisterString([0xc3a9, 0x4100], 0, 2, { encoding: "utf8" })).toBe("éA");
    expect(() => encodeRegisterString("€", 2)).toThrow(ModbusEncodeError);
  });

  it("round-trips any latin1 text without NUL", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)),
          maxLength: 40,
        }),
        fc.constantFrom("high-first" as const, "low-first" as const),
        (text, byteOrder) => {
          const words = encodeRegisterString(text, 20, { byteOrder });
          expect(words).toHaveLength(20);
          expect(decodeRegisterString(words, 0, 20, { byteOrder })).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses text that does not fit and registers outside the list", () => {
    expect(() => encodeRegisterString("ABCDE", 2)).toThrow(ModbusEncodeError);
    expect(() => decodeRegisterString([0x4142], 0, 2)).toThrow(InvalidArgumentError);
    expect(() => encodeRegisterString("A", 1, { encoding: "ascii" as "utf8" })).toThrow(ModbusEncodeError);
  });
});
