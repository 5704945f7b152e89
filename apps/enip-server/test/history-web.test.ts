/**
 * `enip-server -w --historize PATH` (in-process): the web API's `/api/history` reads the records the server writes
 * for a real EtherNet/IP client's writes, with the time axis in this machine's zone; without --historize it is a 404.
 */
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HistoryReply } from "@cpppo/enip-server";
import { localZone } from "@cpppo/history";
import { EnipClient } from "../../../packages/enip-client/src/index.js";
import { main } from "../src/main.js";
import { DEADLINE_MS, Sink } from "./support/sink.js";

describe("enip-server -w --historize", () => {
  let workDir: string;
  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), "enip-server-history-web-"));
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const run = (args: string[]) => {
    const stdout = new Sink();
    const signals = new EventEmitter();
    const exit = main(["-a", "127.0.0.1:0", "-A", "-w", "127.0.0.1:0", ...args, "SCADA=INT[10]"], {
      stdout,
      stderr: new Sink(),
      env: {},
      cwd: workDir,
      home: workDir,
      systemDir: workDir,
      signals,
    });
    return { stdout, signals, exit };
  };

  it("serves the recorded writes of a tag at /api/history", async () => {
    const { stdout, signals, exit } = run(["--historize", join(workDir, "plc.hst")]);
    let client: EnipClient | undefined;
    try {
      const enip = Number((await stdout.waitFor(/TCP Server address = \('127\.0\.0\.1', (\d+)\)/))[1]);
      const web = Number((await stdout.waitFor(/Web API address = \('127\.0\.0\.1', (\d+)\)/))[1]);
      client = await EnipClient.connect({ host: "127.0.0.1", port: enip });
      for (const v of [11, 22, 33])
        expect((await client.write("SCADA[2]", [v], { type: "INT" })).ok).toBe(true);
      const res = await fetch(`http://127.0.0.1:${web}/api/history?tag=${encodeURIComponent("SCADA[2]")}`, {
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as HistoryReply;
      // The writer's buffered records are flushed before the read: every write is counted. A time bucket keeps its
      // first, lowest and highest values, so the first and the last (highest) write are always among the points.
      expect(body.samples).toBe(3);
      expect(body.series.map((s) => s.name)).toEqual(["SCADA[2]"]);
      const values = body.series[0]?.values ?? [];
      expect(values[0]).toBe(11);
      expect(values.at(-1)).toBe(33);
      expect([11, 22, 33]).toEqual(expect.arrayContaining(values));
      expect(body.zone.name).toBe(localZone());
    } finally {
      await client?.close().catch(() => undefined);
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
    }
  });

  it("answers 404 at /api/history when it does not historize", async () => {
    const { stdout, signals, exit } = run([]);
    try {
      const web = Number((await stdout.waitFor(/Web API address = \('127\.0\.0\.1', (\d+)\)/))[1]);
      const res = await fetch(`http://127.0.0.1:${web}/api/history?tag=SCADA`, {
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      expect(res.status).toBe(404);
      expect(await res.text()).toMatch(/--historize PATH/);
    } finally {
      signals.emit("SIGINT");
      expect(await exit).toBe(0);
    }
  });
});
