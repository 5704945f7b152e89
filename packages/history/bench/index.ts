// Benchmarks of @cpppo/history; prints `BENCH history.<figure> <value> <unit>` lines (see BENCHMARKS.md).
// `pnpm --filter @cpppo/history bench [figure-prefix]` runs all figures, or those starting with the prefix.
import { printMachine } from "@cpppo/bench-kit";
import { benchFiles } from "./files.js";
import { benchPlayback } from "./playback.js";
import { benchTime } from "./time.js";

const only = (process.argv[2] ?? "").replace(/^history\./, "");

printMachine();
benchTime(only);
await benchFiles(only);
await benchPlayback(only);
