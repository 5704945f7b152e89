/**
 * The TCP line on modbus-serial against our simulator and a scriptable peer: reads and writes, one transaction in
 * flight, the deadline over each transaction, close-and-reopen after a timeout (a late reply never answers a
 * later request), stale transaction ids, another unit's reply, garbage, aborts, and close rejecting everything.
 */
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import {
  ModbusAbortError,
  ModbusClosedError,
  ModbusConnectionError,
  ModbusReplyError,
  ModbusTimeoutError,
  TcpTransport,
} from "../src/index.js";
import { FakeServer, registersReply } from "./support/fake-server.js";

const transports: TcpTransport[] = [];
const peers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

function line(port: number, timeout = 1_000): TcpTransport {
  const t = new TcpTransport({ host: "127.0.0.1", port, timeout });
  transports.push(t);
  return t;
}
async function peer(...args: Parameters<typeof FakeServer.start>): Promise<FakeServer> {
  const p = await FakeServer.start(...args);
  peers.push(p);
  return p;
}

describe("against the simulator", () => {
  let server: ModbusServer;
  let port: number;
  beforeAll(async () => {
    server = new ModbusServer({
      store: ModbusStore.fromRanges(
        parseRegisterRanges(["40001-40010=7", "1-20=1,0,1", "30001=0x1234,7", "10001-10003=1"]),
      ),
    });
    port = (await server.listenTcp({ host: "127.0.0.1", port: 0 })).port;
  });
  afterAll(() => server.close());

  it("reads registers and bits (truncated to the count) and writes every kind", async () => {
    const t = line(port);
    expect(await t.transact({ unit: 1, fc: 3, offset: 0, count: 3 })).toEqual({
      kind: "values",
      values: [7, 7, 7],
    });
    expect(await t.transact({ unit: 0, fc: 4, offset: 0, count: 2 })).toEqual({
      kind: "values",
      values: [0x1234, 7],
    });
    expect(await t.transact({ unit: 1, fc: 1, offset: 0, count: 5 })).toEqual({
      kind: "values",
      values: [1, 0, 1, 1, 0],
    });
    expect(await t.transact({ unit: 1, fc: 2, offset: 0, count: 3 })).toEqual({
      kind: "values",
      values: [1, 1, 1],
    });
    await t.transact({ unit: 1, fc: 6, offset: 1, values: [42] });
    await t.transact({ unit: 1, fc: 16, offset: 2, values: [1, 2] });
    await t.transact({ unit: 1, fc: 5, offset: 1, values: [1] });
    await t.transact({ unit: 1, fc: 15, offset: 2, values: [0, 0] });
    expect(server.store?.read("holdingRegisters", 0, 4)).toEqual([7, 42, 1, 2]);
    expect(await t.transact({ unit: 1, fc: 1, offset: 0, count: 4 })).toEqual({
      kind: "values",
      values: [1, 1, 0, 0],
    });
    expect(t.connects).toBe(1);
  });

  it("returns a Modbus exception as data and keeps the connection", async () => {
    const t = line(port);
    expect(await t.transact({ unit: 1, fc: 3, offset: 5, count: 10 })).toEqual({
      kind: "exception",
      code: 2,
    });
    expect(await t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).toMatchObject({ kind: "values" });
    expect(t.connects).toBe(1);
  });

  it("fails a request to a closed port with ModbusConnectionError, then connects when the server is back", async () => {
    const other = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(["40001=5"])) });
    const l = await other.listenTcp({ host: "127.0.0.1", port: 0 });
    await other.close();
    const t = line(l.port);
    await expect(t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).rejects.toBeInstanceOf(
      ModbusConnectionError,
    );
    const again = new ModbusServer({ store: ModbusStore.fromRanges(parseRegisterRanges(["40001=5"])) });
    await again.listenTcp({ host: "127.0.0.1", port: l.port });
    try {
      expect(await t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).toEqual({
        kind: "values",
        values: [5],
      });
    } finally {
      await again.close();
    }
  });
});

