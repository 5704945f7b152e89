/**
 * Test helpers: an in-process simulator on 127.0.0.1 port 0, and a runner that calls a CLI's `main` with captured
 * stdout/stderr (and optional stdin lines), as the real binaries would run.
 */
// The app has no dependency on the simulator package yet, so the tests reach its source directly.
import { Controller, EnipServer } from "@cpppo/enip-server";
import type { CliIo } from "../src/cli.js";

/** A running simulator and the `-a` text that reaches it. */
export interface Simulator {
  server: EnipServer;
  controller: Controller;
  port: number;
  address: string;
}

/** Starts a simulator with `tags` (cpppo's tag definitions, e.g. "SCADA=INT[1000]"). */
export async function startSimulator(
  tags: string[],
  options: { routePath?: false } = {},
): Promise<Simulator> {
  const controller = new Controller({ tags });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, ...options });
  const port = (server.tcpAddress as { port: number }).port;
  return { server, controller, port, address: `127.0.0.1:${port}` };
}

/** What a CLI run printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

/** Runs `main(argv)` with captured output; `stdin` lines are fed to the `-` argument; `tty` makes stdout a terminal. */
export async function run(
  main: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  options: { stdin?: string[]; tty?: boolean; signal?: AbortSignal } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: options.tty ?? false },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {
      for (const line of options.stdin ?? []) yield `${line}\n`;
    })(),
    ...(options.signal && { signal: options.signal }),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, lines: stdout.split("\n").filter((l) => l !== "") };
}
