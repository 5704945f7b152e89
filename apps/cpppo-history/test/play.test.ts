/** `cpppo-history play`: records at the historical pace (scaled by --speed), --since, --loop, stopped by a signal. */
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "../src/main.js";
import { DEADLINE_MS, runMain, tempDir } from "./support/cli.js";

// Process-level runs start tsx, slow on a loaded machine: each run has its own deadline (DEADLINE_MS).
jest.setTimeout(120_000);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Records 0.4 s apart (historical time). */
const LINES = [
  '2014-07-15 22:03:44.000\t["A", [0, 0]]\t{"read": [1]}',
  '2014-07-15 22:03:44.400\t["A", [0, 0]]\t{"read": [2]}',
  '2014-07-15 22:03:44.800\t["A", [0, 0]]\t{"read": [3]}',
];
const PRINTED = [
  '2014-07-15 22:03:44.000\t["A",[0,0]]\t{"read":[1]}',
  '2014-07-15 22:03:44.400\t["A",[0,0]]\t{"read":[2]}',
  '2014-07-15 22:03:44.800\t["A",[0,0]]\t{"read":[3]}',
];

describe("cpppo-history play", () => {
  it("prints each record when its time comes: 0.8 s of history at --speed 2 takes at least 0.4 s", async () => {
    const path = tmp.path("a.hst");
    writeFileSync(path, `${LINES.join("\n")}\n`);
    const times: number[] = [];
    let stdout = "";
    const started = performance.now();
    const code = await main(["play", "--speed", "2", path], {
      stdout: {
        write: (t: string) => {
          stdout += t;
          times.push(performance.now() - started);
        },
      },
      stderr: { write: () => true },
    });
    expect(code).toBe(0);
    expect(stdout).toBe(`${PRINTED.join("\n")}\n`);
    // Lower bounds only, from the start of the run (the historical clock starts then): late is possible, early not.
    expect(times).toHaveLength(3);
    expect(times[1]).toBeGreaterThanOrEqual(195);
    expect(times[2]).toBeGreaterThanOrEqual(395);
  });

  it("--since starts at that time; a fast speed plays at once", async () => {
    const path = tmp.path("a.hst");
    writeFileSync(path, `${LINES.join("\n")}\n`);
    const run = await runMain(["play", "--speed", "1000", "--since", "2014-07-15 22:03:44.2", path]);
    expect([run.code, run.stdout]).toEqual([0, `${PRINTED.slice(1).join("\n")}\n`]);
  });

  it("--loop plays again from the start until SIGTERM, then exits 0 (process)", async () => {
    const path = tmp.path("a.hst");
    writeFileSync(path, `${LINES.join("\n")}\n`);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@cpppo/source",
        "src/bin/cpppo-history.ts",
        "play",
        "--speed",
        "20",
        "--loop",
        path,
      ],
      { cwd: resolve(__dirname, ".."), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((ok) => child.once("close", (code) => ok(code)));
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`only ${JSON.stringify(stdout)}; stderr ${stderr}`)),
          DEADLINE_MS,
        );
        child.stdout.on("data", (c: Buffer) => {
          stdout += c.toString();
          if (stdout.split("\n").length > 7) {
            clearTimeout(timer);
            ok();
          }
        });
      });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const lines = stdout.split("\n").filter((l) => l !== "");
    expect(lines.slice(0, 7)).toEqual([...PRINTED, ...PRINTED, PRINTED[0]]);
    expect(stderr).toBe("");
  });

  it("stops at a signal while waiting for the next record", async () => {
    const path = tmp.path("slow.hst");
    writeFileSync(path, `${LINES[0]}\n2014-07-15 23:03:44.000\tnull\t1\n`);
    const signals = new EventEmitter();
    let stdout = "";
    const done = main(["play", path], {
      stdout: {
        write: (t: string) => {
          stdout += t;
          setImmediate(() => signals.emit("SIGINT"));
        },
      },
      stderr: { write: () => true },
      signals,
    });
    expect(await done).toBe(0);
    expect(stdout).toBe(`${PRINTED[0]}\n`);
  });

  it.each([
    [["play", "--speed", "0", "x"], /--speed "0"/],
    [["play", "--speed", "fast", "x"], /--speed "fast"/],
    [["play", "--since", "2014-07-15 25:00:00", "x"], /--since/],
    [["play", "nothing.hst"], /nothing\.hst/],
  ])("%j: one line naming what and why, exit 2", async (args, named) => {
    const run = await runMain(args, { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^cpppo-history play: [^\n]+\n$/);
    expect(run.stderr).toMatch(named);
  });
});
