/**
 * Stop before unload with a history part, at the process level: a plc-service child (apps/plc-service, run from
 * source) records the writes a real EtherNet/IP client had answered; SIGTERM closes the history file (its gzip
 * trailer written) before the program is unloaded and the API closed, and every answered write is in it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { EnipClient, parseOperation } from "@cpppo/enip-client";
import { connectPlc, type PlcClient } from "../src/index.js";
import { removeWorkdirs, workdir } from "./support/helpers.js";

// A node child compiling TypeScript on start: slow on a shared 2-core machine, never a hang.
jest.setTimeout(120_000);
const WAIT_MS = 60_000;

/** The plc-service CLI, run from source as its own tests do. */
const SERVICE = resolve(__dirname, "..", "..", "..", "apps", "plc-service", "src", "bin", "plc-service.ts");

const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await removeWorkdirs();
});

/** Starts plc-service on a free port in `dir`; resolves the child, its stderr so far, and a waiter for a line. */
function service(dir: string) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", SERVICE, "-a", "127.0.0.1:0", "--workdir", dir],
    { cwd: resolve(SERVICE, "..", "..", ".."), stdio: ["pipe", "pipe", "pipe"] },
  );
  children.push(child);
  const text = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c: Buffer) => {
    text.stdout += c.toString();
    child.emit("text");
  });
  child.stderr?.on("data", (c: Buffer) => {
    text.stderr += c.toString();
    child.emit("text");
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((ok) =>
    child.once("exit", (code, signal) => child.once("close", () => ok({ code, signal }))),
  );
  const waitFor = (re: RegExp, which: "stdout" | "stderr") =>
    new Promise<RegExpExecArray>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${re}: ${text.stdout} / ${text.stderr}`)), WAIT_MS);
      const check = (): void => {
        const m = re.exec(text[which]);
        if (!m) return;
        clearTimeout(timer);
        child.off("text", check);
        ok(m);
      };
      child.on("text", check);
      check();
    });
  return { child, exited, waitFor, stderr: () => text.stderr };
}

describe("plc-service with a historize part", () => {
  it("SIGTERM closes the history file before unloading: every answered write is on disk", async () => {
    const dir = await workdir();
    const svc = service(dir);
    const [, uri] = await svc.waitFor(/^Ready: (\S+)/m, "stdout");
    const plc: PlcClient = await connectPlc(uri as string, { timeoutMs: 20_000 });
    closers.push(() => plc.close());
    const program = {
      parts: [
        { kind: "enip", name: "plc", port: 0, tags: ["SCADA=DINT[8]"] },
        { kind: "historize", name: "hist", part: "plc", path: "plc.hst.gz" },
      ],
    };
    expect(await plc.transfer(Buffer.from(JSON.stringify(program)))).toBe(true);
    expect(await plc.StartPLC()).toBe(true);
    const [, port] = await svc.waitFor(/part plc enip listening on [^:\s]+:(\d+)/, "stderr");
    const client = await EnipClient.connect({ host: "127.0.0.1", port: Number(port), routePath: false });
    closers.push(() => client.close());
    const ops = Array.from({ length: 200 }, (_, i) => parseOperation(`SCADA[${i % 8}]=(DINT)${i}`));
    let answered = 0;
    for await (const r of client.pipeline(ops, { depth: 8 })) if (r.ok) answered++;
    expect(answered).toBe(200);

    svc.child.kill("SIGTERM");
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    const err = svc.stderr();
    const order = ["log INFO part hist closed", "event stopped", "event unloaded", "event api-closed"].map(
      (e) => err.indexOf(`plc-service: ${e}`),
    );
    expect(order[0]).toBeGreaterThan(-1);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const text = gunzipSync(await readFile(join(dir, "plc.hst.gz"))).toString("utf8");
    const writes = text
      .split("\n")
      .filter((line) => line.includes('{"write": '))
      .map((line) => line.split("\t").slice(1).join("\t"));
    expect(writes).toEqual(
      Array.from({ length: 200 }, (_, i) => `["SCADA", [${i % 8}, ${i % 8}]]\t{"write": [${i}]}`),
    );
  });
});
