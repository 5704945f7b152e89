/** Property tests: encode → decode is the identity for every request and response shape, as PDU and as ADU. */
import fc from "fast-check";
import { crc16, decodeRtuAdu, encodeRtuAdu, encodeRtuRequest, encodeRtuResponse } from "../src/adu/rtu.js";
import { decodeTcpAdu, encodeTcpAdu, encodeTcpRequest, encodeTcpResponse } from "../src/adu/tcp.js";
import { RtuFramer } from "../src/framing/rtu-framer.js";
import { TcpFramer } from "../src/framing/tcp-framer.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  requestPduLength,
  responsePduLength,
} from "../src/pdu/pdu.js";
import { exception, request, response } from "./support/arbitraries.js";
import { hex } from "./support/vectors.js";

describe("encode → decode", () => {
  it("is the identity for every request", () => {
    fc.assert(
      fc.property(request, (req) => {
        const pdu = encodeRequestPdu(req);
        expect(decodeRequestPdu(pdu)).toEqual(req);
        expect(requestPduLength(pdu, 0, pdu.length)).toBe(pdu.length);
        expect(pdu.length).toBeLessThanOrEqual(253);
      }),
      { numRuns: 1000 },
    );
  });

  it("is the identity for every response and exception reply", () => {
    fc.assert(
      fc.property(fc.oneof(response, exception), (res) => {
        const pdu = encodeResponsePdu(res);
        expect(decodeResponsePdu(pdu)).toEqual(res);
        expect(responsePduLength(pdu, 0, pdu.length)).toBe(pdu.length);
        expect(pdu.length).toBeLessThanOrEqual(253);
      }),
      { numRuns: 1000 },
    );
  });

  it("holds through TCP and RTU ADUs, at any offset inside a larger buffer", () => {
    fc.assert(
      fc.property(
        request,
        response,
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        (req, res, tid, unit) => {
          const tcp = decodeTcpAdu(encodeTcpAdu(tid, unit, encodeRequestPdu(req)));
          expect(tcp.transactionId).toBe(tid);
          expect(tcp.unitId).toBe(unit);
          expect(decodeRequestPdu(tcp.pdu)).toEqual(req);
          const rtu = decodeRtuAdu(encodeRtuAdu(unit, encodeResponsePdu(res)));
          expect(rtu.unitId).toBe(unit);
          expect(decodeResponsePdu(rtu.pdu)).toEqual(res);
          const padded = new Uint8Array(rtu.pdu.length + 6);
          padded.set(rtu.pdu, 3);
          expect(decodeResponsePdu(padded, 3, 3 + rtu.pdu.length)).toEqual(res);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("ADU encoders that write the PDU in place", () => {
  it("give the same bytes as the PDU encoders wrapped in an ADU", () => {
    fc.assert(
      fc.property(
        request,
        fc.oneof(response, exception),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        (req, res, tid, unit) => {
          expect(hex(encodeTcpRequest(tid, unit, req))).toBe(
            hex(encodeTcpAdu(tid, unit, encodeRequestPdu(req))),
          );
          expect(hex(encodeTcpResponse(tid, unit, res))).toBe(
            hex(encodeTcpAdu(tid, unit, encodeResponsePdu(res))),
          );
          expect(hex(encodeRtuRequest(unit, req))).toBe(hex(encodeRtuAdu(unit, encodeRequestPdu(req))));
          expect(hex(encodeRtuResponse(unit, res))).toBe(hex(encodeRtuAdu(unit, encodeResponsePdu(res))));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never hand out the same bytes twice (slab views stay intact)", () => {
    const kept: [Uint8Array, string][] = [];
    for (let k = 0; k < 2000; k++) {
      const adu = encodeTcpResponse(k, 1, {
        fc: 3,
        registers: Array.from({ length: 1 + (k % 125) }, (_, i) => (i * k) & 0xffff),
      });
      kept.push([adu, hex(adu)]);
    }
    for (const [adu, wire] of kept) expect(hex(adu)).toBe(wire);
  });
});

describe("crc16", () => {
  /** The CRC bit by bit, as the serial line specification describes it. */
  function bitwise(bytes: Uint8Array): number {
    let crc = 0xffff;
    for (const b of bytes) {
      crc ^= b;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    }
    return crc;
  }

  it("equals the bitwise CRC for any bytes and any range", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length ? a % (bytes.length + 1) : 0;
        const end = start + (bytes.length - start ? b % (bytes.length - start + 1) : 0);
        expect(crc16(bytes, start, end)).toBe(bitwise(bytes.subarray(start, end)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the framers", () => {
  it("give the same frames for any chunking of random traffic", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(request.map(encodeRequestPdu)), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 25 }),
        (pdus, cuts) => {
          const tcp = pdus.map((pdu, k) => encodeTcpAdu(k, 1, pdu));
          const rtu = pdus.map((pdu) => encodeRtuAdu(1, pdu));
          for (const [framer, adus] of [
            ["tcp", tcp],
            ["rtu", rtu],
          ] as const) {
            const stream = Buffer.concat(adus);
            const tcpFramer = new TcpFramer();
            const rtuFramer = new RtuFramer({ direction: "request" });
            const out: string[] = [];
            let at = 0;
            for (const cut of [
              ...cuts.filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b),
              stream.length,
            ]) {
              const chunk = new Uint8Array(stream.subarray(at, cut));
              at = cut;
              if (framer === "tcp") {
                tcpFramer.push(chunk);
                for (let f = tcpFramer.next(); f !== undefined; f = tcpFramer.next()) out.push(hex(f));
              } else {
                rtuFramer.push(chunk);
                for (let f = rtuFramer.next(); f !== undefined; f = rtuFramer.next()) out.push(hex(f.adu));
              }
            }
            expect(out).toEqual(adus.map(hex));
          }
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });
});
