// The client's CPU time per depth-1 read, against the C canned server of tools/bench-kit (`enip-echo`, ~6 µs of CPU
// per reply and no CIP work), so that the figure is the client's own cost and holds on a loaded machine:
// `process.cpuUsage()` over the measured window divided by the reads. Alongside, the same for a lock-step Node
// client that frames nothing (`'data'` events, one preformed request): Node's floor for one round trip.
// Run: `tsx --conditions=@cpppo/source bench/depth1-cpu.ts` (BENCH_MS, ROUNDS); prints one line per round and
// the medians. For profiling add `node --cpu-prof --import tsx`.
import { createConnection, createServer } from "node:net";
import { report, reportRatio, startEnipEcho } from "@cpppo/bench-kit";
import { encodeSendRRData, readTagRequest, unconnectedSend } from "@cpppo/cip-codec";
import { Controller, EnipServer } from "@cpppo/enip-server";

// ENIP_CLIENT_SRC loads another copy of the client (e.g. an older commit's src/index.ts in a git worktree), for A/B.
const { EnipClient } = (await import(
  process.env.ENIP_CLIENT_SRC ?? "../src/index.js"
)) as typeof import("../src/index.js");

const MS = Number(process.env.BENCH_MS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ONLY = process.env.ONLY; // "client", "node" or "local": one measurement only (for profiles)

const echo = await startEnipEcho();
const tag = [{ symbolic: "SCADA" }, { element: 1 }];

async function timed(work: () => Promise<unknown>): Promise<{ usPerRt: number; rate: number }> {
  const warm = performance.now() + 200;
  while (performance.now() < warm) await work();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < MS) {
    await work();
    n++;
    if ((n & 63) === 0) now = performance.now();
  }
  now = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return { usPerRt: (cpu.user + cpu.system) / n, rate: n / ((now - t0) / 1000) };
}

async function nodeFloor(): Promise<{ usPerRt: number; rate: number }> {
  const socket = createConnection({ host: "127.0.0.1", port: echo.port, noDelay: true });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const frame = encodeSendRRData({
    session: 0x1000,
    senderContext: new Uint8Array(8),
    timeout: 5,
    message: unconnectedSend(readTagRequest(tag, 1), [{ port: 1, link: 0 }]),
  });
  let waiting: (() => void) | undefined;
  let got = 0;
  socket.on("data", (chunk: Buffer) => {
    got += chunk.length;
    if (got >= 50) {
      got -= 50;
      waiting?.();
    }
  });
  const rt = () =>
    new Promise<void>((resolve) => {
      waiting = resolve;
      socket.write(frame);
    });
  const out = await timed(rt);
  socket.destroy();
  return out;
}

/** In one process, as `read-depth1-vs-echo` of bench/index.ts: our client and simulator, against a Node echo. */
const controller = new Controller({ tags: ["SCADA=DINT[1000]"] });
const simulator = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
const local = await EnipClient.connect({ host: "127.0.0.1", port: simulator.tcpAddress?.port as number });
const localRt = async () => {
  if (!(await local.read(tag)).ok) throw new Error("read failed");
};
const echoServer = createServer((s) => s.on("data", (chunk) => s.write(chunk)));
await new Promise<void>((r) => echoServer.listen(0, "127.0.0.1", r));
async function echoInProcess(): Promise<{ usPerRt: number; rate: number }> {
  const socket = createConnection({
    host: "127.0.0.1",
    port: (echoServer.address() as { port: number }).port,
    noDelay: true,
  });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const frame = Buffer.alloc(66, 1);
  let waiting: (() => void) | undefined;
  let got = 0;
  socket.on("data", (chunk: Buffer) => {
    got += chunk.length;
    if (got >= frame.length) {
      got -= frame.length;
      waiting?.();
    }
  });
  const out = await timed(
    () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
        socket.write(frame);
      }),
  );
  socket.destroy();
  return out;
}

const client = await EnipClient.connect({ host: "127.0.0.1", port: echo.port });
const clientRt = async () => {
  if (!(await client.read(tag)).ok) throw new Error("read failed");
};
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const c: number[] = [];
const f: number[] = [];
const r: number[] = [];
/** The same ratio in CPU time: echo's CPU per round trip over ours (what the rate ratio is when a core is free). */
const q: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const a = ONLY && ONLY !== "client" ? undefined : await timed(clientRt);
  const b = ONLY && ONLY !== "node" ? undefined : await nodeFloor();
  const d = ONLY && ONLY !== "local" ? undefined : await timed(localRt);
  const e = ONLY ? undefined : await echoInProcess();
  if (a) c.push(a.usPerRt);
  if (b) f.push(b.usPerRt);
  if (d && e) r.push(d.rate / e.rate);
  if (d && e) q.push(e.usPerRt / d.usPerRt);
  console.log(
    `round ${i + 1}: client ${a?.usPerRt.toFixed(2)} µs/read (${a?.rate.toFixed(0)}/s), node floor ${b?.usPerRt.toFixed(2)} µs/rt (${b?.rate.toFixed(0)}/s); in process: read-depth1 ${d?.rate.toFixed(0)}/s (${d?.usPerRt.toFixed(2)} µs), echo ${e?.rate.toFixed(0)}/s (${e?.usPerRt.toFixed(2)} µs), ratio ${d && e ? (d.rate / e.rate).toFixed(2) : "-"}`,
  );
}
console.log(
  `median: client ${c.length ? med(c).toFixed(2) : "-"} µs/read [${Math.min(...c).toFixed(2)}–${Math.max(...c).toFixed(2)}], node floor ${f.length ? med(f).toFixed(2) : "-"} µs/rt, floor/client ${c.length && f.length ? (med(f) / med(c)).toFixed(2) : "-"}; in-process read-depth1-vs-echo ${r.length ? `${med(r).toFixed(2)} [${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}]` : "-"}, in CPU time ${q.length ? `${med(q).toFixed(2)} [${Math.min(...q).toFixed(2)}–${Math.max(...q).toFixed(2)}]` : "-"}`,
);
// The medians as BENCH lines (see BENCHMARKS.md, "Depth-1 round trip (client)").
if (c.length) report("enip-client.read-depth1-cpu", med(c), "µs/read");
if (f.length) report("enip-client.node-floor-depth1-cpu", med(f), "µs/rt");
if (c.length && f.length) reportRatio("enip-client.read-depth1-cpu-vs-node-floor", med(f), med(c));
if (q.length) report("enip-client.read-depth1-vs-echo-cpu", med(q), "ratio");
await local.close();
await simulator.close();
await new Promise<void>((resolve) => echoServer.close(() => resolve()));
await client.close();
await echo.close();
