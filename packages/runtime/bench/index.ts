/**
 * @cpppo/runtime benchmarks: GetPLCstatus calls per second at depth 1 over PYRO, PYROS and WAMP (through a separate
 * router, and through the router the service hosts), each as a ratio to a bare echo of the same transport (TCP,
 * TLS-PSK, WebSocket) in the same run, and the call through a separate router also against a bare WebSocket relay
 * (the same two round trips); a 10 MB program transferred over PYROS (and the CPU time it takes, both
 * ends); StartPLC → Started and StopPLC → Stopped latency (p50/p99) for a program with 1,000 tags.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { printMachine, report, reportRatio } from "@cpppo/bench-kit";
import { WebSocket, WebSocketServer } from "ws";
import {
  connectPlc,
  type PlcClient,
  PlcService,
  parsePskSecrets,
  pskClientOptions,
  pskServerOptions,
  startWampCallee,
  startWampRouter,
} from "../src/index.js";

/** Each figure alternates with its echo in ROUNDS slices of SLICE_MS, so load from other processes hits both alike. */
const ROUNDS = 8;
const SLICE_MS = 250;
const PSK = parsePskSecrets(`bench:${"b".repeat(48)}`);

/** Calls `once` back to back for `ms`; resolves calls per second. */
async function rate(once: () => Promise<unknown>, ms: number): Promise<number> {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await once();
    calls++;
  }
  return calls / ((performance.now() - start) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** `a` and `b` measured in alternating slices after a warm-up; resolves their median rates and the median ratio. */
async function paired(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number, number]> {
  for (let i = 0; i < 300; i++) {
    await a();
    await b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = await rate(a, SLICE_MS);
    const y = await rate(b, SLICE_MS);
    as.push(x);
    bs.push(y);
    ratios.push(x / y);
  }
  return [median(as), median(bs), median(ratios)];
}

/** A socket echo (TCP or TLS-PSK) and a client that sends one small frame and awaits it back. */
async function streamEcho(tls: boolean): Promise<{ once: () => Promise<void>; close: () => void }> {
  const onSocket = (s: Socket): void => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
    s.on("error", () => {});
  };
  const server = tls ? createTlsServer(pskServerOptions(PSK), onSocket) : createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = tls
    ? tlsConnect({ host: "127.0.0.1", port, ...pskClientOptions(PSK[0] as never) })
    : netConnect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise((r) => socket.once(tls ? "secureConnect" : "connect", r));
  const frame = Buffer.from('\0\0\0\x2a{"v":1,"id":1,"m":"GetPLCstatus","a":[]}   ');
  let waiting: (() => void) | undefined;
  socket.on("data", () => waiting?.());
  return {
    once: () =>
      new Promise<void>((r) => {
        waiting = r;
        socket.write(frame);
      }),
    close: () => {
      socket.destroy();
      server.close();
    },
  };
}

/** A WebSocket echo and a client that sends one small message and awaits it back. */
async function wsEcho(): Promise<{ once: () => Promise<void>; close: () => void }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => server.once("listening", r));
  server.on("connection", (s) => s.on("message", (d, binary) => s.send(d, { binary })));
  return wsCaller(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, () => server.close());
}

/** A WebSocket client that sends one small message to `url` and awaits one back; `close` also runs `done`. */
async function wsCaller(
  url: string,
  done: () => void,
): Promise<{ once: () => Promise<void>; close: () => void }> {
  const socket = new WebSocket(url);
  await new Promise((r) => socket.once("open", r));
  let waiting: (() => void) | undefined;
  socket.on("message", () => waiting?.());
  const message = Buffer.alloc(40, 1);
  return {
    once: () =>
      new Promise<void>((r) => {
        waiting = r;
        socket.send(message);
      }),
    close: () => {
      socket.terminate();
      done();
    },
  };
}

/**
 * The same WebSocket message through a bare relay: caller → relay → an echoing peer → relay → caller, two WebSocket
 * round trips and no WAMP work. It is the topology of a call through a separate router (caller → router → callee →
 * router → caller), so the two-hop WAMP figure has a reference of its own shape beside the one-hop echo.
 */
async function wsRelayEcho(): Promise<{ once: () => Promise<void>; close: () => void }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => server.once("listening", r));
  let callee: WebSocket | undefined;
  let caller: WebSocket | undefined;
  server.on("connection", (s) => {
    if (callee === undefined) {
      callee = s;
      s.on("message", (d, binary) => caller?.send(d, { binary }));
    } else {
      caller = s;
      s.on("message", (d, binary) => callee?.send(d, { binary }));
    }
  });
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  const peer = new WebSocket(url);
  await new Promise((r) => peer.once("open", r));
  peer.on("message", (d, binary) => peer.send(d, { binary }));
  return wsCaller(url, () => {
    peer.terminate();
    server.close();
  });
}

