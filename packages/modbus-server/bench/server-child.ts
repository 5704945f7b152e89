/**
 * A ModbusServer (or a bare Node socket server answering one canned reply) in a child process, so the load
 * generator and the server do not share an event loop. Talks over IPC: "ready" (port, start time) once
 * listening; on "close" it closes the server gracefully and exits 0.
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startNodeReferenceServer } from "@cpppo/bench-kit";
import { ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";

/** What the child runs. */
export interface ChildConfig {
  /** cpppo ranges for the store (ignored with `canned`). */
  ranges?: string[];
  /** Instead of the simulator: a bare Node server that answers every chunk with these bytes (hex). */
  canned?: string;
  /** The server's maxConnections. */
  maxConnections?: number;
}

export interface ChildReady {
  type: "ready";
  port: number;
  /** Milliseconds from before the ranges were parsed until the server listened. */
  startMs: number;
}

export interface ServerChild {
  readonly ready: ChildReady;
  /** The child's process id (to pin it to a CPU, or read its `/proc/<pid>/stat`). */
  readonly pid: number;
  /** The child's CPU time so far (user + system), microseconds. */
  cpu(): Promise<number>;
  close(): Promise<number | null>;
}

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

/**
 * Forks this file as a server child (through tsx, source conditions on, plus `options.execArgv`, e.g.
 * `--cpu-prof`); resolves once it listens (60 s deadline).
 */
export async function startServerChild(
  config: ChildConfig,
  options: { execArgv?: string[] } = {},
): Promise<ServerChild> {
  const child: ChildProcess = fork(join(here, "server-child.ts"), [JSON.stringify(config)], {
    execArgv: ["--conditions=@cpppo/source", "--import", "tsx", ...(options.execArgv ?? [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server child did not start within 60 s")), 60_000);
    child.on("message", (m: { type?: string }) => {
      if (m.type !== "ready") return;
      clearTimeout(timer);
      resolve(m as ChildReady);
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server child exited with ${code} before it was ready`));
    });
  });
  return {
    ready,
    pid: child.pid ?? 0,
    cpu: () =>
      new Promise<number>((resolve) => {
        const onMessage = (m: { type?: string; cpu?: number }): void => {
          if (m.type !== "cpu") return;
          child.off("message", onMessage);
          resolve(m.cpu ?? 0);
        };
        child.on("message", onMessage);
        child.send({ type: "cpu" });
      }),
    close: async () => {
      child.send({ type: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

async function serve(config: ChildConfig): Promise<void> {
  const started = performance.now();
  let port: number;
  let close: () => Promise<void>;
  if (config.canned !== undefined) {
    const reply = Buffer.from(config.canned, "hex");
    const canned = await startNodeReferenceServer(() => reply);
    port = canned.port;
    close = canned.close;
  } else {
    const server = new ModbusServer({
      store: ModbusStore.fromRanges(parseRegisterRanges(config.ranges ?? [])),
      ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
    });
    const listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
    port = listener.port;
    close = () => server.close();
  }
  const startMs = performance.now() - started;
  process.send?.({ type: "ready", port, startMs } satisfies ChildReady);
  process.on("message", (m: { type?: string }) => {
    if (m.type === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: "cpu", cpu: user + system });
    } else if (m.type === "close")
      void close().then(() => {
        process.disconnect();
        process.exit(0);
      });
  });
}

if (process.send !== undefined && process.argv[2] !== undefined)
  void serve(JSON.parse(process.argv[2]) as ChildConfig);
