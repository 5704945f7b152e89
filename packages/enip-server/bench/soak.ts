// Soak campaign (issue 10, item 11): `pnpm --filter @cpppo/enip-server run soak [flags]`. Loopback only, the server
// in a child process on port 0 (bench/soak-server.ts), a fresh one per phase. In every phase a normal client
// (@cpppo/enip-client, in a process of its own: bench/soak-client.ts) writes and reads a tag at a steady rate,
// first alone (baseline), then through the attack:
//   frames            10,000,000 mutated real frames over several raw sockets, reconnecting when the server closes one
//   sessions          1,000 sessions for 10 minutes, each reading lightly, with reconnect storms (all drop and register)
//   idle-flood        4,100 idle TCP sockets (beyond the default cap of 4,096), closed ones opened again
//   half-frame-flood  1,000 sockets each holding a header that promises 65,535 bytes, closed ones opened again
// Per phase: server crashes (its exit and stderr), the normal client's errors, the server's peak RSS (VmHWM),
// p50/p99/max latency before and during the attack, the attack's rate, and what the server refused. Prints
// `BENCH enip-server.soak.<phase>.<figure> <value> <unit>` lines and a table; exits 1 when a phase missed a target.
import { parseArgs } from "node:util";
import { printMachine, report } from "@cpppo/bench-kit";
import { fuzzServer } from "./fuzz-engine.js";
import {
  Findings,
  halfFrameHeader,
  latencySummary,
  probeNewClient,
  runFlood,
  runSessionStorms,
  sleep,
} from "./soak-attacks.js";
import {
  type NormalClientProcess,
  type NormalClientResult,
  startNormalClientHere,
  startNormalClientProcess,
} from "./soak-client.js";
import {
  type RefusalCounts,
  type SoakServer,
  type SoakServerLimits,
  startSoakServer,
} from "./soak-server.js";

const PHASES = ["frames", "sessions", "idle-flood", "half-frame-flood"] as const;
type Phase = (typeof PHASES)[number];
/** The server's peak RSS may not exceed this in any phase. */
const RSS_BOUND_MB = 512;

const USAGE = `usage: soak [--phase ${PHASES.join("|")}]... [--frames N] [--sessions N] [--minutes M]
            [--flood-seconds S] [--idle-sockets N] [--half-frames N] [--baseline-seconds S] [--interval-ms MS]
            [--storm-seconds S] [--read-ms MS] [--connections N] [--seed N] [--max-connections N]
            [--client-here]   (the normal client in this process: quicker to start, but its latencies
                               then include the attack's event loop; for smoke runs, not for figures)`;

function options(): {
  phases: Phase[];
  frames: number;
  sessions: number;
  minutes: number;
  floodSeconds: number;
  idleSockets: number;
  halfFrames: number;
  baselineSeconds: number;
  intervalMs: number;
  stormSeconds: number;
  readMs: number;
  connections: number;
  seed: number;
  limits: SoakServerLimits;
  clientHere: boolean;
} {
  const { values } = parseArgs({
    options: {
      phase: { type: "string", multiple: true },
      frames: { type: "string" },
      sessions: { type: "string" },
      minutes: { type: "string" },
      "flood-seconds": { type: "string" },
      "idle-sockets": { type: "string" },
      "half-frames": { type: "string" },
      "baseline-seconds": { type: "string" },
      "interval-ms": { type: "string" },
      "storm-seconds": { type: "string" },
      "read-ms": { type: "string" },
      connections: { type: "string" },
      seed: { type: "string" },
      "max-connections": { type: "string" },
      "client-here": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, fallback: number, integer = true): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      console.error(
        `soak: --${name} must be a ${integer ? "whole " : ""}number > 0, got ${JSON.stringify(text)}`,
      );
      console.error(USAGE);
      process.exit(2);
    }
    return n;
  };
  const phases = (values.phase ?? []).flatMap((p) => p.split(","));
  for (const p of phases)
    if (!(PHASES as readonly string[]).includes(p)) {
      console.error(`soak: no phase ${JSON.stringify(p)}; the phases are ${PHASES.join(", ")}`);
      process.exit(2);
    }
  const minutes = number("minutes", values.minutes, 10, false);
  const maxConnections = values["max-connections"];
  return {
    phases: phases.length > 0 ? (phases as Phase[]) : [...PHASES],
    frames: number("frames", values.frames, 10_000_000),
    sessions: number("sessions", values.sessions, 1000),
    minutes,
    floodSeconds: number("flood-seconds", values["flood-seconds"], 60, false),
    idleSockets: number("idle-sockets", values["idle-sockets"], 4100),
    halfFrames: number("half-frames", values["half-frames"], 1000),
    baselineSeconds: number("baseline-seconds", values["baseline-seconds"], 10, false),
    intervalMs: number("interval-ms", values["interval-ms"], 20, false),
    stormSeconds: number("storm-seconds", values["storm-seconds"], Math.min(60, (minutes * 60) / 3), false),
    readMs: number("read-ms", values["read-ms"], 1000, false),
    connections: number("connections", values.connections, 4),
    seed: number("seed", values.seed, (Date.now() % 1e9) + 1),
    clientHere: values["client-here"] === true,
    limits:
      maxConnections === undefined ? {} : { maxConnections: number("max-connections", maxConnections, 4096) },
  };
}

