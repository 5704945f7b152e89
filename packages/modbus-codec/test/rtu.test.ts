/** CRC-16, RTU ADUs, line timing and the RtuFramer through chunking, noise, bad CRCs and other units' traffic. */
import fc from "fast-check";
import { crc16, decodeRtuAdu, encodeRtuAdu, rtuTiming } from "../src/adu/rtu.js";
import { InvalidArgumentError, ModbusCrcError, ModbusEncodeError } from "../src/core/errors.js";
import { type RtuFrame, RtuFramer } from "../src/framing/rtu-framer.js";
import { encodeRequestPdu, encodeResponsePdu } from "../src/pdu/pdu.js";
import { bytes, hex, VECTORS } from "./support/vectors.js";

const REQUESTS = VECTORS.filter((v) => v.direction === "request").map((v) =>
  encodeRtuAdu(1, bytes(v.pdu_hex)),
);
const REPLIES = VECTORS.filter((v) => v.direction === "reply").map((v) => encodeRtuAdu(1, bytes(v.pdu_hex)));

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Feeds `stream` to `framer` cut at `cuts`; the ADUs it returns, as hex. */
function run(framer: RtuFramer, stream: Uint8Array, cuts: readonly number[] = []): string[] {
  const out: string[] = [];
  let at = 0;
  for (const cut of [
    ...cuts.filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b),
    stream.length,
  ]) {
    framer.push(stream.subarray(at, cut));
    at = cut;
    for (let f: RtuFrame | undefined = framer.next(); f !== undefined; f = framer.next()) {
      expect(hex(f.adu)).toBe(
        `${f.unitId.toString(16).padStart(2, "0")}${hex(f.pdu)}${hex(f.adu).slice(-4)}`,
      );
      out.push(hex(f.adu));
    }
  }
  return out;
}

/** Bytes that never begin a frame here: unknown function codes in both directions, as unit and function. */
const noiseByte = fc.constantFrom(0x00, 0x07, 0x08, 0x11, 0x2a, 0x55, 0x7e, 0x80);

describe("CRC-16 and RTU ADUs", () => {
  it("computes the Modbus CRC, low byte first on the wire", () => {
    expect(crc16(bytes("01030000000a"))).toBe(0xcdc5);
    expect(hex(encodeRtuAdu(1, bytes("030000000a")))).toBe("01030000000ac5cd");
    expect(crc16(bytes("ff 01030000000a ff"), 1, 7)).toBe(0xcdc5);
    expect(crc16(new Uint8Array(0))).toBe(0xffff);
  });

  it("encodes and decodes every vector's PDU", () => {
    for (const v of VECTORS) {
      const adu = encodeRtuAdu(0x11, bytes(v.pdu_hex));
      expect(adu).toHaveLength(v.pdu_hex.length / 2 + 3);
      const d = decodeRtuAdu(adu);
      expect(d.unitId).toBe(0x11);
      expect(hex(d.pdu)).toBe(v.pdu_hex);
      expect(crc16(adu)).toBe(0); // a whole frame's CRC, CRC included, is 0
    }
  });

  it("refuses a bad CRC, a short ADU and bad fields", () => {
    const adu = encodeRtuAdu(1, bytes("0300000001"));
    adu[adu.length - 1] = (adu[adu.length - 1] as number) ^ 1;
    expect(() => decodeRtuAdu(adu)).toThrow(ModbusCrcError);
    expect(() => decodeRtuAdu(bytes("010203"))).toThrow(ModbusCrcError);
    expect(() => encodeRtuAdu(256, bytes("07"))).toThrow(ModbusEncodeError);
    expect(() => encodeRtuAdu(1, new Uint8Array(254))).toThrow(ModbusEncodeError);
  });

  it("computes the line timing from the baud rate and character format", () => {
    const t9600 = rtuTiming(9600);
    expect(t9600.charMs).toBeCloseTo(10 / 9.6, 9);
    expect(t9600.interCharMs).toBeCloseTo(1.5 * (10 / 9.6), 9);
    expect(t9600.silentMs).toBeCloseTo(3.5 * (10 / 9.6), 9);
    const even = rtuTiming(19200, { parity: "even" });
    expect(even.charMs).toBeCloseTo(11 / 19.2, 9);
    expect(even.silentMs).toBeCloseTo(3.5 * (11 / 19.2), 9);
    expect(rtuTiming(9600, { dataBits: 7, stopBits: 2 }).charMs).toBeCloseTo(10 / 9.6, 9);
    expect(rtuTiming(38400).silentMs).toBe(1.75);
    expect(rtuTiming(115200).silentMs).toBe(1.75);
    expect(rtuTiming(115200).interCharMs).toBeCloseTo(1.5 * (10 / 115.2), 9);
    expect(() => rtuTiming(0)).toThrow(InvalidArgumentError);
  });
});

