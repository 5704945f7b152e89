/**
 * The `historize` and `playback` parts: every tag write a real EtherNet/IP client had answered is in the history
 * file once StopPLC returns; a history replays into an enip part's tags and a modbus part's registers, loops, and
 * stops with the program; a bad record or an unwritable file takes the program to Broken through the fault path.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { EnipClient, parseOperation } from "@cpppo/enip-client";
import { formatRecord, readRecords } from "@cpppo/history";
import { RuntimeObject } from "../src/index.js";
import { partPorts, removeWorkdirs, transfer, workdir } from "./support/helpers.js";
import { criticals, handles, handlesLeftOver, statusBecomes, traceUntil } from "./support/parts.js";

// Real servers and clients on a shared 2-core machine: generous, never a hang (each wait has its own deadline).
jest.setTimeout(60_000);

const opened: RuntimeObject[] = [];
const clients: EnipClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const r of opened.splice(0)) await r.quit();
  await removeWorkdirs();
});

/** A runtime on a fresh work dir with `program` transferred; resolves it and its work dir. */
async function loaded(program: unknown): Promise<{ runtime: RuntimeObject; dir: string }> {
  const dir = await workdir();
  const runtime = await RuntimeObject.open({ workdir: dir });
  opened.push(runtime);
  expect(await transfer(runtime, program, 256)).toBe(true);
  return { runtime, dir };
}

const PLC = { kind: "enip", name: "plc", port: 0, tags: ["SCADA=INT[10]", "Speed=REAL"] };

describe("historize part", () => {
  it("has every answered read and write of the enip part in the file once StopPLC returns", async () => {
    const { runtime, dir } = await loaded({
      parts: [PLC, { kind: "historize", name: "hist", part: "plc", path: "history/plc.hst.gz" }],
    });
    expect(await runtime.StartPLC()).toBe(true);
    const port = (await partPorts(runtime)).get("plc") as number;
    const client = await EnipClient.connect({ host: "127.0.0.1", port, routePath: false });
    clients.push(client);
    // 300 writes pipelined 16 deep (many per flush of the writer), then one read; each answered before StopPLC.
    const ops = Array.from({ length: 300 }, (_, i) => parseOperation(`SCADA[${i % 10}]=(INT)${i}`));
    let answered = 0;
    for await (const r of client.pipeline(ops, { depth: 16 })) {
      expect(r.ok).toBe(true);
      answered++;
    }
    expect(answered).toBe(300);
    expect((await client.read("SCADA[0]", { elements: 10 })).value).toEqual([
      290, 291, 292, 293, 294, 295, 296, 297, 298, 299,
    ]);
    expect(await runtime.StopPLC()).toBe(true);

    // The file was closed, not just flushed: the gzip stream has its trailer (a cut one does not inflate).
    const text = gunzipSync(await readFile(join(dir, "history/plc.hst.gz"))).toString("utf8");
    expect(text.split("\n").filter((line) => line !== "" && !line.startsWith("#"))).toHaveLength(301);
    const records = [];
    for await (const r of readRecords(join(dir, "history/plc.hst.gz"))) records.push(r);
    const writes = records.filter((r) => "write" in (r.data as object));
    expect(writes.map((r) => [r.serial, r.data])).toEqual(
      Array.from({ length: 300 }, (_, i) => [["SCADA", [i % 10, i % 10]], { write: [i] }]),
    );
    const reads = records.filter((r) => "read" in (r.data as object));
    expect(reads.map((r) => [r.serial, r.data])).toEqual([
      [["SCADA", [0, 9]], { read: [290, 291, 292, 293, 294, 295, 296, 297, 298, 299] }],
    ]);
  });

  it("records every enip part when none is named, and a file it cannot write takes the program to Broken", async () => {
    const { runtime, dir } = await loaded({
      parts: [PLC, { kind: "historize", name: "hist", path: "blocker/plc.hst" }],
    });
    await writeFile(join(dir, "blocker"), "a file where the history folder should be");
    expect(await runtime.StartPLC()).toBe(true);
    const client = await EnipClient.connect({
      host: "127.0.0.1",
      port: (await partPorts(runtime)).get("plc") as number,
      routePath: false,
    });
    clients.push(client);
    expect((await client.write("SCADA[1]", [5], { type: "INT" })).ok).toBe(true);
    await statusBecomes(runtime, "Broken");
    expect(await criticals(runtime)).toMatch(/fault: part "hist": .*blocker/);
  });

  it("refuses a program whose historize part names no enip part", async () => {
    const dir = await workdir();
    const runtime = await RuntimeObject.open({ workdir: dir });
    opened.push(runtime);
    expect(
      await transfer(runtime, {
        parts: [PLC, { kind: "historize", name: "h", part: "nope", path: "x.hst" }],
      }),
    ).toBe(false);
    expect(runtime.status).toBe("Broken");
    expect(await criticals(runtime)).toMatch(/part "h": names no other part "nope"/);
  });
});

