/**
 * An EnipServer in a child process for the fuzz script and the benchmarks, so that the load generator
 * and the server do not share one event loop and the server's RSS is its own. Started by
 * `startServerChild`; talks over the IPC channel: "ready" (ports, start time, RSS) once listening,
 * "rss" on request, and it closes the server gracefully and exits 0 on "close".
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startNodeReferenceServer } from "@cpppo/bench-kit";
import { Controller } from "../src/controller/controller.js";
import { startPlant } from "../src/plant.js";
import { EnipServer } from "../src/server.js";
import { exampleSensorUdt } from "./fuzz-engine.js";

/** What the child builds. */
export interface ChildConfig {
  /** Tag definitions (cpppo grammar). */
  tags?: string[];
  /** Adds this many generated tags (`T<i>`: DINT, REAL, INT[10], BOOL in turn) after `tags`. */
  generatedTags?: number;
  /** Defines the ExampleSensor UDT (codec fixtures) so that tags may use `Example_SENSOR`. */
  exampleSensor?: boolean;
  /** Listen on UDP too; defaults to false. */
  udp?: boolean;
  /** The server's `maxConnections`; defaults to the server's default. */
  maxConnections?: number;
  /** Instead of one server: a plain Node TCP echo server (the round-trip ceiling of the benchmarks). */
  echo?: boolean;
  /** Instead of one server: a plant of this many controllers (`startPlant`, 127.0.1.1 onwards, each on a free port). */
  plant?: number;
}

/** The child's "ready" message. */
export interface ChildReady {
  type: "ready";
  tcpPort: number;
  udpPort?: number;
  /** With `plant`: the address and port of every controller. */
  controllers?: { host: string; port: number }[];
  /** Milliseconds from before the Controller was built until the server listened. */
  startMs: number;
  /** RSS right after start, bytes. */
  rss: number;
}

/** A running server child. */
export interface ServerChild {
  readonly ready: ChildReady;
  /** The child's process id (for its CPU time in `/proc/<pid>/stat`). */
  readonly pid: number;
  /** The child's current RSS, bytes. */
  rss(): Promise<number>;
  /** True while the child process runs. */
  alive(): boolean;
  /** The child's exit code, once it has exited (null on a signal). */
  readonly exitCode: number | null;
  /** Closes the server gracefully and waits (up to 10 s) for the child to exit; resolves to its exit code. */
  close(): Promise<number | null>;
}

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Forks this file as a server child (through tsx, source conditions on); `execArgv` adds Node flags such as `--cpu-prof`. */
export async function startServerChild(config: ChildConfig, execArgv: string[] = []): Promise<ServerChild> {
  const child: ChildProcess = fork(join(here, "server-child.ts"), [JSON.stringify(config)], {
    execArgv: ["--conditions=@cpppo/source", "--import", "tsx", ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let exitCode: number | null = null;
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exited = true;
      exitCode = code;
      resolve(code);
    }),
  );
  const ready = await withTimeout(
    new Promise<ChildReady>((resolve, reject) => {
      child.on("message", (m: { type?: string }) => {
        if (m.type === "ready") resolve(m as ChildReady);
      });
      void exit.then((code) => reject(new Error(`the server child exited with ${code} before it was ready`)));
    }),
    60_000,
    "the server child to start",
  );
  return {
    ready,
    pid: child.pid ?? 0,
    rss: () =>
      withTimeout(
        new Promise<number>((resolve) => {
          const onMessage = (m: { type?: string; rss?: number }): void => {
            if (m.type !== "rss") return;
            child.off("message", onMessage);
            resolve(m.rss ?? 0);
          };
          child.on("message", onMessage);
          child.send({ type: "rss" });
        }),
        5000,
        "the server child's RSS",
      ),
    alive: () => !exited,
    get exitCode() {
      return exitCode;
    },
    close: async () => {
      if (!exited) child.send({ type: "close" });
      return withTimeout(exit, 10_000, "the server child to exit").catch(() => {
        child.kill("SIGKILL");
        return null;
      });
    },
  };
}

/** What the child runs: one server, an echo server or a plant, each with a port to report and a close. */
async function build(
  config: ChildConfig,
): Promise<{ ready: Omit<ChildReady, "type" | "startMs" | "rss">; close(): Promise<void> }> {
  if (config.echo) {
    const echo = await startNodeReferenceServer((chunk) => chunk);
    return { ready: { tcpPort: echo.port }, close: () => echo.close() };
  }
  if (config.plant !== undefined) {
    const plant = await startPlant({
      count: config.plant,
      baseAddress: "127.0.1.1",
      port: 0,
      controller: () => ({ tags: config.tags ?? [] }),
      server: { udp: config.udp ?? false },
    });
    const controllers = plant.servers.map((s) => ({
      host: s.tcpAddress?.address ?? "",
      port: s.tcpAddress?.port ?? 0,
    }));
    return { ready: { tcpPort: controllers[0]?.port ?? 0, controllers }, close: () => plant.close() };
  }
  const tags = [...(config.tags ?? [])];
  const kinds = ["DINT", "REAL", "INT[10]", "BOOL"];
  for (let i = 0; i < (config.generatedTags ?? 0); i++) tags.push(`T${i}=${kinds[i % kinds.length]}`);
  const controller = new Controller({ udts: config.exampleSensor ? [exampleSensorUdt()] : [], tags });
  const server = await EnipServer.start({
    controller,
    host: "127.0.0.1",
    port: 0,
    udp: config.udp ?? false,
    maxConnections: config.maxConnections,
  });
  return {
    ready: { tcpPort: server.tcpAddress?.port ?? 0, udpPort: server.udpAddress?.port },
    close: () => server.close(),
  };
}

/** The child's body: build, listen, report, serve until told to close. */
async function serve(config: ChildConfig): Promise<void> {
  const started = performance.now();
  const running = await build(config);
  const startMs = performance.now() - started;
  const send = (message: object): void => {
    process.send?.(message);
  };
  send({ type: "ready", ...running.ready, startMs, rss: process.memoryUsage().rss } satisfies ChildReady);
  process.on("message", (m: { type?: string }) => {
    if (m.type === "rss") send({ type: "rss", rss: process.memoryUsage().rss });
    else if (m.type === "close")
      void running.close().then(() => {
        process.disconnect?.();
        process.exitCode = 0;
      });
  });
  // The parent going away ends the child too.
  process.on("disconnect", () => {
    void running.close().then(() => process.exit(0));
  });
}

if (
  process.send !== undefined &&
  process.argv[2] !== undefined &&
  process.argv[1]?.endsWith("server-child.ts")
)
  void serve(JSON.parse(process.argv[2]) as ChildConfig);
