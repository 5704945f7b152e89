// The soak campaign script (bench/soak.ts) at a tiny scale, so that it cannot rot: every phase runs against its own
// server child on 127.0.0.1 and the script must report each phase's figures, no crash and no client error.
import { spawn } from "node:child_process";
import { join } from "node:path";

const PACKAGE = join(__dirname, "..");
const DEADLINE_MS = 28_000;

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@cpppo/source", "--import", "tsx", join("bench", "soak.ts"), ...args],
      { cwd: PACKAGE, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the soak script did not finish within ${DEADLINE_MS} ms:\n${stdout}\n${stderr}`));
    }, DEADLINE_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The value of `BENCH <figure> <value> <unit>`, or undefined when the line is missing. */
function bench(stdout: string, figure: string): number | undefined {
  const m = new RegExp(`^BENCH ${figure.replace(/\./g, "\\.")} (\\S+) `, "m").exec(stdout);
  return m ? Number(m[1]) : undefined;
}

describe("soak campaign script (issue 10, item 11)", () => {
  it("runs every phase at a tiny scale and reports no crash and no client error", async () => {
    const { code, stdout, stderr } = await runSoak([
      "--frames",
      "3000",
      "--sessions",
      "20",
      "--minutes",
      "0.04",
      "--storm-seconds",
      "0.8",
      "--read-ms",
      "200",
      "--flood-seconds",
      "1",
      "--idle-sockets",
      "120",
      "--max-connections",
      "100",
      "--half-frames",
      "40",
      "--baseline-seconds",
      "0.5",
      "--client-here",
    ]);
    if (code !== 0) throw new Error(`soak exited ${code}:\n${stdout}\n${stderr}`);
    expect(stdout).toMatch(/^soak ok: /m);
    for (const phase of ["frames", "sessions", "idle-flood", "half-frame-flood"]) {
      const p = `enip-server.soak.${phase}`;
      expect(bench(stdout, `${p}.crashes`)).toBe(0);
      expect(bench(stdout, `${p}.client-errors`)).toBe(0);
      expect(bench(stdout, `${p}.other-client-errors`)).toBe(0);
      expect(bench(stdout, `${p}.peak-rss`)).toBeGreaterThan(0);
      expect(bench(stdout, `${p}.baseline-p99`)).toBeGreaterThan(0);
      expect(bench(stdout, `${p}.attack-p99`)).toBeGreaterThan(0);
      expect(bench(stdout, `${p}.rate`)).toBeGreaterThan(0);
      expect(stdout).toMatch(new RegExp(`^\\| ${phase} +\\| 0 +\\| 0 +\\| 0 +\\|`, "m"));
    }
    // The mutated frames drew error replies, the sessions stormed, and the idle flood passed the cap of 100.
    expect(bench(stdout, "enip-server.soak.frames.refusals")).toBeGreaterThan(0);
    expect(stdout).toMatch(/^# frames: 3000 frames /m);
    expect(stdout).toMatch(/^# sessions: 20 sessions, [1-9]\d* storms, /m);
    expect(bench(stdout, "enip-server.soak.idle-flood.refusals")).toBeGreaterThan(0);
  }, 30_000);

  it("refuses an unknown phase with a one-line reason and exit 2", async () => {
    const { code, stderr } = await runSoak(["--phase", "nope"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^soak: no phase "nope"; the phases are frames, sessions, idle-flood, half-frame-flood/,
    );
  }, 30_000);
});
