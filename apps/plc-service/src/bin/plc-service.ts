/** The `plc-service` executable: runs `main` with the real process's argv, streams, stdin and signals. */
import { main } from "../service-main.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  signals: process,
  stdin: process.stdin,
});
// A program part that never let go of its handles (a stop past its deadline) must not keep the process alive.
setTimeout(() => process.exit(), 10_000).unref();
