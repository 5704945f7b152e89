// Benchmarks of @cpppo/enip-server; prints `BENCH enip-server.<figure> <value> <unit>` lines (see BENCHMARKS.md).
// The servers (and the echo ceiling) run in a child process (bench/server-child.ts), so the load
// generator here and the server do not share one event loop, and RSS figures are the server's own.
// `pnpm --filter @cpppo/enip-server bench [figure-prefix]` runs all figures, or those starting with the prefix.
import { EventEmitter } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import {
  buildC,
  printMachine,
  processCpuMicros,
  report,
  reportRatio,
  runEnipLoad,
  startEnipEcho,
} from "@cpppo/bench-kit";
import {
  decodeEnipMessage,
  encodeEncapsulation,
  encodeSendRRData,
  readTagRequest,
  unconnectedSend,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { Engine } from "../src/transport/engine.js";
import { ReplyDelay } from "../src/transport/options.js";
import { TcpConnection } from "../src/transport/tcp-connection.js";
import { type ChildConfig, type ServerChild, startServerChild } from "./server-child.js";

const only = process.argv[2] ?? "";
const wanted = (figure: string): boolean => figure.startsWith(only.replace(/^enip-server\./, ""));
const WARMUP_MS = 500;
const MEASURE_MS = 2000;
const mb = (bytes: number): number => bytes / 1048576;

/** Runs `body` against a server child built from `config`, then closes the child (exit code must be 0). */
async function withChild<T>(
  config: ChildConfig,
  body: (child: ServerChild) => Promise<T>,
  execArgv: string[] = [],
): Promise<T> {
  const child = await startServerChild(config, execArgv);
  let result: T;
  try {
    result = await body(child);
  } catch (err) {
    await child.close();
    throw err;
  }
  const code = await child.close();
  if (code !== 0) throw new Error(`the server child exited with ${code}`);
  return result;
}

function open(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to ${host}:${port} within 5 s`));
    }, 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Sends `bytes` and resolves with the first whole frame back (5 s deadline). */
function exchange(socket: Socket, bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.off("data", onData);
      reject(new Error("no reply within 5 s"));
    }, 5000);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 24) return;
      const total = 24 + buffered.readUInt16LE(2);
      if (buffered.length < total) return;
      clearTimeout(timer);
      socket.off("data", onData);
      resolve(new Uint8Array(buffered.subarray(0, total)));
    };
    socket.on("data", onData);
    socket.write(bytes);
  });
}

/** Registers a session; returns its handle. */
async function register(socket: Socket): Promise<number> {
  const reply = await exchange(
    socket,
    encodeEncapsulation({ body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } }),
  );
  return decodeEnipMessage(reply).header.session;
}

/** The Read Tag frame the drivers send, codec-encoded once: `SCADA[1]`, one INT, plain SendRRData. */
function readTagFrame(session: number): Uint8Array {
  return encodeSendRRData({
    session,
    senderContext: new Uint8Array(8),
    timeout: 5,
    message: readTagRequest([{ symbolic: "SCADA" }, { element: 1 }], 1),
  });
}

/**
 * Round trips per second on one connection with `depth` requests in flight: `frame` is sent `depth`
 * times, then once more for every whole reply (replies are counted by their encapsulation length).
 */
async function pipelined(socket: Socket, frame: Uint8Array, depth: number): Promise<number> {
  const burst = Buffer.concat(Array.from({ length: depth }, () => frame));
  let carry = Buffer.alloc(0);
  let replies = 0;
  let counting = false;
  let counted = 0;
  const onData = (chunk: Buffer): void => {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let n = 0;
    while (data.length >= 24) {
      const total = 24 + data.readUInt16LE(2);
      if (data.length < total) break;
      data = data.subarray(total);
      n++;
    }
    carry = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
    replies += n;
    if (counting) counted += n;
    if (n > 0) socket.write(n === depth ? burst : burst.subarray(0, n * frame.length));
  };
  socket.on("data", onData);
  socket.write(burst);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  if (replies === 0) throw new Error("no reply during the warm-up");
  counting = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
  const seconds = (performance.now() - start) / 1000;
  counting = false;
  socket.off("data", onData);
  return counted / seconds;
}

async function readTagThroughput(): Promise<void> {
  if (!wanted("read-tag-depth1") && !wanted("read-tag-depth20") && !wanted("echo-ceiling-depth1")) return;
  const config: ChildConfig = { tags: ["SCADA=INT[1000]"] };
  let depth1 = 0;
  let frameSize = 0;
  await withChild(config, async (child) => {
    for (const depth of [1, 20]) {
      const socket = await open(child.ready.tcpPort);
      const frame = readTagFrame(await register(socket));
      frameSize = frame.length;
      const check = decodeEnipMessage(await exchange(socket, frame)).cip as { generalStatus?: number };
      if (check?.generalStatus !== 0) throw new Error(`Read Tag SCADA[1] answered ${check?.generalStatus}`);
      const rate = await pipelined(socket, frame, depth);
      if (depth === 1) depth1 = rate;
      report(`enip-server.read-tag-depth${depth}`, rate, "req/s");
      socket.destroy();
    }
  });
  await withChild({ echo: true }, async (child) => {
    const socket = await open(child.ready.tcpPort);
    const echo = await pipelined(socket, readTagFrame(0).subarray(0, frameSize), 1);
    socket.destroy();
    report("enip-server.echo-ceiling-depth1", echo, "req/s");
    reportRatio("enip-server.read-tag-depth1-vs-echo", depth1, echo);
  });
}

/** Latency percentile `p` (0..1) of sorted `values`. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/**
 * 1,000 sessions, each polling one Read Tag every `periodMs` (an HMI at 20 Hz), for `MEASURE_MS`:
 * p99 and median round trip, and the requests/s answered.
 */
async function sessions(count = 1000, periodMs = 50): Promise<void> {
  if (!wanted(`sessions-${count}`)) return;
  await withChild({ tags: ["SCADA=INT[1000]"], maxConnections: count + 10 }, async (child) => {
    const sockets: Socket[] = [];
    const frames: Uint8Array[] = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, () => open(child.ready.tcpPort)),
      );
      sockets.push(...batch);
      frames.push(...(await Promise.all(batch.map(async (s) => readTagFrame(await register(s))))));
    }
    const latencies: number[] = [];
    let measuring = false;
    let stop = false;
    let errors = 0;
    const poll = async (socket: Socket, frame: Uint8Array, offset: number): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, offset));
      while (!stop) {
        const sent = performance.now();
        try {
          await exchange(socket, frame);
        } catch {
          errors++;
          return;
        }
        const now = performance.now();
        if (measuring) latencies.push(now - sent);
        const wait = periodMs - (now - sent);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    };
    const polling = sockets.map((s, i) => poll(s, frames[i] as Uint8Array, (i * periodMs) / count));
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    measuring = true;
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
    measuring = false;
    const seconds = (performance.now() - start) / 1000;
    stop = true;
    await Promise.all(polling);
    for (const s of sockets) s.destroy();
    if (errors > 0) throw new Error(`${errors} sessions saw no reply within 5 s`);
    const sorted = Float64Array.from(latencies).sort();
    report(`enip-server.sessions-${count}-p99`, percentile(sorted, 0.99), "ms");
    report(`enip-server.sessions-${count}-p50`, percentile(sorted, 0.5), "ms");
    report(`enip-server.sessions-${count}`, latencies.length / seconds, "req/s");
  });
}

async function start100kTags(): Promise<void> {
  if (!wanted("start-100k-tags")) return;
  await withChild({ generatedTags: 100_000 }, async (child) => {
    const socket = await open(child.ready.tcpPort);
    const session = await register(socket);
    const reply = decodeEnipMessage(
      await exchange(
        socket,
        encodeSendRRData({
          session,
          senderContext: new Uint8Array(8),
          timeout: 5,
          message: readTagRequest([{ symbolic: "T99999" }], 1),
        }),
      ),
    ).cip as { generalStatus?: number };
    socket.destroy();
    if (reply?.generalStatus !== 0) throw new Error(`Read Tag T99999 answered ${reply?.generalStatus}`);
    report("enip-server.start-100k-tags", child.ready.startMs, "ms");
    report("enip-server.start-100k-tags-rss", mb(child.ready.rss), "MB");
  });
  // The same child with no tags: the runtime's own share of that RSS (Node, tsx, the loaded modules).
  await withChild({}, async (child) => {
    report("enip-server.start-0-tags-rss", mb(child.ready.rss), "MB");
  });
}

async function controllers1000(): Promise<void> {
  if (!wanted("controllers-1000")) return;
  await withChild({ plant: 1000, tags: ["SCADA=INT[100]", "D=DINT"], udp: true }, async (child) => {
    const all = child.ready.controllers ?? [];
    if (all.length !== 1000) throw new Error(`the plant reported ${all.length} controllers`);
    // Every 50th controller answers a read on its own address.
    for (let i = 0; i < all.length; i += 50) {
      const c = all[i] as { host: string; port: number };
      const socket = await open(c.port, c.host);
      const reply = decodeEnipMessage(await exchange(socket, readTagFrame(await register(socket)))).cip as {
        generalStatus?: number;
      };
      socket.destroy();
      if (reply?.generalStatus !== 0)
        throw new Error(`controller ${i} at ${c.host}:${c.port} answered ${reply?.generalStatus}`);
    }
    report("enip-server.controllers-1000-rss", mb(await child.rss()), "MB");
    report("enip-server.controllers-1000-start", child.ready.startMs, "ms");
  });
}

/**
 * A Node server answering like enip-echo (canned replies framed by their length, no CIP work), in this
 * process: the C client does the load, so this event loop only serves. It is Node's own floor.
 */
async function nodeCanned(): Promise<{ port: number; close(): Promise<void> }> {
  const body = Buffer.from([
    0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0, 10, 0, 0xcc, 0, 0, 0, 0xc4, 0, 42, 0, 0, 0,
  ]);
  let session = 0x1000;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let carry = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      while (data.length >= 24) {
        const total = 24 + data.readUInt16LE(2);
        if (data.length < total) break;
        const register = data.readUInt16LE(0) === 0x65;
        const reply = Buffer.allocUnsafe(24 + (register ? 4 : body.length));
        data.copy(reply, 0, 0, 24);
        reply.writeUInt32LE(0, 8);
        if (register) {
          reply.writeUInt16LE(4, 2);
          reply.writeUInt32LE(session++, 4);
          reply.writeUInt32LE(1, 24);
        } else {
          reply.writeUInt16LE(body.length, 2);
          body.copy(reply, 24);
        }
        socket.write(reply);
        data = data.subarray(total);
      }
      carry = Buffer.from(data);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** The median of `values` (the mean of the middle two for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Slices of the C-client figures: how many rounds, and each visit's measured and warm-up seconds. */
const C_ROUNDS = 15;
const C_SLICE_S = 0.4;
const C_SLICE_WARMUP_S = 0.1;

/**
 * The C load generator (tools/bench-kit/c/enip-load.c: lock-step SendRRData / Unconnected Send / Read Tag of
 * one DINT, as a C PLC library sends it) against our simulator, against the C canned-reply server
 * (enip-echo.c) and against the same canned server written in Node (Node's own floor). The three run side by
 * side and the client visits them in short slices, `C_ROUNDS` rounds, the order reversed every other round
 * (ours, C, Node, then Node, C, ours) so that a drift of the shared machine falls on each alike. A ratio is
 * the median of the rounds' ratios (each round's figure over its own reference, measured within about a
 * second of it), so one noisy slice or minute does not decide it; rates are medians too. The server CPU time
 * per reply (ours from `/proc/<pid>/stat`, the Node canned server's from `process.cpuUsage`) is printed as a
 * comment: it does not depend on how the scheduler shares the machine. Skipped, and said so, without `cc`.
 */
async function againstC(): Promise<void> {
  const figures = [
    "read-depth1-c-client",
    "c-echo-depth1",
    "read-depth1-vs-c-echo",
    "node-canned-depth1",
    "node-canned-vs-c-echo",
    "read-depth1-vs-node-canned",
  ];
  if (!figures.some(wanted)) return;
  const skipped = buildC("enip-load").skipped ?? buildC("enip-echo").skipped;
  if (skipped !== undefined) {
    for (const figure of figures) console.log(`# enip-server.${figure} skipped: ${skipped}`);
    return;
  }
  // ENIP_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server child while the C client drives it.
  const profileDir = process.env.ENIP_BENCH_CPU_PROF;
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const rates = { ours: [] as number[], c: [] as number[], node: [] as number[] };
  const cpu = { ours: [] as number[], node: [] as number[] };
  await withChild(
    { tags: ["D=DINT"] },
    async (child) => {
      const echo = await startEnipEcho();
      const canned = await nodeCanned();
      // CPU time so far of each server, microseconds (undefined for the C one: not measured).
      const cpuOf = {
        ours: () => processCpuMicros(child.pid),
        c: () => undefined,
        node: () => {
          const used = process.cpuUsage();
          return used.user + used.system;
        },
      };
      const ports = { ours: child.ready.tcpPort, c: echo.port, node: canned.port };
      const visit = async (server: "ours" | "c" | "node"): Promise<void> => {
        const before = cpuOf[server]();
        const run = await runEnipLoad({
          port: ports[server],
          seconds: C_SLICE_S,
          warmupSeconds: C_SLICE_WARMUP_S,
        });
        const after = cpuOf[server]();
        rates[server].push(run.rate);
        // Replies over the whole visit (warm-up included) at the measured rate.
        const replies = run.rate * (C_SLICE_S + C_SLICE_WARMUP_S);
        if (server !== "c" && before !== undefined && after !== undefined && replies > 0)
          cpu[server].push((after - before) / replies);
      };
      try {
        // One untimed visit each first, so that no round pays for the JIT's first compilations.
        for (const port of Object.values(ports)) await runEnipLoad({ port, seconds: 1, warmupSeconds: 0 });
        for (let round = 0; round < C_ROUNDS; round++) {
          const order = round % 2 === 0 ? (["ours", "c", "node"] as const) : (["node", "c", "ours"] as const);
          for (const server of order) await visit(server);
        }
      } finally {
        await echo.close();
        await canned.close();
      }
    },
    profile,
  );
  if (profileDir) console.log(`# the server's CPU profile is in ${profileDir}`);
  const k = (values: number[]): string => values.map((v) => (v / 1000).toFixed(1)).join(" ");
  console.log(`# ${C_ROUNDS} rounds of ${C_SLICE_S} s slices, order reversed every other round (k req/s):`);
  console.log(`#   ours ${k(rates.ours)}`);
  console.log(`#   C    ${k(rates.c)}`);
  console.log(`#   Node ${k(rates.node)}`);
  if (cpu.ours.length > 0 && cpu.node.length > 0)
    console.log(
      `# server CPU per reply (median of the slices): ours ${median(cpu.ours).toFixed(1)} us, ` +
        `Node canned ${median(cpu.node).toFixed(1)} us`,
    );
  const ratios = (figure: number[], reference: number[]): number[] =>
    figure.map((v, i) => v / (reference[i] as number));
  report("enip-server.read-depth1-c-client", median(rates.ours), "req/s");
  report("enip-server.c-echo-depth1", median(rates.c), "req/s");
  reportRatio("enip-server.read-depth1-vs-c-echo", median(ratios(rates.ours, rates.c)), 1);
  report("enip-server.node-canned-depth1", median(rates.node), "req/s");
  reportRatio("enip-server.node-canned-vs-c-echo", median(ratios(rates.node, rates.c)), 1);
  reportRatio("enip-server.read-depth1-vs-node-canned", median(ratios(rates.ours, rates.node)), 1);
}

