// Benchmarks of @cpppo/modbus-codec; prints `BENCH modbus-codec.<figure> <value> <unit>` lines (see BENCHMARKS.md).
import { measure, printMachine, report, reportRatio, rng } from "@cpppo/bench-kit";
import {
  crc16,
  decodeMbapHeader,
  decodeRequestPdu,
  decodeResponsePdu,
  decodeTcpAdu,
  encodeResponsePdu,
  encodeRtuResponse,
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

/**
 * Units per second of this process's CPU time (user + system, all threads) over a 1-second run after a warm-up:
 * what the code costs, whatever share of the CPU the shared machine gave it. Printed as `<figure>.cpu`.
 */
function perCpuSecond(work: () => number, unitsPerCall = 1): number {
  measure(work, unitsPerCall, { ms: 200, warmupMs: 100 });
  let calls = 0;
  let keep = 0;
  const before = process.cpuUsage();
  const until = performance.now() + 1000;
  while (performance.now() < until) {
    keep += work();
    calls++;
  }
  const used = process.cpuUsage(before);
  if (keep === -1) console.log("");
  return (calls * unitsPerCall) / ((used.user + used.system) / 1e6);
}

/**
 * Reports `figure` by wall time (best of three) and by CPU time, and returns the CPU-time figure: on a shared
 * machine it is the steadier of the two, so the ratios below compare CPU-time figures.
 */
function figure(name: string, work: () => number, unit: string, unitsPerCall = 1, scale = 1): number {
  report(name, best(work, unitsPerCall) / scale, unit);
  return report(`${name}.cpu`, perCpuSecond(work, unitsPerCall) / scale, `${unit.replace("/s", "")}/cpu-s`);
}

// FC3 of 100 holding registers: the request and its reply as whole Modbus/TCP ADUs.
const request: ModbusRequest = { fc: 3, address: 0, quantity: 100 };
const registers = Array.from({ length: 100 }, (_, i) => (i * 2654435761) & 0xffff);
const response: ModbusResponse = { fc: 3, registers };
const requestAdu = encodeTcpRequest(1, 1, request);
const replyAdu = encodeTcpResponse(1, 1, response);
const requestBuf = Buffer.from(requestAdu);
const replyBuf = Buffer.from(replyAdu);

// Decoding as the contract reads: decodeTcpAdu (the PDU a view) then the PDU decoder.
const decodeRequest = figure(
  "modbus-codec.decode-fc3-request",
  () => {
    const req = decodeRequestPdu(decodeTcpAdu(requestAdu).pdu);
    return req.fc === 3 ? req.quantity : 0;
  },
  "ADUs/s",
);
const decodeReply = figure(
  "modbus-codec.decode-fc3-reply-100",
  () => {
    const res = decodeResponsePdu(decodeTcpAdu(replyAdu).pdu);
    return "registers" in res ? res.registers.length : 0;
  },
  "ADUs/s",
);
// The same without the PDU view: the header, then the PDU decoded at offset 7 of the ADU.
figure(
  "modbus-codec.decode-fc3-reply-100.at-offset",
  () => {
    const header = decodeMbapHeader(replyAdu, 0);
    const res = decodeResponsePdu(replyAdu, MBAP_HEADER_LENGTH);
    return "registers" in res ? res.registers.length + header.length : 0;
  },
  "ADUs/s",
);
const encodeRequest = figure(
  "modbus-codec.encode-fc3-request",
  () => encodeTcpRequest(7, 1, request).length,
  "ADUs/s",
);
const encodeReply = figure(
  "modbus-codec.encode-fc3-reply-100",
  () => encodeTcpResponse(7, 1, response).length,
  "ADUs/s",
);
// The two-step form (PDU, then ADU around a copy of it).
figure(
  "modbus-codec.encode-fc3-reply-100.pdu-then-adu",
  () => encodeTcpAdu(7, 1, encodeResponsePdu(response)).length,
  "ADUs/s",
);

// Reference: the same fields read and written by bare Buffer calls, no checks, no tables.
const bareDecodeRequest = figure(
  "modbus-codec.reference.bare-decode-fc3-request",
  () => requestBuf.readUInt16BE(0) + requestBuf.readUInt16BE(8) + requestBuf.readUInt16BE(10),
  "ADUs/s",
);
const bareDecodeReply = figure(
  "modbus-codec.reference.bare-decode-fc3-reply-100",
  () => {
    const out = new Array<number>((replyBuf[8] as number) >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = replyBuf.readUInt16BE(9 + 2 * i);
    return out.length + replyBuf.readUInt16BE(0);
  },
  "ADUs/s",
);
const bareEncodeReply = figure(
  "modbus-codec.reference.bare-encode-fc3-reply-100",
  () => {
    const out = Buffer.allocUnsafe(209);
    out.writeUInt16BE(7, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(203, 4);
    out[6] = 1;
    out[7] = 3;
    out[8] = 200;
    for (let i = 0; i < 100; i++) out.writeUInt16BE(registers[i] as number, 9 + 2 * i);
    return out.length;
  },
  "ADUs/s",
);
reportRatio("modbus-codec.decode-fc3-request.cpu.vs-bare", decodeRequest, bareDecodeRequest);
reportRatio("modbus-codec.decode-fc3-reply-100.cpu.vs-bare", decodeReply, bareDecodeReply);
reportRatio("modbus-codec.encode-fc3-reply-100.cpu.vs-bare", encodeReply, bareEncodeReply);
reportRatio("modbus-codec.encode-fc3-request.cpu.vs-decode", encodeRequest, decodeRequest);

// CRC-16 over a 256-byte block.
const block = Uint8Array.from({ length: 256 }, (_, i) => (i * 31) & 0xff);
figure("modbus-codec.crc16", () => crc16(block), "MB/s", 256, 1e6);

// A serial line as a client hears it: replies of unit 1 (FC3 of 100 registers, FC6 echoes, exceptions), another
// unit's replies (every seventh frame), and 1-4 noise bytes before every fifth frame; pushed in 4 KiB chunks.
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
  const unit = k % 7 === 6 ? 2 : 1;
  const adu =
    k % 3 === 0
      ? encodeRtuResponse(unit, response)
      : k % 3 === 1
        ? encodeRtuResponse(unit, { fc: 6, address: k, value: k * 3 })
        : encodeRtuResponse(unit, { fc: 3, exception: 2 });
  parts.push(adu);
  frameBounds.push(length, adu.length);
  length += adu.length;
  if (unit === 1) frames++;
}
const line = new Uint8Array(Buffer.concat(parts));
const CHUNK = 4096;
const chunks: Uint8Array[] = [];
for (let at = 0; at < line.length; at += CHUNK) chunks.push(line.subarray(at, at + CHUNK));
const frameLine = () => {
  const framer = new RtuFramer({ direction: "response", accept: (unit) => unit === 1 });
  let found = 0;
  for (const chunk of chunks) {
    framer.push(chunk);
    while (framer.next() !== undefined) found++;
  }
  if (found !== frames || framer.discardedBytes !== noiseBytes)
    throw new Error(
      `RTU framer found ${found}/${frames} frames, discarded ${framer.discardedBytes}/${noiseBytes}`,
    );
  return found;
};
const rtu = figure("modbus-codec.rtu-framer-noise", frameLine, "MB/s", line.length, 1e6);
// Reference: splitting the same line at frame boundaries already known, with `subarray` (no search, no CRC).
const split = figure(
  "modbus-codec.reference.subarray-split",
  () => {
    let n = 0;
    for (let i = 0; i < frameBounds.length; i += 2)
      n += line.subarray(
        frameBounds[i] as number,
        (frameBounds[i] as number) + (frameBounds[i + 1] as number),
      ).length;
    return n;
  },
  "MB/s",
  line.length,
  1e6,
);
reportRatio("modbus-codec.rtu-framer-noise.cpu.vs-subarray-split", rtu, split);

// Modbus/TCP stream: 1000 FC3 replies pushed in 4 KiB chunks.
const tcpStream = new Uint8Array(Buffer.concat(Array.from({ length: 1000 }, () => replyAdu)));
const tcpChunks: Uint8Array[] = [];
for (let at = 0; at < tcpStream.length; at += CHUNK) tcpChunks.push(tcpStream.subarray(at, at + CHUNK));
figure(
  "modbus-codec.tcp-framer",
  () => {
    const framer = new TcpFramer();
    let found = 0;
    for (const chunk of tcpChunks) {
      framer.push(chunk);
      while (framer.next() !== undefined) found++;
    }
    return found;
  },
  "MB/s",
  tcpStream.length,
  1e6,
);
