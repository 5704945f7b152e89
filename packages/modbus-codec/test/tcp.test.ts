/** MBAP header, TCP ADUs and the TcpFramer: whole ADUs for any chunking, refusal of a broken stream. */
import fc from "fast-check";
import { decodeMbapHeader, decodeTcpAdu, encodeTcpAdu, MBAP_HEADER_LENGTH } from "../src/adu/tcp.js";
import { ModbusEncodeError, ModbusFrameError } from "../src/core/errors.js";
import { TcpFramer } from "../src/framing/tcp-framer.js";
import { bytes, hex, VECTORS } from "./support/vectors.js";

const ADUS = VECTORS.map((v) => bytes(v.hex));
const STREAM = Buffer.concat(ADUS);

/** Feeds `stream` cut at `cuts` and collects the ADUs as hex. */
function frame(stream: Uint8Array, cuts: number[]): string[] {
  const framer = new TcpFramer();
  const out: string[] = [];
  let at = 0;
  for (const cut of [
    ...cuts.filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b),
    stream.length,
  ]) {
    framer.push(stream.subarray(at, cut));
    at = cut;
    for (let adu = framer.next(); adu !== undefined; adu = framer.next()) out.push(hex(adu));
  }
  expect(framer.bufferedBytes).toBe(0);
  return out;
}

describe("MBAP", () => {
  it("reads the header fields", () => {
    expect(MBAP_HEADER_LENGTH).toBe(7);
    expect(decodeMbapHeader(bytes("1234 0000 0006 11 03006b0003"), 0)).toEqual({
      transactionId: 0x1234,
      protocolId: 0,
      length: 6,
      unitId: 0x11,
    });
    expect(() => decodeMbapHeader(bytes("1234 0000 0006"), 0)).toThrow(ModbusFrameError);
  });

  it("encodes an ADU and takes it apart", () => {
    const adu = encodeTcpAdu(0xffff, 255, bytes("03006b0003"));
    expect(hex(adu)).toBe("ffff00000006ff03006b0003");
    const d = decodeTcpAdu(adu);
    expect(d).toEqual({ transactionId: 0xffff, protocolId: 0, unitId: 255, pdu: bytes("03006b0003") });
    expect(d.pdu.buffer).toBe(adu.buffer);
  });

  it("gives a plain Uint8Array view of the PDU for a Uint8Array, a Buffer and a view inside a larger buffer", () => {
    const wire = bytes("0102 0000 0006 11 03006b0003");
    const outer = new Uint8Array(40);
    outer.set(wire, 5);
    for (const adu of [wire, Buffer.from(wire), outer.subarray(5, 5 + wire.length)]) {
      const { pdu } = decodeTcpAdu(adu);
      expect(Object.getPrototypeOf(pdu)).toBe(Uint8Array.prototype);
      expect(hex(pdu)).toBe("03006b0003");
      expect(pdu.buffer).toBe(adu.buffer);
      expect(pdu.byteOffset).toBe(adu.byteOffset + 7);
    }
  });

  it("refuses bad ADUs and bad fields", () => {
    expect(() => decodeTcpAdu(bytes("0001 0000 0007 01 03006b0003"))).toThrow(ModbusFrameError);
    expect(() => decodeTcpAdu(bytes("0001 0000 0001 01"))).toThrow(ModbusFrameError);
    expect(() => encodeTcpAdu(0, 1, new Uint8Array(0))).toThrow(ModbusEncodeError);
    expect(() => encodeTcpAdu(0, 1, new Uint8Array(254))).toThrow(ModbusEncodeError);
    expect(() => encodeTcpAdu(65536, 1, bytes("07"))).toThrow(ModbusEncodeError);
    expect(() => encodeTcpAdu(0, 256, bytes("07"))).toThrow(ModbusEncodeError);
    expect(hex(encodeTcpAdu(0, 0, new Uint8Array(253))).slice(0, 14)).toBe("0000000000fe00");
  });
});

describe("TcpFramer", () => {
  it("returns every vector from one chunk as views of it", () => {
    const framer = new TcpFramer();
    framer.push(STREAM);
    expect(framer.bufferedBytes).toBe(STREAM.length);
    const out: Uint8Array[] = [];
    for (let adu = framer.next(); adu !== undefined; adu = framer.next()) out.push(adu);
    expect(out.map(hex)).toEqual(VECTORS.map((v) => v.hex));
    for (const adu of out) expect(adu.buffer).toBe(STREAM.buffer);
    expect(framer.bufferedBytes).toBe(0);
  });

  it("returns the same ADUs one byte at a time", () => {
    const cuts = Array.from({ length: STREAM.length }, (_, i) => i);
    expect(frame(STREAM, cuts)).toEqual(VECTORS.map((v) => v.hex));
  });

  it("gives the same ADUs for any chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 40 }), (cuts) => {
        expect(frame(STREAM, cuts)).toEqual(VECTORS.map((v) => v.hex));
      }),
      { numRuns: 300 },
    );
  });

  it("carries the largest ADU across chunks", () => {
    const big = encodeTcpAdu(7, 1, new Uint8Array(253).fill(0x10));
    const stream = Buffer.concat([big, big]);
    expect(frame(stream, [3, 100, 261, 262, 300])).toEqual([hex(big), hex(big)]);
  });

  it("counts buffered bytes of a partial ADU", () => {
    const framer = new TcpFramer();
    framer.push(bytes("0001 0000 00"));
    expect(framer.next()).toBeUndefined();
    framer.push(bytes("06 01 03"));
    expect(framer.next()).toBeUndefined();
    expect(framer.bufferedBytes).toBe(8);
    framer.push(bytes("006b0003 0002"));
    expect(hex(framer.next() as Uint8Array)).toBe("00010000000601" + "03006b0003");
    expect(framer.bufferedBytes).toBe(2);
  });

  it.each([
    ["protocol id 1", "0001 0001 0006 01 03006b0003"],
    ["length 1", "0001 0000 0001 01"],
    ["length 0", "0001 0000 0000 01"],
    ["length 255", "0001 0000 00ff 01"],
    ["length 65535", "0001 0000 ffff 01"],
  ])("refuses %s and stays failed", (_what, wire) => {
    const framer = new TcpFramer();
    framer.push(bytes(wire));
    expect(() => framer.next()).toThrow(ModbusFrameError);
    expect(() => framer.next()).toThrow(ModbusFrameError);
    expect(() => framer.push(bytes("00"))).toThrow(ModbusFrameError);
    // The same header split across chunks is refused as soon as it is whole.
    const split = new TcpFramer();
    for (const b of bytes(wire).subarray(0, 6)) {
      split.push(Uint8Array.of(b));
      expect(split.next()).toBeUndefined();
    }
    split.push(bytes(wire).subarray(6));
    expect(() => split.next()).toThrow(/MBAP/);
  });

  it("accepts the extreme lengths 2 and 254", () => {
    const small = bytes("0001 0000 0002 01 07");
    const large = encodeTcpAdu(2, 1, new Uint8Array(253));
    expect(frame(Buffer.concat([small, large]), [5, 9])).toEqual([hex(small), hex(large)]);
  });
});