/** One phase's figures. */
interface PhaseResult {
  phase: Phase;
  crashed: boolean;
  crash: string;
  clientErrors: Findings;
  /** Errors of the attack's own well-behaved clients (sessions, new-client probes, the fuzz watcher). */
  otherErrors: Findings;
  peakRssMb: number;
  endRssMb: number;
  baseline: ReturnType<typeof latencySummary>;
  attack: ReturnType<typeof latencySummary>;
  rate: number;
  rateUnit: string;
  refusals: number;
  refusalDetail: string;
  attackSeconds: number;
  notes: string;
}

const mb = (bytes: number): number => bytes / 1048576;

function refusalTotal(c: RefusalCounts): { total: number; detail: string } {
  const statuses = Object.entries(c.statusReplies)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}×${n}`);
  const statusTotal = Object.values(c.statusReplies).reduce((a, b) => a + b, 0);
  const total = statusTotal + c.partialFramesDropped + c.idleEvicted + c.otherDestroyed + c.idleTimedOut;
  const detail =
    `error-status replies ${statusTotal}${statuses.length > 0 ? ` (${statuses.join(" ")})` : ""}; ` +
    `partial frames dropped ${c.partialFramesDropped}; idle sockets evicted ${c.idleEvicted}; ` +
    `other connections cut ${c.otherDestroyed}; idle timeouts ${c.idleTimedOut}; ` +
    `requests ${c.requests}; connections opened ${c.opened}, closed ${c.closed}, open ${c.open}`;
  return { total, detail };
}

type Attack = (
  server: SoakServer,
  otherErrors: Findings,
) => Promise<{ ms: number; amount: number; unit: string; notes: string }>;

async function runPhase(
  phase: Phase,
  o: ReturnType<typeof options>,
  attack: Attack,
  limits: SoakServerLimits = o.limits,
): Promise<PhaseResult> {
  console.log(`# phase ${phase}: starting the server`);
  const server = await startSoakServer(limits);
  let client: NormalClientProcess | undefined;
  const otherErrors = new Findings();
  let peak = server.memory().peak;
  const sampler = setInterval(() => {
    const m = server.memory();
    peak = Math.max(peak, m.peak);
  }, 1000);
  let outcome: Awaited<ReturnType<Attack>> = { ms: 0, amount: 0, unit: "", notes: "" };
  let counts: RefusalCounts | undefined;
  try {
    client = await (o.clientHere ? startNormalClientHere : startNormalClientProcess)(
      server.tcpPort,
      o.intervalMs,
    );
    console.log(`# phase ${phase}: baseline ${o.baselineSeconds} s`);
    await sleep(o.baselineSeconds * 1000);
    client.bucket("attack");
    console.log(`# phase ${phase}: attack`);
    outcome = await attack(server, otherErrors);
    client.bucket("after");
    // A moment for the server to see the attack's last closes, so that "open" shows what it kept.
    await sleep(Math.min(2000, o.baselineSeconds * 1000));
    if (server.alive()) counts = await server.counts().catch(() => undefined);
  } catch (err) {
    otherErrors.add(`the phase failed: ${(err as Error).message}`);
  } finally {
    clearInterval(sampler);
  }
  const seen: NormalClientResult = (await client?.stop().catch((err: Error) => {
    otherErrors.add(`the normal client: ${err.message}`);
    return undefined;
  })) ?? { latencies: {}, errors: new Findings(), operations: 0 };
  if (client === undefined) seen.errors.add("the normal client did not start");
  const memory = server.memory();
  peak = Math.max(peak, memory.peak);
  const aliveAtEnd = server.alive();
  const exitBefore = server.exit;
  const code = await server.close();
  const crashed = !aliveAtEnd || code !== 0;
  const crash = crashed
    ? `exit ${exitBefore ? `code ${exitBefore.code} signal ${exitBefore.signal} before the end` : `code ${code} on close`}; stderr: ${server.stderr().trim().split("\n").slice(-5).join(" | ")}`
    : "";
  const refusals = counts ? refusalTotal(counts) : { total: Number.NaN, detail: "counts not read" };
  return {
    phase,
    crashed,
    crash,
    clientErrors: seen.errors,
    otherErrors,
    peakRssMb: mb(peak),
    endRssMb: mb(memory.current),
    baseline: latencySummary(seen.latencies.baseline ?? []),
    attack: latencySummary(seen.latencies.attack ?? []),
    rate: outcome.ms > 0 ? outcome.amount / (outcome.ms / 1000) : 0,
    rateUnit: outcome.unit,
    refusals: refusals.total,
    refusalDetail: refusals.detail,
    attackSeconds: outcome.ms / 1000,
    notes: outcome.notes,
  };
}

