/**
 * The fuzz campaign shared by the fuzz script (bench/fuzz.ts) and its small test (test/fuzz.test.ts): mutated
 * real-shaped ADUs at a live server on unit 2, while a normal client writes and reads unit 1 and checks every value.
 * Phase 1 keeps each MBAP header valid and mutates the PDU (pipelined 50 at a time): every request must get exactly
 * one reply, in order, with its transaction and unit, holding a valid response or an exception 01–04. Phase 2
 * mutates whole ADUs, headers too, each on a fresh connection: a reply, silence or a closed connection are all fine.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import {
  decodeResponsePdu,
  decodeTcpAdu,
  encodeRequestPdu,
  encodeTcpAdu,
  isExceptionResponse,
  type ModbusRequest,
  TcpFramer,
} from "@cpppo/modbus-codec";

/** The units the campaign uses: the normal client's, and the fuzzer's. */
export const NORMAL_UNIT = 1;
export const FUZZ_UNIT = 2;
/** The ranges each unit's store needs. */
export const NORMAL_RANGES = ["40001-40100=1"];
export const FUZZ_RANGES = ["1-64=1,0", "10001-10064=1", "30001-30064=7", "40001-40064=3"];

export interface FuzzOptions {
  /** Pipelined batches of 50 header-valid ADUs (phase 1). */
  batches: number;
  /** Rounds of 20 fresh connections, each sent one wholly mutated ADU (phase 2). */
  rawRounds: number;
  seed: number;
}

