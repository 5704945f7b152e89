/**
 * EtherNet/IP over TLS (CIP Security's TCP port, here a free one): an `enip` part with `tls` serves the simulator
 * over TLS-PSK (a key file transferred with the program) and over a certificate; openssl s_client and Node TLS
 * clients register a session through it; a wrong key and a plaintext client are refused.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { parsePskSecrets, pskClientOptions, RuntimeObject } from "../src/index.js";
import { canConnect, md5, removeWorkdirs, workdir } from "./support/helpers.js";
import { killPeers, opensslPsk } from "./support/peers.js";

const KEY = "Q0lQLXNlY3VyaXR5LXByZS1zaGFyZWQta2V5LWZvci10ZXN0cw==";
/** RegisterSession (0x65), protocol version 1: the first request of every EtherNet/IP session. */
const REGISTER_SESSION = Uint8Array.from([0x65, 0, 4, 0, ...new Array(20).fill(0), 1, 0, 0, 0]);

const opened: RuntimeObject[] = [];
afterEach(async () => {
  for (const r of opened.splice(0)) await r.quit();
  killPeers();
  await removeWorkdirs();
});

/** Transfers `program` with `extras` ([name, bytes]) into a new runtime, starts it, and resolves its TLS port. */
async function startWith(
  program: unknown,
  extras: [string, Uint8Array][],
): Promise<{ runtime: RuntimeObject; port: number }> {
  const runtime = await RuntimeObject.open({ workdir: await workdir() });
  opened.push(runtime);
  const blob = async (bytes: Uint8Array): Promise<string> =>
    (await runtime.AppendChunkToBlob(bytes, await runtime.SeedBlob(new Uint8Array(0)))) as string;
  const bytes = new TextEncoder().encode(JSON.stringify(program));
  const files: [string, string][] = [];
  for (const [name, data] of extras) files.push([name, await blob(data)]);
  expect(await runtime.NewPLC(md5(bytes), await blob(bytes), files)).toBe(true);
  expect(await runtime.StartPLC()).toBe(true);
  let port = 0;
  for (let id = 0; ; id++) {
    const entry = await runtime.GetLogMessage(2, id);
    if (entry === null) break;
    const m = /enip-tls listening on .*:(\d+)$/.exec(entry[0]);
    if (m) port = Number(m[1]);
  }
  expect(port).toBeGreaterThan(0);
  return { runtime, port };
}

/** Registers a session over TLS; resolves the reply's command and status, or "closed". */
function registerOverTls(
  options: ConnectionOptions,
): Promise<{ command: number; status: number } | "closed"> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no reply and not closed"));
    }, 10_000);
    socket.on("error", () => {});
    socket.once("secureConnect", () => socket.write(REGISTER_SESSION));
    socket.once("data", (reply: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ command: reply.readUInt16LE(0), status: reply.readUInt32LE(8) });
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
  });
}

describe("enip part over TLS", () => {
  it("TLS-PSK with the CIP Security suites: openssl and a Node client get in, a wrong key and plaintext do not", async () => {
    const { runtime, port } = await startWith(
      {
        parts: [
          { kind: "enip", name: "plc", port: 0, tags: ["X=DINT"], tls: { port: 0, pskFile: "psk.txt" } },
        ],
      },
      [["psk.txt", new TextEncoder().encode(`plc1:${KEY}\n`)]],
    );
    const key = Buffer.from(KEY, "latin1");
    expect(await opensslPsk(port, "plc1", key, true)).toBe(true);
    expect(await opensslPsk(port, "plc1", key, false)).toBe(true);
    expect(await opensslPsk(port, "plc1", Buffer.alloc(32, 7), true)).toBe(false);
    const entry = parsePskSecrets(`plc1:${KEY}`)[0] as never;
    for (const ciphers of ["ECDHE-PSK-AES128-CBC-SHA256", "ECDHE-PSK-CHACHA20-POLY1305"])
      expect(
        await registerOverTls({
          host: "127.0.0.1",
          port,
          ...pskClientOptions(entry),
          ciphers,
          maxVersion: "TLSv1.2",
        }),
      ).toEqual({ command: 0x65, status: 0 });
    expect(await registerOverTls({ host: "127.0.0.1", port, ...pskClientOptions(entry) })).toEqual({
      command: 0x65,
      status: 0,
    });
    const plain = await new Promise<string>((resolve) => {
      const socket = netConnect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.once("connect", () => socket.write(REGISTER_SESSION));
      socket.once("data", () => resolve("answered"));
      socket.once("close", () => resolve("closed"));
    });
    expect(plain).toBe("closed");
    await runtime.StopPLC();
    expect(await canConnect(port)).toBe(false);
  });

  it("TLS with a certificate", async () => {
    const dir = await workdir();
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const cert = await readFile(join(dir, "cert.pem"));
    const { port } = await startWith(
      { parts: [{ kind: "enip", name: "plc", port: 0, tls: { port: 0, cert: "cert.pem", key: "key.pem" } }] },
      [
        ["cert.pem", cert],
        ["key.pem", await readFile(join(dir, "key.pem"))],
      ],
    );
    expect(await registerOverTls({ host: "127.0.0.1", port, ca: cert })).toEqual({
      command: 0x65,
      status: 0,
    });
  });
});
