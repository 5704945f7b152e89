// Fuzz script: ≥ 1M mutated real frames through every decoder and the framer (`pnpm --filter @cpppo/cip-codec fuzz [cases] [seed]`).
// Exits 1 on any exception other than CipDecodeError, or on a case slower than 100 ms.
import { fuzz } from "../test/support/fuzz.js";

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  console.error("usage: fuzz [cases (default 1000000)] [seed]");
  process.exit(2);
}
const started = performance.now();
let peakRss = 0;
const timer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);
const report = fuzz(cases, seed, 100);
clearInterval(timer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz seed=${seed} cases=${report.cases} values=${report.values} decode-errors=${report.decodeErrors} ` +
    `failures=${report.failures.length} slowest=${report.slowest.ms.toFixed(1)}ms (${report.slowest.target}) ` +
    `peak-rss=${(peakRss / 1048576).toFixed(0)}MB in ${seconds.toFixed(1)}s`,
);
for (const f of report.failures) console.log(`FAIL ${f.target} ${f.hex}\n${f.error}`);
if (report.slowest.hex) console.log(`SLOW ${report.slowest.target} ${report.slowest.hex}`);
process.exit(report.failures.length > 0 || report.slowest.ms > 100 ? 1 : 0);
