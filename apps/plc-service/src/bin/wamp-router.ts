/** The `wamp-router` executable: runs `main` with the real process's argv, streams and signals. */
import { main } from "../router-main.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
});
