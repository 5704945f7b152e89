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
    expect(await c.TraceableVariables()).toEqual(["line1.SCADA", "line1.Speed", "mb.40001-40010"]);
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

  /** Sends one raw frame (JSON and attachments) and resolves the reply's JSON, or "closed" when the server hangs up. */
  async function raw(port: number, json: string, attached = Buffer.alloc(0)): Promise<unknown> {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    const body = Buffer.from(json);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(4 + body.length + attached.length, 0);
    head.writeUInt32BE(body.length, 4);
    socket.write(Buffer.concat([head, body, attached]));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no reply and not closed")), 5000);
      let got = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(JSON.parse(got.toString("utf8", 8, 8 + got.readUInt32BE(4))));
        }
      });
      socket.once("close", () => {
        clearTimeout(timer);
        resolve("closed");
      });
    });
  }

  it("answers a raw frame as documented, with bytes as attachments", async () => {
    const service = await serve();
    expect(await raw(service.port, JSON.stringify({ v: 1, id: 7, m: "GetPLCstatus", a: [] }))).toEqual({
      v: 1,
      id: 7,
      r: ["Empty", [0, 0, 0, 0]],
    });
    const seeded = await raw(
      service.port,
      JSON.stringify({ v: 1, id: 8, m: "SeedBlob", a: [{ $a: [1, 2] }] }),
      Buffer.from("xab"),
    );
    expect(seeded).toEqual({ v: 1, id: 8, r: "187ef4436122d1cc2f40dc2b92f0eba0" }); // md5("ab")
    expect(await raw(service.port, JSON.stringify({ v: 1, id: 9, m: "Nope", a: [] }))).toMatchObject({
      id: 9,
      e: { code: "ERR_RUNTIME_NO_METHOD" },
    });
  });

  it("closes the connection on another version, bad JSON, or an attachment outside the frame", async () => {
    const service = await serve();
    expect(await raw(service.port, JSON.stringify({ v: 9, id: 1, m: "GetPLCstatus", a: [] }))).toBe("closed");
    expect(await raw(service.port, "{not json")).toBe("closed");
    expect(
      await raw(
        service.port,
        JSON.stringify({ v: 1, id: 2, m: "SeedBlob", a: [{ $a: [0, 5] }] }),
        Buffer.from("ab"),
      ),
    ).toBe("closed");
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
