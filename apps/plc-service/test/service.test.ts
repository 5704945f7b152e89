/**
 * The seed commit "stop PLC before unloading" as tests: for each quit path, a plc-service child with a started
 * program ends with the events in order (stopped, then unloaded, then API closed), exit 0, and none of the
 * program's sockets left open.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connectPlc, type PlcClient } from "@cpppo/runtime";
import {
  binCommand,
  canConnect,
  cleanup,
  eventOrder,
  exitOf,
  partPorts,
  type Running,
  run,
  runToEnd,
  tempDir,
} from "./support/process.js";

// Each test starts node processes (tsx compiles on start): slow on a shared 2-core machine, never a hang.
jest.setTimeout(180_000);

const PLANT = {
  parts: [
    { kind: "enip", name: "line1", port: 0, tags: ["SCADA=INT[10]"] },
    { kind: "modbus", name: "mb", port: 0, ranges: ["40001-40010=1"] },
  ],
};

const clients: PlcClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await cleanup();
});

async function program(dir: string, value: unknown = PLANT): Promise<string> {
  const file = join(dir, `program-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(value));
  return file;
}

/** Starts plc-service on a free port with `args`; resolves it, its URI and a client. */
async function service(
  args: string[] = [],
  workdir?: string,
): Promise<{ svc: Running; uri: string; client: PlcClient; dir: string }> {
  const dir = workdir ?? (await tempDir());
  const svc = run("plc-service", ["-a", "127.0.0.1:0", "--workdir", dir, ...args]);
  const [, uri] = await svc.waitFor(/^Ready: (\S+)/m);
  const client = await connectPlc(uri as string, { timeoutMs: 10_000 });
  clients.push(client);
  return { svc, uri: uri as string, client, dir };
}

/** Starts a service, transfers and starts PLANT; resolves with the parts' ports (all accepting). */
async function startedService(args: string[] = []) {
  const s = await service(args);
  expect(await s.client.transfer(Buffer.from(JSON.stringify(PLANT)))).toBe(true);
  expect(await s.client.StartPLC()).toBe(true);
  await s.svc.waitFor(/event started/, "stderr");
  const ports = partPorts(s.svc.stderr());
  expect(ports).toHaveLength(2);
  for (const port of ports) expect(await canConnect(port)).toBe(true);
  return { ...s, ports };
}

/** Asserts a clean quit: exit 0, stopped → unloaded → api-closed, and the program's ports closed. */
async function expectCleanQuit(svc: Running, ports: number[]): Promise<void> {
  const { code, signal } = await exitOf(svc);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  const [stopped, unloaded, closed] = eventOrder(svc.stderr(), ["stopped", "unloaded", "api-closed"]);
  expect(stopped).toBeGreaterThan(-1);
  expect(unloaded).toBeGreaterThan(stopped as number);
  expect(closed).toBeGreaterThan(unloaded as number);
  for (const port of ports) expect(await canConnect(port)).toBe(false);
}