async function main(): Promise<void> {
  printMachine();
  const dir = await mkdtemp(join(tmpdir(), "cpppo-runtime-bench-"));
  const plain = await PlcService.start({ workdir: join(dir, "plain"), port: 0 });
  const secure = await PlcService.start({ workdir: join(dir, "secure"), port: 0, psk: PSK });
  // WAMP two ways: through a separate router (caller → router → callee → router → caller: two WebSocket round
  // trips), and with the router hosted by the service (plc-service --wamp-listen: one round trip, as the echo).
  const router = await startWampRouter({ port: 0 });
  const callee = startWampCallee({ url: router.url, id: "bench", target: plain.target });
  await callee.firstJoin;
  const embedded = await startWampRouter({ port: 0 });
  const inProcess = startWampCallee({ router: embedded, id: "bench", target: plain.target });

  const figures: [string, PlcClient, () => Promise<{ once: () => Promise<void>; close: () => void }>][] = [
    ["pyro", await connectPlc(plain.uri), () => streamEcho(false)],
    ["pyros", await connectPlc(secure.uri, { psk: PSK }), () => streamEcho(true)],
    ["wamp", await connectPlc(`WAMP://127.0.0.1:${router.port}/ws#Automation#bench`), wsEcho],
    ["wamp-embedded", await connectPlc(`WAMP://127.0.0.1:${embedded.port}/ws#Automation#bench`), wsEcho],
  ];
  for (const [name, client, echo] of figures) {
    const e = await echo();
    const [calls, bare, ratio] = await paired(() => client.GetPLCstatus(), e.once);
    e.close();
    report(`runtime.${name}-getplcstatus`, calls, "calls/s");
    report(`runtime.${name}-bare-echo`, bare, "round-trips/s");
    reportRatio(`runtime.${name}-vs-echo`, ratio, 1);
  }
  {
    // The call through a separate router against the bare relay of the same shape (two round trips each).
    const relay = await wsRelayEcho();
    const wamp = figures[2]?.[1] as PlcClient;
    const [calls, bare, ratio] = await paired(() => wamp.GetPLCstatus(), relay.once);
    relay.close();
    report("runtime.wamp-getplcstatus-2", calls, "calls/s");
    report("runtime.wamp-bare-relay-echo", bare, "round-trips/s");
    reportRatio("runtime.wamp-vs-relay-echo", ratio, 1);
  }

  const pyros = figures[1]?.[1] as PlcClient;
  const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
  const program = Buffer.from(JSON.stringify({ parts: [], pad: "" }));
  const blob = Buffer.concat([program.subarray(0, program.length - 2), big, Buffer.from('"}')]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ok = await pyros.transfer(blob);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (!ok) throw new Error("transfer failed");
  report("runtime.pyros-transfer-10MB", blob.length / 1e6 / seconds, "MB/s");
  // The CPU time of both ends (one process) during the transfer: steadier than the rate on a shared machine.
  report("runtime.pyros-transfer-10MB-cpu", (cpu.user + cpu.system) / 1000, "ms");

  const client = figures[0]?.[1] as PlcClient;
  const tags = Array.from({ length: 1000 }, (_, i) => `T${i}=DINT`);
  if (
    !(await client.transfer(
      Buffer.from(JSON.stringify({ parts: [{ kind: "enip", name: "plc", port: 0, tags }] })),
    ))
  )
    throw new Error("the 1,000-tag program did not load");
  const starts: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < 60; i++) {
    let t = performance.now();
    if (!(await client.StartPLC())) throw new Error("StartPLC failed");
    starts.push(performance.now() - t);
    t = performance.now();
    if (!(await client.StopPLC())) throw new Error("StopPLC failed");
    stops.push(performance.now() - t);
  }
  const pct = (xs: number[], p: number): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
  };
  report("runtime.start-1000-tags-p50", pct(starts, 50), "ms");
  report("runtime.start-1000-tags-p99", pct(starts, 99), "ms");
  report("runtime.stop-1000-tags-p50", pct(stops, 50), "ms");
  report("runtime.stop-1000-tags-p99", pct(stops, 99), "ms");

  for (const [, c] of figures) await c.close();
  await callee.close();
  await router.close();
  await inProcess.close();
  await embedded.close();
  await plain.quit("bench over");
  await secure.quit("bench over");
  await rm(dir, { recursive: true, force: true });
}

await main();