describe("RtuFramer", () => {
  it("finds every request and every reply", () => {
    expect(run(new RtuFramer({ direction: "request" }), concat(REQUESTS))).toEqual(REQUESTS.map(hex));
    expect(run(new RtuFramer({ direction: "response" }), concat(REPLIES))).toEqual(REPLIES.map(hex));
  });

  it("gives the same frames for any chunking", () => {
    const stream = concat(REPLIES);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
        const framer = new RtuFramer({ direction: "response" });
        expect(run(framer, stream, cuts)).toEqual(REPLIES.map(hex));
        expect(framer.discardedBytes).toBe(0);
        expect(framer.bufferedBytes).toBe(0);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("finds every frame one byte at a time", () => {
    const stream = concat(REQUESTS);
    const cuts = Array.from({ length: stream.length }, (_, i) => i);
    expect(run(new RtuFramer({ direction: "request" }), stream, cuts)).toEqual(REQUESTS.map(hex));
  });

  it("resynchronises through injected noise bytes, for any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(noiseByte, { maxLength: 6 }), {
          minLength: REQUESTS.length,
          maxLength: REQUESTS.length,
        }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 20 }),
        (noise, cuts) => {
          const parts: Uint8Array[] = [];
          REQUESTS.forEach((adu, k) => {
            parts.push(Uint8Array.from(noise[k] ?? []), adu);
          });
          const framer = new RtuFramer({ direction: "request" });
          expect(run(framer, concat(parts), cuts)).toEqual(REQUESTS.map(hex));
          expect(framer.discardedBytes).toBe(noise.reduce((n, x) => n + x.length, 0));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it("resynchronises through noise of any byte values, requests and replies alike", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 5 }), { minLength: REPLIES.length, maxLength: REPLIES.length }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }),
        (noise, cuts) => {
          for (const [direction, adus] of [
            ["request", REQUESTS],
            ["response", REPLIES],
          ] as const) {
            const parts: Uint8Array[] = [];
            adus.forEach((adu, k) => {
              parts.push(noise[k] ?? new Uint8Array(0), adu);
            });
            const framer = new RtuFramer({ direction, accept: (unit) => unit === 1 });
            expect(run(framer, concat(parts), cuts)).toEqual(adus.map(hex));
          }
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });

  it("resynchronises through noise bytes that look like a frame's start", () => {
    // 0x01 0x10 reads as unit 1, Write Multiple Registers with a byte count taken from the next frame.
    const adu = encodeRtuAdu(1, encodeRequestPdu({ fc: 3, address: 0, quantity: 10 }));
    const stream = concat([bytes("01 10"), adu, bytes("ff"), adu]);
    const framer = new RtuFramer({ direction: "request" });
    expect(run(framer, stream)).toEqual([hex(adu), hex(adu)]);
    expect(framer.discardedBytes).toBe(3);
    // A frame that ends the stream is found at once, though a noise byte before it promises a longer one.
    const waiting = new RtuFramer({ direction: "request" });
    expect(run(waiting, concat([bytes("aa"), encodeRtuAdu(0x10, bytes("0300000001"))]))).toHaveLength(1);
  });

  it("drops a CRC-corrupted frame and keeps the next", () => {
    const bad = REQUESTS[2]?.slice() as Uint8Array;
    bad[bad.length - 2] = (bad[bad.length - 2] as number) ^ 0x40;
    const stream = concat([REQUESTS[0] as Uint8Array, bad, REQUESTS[3] as Uint8Array]);
    const framer = new RtuFramer({ direction: "request" });
    expect(run(framer, stream)).toEqual([hex(REQUESTS[0] as Uint8Array), hex(REQUESTS[3] as Uint8Array)]);
    expect(framer.discardedBytes).toBe(bad.length);
  });

  it("skips another unit's request and reply between requests", () => {
    const mine = (pdu: Uint8Array) => encodeRtuAdu(1, pdu);
    const theirs = (pdu: Uint8Array) => encodeRtuAdu(2, pdu);
    const req = encodeRequestPdu({ fc: 3, address: 0, quantity: 100 });
    const reply = encodeResponsePdu({
      fc: 3,
      registers: Array.from({ length: 100 }, (_, i) => (i * 0x0301) & 0xffff),
    });
    const stream = concat([mine(req), theirs(req), theirs(reply), mine(req)]);
    const server = new RtuFramer({ direction: "request", accept: (unit) => unit === 1 });
    expect(run(server, stream)).toEqual([hex(mine(req)), hex(mine(req))]);
    expect(server.skippedFrames).toBe(2);
    expect(server.discardedBytes).toBe(0);
    // Every unit accepted: the foreign reply is still skipped as a frame of the other direction.
    const single = new RtuFramer({ direction: "request" });
    expect(run(single, stream)).toEqual([hex(mine(req)), hex(theirs(req)), hex(mine(req))]);
    expect(single.skippedFrames).toBe(1);
    // A client skips the echo of its own request and replies from other units.
    const client = new RtuFramer({ direction: "response", accept: (unit) => unit === 1 });
    expect(run(client, concat([mine(req), theirs(reply), mine(reply)]), [5, 50])).toEqual([hex(mine(reply))]);
    expect(client.skippedFrames).toBe(2);
  });

  it("drops a partial frame on silence", () => {
    const adu = REQUESTS[4] as Uint8Array;
    const framer = new RtuFramer({ direction: "request" });
    framer.push(adu.subarray(0, 5));
    expect(framer.next()).toBeUndefined();
    expect(framer.bufferedBytes).toBe(5);
    framer.silence();
    expect(framer.bufferedBytes).toBe(0);
    expect(framer.discardedBytes).toBe(5);
    framer.push(adu.subarray(5));
    expect(framer.next()).toBeUndefined();
    framer.push(adu);
    expect(hex(framer.next()?.adu as Uint8Array)).toBe(hex(adu));
  });

  it("refuses an unknown direction", () => {
    expect(() => new RtuFramer({ direction: "both" as "request" })).toThrow(InvalidArgumentError);
  });
});
