/** Property tests: encode → decode is the identity for every request and response shape, as PDU and as ADU. */
import fc from "fast-check";
import { decodeRtuAdu, encodeRtuAdu } from "../src/adu/rtu.js";
import { decodeTcpAdu, encodeTcpAdu } from "../src/adu/tcp.js";
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
