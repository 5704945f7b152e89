/** Runs cpppo-history: as a real process from source (tsx), or its `main` in-process with captured streams. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/main.js";

/** How long a run may take before the test fails (a loaded 2-core machine starts tsx slowly). */
export const DEADLINE_MS = 30_000;

/** What a run printed and how it ended. */
export interface Run {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of a run: text for stdin, extra environment (TZ), the working directory. */
export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs the `cpppo-history` executable with `args`; rejects when it has not exited within the deadline. */
export function runProcess(args: string[], options: RunOptions = {}): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@cpppo/source",
      resolve(__dirname, "../../src/bin/cpppo-history.ts"),
      ...args,
    ],
    {
      cwd: options.cwd ?? resolve(__dirname, "../.."),
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
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
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin ?? "");
  return new Promise<Run>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(
        new Error(`cpppo-history ${args.join(" ")} did not exit within ${DEADLINE_MS} ms; stderr ${stderr}`),
      );
    }, DEADLINE_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      // The streams may still hold data after "exit": wait for them to close.
      child.once("close", () => ok({ code, signal, stdout, stderr }));
    });
  });
}

/** Runs `main(args)` in-process with captured stdout and stderr, and `stdin` as its standard input. */
export async function runMain(args: string[], options: RunOptions = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {
      if (options.stdin) yield options.stdin;
    })(),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "cpppo-history-"));
  return {
    dir,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
