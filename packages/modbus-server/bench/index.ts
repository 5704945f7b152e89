// Benchmarks of @cpppo/modbus-server; prints `BENCH modbus-server.<figure> <value> <unit>` lines (see BENCHMARKS.md).
// The servers run in a child process (bench/server-child.ts) so the load generator here does not share their event
// loop. `pnpm --filter @cpppo/modbus-server bench [figure-prefix]` runs all figures, or those starting with the prefix.
import { connect, type Socket } from "node:net";
import { printMachine, report, reportRatio } from "@cpppo/bench-kit";
import { encodeRequestPdu, encodeResponsePdu, encodeTcpAdu } from "@cpppo/modbus-codec";
import { type ChildConfig, type ServerChild, startServerChild } from "./server-child.js";

const only = process.argv[2] ?? "";
const wanted = (figure: string): boolean => figure.startsWith(only.replace(/^modbus-server\./, ""));
const WARMUP_MS = 500;
const MEASURE_MS = 2000;
/** FC3 of 100 holding registers from 40001, unit 1, and the reply the simulator sends to it (all 7s). */
const REQUEST = encodeTcpAdu(1, 1, encodeRequestPdu({ fc: 3, address: 0, quantity: 100 }));
const REPLY = encodeTcpAdu(1, 1, encodeResponsePdu({ fc: 3, registers: new Array(100).fill(7) }));
const RANGES = ["40001-40100=7"];

async function withChild<T>(config: ChildConfig, body: (child: ServerChild) => Promise<T>): Promise<T> {
  const child = await startServerChild(config);
  try {
    return await body(child);
  } finally {
    const code = await child.close();
    if (code !== 0) console.error(`# the server child exited with ${code}`);
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to port ${port} within 5 s`));
    }, 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** One client, lock-step: send the ADU, wait for the whole reply, send again; requests/s and the server's CPU µs per request over MEASURE_MS. */
async function lockStep(child: ServerChild): Promise<{ rate: number; cpuUs: number }> {
  const socket = await open(child.ready.port);
  const replyLength = REPLY.length;
  let received = 0;
  let count = 0;
  let measuring = false;
  let stop = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
    while (received >= replyLength) {
      received -= replyLength;
      if (measuring) count++;
      if (stop) {
        done();
        return;
      }
      socket.write(REQUEST);
    }
  });
  socket.write(REQUEST);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const cpuBefore = await child.cpu();
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const seconds = (performance.now() - start) / 1000;
  measuring = false;
  const cpuUs = ((await child.cpu()) - cpuBefore) / count;
  const rate = count / seconds;
  stop = true;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  socket.destroy();
  return { rate, cpuUs };
}

async function fc3LockStep(): Promise<void> {
  if (!wanted("fc3-100-lockstep")) return;
  // Alternate the two servers, three times each, so a burst of load from the shared machine hits both alike.
  const ours: { rate: number; cpuUs: number }[] = [];
  const bare: { rate: number; cpuUs: number }[] = [];
  for (let round = 0; round < 3; round++) {
    ours.push(await withChild({ ranges: RANGES }, lockStep));
    bare.push(await withChild({ canned: Buffer.from(REPLY).toString("hex") }, lockStep));
  }
  const best = (xs: { rate: number }[]): number => Math.max(...xs.map((x) => x.rate));
  const leastCpu = (xs: { cpuUs: number }[]): number => Math.min(...xs.map((x) => x.cpuUs));
  report("modbus-server.fc3-100-lockstep", best(ours), "req/s");
  report("modbus-server.fc3-100-lockstep-bare-node", best(bare), "req/s");
  reportRatio("modbus-server.fc3-100-lockstep-vs-bare-node", best(ours), best(bare));
  // CPU per request is steadier than a rate on a shared machine: it does not count the time spent waiting for a core.
  report("modbus-server.fc3-100-lockstep-server-cpu", leastCpu(ours), "us/req");
  report("modbus-server.fc3-100-lockstep-bare-node-cpu", leastCpu(bare), "us/req");
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/**
 * 1,000 TCP clients, each polling FC3 of 100 registers every 100 ms: p99 and median round trip; then the same load
 * on the bare Node server, the ceiling of this load generator on this machine.
 */
async function clients(count = 1000, periodMs = 100): Promise<void> {
  if (!wanted(`clients-${count}`)) return;
  await pollers(`clients-${count}`, { ranges: RANGES, maxConnections: count + 10 }, count, periodMs);
  await pollers(
    `clients-${count}-bare-node`,
    { canned: Buffer.from(REPLY).toString("hex") },
    count,
    periodMs,
  );
}

async function pollers(figure: string, config: ChildConfig, count: number, periodMs: number): Promise<void> {
  await withChild(config, async (child) => {
    const sockets: Socket[] = [];
    for (let i = 0; i < count; i += 50)
      sockets.push(
        ...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => open(child.ready.port)))),
      );
    const latencies: number[] = [];
    let measuring = false;
    let stop = false;
    // Each client is a small callback loop (no promise or deadline timer per request, to keep the generator light):
    // send, count the reply's bytes, record the round trip, wait out the rest of the period, send again.
    const sentAt = new Float64Array(count);
    let answered = 0;
    const pollers = sockets.map((socket, i) => {
      let got = 0;
      const send = (): void => {
        if (stop) return;
        sentAt[i] = performance.now();
        socket.write(REQUEST);
      };
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got < REPLY.length) return;
        got -= REPLY.length;
        const now = performance.now();
        const rtt = now - (sentAt[i] as number);
        sentAt[i] = 0;
        answered++;
        if (measuring) latencies.push(rtt);
        const wait = periodMs - rtt;
        if (wait > 0) setTimeout(send, wait);
        else send();
      });
      return { start: () => setTimeout(send, (i * periodMs) / count) };
    });
    const cpuBefore = await child.cpu();
    for (const p of pollers) p.start();
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    measuring = true;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS * 2));
    measuring = false;
    const seconds = (performance.now() - start) / 1000;
    stop = true;
    // A request still unanswered 5 s after it was sent is an error.
    const stalled = (): number => sentAt.filter((t) => t !== 0 && performance.now() - t > 5000).length;
    for (let waited = 0; waited < 5500 && sentAt.some((t) => t !== 0); waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    const errors = stalled();
    const cpuUs = ((await child.cpu()) - cpuBefore) / Math.max(1, answered);
    for (const s of sockets) s.destroy();
    if (errors > 0) throw new Error(`${errors} clients saw no reply within 5 s`);
    const sorted = Float64Array.from(latencies).sort();
    report(`modbus-server.${figure}-p99`, percentile(sorted, 0.99), "ms");
    report(`modbus-server.${figure}-p50`, percentile(sorted, 0.5), "ms");
    report(`modbus-server.${figure}`, latencies.length / seconds, "req/s");
    report(`modbus-server.${figure}-server-cpu`, cpuUs, "us/req");
  });
}

/** A store of 65,536 addresses in each of the four tables, parsed from cpppo ranges, until the server listens. */
async function start64k(): Promise<void> {
  if (!wanted("start-4x65536")) return;
  const ranges = ["000001-065536=1", "100001-165536=0", "300001-365536=3", "400001-465536=4"];
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await withChild({ ranges }, async (c) => c.ready.startMs));
  report("modbus-server.start-4x65536", Math.min(...times), "ms");
}

printMachine();
await fc3LockStep();
await clients();
await start64k();
