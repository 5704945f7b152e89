/**
 * Hostile input on a live server: thousands of mutated real-shaped ADUs, while a normal client reads and writes.
 * Every well-framed request gets exactly one reply (a response or an exception 01-04) and a mangled stream gets
 * a reply, silence or a closed connection; the server never crashes and the normal client sees no error.
 */
import { once } from "node:events";
import { connect } from "node:net";
import {
  decodeResponsePdu,
  encodeRequestPdu,
  encodeTcpAdu,
  isExceptionResponse,
  type ModbusRequest,
} from "@cpppo/modbus-codec";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { RawClient } from "./support/client.js";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
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

const FUZZ_UNIT = 2;
const NORMAL_UNIT = 1;

it("survives thousands of mutated ADUs while a normal client reads and writes without error", async () => {
  const random = prng(0xc0ffee);
  const server = new ModbusServer({
    units: new Map([
      [NORMAL_UNIT, ModbusStore.fromRanges(parseRegisterRanges(["40001-40100=1"]))],
      [
        FUZZ_UNIT,
        ModbusStore.fromRanges(
          parseRegisterRanges(["1-64=1,0", "10001-10064=1", "30001-30064=7", "40001-40064=3"]),
        ),
      ],
    ]),
    partialFrameTimeout: 1,
  });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  const port = listener.port;
  let stop = false;
  let normalErrors = 0;
  let normalRounds = 0;
  const normal = (async () => {
    const c = await RawClient.connect(port);
    for (let i = 0; !stop; i++) {
      try {
        const value = i & 0xffff;
        const w = await c.call({ fc: 16, address: 10, values: [value, value ^ 0xffff] }, NORMAL_UNIT);
        if (Buffer.from(w).toString("hex") !== "10000a0002") normalErrors++;
        const r = await c.call({ fc: 3, address: 10, quantity: 2 }, NORMAL_UNIT);
        const res = decodeResponsePdu(r);
        if (
          isExceptionResponse(res) ||
          !("registers" in res) ||
          res.registers[0] !== value ||
          res.registers[1] !== (value ^ 0xffff)
        )
          normalErrors++;
        normalRounds++;
      } catch {
        normalErrors++;
      }
    }
    c.close();
  })();

  try {
    // 1. Well-framed ADUs with mutated PDUs, pipelined 50 at a time: exactly one valid reply each, in order.
    const fuzz = await RawClient.connect(port);
    let answered = 0;
    for (let batch = 0; batch < 60; batch++) {
      const sent: { tid: number; fc: number }[] = [];
      const adus: Uint8Array[] = [];
      for (let i = 0; i < 50; i++) {
        const pdu = mutatePdu(random, SEED_PDUS[Math.floor(random() * SEED_PDUS.length)] as Uint8Array);
        const tid = (batch * 50 + i) & 0xffff;
        sent.push({ tid, fc: pdu[0] as number });
        adus.push(encodeTcpAdu(tid, FUZZ_UNIT, pdu));
      }
      fuzz.send(Buffer.concat(adus));
      for (const { tid, fc } of sent) {
        const reply = await fuzz.next();
        expect(reply?.transactionId).toBe(tid);
        expect(reply?.unitId).toBe(FUZZ_UNIT);
        const pdu = reply?.pdu as Uint8Array;
        expect((pdu[0] as number) & 0x7f).toBe(fc & 0x7f);
        if ((pdu[0] as number) & 0x80) {
          expect(pdu).toHaveLength(2);
          expect([1, 2, 3, 4]).toContain(pdu[1]);
        } else expect(() => decodeResponsePdu(pdu)).not.toThrow();
        answered++;
      }
    }
    expect(answered).toBe(3000);
    fuzz.close();

    // 2. Whole ADUs mutated, headers too, each on a fresh connection: a reply, silence or a close; never a crash.
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const seed = SEED_PDUS[Math.floor(random() * SEED_PDUS.length)] as Uint8Array;
          const adu = Array.from(encodeTcpAdu(Math.floor(random() * 0x10000), FUZZ_UNIT, seed));
          const flips = 1 + Math.floor(random() * 4);
          for (let i = 0; i < flips; i++) adu[Math.floor(random() * adu.length)] = Math.floor(random() * 256);
          if (adu[6] === NORMAL_UNIT) adu[6] = FUZZ_UNIT;
          const socket = connect({ port, host: "127.0.0.1" });
          await once(socket, "connect");
          socket.on("error", () => undefined);
          const outcome = new Promise<string>((resolve) => {
            socket.once("data", () => resolve("reply"));
            socket.once("close", () => resolve("closed"));
            setTimeout(() => resolve("silent"), 200);
          });
          socket.write(Uint8Array.from(adu));
          expect(["reply", "closed", "silent"]).toContain(await outcome);
          socket.destroy();
        }),
      );
    }
  } finally {
    stop = true;
    await normal;
    await server.close({ deadlineMs: 500 });
  }
  expect(normalRounds).toBeGreaterThan(0);
  expect(normalErrors).toBe(0);
}, 120_000);
