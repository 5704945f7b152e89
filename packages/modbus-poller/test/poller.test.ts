/**
 * The poller against our simulator and a scriptable peer: exactly the merged blocks on the wire, read() and value
 * events, writes between blocks, many unit ids, offline within one period plus the deadline when the server stops
 * and back online (values re-read) when it restarts on the same port, load, skipped cycles, the async iterator.
 */
import { once } from "node:events";
import { encodeFloat32 } from "@cpppo/modbus-codec";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import {
  type LoadEvent,
  ModbusOfflineError,
  ModbusPoller,
  type ModbusPollerOptions,
  type PollerEvent,
  type RangesEvent,
  type SlippedEvent,
  type ValueEvent,
} from "../src/index.js";
import { FakeServer, registersReply } from "./support/fake-server.js";

const WAIT_MS = 10_000;
jest.setTimeout(30_000);
const pollers: ModbusPoller[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.close()));
  for (const c of cleanups.splice(0)) await c();
});

function poller(options: ModbusPollerOptions): ModbusPoller {
  const p = new ModbusPoller({ host: "127.0.0.1", timeout: 1_000, ...options });
  pollers.push(p);
  return p;
}

async function simulator(
  ranges: string[],
  port = 0,
  units?: Map<number, ModbusStore>,
): Promise<{ server: ModbusServer; port: number }> {
  const server = units
    ? new ModbusServer({ units })
    : new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(ranges)) });
  const l = await server.listenTcp({ host: "127.0.0.1", port });
  cleanups.push(() => server.close({ deadlineMs: 0 }));
  return { server, port: l.port };
}

/** Resolves with the first `event` for which `test` holds; rejects after WAIT_MS. */
function until<E extends PollerEvent>(
  p: ModbusPoller,
  event: E["type"],
  test: (e: E) => boolean = () => true,
): Promise<E> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      p.off(event, check);
      fail(new Error(`no ${event} event in ${WAIT_MS} ms`));
    }, WAIT_MS);
    function check(e: E) {
      if (!test(e)) return;
      clearTimeout(timer);
      p.off(event, check);
      ok(e);
    }
    p.on(event, check);
  });
}

describe("blocks on the wire", () => {
  it("reads exactly the merged blocks: reach 1 keeps gaps apart, reach 100 joins them, 123 registers at most", async () => {
    const peer = await FakeServer.start((req) => registersReply(req));
    cleanups.push(() => peer.close());
    const near = poller({ port: peer.port, period: 50, reach: 1 });
    near.poll(40001, 10);
    near.poll(40020);
    near.poll(1, 3);
    await until(near, "load");
    await near.close();
    const first = peer.seen.slice(0, 3).map((s) => [s.fc, s.address, s.count]);
    expect(first).toEqual([
      [1, 0, 3],
      [3, 0, 10],
      [3, 19, 1],
    ]);
    peer.seen.length = 0;
    const far = poller({ port: peer.port, period: 50, reach: 100 });
    far.poll(40001, 10);
    far.poll(40020);
    far.poll(40100, 30);
    await until(far, "load");
    await far.close();
    expect(peer.seen.slice(0, 2).map((s) => [s.fc, s.address, s.count])).toEqual([
      [3, 0, 123],
      [3, 123, 6],
    ]);
  });
});

