/**
 * What the five client CLIs share: the injected I/O, argument errors (exit status 2), `[host][:port]` addresses,
 * cpppo's verbosity and `-l` log, Python-style value printing (cpppo prints `%r`), and operation lines from stdin.
 */
import { setMaxListeners } from "node:events";
import { appendFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { EPath } from "@cpppo/cip-codec";
import { parseRoutePath, parseSendPath } from "@cpppo/enip-client";
import { z } from "zod";

/** Exit status when every operation succeeded. */
export const EXIT_OK = 0;
/** Exit status when any operation (or the connection) failed. */
export const EXIT_FAILED = 1;
/** Exit status for bad arguments; one line on stderr says which and why. */
export const EXIT_USAGE = 2;

/** The EtherNet/IP TCP and UDP port. */
export const ENIP_PORT = 44818;

/** Something text can be written to (process.stdout, a test buffer). */
export interface TextSink {
  write(text: string): unknown;
  /** True when it is a terminal (live progress lines are drawn only then). */
  isTTY?: boolean;
}

/** Where a CLI's `main` reads and writes; injected so tests run it in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Standard input, read for the `-` operation argument; defaults to none (no lines). */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Aborting stops the command gracefully (SIGINT in the real CLI). */
  signal?: AbortSignal;
}

/** The real process's I/O, with SIGINT/SIGTERM aborting `signal`. */
export function processIo(): CliIo {
  const controller = new AbortController();
  // Every request in flight listens to this one signal; a deep pipeline is not a listener leak.
  setMaxListeners(0, controller.signal);
  const stop = (): void => controller.abort(new Error("interrupted"));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal };
}

/** Runs a CLI's `main` as the process: argv from the command line, exit status from its result. */
export function runMain(main: (argv: string[], io: CliIo) => Promise<number>): void {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
      // A pending SIGINT listener or socket must not keep a finished command alive.
      setImmediate(() => process.exit(code)).unref();
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}

/** A bad command line: `main` prints `<command>: <message>` on stderr and returns exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses `argv` with node's parseArgs (strict), turning its complaints into UsageError. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
): {
  values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; args: string[] }>>["values"];
  positionals: string[];
} {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs explains some mistakes over several lines; the CLIs report one.
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, " "));
  }
}

/** Validates one flag's text with a zod schema, naming the flag in the error. */
export function flag<S extends z.ZodType>(name: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UsageError(`"${name}" ${issue ? issue.message : "is invalid"}, got ${JSON.stringify(raw)}`);
}

/** Seconds as a positive decimal number. */
export const seconds = z.coerce
  .number({ error: "must be a number of seconds" })
  .positive("must be more than 0 seconds");
/** A count of at least 1. */
export const positiveInt = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1");
/** A count of 0 or more. */
export const nonNegativeInt = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must be 0 or more");

/** A host and port from `[host][:port]`, `[v6]:port` or a bare IPv6 address; missing parts take the defaults. */
export function parseAddress(
  text: string | undefined,
  defaultHost: string,
  defaultPort = ENIP_PORT,
): { host: string; port: number } {
  const raw = (text ?? "").trim();
  let host = raw;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
  } else if ((raw.match(/:/g) ?? []).length === 1) {
    const colon = raw.indexOf(":");
    host = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
  }
  const port =
    portText === undefined || portText === ""
      ? defaultPort
      : flag(
          "--address",
          z.coerce.number().int().min(1, "port must be 1..65535").max(0xffff, "port must be 1..65535"),
          portText,
        );
  return { host: host === "" ? defaultHost : host, port };
}

/** cpppo's verbosity levels for `-v` counts: 0 warnings, 1 normal, 2 detail, 3 info, 4 debug. */
export type Verbosity = number;

/** Writes log lines to the `-l` file (appended) or stderr, for messages at or under the `-v` verbosity. */
/** The `-S`, `--route-path` and `--send-path` flags as client options: `-S` means no route and no send path. */
export function routingOptions(v: { simple?: boolean; "route-path"?: string; "send-path"?: string }): {
  routePath?: EPath | false;
  sendPath?: EPath | "";
} {
  if (v.simple) return { routePath: false, sendPath: "" };
  return {
    ...(v["route-path"] !== undefined && { routePath: parseRoutePath(v["route-path"]) }),
    ...(v["send-path"] !== undefined && { sendPath: parseSendPath(v["send-path"]) }),
  };
}

export class Log {
  constructor(
    private readonly io: CliIo,
    private readonly verbosity: Verbosity,
    private readonly file?: string,
  ) {}

  /** Logs `text` when the verbosity is at least `level` (0 = always). */
  at(level: number, text: string): void {
    if (this.verbosity < level) return;
    const line = `${timestamp()} ${text}\n`;
    if (this.file) appendFileSync(this.file, line);
    else this.io.stderr.write(line);
  }
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: cpppo's timestamp text. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Local time as Python's `time.ctime()`: `Tue Nov  4 09:04:32 2026`. */
export function ctime(date = new Date()): string {
  const day = String(date.getDate()).padStart(2, " ");
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${time} ${date.getFullYear()}`;
}

/** A Python string literal for `text`, quoted as `repr` quotes it. */
function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ch === "\\" || ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** A float as Python prints it: `1.0`, `1.5`, `inf`, `nan`, `1e+20`. */
function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Math.abs(n) >= 1e16)
    return n
      .toExponential()
      .replace(/e\+?(-?)(\d)$/, "e$1+0$2")
      .replace("e+-", "e-");
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** `value` as Python's `repr` would print it (cpppo prints values with `%r`); `floats` prints numbers as floats. */
export function pyRepr(value: unknown, floats = false): string {
  if (value === undefined || value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number")
    return floats ? pyFloat(value) : Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "string") return pyString(value);
  if (value instanceof Uint8Array) return `[${Array.from(value).join(", ")}]`;
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, floats)).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyString(k)}: ${pyRepr(v, floats)}`)
      .join(", ")}}`;
  return String(value);
}

/** JSON text of `value` with bigints as numbers' digits in strings and byte arrays as lists. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v,
  );
}

/** The lines of `input`, without line ends, skipping blank lines and `#` comments. */
export async function* operationLines(
  input: AsyncIterable<string | Uint8Array> | undefined,
): AsyncGenerator<string> {
  if (!input) return;
  const decoder = new TextDecoder();
  let carry = "";
  const keep = (line: string): boolean => {
    const t = line.trim();
    return t !== "" && !t.startsWith("#");
  };
  for await (const chunk of input) {
    carry += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const lines = carry.split(/\r?\n/);
    carry = lines.pop() as string;
    for (const line of lines) if (keep(line)) yield line.trim();
  }
  carry += decoder.decode();
  if (keep(carry)) yield carry.trim();
}

/** Runs `body`, mapping UsageError to exit status 2 with one line `<command>: <message>` on stderr. */
export async function withUsage(command: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (
      error instanceof UsageError ||
      isCoded(error, "ERR_INVALID_ARG") ||
      isCoded(error, "ERR_INVALID_OPERATION")
    ) {
      io.stderr.write(`${command}: ${(error as Error).message.replace(/\s*\n\s*/g, " ")}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`${command}: ${describeError(error)}\n`);
    return EXIT_FAILED;
  }
}

/** True when `error` carries the stable `code`. */
export function isCoded(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** `message (code)` of a coded error, else its message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${error.message} (${code})` : error.message;
}