/** Every `everyMs` during `work`, a new client connects, reads and closes; failures go to `errors`. */
async function withProbes<T>(port: number, errors: Findings, everyMs: number, work: Promise<T>): Promise<T> {
  let done = false;
  let probes = 0;
  const probing = (async () => {
    while (!done) {
      await Promise.race([sleep(everyMs), work.then(() => undefined)]);
      if (done) break;
      probes++;
      const failed = await probeNewClient(port);
      if (failed !== undefined) errors.add(`a new client during the flood: ${failed}`);
    }
  })();
  try {
    return await work;
  } finally {
    done = true;
    await probing;
    console.log(`# ${probes} new-client probes during the attack`);
  }
}

const o = options();
printMachine();
console.log(
  `# soak: phases ${o.phases.join(", ")}; frames ${o.frames}, sessions ${o.sessions} for ${o.minutes} min ` +
    `(storm every ${o.stormSeconds} s), floods ${o.idleSockets} idle + ${o.halfFrames} half-frame sockets for ` +
    `${o.floodSeconds} s; baseline ${o.baselineSeconds} s; normal client one operation every ${o.intervalMs} ms; seed ${o.seed}`,
);
const results: PhaseResult[] = [];
for (const phase of o.phases) {
  let result: PhaseResult;
  if (phase === "frames")
    result = await runPhase(phase, o, async (server, other) => {
      const fuzz = await fuzzServer(
        { host: "127.0.0.1", tcpPort: server.tcpPort, udpPort: server.udpPort },
        {
          frames: o.frames,
          seed: o.seed,
          connections: o.connections,
          onProgress: (sent) => {
            const m = server.memory();
            console.log(
              `# ${sent} frames sent; server rss ${mb(m.current).toFixed(0)} MB (peak ${mb(m.peak).toFixed(0)} MB)`,
            );
          },
        },
      );
      for (const e of fuzz.watcherErrors) other.add(`fuzz watcher: ${e}`);
      for (const f of fuzz.failures) other.add(`fuzzer: ${f}`);
      return {
        ms: fuzz.ms,
        amount: fuzz.frames,
        unit: "frames/s",
        notes:
          `${fuzz.frames} frames (tcp ${fuzz.tcpFrames}, udp ${fuzz.udpFrames}), replies tcp ${fuzz.tcpReplies} udp ${fuzz.udpReplies}, ` +
          `${fuzz.connections} connections, ${fuzz.closedByServer} closed by the server, ${fuzz.syncTimeouts} sync timeouts, ` +
          `fuzz watcher ${fuzz.watcherReads} checked reads`,
      };
    });
  else if (phase === "sessions")
    result = await runPhase(phase, o, async (server, other) => {
      const storms = await runSessionStorms({
        port: server.tcpPort,
        sessions: o.sessions,
        durationMs: o.minutes * 60_000,
        stormEveryMs: o.stormSeconds * 1000,
        readEveryMs: o.readMs,
      });
      for (const e of storms.errors.messages) other.add(e);
      other.count += storms.errors.count - storms.errors.messages.length;
      const reads = latencySummary(storms.readLatencies);
      return {
        ms: storms.ms,
        amount: storms.frames,
        unit: "frames/s",
        notes:
          `${o.sessions} sessions, ${storms.storms} storms, ${storms.registers} registrations, ${storms.reads} reads ` +
          `(session read p50 ${reads.p50.toFixed(2)} ms, p99 ${reads.p99.toFixed(2)} ms, max ${reads.max.toFixed(1)} ms)`,
      };
    });
  else {
    const idle = phase === "idle-flood";
    result = await runPhase(phase, o, async (server, other) => {
      const flood = await withProbes(
        server.tcpPort,
        other,
        Math.max(500, Math.min(5000, (o.floodSeconds * 1000) / 4)),
        runFlood({
          port: server.tcpPort,
          sockets: idle ? o.idleSockets : o.halfFrames,
          send: idle ? undefined : halfFrameHeader(),
          durationMs: o.floodSeconds * 1000,
        }),
      );
      return {
        ms: flood.ms,
        amount: flood.opened,
        unit: "conn/s",
        notes:
          `${idle ? o.idleSockets : o.halfFrames} sockets wanted, peak ${flood.peakOpen} open at once, ` +
          `${flood.opened} opened in all, ${flood.closedByServer} closed by the server, ${flood.failedConnects} failed connects`,
      };
    });
  }
  results.push(result);
  const p = `enip-server.soak.${phase}`;
  report(`${p}.crashes`, result.crashed ? 1 : 0, "crashes");
  report(`${p}.client-errors`, result.clientErrors.count, "errors");
  report(`${p}.other-client-errors`, result.otherErrors.count, "errors");
  report(`${p}.peak-rss`, result.peakRssMb, "MB");
  report(`${p}.baseline-p50`, result.baseline.p50, "ms");
  report(`${p}.baseline-p99`, result.baseline.p99, "ms");
  report(`${p}.baseline-max`, result.baseline.max, "ms");
  report(`${p}.attack-p50`, result.attack.p50, "ms");
  report(`${p}.attack-p99`, result.attack.p99, "ms");
  report(`${p}.attack-max`, result.attack.max, "ms");
  report(`${p}.rate`, result.rate, result.rateUnit);
  report(`${p}.refusals`, result.refusals, "refusals");
  console.log(`# ${phase}: ${result.notes}`);
  console.log(`# ${phase}: the server refused: ${result.refusalDetail}`);
  console.log(
    `# ${phase}: normal client ${result.baseline.n} operations before, ${result.attack.n} during the attack (${result.attackSeconds.toFixed(1)} s)`,
  );
  if (result.crashed) console.log(`CRASH ${phase}: ${result.crash}`);
  for (const e of result.clientErrors.messages) console.log(`CLIENT-ERROR ${phase}: ${e}`);
  for (const e of result.otherErrors.messages) console.log(`OTHER-ERROR ${phase}: ${e}`);
}

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const rows = [
  [
    "phase",
    "crashes",
    "client errors",
    "other errors",
    "peak RSS MB",
    "baseline p50/p99/max ms",
    "attack p50/p99/max ms",
    "rate",
    "refusals",
    "attack s",
  ],
  ...results.map((r) => [
    r.phase,
    String(r.crashed ? 1 : 0),
    String(r.clientErrors.count),
    String(r.otherErrors.count),
    f(r.peakRssMb, 0),
    `${f(r.baseline.p50)} / ${f(r.baseline.p99)} / ${f(r.baseline.max, 1)}`,
    `${f(r.attack.p50)} / ${f(r.attack.p99)} / ${f(r.attack.max, 1)}`,
    `${f(r.rate, 0)} ${r.rateUnit}`,
    String(r.refusals),
    f(r.attackSeconds, 1),
  ]),
];
const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
console.log("");
for (const row of rows) console.log(`| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`);
const failed = results.filter(
  (r) => r.crashed || r.clientErrors.count > 0 || r.otherErrors.count > 0 || r.peakRssMb > RSS_BOUND_MB,
);
console.log(
  `soak ${failed.length === 0 ? "ok" : `FAILED (${failed.map((r) => r.phase).join(", ")})`}: targets 0 crashes, ` +
    `0 client errors, peak RSS < ${RSS_BOUND_MB} MB per phase`,
);
process.exit(failed.length === 0 ? 0 : 1);
