// Fuzz script: ≥ 1M mutated real frames against an EnipServer in a child process, over several TCP
// connections and some UDP, while a watcher keeps writing and reading a tag on its own connection
// (`pnpm --filter @cpppo/enip-server fuzz [frames] [seed] [connections]`). Prints the server's RSS as it
// goes and one summary line; exits 1 if the server crashed, the watcher saw any error or wrong value,
// a fuzzer failed, or the server's RSS went above the bound.
import { FUZZ_TAGS, fuzzServer } from "./fuzz-engine.js";
import { startServerChild } from "./server-child.js";

/** The server's RSS may not exceed this, at any sample. */
const RSS_BOUND_MB = 400;

const frames = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
const connections = Number(process.argv[4] ?? 4);
if (![frames, seed, connections].every(Number.isInteger) || frames <= 0 || connections <= 0) {
  console.error("usage: fuzz [frames (default 1000000)] [seed] [connections (default 4)]");
  process.exit(2);
}

const mb = (bytes: number): string => (bytes / 1048576).toFixed(0);
const child = await startServerChild({ tags: [...FUZZ_TAGS], exampleSensor: true, udp: true });
const startRss = child.ready.rss;
let peakRss = startRss;
let lastRss = startRss;
const report = await fuzzServer(
  { host: "127.0.0.1", tcpPort: child.ready.tcpPort, udpPort: child.ready.udpPort },
  {
    frames,
    seed,
    connections,
    onProgress: (sent) => {
      void child
        .rss()
        .then((rss) => {
          lastRss = rss;
          peakRss = Math.max(peakRss, rss);
          console.log(`# ${sent} frames sent; server rss ${mb(rss)} MB`);
        })
        .catch(() => undefined);
    },
  },
);
const alive = child.alive();
if (alive) {
  lastRss = await child.rss();
  peakRss = Math.max(peakRss, lastRss);
}
const exitCode = await child.close();
const crashed = !alive || exitCode !== 0;
const ok =
  !crashed &&
  report.watcherErrors.length === 0 &&
  report.failures.length === 0 &&
  peakRss < RSS_BOUND_MB * 1048576;
console.log(
  `fuzz ${ok ? "ok" : "FAILED"} seed=${seed} frames=${report.frames} tcp=${report.tcpFrames} udp=${report.udpFrames} ` +
    `tcp-replies=${report.tcpReplies} udp-replies=${report.udpReplies} connections=${report.connections} ` +
    `closed-by-server=${report.closedByServer} sync-timeouts=${report.syncTimeouts} ` +
    `watcher-reads=${report.watcherReads} watcher-errors=${report.watcherErrors.length} ` +
    `crashed=${crashed} server-rss start=${mb(startRss)}MB peak=${mb(peakRss)}MB end=${mb(lastRss)}MB ` +
    `(bound ${RSS_BOUND_MB}MB) in ${(report.ms / 1000).toFixed(1)}s`,
);
for (const e of report.watcherErrors) console.log(`WATCHER ${e}`);
for (const f of report.failures) console.log(`FAIL ${f}`);
process.exit(ok ? 0 : 1);
