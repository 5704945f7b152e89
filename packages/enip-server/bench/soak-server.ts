/**
 * The soak campaign's server: an EnipServer (the fuzz controller's tags and the soak's own) in a child process on
 * 127.0.0.1, port 0, with the server's default limits. Besides serving it counts what it refused, from the
 * server's diagnostics channels and its connection objects: replies with an error status in the encapsulation
 * header, connections it cut off (partial frames dropped or stalled, idle sockets evicted) and connections it
 * ended for silence. The parent reads the child's peak RSS from /proc (VmHWM), keeps the tail of its stderr,
 * and sees a crash as an exit it did not ask for.
 */
import { type ChildProcess, fork } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Controller } from "../src/controller/controller.js";
import type { RequestEvent, SessionEvent } from "../src/core/diagnostics.js";
import { EnipServer } from "../src/server.js";
import { TcpConnection } from "../src/transport/tcp-connection.js";
import { exampleSensorUdt, FUZZ_TAGS } from "./fuzz-engine.js";

/** The tag the soak's normal client writes and reads (no fuzz seed names it). */
export const SOAK_WATCH_TAG = "SoakWatch";
export const SOAK_WATCH_ELEMENTS = 8;
/** The tag the sessions of the storm phase read. */
export const SOAK_READ_TAG = "SoakRead";
export const SOAK_READ_ELEMENTS = 100;

/** What the server refused or cut off, counted in the child. */
export interface RefusalCounts {
  /** Replies whose encapsulation status was not 0, by status (hex, e.g. "0x65"). */
  statusReplies: Record<string, number>;
  /** Connections the server destroyed while a partial frame was held (partial-frame deadline, buffer budget). */
  partialFramesDropped: number;
  /** Connections the server destroyed that never sent a byte (evicted at the connection cap). */
  idleEvicted: number;
  /** Other connections the server destroyed (shutdown excluded: counts are read before closing). */
  otherDestroyed: number;
  /** Connections the server ended after its inactivity timeout. */
  idleTimedOut: number;
  /** Requests answered (or dropped) and sessions opened and closed, from the diagnostics channels. */
  requests: number;
  opened: number;
  closed: number;
  /** TCP connections open right now. */
  open: number;
}

/** A running soak server child. */
export interface SoakServer {
  readonly pid: number;
  readonly tcpPort: number;
  readonly udpPort: number | undefined;
  alive(): boolean;
  /** The child's exit (code, signal) once it has exited on its own or was closed. */
  readonly exit: { code: number | null; signal: string | null } | undefined;
  /** The last 8 KB the child wrote to stderr. */
  stderr(): string;
  counts(): Promise<RefusalCounts>;
  /** Peak and current resident set of the child (VmHWM, VmRSS of /proc/PID/status), bytes; 0 when unreadable. */
  memory(): { peak: number; current: number };
  /** Closes the server gracefully; resolves with the exit code (null when it had to be killed). */
  close(): Promise<number | null>;
}

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const STDERR_TAIL = 8192;

/** VmHWM and VmRSS of process `pid`, bytes (Linux); zeros elsewhere. */
export function procMemory(pid: number): { peak: number; current: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { peak: kb("VmHWM") * 1024, current: kb("VmRSS") * 1024 };
  } catch {
    return { peak: 0, current: 0 };
  }
}

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Server limits a scaled-down run may lower (so that a small flood still passes them); defaults are the server's. */
export interface SoakServerLimits {
  maxConnections?: number;
  maxBufferedBytes?: number;
}

