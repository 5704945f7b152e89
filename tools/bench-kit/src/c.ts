/**
 * The C programs of the benchmarks (`tools/bench-kit/c/`): a lock-step EtherNet/IP load generator
 * (`enip-load`) and a canned-reply EtherNet/IP server (`enip-echo`), compiled with `cc -O2` on first
 * use into a cache folder under `os.tmpdir()`. Without a C compiler every helper reports "no cc" and the
 * benchmarks that need it print a `# … skipped: no cc` line instead of a figure.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The C programs in `tools/bench-kit/c/`. */
export type CProgram = "enip-load" | "enip-echo" | "modbus-load" | "modbus-libmodbus-server";

/** A compiled C program (`path`), or why there is none (`skipped`, e.g. "no cc"). */
export type CBuild = { path: string; skipped?: undefined } | { path?: undefined; skipped: string };

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, "..", "c");
const FLAGS = ["-O2", "-Wall"];
const built = new Map<CProgram, CBuild>();
/** Programs that link a system library, found through pkg-config (skipped without it). */
const LIBRARIES: Partial<Record<CProgram, string>> = { "modbus-libmodbus-server": "libmodbus" };

/** `pkg-config --cflags --libs <library>` split into arguments, or why it is missing. */
function libraryFlags(library: string): { flags: string[]; skipped?: undefined } | { skipped: string } {
  const pc = spawnSync("pkg-config", ["--cflags", "--libs", library], { encoding: "utf8" });
  if (pc.error !== undefined) return { skipped: `no pkg-config (needed for ${library})` };
  if (pc.status !== 0) return { skipped: `no ${library} (pkg-config does not know it)` };
  return {
    flags: pc.stdout
      .trim()
      .split(/\s+/)
      .filter((f) => f !== ""),
  };
}

/** The folder compiled programs are cached in: `<os.tmpdir()>/cpppo-bench-kit-c`. */
export function cCacheDir(): string {
  return join(os.tmpdir(), "cpppo-bench-kit-c");
}

/**
 * Compiles `tools/bench-kit/c/<program>.c` with `cc -O2` (once per source version: the cached binary is
 * named by a hash of the source and flags) and returns its path, or `{ skipped: "no cc" }` when there is
 * no C compiler and `{ skipped: "cc failed: …" }` when it does not compile.
 */
export function buildC(program: CProgram): CBuild {
  const known = built.get(program);
  if (known !== undefined) return known;
  const source = join(sourceDir, `${program}.c`);
  const text = readFileSync(source);
  const library = LIBRARIES[program];
  const linked = library === undefined ? { flags: [] } : libraryFlags(library);
  if (linked.skipped !== undefined) {
    const missing: CBuild = { skipped: linked.skipped };
    built.set(program, missing);
    return missing;
  }
  const hash = createHash("sha256")
    .update(text)
    .update([...FLAGS, ...linked.flags].join(" "))
    .digest("hex")
    .slice(0, 12);
  const dir = cCacheDir();
  const path = join(dir, `${program}-${hash}`);
  let result: CBuild;
  if (existsSync(path)) result = { path };
  else {
    mkdirSync(dir, { recursive: true });
    // Compile to a private name and rename, so that two benchmarks compiling at once never run half a file.
    const partial = `${path}.${process.pid}.partial`;
    const cc = spawnSync("cc", [...FLAGS, "-o", partial, source, ...linked.flags], { encoding: "utf8" });
    if (cc.error !== undefined) {
      const code = (cc.error as NodeJS.ErrnoException).code;
      result = { skipped: code === "ENOENT" ? "no cc" : `cc failed: ${cc.error.message}` };
    } else if (cc.status !== 0) {
      rmSync(partial, { force: true });
      result = { skipped: `cc failed: ${(cc.stderr.split("\n")[0] ?? "").trim()}` };
    } else {
      renameSync(partial, path);
      result = { path };
    }
  }
  built.set(program, result);
  return result;
}

