/**
 * The real peers the interop tests run (Debian's mbpoll, libmodbus, pymodbus, socat, openssl, tshark): whether
 * each is installed, a `describe` that skips without it (and fails under CI, where scripts/bootstrap.sh installs
 * it), and running one to its exit with a deadline.
 */
import { execFile, execFileSync } from "node:child_process";

/** How long one peer run may take before the test fails. */
export const PEER_MS = 20_000;

/** True when `process.env.CI` is set to anything but "", "0" or "false". */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** True when `command ...args` runs and exits 0 (checked once per file and command). */
const known = new Map<string, boolean>();
export function runs(command: string, args: string[]): boolean {
  const key = [command, ...args].join(" ");
  let ok = known.get(key);
  if (ok === undefined) {
    try {
      execFileSync(command, args, { stdio: "ignore", timeout: 30_000 });
      ok = true;
    } catch {
      ok = false;
    }
    known.set(key, ok);
  }
  return ok;
}

/**
 * A `describe` for tests that need peers: `missing()` names what is absent (or undefined when all is there).
 * Missing outside CI, the suite is skipped with the reason in its name; under CI, one failing test says so.
 */
export function describeWithPeers(name: string, missing: () => string | undefined, body: () => void): void {
  const absent = missing();
  if (absent === undefined) describe(name, body);
  else if (isCi())
    describe(name, () => {
      it(`needs ${absent}, which CI installs (scripts/bootstrap.sh): it is missing`, () => {
        throw new Error(`${absent} is missing, but CI must have it: check scripts/bootstrap.sh`);
      });
    });
  else describe.skip(`${name} [skipped: ${absent} is not installed]`, body);
}

/** What a peer run printed and how it exited. */
export interface PeerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command ...args` to its exit within PEER_MS; a non-zero status resolves too (tests assert on it). */
export function runPeer(command: string, args: string[], options: { input?: string } = {}): Promise<PeerRun> {
  return new Promise((ok, fail) => {
    const child = execFile(command, args, { timeout: PEER_MS, encoding: "utf8" }, (err, stdout, stderr) => {
      // A non-zero exit carries its status as a number `code`; a spawn failure or the timeout does not.
      const e = err as { killed?: boolean; code?: unknown; message: string } | null;
      if (e && (e.killed || typeof e.code !== "number"))
        fail(new Error(`${command} ${args.join(" ")}: ${e.message}; stdout ${stdout}; stderr ${stderr}`));
      else ok({ code: typeof e?.code === "number" ? e.code : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Each `[N]: \tvalue` line of mbpoll's output as [N, value text]. */
export function mbpollValues(stdout: string): [number, string][] {
  return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => [Number(m[1]), m[2] as string]);
}
