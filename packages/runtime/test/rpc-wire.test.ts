/**
 * PYRO:// frames however TCP cuts them (several in one read, one split across reads, a large attachment), call
 * deadlines watched by one timer, and the service's methods answering both before and after the runtime opens.
 */
import { createHash } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import {
  connectPlc,
  listenRpc,
  type PartFactory,
  type PlcClient,
  PlcService,
  type RpcListener,
  RpcTransport,
} from "../src/index.js";
import { programBytes, removeWorkdirs, workdir } from "./support/helpers.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await removeWorkdirs();
});

/** A request frame as the format doc gives it: length, JSON length, JSON, attachments. */
function frame(json: object, attached = Buffer.alloc(0)): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4 + body.length + attached.length, 0);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body, attached]);
}

/** A raw connection to `port` that collects whole reply frames' JSON; `replies(n)` waits (5 s) for the first n. */
async function rawClient(port: number): Promise<{ socket: Socket; replies(n: number): Promise<unknown[]> }> {
  const socket = tcpConnect(port, "127.0.0.1");
  socket.on("error", () => {});
  closers.push(() => socket.destroy());
  await new Promise((resolve) => socket.once("connect", resolve));
  let got = Buffer.alloc(0);
  const out: unknown[] = [];
  let wake = (): void => {};
  socket.on("data", (chunk: Buffer) => {
    got = Buffer.concat([got, chunk]);
    while (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
      out.push(JSON.parse(got.toString("utf8", 8, 8 + got.readUInt32BE(4))));
      got = got.subarray(4 + got.readUInt32BE(0));
    }
    wake();
  });
  return {
    socket,
    replies: (n) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${out.length} of ${n} replies in 5 s`)), 5000);
        wake = () => {
          if (out.length < n) return;
          clearTimeout(timer);
          resolve(out.slice(0, n));
        };
        wake();
      }),
  };
}

async function listen(target: Parameters<typeof listenRpc>[0]): Promise<RpcListener> {
  const listener = await listenRpc(target, { port: 0 });
  closers.push(() => listener.close());
  return listener;
}

const status = (): Promise<[string, number[]]> => Promise.resolve(["Stopped", [0, 0, 0, 0]]);

describe("PYRO:// frames", () => {
  it("answers several frames that arrive in one read, in order", async () => {
    const listener = await listen({ GetPLCstatus: status, GetPLCID: () => ["me", ""] });
    const c = await rawClient(listener.port);
    c.socket.write(
      Buffer.concat([
        frame({ v: 1, id: 1, m: "GetPLCstatus", a: [] }),
        frame({ v: 1, id: 2, m: "GetPLCID", a: [] }),
        frame({ v: 1, id: 3, m: "GetPLCstatus", a: [] }),
      ]),
    );
    const replies = (await c.replies(3)) as { id: number; r: unknown }[];
    expect(replies.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    expect(replies.find((r) => r.id === 2)?.r).toEqual(["me", ""]);
  });

  it("answers a frame split across reads, and one whose tail shares a read with the next frame", async () => {
    const listener = await listen({ GetPLCstatus: status });
    const c = await rawClient(listener.port);
    const one = frame({ v: 1, id: 1, m: "GetPLCstatus", a: [] });
    const two = frame({ v: 1, id: 2, m: "GetPLCstatus", a: [] });
    // Byte by byte through the first frame's header, then its rest together with the start of the next frame.
    for (let i = 0; i < 6; i++) {
      c.socket.write(one.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    c.socket.write(Buffer.concat([one.subarray(6), two.subarray(0, 3)]));
    await new Promise((resolve) => setImmediate(resolve));
    c.socket.write(two.subarray(3));
    expect(((await c.replies(2)) as { id: number }[]).map((r) => r.id)).toEqual([1, 2]);
  });

  it("carries a 3 MiB attachment both ways intact, and a 0-byte one as an empty byte array", async () => {
    const seen: Uint8Array[] = [];
    const listener = await listen({
      AppendChunkToBlob: (data: Uint8Array) => {
        seen.push(data);
        return createHash("md5").update(data).digest("hex");
      },
      SeedBlob: (seed: Uint8Array) => seed,
    });
    const transport = new RpcTransport({ host: "127.0.0.1", port: listener.port }, { timeoutMs: 10_000 });
    closers.push(() => transport.close());
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const md5 = createHash("md5").update(big).digest("hex");
    expect(await transport.call("AppendChunkToBlob", [big, "x"])).toEqual({ ok: true, value: md5 });
    expect(seen[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(seen[0] as Uint8Array), big)).toBe(0);
    const echoed = await transport.call("SeedBlob", [big.subarray(5, 4096 + 5)]);
    expect(Buffer.from((echoed as { value: Uint8Array }).value).equals(big.subarray(5, 4096 + 5))).toBe(true);
    const empty = await transport.call("SeedBlob", [new Uint8Array(0)]);
    expect((empty as { value: unknown }).value).toEqual(new Uint8Array(0));
  });

  it("bytes in replies stay intact after later reads reuse the client's read buffer (small and over 64 KiB)", async () => {
    const listener = await listen({ SeedBlob: (seed: Uint8Array) => seed });
    const transport = new RpcTransport({ host: "127.0.0.1", port: listener.port }, { timeoutMs: 10_000 });
    closers.push(() => transport.close());
    for (const size of [1000, 200 * 1024]) {
      const first = Buffer.alloc(size, 0xa1);
      const got = ((await transport.call("SeedBlob", [first])) as { value: Uint8Array }).value;
      // Later replies of the same size land in the same read buffer: the first reply's bytes must not change.
      for (let i = 0; i < 3; i++) await transport.call("SeedBlob", [Buffer.alloc(size, i)]);
      expect(Buffer.from(got).equals(first)).toBe(true);
    }
  });

  it("answers an id of any JSON type, and no id at all, as sent", async () => {
    const listener = await listen({ GetPLCstatus: status });
    const c = await rawClient(listener.port);
    c.socket.write(frame({ v: 1, id: 'a"b', m: "GetPLCstatus", a: [] }));
    expect(await c.replies(1)).toEqual([{ v: 1, id: 'a"b', r: ["Stopped", [0, 0, 0, 0]] }]);
    c.socket.write(frame({ v: 1, m: "GetPLCstatus", a: [] }));
    expect((await c.replies(2))[1]).toEqual({ v: 1, r: ["Stopped", [0, 0, 0, 0]] });
  });
});

describe("call deadlines", () => {
  /** A TCP server that accepts and never answers; counts connections. */
  async function silent(): Promise<{ port: number; connections: () => number }> {
    let connections = 0;
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => {
      connections++;
      sockets.push(s);
      s.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    });
    return { port: (server.address() as { port: number }).port, connections: () => connections };
  }

  it("a call nobody answers resolves undefined at its deadline, with every call in flight on that connection", async () => {
    const peer = await silent();
    const transport = new RpcTransport({ host: "127.0.0.1", port: peer.port }, { timeoutMs: 1000 });
    closers.push(() => transport.close());
    const started = Date.now();
    const first = transport.call("GetPLCstatus", []);
    const second = transport.call("GetPLCID", []);
    expect(await first).toBeUndefined();
    expect(await second).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    // The connection in doubt was dropped: the next call connects again (and meets its own deadline).
    expect(await transport.call("GetPLCstatus", [])).toBeUndefined();
    expect(peer.connections()).toBe(2);
  });

  it("a call answered in time is not cut by an earlier call's deadline timer; a later silent call still times out", async () => {
    let hold = false;
    const listener = await listen({
      GetPLCstatus: () => (hold ? new Promise(() => {}) : status()),
    });
    const transport = new RpcTransport({ host: "127.0.0.1", port: listener.port }, { timeoutMs: 1000 });
    closers.push(() => transport.close());
    // Calls for longer than two deadlines, each answered at once: none may be given up.
    const until = Date.now() + 2200;
    let calls = 0;
    while (Date.now() < until) {
      expect(await transport.call("GetPLCstatus", [])).toEqual({
        ok: true,
        value: ["Stopped", [0, 0, 0, 0]],
      });
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(calls).toBeGreaterThan(3);
    hold = true;
    const started = Date.now();
    expect(await transport.call("GetPLCstatus", [])).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });
});

describe("closing", () => {
  it("a client closed while it connects drops that connection once made; its call resolves undefined", async () => {
    let closedOnServer = (): void => {};
    const serverSawClose = new Promise<void>((resolve) => {
      closedOnServer = resolve;
    });
    const server = createServer((s) => {
      s.on("error", () => {});
      s.on("close", () => closedOnServer());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const transport = new RpcTransport(
      { host: "127.0.0.1", port: (server.address() as { port: number }).port },
      { timeoutMs: 10_000 },
    );
    const call = transport.call("GetPLCstatus", []);
    transport.close();
    expect(await call).toBeUndefined();
    await expect(
      Promise.race([
        serverSawClose.then(() => "closed"),
        new Promise((resolve) => setTimeout(() => resolve("still open after 5 s"), 5000).unref()),
      ]),
    ).resolves.toBe("closed");
  });
});

describe("the service's methods", () => {
  it("GetPLCstatus answers at once while a state change waits (a slow StopPLC): it does not queue behind it", async () => {
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stopBegan = (): void => {};
    const stopping = new Promise<void>((resolve) => {
      stopBegan = resolve;
    });
    const slow: PartFactory = (config) => ({
      name: config.name,
      async start() {},
      async stop() {
        stopBegan();
        await held;
      },
    });
    const service = await PlcService.start({ workdir: await workdir(), port: 0, parts: { slow } });
    closers.push(() => service.quit("test over"));
    closers.push(release);
    const client: PlcClient = await connectPlc(service.uri, { timeoutMs: 3000 });
    closers.push(() => client.close());
    expect(await client.transfer(programBytes({ parts: [{ kind: "slow", name: "s" }] }))).toBe(true);
    expect(await client.StartPLC()).toBe(true);
    const stopped = client.StopPLC();
    await stopping;
    // The stop is in the runtime's queue and not done: the status is read without waiting for it.
    expect(await client.GetPLCstatus()).toEqual(["Started", [0, 0, 1, 0]]);
    release();
    expect(await stopped).toBe(true);
    expect((await client.GetPLCstatus())[0]).toBe("Stopped");
  });

  it("answer through the runtime's own methods once it is open, and Quit still ends the service", async () => {
    const service = await PlcService.start({ workdir: await workdir(), port: 0 });
    closers.push(() => service.quit("test over"));
    const client: PlcClient = await connectPlc(service.uri, { timeoutMs: 5000 });
    closers.push(() => client.close());
    expect(await client.GetPLCstatus()).toEqual(["Empty", [0, 0, 0, 0]]);
    expect(await client.SeedBlob(new Uint8Array([1, 2, 3]))).toBe("5289df737df57326fcdd22597afb1fac");
    expect(await client.Quit()).toBe(true);
    expect(await service.done).toBe("Quit called");
  });
});