/** A socket stand-in that takes every write at once, so that the per-request path runs without the kernel. */
class NullSocket extends EventEmitter {
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
  readonly destroyed = false;
  readonly writable = true;
  /** Every write is taken at once, as a socket whose write reaches the kernel in full. */
  readonly writableLength = 0;
  last: Uint8Array = new Uint8Array(0);
  setNoDelay(): void {}
  pause(): void {}
  resume(): void {}
  cork(): void {}
  uncork(): void {}
  end(): void {}
  destroy(): void {}
  write(bytes: Uint8Array): boolean {
    this.last = bytes;
    return true;
  }
}

/**
 * Our whole per-request path in this process, without sockets or the kernel: a `TcpConnection` fed the C
 * client's request (SendRRData / Unconnected Send route 1/0 / Read Tag of one DINT) chunk by chunk, through the
 * framer, queue, decode, Read Tag, encode and write call. Low-noise: the figure that A/Bs of the transport use.
 */
async function perRequestJs(): Promise<void> {
  if (!wanted("per-request-js")) return;
  const controller = new Controller({ tags: ["D=DINT"] });
  const engine = new Engine(
    controller,
    new ReplyDelay(),
    { controller, idleTimeout: 0 },
    () => 0,
    () => undefined,
    () => "bench",
  );
  const socket = new NullSocket();
  new TcpConnection(socket as unknown as Socket, engine);
  const register = encodeEncapsulation({
    body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
  });
  socket.emit("data", Buffer.from(register));
  const session = decodeEnipMessage(socket.last).header.session;
  const request = Buffer.from(
    encodeSendRRData({
      session,
      senderContext: new Uint8Array(8),
      timeout: 5,
      message: unconnectedSend(readTagRequest([{ symbolic: "D" }], 1), [{ port: 1, link: 0 }]),
    }),
  );
  socket.emit("data", request);
  const check = decodeEnipMessage(socket.last).cip as { generalStatus?: number };
  if (check?.generalStatus !== 0) throw new Error(`Read Tag D answered ${check?.generalStatus}`);
  // CPU time, not wall time, so that a shared machine's other processes do not count; a long warm-up lets
  // the JIT finish its background compilations; the figure is the median of 5 rounds of 1 s.
  const send = (n: number): void => {
    for (let i = 0; i < n; i++) socket.emit("data", request);
  };
  for (const until = performance.now() + 2000; performance.now() < until; ) send(1000);
  const perRequest: number[] = [];
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const cpu = process.cpuUsage();
    for (const until = performance.now() + 1000; performance.now() < until; n += 1000) send(1000);
    const used = process.cpuUsage(cpu);
    perRequest.push((used.user + used.system) / n);
  }
  console.log(`# per-request-js rounds: ${perRequest.map((v) => v.toFixed(2)).join(" / ")} us of CPU`);
  report("enip-server.per-request-js", median(perRequest), "us");
}

printMachine();
console.log("# servers run in a child process; the load generator runs in this one");
await perRequestJs();
await readTagThroughput();
await againstC();
await sessions();
await start100kTags();
await controllers1000();
