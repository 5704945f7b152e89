import { encodeRtuAdu, RtuFramer } from "@cpppo/modbus-codec";
import { SerialPort } from "serialport";
import { ModbusServer, ModbusStore, parseRegisterRanges, type RtuPort } from "../src/index.js";
import { bytes, hex } from "./support/client.js";
import { openPtyPair, type PtyPair } from "./support/pty.js";

let pty: PtyPair;
let server: ModbusServer;
let rtu: RtuPort;
let line: SerialPort;
const framer = new RtuFramer({ direction: "response" });
const frames: { unitId: number; pdu: Uint8Array }[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  pty = await openPtyPair();
  server = new ModbusServer({
    units: new Map([
      [1, ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=11", "1-8=1"]))],
      [2, ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=22"]))],
    ]),
  });
  rtu = await server.openRtu({ path: pty.a, baudRate: 19200 });
  line = new SerialPort({ path: pty.b, baudRate: 19200, autoOpen: false });
  await new Promise<void>((resolve, reject) => line.open((e) => (e ? reject(e) : resolve())));
  line.on("data", (chunk: Buffer) => {
    framer.push(chunk);
    for (let f = framer.next(); f !== undefined; f = framer.next()) {
      frames.push({ unitId: f.unitId, pdu: Uint8Array.from(f.pdu) });
      waiters.shift()?.();
    }
  });
}, 20_000);

afterAll(async () => {
  await new Promise<void>((resolve) => line.close(() => resolve()));
  await server.close({ deadlineMs: 1000 });
  await pty.close();
});

/** The next reply frame on the line, within 5 s. */
async function reply(): Promise<{ unitId: number; pdu: Uint8Array }> {
  if (frames.length === 0)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no RTU reply within 5 s")), 5000);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return frames.shift() as { unitId: number; pdu: Uint8Array };
}

function write(data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    line.write(Buffer.from(data), (e) => (e ? reject(e) : line.drain(() => resolve()))),
  );
}

it("answers each unit from its own store (8N1 at 19200 baud)", async () => {
  await write(encodeRtuAdu(1, bytes("03 0000 0002")));
  expect(await reply()).toEqual({ unitId: 1, pdu: bytes("03 04 000b 000b") });
  await write(encodeRtuAdu(2, bytes("03 0000 0001")));
  expect(await reply()).toEqual({ unitId: 2, pdu: bytes("03 02 0016") });
  await write(encodeRtuAdu(1, bytes("06 0001 1234")));
  expect(hex((await reply()).pdu)).toBe("0600011234");
  await write(encodeRtuAdu(1, bytes("03 0063 0001")));
  expect(hex((await reply()).pdu)).toBe("8302");
});

it("resynchronises through noise and ignores frames for other units and other slaves' replies", async () => {
  const before = { ...rtu.stats };
  // Noise, a request for unit 9 (not served), another slave's reply, then our request: one reply, for it.
  await write(
    Buffer.concat([
      bytes("ff 00 13 37 aa"),
      encodeRtuAdu(9, bytes("03 0000 0001")),
      encodeRtuAdu(5, bytes("03 02 0001")),
      bytes("01 03"),
      encodeRtuAdu(1, bytes("01 0000 0008")),
    ]),
  );
  expect(await reply()).toEqual({ unitId: 1, pdu: bytes("01 01 ff") });
  expect(rtu.stats.skippedFrames).toBeGreaterThan(before.skippedFrames);
  expect(rtu.stats.discardedBytes).toBeGreaterThan(before.discardedBytes);
  // A request for unit 9 alone gets nothing; the next one for unit 2 is answered.
  await write(encodeRtuAdu(9, bytes("03 0000 0001")));
  await write(encodeRtuAdu(2, bytes("03 0000 0001")));
  expect(await reply()).toEqual({ unitId: 2, pdu: bytes("03 02 0016") });
  expect(frames).toHaveLength(0);
});

it("answers requests one at a time, in order, when several arrive together", async () => {
  await write(
    Buffer.concat([
      encodeRtuAdu(1, bytes("03 0000 0001")),
      encodeRtuAdu(2, bytes("03 0000 0001")),
      encodeRtuAdu(1, bytes("03 0000 0001")),
    ]),
  );
  const units = [(await reply()).unitId, (await reply()).unitId, (await reply()).unitId];
  expect(units).toEqual([1, 2, 1]);
});

it("refuses bad serial options", async () => {
  await expect(server.openRtu({ path: "" })).rejects.toThrow('"path"');
  await expect(server.openRtu({ path: pty.a, dataBits: 5 as 8 })).rejects.toThrow('"dataBits"');
  await expect(server.openRtu({ path: "/dev/nonexistent-modbus-tty" })).rejects.toThrow();
});

it("survives random bytes on the line and answers the next request", async () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 0x100000000;
  };
  const noise = Uint8Array.from({ length: 4000 }, () => Math.floor(random() * 256));
  await write(noise);
  // Whatever the noise decoded to (a stray valid frame for unit 1 or 2 gets its reply), the line is answered afterwards.
  await new Promise((r) => setTimeout(r, 200));
  frames.length = 0;
  await write(encodeRtuAdu(2, bytes("03 0000 0001")));
  let got = await reply();
  while (hex(got.pdu) !== "03020016") got = await reply();
  expect(got).toEqual({ unitId: 2, pdu: bytes("03 02 0016") });
});

describe("broadcast", () => {
  it("executes a write to unit 0 without a reply when unit 0 is served", async () => {
    const pair = await openPtyPair();
    const store = ModbusStore.fromRanges(parseRegisterRanges(["40001=5"]));
    const s = new ModbusServer({ store });
    await s.openRtu({ path: pair.a, units: [0, 1] });
    const port = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const seen: Buffer[] = [];
    port.on("data", (c: Buffer) => seen.push(c));
    try {
      port.write(Buffer.from(encodeRtuAdu(0, bytes("06 0000 0009"))));
      const deadline = Date.now() + 5000;
      while (store.read("holdingRegisters", 0, 1)[0] !== 9 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(store.read("holdingRegisters", 0, 1)).toEqual([9]);
      await new Promise((r) => setTimeout(r, 200));
      expect(Buffer.concat(seen)).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      await s.close();
      await pair.close();
    }
  }, 20_000);
});
