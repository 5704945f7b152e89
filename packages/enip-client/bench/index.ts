// Benchmarks of @cpppo/enip-client; prints `BENCH enip-client.<figure> <value> <unit>` lines (see BENCHMARKS.md).
// The headline `tag-reads-packed` runs the simulator in a child process, so that client and server each get a
// core as with a real PLC; every other figure (`tag-reads-packed-same-process` among them) shares ONE process and
// one event loop with the simulator over 127.0.0.1, and so pays for both sides, as does the plain Node echo
// ceiling measured alongside in the same run.

import { fork } from "node:child_process";
import { createConnection, createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { printMachine, report, reportRatio } from "@cpppo/bench-kit";
import { type EPath, encodeSendRRData, readTagRequest, unconnectedSend } from "@cpppo/cip-codec";
import { Controller, EnipServer } from "@cpppo/enip-server";
import { EnipClient, type PipelineOperation, prepare } from "../src/index.js";

const WARMUP_MS = 300;
const MEASURE_MS = Number(process.env.BENCH_MS ?? 1500);

/** Runs `work` (which does `units` units per call) for MEASURE_MS after a warm-up; returns units per second. */
async function measureAsync(work: () => Promise<number>, units = 1): Promise<number> {
  const warm = performance.now() + WARMUP_MS;
  while (performance.now() < warm) await work();
  let calls = 0;
  let done = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MEASURE_MS) {
    done += await work();
    calls++;
    now = performance.now();
  }
  if (done < 0) console.log("unreachable");
  return (calls * units) / ((now - start) / 1000);
}

/** Plain Node loopback echo of a frame the size of a Read Tag request: the ceiling of one round trip. */
async function echoCeiling(frameBytes: number): Promise<number> {
  const server = createServer((socket) => socket.on("data", (chunk) => socket.write(chunk)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = createConnection({ host: "127.0.0.1", port, noDelay: true });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const frame = Buffer.alloc(frameBytes, 1);
  let waiting: (() => void) | undefined;
  let received = 0;
  socket.on("data", (chunk) => {
    received += chunk.length;
    if (received >= frameBytes) {
      received -= frameBytes;
      waiting?.();
    }
  });
  const roundTrip = (): Promise<number> =>
    new Promise<number>((resolve) => {
      waiting = () => resolve(1);
      socket.write(frame);
    });
  const rate = await measureAsync(roundTrip);
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return rate;
}

printMachine();
console.log(
  "# tag-reads-packed: simulator in a child process (client and server on a core each, as with a real PLC);" +
    " every other figure, tag-reads-packed-same-process included: client and simulator in this process over" +
    " 127.0.0.1 (one event loop for both)",
);

const controller = new Controller({ tags: ["SCADA=DINT[1000]", "BIG=DINT[10000]"] });
const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
const port = server.tcpAddress?.port as number;
const tag: EPath = [{ symbolic: "SCADA" }, { element: 1 }];
const requestFrame = encodeSendRRData({
  session: 1,
  senderContext: new Uint8Array(8),
  timeout: 5,
  message: unconnectedSend(readTagRequest(tag, 1), [{ port: 1, link: 0 }]),
});

const echo = report("enip-client.echo-ceiling-depth1", await echoCeiling(requestFrame.length), "rt/s");

const client = await EnipClient.connect({ host: "127.0.0.1", port });
const depth1 = report(
  "enip-client.read-depth1",
  await measureAsync(async () => ((await client.read(tag)).ok ? 1 : 0)),
  "reads/s",
);
reportRatio("enip-client.read-depth1-vs-echo", depth1, echo);

// Depth 20 with packing: over a Large Forward Open (4002-byte connection) as a Logix client would run it.
const connected = await EnipClient.connect({ host: "127.0.0.1", port, connected: true });
const batch: PipelineOperation[] = Array.from({ length: 20000 }, (_, i) => ({
  method: "read",
  path: [{ symbolic: "SCADA" }, { element: i % 1000 }],
  description: "SCADA",
}));
// Prepared once, as a polling loop does: the read requests are planned on the first run and reused after.
const prepared = prepare(batch);
// process() is the pipeline consumed a request at a time (cpppo's `process`): the figure counts operations that succeeded.
const packedRun = async (c: EnipClient): Promise<number> =>
  batch.length - (await c.process(prepared, { depth: 20, multiple: true })).failures;
const iteratedRun = async (c: EnipClient): Promise<number> => {
  let ok = 0;
  for await (const r of c.pipeline(prepared, { depth: 20, multiple: true })) if (r.ok) ok++;
  return ok;
};
report(
  "enip-client.tag-reads-packed-same-process",
  await measureAsync(() => packedRun(connected), batch.length),
  "reads/s",
);
report(
  "enip-client.tag-reads-packed-iterated",
  await measureAsync(() => iteratedRun(connected), batch.length),
  "reads/s",
);
report(
  "enip-client.tag-reads-packed-unconnected",
  await measureAsync(() => packedRun(client), batch.length),
  "reads/s",
);

// The headline: the same run with the simulator in a child process, what the client sustains with a core to itself.
const child = fork(fileURLToPath(new URL("./server-process.ts", import.meta.url)), [], {
  execArgv: process.execArgv,
});
const childPort = await new Promise<number>((resolve) =>
  child.once("message", (port) => resolve(port as number)),
);
const remote = await EnipClient.connect({ host: "127.0.0.1", port: childPort, connected: true });
report("enip-client.tag-reads-packed", await measureAsync(() => packedRun(remote), batch.length), "reads/s");
await remote.close();
child.send("close");
await new Promise((resolve) => child.once("exit", resolve));

const big: EPath = [{ symbolic: "BIG" }];
const bigRate = await measureAsync(
  async () => (await client.read(big, { elements: 10000 })).value?.length ?? 0,
);
report("enip-client.read-10000-elements", 1000 / bigRate, "ms");
const bigConnectedRate = await measureAsync(
  async () => (await connected.read(big, { elements: 10000 })).value?.length ?? 0,
);
report("enip-client.read-10000-elements-connected", 1000 / bigConnectedRate, "ms");

await client.close();
await connected.close();
await server.close();
