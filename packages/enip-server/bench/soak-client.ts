/**
 * The soak campaign's normal client in a process of its own, so that its latencies are the server's and not those of
 * the attack's event loop (the fuzzers, the sessions and the floods run in the parent). The parent names the bucket
 * the next latencies go to ("baseline", "attack") and, at the end, gets every latency and error back.
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Findings, NormalClient } from "./soak-attacks.js";

/** What the normal client saw. */
export interface NormalClientResult {
  latencies: Record<string, number[]>;
  errors: Findings;
  operations: number;
}

/** A running normal-client process. */
export interface NormalClientProcess {
  /** Latencies from now on go to `name`. */
  bucket(name: string): void;
  /** Stops the client and returns what it saw. */
  stop(): Promise<NormalClientResult>;
}

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));

function onMessage<T>(child: ChildProcess, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", listener);
      reject(new Error(`the normal client process sent no "${type}" within ${ms} ms`));
    }, ms);
    const listener = (m: { type?: string }): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off("message", listener);
      resolve(m as T);
    };
    child.on("message", listener);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the normal client process exited (${code}) before "${type}"`));
    });
  });
}

/** Forks the normal client against 127.0.0.1:`port`; resolves once it has connected and registered. */
export async function startNormalClientProcess(
  port: number,
  intervalMs: number,
): Promise<NormalClientProcess> {
  const child = fork(join(here, "soak-client.ts"), ["client", String(port), String(intervalMs)], {
    execArgv: ["--conditions=@cpppo/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const started = await onMessage<{ error?: string }>(child, "started", 60_000).catch((err: Error) => ({
    error: err.message,
  }));
  if (started.error !== undefined) {
    child.kill("SIGKILL");
    throw new Error(`the normal client could not start: ${started.error}`);
  }
  return {
    bucket: (name) => child.send({ type: "bucket", name }),
    stop: async () => {
      const result = onMessage<{ result: NormalClientResult }>(child, "result", 30_000);
      child.send({ type: "stop" });
      try {
        const { result: r } = await result;
        const errors = new Findings();
        errors.count = r.errors.count;
        errors.messages.push(...r.errors.messages);
        return { latencies: r.latencies, errors, operations: r.operations };
      } finally {
        if (child.connected) child.disconnect();
      }
    },
  };
}

/** The same client in this process (quick runs: its latencies then include this process's event loop). */
export async function startNormalClientHere(port: number, intervalMs: number): Promise<NormalClientProcess> {
  const client = new NormalClient(port, intervalMs);
  await client.start();
  return {
    bucket: (name) => {
      client.bucket = name;
    },
    stop: async () => {
      await client.stop();
      return {
        latencies: Object.fromEntries(client.latencies),
        errors: client.errors,
        operations: client.operations,
      };
    },
  };
}

async function run(port: number, intervalMs: number): Promise<void> {
  const client = new NormalClient(port, intervalMs);
  try {
    await client.start();
  } catch (err) {
    process.send?.({ type: "started", error: (err as Error).message });
    return;
  }
  process.send?.({ type: "started" });
  process.on("message", (m: { type?: string; name?: string }) => {
    if (m.type === "bucket" && m.name !== undefined) client.bucket = m.name;
    else if (m.type === "stop")
      void client.stop().then(() => {
        const result: NormalClientResult = {
          latencies: Object.fromEntries(client.latencies),
          errors: client.errors,
          operations: client.operations,
        };
        process.send?.({ type: "result", result });
      });
  });
  process.on("disconnect", () => {
    void client.stop().then(() => process.exit(0));
  });
}

if (process.send !== undefined && process.argv[2] === "client" && process.argv[1]?.endsWith("soak-client.ts"))
  void run(Number(process.argv[3]), Number(process.argv[4]));
