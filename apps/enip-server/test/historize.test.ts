/**
 * `enip-server --historize PATH`: the real server records every tag read and write of a real client (the
 * enip-client executable) in cpppo's historize format, and `cpppo-history cat` reads the file back.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { killExecutables, startExecutable } from "./support/executable.js";

/** How long a client run, a cat or a shutdown may take on a loaded machine. */
const WAIT_MS = 30_000;
// Four processes start tsx in turn: each wait has its own deadline, the test as a whole this one.
jest.setTimeout(4 * WAIT_MS);

/** Runs another app's executable from source in its own folder; resolves with its exit status and output. */
function runApp(
  app: string,
  bin: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = resolve(__dirname, "..", "..", app);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", `src/bin/${bin}.ts`, ...args],
    {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${bin} ${args.join(" ")} did not exit within ${WAIT_MS} ms; stderr ${stderr}`));
    }, WAIT_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "enip-historize-"));
});
afterEach(() => {
  killExecutables();
  rmSync(dir, { recursive: true, force: true });
});

describe("enip-server --historize", () => {
  it("records a client's writes and reads in cpppo's historize format; cpppo-history cat reads them", async () => {
    const path = join(dir, "plc.hst.gz");
    const server = await startExecutable([
      "-U",
      "--no-config",
      "--historize",
      path,
      "SCADA=INT[10]",
      "Speed=REAL",
    ]);
    const client = await runApp("enip-client", "enip-client", [
      "-a",
      `127.0.0.1:${server.port}`,
      "SCADA[0-3]=(INT)0,1,2,3",
      "SCADA[1-2]",
      "Speed=(REAL)1.5",
      "Speed",
    ]);
    expect(client.code).toBe(0);
    server.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      server.exited,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error("no exit after SIGTERM")), WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(exit.code).toBe(0);

    // The file, as cpppo writes it: comments before each tag's first record, Python's JSON spacing.
    const lines = gunzipSync(readFileSync(path))
      .toString()
      .split("\n")
      .filter((l) => l !== "");
    const shape = lines.map((l) => l.replace(/^(# )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/, "$1<ts>"));
    expect(shape).toEqual([
      "# <ts>: Started recording Tag: SCADA",
      '<ts>\t["SCADA", [0, 3]]\t{"write": [0, 1, 2, 3]}',
      '<ts>\t["SCADA", [1, 2]]\t{"read": [1, 2]}',
      "# <ts>: Started recording Tag: Speed",
      '<ts>\t["Speed", [0, 0]]\t{"write": [1.5]}',
      '<ts>\t["Speed", [0, 0]]\t{"read": [1.5]}',
    ]);

    const cat = await runApp("cpppo-history", "cpppo-history", ["cat", path]);
    expect(cat.stderr).toBe("");
    expect(cat.code).toBe(0);
    expect(
      cat.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => l.replace(/^[\d :.-]{23}/, "<ts>")),
    ).toEqual([
      '<ts>\t["SCADA",[0,3]]\t{"write":[0,1,2,3]}',
      '<ts>\t["SCADA",[1,2]]\t{"read":[1,2]}',
      '<ts>\t["Speed",[0,0]]\t{"write":[1.5]}',
      '<ts>\t["Speed",[0,0]]\t{"read":[1.5]}',
    ]);
    // The times are when the server served each access: in order, and today.
    const times = cat.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => Date.parse(`${l.slice(0, 23).replace(" ", "T")}Z`));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Math.abs((times[0] as number) - Date.now())).toBeLessThan(5 * 60_000);
  });

  it("a .bz2 PATH (not writable) is a usage error: one line, exit 2", async () => {
    const run = await runApp("enip-server", "enip-server", [
      "--no-config",
      "--historize",
      join(dir, "x.hst.bz2"),
      "A=INT",
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^enip-server: --historize .*x\.hst\.bz2: [^\n]*bz2[^\n]*\n$/);
  });
});
