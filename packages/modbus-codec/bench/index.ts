// Benchmarks of @cpppo/modbus-codec; prints `BENCH modbus-codec.<figure> <value> <unit>` lines (see BENCHMARKS.md).
import { measure, printMachine, report, reportRatio, rng } from "@cpppo/bench-kit";
import {
  crc16,
  decodeMbapHeader,
  decodeRequestPdu,
  decodeResponsePdu,
  decodeTcpAdu,
  encodeExceptionPdu,
  encodeRequestPdu,
  encodeResponsePdu,
  encodeRtuAdu,
  encodeTcpAdu,
  encodeTcpRequest,
  encodeTcpResponse,
  MBAP_HEADER_LENGTH,
  type ModbusRequest,
  type ModbusResponse,
  RtuFramer,
  TcpFramer,
} from "@cpppo/modbus-codec";

printMachine();

/**
 * The best of three 1-second runs: the machine is shared (other processes take the CPU in bursts), and the
 * best run is the one least disturbed. References are measured the same way in the same run.
 */
const best = (work: () => number, unitsPerCall = 1): number =>
  Math.max(measure(work, unitsPerCall), measure(work, unitsPerCall), measure(work, unitsPerCall));

// FC3 of 100 holding registers: the request and its reply as whole Modbus/TCP ADUs.
const request: ModbusRequest = { fc: 3, address: 0, quantity: 100 };
const registers = Array.from({ length: 100 }, (_, i) => (i * 2654435761) & 0xffff);
const response: ModbusResponse = { fc: 3, registers };
const requestAdu = encodeTcpAdu(1, 1, encodeRequestPdu(request));
const replyAdu = encodeTcpAdu(1, 1, encodeResponsePdu(response));
const requestBuf = Buffer.from(requestAdu);
const replyBuf = Buffer.from(replyAdu);

const decodeRequest = report(
  "modbus-codec.decode-fc3-request",
  best(() => {
    const adu = decodeTcpAdu(requestAdu);
    const req = decodeRequestPdu(adu.pdu);
    return req.fc === 3 ? req.quantity : 0;
  }),
  "ADUs/s",
);
const encodeRequest = report(
  "modbus-codec.encode-fc3-request",
  best(() => encodeTcpRequest(7, 1, request).length),
  "ADUs/s",
);
report(
  "modbus-codec.encode-fc3-request.pdu-then-adu",
  best(() => encodeTcpAdu(7, 1, encodeRequestPdu(request)).length),
  "ADUs/s",
);
const decodeReply = report(
  "modbus-codec.decode-fc3-reply-100",
  best(() => {
    const adu = decodeTcpAdu(replyAdu);
    const res = decodeResponsePdu(adu.pdu);
    return "registers" in res ? res.registers.length : 0;
  }),
  "ADUs/s",
);
report(
  "modbus-codec.decode-fc3-reply-100.header-and-offset",
  best(() => {
    const header = decodeMbapHeader(replyAdu, 0);
    const res = decodeResponsePdu(replyAdu, MBAP_HEADER_LENGTH);
    return "registers" in res ? res.registers.length + header.length : 0;
  }),
  "ADUs/s",
);
const encodeReply = report(
  "modbus-codec.encode-fc3-reply-100",
  best(() => encodeTcpResponse(7, 1, response).length),
  "ADUs/s",
);
report(
  "modbus-codec.encode-fc3-reply-100.pdu-then-adu",
  best(() => encodeTcpAdu(7, 1, encodeResponsePdu(response)).length),
  "ADUs/s",
);

