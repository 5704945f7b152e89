/**
 * WAMPS: the router serves wss:// with a certificate minted here by `openssl` (a test CA and a server certificate for
 * IP 127.0.0.1); the runtime and a WAMPS:// client trust the CA file; a plaintext client, or one that does not trust
 * the CA, is refused. And the in-process router: the service hosts it, the client's call crosses one WebSocket.
 */
import { TestPki } from "@cpppo/test-kit";
import { WebSocket } from "ws";
import {
  connectPlc,
  type PlcClient,
  PlcService,
  startWampCallee,
  startWampRouter,
  type WampCallee,
  type WampCalleeOptions,
  type WampRouter,
  type WampRouterOptions,
} from "../src/index.js";
import { programBytes, removeWorkdirs, workdir } from "./support/helpers.js";

jest.setTimeout(60_000);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(removeWorkdirs);

/** A CA and a server certificate for 127.0.0.1 signed by it, minted by openssl (P-256 keys: fast); another CA. */
let pki: { ca: string; cert: string; key: string; otherCa: string };
beforeAll(() => {
  const minted = new TestPki("cpppo-wamps-");
  const ca = minted.ca("ca");
  const other = minted.ca("other");
  const server = minted.issue("server", "ca", ["subjectAltName=IP:127.0.0.1"], "/CN=127.0.0.1");
  pki = { ca: ca.cert, cert: server.cert, key: server.key, otherCa: other.cert };
  minted.remove(); // the tests take the PEM text, not the files
});

async function router(options: WampRouterOptions = {}): Promise<WampRouter> {
  const r = await startWampRouter({ port: 0, ...options });
  cleanups.push(() => r.close());
  return r;
}

async function service(
  extra: Partial<WampCalleeOptions> & { url?: string },
): Promise<{ svc: PlcService; callee: WampCallee }> {
  let callee: WampCallee | undefined;
  const svc = await PlcService.start({
    workdir: await workdir(),
    port: 0,
    onEvent: (e) => {
      if (e.kind === "status") callee?.publishStatus(e.status);
    },
  });
  cleanups.push(() => svc.quit("test over"));
  callee = startWampCallee({ id: "plc1", target: svc.target, reconnectMs: 50, ...extra });
  cleanups.push(() => callee?.close());
  return { svc, callee };
}

async function client(uri: string, options: Parameters<typeof connectPlc>[1] = {}): Promise<PlcClient> {
  const c = await connectPlc(uri, { timeoutMs: 5000, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** Resolves "open" or the error a raw WebSocket client meets at `url` (5 s deadline). */
function rawOutcome(url: string, options: { ca?: string } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, ["wamp.2.json"], options);
    const timer = setTimeout(() => {
      socket.terminate();
      resolve("timeout");
    }, 5000);
    socket.once("open", () => {
      clearTimeout(timer);
      socket.terminate();
      resolve("open");
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      resolve(`error: ${error.message}`);
    });
  });
}

describe("WAMPS (wss://)", () => {
  it("the runtime and a WAMPS:// client trusting the CA work through a TLS router; msgpack and JSON", async () => {
    const r = await router({ tls: { cert: pki.cert, key: pki.key } });
    expect(r.url).toBe(`wss://127.0.0.1:${r.port}/ws`);
    const { callee } = await service({ url: r.url, ca: pki.ca });
    await callee.firstJoin;
    const uri = `WAMPS://127.0.0.1:${r.port}/ws#Automation#plc1`;
    for (const protocol of ["wamp.2.msgpack", "wamp.2.json"]) {
      const c = await client(uri, { wamp: { ca: pki.ca, protocols: [protocol] } });
      expect(await c.GetPLCstatus()).toEqual([
        protocol === "wamp.2.msgpack" ? "Empty" : "Stopped",
        [0, 0, 0, 0],
      ]);
      expect(await c.transfer(programBytes({ parts: [] }))).toBe(true);
      expect((await c.GetPLCstatus())[0]).toBe("Stopped");
    }
    expect(await rawOutcome(r.url, { ca: pki.ca })).toBe("open");
  });

  it("a plaintext client on the TLS port, or one that does not trust the CA, is refused", async () => {
    const r = await router({ tls: { cert: pki.cert, key: pki.key } });
    const { callee } = await service({ url: r.url, ca: pki.ca });
    await callee.firstJoin;
    const plain = `ws://127.0.0.1:${r.port}/ws`;
    expect(await rawOutcome(plain)).toMatch(/^error: /);
    expect(await rawOutcome(r.url)).toMatch(/^error: .*(self.signed|unable to verify|certificate)/i);
    expect(await rawOutcome(r.url, { ca: pki.otherCa })).toMatch(/^error: /);
    const viaPlain = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc1`);
    expect((await viaPlain.GetPLCstatus())[0]).toBe("Disconnected");
    const untrusting = await client(`WAMPS://127.0.0.1:${r.port}/ws#Automation#plc1`, {
      wamp: { ca: pki.otherCa },
    });
    expect((await untrusting.GetPLCstatus())[0]).toBe("Disconnected");
    // A runtime that does not trust the router's certificate never joins.
    const logs: string[] = [];
    await service({ url: r.url, id: "plc2", log: (l) => logs.push(l) });
    const deadline = Date.now() + 10_000;
    while (!logs.some((l) => l.includes("retrying")) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.some((l) => l.includes("retrying"))).toBe(true);
    expect(logs.some((l) => l.startsWith("wamp joined"))).toBe(false);
  });
});

describe("the service hosting the router (in-process callee)", () => {
  it("a WAMP:// client calls the in-process procedures and gets status events; a name clash is refused", async () => {
    const r = await router();
    const { callee } = await service({ router: r });
    await callee.firstJoin;
    const events: unknown[] = [];
    const sub = new WebSocket(r.url, ["wamp.2.json"]);
    cleanups.push(() => sub.terminate());
    const subscribed = new Promise<void>((resolve) =>
      sub.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString()) as unknown[];
        if (m[0] === 2) sub.send(JSON.stringify([32, 1, {}, "plc1.status"]));
        if (m[0] === 33) resolve();
        if (m[0] === 36) events.push(m[4]);
      }),
    );
    sub.once("open", () => sub.send(JSON.stringify([1, "Automation", {}])));
    await subscribed;
    for (const protocol of ["wamp.2.msgpack", "wamp.2.json"]) {
      const c = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc1`, {
        wamp: { protocols: [protocol] },
      });
      expect((await c.GetPLCstatus())[0]).toMatch(/^(Empty|Stopped)$/);
      expect(await c.transfer(programBytes({ parts: [] }))).toBe(true);
      expect(await c.StartPLC()).toBe(true);
      expect(await c.StartPLC()).toBe(false);
      expect(await c.StopPLC()).toBe(true);
    }
    // Events travel on another socket than the answers: wait for the seventh (with a deadline).
    const deadline = Date.now() + 10_000;
    while (events.length < 7 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    // A new program unloads the old one (Empty) before it loads (Stopped).
    expect(events).toEqual([
      ["Stopped"],
      ["Started"],
      ["Stopped"],
      ["Empty"],
      ["Stopped"],
      ["Started"],
      ["Stopped"],
    ]);
    expect(() => r.register("Automation", "plc1.GetPLCstatus", () => 1)).toThrow(/already registered/);
    await callee.close();
    const after = await client(`WAMP://127.0.0.1:${r.port}/ws#Automation#plc1`);
    await after.GetPLCstatus();
    expect(after.lastError?.code).toBe("wamp.error.no_such_procedure");
  });
});
