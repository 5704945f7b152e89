/**
 * modbus-sim as a Modbus/TCP Security server (TLS >= 1.2, mutual X.509): certificates minted with openssl in the
 * test carry the client's role in extension 1.3.6.1.4.1.50316.802.1; `--tls-role` maps roles to function codes,
 * and a request outside its role's codes gets exception 01 (Illegal Function).
 */
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { type ClientCert, mintPki, type TestPki } from "./support/certs.js";
import { type Cli, killExecutables, startExecutable, WAIT_MS } from "./support/executable.js";
import { MbapClient } from "./support/mbap-client.js";
import { describeWithPeers, runs } from "./support/peers.js";

let pki: TestPki;
let cli: Cli;
const clients: MbapClient[] = [];

beforeAll(async () => {
  if (!runs("openssl", ["version"])) return;
  pki = mintPki({
    operator: { role: "Operator" },
    engineer: { role: "Engineer", encoding: "octet" },
    guest: { role: "Guest" },
  });
  cli = await startExecutable([
    "-a",
    "127.0.0.1:0",
    "--tls-cert",
    pki.serverCertFile,
    "--tls-key",
    pki.serverKeyFile,
    "--tls-ca",
    pki.caFile,
    "--tls-role",
    "Operator=1,2,3,4",
    "--tls-role",
    "Engineer=*",
    "40001-40004=1,2,3,4",
  ]);
}, 60_000);

afterAll(() => {
  for (const c of clients.splice(0)) c.close();
  killExecutables();
  pki?.remove();
});

/** A TLS connection to the simulator presenting `cert` (or none), verifying the server against the test CA. */
async function open(cert: ClientCert | undefined): Promise<TLSSocket> {
  const socket = tlsConnect({
    host: "127.0.0.1",
    port: cli.port,
    ca: pki.ca,
    minVersion: "TLSv1.2",
    ...(cert && { cert: cert.cert, key: cert.key }),
  });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("no TLS handshake")), WAIT_MS);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      ok();
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      fail(err);
    });
  });
  return socket;
}

async function client(name: string): Promise<MbapClient> {
  const c = new MbapClient(await open(pki.client(name)));
  clients.push(c);
  return c;
}

describeWithPeers(
  "modbus-sim with Modbus/TCP Security",
  () => (runs("openssl", ["version"]) ? undefined : "openssl"),
  () => {
    it("negotiates TLS 1.2 or later with a client certificate from the CA", async () => {
      const socket = await open(pki.client("operator"));
      expect(["TLSv1.2", "TLSv1.3"]).toContain(socket.getProtocol());
      socket.destroy();
    });

    it("lets Operator read (FC3) and refuses its write (FC6) with exception 01", async () => {
      const operator = await client("operator");
      expect((await operator.request({ fc: 3, address: 0, quantity: 4 })).reply).toEqual({
        fc: 3,
        registers: [1, 2, 3, 4],
      });
      expect((await operator.request({ fc: 6, address: 0, value: 99 })).reply).toEqual({
        fc: 6,
        exception: 1,
      });
      expect((await operator.request({ fc: 16, address: 0, values: [9, 9] })).reply).toEqual({
        fc: 16,
        exception: 1,
      });
      // Nothing was written.
      expect((await operator.request({ fc: 3, address: 0, quantity: 2 })).reply).toEqual({
        fc: 3,
        registers: [1, 2],
      });
    });

    it("lets Engineer (its role an OCTET STRING, ROLE=*) write", async () => {
      const engineer = await client("engineer");
      expect((await engineer.request({ fc: 6, address: 3, value: 44 })).reply).toEqual({
        fc: 6,
        address: 3,
        value: 44,
      });
      expect((await engineer.request({ fc: 3, address: 3, quantity: 1 })).reply).toEqual({
        fc: 3,
        registers: [44],
      });
    });

    it("refuses every request of a role it does not map (Guest) with exception 01", async () => {
      const guest = await client("guest");
      expect((await guest.request({ fc: 3, address: 0, quantity: 1 })).reply).toEqual({
        fc: 3,
        exception: 1,
      });
    });

    it("does not serve a client without a certificate", async () => {
      let served = false;
      try {
        const socket = await open(undefined);
        const c = new MbapClient(socket);
        clients.push(c);
        await c.request({ fc: 3, address: 0, quantity: 1 });
        served = true;
      } catch {
        // the handshake or the connection fails: what mutual authentication requires
      }
      expect(served).toBe(false);
    });
  },
);
