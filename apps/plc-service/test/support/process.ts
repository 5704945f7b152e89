/** The app's executables run from source with tsx, as the process-level tests start them. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** How long a start, an exit or a line may take before the test fails. */
export const WAIT_MS = 30_000;

/** The app directory: executables are `src/bin/<name>.ts` under it. */
export const APP_DIR = resolve(__dirname, "..", "..");

/** `node --import tsx --conditions=@cpppo/source src/bin/<bin>.ts`. */
export function binCommand(bin: string): string[] {
  return [
    process.execPath,
    "--import",
    "tsx",
    "--conditions=@cpppo/source",
    join(APP_DIR, "src", "bin", `${bin}.ts`),
  ];
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** Kills every child still running and removes temporary dirs (for an afterEach). */
export async function cleanup(): Promise<void> {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** A fresh temporary directory. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "plc-service-test-"));
  dirs.push(d);
  return d;
}

/** A running executable: its output so far, a line waiter, and how it ended. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves the first match of `re` on stdout (or stderr with `which`). */
  waitFor(re: RegExp, which?: "stdout" | "stderr"): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `bin` with `args` (stdin a pipe). */
export function run(bin: string, args: string[]): Running {
  const [cmd, ...lead] = binCommand(bin);
  const child = spawn(cmd as string, [...lead, ...args], { cwd: APP_DIR, stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  const text = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c: Buffer) => {
    text.stdout += c.toString();
    child.emit("text");
  });
  child.stderr?.on("data", (c: Buffer) => {
    text.stderr += c.toString();
    child.emit("text");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once("exit", (code, signal) => {
      // Output still in the pipes arrives before "close".
      child.once("close", () => ok({ code, signal }));
    }),
  );
  const waitFor = (re: RegExp, which: "stdout" | "stderr" = "stdout") =>
    new Promise<RegExpExecArray>((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no ${re} on ${which}: ${text[which]} / ${text.stderr}`)),
        WAIT_MS,
      );
      const check = (): void => {
        const m = re.exec(text[which]);
        if (!m) return;
        clearTimeout(timer);
        child.off("text", check);
        ok(m);
      };
      child.on("text", check);
      check();
      void exited.then(() => {
        check();
        clearTimeout(timer);
        fail(new Error(`exited before ${re} on ${which}: ${text.stdout} / ${text.stderr}`));
      });
    });
  return { child, stdout: () => text.stdout, stderr: () => text.stderr, waitFor, exited };
}

/** Resolves how the process exited, failing after WAIT_MS. */
export function exitOf(r: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    r.exited,
    new Promise<never>((_, fail) =>
      setTimeout(() => fail(new Error(`did not exit: ${r.stderr()}`)), WAIT_MS).unref(),
    ),
  ]);
}

/** Runs `bin` to its end; resolves its exit code and output. */
export async function runToEnd(
  bin: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = run(bin, args);
  r.child.stdin?.end();
  const { code } = await exitOf(r);
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Resolves true when 127.0.0.1:`port` accepts a TCP connection, false when refused (5 s deadline). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      ok(false);
    }, 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      ok(true);
    });
    socket.once("error", () => {
      clearTimeout(timer);
      ok(false);
    });
  });
}

/** The ports the service's parts logged on stderr (`part NAME KIND listening on HOST:PORT`). */
export function partPorts(stderr: string): number[] {
  return [...stderr.matchAll(/part \S+ \w+ listening on [^:\s]+:(\d+)/g)].map((m) => Number(m[1]));
}

/** The index of each of `events` (`event stopped` …) in the service's stderr, in order; -1 when missing. */
export function eventOrder(stderr: string, events: string[]): number[] {
  return events.map((e) => stderr.indexOf(`plc-service: event ${e}`));
}
