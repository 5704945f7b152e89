// Fuzz script: mutated real ADUs through every decoder and both framers
// (`pnpm --filter @cpppo/modbus-codec fuzz [cases] [seed]`). Exits 1 on any error other than the codec's typed
// ones, or on a decoded value that does not re-encode to itself.
import { fuzz } from "../test/support/fuzz.js";

const cases = Number(process.argv[2] ?? 200_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  console.error("usage: fuzz [cases (default 200000)] [seed]");
  process.exit(2);
}
const started = performance.now();
const report = fuzz(cases, seed);
const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz seed=${seed} cases=${report.cases} (x6 targets) decoded=${report.decoded} refused=${report.refused} ` +
    `failures=${report.failures.length} in ${seconds.toFixed(1)}s`,
);
for (const f of report.failures.slice(0, 20)) console.log(`FAIL ${f}`);
process.exit(report.failures.length > 0 ? 1 : 0);