export interface FuzzReport {
  /** Phase 1 requests sent and replies that passed every check. */
  sent: number;
  answered: number;
  /** Phase 2 outcomes. */
  raw: { reply: number; closed: number; silent: number };
  /** The normal client's rounds (a write and a read each) and the ones that went wrong. */
  normalRounds: number;
  normalErrors: number;
  /** The first failed check, if any. */
  failure?: string;
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS: ModbusRequest[] = [
  { fc: 1, address: 0, quantity: 16 },
  { fc: 2, address: 0, quantity: 8 },
  { fc: 3, address: 0, quantity: 10 },
  { fc: 4, address: 0, quantity: 4 },
  { fc: 5, address: 3, value: true },
  { fc: 6, address: 5, value: 0x1234 },
  { fc: 15, address: 0, values: [true, false, true, true, false, false, true, false, true] },
  { fc: 16, address: 2, values: [1, 2, 3, 4] },
  { fc: 22, address: 7, andMask: 0xf0f0, orMask: 0x0f0f },
  { fc: 23, readAddress: 0, readQuantity: 4, writeAddress: 4, values: [9, 8] },
  { fc: 43, meiType: 14, readDeviceIdCode: 1, objectId: 0 },
];
const SEED_PDUS = SEEDS.map(encodeRequestPdu);
const BATCH = 50;
const RAW_PER_ROUND = 20;
const REPLY_DEADLINE_MS = 10_000;

/** One of four mutations of a PDU: bytes replaced, cut short, extended, or a random function code. */
function mutatePdu(random: () => number, pdu: Uint8Array): Uint8Array {
  const out = Array.from(pdu);
  const kind = Math.floor(random() * 4);
  if (kind === 0 || out.length < 2) {
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  } else if (kind === 1) out.length = 1 + Math.floor(random() * (out.length - 1));
  else if (kind === 2)
    for (let i = Math.floor(random() * 8) + 1; i > 0; i--) out.push(Math.floor(random() * 256));
  else out[0] = Math.floor(random() * 256);
  return Uint8Array.from(out.slice(0, 253));
}

function open(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1", noDelay: true });
  socket.on("error", () => undefined);
  return once(socket, "connect").then(() => socket);
}

/** Reads whole ADUs off a socket, in order; `next()` rejects after the deadline or when the socket closes. */
function reader(socket: Socket): { next(): Promise<ReturnType<typeof decodeTcpAdu>> } {
  const framer = new TcpFramer();
  const ready: ReturnType<typeof decodeTcpAdu>[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on("data", (chunk: Buffer) => {
    framer.push(chunk);
    for (let adu = framer.next(); adu !== undefined; adu = framer.next())
      ready.push(decodeTcpAdu(Uint8Array.from(adu)));
    wake?.();
  });
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  return {
    async next() {
      const deadline = Date.now() + REPLY_DEADLINE_MS;
      while (ready.length === 0) {
        if (closed) throw new Error("the server closed the connection");
        if (Date.now() > deadline) throw new Error(`no reply within ${REPLY_DEADLINE_MS} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      return ready.shift() as ReturnType<typeof decodeTcpAdu>;
    },
  };
}

/** Runs the campaign at the server on `port` (its units 1 and 2 serving NORMAL_RANGES and FUZZ_RANGES). */
export async function fuzzServer(port: number, options: FuzzOptions): Promise<FuzzReport> {
  const random = prng(options.seed);
  const report: FuzzReport = {
    sent: 0,
    answered: 0,
    raw: { reply: 0, closed: 0, silent: 0 },
    normalRounds: 0,
    normalErrors: 0,
  };
  const fail = (message: string): void => {
    report.failure ??= message;
  };
  let stop = false;
  const normal = (async () => {
    const socket = await open(port);
    const replies = reader(socket);
    for (let i = 0; !stop; i++) {
      try {
        const value = i & 0xffff;
        socket.write(
          encodeTcpAdu(
            i & 0xffff,
            NORMAL_UNIT,
            encodeRequestPdu({ fc: 16, address: 10, values: [value, value ^ 0xffff] }),
          ),
        );
        const w = await replies.next();
        socket.write(
          encodeTcpAdu((i + 1) & 0xffff, NORMAL_UNIT, encodeRequestPdu({ fc: 3, address: 10, quantity: 2 })),
        );
        const r = await replies.next();
        const res = decodeResponsePdu(r.pdu);
        const ok =
          Buffer.from(w.pdu).toString("hex") === "10000a0002" &&
          !isExceptionResponse(res) &&
          "registers" in res &&
          res.registers[0] === value &&
          res.registers[1] === (value ^ 0xffff);
        if (!ok) report.normalErrors++;
        report.normalRounds++;
      } catch {
        report.normalErrors++;
        break;
      }
    }
    socket.destroy();
  })();
  try {
    const socket = await open(port);
    const replies = reader(socket);
    for (let batch = 0; batch < options.batches && report.failure === undefined; batch++) {
      const sent: { tid: number; fc: number }[] = [];
      const adus: Uint8Array[] = [];
      for (let i = 0; i < BATCH; i++) {
        const pdu = mutatePdu(random, SEED_PDUS[Math.floor(random() * SEED_PDUS.length)] as Uint8Array);
        const tid = (batch * BATCH + i) & 0xffff;
        sent.push({ tid, fc: pdu[0] as number });
        adus.push(encodeTcpAdu(tid, FUZZ_UNIT, pdu));
      }
      socket.write(Buffer.concat(adus));
      report.sent += BATCH;
      for (const { tid, fc } of sent) {
        let reply: ReturnType<typeof decodeTcpAdu>;
        try {
          reply = await replies.next();
        } catch (error) {
          fail(`request ${tid} (function ${fc}): ${(error as Error).message}`);
          break;
        }
        const first = reply.pdu[0] as number;
        if (reply.transactionId !== tid || reply.unitId !== FUZZ_UNIT || (first & 0x7f) !== (fc & 0x7f))
          fail(
            `request ${tid} (function ${fc}) got transaction ${reply.transactionId}, unit ${reply.unitId}, function ${first}`,
          );
        else if (first & 0x80) {
          const code = reply.pdu[1] as number;
          if (reply.pdu.length !== 2 || code < 1 || code > 4)
            fail(`request ${tid}: exception reply ${Buffer.from(reply.pdu).toString("hex")}`);
          else report.answered++;
        } else {
          try {
            decodeResponsePdu(reply.pdu);
            report.answered++;
          } catch (error) {
            fail(
              `request ${tid}: undecodable reply ${Buffer.from(reply.pdu).toString("hex")}: ${(error as Error).message}`,
            );
          }
        }
      }
    }
    socket.destroy();
    for (let round = 0; round < options.rawRounds; round++) {
      await Promise.all(
        Array.from({ length: RAW_PER_ROUND }, async () => {
          const seed = SEED_PDUS[Math.floor(random() * SEED_PDUS.length)] as Uint8Array;
          const adu = Array.from(encodeTcpAdu(Math.floor(random() * 0x10000), FUZZ_UNIT, seed));
          const flips = 1 + Math.floor(random() * 4);
          for (let i = 0; i < flips; i++) adu[Math.floor(random() * adu.length)] = Math.floor(random() * 256);
          // The normal client's unit stays out of reach, so its values cannot change under it.
          if (adu[6] === NORMAL_UNIT) adu[6] = FUZZ_UNIT;
          const raw = await open(port);
          const outcome = new Promise<"reply" | "closed" | "silent">((resolve) => {
            raw.once("data", () => resolve("reply"));
            raw.once("close", () => resolve("closed"));
            setTimeout(() => resolve("silent"), 200);
          });
          raw.write(Uint8Array.from(adu));
          report.raw[await outcome]++;
          raw.destroy();
        }),
      );
    }
  } finally {
    stop = true;
    await normal;
  }
  return report;
}
