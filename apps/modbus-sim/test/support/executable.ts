/** The modbus-sim executable run from source with tsx, as the process-level tests start it. */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

/** How long a start, an output line or an exit may take before the test fails. */
export const WAIT_MS = 20_000;

/** The app's folder (the executables' working directory). */
export const APP_DIR = resolve(__dirname, "..", "..");

/** How a run ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** A running executable: its pid and address from the Success line, its output so far, and how it ended. */
export interface Cli {
  child: ChildProcess;
  /** The PID the Success line reports. */
  pid: number;
  /** The TCP port of the Success line; 0 for a serial device. */
  port: number;
  /** The address text of the Success line (`127.0.0.1:5020`, `[::1]:5020`, `/dev/pts/3`). */
  address: string;
  /** The Success line itself. */
  line: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr has matched `re`; rejects after WAIT_MS. */
  waitErr: (re: RegExp) => Promise<void>;
  exited: Promise<Exit>;
}

const children: ChildProcess[] = [];

/** Kills (SIGKILL) every executable started and still running: for an `afterEach`. */
export function killExecutables(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** The command that runs modbus-sim from source: node, its flags, the entry. */
export function executableCommand(): [string, string[]] {
  return [process.execPath, ["--import", "tsx", "--conditions=@cpppo/source", "src/bin/modbus-sim.ts"]];
}

/** Runs modbus-sim with `args` to its exit (for bad command lines): its status and output. */
export function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [node, flags] = executableCommand();
  const child = spawn(node, [...flags, ...args], { cwd: APP_DIR, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`modbus-sim ${args.join(" ")} did not exit`)), WAIT_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

const SUCCESS = /^Success; Started Modbus\/(?:TCP|RTU) Simulator; PID = (\d+); address = (.+)$/m;

/**
 * Starts `modbus-sim ...args` (give `-a 127.0.0.1:0` or a device) and resolves once it prints its Success line,
 * with the port parsed from it; rejects when it exits first or after WAIT_MS.
 */
export async function startExecutable(args: string[]): Promise<Cli> {
  const [node, flags] = executableCommand();
  const child = spawn(node, [...flags, ...args], { cwd: APP_DIR, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  const exited = new Promise<Exit>((ok) =>
    child.once("exit", (code, signal) => ok({ code, signal, at: Date.now() })),
  );
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
    child.emit("stderr-text");
  });
  const match = await new Promise<RegExpExecArray>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no Success line; stdout ${out}; stderr ${err}`)), WAIT_MS);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = SUCCESS.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      fail(new Error(`exited early (${e.code ?? e.signal}); stdout ${out}; stderr ${err}`));
    });
  });
  const address = match[2] as string;
  const port = /:(\d+)$/.exec(address);
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
  return {
    child,
    pid: Number(match[1]),
    port: port && !address.startsWith("/") ? Number(port[1]) : 0,
    address,
    line: match[0],
    stdout: () => out,
    stderr: () => err,
    waitErr,
    exited,
  };
}

/** How the CLI exited, or "still running" once `ms` have passed. */
export async function exitWithin(cli: Cli, ms: number): Promise<Exit | "still running"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      cli.exited,
      new Promise<"still running">((ok) => {
        timer = setTimeout(() => ok("still running"), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
