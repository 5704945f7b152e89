/**
 * The server's view of its TCP connections (peer, unit ids, idle time, requests, exceptions), closing one by id, the
 * server-wide counters and the reply delay set while serving: real sockets on 127.0.0.1.
 */
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { bytes, hex, RawClient } from "./support/client.js";

jest.setTimeout(30_000);

const ranges = parseRegisterRanges(["40001-40010=7"]);
const READ = bytes("03 0000 0002");
/** Holding register 40101: not in the store, so an exception (Illegal Data Address). */
const BAD_READ = bytes("03 0064 0001");

describe("ModbusServer connections, counters and reply delay", () => {
  let server: ModbusServer;
  let port: number;
  const clients: RawClient[] = [];
  beforeEach(async () => {
    server = new ModbusServer({ store: ModbusStore.fromRanges(ranges) });
    port = (await server.listenTcp({ host: "127.0.0.1", port: 0 })).port;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close({ deadlineMs: 200 });
  });
  const open = async () => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };

  it("lists each connection with its peer, unit ids, requests and exceptions, and counts them all", async () => {
    const a = await open();
    const b = await open();
    expect(hex(await a.call(READ, 1))).toBe("030400070007");
    expect(hex(await a.call(READ, 3))).toBe("030400070007");
    expect(hex(await a.call(BAD_READ, 1))).toBe("8302");
    expect(hex(await b.call(READ, 9))).toBe("030400070007");
    const list = server.connections();
    expect(list).toHaveLength(2);
    const byPort = new Map(list.map((c) => [c.port, c]));
    const ca = byPort.get(a.socket.localPort as number);
    const cb = byPort.get(b.socket.localPort as number);
    expect(ca).toMatchObject({
      id: `127_0_0_1_${a.socket.localPort}`,
      peer: "127.0.0.1",
      units: [1, 3],
      requests: 3,
      errors: 1,
      closing: false,
    });
    expect(cb).toMatchObject({ units: [9], requests: 1, errors: 0 });
    expect(ca?.idle).toBeGreaterThanOrEqual(0);
    expect(ca?.idle).toBeLessThan(10);
    expect(server.counters).toEqual({ requests: 4, errors: 1 });
  });

  it("closes a connection by id, after answering what it received; the counters stay", async () => {
    const a = await open();
    const b = await open();
    await a.call(READ);
    await b.call(READ);
    const id = `127_0_0_1_${a.socket.localPort}`;
    expect(server.closeConnection("127_0_0_1_1")).toBe(false);
    expect(server.closeConnection(id)).toBe(true);
    await a.closed;
    expect(a.ended).toBe(true);
    expect(hex(await b.call(READ))).toBe("030400070007");
    // The closed one leaves the list once its socket is gone (the server half-closes; the client closed its side).
    const deadline = Date.now() + 10_000;
    while (server.connections().some((c) => c.id === id) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.connections().map((c) => c.id)).toEqual([`127_0_0_1_${b.socket.localPort}`]);
    expect(server.counters.requests).toBe(3);
  });

  it("sets, changes and removes the reply delay while serving", async () => {
    const a = await open();
    expect(server.replyDelay).toBeUndefined();
    server.replyDelay = { minS: 0.3, maxS: 0.3 };
    expect(server.replyDelay).toEqual({ minS: 0.3, maxS: 0.3 });
    let started = performance.now();
    await a.call(READ);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    server.replyDelay = undefined;
    expect(server.replyDelay).toBeUndefined();
    // Without a delay the reply comes back well under the delay that was set (a generous bound for a loaded machine).
    started = performance.now();
    await a.call(READ);
    const fast = performance.now() - started;
    expect(fast).toBeLessThan(5_000);
    expect(() => {
      server.replyDelay = { minS: 2, maxS: 1 };
    }).toThrow(/minS <= maxS/);
    expect(() => {
      server.replyDelay = { minS: -1, maxS: 1 };
    }).toThrow(/minS <= maxS/);
  });

  it("refuses a reply delay while another evil mode runs", async () => {
    const evil = new ModbusServer({ store: ModbusStore.fromRanges(ranges), evil: { mode: "truncate" } });
    expect(evil.replyDelay).toBeUndefined();
    expect(() => {
      evil.replyDelay = { minS: 1, maxS: 1 };
    }).toThrow(/"truncate" evil mode/);
    const delayed = new ModbusServer({
      store: ModbusStore.fromRanges(ranges),
      evil: { mode: "delay", minS: 1, maxS: 2 },
    });
    expect(delayed.replyDelay).toEqual({ minS: 1, maxS: 2 });
    delayed.replyDelay = undefined;
    expect(delayed.replyDelay).toBeUndefined();
  });
});
