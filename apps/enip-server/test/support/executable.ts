/** The enip-server executable run from source with tsx on 127.0.0.1:0, as the process-level tests start it. */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

/** How long a start or a stderr line may take before the test fails. */
const WAIT_MS = 20_000;

/** A running executable: its port (from the `-A` address line), its stderr so far, and how it ended. */
export interface Cli {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  /** Resolves once stderr has matched `re`. */
  waitErr: (re: RegExp) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children: ChildProcess[] = [];

/** Kills (SIGKILL) every executable started and still running: for an `afterEach`. */
export function killExecutables(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** Starts `enip-server -a 127.0.0.1:0 -A ...args` and resolves once it prints its TCP address. */
export async function startExecutable(args: string[]): Promise<Cli> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@cpppo/source",
      "src/bin/enip-server.ts",
      "-a",
      "127.0.0.1:0",
      "-A",
      ...args,
    ],
    { cwd: resolve(__dirname, "..", ".."), stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  let err = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((ok) =>
    child.once("exit", (code, signal) => ok({ code, signal, at: Date.now() })),
  );
  const address = /Network TCP Server address = \('127\.0\.0\.1', (\d+)\)/;
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no address line; stdout ${out}; stderr ${err}`)), WAIT_MS);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = address.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      child.emit("stderr-text");
    });
    void exited.then(() => fail(new Error(`exited early; stderr ${err}`)));
  });
  const waitErr = (re: RegExp) =>
    new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${re} on stderr: ${err}`)), WAIT_MS);
      const check = () => {
        if (!re.test(err)) return;
        clearTimeout(timer);
        child.off("stderr-text", check);
        ok();
      };
      child.on("stderr-text", check);
      check();
    });
  return { child, port, stderr: () => err, waitErr, exited };
}
