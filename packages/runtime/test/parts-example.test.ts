/**
 * The README's example program with every part kind, taken from the README itself (ports set to 0): it loads with
 * its two histories as extra files, starts, plays back, mirrors through the gateway, records, and stops cleanly.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { EnipClient } from "@cpppo/enip-client";
import { formatRecord, HistoryWriter } from "@cpppo/history";
import { RuntimeObject } from "../src/index.js";
import { md5, partPorts, programBytes, removeWorkdirs, workdir } from "./support/helpers.js";
import { traceUntil } from "./support/parts.js";

// Real servers and clients on a shared 2-core machine: generous, never a hang (each wait has its own deadline).
jest.setTimeout(60_000);

const opened: RuntimeObject[] = [];
afterEach(async () => {
  for (const r of opened.splice(0)) await r.quit();
  await removeWorkdirs();
});

/** The first JSON block of the README's "Program parts" section, with every port set to 0. */
function readmeProgram(): { parts: Record<string, unknown>[] } {
  const readme = readFileSync(resolve(__dirname, "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Program parts"));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error("no JSON example in the README's Program parts section");
  const program = JSON.parse(block) as { parts: Record<string, unknown>[] };
  for (const part of program.parts) if ("port" in part) part.port = 0;
  return program;
}

describe("the README's example program", () => {
  it("loads with its histories as extra files, runs every part kind, and stops with the history on disk", async () => {
    const program = readmeProgram();
    expect(program.parts.map((p) => p.kind).sort()).toEqual([
      "enip",
      "historize",
      "modbus",
      "modbus-poller",
      "playback",
      "playback",
    ]);
    const dir = await workdir();
    const t0 = 1_700_000_000;
    const speed = Buffer.from(
      formatRecord(t0, ["Speed", [0, 0]], { write: [1.5] }) +
        formatRecord(t0 + 0.01, ["Speed", [0, 0]], { write: [2.5] }),
    );
    const pumpsFile = join(dir, "pumps.hst.gz");
    const pumps = new HistoryWriter(pumpsFile);
    await pumps.write({ "40001": 11, "40002": 22 }, { now: t0 });
    await pumps.write({ "40003": 33 }, { now: t0 + 0.01 });
    await pumps.close();

    const runtime = await RuntimeObject.open({ workdir: join(dir, "work") });
    opened.push(runtime);
    const blob = async (bytes: Uint8Array): Promise<string> =>
      (await runtime.AppendChunkToBlob(bytes, await runtime.SeedBlob(new Uint8Array(0)))) as string;
    const bytes = programBytes(program);
    const extras: [string, string][] = [
      ["speed.hst", await blob(speed)],
      ["pumps.hst.gz", await blob(await readFile(pumpsFile))],
    ];
    expect(await runtime.NewPLC(md5(bytes), await blob(bytes), extras)).toBe(true);
    expect(await runtime.StartPLC()).toBe(true);
    // The pump profile plays into the modbus part; the gateway polls it and mirrors it into SCADA.
    const expected = [[11, 22, 33, 0, 0, 0, 0, 0, 0, 0], [11, 22, 33, 0, 0, 0, 0, 0, 0, 0], true];
    const names = ["gateway.40001-40010", "plc.SCADA", "gateway.online"];
    expect(await traceUntil(runtime, names, expected)).toEqual(expected);
    const client = await EnipClient.connect({
      host: "127.0.0.1",
      port: (await partPorts(runtime)).get("plc") as number,
      routePath: false,
    });
    expect((await client.read("SCADA[0]", { elements: 3 })).value).toEqual([11, 22, 33]);
    await client.close();
    expect(await runtime.StopPLC()).toBe(true);
    const recorded = gunzipSync(await readFile(join(dir, "work", "history", "plc.hst.gz"))).toString("utf8");
    expect(recorded).toContain('["SCADA", [0, 2]]\t{"read": [11, 22, 33]}');
  });
});
