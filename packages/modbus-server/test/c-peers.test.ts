/**
 * The C peers of the benchmarks (tools/bench-kit/c, issue 11's Benchmarks): the C load generator's FC3 requests get
 * checked replies from our server in lock-step and from many polling connections, it refuses exceptions and wrong
 * transaction ids, and libmodbus's own C server answers it. Compiled with `cc` (the server also needs libmodbus);
 * without them these tests are skipped, as the benchmark skips its figures.
 */
import { createServer, type Socket } from "node:net";
import { buildC, processCpuMicros, runModbusLoad, startModbusLibmodbusServer } from "@cpppo/bench-kit";
import { encodeResponsePdu, encodeTcpAdu } from "@cpppo/modbus-codec";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";

const withCc = buildC("modbus-load").path !== undefined;
const testWithCc = withCc ? test : test.skip;
const testWithLibmodbus = withCc && buildC("modbus-libmodbus-server").path !== undefined ? test : test.skip;

async function withServer(ranges: string[], run: (port: number) => Promise<void>): Promise<void> {
  const server = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(ranges)) });
  const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  try {
    await run(listener.port);
  } finally {
    await server.close({ deadlineMs: 500 });
  }
}

/** A server answering every chunk with `reply` (transaction id 1 whatever was asked). */
async function withCanned(reply: Uint8Array, run: (port: number) => Promise<void>): Promise<void> {
  const peers: Socket[] = [];
  const canned = createServer((socket) => {
    peers.push(socket);
    socket.on("data", () => socket.write(reply));
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => canned.listen(0, "127.0.0.1", resolve));
  const address = canned.address();
  try {
    await run(typeof address === "object" && address !== null ? address.port : 0);
  } finally {
    for (const peer of peers) peer.destroy();
    await new Promise<void>((resolve) => canned.close(() => resolve()));
  }
}

const REPLY_TID_1 = encodeTcpAdu(1, 1, encodeResponsePdu({ fc: 3, registers: new Array(100).fill(7) }));

describe("the C Modbus/TCP load generator", () => {
  testWithCc("lock-step FC3 of 100 registers: every reply from our server passes its checks", async () => {
    await withServer(["40001-40100=7"], async (port) => {
      const run = await runModbusLoad({ port, mode: "lockstep", seconds: 0.3, warmupSeconds: 0.05 });
      expect(run.mode).toBe("lockstep");
      expect(run.requests).toBeGreaterThan(0);
      expect(run.p50_ms).toBeGreaterThan(0);
      expect(run.p50_ms).toBeLessThanOrEqual(run.p99_ms);
      expect(run.p99_ms).toBeLessThanOrEqual(run.max_ms);
    });
  });

  testWithCc("50 connections polling every 50 ms all get checked replies", async () => {
    await withServer(["40001-40100=7"], async (port) => {
      const run = await runModbusLoad({
        port,
        mode: "poll",
        connections: 50,
        periodMs: 50,
        seconds: 0.5,
        warmupSeconds: 0.1,
      });
      expect(run.connections).toBe(50);
      // At least one request per connection in the window, however loaded the machine.
      expect(run.requests).toBeGreaterThanOrEqual(50);
      expect(run.p50_ms).toBeLessThanOrEqual(run.max_ms);
    });
  });

  testWithCc("fails on an exception reply (registers the store does not define)", async () => {
    await withServer(["40001-40010=7"], async (port) => {
      await expect(runModbusLoad({ port, seconds: 0.2, warmupSeconds: 0 })).rejects.toThrow(/exception/);
    });
  });

  testWithCc("checks transaction ids unless told the server is a canned one", async () => {
    await withCanned(REPLY_TID_1, async (port) => {
      await expect(runModbusLoad({ port, seconds: 0.2, warmupSeconds: 0 })).rejects.toThrow(/transaction id/);
      const run = await runModbusLoad({ port, seconds: 0.2, warmupSeconds: 0, checkTransaction: false });
      expect(run.requests).toBeGreaterThan(0);
    });
  });
});

describe("libmodbus's own server (modbus_receive / modbus_reply)", () => {
  testWithLibmodbus("answers the C client's FC3 of 100 registers, and its CPU time is readable", async () => {
    const server = await startModbusLibmodbusServer();
    try {
      const run = await runModbusLoad({ port: server.port, seconds: 0.3, warmupSeconds: 0.05 });
      expect(run.requests).toBeGreaterThan(0);
      expect(processCpuMicros(server.pid)).toEqual(expect.any(Number));
    } finally {
      await server.close();
    }
  });
});