// Reference: the same fields read and written by bare Buffer calls, no checks, no tables.
const bareDecodeRequest = report(
  "modbus-codec.reference.bare-decode-fc3-request",
  best(() => requestBuf.readUInt16BE(0) + requestBuf.readUInt16BE(8) + requestBuf.readUInt16BE(10)),
  "ADUs/s",
);
const bareDecodeReply = report(
  "modbus-codec.reference.bare-decode-fc3-reply-100",
  best(() => {
    const n = replyBuf[8] as number;
    const out = new Array<number>(n >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = replyBuf.readUInt16BE(9 + 2 * i);
    return out.length + replyBuf.readUInt16BE(0);
  }),
  "ADUs/s",
);
const bareEncodeReply = report(
  "modbus-codec.reference.bare-encode-fc3-reply-100",
  best(() => {
    const out = Buffer.allocUnsafe(209);
    out.writeUInt16BE(7, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(203, 4);
    out[6] = 1;
    out[7] = 3;
    out[8] = 200;
    for (let i = 0; i < 100; i++) out.writeUInt16BE(registers[i] as number, 9 + 2 * i);
    return out.length;
  }),
  "ADUs/s",
);
reportRatio("modbus-codec.decode-fc3-request.vs-bare", decodeRequest, bareDecodeRequest);
reportRatio("modbus-codec.decode-fc3-reply-100.vs-bare", decodeReply, bareDecodeReply);
reportRatio("modbus-codec.encode-fc3-reply-100.vs-bare", encodeReply, bareEncodeReply);
reportRatio("modbus-codec.encode-fc3-request.vs-decode", encodeRequest, decodeRequest);

// CRC-16 over a 256-byte block.
const block = Uint8Array.from({ length: 256 }, (_, i) => (i * 31) & 0xff);
report("modbus-codec.crc16", best(() => crc16(block), 256) / 1e6, "MB/s");

// A serial line as a client hears it: replies of unit 1 (FC3 of 100 registers, FC6 echoes, exceptions), another
// unit's replies, and 1-4 noise bytes before every fifth frame; pushed in 4 KiB chunks.
const random = rng(20261206);
const parts: Uint8Array[] = [];
const frameBounds: number[] = [];
let length = 0;
let noiseBytes = 0;
let frames = 0;
for (let k = 0; k < 600; k++) {
  if (k % 5 === 4) {
    const noise = Uint8Array.from(
      { length: 1 + Math.floor(random() * 4) },
      () => [0x00, 0x55, 0xff, 0x7e][Math.floor(random() * 4)] as number,
    );
    parts.push(noise);
    length += noise.length;
    noiseBytes += noise.length;
  }
  const pdu =
    k % 3 === 0
      ? encodeResponsePdu(response)
      : k % 3 === 1
        ? encodeResponsePdu({ fc: 6, address: k, value: k * 3 })
        : encodeExceptionPdu(3, 2);
  const adu = encodeRtuAdu(k % 7 === 6 ? 2 : 1, pdu);
  parts.push(adu);
  frameBounds.push(length, adu.length);
  length += adu.length;
  if (k % 7 !== 6) frames++;
}
const line = new Uint8Array(Buffer.concat(parts));
const CHUNK = 4096;
const chunks: Uint8Array[] = [];
for (let at = 0; at < line.length; at += CHUNK) chunks.push(line.subarray(at, at + CHUNK));
{
  const check = new RtuFramer({ direction: "response", accept: (unit) => unit === 1 });
  let found = 0;
  for (const chunk of chunks) {
    check.push(chunk);
    while (check.next() !== undefined) found++;
  }
  if (found !== frames || check.discardedBytes !== noiseBytes)
    throw new Error(
      `RTU framer found ${found}/${frames} frames, discarded ${check.discardedBytes}/${noiseBytes}`,
    );
}
const rtu = report(
  "modbus-codec.rtu-framer-noise",
  best(() => {
    const framer = new RtuFramer({ direction: "response", accept: (unit) => unit === 1 });
    let found = 0;
    for (const chunk of chunks) {
      framer.push(chunk);
      while (framer.next() !== undefined) found++;
    }
    return found;
  }, line.length) / 1e6,
  "MB/s",
);
// Reference: splitting the same line at frame boundaries already known, with `subarray` (no search, no CRC).
const split = report(
  "modbus-codec.reference.subarray-split",
  best(() => {
    let n = 0;
    for (let i = 0; i < frameBounds.length; i += 2)
      n += line.subarray(
        frameBounds[i] as number,
        (frameBounds[i] as number) + (frameBounds[i + 1] as number),
      ).length;
    return n;
  }, line.length) / 1e6,
  "MB/s",
);
reportRatio("modbus-codec.rtu-framer-noise.vs-subarray-split", rtu, split);

// Modbus/TCP stream: 1000 FC3 replies pushed in 4 KiB chunks.
const tcpStream = new Uint8Array(Buffer.concat(Array.from({ length: 1000 }, () => replyAdu)));
const tcpChunks: Uint8Array[] = [];
for (let at = 0; at < tcpStream.length; at += CHUNK) tcpChunks.push(tcpStream.subarray(at, at + CHUNK));
report(
  "modbus-codec.tcp-framer",
  best(() => {
    const framer = new TcpFramer();
    let found = 0;
    for (const chunk of tcpChunks) {
      framer.push(chunk);
      while (framer.next() !== undefined) found++;
    }
    return found;
  }, tcpStream.length) / 1e6,
  "MB/s",
);
