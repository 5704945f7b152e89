import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { ExceptionCode } from "@cpppo/modbus-codec";
import {
  certificateRole,
  type Listener,
  ModbusServer,
  ModbusStore,
  parseRegisterRanges,
} from "../src/index.js";
import { type KeyPair, mintPki, type TestPki } from "./support/certs.js";
import { bytes, hex, RawClient } from "./support/client.js";

let pki: TestPki;
let server: ModbusServer;
let listener: Listener;
const roles: string[] = [];

beforeAll(async () => {
  pki = mintPki();
  server = new ModbusServer({
    store: ModbusStore.fromRanges(parseRegisterRanges(["40001-40010=5"])),
    hooks: {
      onRead(access) {
        roles.push(access.role ?? "(none)");
      },
    },
  });
  listener = await server.listenTls({
    host: "127.0.0.1",
    port: 0,
    key: pki.server.key,
    cert: pki.server.cert,
    ca: pki.ca,
    roles: { Operator: [3], Admin: "*" },
  });
}, 30_000);

afterAll(async () => {
  await server.close({ deadlineMs: 1000 });
  pki.remove();
});

function open(client: KeyPair | undefined, options: { maxVersion?: "TLSv1.1" } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: "127.0.0.1",
        port: listener.port,
        ca: pki.ca,
        servername: "localhost",
        ...(client ?? {}),
        ...options,
      },
      () => resolve(socket),
    );
    socket.once("error", reject);
  });
}

/** True when the TLS session fails or the server drops it before answering a request. */
async function refused(client: KeyPair | undefined): Promise<boolean> {
  let socket: TLSSocket | undefined;
  try {
    socket = await open(client);
    // TLS 1.3 reports a refused client certificate only after the handshake: a request then finds the socket closed.
    const c = RawClient.over(socket);
    c.sendPdu(bytes("03 0000 0001"));
    return (await c.next(5000)) === undefined;
  } catch {
    return true;
  } finally {
    socket?.destroy();
  }
}

const READ = bytes("03 0000 0001");
const WRITE = bytes("06 0000 0009");
const denied = (fc: number): string => hex(Uint8Array.of(fc | 0x80, ExceptionCode.IllegalFunction));

it("reads the role from the client certificate's DER (UTF8String and OCTET STRING)", () => {
  expect(certificateRole(pki.der.operator)).toBe("Operator");
  expect(certificateRole(pki.der.viewer)).toBe("Viewer");
  expect(certificateRole(pki.der.octet)).toBe("Operator");
  expect(certificateRole(pki.der.none)).toBeUndefined();
  expect(certificateRole(Uint8Array.of(0x30, 0x82, 0xff))).toBeUndefined();
  expect(certificateRole(pki.der.operator.subarray(0, 100))).toBeUndefined();
});

it("an Operator may use FC3 and is refused FC6 with exception 01", async () => {
  const c = RawClient.over(await open(pki.clients.operator));
  expect(hex(await c.call(READ))).toBe("03020005");
  expect(hex(await c.call(WRITE))).toBe(denied(6));
  expect(hex(await c.call(bytes("10 0000 0001 02 0001")))).toBe(denied(16));
  expect(roles.at(-1)).toBe("Operator");
  c.close();
});

it("publishes the role on the connection's open event", async () => {
  const events: { event: string; role?: string }[] = [];
  const onEvent = (message: unknown): void => void events.push(message as { event: string; role?: string });
  subscribe("cpppo:modbus:connection", onEvent);
  try {
    const c = RawClient.over(await open(pki.clients.operator));
    expect(hex(await c.call(READ))).toBe("03020005");
    c.close();
  } finally {
    unsubscribe("cpppo:modbus:connection", onEvent);
  }
  expect(events.find((e) => e.event === "open")).toMatchObject({ event: "open", role: "Operator" });
});

it("a role in an OCTET STRING is read too", async () => {
  const c = RawClient.over(await open(pki.clients.octet));
  expect(hex(await c.call(READ))).toBe("03020005");
  c.close();
});

it("a role not in the map (Viewer) is refused every function with exception 01", async () => {
  const c = RawClient.over(await open(pki.clients.viewer));
  expect(hex(await c.call(READ))).toBe(denied(3));
  expect(hex(await c.call(WRITE))).toBe(denied(6));
  c.close();
});

it("a certificate without the role extension is refused every function with exception 01", async () => {
  const c = RawClient.over(await open(pki.clients.none));
  expect(hex(await c.call(READ))).toBe(denied(3));
  c.close();
});

it("refuses a client without a certificate, one from another CA, and TLS below 1.2", async () => {
  expect(await refused(undefined)).toBe(true);
  expect(await refused(pki.clients.stranger)).toBe(true);
  await expect(open(pki.clients.operator, { maxVersion: "TLSv1.1" })).rejects.toThrow();
});

it("negotiates TLS 1.2 or later", async () => {
  const socket = await open(pki.clients.operator);
  expect(["TLSv1.2", "TLSv1.3"]).toContain(socket.getProtocol());
  socket.destroy();
});

it("refuses bad TLS options", async () => {
  await expect(
    server.listenTls({ host: "127.0.0.1", port: 0, key: "", cert: "", ca: "", roles: { X: [0] } }),
  ).rejects.toThrow('"roles.X"');
  await expect(
    server.listenTls({ port: 0, cert: "", ca: "", roles: {} } as unknown as Parameters<
      ModbusServer["listenTls"]
    >[0]),
  ).rejects.toThrow('"key"');
});
