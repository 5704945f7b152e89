/**
 * The poller against real peers on loopback: Modbus/TCP Security (mutual TLS with a role) against our simulator,
 * pymodbus 3.0.0's server under Debian's /usr/bin/python3, and a small libmodbus C server built here with cc.
 * Certificates and the peer checks come from modbus-sim's test support (imported, not copied).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "@cpppo/modbus-server";
import { mintPki, type TestPki } from "../../../apps/modbus-sim/test/support/certs.js";
import { describeWithPeers, runs } from "../../../apps/modbus-sim/test/support/peers.js";
import { type FailureEvent, ModbusPoller, type RangesEvent } from "../src/index.js";

const WAIT_MS = 20_000;
const PYTHON = "/usr/bin/python3";
jest.setTimeout(60_000);

const pollers: ModbusPoller[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.close()));
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) {
      const exited = once(c, "exit");
      c.kill("SIGKILL");
      await exited;
    }
});

/** A TCP port that was free a moment ago (for peers that cannot report the port they bound). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as { port: number };
  await new Promise((ok) => s.close(ok));
  return port;
}

/** Starts `command` and resolves once it prints "ready" on stdout. */
async function startPeer(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${command} never said ready: ${out}`)), WAIT_MS);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("ready")) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${command} exited ${code} before it was ready: ${out}`));
    });
  });
  return child;
}

/** The first ranges event with something polling; rejects after WAIT_MS. */
function polling(p: ModbusPoller): Promise<RangesEvent> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("never polling")), WAIT_MS);
    const check = (e: RangesEvent) => {
      if (e.polling.length === 0) return;
      clearTimeout(timer);
      p.off("ranges", check);
      ok(e);
    };
    p.on("ranges", check);
  });
}

describeWithPeers(
  "Modbus/TCP Security",
  () => (runs("openssl", ["version"]) ? undefined : "openssl"),
  () => {
    let pki: TestPki;
    let server: ModbusServer;
    let port: number;
    beforeAll(async () => {
      pki = mintPki({ operator: { role: "Operator" }, viewer: { role: "Viewer" } });
      server = new ModbusServer({
        store: ModbusStore.fromRanges(parseRegisterRanges(["40001-40004=1,2,3,4"])),
      });
      const l = await server.listenTls({
        host: "127.0.0.1",
        port: 0,
        key: readFileSync(pki.serverKeyFile),
        cert: readFileSync(pki.serverCertFile),
        ca: pki.ca,
        roles: { Operator: "*", Viewer: [1] },
      });
      port = l.port;
    }, 60_000);
    afterAll(async () => {
      await server?.close({ deadlineMs: 0 });
      pki?.remove();
    });

    it("polls and writes over mutual TLS with a role allowed every function", async () => {
      const c = pki.client("operator");
      const p = new ModbusPoller({
        host: "127.0.0.1",
        port,
        period: 50,
        tls: { key: c.key, cert: c.cert, ca: pki.ca },
      });
      pollers.push(p);
      p.poll(40001, 4);
      await polling(p);
      expect([1, 2, 3, 4].map((i) => p.read(40000 + i))).toEqual([1, 2, 3, 4]);
      await expect(p.write(40002, 20)).resolves.toEqual({ exception: undefined });
      expect(server.store?.read("holdingRegisters", 1, 1)).toEqual([20]);
    });

    it("reports the server's refusal of a role (exception 01) as a failing range", async () => {
      const c = pki.client("viewer");
      const p = new ModbusPoller({
        host: "127.0.0.1",
        port,
        period: 50,
        tls: { key: c.key, cert: c.cert, ca: pki.ca },
      });
      pollers.push(p);
      const failed = new Promise<FailureEvent>((ok) => p.once("failure", ok));
      p.poll(40001);
      expect((await failed).exception).toBe(1);
    });
  },
);

describeWithPeers(
  "pymodbus 3.0.0's server",
  () => (runs(PYTHON, ["-c", "import pymodbus"]) ? undefined : "python3-pymodbus (for /usr/bin/python3)"),
  () => {
    it("polls merged blocks of holding registers and coils, and writes", async () => {
      const port = await freePort();
      await startPeer(PYTHON, [resolve(__dirname, "fixtures", "pymodbus-server.py"), String(port)]);
      const p = new ModbusPoller({ host: "127.0.0.1", port, period: 50, unit: 1, reach: 10 });
      pollers.push(p);
      p.poll(40001, 3);
      p.poll(40010);
      p.poll(1, 4);
      const { polling: ranges } = await polling(p);
      expect(ranges).toEqual([
        { unit: 1, address: 1, count: 4 },
        { unit: 1, address: 40001, count: 10 },
      ]);
      expect([p.read(40001), p.read(40003), p.read(40010)]).toEqual([100, 102, 109]);
      expect([1, 2, 3, 4].map((a) => p.read(a))).toEqual([1, 0, 1, 0]);
      await p.write(40002, [7, 8]);
      await p.write(2, 1);
      const after = new ModbusPoller({ host: "127.0.0.1", port, period: 50, unit: 1 });
      pollers.push(after);
      after.poll(40002, 2);
      after.poll(2);
      await polling(after);
      expect([after.read(40002), after.read(40003), after.read(2)]).toEqual([7, 8, 1]);
    });
  },
);

describeWithPeers(
  "a libmodbus C server",
  () =>
    !runs("cc", ["--version"])
      ? "a C compiler (cc)"
      : !runs("pkg-config", ["--exists", "libmodbus"])
        ? "libmodbus-dev (pkg-config libmodbus)"
        : undefined,
  () => {
    let dir: string;
    let binary: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "modbus-poller-libmodbus-"));
      binary = join(dir, "libmodbus-server");
      const flags = execFileSync("pkg-config", ["--cflags", "--libs", "libmodbus"], { encoding: "utf8" })
        .trim()
        .split(/\s+/);
      execFileSync(
        "cc",
        ["-O1", "-o", binary, resolve(__dirname, "fixtures", "libmodbus-server.c"), ...flags],
        {
          stdio: ["ignore", "ignore", "pipe"],
          timeout: 60_000,
        },
      );
    }, 90_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("polls 123-register blocks and recovers after the server is killed and started again", async () => {
      const port = await freePort();
      const first = await startPeer(binary, [String(port)]);
      const p = new ModbusPoller({ host: "127.0.0.1", port, period: 50, timeout: 500, unit: 1 });
      pollers.push(p);
      p.poll(40001, 100);
      await polling(p);
      expect([p.read(40001), p.read(40100)]).toEqual([200, 299]);
      const offline = once(p, "offline");
      first.kill("SIGKILL");
      await offline;
      const online = once(p, "online");
      await startPeer(binary, [String(port)]);
      await online;
      expect(p.read(40050)).toBe(249);
    });
  },
);
