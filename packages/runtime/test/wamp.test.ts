/** The embedded WAMP router, the runtime as a callee, and WAMP:// clients (msgpack and JSON). */
import { WebSocket } from "ws";
import {
  connectPlc,
  decodeMsgpack,
  encodeMsgpack,
  type PlcClient,
  PlcService,
  startWampCallee,
  startWampRouter,
  type WampCallee,
  type WampRouter,
} from "../src/index.js";
import { PLANT, programBytes, removeWorkdirs, workdir } from "./support/helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await removeWorkdirs();
});

async function router(port = 0): Promise<WampRouter> {
  const r = await startWampRouter({ port });
  cleanups.push(() => r.close());
  return r;
}
async function serviceWithCallee(
  url: string,
  id = "plc1",
): Promise<{ service: PlcService; callee: WampCallee }> {
  let callee: WampCallee | undefined;
  const service = await PlcService.start({
    workdir: await workdir(),
    port: 0,
    onEvent: (e) => {
      if (e.kind === "status") callee?.publishStatus(e.status);
    },
  });
  callee = startWampCallee({ url, id, target: service.target, reconnectMs: 50 });
  cleanups.push(() => service.quit("test over"));
  cleanups.push(() => callee?.close());
  await callee.firstJoin;
  return { service, callee };
}
async function client(uri: string): Promise<PlcClient> {
  const c = await connectPlc(uri, { timeoutMs: 5000 });
  cleanups.push(() => c.close());
  return c;
}

/** A raw WAMP peer over `protocol`: sends and receives decoded messages. */
async function rawPeer(url: string, protocol: string) {
  const socket = new WebSocket(url, [protocol]);
  cleanups.push(() => socket.terminate());
  const inbox: unknown[][] = [];
  let waiter: (() => void) | undefined;
  socket.on("message", (data: Buffer) => {
    inbox.push(
      (protocol === "wamp.2.msgpack" ? decodeMsgpack(data) : JSON.parse(data.toString())) as unknown[],
    );
    waiter?.();
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return {
    socket,
    send: (m: unknown[]) => socket.send(protocol === "wamp.2.msgpack" ? encodeMsgpack(m) : JSON.stringify(m)),
    next: () =>
      new Promise<unknown[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no WAMP message")), 5000);
        const check = (): void => {
          const m = inbox.shift();
          if (m === undefined) return;
          clearTimeout(timer);
          waiter = undefined;
          resolve(m);
        };
        waiter = check;
        check();
      }),
  };
}

describe("MessagePack", () => {
  it("round-trips what WAMP carries", () => {
    const value = [
      48,
      2 ** 53 - 1,
      { a: -1, b: 1.5, c: null, d: true },
      "é".repeat(40),
      new Uint8Array([1, 2, 3]),
      -200,
      70000,
      -70000,
    ];
    expect(decodeMsgpack(encodeMsgpack(value))).toEqual(value);
    expect(() => decodeMsgpack(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      /longer than the bytes left/,
    );
  });
});

describe("WAMP", () => {
  it("a WAMP:// client calls <ID>.GetPLCstatus and transfers a program through the router", async () => {
    const r = await router();
    await serviceWithCallee(r.url);
    const c = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc1`);
    expect(await c.GetPLCstatus()).toEqual(["Empty", [0, 0, 0, 0]]);
    expect(await c.transfer(programBytes(PLANT), { chunkBytes: 100 })).toBe(true);
    expect(await c.StartPLC()).toBe(true);
    expect((await c.GetPLCstatus())[0]).toBe("Started");
  });

  it("serves JSON and msgpack peers, publishes <ID>.status, and errors a duplicate registration", async () => {
    const r = await router();
    await serviceWithCallee(r.url);
    for (const protocol of ["wamp.2.json", "wamp.2.msgpack"]) {
      const p = await rawPeer(r.url, protocol);
      expect(p.socket.protocol).toBe(protocol);
      p.send([1, "Automation", { roles: { caller: {}, subscriber: {}, callee: {} } }]);
      expect((await p.next())[0]).toBe(2);
      p.send([32, 1, {}, "plc1.status"]);
      expect((await p.next())[0]).toBe(33);
      p.send([48, 2, {}, "plc1.GetPLCstatus", []]);
      expect(await p.next()).toEqual([50, 2, {}, [["Empty", [0, 0, 0, 0]]]]);
      p.send([64, 3, {}, "plc1.StartPLC"]);
      expect((await p.next()).slice(0, 5)).toEqual([8, 64, 3, {}, "wamp.error.procedure_already_exists"]);
      p.send([48, 4, {}, "plc1.Nothing", []]);
      expect((await p.next())[4]).toBe("wamp.error.no_such_procedure");
    }
    const sub = await rawPeer(r.url, "wamp.2.msgpack");
    sub.send([1, "Automation", { roles: { subscriber: {} } }]);
    await sub.next();
    sub.send([32, 1, {}, "plc1.status"]);
    await sub.next();
    const c = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc1`);
    await c.transfer(programBytes({ parts: [] }));
    const event = await sub.next();
    expect(event[0]).toBe(36);
    expect(event[4]).toEqual(["Stopped"]);
  });

  it("a caller whose callee leaves gets an error, not a hang", async () => {
    const r = await router();
    const callee = await rawPeer(r.url, "wamp.2.json");
    callee.send([1, "Automation", { roles: { callee: {} } }]);
    await callee.next();
    callee.send([64, 1, {}, "x.slow"]);
    await callee.next();
    const caller = await rawPeer(r.url, "wamp.2.json");
    caller.send([1, "Automation", { roles: { caller: {} } }]);
    await caller.next();
    caller.send([48, 7, {}, "x.slow", []]);
    expect((await callee.next())[0]).toBe(68);
    callee.socket.terminate();
    expect((await caller.next()).slice(0, 3)).toEqual([8, 48, 7]);
  });

  it("the callee registers again after the router is killed and restarted; calls meanwhile are Disconnected", async () => {
    const r = await startWampRouter({ port: 0 });
    const port = r.port;
    await serviceWithCallee(r.url);
    const c = await client(`WAMP://127.0.0.1:${port}/ws#Automation#plc1`);
    expect((await c.GetPLCstatus())[0]).toBe("Empty");
    await r.close();
    expect((await c.GetPLCstatus())[0]).toBe("Disconnected");
    await router(port);
    const deadline = Date.now() + 15_000;
    let status = "Disconnected";
    while (status !== "Empty" && Date.now() < deadline) {
      status = (await c.GetPLCstatus())[0];
      if (status !== "Empty") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("Empty");
  });
});
