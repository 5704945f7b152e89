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
export type CProgram = "enip-load" | "enip-echo";

/** A compiled C program (`path`), or why there is none (`skipped`, e.g. "no cc"). */
export type CBuild = { path: string; skipped?: undefined } | { path?: undefined; skipped: string };

const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, "..", "c");
const FLAGS = ["-O2", "-Wall"];
const built = new Map<CProgram, CBuild>();

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
  const hash = createHash("sha256").update(text).update(FLAGS.join(" ")).digest("hex").slice(0, 12);
  const dir = cCacheDir();
  const path = join(dir, `${program}-${hash}`);
  let result: CBuild;
  if (existsSync(path)) result = { path };
  else {
    mkdirSync(dir, { recursive: true });
    // Compile to a private name and rename, so that two benchmarks compiling at once never run half a file.
    const partial = `${path}.${process.pid}.partial`;
    const cc = spawnSync("cc", [...FLAGS, "-o", partial, source], { encoding: "utf8" });
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
  // stdin is a pipe: the server exits when it closes, so it never outlives this process.
  const child: ChildProcess = spawn(build.path, ["0"], { stdio: ["pipe", "pipe", "inherit"] });
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
      reject(new Error("enip-echo did not start within 10 s"));
    }, 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error("enip-echo exited before it listened"));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /^PORT (\d+)$/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), close });
    });
  });
}
