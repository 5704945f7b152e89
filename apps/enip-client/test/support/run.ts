/** Runs a CLI's `main` in-process with captured stdout/stderr (and optional stdin lines), as the real binaries would. */
import type { CliIo } from "../../src/cli.js";

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
