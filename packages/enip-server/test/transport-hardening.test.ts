/**
 * Issue 10, items 5 and 6: floods of idle sockets and of half-sent frames. Every attack is bounded (a few dozen
 * loopback sockets on port 0, short injected timeouts) and every wait has a deadline.
 */
import { connect, type Socket } from "node:net";
import type { EnipServer } from "../src/server.js";
import { readTag, sleep, TestClient, withDeadline } from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const { start, client } = useServers();

/** Raw sockets opened by a test, destroyed after it. */
const raw: Socket[] = [];
afterEach(() => {
  for (const s of raw.splice(0)) s.destroy();
});

/** A raw socket to `port` that sends nothing unless told; resolves once connected. */
function rawSocket(port: number): Promise<Socket> {
  return withDeadline(
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" });
      raw.push(socket);
      socket.on("error", () => undefined);
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    }),
    "a raw connection",
  );
}

/** Resolves when `socket` is closed by the server (rejects after the deadline). */
function closedBy(socket: Socket, ms = 3000): Promise<void> {
  return withDeadline(
    new Promise<void>((resolve) => {
      if (socket.destroyed || socket.readableEnded) resolve();
      else socket.once("close", () => resolve());
      socket.resume();
    }),
    "the server to close the socket",
    ms,
  );
}

/** Polls `condition` (the server's own view) until it holds, within a deadline. */
async function until(what: string, condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A 24-byte encapsulation header (ListIdentity, command 0x63) that promises `length` more bytes. */
function promisingHeader(length: number): Uint8Array {
  const header = new Uint8Array(24);
  header[0] = 0x63;
  header[2] = length & 0xff;
  header[3] = length >> 8;
  return header;
}

/** Waits until the server has received `bytes` on `count` connections. */
function holding(server: EnipServer, count: number, bytes: number): Promise<void> {
  return until(
    `${count} connections holding ${bytes} bytes`,
    () => server.connections().filter((c) => c.received === bytes && !c.eof).length >= count,
  );
}

describe("idle floods (issue 10, item 5)", () => {
  test("a flood of idle sockets at the connection cap does not lock out a real client", async () => {
    const { server, port } = await start({ maxConnections: 20 });
    for (let i = 0; i < 40; i++) await rawSocket(port);
    await until("the cap to fill", () => server.connections().length === 20);
    const real = await client(port);
    expect((await real.request(readTag("SCADA"))).generalStatus).toBe(0);
    // A registered client is never the one evicted: more idle sockets go, it stays.
    for (let i = 0; i < 25; i++) await rawSocket(port);
    expect((await real.request(readTag("SCADA"))).generalStatus).toBe(0);
    expect(server.connections().length).toBeLessThanOrEqual(20);
  });

  test("an idle socket is closed after the idle timeout", async () => {
    const { port } = await start({ idleTimeout: 0.2 });
    const began = Date.now();
    const socket = await rawSocket(port);
    await closedBy(socket);
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
  });

  test("a client reading every 50 ms is never evicted, by the idle timeout or by a flood", async () => {
    const { server, port } = await start({ idleTimeout: 0.2, partialFrameTimeout: 0.1, maxConnections: 5 });
    const reader = await client(port);
    let closed = false;
    void reader.closed.then(() => {
      closed = true;
    });
    for (let i = 0; i < 20; i++) {
      expect((await reader.request(readTag("SCADA"))).generalStatus).toBe(0);
      if (i % 4 === 0) for (let j = 0; j < 5; j++) await rawSocket(port);
      await sleep(50);
    }
    expect(closed).toBe(false);
    expect(server.connections().length).toBeLessThanOrEqual(5);
  });
});

describe("half-sent frames (issue 10, item 6)", () => {
  test("a socket holding a partial frame is closed after the partial-frame deadline", async () => {
    const { server, port } = await start({ idleTimeout: 30, partialFrameTimeout: 0.2 });
    const socket = await rawSocket(port);
    const began = Date.now();
    socket.write(promisingHeader(65535));
    await holding(server, 1, 24);
    await closedBy(socket);
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
  });

  test("partial frames are bounded in total: over the budget the longest-stalled holder is dropped", async () => {
    const frame = 24 + 65535;
    const { server, port } = await start({
      idleTimeout: 30,
      partialFrameTimeout: 30,
      maxBufferedBytes: 3 * frame,
    });
    const holders: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await rawSocket(port);
      socket.write(promisingHeader(65535));
      holders.push(socket);
      await holding(server, i + 1, 24);
    }
    // The budget holds three; a fourth promise drops the oldest.
    const fourth = await rawSocket(port);
    fourth.write(promisingHeader(65535));
    await closedBy(holders[0] as Socket);
    await holding(server, 3, 24);
    // Real traffic goes on.
    const real = await client(port);
    expect((await real.request(readTag("SCADA"))).generalStatus).toBe(0);
  });

  test("a header split across chunks reserves the size it promises", async () => {
    const frame = 24 + 65535;
    const { server, port } = await start({
      idleTimeout: 30,
      partialFrameTimeout: 30,
      maxBufferedBytes: frame + 100,
    });
    const first = await rawSocket(port);
    first.write(promisingHeader(65535));
    await holding(server, 1, 24);
    const second = await rawSocket(port);
    const header = promisingHeader(65535);
    second.write(header.subarray(0, 3));
    await holding(server, 1, 3);
    expect(first.destroyed).toBe(false);
    second.write(header.subarray(3));
    await closedBy(first);
    await holding(server, 1, 24);
  });

  test("one connection's partial frame is bounded by maxFrameSize (0x65, then closed)", async () => {
    const { port } = await start({ maxFrameSize: 1024 });
    const c = await TestClient.connect(port);
    try {
      c.send(promisingHeader(65535));
      const reply = await c.next();
      expect(reply.header.status).toBe(0x65);
      await c.waitClosed();
    } finally {
      c.close();
    }
  });
});
