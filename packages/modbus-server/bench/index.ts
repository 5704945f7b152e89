// Benchmarks of @cpppo/modbus-server; prints `BENCH modbus-server.<figure> <value> <unit>` lines (see BENCHMARKS.md).
// The servers run in a child process (bench/server-child.ts) so the load generator here does not share their event
// loop. `pnpm --filter @cpppo/modbus-server bench [figure-prefix]` runs all figures, or those starting with the prefix.
import { connect, type Socket } from "node:net";
import os from "node:os";
import {
  buildC,
  type CServer,
  hasTaskset,
  type ModbusLoadOptions,
  type ModbusLoadResult,
  pinProcess,
  printMachine,
  processCpuMicros,
  report,
  reportRatio,
  runModbusLoad,
  startModbusLibmodbusServer,
} from "@cpppo/bench-kit";
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

/** Lock-step slices on one connection: each `slice(ms)` sends, waits for the whole reply, sends again, for `ms`. */
interface LockStepClient {
  /** Replies per second over a window of `ms`, and the server's CPU µs per reply (the reply in flight included). */
  slice(ms: number): Promise<{ rate: number; cpuUs: number }>;
  close(): void;
}

async function lockStepClient(child: ServerChild): Promise<LockStepClient> {
  const socket = await open(child.ready.port);
  const replyLength = REPLY.length;
  let received = 0;
  let count = 0;
  let running = false;
  let inFlight = false;
  let settled: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
    while (received >= replyLength) {
      received -= replyLength;
      count++;
      inFlight = running;
      if (running) socket.write(REQUEST);
      else settled?.();
    }
  });
  return {
    async slice(ms) {
      const cpuBefore = await child.cpu();
      count = 0;
      running = true;
      inFlight = true;
      const start = performance.now();
      socket.write(REQUEST);
      await new Promise((r) => setTimeout(r, ms));
      const replies = count;
      const seconds = (performance.now() - start) / 1000;
      running = false;
      // The reply to the request in flight ends the slice (a 5 s deadline, so a lost reply cannot hang the run).
      await new Promise<void>((resolve) => {
        if (!inFlight) return resolve();
        const timer = setTimeout(resolve, 5000);
        settled = () => {
          clearTimeout(timer);
          settled = undefined;
          resolve();
        };
      });
      const cpuUs = ((await child.cpu()) - cpuBefore) / Math.max(1, count);
      return { rate: replies / seconds, cpuUs };
    },
    close: () => socket.destroy(),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Pairs of alternating slices in the lock-step comparison, and each slice's length. */
const SLICE_PAIRS = Number(process.env.MODBUS_BENCH_SLICES ?? 12);
const SLICE_MS = 250;

/**
 * Our simulator against the bare canned-reply server, both running for the whole comparison: after a warm-up of
 * each, SLICE_PAIRS pairs of SLICE_MS lock-step slices, one on each server, back to back (the order swaps every
 * pair). A burst of load from the shared machine then lands on both sides of a pair alike, where whole rounds of
 * seconds each let one burst decide a run; the ratio is the median of the pairs' ratios.
 */
async function fc3LockStep(): Promise<void> {
  if (!wanted("fc3-100-lockstep")) return;
  await withChild({ ranges: RANGES }, (oursChild) =>
    withChild({ canned: Buffer.from(REPLY).toString("hex") }, async (bareChild) => {
      const ours = await lockStepClient(oursChild);
      const bare = await lockStepClient(bareChild);
      try {
        await ours.slice(WARMUP_MS);
        await bare.slice(WARMUP_MS);
        const oursRuns: { rate: number; cpuUs: number }[] = [];
        const bareRuns: { rate: number; cpuUs: number }[] = [];
        const ratios: number[] = [];
        for (let pair = 0; pair < SLICE_PAIRS; pair++) {
          const first = pair % 2 === 0 ? ours : bare;
          const a = await first.slice(SLICE_MS);
          const b = await (first === ours ? bare : ours).slice(SLICE_MS);
          const [o, r] = first === ours ? [a, b] : [b, a];
          oursRuns.push(o);
          bareRuns.push(r);
          ratios.push(o.rate / r.rate);
        }
        console.log(`# fc3-100-lockstep pairs (ours / bare): ${ratios.map((r) => r.toFixed(2)).join(" ")}`);
        report("modbus-server.fc3-100-lockstep", median(oursRuns.map((x) => x.rate)), "req/s");
        report("modbus-server.fc3-100-lockstep-bare-node", median(bareRuns.map((x) => x.rate)), "req/s");
        report("modbus-server.fc3-100-lockstep-vs-bare-node", median(ratios), "ratio");
        // CPU per request is steadier than a rate on a shared machine: it does not count the time spent waiting for a core.
        report("modbus-server.fc3-100-lockstep-server-cpu", median(oursRuns.map((x) => x.cpuUs)), "us/req");
        report(
          "modbus-server.fc3-100-lockstep-bare-node-cpu",
          median(bareRuns.map((x) => x.cpuUs)),
          "us/req",
        );
      } finally {
        ours.close();
        bare.close();
      }
    }),
  );
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

/**
 * CPUs of the pinned runs against C peers: the server on SERVER_CPU, the C client on CLIENT_CPU (when taskset
 * exists). `MODBUS_BENCH_PIN=0` leaves both to the scheduler (a busy shared machine starves a pinned process).
 */
const PIN = process.env.MODBUS_BENCH_PIN !== "0";
const SERVER_CPU = PIN ? 1 : undefined;
const CLIENT_CPU = PIN ? 0 : undefined;
const ROUNDS = Number(process.env.MODBUS_BENCH_ROUNDS ?? 5);

type Peer = "ours" | "node-canned" | "libmodbus";
/** One server under test: its port and pid (pinned to SERVER_CPU when taskset exists), and how to stop it. */
interface Running {
  port: number;
  pid: number;
  close(): Promise<void>;
}

async function startPeer(peer: Peer, maxConnections?: number): Promise<Running> {
  if (peer === "libmodbus") {
    const c: CServer = await startModbusLibmodbusServer(SERVER_CPU === undefined ? {} : { cpu: SERVER_CPU });
    return c;
  }
  const config: ChildConfig =
    peer === "ours"
      ? { ranges: RANGES, ...(maxConnections === undefined ? {} : { maxConnections }) }
      : { canned: Buffer.from(REPLY).toString("hex") };
  const child = await startServerChild(config, { execArgv: profileArgv(peer) });
  if (SERVER_CPU !== undefined) pinProcess(child.pid, SERVER_CPU);
  return {
    port: child.ready.port,
    pid: child.pid,
    close: async () => {
      const code = await child.close();
      if (code !== 0) console.error(`# the server child exited with ${code}`);
    },
  };
}

/** `MODBUS_BENCH_CPU_PROF=<dir>`: V8 CPU profiles of the Node server children into <dir>/ours and <dir>/node-canned. */
function profileArgv(peer: Peer): string[] {
  const dir = process.env.MODBUS_BENCH_CPU_PROF;
  return dir !== undefined && peer !== "libmodbus" ? ["--cpu-prof", `--cpu-prof-dir=${dir}/${peer}`] : [];
}

/** A C-client run against one server, with the server's CPU µs per request from /proc/<pid>/stat. */
async function againstPeer(
  peer: Peer,
  load: Omit<ModbusLoadOptions, "port">,
  maxConnections?: number,
): Promise<ModbusLoadResult & { cpuUs: number }> {
  const server = await startPeer(peer, maxConnections);
  try {
    const warmup = load.warmupSeconds ?? 0.5;
    const cpuAt = new Promise<number | undefined>((resolve) =>
      setTimeout(() => resolve(processCpuMicros(server.pid)), warmup * 1000),
    );
    const result = await runModbusLoad({
      ...load,
      port: server.port,
      ...(CLIENT_CPU === undefined ? {} : { cpu: CLIENT_CPU }),
      checkTransaction: peer !== "node-canned",
    });
    const cpuAfter = processCpuMicros(server.pid);
    const cpuBefore = await cpuAt;
    const cpuUs =
      cpuAfter === undefined || cpuBefore === undefined
        ? Number.NaN
        : (cpuAfter - cpuBefore) / Math.max(1, result.requests);
    return { ...result, cpuUs };
  } finally {
    await server.close();
  }
}

function cSkipped(): string | undefined {
  const load = buildC("modbus-load");
  if (load.skipped !== undefined) return `modbus-load: ${load.skipped}`;
  return undefined;
}

/**
 * Lock-step FC3 of 100 registers from the C client (tools/bench-kit/c/modbus-load.c) against our simulator, the
 * bare Node canned-reply server and libmodbus's own C server, each pinned to one CPU (server on 1, client on 0) when
 * taskset exists; ROUNDS alternating rounds, medians. The rate is the headline; the server's CPU µs per request
 * (from /proc/<pid>/stat) is what a loaded machine distorts least.
 */
async function lockStepC(): Promise<void> {
  if (!wanted("lockstep-fc3-c-client")) return;
  const skipped = cSkipped();
  if (skipped !== undefined) {
    console.log(`# modbus-server.lockstep-fc3-c-client skipped: ${skipped}`);
    return;
  }
  const libmodbus = buildC("modbus-libmodbus-server");
  const peers: Peer[] = [
    "ours",
    "node-canned",
    ...(libmodbus.path === undefined ? [] : ["libmodbus" as const]),
  ];
  if (libmodbus.skipped !== undefined)
    console.log(`# modbus-server.lockstep-fc3-c-client-vs-libmodbus skipped: ${libmodbus.skipped}`);
  console.log(
    `# pinned: ${!PIN ? "no (MODBUS_BENCH_PIN=0)" : hasTaskset() ? `server on CPU ${SERVER_CPU}, C client on CPU ${CLIENT_CPU} (taskset)` : "no (no taskset)"}; ${ROUNDS} alternating rounds, medians; load average ${loadAverage()}`,
  );
  const runs = new Map<Peer, (ModbusLoadResult & { cpuUs: number })[]>(peers.map((p) => [p, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const peer of peers)
      runs.get(peer)?.push(await againstPeer(peer, { mode: "lockstep", seconds: 3, warmupSeconds: 2 }));
  const rate = (peer: Peer): number => median((runs.get(peer) ?? []).map((r) => r.rate));
  const cpu = (peer: Peer): number => median((runs.get(peer) ?? []).map((r) => r.cpuUs));
  const p50 = (peer: Peer): number => median((runs.get(peer) ?? []).map((r) => r.p50_ms * 1000));
  for (const peer of peers) {
    const figure = `modbus-server.lockstep-fc3-c-client${peer === "ours" ? "" : `-${peer}`}`;
    report(figure, rate(peer), "req/s");
    report(`${figure}-p50`, p50(peer), "us");
    report(`${figure}-server-cpu`, cpu(peer), "us/req");
  }
  reportRatio("modbus-server.lockstep-fc3-c-client-vs-node-canned", rate("ours"), rate("node-canned"));
  if (peers.includes("libmodbus")) {
    reportRatio("modbus-server.lockstep-fc3-c-client-vs-libmodbus", rate("ours"), rate("libmodbus"));
    // The same comparison in server CPU per request (libmodbus's / ours: above 1 means ours costs less).
    reportRatio("modbus-server.lockstep-fc3-c-client-cpu-vs-libmodbus", cpu("libmodbus"), cpu("ours"));
  }
  reportRatio("modbus-server.lockstep-fc3-c-client-cpu-vs-node-canned", cpu("node-canned"), cpu("ours"));
}

/** 1,000 connections polling FC3 of 100 registers every 100 ms from the C generator, against ours and the bare server. */
async function clientsC(count = 1000, periodMs = 100): Promise<void> {
  if (!wanted(`clients-${count}-c-client`)) return;
  const skipped = cSkipped();
  if (skipped !== undefined) {
    console.log(`# modbus-server.clients-${count}-c-client skipped: ${skipped}`);
    return;
  }
  console.log(
    `# clients-${count}-c-client: ${PIN && hasTaskset() ? `server on CPU ${SERVER_CPU}, C generator on CPU ${CLIENT_CPU}` : "not pinned"}; load average ${loadAverage()}`,
  );
  for (const peer of ["ours", "node-canned"] as const) {
    const r = await againstPeer(
      peer,
      { mode: "poll", connections: count, periodMs, seconds: 4, warmupSeconds: 1 },
      count + 10,
    );
    const figure = `modbus-server.clients-${count}-c-client${peer === "ours" ? "" : `-${peer}`}`;
    report(`${figure}-p50`, r.p50_ms, "ms");
    report(`${figure}-p99`, r.p99_ms, "ms");
    report(`${figure}-max`, r.max_ms, "ms");
    report(figure, r.rate, "req/s");
    report(`${figure}-server-cpu`, r.cpuUs, "us/req");
    if (r.late > 0) console.log(`# ${figure}: ${r.late} requests sent more than 1 ms late`);
  }
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

printMachine();
await fc3LockStep();
await clients();
await start64k();
await lockStepC();
await clientsC();
