/** PYRO:// and PYROS:// against our service, openssl s_client and stunnel (PSK) in both directions. */
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { connectPlc, type PlcClient, PlcService, parsePskSecrets, readPskFile } from "../src/index.js";
import { PLANT, programBytes, removeWorkdirs, workdir } from "./support/helpers.js";
import { freePort, killPeers, opensslPsk, startStunnel } from "./support/peers.js";

/** A Beremiz-style key: base64 text used as its characters' bytes. */
const KEY = "c2VjcmV0LWtleS1vZi10aGUtdGVzdC1wbGFudC10aGF0LWlzLWxvbmctZW5vdWdo";
const SECRETS = `client1:${KEY}\n`;

const services: PlcService[] = [];
const clients: PlcClient[] = [];
async function serve(options: Partial<Parameters<typeof PlcService.start>[0]> = {}): Promise<PlcService> {
  const service = await PlcService.start({ workdir: await workdir(), port: 0, ...options });
  services.push(service);
  return service;
}
async function client(uri: string, options: Parameters<typeof connectPlc>[1] = {}): Promise<PlcClient> {
  const c = await connectPlc(uri, { timeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of services.splice(0)) await s.quit("test over");
  killPeers();
  await removeWorkdirs();
});

describe("PYRO://", () => {
  it("serves every method: transfer, start, status, stop", async () => {
    const service = await serve();
    expect(service.uri).toBe(`PYRO://127.0.0.1:${service.port}`);
    const c = await client(service.uri);
    expect(await c.GetPLCstatus()).toEqual(["Empty", [0, 0, 0, 0]]);
    expect(await c.transfer(programBytes(PLANT), { chunkBytes: 64 })).toBe(true);
    expect(await c.StartPLC()).toBe(true);
    expect((await c.GetPLCstatus())[0]).toBe("Started");
    expect(await c.TraceableVariables()).toEqual(["line1.SCADA", "line1.Speed"]);
    expect(await c.StopPLC()).toBe(true);
    expect((await c.GetPLCstatus())[0]).toBe("Stopped");
    expect(await c.GetPLCID()).toEqual(["", ""]);
  });

  it("never throws on transport loss: defaults and Disconnected, then reconnects when the service is back", async () => {
    const dir = await workdir();
    const first = await PlcService.start({ workdir: dir, port: 0 });
    const port = first.port;
    const c = await client(first.uri);
    expect((await c.GetPLCstatus())[0]).toBe("Empty");
    await first.quit("test");
    expect(await c.GetPLCstatus()).toEqual(["Disconnected", [0, 0, 0, 0]]);
    expect(await c.StartPLC()).toBe(false);
    expect(c.status).toBe("Disconnected");
    await serve({ workdir: dir, port });
    expect((await c.GetPLCstatus())[0]).toBe("Empty");
  });

  it("a frame that is not version 1 closes the connection", async () => {
    const service = await serve();
    const socket = connect(service.port, "127.0.0.1");
    const body = Buffer.from(JSON.stringify({ v: 9, id: 1, m: "GetPLCstatus", a: [] }));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    socket.write(Buffer.concat([head, body]));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("not closed")), 5000);
      socket.on("error", () => {});
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  });
});

describe("PYROS:// (TLS-PSK, native)", () => {
  it("serves with the secrets file's identity and refuses a wrong key, an unknown identity and plaintext", async () => {
    const psk = parsePskSecrets(SECRETS);
    const service = await serve({ psk });
    expect(service.uri).toBe(`PYROS://127.0.0.1:${service.port}#client1`);
    const good = await client(service.uri, { psk });
    expect((await good.GetPLCstatus())[0]).toBe("Empty");
    expect(await good.GetPLCID()).toEqual(["client1", KEY]);
    const wrongKey = await client(service.uri, { psk: parsePskSecrets(`client1:${"x".repeat(40)}`) });
    expect(await wrongKey.GetPLCstatus()).toEqual(["Disconnected", [0, 0, 0, 0]]);
    const stranger = await client(`PYROS://127.0.0.1:${service.port}#intruder`, {
      psk: parsePskSecrets(`intruder:${KEY}`),
    });
    expect(await stranger.GetPLCstatus()).toEqual(["Disconnected", [0, 0, 0, 0]]);
    const plain = await client(`PYRO://127.0.0.1:${service.port}`, { timeoutMs: 2000 });
    expect(await plain.GetPLCstatus()).toEqual(["Disconnected", [0, 0, 0, 0]]);
  });

  it("openssl s_client -psk completes TLS 1.2 and 1.3 with the right key, and fails with a wrong one", async () => {
    const psk = parsePskSecrets(SECRETS);
    const service = await serve({ psk });
    const key = (psk[0] as { key: Buffer }).key;
    expect(await opensslPsk(service.port, "client1", key, true)).toBe(true);
    expect(await opensslPsk(service.port, "client1", key, false)).toBe(true);
    expect(await opensslPsk(service.port, "client1", Buffer.alloc(32, 1), true)).toBe(false);
    expect(await opensslPsk(service.port, "nobody", key, true)).toBe(false);
  });

  it("a stunnel PSK client in front of a plain client reaches our PYROS listener", async () => {
    const dir = await workdir();
    const secrets = join(dir, "psk.txt");
    await writeFile(secrets, SECRETS);
    const service = await serve({ psk: readPskFile(secrets) });
    const accept = await freePort();
    await startStunnel(dir, "client", accept, service.port, secrets);
    const c = await client(`PYRO://127.0.0.1:${accept}`);
    expect((await c.GetPLCstatus())[0]).toBe("Empty");
    expect(await c.transfer(programBytes(PLANT))).toBe(true);
  });

  it("our PYROS client reaches a plain service behind a stunnel PSK server; a wrong key is refused", async () => {
    const dir = await workdir();
    const secrets = join(dir, "psk.txt");
    await writeFile(secrets, SECRETS);
    const service = await serve();
    const accept = await freePort();
    await startStunnel(dir, "server", accept, service.port, secrets);
    const c = await client(`PYROS://127.0.0.1:${accept}#client1`, { psk: readPskFile(secrets) });
    expect((await c.GetPLCstatus())[0]).toBe("Empty");
    const wrong = await client(`PYROS://127.0.0.1:${accept}#client1`, {
      psk: parsePskSecrets(`client1:${"y".repeat(40)}`),
      timeoutMs: 3000,
    });
    expect((await wrong.GetPLCstatus())[0]).toBe("Disconnected");
  });
});
