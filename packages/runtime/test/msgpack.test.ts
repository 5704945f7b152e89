import { RpcProtocolError } from "../src/errors.js";
import { decodeMsgpack, encodeMsgpack } from "../src/msgpack.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("msgpack (the wamp.2.msgpack subset)", () => {
  it.each([
    [null, "c0"],
    [false, "c2"],
    [true, "c3"],
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [256, "cd0100"],
    [65536, "ce00010000"],
    [2 ** 32, "cf0000000100000000"],
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d3ffffffffffffffdf"],
    [1.5, "cb3ff8000000000000"],
    ["", "a0"],
    ["abc", "a3616263"],
    ["x".repeat(32), `d920${"78".repeat(32)}`],
    [new Uint8Array([1, 2]), "c4020102"],
    [[], "90"],
    [[1, [2]], "920191" + "02"],
    [{ a: 1, skipped: undefined }, "81a16101"],
  ])("encodes %p as the spec's bytes", (value, bytes) => {
    expect(hex(encodeMsgpack(value))).toBe(bytes);
  });

  it("round-trips WAMP messages and long strings, arrays, maps and binaries", () => {
    const values = [
      [48, 12345, {}, "plc1.GetPLCstatus", [], { x: [1.25, "s", null, true] }],
      "é€😀".repeat(100),
      "y".repeat(70_000),
      Array.from({ length: 70_000 }, (_, i) => i % 300),
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i * -1000 || 0])),
      new Uint8Array(70_000).fill(7),
      2 ** 53 - 1,
    ];
    for (const value of values) expect(decodeMsgpack(encodeMsgpack(value))).toEqual(value);
  });

  it.each([
    ["c1", "not supported"],
    ["9301", "longer than the bytes left"],
    ["91d9", "runs past the end"],
    ["d90561", "runs past the end"],
    ["0102", "bytes after"],
    ["dcffff", "longer than the bytes left"],
    ["dfffffffff", "longer than the bytes left"],
  ])("refuses %s with RpcProtocolError (%s)", (bytes, message) => {
    const decode = (): unknown => decodeMsgpack(Buffer.from(bytes, "hex"));
    expect(decode).toThrow(RpcProtocolError);
    expect(decode).toThrow(message);
  });

  it("refuses values it has no type for", () => {
    expect(() => encodeMsgpack(() => 1)).toThrow(RpcProtocolError);
    expect(() => encodeMsgpack(1n)).toThrow(RpcProtocolError);
  });
});