describe("against the simulator", () => {
  it("read() is undefined before the first poll, then the value; value events carry was", async () => {
    const { server, port } = await simulator(["40001-40005=7", "1-3=1"]);
    const p = poller({ port, period: 50 });
    expect(p.read(40002)).toBeUndefined(); // registers it, as cpppo's read does
    const first = await until<ValueEvent>(p, "value", (e) => e.address === 40002);
    expect(first).toEqual({ type: "value", unit: 0, address: 40002, value: 7, was: undefined });
    expect(p.read(40002)).toBe(7);
    const changed = until<ValueEvent>(p, "value", (e) => e.address === 40002);
    server.store?.write("holdingRegisters", 1, [9]);
    expect(await changed).toMatchObject({ value: 9, was: 7 });
    expect(p.read(40003)).toBeUndefined();
    const coil = until<ValueEvent>(p, "value", (e) => e.address === 2);
    p.poll(2);
    expect(await coil).toMatchObject({ value: 1, was: undefined });
  });

  it("writes FC6/FC16/FC5/FC15 between poll blocks, and reports an exception as data", async () => {
    const { server, port } = await simulator(["40001-40200=0", "1-10=0"]);
    const p = poller({ port, period: 20, reach: 1 });
    p.poll(40001, 200);
    await until(p, "load");
    const changed = until<ValueEvent>(p, "value", (e) => e.address === 40010);
    await expect(p.write(40010, 7)).resolves.toEqual({ exception: undefined });
    await p.write(40020, [1, 2, 3]);
    await p.write(5, true);
    await p.write(6, [1, 1]);
    expect(server.store?.read("holdingRegisters", 9, 1)).toEqual([7]);
    expect(server.store?.read("holdingRegisters", 19, 3)).toEqual([1, 2, 3]);
    expect(server.store?.read("coils", 4, 3)).toEqual([1, 1, 1]);
    expect(await changed).toMatchObject({ value: 7, was: 0 });
    expect(await p.write(40300, 1)).toEqual({ exception: 2 });
    await expect(p.write(30001, 1)).rejects.toThrow(/not writable/);
  });

  it("serves many unit ids on one connection", async () => {
    const units = new Map([
      [1, ModbusStore.fromRanges(parseRegisterRanges(["40001=11"]))],
      [2, ModbusStore.fromRanges(parseRegisterRanges(["40001=22"]))],
    ]);
    const { port } = await simulator([], 0, units);
    const p = poller({ port, period: 50, unit: 1 });
    p.poll(40001);
    p.poll(40001, 1, { unit: 2 });
    await until<ValueEvent>(p, "value", (e) => e.unit === 1);
    await until<ValueEvent>(p, "value", (e) => e.unit === 2);
    expect(p.read(40001)).toBe(11);
    expect(p.read(40001, { unit: 2 })).toBe(22);
    expect((p.transport as { connects?: number }).connects).toBe(1);
  });

  it("goes offline within one period plus the deadline when the server stops, and recovers when it restarts", async () => {
    const first = await simulator(["40001-40010=1"]);
    const period = 100;
    const timeout = 300;
    const p = poller({ port: first.port, period, timeout, reach: 1 });
    p.poll(40001, 10);
    await until<RangesEvent>(p, "ranges", (e) => e.polling.length === 1);
    expect(p.online).toBe(true);
    const stopped = Date.now();
    const failed = until<RangesEvent>(p, "ranges", (e) => e.failing.length === 1);
    await first.server.close({ deadlineMs: 0 });
    const failing = await failed;
    expect(failing.failing).toEqual([{ unit: 0, address: 40001, count: 10 }]);
    expect(failing.polling).toEqual([]);
    expect(p.online).toBe(false);
    // One period to reach the next cycle, one deadline for its block, and slack for a loaded machine.
    expect(Date.now() - stopped).toBeLessThan(period + timeout + 2_000);
    expect(p.read(40001)).toBeUndefined();
    await expect(p.write(40001, 5)).rejects.toBeInstanceOf(ModbusOfflineError);
    const online = until(p, "online");
    const reread = until<ValueEvent>(p, "value", (e) => e.address === 40010 && e.value === 2);
    const second = await simulator(["40001-40010=2"], first.port);
    await online;
    await reread;
    expect(p.read(40005)).toBe(2);
    expect(p.failing).toEqual([]);
    await second.server.close({ deadlineMs: 0 });
  });

  it("reads typed values in every word order, and strings", async () => {
    const [hi, lo] = encodeFloat32(1.5, "CDAB");
    const { port } = await simulator([`40001=${hi},${lo}`, "40003=0x4869,0x2100"]);
    const p = poller({ port, period: 50 });
    expect(p.readValue(40001, { type: "float32", order: "CDAB" })).toBeUndefined();
    expect(p.readValue(40003, { type: "string", registers: 2 })).toBeUndefined();
    await until<ValueEvent>(p, "value", (e) => e.address === 40004);
    expect(p.readValue(40001, { type: "float32", order: "CDAB" })).toBe(1.5);
    expect(p.readValue(40003, { type: "string", registers: 2 })).toBe("Hi!");
    expect(p.readValue(40001, { type: "uint32", order: "ABCD" })).toBe(
      ((hi as number) * 65536 + (lo as number)) >>> 0,
    );
  });

  it("writes and reads typed values in every word order (FC16), and refuses the wrong kind of value", async () => {
    const { server, port } = await simulator(["40001-40020=0"]);
    const p = poller({ port, period: 20 });
    p.poll(40001, 20);
    await until(p, "load");
    const orders = ["ABCD", "CDAB", "BADC", "DCBA"] as const;
    for (const [i, order] of orders.entries()) {
      await p.writeValue(40001 + 2 * i, -123456789, { type: "int32", order });
      await p.writeValue(40009 + 2 * i, 3.25, { type: "float32", order });
    }
    const changed = until<ValueEvent>(p, "value", (e) => e.address === 40017);
    await p.writeValue(40017, "ok", { type: "string", registers: 2 });
    expect(server.store?.read("holdingRegisters", 0, 2)).toEqual([0xf8a4, 0x32eb]);
    expect(server.store?.read("holdingRegisters", 2, 2)).toEqual([0x32eb, 0xf8a4]);
    await changed; // the last write, read back: the earlier ones were read in the same cycle or before
    for (const [i, order] of orders.entries()) {
      expect(p.readValue(40001 + 2 * i, { type: "int32", order })).toBe(-123456789);
      expect(p.readValue(40009 + 2 * i, { type: "float32", order })).toBe(3.25);
    }
    expect(p.readValue(40017, { type: "string", registers: 2 })).toBe("ok");
    expect(() => p.writeValue(40001, "x", { type: "int32" })).toThrow(/must be a number/);
  });

  it("yields events through the async iterator until closed", async () => {
    const { port } = await simulator(["40001=3"]);
    const p = poller({ port, period: 50 });
    p.poll(40001);
    const seen: string[] = [];
    for await (const e of p.events()) {
      seen.push(e.type);
      if (e.type === "load") void p.close();
    }
    expect(seen).toContain("value");
    expect(seen).toContain("ranges");
    expect(seen[seen.length - 1]).toBe("load");
  });
});

describe("cadence and load", () => {
  it("reports load as busy / period, the transaction time only", async () => {
    const peer = await FakeServer.start((req) => {
      setTimeout(() => peer.send(req.socket, registersReply(req)), 30);
      return undefined;
    });
    cleanups.push(() => peer.close());
    const p = poller({ port: peer.port, period: 200 });
    p.poll(40001);
    const { load } = await until<LoadEvent>(p, "load");
    expect(load[0]).toBeCloseTo(p.busyMs / 200, 10);
    expect(load).toEqual([load[0], load[0], load[0]]);
    expect(p.busyMs).toBeGreaterThanOrEqual(29);
  });

  it("skips whole periods when a cycle runs long, and keeps polling", async () => {
    const peer = await FakeServer.start((req) => {
      setTimeout(() => peer.send(req.socket, registersReply(req)), 250);
      return undefined;
    });
    cleanups.push(() => peer.close());
    const p = poller({ port: peer.port, period: 100, timeout: 5_000 });
    p.poll(40001);
    const slipped = await until<SlippedEvent>(p, "slipped");
    expect(slipped.missed).toBeGreaterThanOrEqual(1);
    await once(p, "load");
    expect(p.online).toBe(true);
  });
});
