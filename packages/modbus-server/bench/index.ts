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

/** One client, lock-step: send the ADU, wait for the whole reply, send again; requests/s over MEASURE_MS. */
async function lockStep(port: number): Promise<number> {
  const socket = await open(port);
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
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const seconds = (performance.now() - start) / 1000;
  const rate = count / seconds;
  stop = true;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  socket.destroy();
  return rate;
}

async function fc3LockStep(): Promise<void> {
  if (!wanted("fc3-100-lockstep")) return;
  // Alternate the two servers, three times each, so a burst of load from the shared machine hits both alike.
  const ours: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < 3; round++) {
    ours.push(await withChild({ ranges: RANGES }, (c) => lockStep(c.ready.port)));
    bare.push(await withChild({ canned: Buffer.from(REPLY).toString("hex") }, (c) => lockStep(c.ready.port)));
  }
  const best = (xs: number[]): number => Math.max(...xs);
  report("modbus-server.fc3-100-lockstep", best(ours), "req/s");
  report("modbus-server.fc3-100-lockstep-bare-node", best(bare), "req/s");
  reportRatio("modbus-server.fc3-100-lockstep-vs-bare-node", best(ours), best(bare));
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
    let errors = 0;
    const poll = async (socket: Socket, offset: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, offset));
      while (!stop) {
        const sent = performance.now();
        const ok = await new Promise<boolean>((resolve) => {
          let got = 0;
          const timer = setTimeout(() => {
            socket.off("data", onData);
            resolve(false);
          }, 5000);
          const onData = (chunk: Buffer): void => {
            got += chunk.length;
            if (got < REPLY.length) return;
            clearTimeout(timer);
            socket.off("data", onData);
            resolve(true);
          };
          socket.on("data", onData);
          socket.write(REQUEST);
        });
        if (!ok) {
          errors++;
          return;
        }
        const now = performance.now();
        if (measuring) latencies.push(now - sent);
        const wait = periodMs - (now - sent);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    };
    const polling = sockets.map((s, i) => poll(s, (i * periodMs) / count));
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    measuring = true;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS * 2));
    measuring = false;
    const seconds = (performance.now() - start) / 1000;
    stop = true;
    await Promise.all(polling);
    for (const s of sockets) s.destroy();
    if (errors > 0) throw new Error(`${errors} clients saw no reply within 5 s`);
    const sorted = Float64Array.from(latencies).sort();
    report(`modbus-server.${figure}-p99`, percentile(sorted, 0.99), "ms");
    report(`modbus-server.${figure}-p50`, percentile(sorted, 0.5), "ms");
    report(`modbus-server.${figure}`, latencies.length / seconds, "req/s");
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
