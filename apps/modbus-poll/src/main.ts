/**
 * The `modbus-poll` command: cpppo's `modbus_poll` on @cpppo/modbus-poller. It writes the values given with the
 * ranges, then polls the ranges and logs each change as `%5d == %5d (was: %s)`, `failing: …, polling: …` at -v
 * whenever the sets change and `load: x.xx` at -vv; `--json` prints one JSON object per change on stdout instead.
 * It keeps running through server loss, recovers by itself, and stops on SIGINT or SIGTERM with status 0.
 */
import type { EventEmitter } from "node:events";
import { isAbsolute, resolve } from "node:path";
import {
  type CliOutput,
  COMMON_OPTIONS,
  EXIT_FAILED,
  EXIT_OK,
  jsonLine,
  Log,
  packageVersion,
  runCommand,
  splitAddress,
  type TextSink,
  UsageError,
} from "@cpppo/cli-kit";
import {
  formatRanges,
  type LoadEvent,
  ModbusPoller,
  type PollRange,
  type RangesEvent,
  type ValueEvent,
} from "@cpppo/modbus-poller";
import { type PollSpec, parsePollSpec, writesOf } from "./ranges.js";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface MainIo extends CliOutput {
  stdout: TextSink & { isTTY?: boolean };
  stderr: TextSink;
  /** Working directory for a relative -l path; default `process.cwd()`. */
  cwd?: string;
  /** Emits "SIGINT" and "SIGTERM" (stop) and "SIGHUP" (reopen the -l log); `process` in the real CLI. */
  signals?: EventEmitter;
}

const USAGE = `usage: modbus-poll [options] RANGE [RANGE ...]

Polls Modbus/TCP registers and logs every change, with cpppo's modbus_poll flags and lines. RANGE is
<begin>[-<end>][=<val>[,<val>...]] in cpppo's 1-based addresses (coils 1-9999, discrete inputs 10001-19999,
input registers 30001-39999, holding registers 40001-99999, and the 6-digit forms); values (decimal or 0x hex)
repeat to fill the range and are written before polling starts, one FC16 (FC15 for coils) per block of up to
123 registers, FC6 (FC5) for a single one.

options:
  -a, --address HOST[:PORT]  the server (default 127.0.0.1:502)
  -u, --unit N               unit id (default 0, as cpppo)
  -R, --rate S               poll period in seconds (default 1.0)
  -r, --reach N              merge registers up to N apart into one read (default 1)
  -t, --timeout S            deadline over each transaction, connect included, in seconds (default 1.0)
  -v, --verbose              -v logs "failing: ..., polling: ..." whenever the sets change, -vv "load: x.xx"
  -l, --log FILE             log to FILE instead of stderr (SIGHUP reopens it)
      --json                 print one JSON object per change on stdout instead of the "==" log line
  -h, --help                 show this help
      --version              show the version

Each change is logged as "ADDR == VALUE (was: OLD)" ("was: None" the first time). It keeps polling through
server loss and recovers by itself; SIGINT or SIGTERM stops it with status 0. Bad flags: one line, status 2;
a write that fails: one line, status 1.

examples:
  modbus-poll -a localhost:1502 40001-40100
  modbus-poll -a 10.0.0.5 -u 1 -R 0.5 -vv 40010=7 40001-40020 1-16
`;

const SPEC = {
  name: "modbus-poll",
  usage: USAGE,
  version: () => packageVersion(import.meta.url),
  options: {
    ...COMMON_OPTIONS,
    unit: { type: "string", short: "u" },
    rate: { type: "string", short: "R" },
    reach: { type: "string", short: "r" },
    timeout: { type: "string", short: "t" },
    json: { type: "boolean" },
  },
} as const;

/** What the command line asks for. */
export interface Settings {
  host: string;
  port: number;
  unit: number;
  periodMs: number;
  reach: number;
  timeoutMs: number;
  verbosity: number;
  log: string | undefined;
  json: boolean;
  specs: PollSpec[];
}

function positiveSeconds(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || !Number.isFinite(v))
    throw new UsageError(`${flag} must be a positive number of seconds, not "${text}"`);
  return Math.round(v * 1000);
}

function integer(text: string | undefined, flag: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text) || v > max)
    throw new UsageError(`${flag} must be an integer 0-${max}, not "${text}"`);
  return v;
}

/** The settings of a parsed command line; throws UsageError for bad values. */
export function settingsOf(values: Record<string, unknown>, positionals: string[], cwd: string): Settings {
  const address = splitAddress((values.address as string | undefined) ?? "127.0.0.1:502");
  const port = address.port === "" ? 502 : Number(address.port);
  if (!/^\d+$/.test(address.port || "502") || port < 1 || port > 0xffff)
    throw new UsageError(`-a: "${address.port}" is not a TCP port (1-65535)`);
  if (positionals.length === 0)
    throw new UsageError("give at least one register range, e.g. 40001-40100 (see --help)");
  const log = values.log as string | undefined;
  return {
    host: address.host === "" || address.host === "0.0.0.0" ? "127.0.0.1" : address.host,
    port,
    unit: integer(values.unit as string | undefined, "-u/--unit", 0, 255),
    periodMs: positiveSeconds(values.rate as string | undefined, "-R/--rate", 1000),
    reach: integer(values.reach as string | undefined, "-r/--reach", 1, 65535),
    timeoutMs: positiveSeconds(values.timeout as string | undefined, "-t/--timeout", 1000),
    verbosity: (values.verbose as boolean[] | undefined)?.length ?? 0,
    log: log === undefined ? undefined : isAbsolute(log) ? log : resolve(cwd, log),
    json: values.json === true,
    specs: positionals.map(parsePollSpec),
  };
}

