/**
 * modbus-sim as a Modbus/RTU slave on one end of a socat pty pair: Debian's mbpoll (libmodbus RTU, 9600 8N1) on
 * the other end reads and writes the units it serves and gets no reply from another unit; then this test,
 * a third party on the line, injects noise bytes and frames for a foreign unit ahead of a request, and the
 * simulator still answers that request, once, and nothing else.
 */
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import {
  crc16,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  encodeRtuAdu,
  RtuFramer,
} from "@cpppo/modbus-codec";
import { type Cli, exitWithin, killExecutables, startExecutable, WAIT_MS } from "./support/executable.js";
import { describeWithPeers, mbpollValues, runPeer, runs } from "./support/peers.js";
import { type PtyPair, ptyPair } from "./support/pty.js";

let pair: PtyPair | undefined;
let cli: Cli;

function missing(): string | undefined {
  if (!runs("socat", ["-V"])) return "socat";
  if (!runs("mbpoll", ["-V"])) return "mbpoll";
  return undefined;
}

beforeAll(async () => {
  if (missing() !== undefined) return;
  pair = await ptyPair();
  cli = await startExecutable([
    "-a",
    pair.a,
    "-c",
    '{"baudrate":9600,"slaves":[1,2]}',
    "-v",
    "40001-40010=5",
    "1-8=0",
    "30001=9",
  ]);
}, 30_000);

afterAll(async () => {
  killExecutables();
  await pair?.close();
});

/** `mbpoll -m rtu -b 9600 -P none -1 -a UNIT ...args DEVICE ...values`. */
function mbpoll(unit: number, args: string[], values: string[] = []) {
  return runPeer("mbpoll", [
    "-m",
    "rtu",
    "-b",
    "9600",
    "-P",
    "none",
    "-1",
    "-o",
    "5",
    "-a",
    String(unit),
    ...args,
    (pair as PtyPair).b,
    ...values,
  ]);
}

/** Writes `bytes` to the test's end of the line and resolves with the first `expectFrames` RTU replies that come back. */
async function exchange(
  bytes: Uint8Array,
  expectFrames: number,
): Promise<{ unitId: number; pdu: Uint8Array }[]> {
  const fd = openSync((pair as PtyPair).b, constants.O_RDWR | constants.O_NOCTTY);
  const stream = new ReadStream(fd);
  const framer = new RtuFramer({ direction: "response" });
  const frames: { unitId: number; pdu: Uint8Array }[] = [];
  try {
    const done = new Promise<void>((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`got ${frames.length} of ${expectFrames} replies`)),
        WAIT_MS,
      );
      stream.on("data", (chunk: Buffer) => {
        framer.push(chunk);
        for (let f = framer.next(); f; f = framer.next())
          frames.push({ unitId: f.unitId, pdu: f.pdu.slice() });
        if (frames.length >= expectFrames) {
          clearTimeout(timer);
          ok();
        }
      });
    });
    writeSync(fd, bytes);
    await done;
    return frames;
  } finally {
    stream.destroy();
    try {
      closeSync(fd);
    } catch {
      // destroy() closed it already
    }
  }
}

describeWithPeers("modbus-sim on RTU over a socat pty pair", missing, () => {
  it("prints cpppo's RTU Success line with the device", () => {
    expect(cli.line).toBe(
      `Success; Started Modbus/RTU Simulator; PID = ${cli.child.pid}; address = ${pair?.a}`,
    );
  });

  it("serves mbpoll on units 1 and 2 (one store), reads and writes", async () => {
    const read = await mbpoll(1, ["-t", "4", "-r", "1", "-c", "10"]);
    expect(read.code).toBe(0);
    expect(mbpollValues(read.stdout).map(([, v]) => v)).toEqual(new Array(10).fill("5"));
    expect((await mbpoll(2, ["-t", "4", "-r", "3"], ["1234", "4321"])).code).toBe(0);
    expect((await mbpoll(2, ["-t", "0", "-r", "1"], ["1", "1"])).code).toBe(0);
    const back = await mbpoll(1, ["-t", "4", "-r", "2", "-c", "4"]);
    expect(mbpollValues(back.stdout).map(([, v]) => v)).toEqual(["5", "1234", "4321", "5"]);
    const coils = await mbpoll(1, ["-t", "0", "-r", "1", "-c", "3"]);
    expect(mbpollValues(coils.stdout).map(([, v]) => v)).toEqual(["1", "1", "0"]);
    const input = await mbpoll(2, ["-t", "3", "-r", "1"]);
    expect(mbpollValues(input.stdout)).toEqual([[1, "9"]]);
    const undefinedAddress = await mbpoll(1, ["-t", "4", "-r", "11"]);
    expect(undefinedAddress.code).toBe(1);
    expect(undefinedAddress.stdout + undefinedAddress.stderr).toMatch(/Illegal data address/);
  }, 60_000);

  it("does not answer a unit it does not serve", async () => {
    const other = await mbpoll(9, ["-t", "4", "-r", "1"]);
    expect(other.code).toBe(1);
    expect(other.stdout + other.stderr).toMatch(/timed out/i);
  }, 60_000);

  it("finds a request behind noise bytes and a foreign unit's request and reply, and answers it once", async () => {
    const request = encodeRtuAdu(1, encodeRequestPdu({ fc: 3, address: 1, quantity: 2 }));
    const foreignRequest = encodeRtuAdu(9, encodeRequestPdu({ fc: 3, address: 0, quantity: 2 }));
    const foreignReply = encodeRtuAdu(9, encodeResponsePdu({ fc: 3, registers: [0x0103, 0x0000] }));
    const noise = Uint8Array.from([0xff, 0x00, 0x55, 0xaa, 0x13, 0x07]);
    // A frame whose CRC is wrong: it must be skipped too, not answered.
    const badCrc = Uint8Array.from(encodeRtuAdu(2, encodeRequestPdu({ fc: 3, address: 0, quantity: 1 })));
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 0xff;
    expect(crc16(badCrc, 0, badCrc.length - 2)).not.toBe(0);
    // A second, clean request after it: its reply must come next, so a stray reply to anything before shows.
    const marker = encodeRtuAdu(2, encodeRequestPdu({ fc: 4, address: 0, quantity: 1 }));
    const line = Uint8Array.from([
      ...noise,
      ...foreignRequest,
      ...foreignReply,
      ...badCrc,
      ...noise,
      ...request,
      ...marker,
    ]);
    const replies = await exchange(line, 2);
    expect(replies.map((r) => [r.unitId, decodeResponsePdu(r.pdu)])).toEqual([
      [1, { fc: 3, registers: [5, 1234] }],
      [2, { fc: 4, registers: [9] }],
    ]);
    // The line is in step afterwards: mbpoll's next transaction is answered.
    const read = await mbpoll(1, ["-t", "4", "-r", "2", "-c", "2"]);
    expect(read.code).toBe(0);
    expect(mbpollValues(read.stdout).map(([, v]) => v)).toEqual(["5", "1234"]);
  }, 60_000);

  it("stops on SIGTERM with status 0, closing the serial device", async () => {
    cli.child.kill("SIGTERM");
    expect(await exitWithin(cli, WAIT_MS)).toMatchObject({ code: 0, signal: null });
  }, 30_000);
});