/** Forks the soak server (through tsx, source conditions on) and waits until it listens. */
export async function startSoakServer(limits: SoakServerLimits = {}): Promise<SoakServer> {
  const child: ChildProcess = fork(join(here, "soak-server.ts"), ["serve", JSON.stringify(limits)], {
    execArgv: ["--conditions=@cpppo/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let tail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
    process.stderr.write(chunk.replace(/^(?=.)/gm, "# server stderr: "));
  });
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const ready = await deadline(
    new Promise<{ tcpPort: number; udpPort?: number }>((resolve, reject) => {
      child.on("message", (m: { type?: string; tcpPort?: number; udpPort?: number }) => {
        if (m.type === "ready") resolve({ tcpPort: m.tcpPort ?? 0, udpPort: m.udpPort });
      });
      void exited.then(() => reject(new Error(`the soak server exited (${exit?.code}) before it listened`)));
    }),
    60_000,
    "the soak server to listen",
  );
  return {
    pid: child.pid ?? 0,
    tcpPort: ready.tcpPort,
    udpPort: ready.udpPort,
    alive: () => exit === undefined,
    get exit() {
      return exit;
    },
    stderr: () => tail,
    counts: () =>
      deadline(
        new Promise<RefusalCounts>((resolve) => {
          const onMessage = (m: { type?: string; counts?: RefusalCounts }): void => {
            if (m.type !== "counts" || m.counts === undefined) return;
            child.off("message", onMessage);
            resolve(m.counts);
          };
          child.on("message", onMessage);
          child.send({ type: "counts" });
        }),
        10_000,
        "the soak server's counts",
      ),
    memory: () => procMemory(child.pid ?? 0),
    close: async () => {
      if (exit === undefined && child.connected) child.send({ type: "close" });
      try {
        await deadline(exited, 15_000, "the soak server to exit");
      } catch {
        child.kill("SIGKILL");
        await exited;
        return null;
      }
      return exit?.code ?? null;
    },
  };
}

/** Wraps `TcpConnection`'s destroy and end to count what the server cut off (the bench's view, not an API). */
function countCutOffs(counts: RefusalCounts): void {
  const proto = TcpConnection.prototype as unknown as {
    destroy?: (this: TcpConnection) => void;
    end?: (this: TcpConnection, dropQueued: boolean) => void;
  };
  const destroy = proto.destroy;
  const end = proto.end;
  if (typeof destroy === "function")
    proto.destroy = function (this: TcpConnection) {
      if (!this.socket.destroyed) {
        if (this.reserved > 0) counts.partialFramesDropped++;
        else if (this.received === 0) counts.idleEvicted++;
        else counts.otherDestroyed++;
      }
      destroy.call(this);
    };
  // The inactivity watch ends a connection (dropping the queue) while nothing is being answered; a request that
  // closes (UnRegisterSession, a bad frame) ends it while it is answered; a peer's FIN and shutdown keep the queue.
  if (typeof end === "function")
    proto.end = function (this: TcpConnection, dropQueued: boolean) {
      if (dropQueued && !this.answering && !this.eof && !this.socket.destroyed) counts.idleTimedOut++;
      end.call(this, dropQueued);
    };
}

async function serve(limits: SoakServerLimits): Promise<void> {
  const counts: RefusalCounts = {
    statusReplies: {},
    partialFramesDropped: 0,
    idleEvicted: 0,
    otherDestroyed: 0,
    idleTimedOut: 0,
    requests: 0,
    opened: 0,
    closed: 0,
    open: 0,
  };
  countCutOffs(counts);
  subscribe("cpppo:enip:request", (message) => {
    const event = message as RequestEvent;
    counts.requests++;
    const reply = event.reply;
    if (reply === undefined || reply.length < 12) return;
    const status = (reply[8] as number) | ((reply[9] as number) << 8) | ((reply[10] as number) << 16);
    if (status !== 0) {
      const key = `0x${status.toString(16).padStart(2, "0")}`;
      counts.statusReplies[key] = (counts.statusReplies[key] ?? 0) + 1;
    }
  });
  subscribe("cpppo:enip:session", (message) => {
    if ((message as SessionEvent).event === "open") counts.opened++;
    else counts.closed++;
  });
  const controller = new Controller({
    udts: [exampleSensorUdt()],
    tags: [
      ...FUZZ_TAGS,
      `${SOAK_WATCH_TAG}=DINT[${SOAK_WATCH_ELEMENTS}]`,
      `${SOAK_READ_TAG}=INT[${SOAK_READ_ELEMENTS}]`,
    ],
  });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: true, ...limits });
  process.send?.({ type: "ready", tcpPort: server.tcpAddress?.port, udpPort: server.udpAddress?.port });
  process.on("message", (m: { type?: string }) => {
    if (m.type === "counts") {
      counts.open = server.connections().length;
      process.send?.({ type: "counts", counts });
    } else if (m.type === "close")
      void server.close().then(() => {
        process.disconnect?.();
        process.exitCode = 0;
      });
  });
  // The parent going away ends the child too.
  process.on("disconnect", () => {
    void server.close().then(() => process.exit(0));
  });
}

if (process.send !== undefined && process.argv[2] === "serve" && process.argv[1]?.endsWith("soak-server.ts"))
  void serve(JSON.parse(process.argv[3] ?? "{}") as SoakServerLimits);
