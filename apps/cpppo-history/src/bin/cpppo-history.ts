/** The `cpppo-history` executable: runs `main` with the real process's argv, streams and signals. */
import { main } from "../main.js";

// A reader that went away (`cpppo-history cat … | head`) ends the output, not the process with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  signals: process,
});