describe("plc-service: stop before unload on every quit path", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal}`, async () => {
      const { svc, ports } = await startedService();
      svc.child.kill(signal);
      await expectCleanQuit(svc, ports);
      expect(svc.stderr()).toContain(`event quitting (${signal})`);
    });
  }

  it("Quit from a connector", async () => {
    const { svc, ports, client } = await startedService();
    expect(await client.Quit()).toBe(true);
    await expectCleanQuit(svc, ports);
  });

  it("an exception in a program part", async () => {
    const s = await service();
    const faulty = { parts: [...PLANT.parts, { kind: "fault", name: "boom", afterMs: 300 }] };
    expect(await s.client.transfer(Buffer.from(JSON.stringify(faulty)))).toBe(true);
    expect(await s.client.StartPLC()).toBe(true);
    await s.svc.waitFor(/event started/, "stderr");
    const ports = partPorts(s.svc.stderr());
    await expectCleanQuit(s.svc, ports);
    const err = s.svc.stderr();
    expect(err.indexOf("event fault")).toBeGreaterThan(-1);
    expect(err.indexOf("event fault")).toBeLessThan(err.indexOf("event stopped"));
  });

  it("a new program while one runs is refused; the running one keeps its sockets", async () => {
    const { svc, ports, client } = await startedService();
    expect(await client.transfer(Buffer.from(JSON.stringify({ parts: [] })))).toBe(false);
    expect((await client.GetPLCstatus())[0]).toBe("Started");
    for (const port of ports) expect(await canConnect(port)).toBe(true);
    svc.child.kill("SIGTERM");
    await expectCleanQuit(svc, ports);
  });

  it("the commit's reproduction over LOCAL://: transfer, start, another program, close the client", async () => {
    const client = await connectPlc("LOCAL://", {
      localCommand: binCommand("plc-service"),
      timeoutMs: 10_000,
    });
    expect(await client.transfer(Buffer.from(JSON.stringify(PLANT)))).toBe(true);
    expect(await client.StartPLC()).toBe(true);
    const ports: number[] = [];
    for (let id = 0; ; id++) {
      const entry = await client.GetLogMessage(2, id);
      if (entry === null) break;
      const m = /listening on [^:\s]+:(\d+)/.exec(entry[0]);
      if (m) ports.push(Number(m[1]));
    }
    expect(ports).toHaveLength(2);
    // "open another project without disconnecting": a second transfer while Started is refused.
    expect(await client.transfer(Buffer.from(JSON.stringify({ parts: [] })))).toBe(false);
    await client.close();
    for (const port of ports) expect(await canConnect(port)).toBe(false);
    expect((await client.GetPLCstatus())[0]).toBe("Disconnected");
  });

  it("the LOCAL:// parent going away (SIGKILL) stops the program and the service", async () => {
    const dir = await tempDir();
    const file = await program(dir);
    const p = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@cpppo/source", join(__dirname, "support", "local-parent.ts"), file],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    p.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`parent did not start: ${out} ${err}`)), 30_000);
      p.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        if (/started/.test(out)) {
          clearTimeout(timer);
          ok();
        }
      });
    });
    const ports = partPorts(err);
    expect(ports).toHaveLength(2);
    for (const port of ports) expect(await canConnect(port)).toBe(true);
    p.kill("SIGKILL");
    // The child service sees its stdin end and quits; its stderr is the parent's, so wait on the ports.
    const deadline = Date.now() + 30_000;
    let open = true;
    while (open && Date.now() < deadline) {
      open = (await Promise.all(ports.map(canConnect))).some(Boolean);
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(false);
  });
});

describe("plc-service: persistence and faults", () => {
  it("killed with -9 and restarted, it reloads the program from the work dir (and --autostart starts it)", async () => {
    const first = await startedService();
    first.svc.child.kill("SIGKILL");
    await exitOf(first.svc);
    const again = await service([], first.dir);
    expect((await again.client.GetPLCstatus())[0]).toBe("Stopped");
    again.svc.child.kill("SIGTERM");
    await exitOf(again.svc);
    const auto = await service(["--autostart"], first.dir);
    expect((await auto.client.GetPLCstatus())[0]).toBe("Started");
    auto.svc.child.kill("SIGTERM");
    expect((await exitOf(auto.svc)).code).toBe(0);
  });
});

describe("plc-client", () => {
  it("prints GetPLCstatus as one JSON value, transfers a program, and prints Disconnected (exit 1) when the service is gone", async () => {
    const { svc, uri, dir } = await service();
    expect(await runToEnd("plc-client", [uri, "GetPLCstatus"])).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    expect(await runToEnd("plc-client", [uri, "transfer", await program(dir)])).toMatchObject({
      code: 0,
      stdout: "true\n",
    });
    expect(await runToEnd("plc-client", [uri, "StartPLC"])).toMatchObject({ code: 0, stdout: "true\n" });
    expect(await runToEnd("plc-client", [uri, "status"])).toMatchObject({
      code: 0,
      stdout: '["Started",[0,0,3,0]]\n',
    });
    svc.child.kill("SIGTERM");
    await exitOf(svc);
    expect(await runToEnd("plc-client", ["--timeout", "3", uri, "GetPLCstatus"])).toMatchObject({
      code: 1,
      stdout: "Disconnected\n",
    });
  });

  it("status --watch prints each change, Disconnected when the service goes, and exits 0 on SIGINT", async () => {
    const { svc, uri, client } = await service();
    const watch = run("plc-client", [uri, "status", "--watch"]);
    await watch.waitFor(/^\["Empty",\[0,0,0,0\]\]$/m);
    expect(await client.transfer(Buffer.from(JSON.stringify({ parts: [] })))).toBe(true);
    await watch.waitFor(/^\["Stopped",\[0,0,0,0\]\]$/m);
    svc.child.kill("SIGTERM");
    await exitOf(svc);
    await watch.waitFor(/^Disconnected$/m);
    watch.child.kill("SIGINT");
    expect((await exitOf(watch)).code).toBe(0);
  });

  it("bad URIs, methods, keys and files: one line, exit 2", async () => {
    const dir = await tempDir();
    const badPsk = join(dir, "bad.psk");
    await writeFile(badPsk, "client1:short\n");
    for (const args of [
      ["FOO://x", "GetPLCstatus"],
      ["PYRO://127.0.0.1:99999", "GetPLCstatus"],
      ["PYROS://127.0.0.1:3000", "GetPLCstatus"],
      ["PYRO://127.0.0.1:3000", "Explode"],
      ["--psk-file", badPsk, "PYROS://127.0.0.1:3000#client1", "GetPLCstatus"],
      ["--psk-file", join(dir, "missing"), "PYROS://127.0.0.1:3000#client1", "GetPLCstatus"],
      ["PYRO://127.0.0.1:3000", "transfer", join(dir, "missing.json")],
    ]) {
      const { code, stderr } = await runToEnd("plc-client", args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr.trim().split("\n")).toHaveLength(1);
    }
    const bad = await runToEnd("plc-service", ["-a", "127.0.0.1:0", "--psk-file", badPsk]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("PYROS:// end to end with --psk-file, Ready line naming the identity", async () => {
    const dir = await tempDir();
    const psk = join(dir, "psk.txt");
    await writeFile(psk, `client1:${"k".repeat(48)}\n`, { mode: 0o600 });
    const svc = run("plc-service", ["-a", "127.0.0.1:0", "--workdir", dir, "--psk-file", psk]);
    const [, uri] = await svc.waitFor(/^Ready: (PYROS:\/\/127\.0\.0\.1:\d+#client1)$/m);
    expect(await runToEnd("plc-client", ["--psk-file", psk, uri as string, "GetPLCstatus"])).toMatchObject({
      code: 0,
      stdout: '["Empty",[0,0,0,0]]\n',
    });
    svc.child.kill("SIGINT");
    expect((await exitOf(svc)).code).toBe(0);
  });
});
