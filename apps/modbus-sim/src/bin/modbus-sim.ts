/** The `modbus-sim` executable: runs `main` with the real process's argv, streams and signals. */
import { main } from "../main.js";

/** How long the process may linger once `main` has returned before it exits anyway. */
const LINGER_MS = 2_000;

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  signals: process,
});
// `main` has closed every listener, connection and port it opened; should a handle still hold the event loop
// (a peer's socket the kernel keeps), the simulator must not outlive its stop.
setTimeout(() => process.exit(), LINGER_MS).unref();
