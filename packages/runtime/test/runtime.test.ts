/** The runtime object: status machine, blob transfer, NewPLC rules, persistence, trace variables, stop order. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LAST_PROGRAM_FILE, type PartFactory, type RuntimeEvent, RuntimeObject } from "../src/index.js";
import {
  canConnect,
  md5,
  PLANT,
  partPorts,
  programBytes,
  removeWorkdirs,
  transfer,
  workdir,
} from "./support/helpers.js";

const opened: RuntimeObject[] = [];
async function open(options: Parameters<typeof RuntimeObject.open>[0]): Promise<RuntimeObject> {
  const runtime = await RuntimeObject.open(options);
  opened.push(runtime);
  return runtime;
}
afterEach(async () => {
  for (const r of opened.splice(0)) await r.quit();
  await removeWorkdirs();
});

describe("RuntimeObject", () => {
  it("goes Empty → Stopped → Started → Stopped, opening and closing the parts' sockets", async () => {
    const runtime = await open({ workdir: await workdir() });
    expect(await runtime.GetPLCstatus()).toEqual(["Empty", [0, 0, 0, 0]]);
    expect(await runtime.StartPLC()).toBe(false);
    expect(await transfer(runtime, PLANT)).toBe(true);
    expect(runtime.status).toBe("Stopped");
    expect(await runtime.StartPLC()).toBe(true);
    expect((await runtime.GetPLCstatus())[0]).toBe("Started");
    const ports = await partPorts(runtime);
    expect(ports.size).toBe(2);
    for (const port of ports.values()) expect(await canConnect(port)).toBe(true);
    expect(await runtime.StopPLC()).toBe(true);
    expect(runtime.status).toBe("Stopped");
    for (const port of ports.values()) expect(await canConnect(port)).toBe(false);
    expect(await runtime.StopPLC()).toBe(false);
  });

  it("chains blob ids as the running md5 and answers null for an unknown blob", async () => {
    const runtime = await open({ workdir: await workdir() });
    const seed = new TextEncoder().encode("ab");
    const id0 = await runtime.SeedBlob(seed);
    expect(id0).toBe(md5(seed));
    const id1 = await runtime.AppendChunkToBlob(new TextEncoder().encode("cd"), id0);
    expect(id1).toBe(md5(new TextEncoder().encode("abcd")));
    expect(await runtime.AppendChunkToBlob(new Uint8Array(1), id0)).toBeNull();
    await runtime.PurgeBlobs();
    expect(await runtime.AppendChunkToBlob(new Uint8Array(1), id1 as string)).toBeNull();
  });

  it("a transfer cut and purged loads nothing", async () => {
    const runtime = await open({ workdir: await workdir() });
    const bytes = programBytes(PLANT);
    const id = await runtime.AppendChunkToBlob(
      bytes.subarray(0, 10),
      await runtime.SeedBlob(new Uint8Array(0)),
    );
    await runtime.PurgeBlobs();
    expect(await runtime.NewPLC(md5(bytes), id as string, [])).toBe(false);
    expect(runtime.status).toBe("Empty");
  });

  it("refuses NewPLC while Started, and keeps the running program", async () => {
    const runtime = await open({ workdir: await workdir() });
    await transfer(runtime, PLANT);
    await runtime.StartPLC();
    expect(await transfer(runtime, { parts: [] })).toBe(false);
    expect(runtime.status).toBe("Started");
    expect(await runtime.MatchMD5(md5(programBytes(PLANT)))).toBe(true);
  });

  it("keeps the program across a restart, and autostart starts it", async () => {
    const dir = await workdir();
    const first = await open({ workdir: dir });
    await transfer(first, PLANT);
    expect((await readFile(join(dir, LAST_PROGRAM_FILE), "utf8")).trim()).toBe(md5(programBytes(PLANT)));
    await first.quit();
    const again = await open({ workdir: dir });
    expect(again.status).toBe("Stopped");
    await again.quit();
    const auto = await open({ workdir: dir, autostart: true });
    expect(auto.status).toBe("Started");
    expect(await auto.MatchMD5(md5(programBytes(PLANT)))).toBe(true);
  });

  it("a program that does not match the schema is Broken with a CRITICAL message; RepairPLC empties it", async () => {
    const runtime = await open({ workdir: await workdir() });
    expect(await transfer(runtime, { parts: [{ kind: "nope", name: "x" }] })).toBe(false);
    const [status, counts] = await runtime.GetPLCstatus();
    expect(status).toBe("Broken");
    expect(counts[0]).toBe(1);
    expect((await runtime.GetLogMessage(0, 0))?.[0]).toMatch(/unknown kind "nope"/);
    expect(await runtime.StartPLC()).toBe(false);
    await runtime.RepairPLC();
    expect(runtime.status).toBe("Empty");
    await runtime.ResetLogCount();
    expect((await runtime.GetPLCstatus())[1]).toEqual([0, 0, 0, 0]);
  });

  it("traces and forces the running program's tags; a stale token gets Broken", async () => {
    const runtime = await open({ workdir: await workdir() });
    await transfer(runtime, PLANT);
    expect(await runtime.SetTraceVariablesList([[0, null]])).toBe(-5);
    await runtime.StartPLC();
    const names = await runtime.TraceableVariables();
    expect(names).toEqual(["line1.SCADA", "line1.Speed", "mb.40001-40010"]);
    const token = await runtime.SetTraceVariablesList([
      [0, null],
      [1, 2.5],
      [2, null],
    ]);
    expect(token).toBeGreaterThan(0);
    const [status, samples] = await runtime.GetTraceVariables(token);
    expect(status).toBe("Started");
    expect(samples[0]?.[1]).toEqual([[0, 0, 0, 0], 2.5, new Array(10).fill(7)]);
    const forced = await runtime.SetTraceVariablesList([[2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]]);
    expect((await runtime.GetTraceVariables(forced))[1][0]?.[1]).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    expect(await runtime.GetTraceVariables(token)).toEqual(["Broken", []]); // replaced by the forced list
    expect(await runtime.SetTraceVariablesList([[99, null]])).toBe(-1);
  });

  it("starts parts in order and stops them in reverse, and unloads only after stopping", async () => {
    const events: string[] = [];
    const recorder: PartFactory = (config) => ({
      name: config.name,
      start: async () => void events.push(`start ${config.name}`),
      stop: async () => void events.push(`stop ${config.name}`),
    });
    const runtime = await open({
      workdir: await workdir(),
      parts: { rec: recorder },
      onEvent: (e: RuntimeEvent) => {
        if (e.kind === "unloaded" || e.kind === "stopped") events.push(e.kind);
      },
    });
    await transfer(runtime, { parts: ["a", "b", "c"].map((name) => ({ kind: "rec", name })) });
    await runtime.StartPLC();
    await runtime.quit();
    expect(events).toEqual([
      "start a",
      "start b",
      "start c",
      "stop c",
      "stop b",
      "stop a",
      "stopped",
      "unloaded",
    ]);
    expect(await runtime.StartPLC()).toBe(false);
  });

  it("StopPLC past its deadline is Broken with a log message", async () => {
    let release!: () => void;
    const stuck: PartFactory = (config) => ({
      name: config.name,
      start: async () => {},
      stop: () => new Promise<void>((resolve) => (release = resolve)),
    });
    const runtime = await open({ workdir: await workdir(), parts: { stuck }, stopTimeoutMs: 100 });
    await transfer(runtime, { parts: [{ kind: "stuck", name: "s" }] });
    await runtime.StartPLC();
    expect(await runtime.StopPLC()).toBe(false);
    const [status, counts] = await runtime.GetPLCstatus();
    expect(status).toBe("Broken");
    expect((await runtime.GetLogMessage(0, counts[0] - 1))?.[0]).toBe("PLC timed out while stopping");
    release();
  });

  it("a part that faults stops the program: Broken, its sockets closed", async () => {
    const events: string[] = [];
    const runtime = await open({
      workdir: await workdir(),
      onEvent: (e) => void events.push(e.kind === "status" ? e.status : e.kind),
    });
    await transfer(runtime, { parts: [...PLANT.parts, { kind: "fault", name: "boom", afterMs: 50 }] });
    await runtime.StartPLC();
    const ports = await partPorts(runtime);
    const deadline = Date.now() + 10_000;
    while (runtime.status !== "Broken" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(runtime.status).toBe("Broken");
    expect(events.slice(events.indexOf("fault"))).toEqual(
      expect.arrayContaining(["fault", "stopped", "Broken"]),
    );
    for (const port of ports.values()) expect(await canConnect(port)).toBe(false);
  });
});