describe("faults, against a scriptable peer", () => {
  it("keeps one transaction in flight, in FIFO order", async () => {
    const p = await peer((req) => registersReply(req));
    const t = line(p.port);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.transact({ unit: 1, fc: 3, offset: i * 10, count: 2 })),
    );
    expect(replies.map((r) => (r.kind === "values" ? r.values[0] : -1))).toEqual(
      Array.from({ length: 20 }, (_, i) => i * 10),
    );
    expect(p.maxUnanswered).toBe(1);
    expect(p.seen.map((s) => s.address)).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
  });

  it("pipelines up to `pipeline` requests when asked (an opt-in), each reply matched to its request", async () => {
    const p = await peer((req, self) => {
      setTimeout(() => self.send(req.socket, registersReply(req)), 5);
      return undefined;
    });
    const t = new TcpTransport({ port: p.port, timeout: 5_000, pipeline: 8 });
    transports.push(t);
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) => t.transact({ unit: 1, fc: 3, offset: i, count: 1 })),
    );
    expect(replies.map((r) => (r.kind === "values" ? r.values[0] : -1))).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(t.peakInFlight).toBe(8);
    expect(t.connects).toBe(1);
    expect(() => new TcpTransport({ pipeline: 0 })).toThrow(/pipeline/);
  });

  it("fails every pipelined request in flight when one times out, and reopens for the next", async () => {
    let stall = true;
    const p = await peer((req) => (stall && req.address === 0 ? undefined : registersReply(req)));
    const t = new TcpTransport({ port: p.port, timeout: 300, pipeline: 4 });
    transports.push(t);
    const started = Date.now();
    const first = t.transact({ unit: 1, fc: 3, offset: 0, count: 1 });
    const second = t.transact({ unit: 1, fc: 3, offset: 0, count: 1 }, { timeout: 20_000 });
    await expect(first).rejects.toBeInstanceOf(ModbusTimeoutError);
    // The second was in flight on the connection closed for the first: it fails now, not at its own deadline.
    await expect(second).rejects.toBeInstanceOf(ModbusConnectionError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(p.seen).toHaveLength(2);
    stall = false;
    const again = await Promise.all(
      [0, 1, 2].map((i) => t.transact({ unit: 1, fc: 3, offset: i, count: 1 })),
    );
    expect(again.map((r) => (r.kind === "values" ? r.values[0] : -1))).toEqual([0, 1, 2]);
    expect(t.connects).toBe(2);
  });

  it("keeps each deadline on one line timer: a later, shorter deadline fires first, a longer one is not cut short", async () => {
    const p = await peer((req) => (req.address === 9 ? registersReply(req) : undefined));
    const t = new TcpTransport({ port: p.port, timeout: 5_000, pipeline: 4 });
    transports.push(t);
    const started = Date.now();
    const long = t.transact({ unit: 1, fc: 3, offset: 0, count: 1 }, { timeout: 20_000 });
    const short = t.transact({ unit: 1, fc: 3, offset: 1, count: 1 }, { timeout: 300 });
    await expect(short).rejects.toBeInstanceOf(ModbusTimeoutError);
    // Long before the line's 5 s default or the first request's 20 s: its own 300 ms set the timer.
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect(long).rejects.toBeInstanceOf(ModbusConnectionError);
    // A transaction that answers in time is not timed out by the timer armed for an earlier one.
    const slow = await peer((req, self) => {
      setTimeout(() => self.send(req.socket, registersReply(req)), 400);
      return undefined;
    });
    const u = line(slow.port, 5_000);
    expect(
      await u.transact({ unit: 1, fc: 3, offset: 0, count: 1 }, { timeout: 300 }).catch((e) => e),
    ).toBeInstanceOf(ModbusTimeoutError);
    expect(await u.transact({ unit: 1, fc: 3, offset: 2, count: 1 }, { timeout: 3_000 })).toEqual({
      kind: "values",
      values: [2],
    });
  });

  it("matches every reply past modbus-serial's 256-id wrap on one connection", async () => {
    const p = await peer((req) => registersReply(req));
    const t = line(p.port);
    for (let i = 0; i < 600; i++)
      expect(await t.transact({ unit: 1, fc: 3, offset: i % 1000, count: 1 })).toEqual({
        kind: "values",
        values: [i],
      });
    expect(t.connects).toBe(1);
  });

  it("times out a stalled transaction, closes the connection, and a late reply never answers the next request", async () => {
    const stalled: Parameters<typeof registersReply>[0][] = [];
    const p = await peer((req) => {
      if (req.address === 0) {
        stalled.push(req);
        return undefined; // stall
      }
      return registersReply(req);
    });
    const t = line(p.port, 300);
    const started = Date.now();
    await expect(t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).rejects.toBeInstanceOf(
      ModbusTimeoutError,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const first = stalled[0];
    if (first === undefined) throw new Error("no stalled request");
    // The late reply goes out on the old connection (closed by the client): it can reach nobody.
    p.send(first.socket, registersReply(first, 1000));
    expect(await t.transact({ unit: 1, fc: 3, offset: 7, count: 1 })).toEqual({
      kind: "values",
      values: [7],
    });
    expect(t.connects).toBe(2);
    expect(p.connections).toBe(2);
  });

  it("ignores a reply with a stale transaction id, times out, and recovers on a new connection", async () => {
    let spoil = true;
    const p = await peer((req) =>
      registersReply(req, 0, spoil ? (req.transactionId + 1) & 0xffff : req.transactionId),
    );
    const t = line(p.port, 300);
    await expect(t.transact({ unit: 1, fc: 3, offset: 1, count: 1 })).rejects.toBeInstanceOf(
      ModbusTimeoutError,
    );
    spoil = false;
    expect(await t.transact({ unit: 1, fc: 3, offset: 2, count: 1 })).toEqual({
      kind: "values",
      values: [2],
    });
    expect(t.connects).toBe(2);
  });

  it("rejects another unit's reply with ModbusReplyError and reopens", async () => {
    let other = true;
    const p = await peer((req) =>
      registersReply(req, 0, req.transactionId, other ? req.unitId + 1 : req.unitId),
    );
    const t = line(p.port, 1_000);
    await expect(t.transact({ unit: 3, fc: 3, offset: 1, count: 1 })).rejects.toBeInstanceOf(
      ModbusReplyError,
    );
    other = false;
    expect(await t.transact({ unit: 3, fc: 3, offset: 4, count: 1 })).toEqual({
      kind: "values",
      values: [4],
    });
    expect(t.connects).toBe(2);
  });

  it("survives garbage: the request fails, the next one on a new connection succeeds", async () => {
    let garbage = true;
    const p = await peer((req) =>
      garbage ? Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x02, 0xff, 0x83]) : registersReply(req),
    );
    const t = line(p.port, 300);
    await expect(t.transact({ unit: 1, fc: 3, offset: 1, count: 1 })).rejects.toThrow(/Timeout|failed/);
    garbage = false;
    expect(await t.transact({ unit: 1, fc: 3, offset: 9, count: 1 })).toEqual({
      kind: "values",
      values: [9],
    });
  });

  it("puts the connect under the deadline: a TLS handshake that never comes times out and is torn down", async () => {
    const silent = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.resume(); // read (and drop) the ClientHello, so the client's close is seen
      accepted.push(socket);
    });
    const accepted: Socket[] = [];
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const { port } = silent.address() as { port: number };
    const t = new TcpTransport({ port, timeout: 300, tls: { rejectUnauthorized: false } });
    transports.push(t);
    const started = Date.now();
    try {
      await expect(t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).rejects.toBeInstanceOf(
        ModbusTimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      const socket = accepted[0];
      if (socket === undefined) throw new Error("no connection");
      if (!socket.destroyed) await once(socket, "close");
      expect(t.connects).toBe(0);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise((ok) => silent.close(ok));
    }
  });

  it("rejects the running and every queued operation on close, and later ones at once", async () => {
    const p = await peer(() => undefined);
    const t = line(p.port, 10_000);
    const pending = Array.from({ length: 3 }, (_, i) => t.transact({ unit: 1, fc: 3, offset: i, count: 1 }));
    await p.waitForRequests(1);
    await t.close();
    for (const r of await Promise.allSettled(pending)) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ModbusClosedError);
    }
    await expect(t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).rejects.toBeInstanceOf(
      ModbusClosedError,
    );
  });

  it("fails the request in flight as soon as the peer closes the connection", async () => {
    const p = await peer((req) => {
      req.socket.destroy();
      return undefined;
    });
    const t = line(p.port, 10_000);
    const started = Date.now();
    await expect(t.transact({ unit: 1, fc: 3, offset: 0, count: 1 })).rejects.toBeInstanceOf(
      ModbusConnectionError,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("aborts a queued operation without sending it, and an operation in flight by closing the connection", async () => {
    const p = await peer((req) => (req.address === 0 ? undefined : registersReply(req)));
    const t = line(p.port, 10_000);
    const inFlight = new AbortController();
    const queued = new AbortController();
    const a = t.transact({ unit: 1, fc: 3, offset: 0, count: 1 }, { signal: inFlight.signal });
    const b = t.transact({ unit: 1, fc: 3, offset: 1, count: 1 }, { signal: queued.signal });
    const c = t.transact({ unit: 1, fc: 3, offset: 2, count: 1 });
    await p.waitForRequests(1);
    queued.abort();
    await expect(b).rejects.toBeInstanceOf(ModbusAbortError);
    inFlight.abort();
    await expect(a).rejects.toBeInstanceOf(ModbusAbortError);
    expect(await c).toEqual({ kind: "values", values: [2] });
    expect(p.seen.map((s) => s.address)).toEqual([0, 2]);
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      t.transact({ unit: 1, fc: 3, offset: 2, count: 1 }, { signal: aborted.signal }),
    ).rejects.toBeInstanceOf(ModbusAbortError);
  });
});