/** Writes a history file of `records` ([seconds after t0, serial, data]) and resolves its path. */
async function historyFile(dir: string, records: [number, unknown, unknown][]): Promise<string> {
  const path = join(dir, "recorded.hst");
  const t0 = 1_700_000_000;
  await writeFile(path, records.map(([t, serial, data]) => formatRecord(t0 + t, serial, data)).join(""));
  return path;
}

describe("playback part", () => {
  it("replays historize records into an enip part's tags and register frames into a modbus part", async () => {
    const dir = await workdir();
    const tags = await historyFile(dir, [
      [0, ["SCADA", [0, 2]], { write: [1, 2, 3] }],
      [0.05, ["SCADA", [3, 3]], { read: [4] }],
      [0.1, ["Speed", [0, 0]], { write: [2.5] }],
      [0.12, ["Other", [0, 0]], { write: [1] }],
      [0.15, ["SCADA", [9, 9]], { write: [-9] }],
    ]);
    const registers = join(dir, "registers.hst");
    await writeFile(
      registers,
      formatRecord(1_700_000_000, null, { "40001": 11, "40009": 99, "40003": 33 }) +
        formatRecord(1_700_000_000.1, null, { "40002": 22 }),
    );
    const { runtime } = await loaded({
      parts: [
        PLC,
        { kind: "modbus", name: "mb", port: 0, ranges: ["40001-40004=0"] },
        { kind: "playback", name: "tags", path: tags, part: "plc", speed: 2 },
        { kind: "playback", name: "regs", path: registers, part: "mb" },
      ],
    });
    expect(await runtime.StartPLC()).toBe(true);
    const done = await traceUntil(
      runtime,
      ["plc.SCADA", "plc.Speed", "mb.40001-40004", "tags.applied", "regs.applied"],
      (v) => v[3] === 4 && v[4] === 3,
    );
    expect(done).toEqual([[1, 2, 3, 4, 0, 0, 0, 0, 0, -9], 2.5, [11, 22, 33, 0], 4, 3]);
    // What the target lacks is skipped, with one warning each.
    const warnings: string[] = [];
    for (let id = 0; id < (await runtime.GetPLCstatus())[1][1]; id++)
      warnings.push(((await runtime.GetLogMessage(1, id)) ?? [""])[0]);
    expect(warnings.sort()).toEqual([
      "part regs: part mb has no register 40009; its records are skipped",
      "part tags: part plc has no tag Other; its records are skipped",
    ]);
    expect(await runtime.StopPLC()).toBe(true);
  });

  it("keeps the historical pace at its speed, from since (timestamp text)", async () => {
    const dir = await workdir();
    // 20 s of history at speed 20: about a second of wall time, never less, and far from 20 s.
    const path = await historyFile(
      dir,
      Array.from(
        { length: 21 },
        (_, i) => [i, ["SCADA", [0, 0]], { write: [i] }] as [number, unknown, unknown],
      ),
    );
    const { runtime } = await loaded({
      parts: [
        PLC,
        { kind: "playback", name: "replay", path, part: "plc", speed: 20, since: "2023-11-14 22:13:25" },
      ],
    });
    const started = Date.now();
    expect(await runtime.StartPLC()).toBe(true);
    // since is 5 s into the history: records 0-4 are primed at once, then 15 s play in 0.75 s.
    expect(await traceUntil(runtime, ["plc.SCADA", "replay.applied"], (v) => v[1] === 21)).toEqual([
      [20, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      21,
    ]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("loops until the program stops, then leaves no timer, socket or listener behind", async () => {
    const dir = await workdir();
    const path = await historyFile(dir, [
      [0, ["SCADA", [0, 0]], { write: [1] }],
      [0.01, ["SCADA", [0, 0]], { write: [2] }],
    ]);
    const { runtime } = await loaded({
      parts: [PLC, { kind: "playback", name: "replay", path, part: "plc", loop: true, speed: 1 }],
    });
    const before = handles();
    expect(await runtime.StartPLC()).toBe(true);
    // Many passes over a two-record history: it loops.
    await traceUntil(runtime, ["replay.applied"], (v) => (v[0] as number) >= 20);
    expect(await runtime.StopPLC()).toBe(true);
    expect(await handlesLeftOver(before)).toEqual({});
    const [, samples] = await runtime.GetTraceVariables(1);
    expect(samples).toEqual([]);
  });

  it("a value its tag cannot take is a fault: the program stops, Broken", async () => {
    const dir = await workdir();
    const path = await historyFile(dir, [[0, ["SCADA", [8, 11]], { write: [1, 2, 3, 4] }]]);
    const { runtime } = await loaded({
      parts: [PLC, { kind: "playback", name: "replay", path, part: "plc" }],
    });
    expect(await runtime.StartPLC()).toBe(true);
    await statusBecomes(runtime, "Broken");
    expect(await criticals(runtime)).toMatch(/fault: part "replay": .*SCADA/);
  });

  it("fails to start on a history that names no file", async () => {
    const { runtime } = await loaded({
      parts: [PLC, { kind: "playback", name: "replay", path: "missing.hst", part: "plc" }],
    });
    expect(await runtime.StartPLC()).toBe(false);
    expect(runtime.status).toBe("Broken");
    expect(await criticals(runtime)).toMatch(/part "replay": no history file .*missing\.hst/);
  });
});
