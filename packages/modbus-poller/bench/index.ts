// Benchmarks of @cpppo/modbus-poller; prints `BENCH modbus-poller.<figure> <value> <unit>` lines (see BENCHMARKS.md).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { printMachine, report, reportRatio, rng } from "@cpppo/bench-kit";
import ModbusRTU from "modbus-serial";
import {
  blocksOf,
  ModbusPoller,
  type ModbusReply,
  type ModbusRequest,
  type ModbusTransport,
  merge,
  TcpTransport,
  type TransactOptions,
} from "../src/index.js";

printMachine();

// 1. Merge/shatter of 10,000 registrations (random distinct addresses over every table), the best of 50 runs.
{
  const random = rng(7);
  const set = new Set<number>();
  const tables = [1, 10001, 30001, 40001];
  while (set.size < 10_000) {
    const base = tables[Math.floor(random() * 4)] as number;
    set.add(base + Math.floor(random() * 9999));
  }
  const addresses = [...set];
  const pairs = addresses.map((a) => [a, 1] as const);
  let best = Number.POSITIVE_INFINITY;
  let bestMerge = Number.POSITIVE_INFINITY;
  let blocks = 0;
  for (let i = 0; i < 50; i++) {
    let t = performance.now();
    blocks += blocksOf(addresses, 100).length;
    best = Math.min(best, performance.now() - t);
    t = performance.now();
    blocks += merge(pairs, 100).length;
    bestMerge = Math.min(bestMerge, performance.now() - t);
  }
  report("modbus-poller.blocks-10000", best, "ms");
  report("modbus-poller.merge-10000", bestMerge, "ms");
  if (blocks < 0) console.log("");
}

// The server runs in a child process.
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--conditions=@cpppo/source", resolve(import.meta.dirname, "server-child.ts")],
  {
    stdio: ["pipe", "pipe", "inherit"],
  },
);
const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), "line")) as [
  string,
];
const port = Number(line);

/** CPU µs (user + system) of this process per call of `work` over `calls` calls. */
async function cpuPer(calls: number, work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await work();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

// 2. CPU per poll block (FC3 of 100 registers): a bare modbus-serial read, our transport, and a whole poller cycle,
// interleaved three times in the same run; the best of each.
{
  const bare = new ModbusRTU();
  await bare.connectTCP("127.0.0.1", { port });
  bare.setID(1);
  bare.setTimeout(1000);
  const transport = new TcpTransport({ port, timeout: 1000 });
  const read: ModbusRequest = { unit: 1, fc: 3, offset: 0, count: 100 };
  const poller = new ModbusPoller({ port, unit: 1, period: 0.001, reach: 1, timeout: 1000 });
  // It polls only in its own phase: a poller left registered would run during the others.
  const start = () => poller.poll(40001, 100);
  const stop = () => poller.unpoll(40001, 100);
  let waiter: (() => void) | undefined;
  poller.on("load", () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  });
  const cycle = () =>
    new Promise<void>((ok) => {
      waiter = ok;
    });
  const N = 3000;
  let bareBest = Number.POSITIVE_INFINITY;
  let lineBest = Number.POSITIVE_INFINITY;
  let pollerBest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    bareBest = Math.min(bareBest, await cpuPer(N, () => bare.readHoldingRegisters(0, 100)));
    lineBest = Math.min(lineBest, await cpuPer(N, () => transport.transact(read)));
    start();
    pollerBest = Math.min(pollerBest, await cpuPer(N, cycle));
    stop();
    await cycle(); // the cycle in flight ends before the next phase
  }
  await poller.close();
  await transport.close();
  bare.close(() => undefined);
  report("modbus-poller.block-cpu-bare-modbus-serial", bareBest, "µs/block");
  report("modbus-poller.block-cpu-transport", lineBest, "µs/block");
  report("modbus-poller.block-cpu-poller", pollerBest, "µs/block");
  reportRatio("modbus-poller.block-cpu-poller-vs-bare", pollerBest, bareBest);
}

// 3. Load at 100 ranges every 10 ms: the poller's own busy sample against busy time measured outside it (a
// transport wrapper timing each transaction from call to settle), over the same cycles.
{
  const inner = new TcpTransport({ port, timeout: 1000 });
  let outside = 0;
  const timed: ModbusTransport = {
    get closed() {
      return inner.closed;
    },
    close: () => inner.close(),
    async transact(request: ModbusRequest, options?: TransactOptions): Promise<ModbusReply> {
      const t = performance.now();
      try {
        return await inner.transact(request, options);
      } finally {
        outside += performance.now() - t;
      }
    },
  };
  const period = 10;
  const poller = new ModbusPoller({ transport: timed, unit: 1, period, reach: 1 });
  for (let i = 0; i < 100; i++) poller.poll(40001 + 3 * i); // 100 blocks: reach 1 never joins them
  let samples = 0;
  let sampleSum = 0;
  let cycles = 0;
  let skipped = 0;
  poller.on("slipped", (e: { missed: number }) => {
    skipped += e.missed;
  });
  await once(poller, "load"); // the first cycle connects
  outside = 0;
  const done = new Promise<void>((ok) => {
    poller.on("load", () => {
      cycles++;
      sampleSum += poller.busyMs / period;
      samples++;
      if (cycles === 500) ok();
    });
  });
  await done;
  const measured = outside / (cycles * period);
  const reported = sampleSum / samples;
  report("modbus-poller.load-100x10ms-reported", reported, "load");
  report("modbus-poller.load-100x10ms-measured", measured, "busy/period");
  reportRatio("modbus-poller.load-100x10ms-reported-vs-measured", reported, measured);
  report("modbus-poller.load-100x10ms-ema1", poller.load?.[0] ?? 0, "load");
  report("modbus-poller.load-100x10ms-skipped", skipped, "periods");
  await poller.close();
}

child.stdin?.end();
await once(child, "exit");
