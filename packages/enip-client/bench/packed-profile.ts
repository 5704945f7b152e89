// The headline `tag-reads-packed` figure alone (simulator in a child process), with the client's CPU time per read,
// for profiling: `node --cpu-prof --import tsx --conditions=@cpppo/source bench/packed-profile.ts`; CHILD_ARGV sets the
// simulator's node flags (e.g. add `--cpu-prof` to profile it too), BENCH_MS the measured milliseconds (default 3000).
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PipelineOperation } from "../src/index.js";

// ENIP_CLIENT_SRC loads another copy of the client (e.g. an older commit's src/index.ts in a git worktree), for A/B.
const { EnipClient, prepare } = (await import(
  process.env.ENIP_CLIENT_SRC ?? "../src/index.js"
)) as typeof import("../src/index.js");

const MS = Number(process.env.BENCH_MS ?? 3000);
const child = fork(fileURLToPath(new URL("./server-process.ts", import.meta.url)), [], {
  execArgv: (process.env.CHILD_ARGV ?? "--import tsx --conditions=@cpppo/source").split(" "),
});
const port = await new Promise<number>((resolve) => child.once("message", (p) => resolve(p as number)));
const client = await EnipClient.connect({ host: "127.0.0.1", port, connected: true });
const batch: PipelineOperation[] = Array.from({ length: 20000 }, (_, i) => ({
  method: "read",
  path: [{ symbolic: "SCADA" }, { element: i % 1000 }],
  description: "SCADA",
}));
// Prepared once, as a polling loop does: its read requests are planned on the first run and reused.
const prepared = prepare(batch);
const run = async () =>
  batch.length - (await client.process(prepared, { depth: 20, multiple: true })).failures;
const warm = performance.now() + 500;
while (performance.now() < warm) await run();
let n = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
while (performance.now() - t0 < MS) n += await run();
const rate = n / ((performance.now() - t0) / 1000);
const cpu = process.cpuUsage(cpu0);
console.log(
  `packed ${Math.round(rate)} reads/s; client cpu ${(((cpu.user + cpu.system) / n) * 1000).toFixed(0)} ns/read (user ${((cpu.user / n) * 1000).toFixed(0)}, sys ${((cpu.system / n) * 1000).toFixed(0)})`,
);
await client.close();
child.send("close");
await new Promise((r) => child.once("exit", r));
