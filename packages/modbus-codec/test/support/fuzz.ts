/**
 * Hostile input for the codec: real ADUs (the fixtures' vectors, as TCP and RTU ADUs and bare PDUs) mutated by a
 * seeded generator, fed to every decoder and both framers. The only errors allowed out are the codec's typed ones,
 * and whatever decodes re-encodes and decodes to the same value. Used by test/fuzz.test.ts and bench/fuzz.ts.
 */
import { decodeRtuAdu, encodeRtuAdu } from "../../src/adu/rtu.js";
import { decodeTcpAdu } from "../../src/adu/tcp.js";
import { ModbusCrcError, ModbusFrameError, ModbusPduError } from "../../src/core/errors.js";
import { RtuFramer } from "../../src/framing/rtu-framer.js";
import { TcpFramer } from "../../src/framing/tcp-framer.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  requestPduLength,
  responsePduLength,
} from "../../src/pdu/pdu.js";
import { bytes, VECTORS } from "./vectors.js";

/** xorshift32: small, fast and seeded, so a failing case is reproducible from its number. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const EDGES = [0x00, 0x01, 0x02, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0xf6, 0xf8, 0xfe, 0xff];

/** A mutant of one of `seeds`: one to four stacked edits (bit flips, edge bytes, big-endian u16 edits, cuts, splices). */
export function mutant(seeds: readonly Uint8Array[], random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let b = Uint8Array.from(seeds[pick(seeds.length)] as Uint8Array);
  for (let round = 1 + pick(4); round > 0; round--) {
    const at = pick(b.length + 1);
    switch (pick(7)) {
      case 0:
        if (at < b.length) b[at] = (b[at] as number) ^ (1 << pick(8));
        break;
      case 1:
        if (at < b.length) b[at] = EDGES[pick(EDGES.length)] as number;
        break;
      case 2: {
        const v = [0, 1, 2, 0x7b, 0x7c, 0x7d, 0x7e, 0x7d0, 0x7d1, 0xfe, 0xff, 0x100, 0xffff][
          pick(13)
        ] as number;
        if (at + 1 < b.length) {
          b[at] = v >>> 8;
          b[at + 1] = v & 0xff;
        }
        break;
      }
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
        b = Uint8Array.from([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
        break;
      }
      case 5:
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + pick(4))]);
        break;
      default: {
        const other = seeds[pick(seeds.length)] as Uint8Array;
        b = Uint8Array.from([...b.subarray(0, at), ...other.subarray(pick(other.length + 1))]);
      }
    }
  }
  return b;
}

const TYPED = [ModbusPduError, ModbusFrameError, ModbusCrcError];
const typed = (err: unknown) => TYPED.some((E) => err instanceof E);

const TCP = VECTORS.map((v) => bytes(v.hex));
const PDU_REQ = VECTORS.filter((v) => v.direction === "request").map((v) => bytes(v.pdu_hex));
const PDU_RES = VECTORS.filter((v) => v.direction === "reply").map((v) => bytes(v.pdu_hex));
const RTU = VECTORS.map((v) => encodeRtuAdu(v.direction === "request" ? 1 : 2, bytes(v.pdu_hex)));
// The longer shapes the vectors lack, so their counts and lengths get mutated too.
PDU_REQ.push(
  encodeRequestPdu({ fc: 23, readAddress: 1, readQuantity: 125, writeAddress: 2, values: [1, 2, 3] }),
  encodeRequestPdu({ fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 }),
  encodeRequestPdu({ fc: 43, meiType: 14, readDeviceIdCode: 1, objectId: 0 }),
);
PDU_RES.push(
  encodeResponsePdu({
    fc: 43,
    meiType: 14,
    readDeviceIdCode: 1,
    conformityLevel: 1,
    moreFollows: false,
    nextObjectId: 0,
    objects: [
      { id: 0, value: Uint8Array.of(0x61, 0x62) },
      { id: 1, value: Uint8Array.of(0x63) },
    ],
  }),
  encodeResponsePdu({ fc: 3, registers: Array.from({ length: 125 }, (_, i) => i) }),
);

/** What a fuzz run saw. */
export interface FuzzReport {
  cases: number;
  decoded: number;
  refused: number;
  /** Each case that threw an untyped error or broke the decode → encode → decode identity. */
  failures: string[];
}

/** Runs `cases` mutants through every decoder and both framers. */
export function fuzz(cases: number, seed: number): FuzzReport {
  const random = seeded(seed);
  const report: FuzzReport = { cases, decoded: 0, refused: 0, failures: [] };
  const attempt = (k: number, what: string, input: Uint8Array, fn: () => void) => {
    try {
      fn();
      report.decoded++;
    } catch (err) {
      if (!typed(err))
        report.failures.push(`case ${k} ${what} ${Buffer.from(input).toString("hex")}: ${String(err)}`);
      else report.refused++;
    }
  };
  for (let k = 0; k < cases; k++) {
    const req = mutant(PDU_REQ, random);
    const res = mutant(PDU_RES, random);
    const tcp = mutant(TCP, random);
    const rtu = mutant(RTU, random);
    attempt(k, "request", req, () => {
      requestPduLength(req, 0, req.length);
      const d = decodeRequestPdu(req);
      const again = decodeRequestPdu(encodeRequestPdu(d));
      if (JSON.stringify(again) !== JSON.stringify(d)) throw new Error("request re-encodes differently");
    });
    attempt(k, "response", res, () => {
      responsePduLength(res, 0, res.length);
      const d = decodeResponsePdu(res);
      const wire = encodeResponsePdu(d);
      if (Buffer.compare(wire, res) !== 0) throw new Error("response re-encodes differently");
    });
    attempt(k, "tcp", tcp, () => {
      const adu = decodeTcpAdu(tcp);
      decodeRequestPdu(adu.pdu);
    });
    attempt(k, "rtu", rtu, () => {
      decodeResponsePdu(decodeRtuAdu(rtu).pdu);
    });
    const cut = Math.floor(random() * (tcp.length + 1));
    attempt(k, "tcp-framer", tcp, () => {
      const framer = new TcpFramer();
      framer.push(tcp.subarray(0, cut));
      while (framer.next() !== undefined);
      framer.push(tcp.subarray(cut));
      while (framer.next() !== undefined);
    });
    attempt(k, "rtu-framer", rtu, () => {
      const framer = new RtuFramer({ direction: k % 2 === 0 ? "request" : "response" });
      framer.push(rtu.subarray(0, cut));
      for (let f = framer.next(); f !== undefined; f = framer.next()) decodeRtuAdu(f.adu);
      framer.push(rtu.subarray(cut));
      for (let f = framer.next(); f !== undefined; f = framer.next()) decodeRtuAdu(f.adu);
    });
  }
  return report;
}
