// Fuzz script: mutated real-shaped ADUs at a ModbusServer while a normal client writes and reads
// (`pnpm --filter @cpppo/modbus-server fuzz [requests] [seed]`); see bench/fuzz-engine.ts for the checks. Prints one
// summary line; exits 1 on any failed check, any error of the normal client, or a server that stopped answering.
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";
import { FUZZ_RANGES, FUZZ_UNIT, fuzzServer, NORMAL_RANGES, NORMAL_UNIT } from "./fuzz-engine.js";

const requests = Number(process.argv[2] ?? 200_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
if (![requests, seed].every(Number.isInteger) || requests < 50) {
  console.error("usage: fuzz [requests (default 200000, at least 50)] [seed]");
  process.exit(2);
}
const server = new ModbusServer({
  units: new Map([
    [NORMAL_UNIT, ModbusStore.fromRanges(parseRegisterRanges(NORMAL_RANGES))],
    [FUZZ_UNIT, ModbusStore.fromRanges(parseRegisterRanges(FUZZ_RANGES))],
  ]),
  partialFrameTimeout: 1,
});
const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
const started = performance.now();
const report = await fuzzServer(listener.port, {
  batches: Math.floor(requests / 50),
  rawRounds: Math.max(1, Math.floor(requests / 5000)),
  seed,
});
await server.close({ deadlineMs: 1000 });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const ok = report.failure === undefined && report.answered === report.sent && report.normalErrors === 0;
console.log(
  `fuzz seed ${seed}: ${report.answered}/${report.sent} mutated requests answered correctly, raw ADUs ${JSON.stringify(report.raw)}, normal client ${report.normalRounds} rounds / ${report.normalErrors} errors, ${seconds} s${report.failure ? `; FAILED: ${report.failure}` : ""}`,
);
process.exit(ok ? 0 : 1);