/** Options of `runEnipLoad`. */
export interface EnipLoadOptions {
  /** The server's TCP port. */
  port: number;
  /** The server's IPv4 address; defaults to 127.0.0.1. */
  host?: string;
  /** The atomic DINT tag read; defaults to "D". */
  tag?: string;
  /** Seconds measured after the warm-up; defaults to 2. */
  seconds?: number;
  /** Seconds of warm-up (replies not counted); defaults to 0.5. */
  warmupSeconds?: number;
}

/** What one `enip-load` run measured. */
export interface EnipLoadResult {
  /** Replies received and checked in the measured window. */
  replies: number;
  /** Length of the measured window, seconds. */
  seconds: number;
  /** `replies / seconds`. */
  rate: number;
}

/**
 * Runs the C load generator against an EtherNet/IP server: RegisterSession, then lock-step Read Tag
 * requests (pipeline depth 1) for `seconds` after a warm-up. Rejects when it cannot be built, or when
 * any reply is missing or wrong (the program's own message), or after a generous deadline.
 */
export function runEnipLoad(options: EnipLoadOptions): Promise<EnipLoadResult> {
  const build = buildC("enip-load");
  if (build.path === undefined) return Promise.reject(new Error(`enip-load skipped: ${build.skipped}`));
  const seconds = options.seconds ?? 2;
  const warmup = options.warmupSeconds ?? 0.5;
  const args = [
    String(options.port),
    String(seconds),
    String(warmup),
    options.tag ?? "D",
    options.host ?? "127.0.0.1",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(build.path, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + warmup + 30) * 1000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const m = /^OK (\d+) ([\d.]+)/m.exec(out);
      if (code !== 0 || m === null) {
        reject(new Error(`enip-load failed (${signal ?? code}): ${err.trim() || out.trim()}`));
        return;
      }
      const replies = Number(m[1]);
      const measured = Number(m[2]);
      resolve({ replies, seconds: measured, rate: replies / measured });
    });
  });
}