/** How often the live table is redrawn, at most. */
const TABLE_REDRAW_MS = 1_000;

/** The live table: clear the screen, a header with the load, then each range's values ("-" before the first read). */
export function liveTable(poller: ModbusPoller, settings: Settings, load: number): string {
  const rows = settings.specs.map((spec) => {
    const values = Array.from({ length: spec.count }, (_, i) => poller.read(spec.begin + i) ?? "-");
    const end = spec.begin + spec.count - 1;
    return `${spec.count === 1 ? spec.begin : `${spec.begin}-${end}`}: ${values.join(" ")}`;
  });
  const state = poller.online ? "online" : "offline";
  const header = `modbus-poll ${settings.host}:${settings.port} unit ${settings.unit} ${state} load: ${load.toFixed(2)}`;
  return `\x1b[H\x1b[2J${header}\n${rows.join("\n")}\n`;
}

/** cpppo's change line: the address and value right-aligned in 5, the old value as Python prints it. */
export function changeLine(address: number, value: number, was: number | undefined): string {
  return `${String(address).padStart(5)} == ${String(value).padStart(5)} (was: ${was === undefined ? "None" : was})`;
}

/** cpppo's `failing: …, polling: …` text of two range lists. */
export function rangesLine(failing: readonly PollRange[], polling: readonly PollRange[]): string {
  const text = (rs: readonly PollRange[]) => formatRanges(rs.map((r) => [r.address, r.count] as const));
  return `failing: ${text(failing)}, polling: ${text(polling)}`;
}

/** Runs modbus-poll until SIGINT/SIGTERM; resolves with the exit status (0, 1 when a write fails, 2 for bad flags). */
export function main(argv: string[], io: MainIo): Promise<number> {
  return runCommand(SPEC, argv, io, async ({ values, positionals }) => {
    const settings = settingsOf(values, positionals, io.cwd ?? process.cwd());
    const log = new Log({ verbosity: settings.verbosity, file: settings.log, stderr: io.stderr }).open();
    const poller = new ModbusPoller({
      host: settings.host,
      port: settings.port,
      unit: settings.unit,
      period: settings.periodMs,
      reach: settings.reach,
      timeout: settings.timeoutMs,
    });
    try {
      for (const spec of settings.specs)
        for (const { address, value } of writesOf(spec)) {
          const outcome = await poller.write(address, value, { multi: Array.isArray(value) });
          if (outcome.exception !== undefined) {
            io.stderr.write(
              `modbus-poll: write to ${address} refused: Modbus exception ${outcome.exception}\n`,
            );
            await poller.close();
            log.close();
            return EXIT_FAILED;
          }
        }
    } catch (err) {
      io.stderr.write(`modbus-poll: write failed: ${(err as Error).message}\n`);
      await poller.close();
      log.close();
      return EXIT_FAILED;
    }
    return await run(poller, settings, log, io);
  });
}

async function run(poller: ModbusPoller, settings: Settings, log: Log, io: MainIo): Promise<number> {
  let loadText = "";
  let rangesText = "";
  poller.on("value", (e: ValueEvent) => {
    if (settings.json)
      io.stdout.write(
        `${jsonLine({ address: e.address, value: e.value, was: e.was ?? null, unit: e.unit, time: Date.now() / 1000 })}\n`,
      );
    else log.write("WARNING", changeLine(e.address, e.value, e.was));
  });
  poller.on("ranges", (e: RangesEvent) => {
    const text = rangesLine(e.failing, e.polling);
    if (text === rangesText) return;
    rangesText = text;
    log.write("NORMAL", text);
  });
  const table = io.stdout.isTTY === true && !settings.json;
  let drawn = Number.NEGATIVE_INFINITY;
  poller.on("load", (e: LoadEvent) => {
    // On a terminal, a live table of the values and the load, redrawn at most once a second (and at once at first).
    const now = performance.now();
    if (table && now - drawn >= TABLE_REDRAW_MS) {
      drawn = now;
      io.stdout.write(liveTable(poller, settings, e.load[0]));
    }
    const text = e.load[0].toFixed(2);
    if (text === loadText) return;
    loadText = text;
    log.write("DETAIL", `load: ${text}`);
  });
  poller.on("online", () => log.write("NORMAL", `${settings.host}:${settings.port} online`));
  poller.on("offline", () => log.write("WARNING", `${settings.host}:${settings.port} offline`));
  for (const spec of settings.specs) poller.poll(spec.begin, spec.count);
  const signals = io.signals;
  const reopen = () => log.reopen();
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((ok) => {
    stop = ok;
  });
  signals?.once("SIGINT", stop);
  signals?.once("SIGTERM", stop);
  signals?.on("SIGHUP", reopen);
  await stopped;
  signals?.off("SIGINT", stop);
  signals?.off("SIGTERM", stop);
  signals?.off("SIGHUP", reopen);
  await poller.close();
  log.close();
  return EXIT_OK;
}