/** A running `enip-echo` server. */
export interface EnipEcho {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** Stops it and waits (up to 5 s, then SIGKILL) for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts the C canned-reply server on 127.0.0.1 (a free port): each request framed by its encapsulation
 * length gets a correctly framed reply with no CIP work (SendRRData: a Read Tag reply of one DINT).
 * Rejects when it cannot be built or does not start within 10 s.
 */
export function startEnipEcho(): Promise<EnipEcho> {
  const build = buildC("enip-echo");
  if (build.path === undefined) return Promise.reject(new Error(`enip-echo skipped: ${build.skipped}`));
  return startCServer("enip-echo", build.path, ["0"]);
}

/**
 * Spawns a C server that prints `PORT <n>` once it listens and exits when its stdin closes (so it never outlives
 * this process); resolves with its port, pid and a `close` that waits (up to 5 s, then SIGKILL) for it to exit.
 */
function startCServer(name: string, command: string, argv: string[]): Promise<CServer> {
  const child: ChildProcess = spawn(command, argv, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async (): Promise<void> => {
    child.stdin?.end();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`${name} did not start within 10 s`));
    }, 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it listened`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /^PORT (\d+)$/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), pid: child.pid ?? 0, close });
    });
  });
}

let tasksetKnown: boolean | undefined;

/** Whether `taskset` (util-linux) runs here, so processes can be pinned to one CPU. */
export function hasTaskset(): boolean {
  if (tasksetKnown === undefined) {
    const probe = spawnSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" });
    tasksetKnown = probe.error === undefined && probe.status === 0;
  }
  return tasksetKnown;
}

/**
 * Pins a running process and all its threads to `cpu` (`taskset -a -pc`); returns false when taskset is
 * missing or refuses (e.g. the CPU does not exist), in which case the process is left as it was.
 */
export function pinProcess(pid: number, cpu: number): boolean {
  if (!hasTaskset()) return false;
  const pin = spawnSync("taskset", ["-a", "-pc", String(cpu), String(pid)], { encoding: "utf8" });
  return pin.error === undefined && pin.status === 0;
}

/** `[command, args]` run on `cpu` through `taskset -c` when asked for and taskset exists. */
function pinned(path: string, args: string[], cpu: number | undefined): [string, string[]] {
  return cpu !== undefined && hasTaskset() ? ["taskset", ["-c", String(cpu), path, ...args]] : [path, args];
}

/** Options of `runModbusLoad`. */
export interface ModbusLoadOptions {
  /** The server's TCP port. */
  port: number;
  /** The server's IPv4 address; defaults to 127.0.0.1. */
  host?: string;
  /** "lockstep" (one connection, as fast as the server answers; the default) or "poll". */
  mode?: "lockstep" | "poll";
  /** Connections of a "poll" run; defaults to 1000. */
  connections?: number;
  /** Milliseconds between one connection's requests in a "poll" run; defaults to 100. */
  periodMs?: number;
  /** Seconds measured after the warm-up; defaults to 2. */
  seconds?: number;
  /** Seconds of warm-up (replies not counted); defaults to 0.5. */
  warmupSeconds?: number;
  /** Runs the generator pinned to this CPU (`taskset -c`) when taskset exists. */
  cpu?: number;
  /** False for a canned-reply server: replies' transaction ids are not checked; defaults to true. */
  checkTransaction?: boolean;
}

/** What one `modbus-load` run measured: the program's JSON line. */
export interface ModbusLoadResult {
  mode: "lockstep" | "poll";
  connections: number;
  /** Replies received and checked for requests sent in the measured window. */
  requests: number;
  /** Length of the measured window, seconds. */
  seconds: number;
  /** `requests / seconds`. */
  rate: number;
  /** Round trip (request written to whole reply read) percentiles and maximum, milliseconds. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** "poll": requests sent more than 1 ms after they fell due (the generator or the server fell behind). */
  late: number;
}

/**
 * Runs the C Modbus/TCP load generator (FC3 of 100 registers from 0, unit 1, every reply checked): lock-step
 * on one connection, or `connections` clients each polling every `periodMs`. Rejects when it cannot be
 * built, when any reply is wrong or missing for 5 s (the program's own message), or after a generous deadline.
 */
export function runModbusLoad(options: ModbusLoadOptions): Promise<ModbusLoadResult> {
  const build = buildC("modbus-load");
  if (build.path === undefined) return Promise.reject(new Error(`modbus-load skipped: ${build.skipped}`));
  const seconds = options.seconds ?? 2;
  const warmup = options.warmupSeconds ?? 0.5;
  const args = [
    String(options.port),
    options.mode ?? "lockstep",
    String(options.connections ?? 1000),
    String(options.periodMs ?? 100),
    String(seconds),
    String(warmup),
    options.host ?? "127.0.0.1",
    ...(options.checkTransaction === false ? ["any-transaction"] : []),
  ];
  const [command, argv] = pinned(build.path, args, options.cpu);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + warmup + 60) * 1000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const line = /^\{.*\}$/m.exec(out);
      if (code !== 0 || line === null) {
        reject(new Error(`modbus-load failed (${signal ?? code}): ${err.trim() || out.trim()}`));
        return;
      }
      resolve(JSON.parse(line[0]) as ModbusLoadResult);
    });
  });
}

/** A running C server of the benchmarks. */
export interface CServer {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** Its process id (for `/proc/<pid>/stat`); that of taskset's exec'd program when pinned. */
  readonly pid: number;
  /** Stops it and waits (up to 5 s, then SIGKILL) for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts libmodbus's own Modbus/TCP server (`modbus-libmodbus-server.c`: modbus_receive / modbus_reply over
 * poll(), 10,000 registers of each table, holding registers all 7) on 127.0.0.1, a free port, pinned to
 * `cpu` when given and taskset exists. Rejects when it cannot be built (no cc, no libmodbus) or does not
 * start within 10 s.
 */
export function startModbusLibmodbusServer(options: { cpu?: number } = {}): Promise<CServer> {
  const build = buildC("modbus-libmodbus-server");
  if (build.path === undefined)
    return Promise.reject(new Error(`modbus-libmodbus-server skipped: ${build.skipped}`));
  const [command, argv] = pinned(build.path, ["0"], options.cpu);
  return startCServer("modbus-libmodbus-server", command, argv);
}

/**
 * CPU time (user + system) a process has used so far, microseconds, from `/proc/<pid>/stat` (fields 14 and 15,
 * in clock ticks of 1/100 s on Linux); undefined where there is no /proc.
 */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1e6) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ; 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;
