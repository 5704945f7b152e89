/**
 * The `modbus-sim` command: cpppo's Modbus simulator flags (§3.6 of the Modbus notes) over @cpppo/modbus-server.
 * It parses argv, builds the sparse store from the register ranges, serves Modbus/TCP, Modbus/TCP Security (TLS)
 * or RTU on a serial device, prints cpppo's `Success; Started …` line, and on SIGINT or SIGTERM stops gracefully
 * (replies in flight are sent) before it returns exit status 0; a second signal stops at once.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  answerHelpOrVersion,
  type CliOutput,
  COMMON_OPTIONS,
  type CommandInfo,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  Log,
  packageVersion,
  parseCommandLine,
  serverLogLine,
  type TextSink,
  UsageError,
  watchStopSignals,
  within,
} from "@cpppo/cli-kit";
import { startWebApi, type WebApi } from "@cpppo/enip-server";
import {
  type ModbusAccess,
  type ModbusHooks,
  ModbusServer,
  type ModbusServerOptions,
  ModbusStore,
  parseRegisterRanges,
  type RegisterRange,
} from "@cpppo/modbus-server";
import {
  type Endpoint,
  MODBUS_TCP_PORT,
  MODBUS_TLS_PORT,
  parseConfig,
  parseEndpoint,
  parseEvil,
  parsePortsToTry,
  parseTls,
  parseWebAddress,
  type Settings,
} from "./settings.js";
import { modbusWeb } from "./web.js";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface MainIo extends CliOutput {
  /** Standard output: the Success line and --help. */
  stdout: TextSink;
  /** Standard error: the one-line failure message, and the log when there is no -l file. */
  stderr: TextSink;
  /** Working directory for relative paths (-l, -a device, --tls-*); default `process.cwd()`. */
  cwd?: string;
  /** Emits "SIGINT", "SIGTERM" (stop gracefully) and "SIGHUP" (reopen the -l log); `process` in the real CLI. */
  signals?: EventEmitter;
  /** The process id the Success line reports; default `process.pid`. */
  pid?: number;
}

/** The diagnostics channel @cpppo/modbus-server publishes TCP and TLS connections on. */
const CONNECTION_CHANNEL = "cpppo:modbus:connection";

/** How long a graceful shutdown may take before the CLI closes every connection and exits 0. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

const USAGE = `usage: modbus-sim [options] RANGE [RANGE ...]

A Modbus simulator (Modbus/TCP, Modbus/TCP Security over TLS, or RTU on a serial device), with cpppo's flags.
RANGE is <begin>[-<end>][=<val>[,<val>...]] in cpppo's 1-based addresses: coils 1-9999 (000001-065536),
discrete inputs 10001-19999 (100001-165536), input registers 30001-39999 (300001-365536), holding registers
40001-99999 (400001-465536). Values are decimal or 0x hex, repeat to fill the range, and <begin>=a,b,c
ends the range after its values; the default value is 0. Only the addresses given exist: a request touching
any other gets exception 02 (Illegal Data Address).

options:
  -v, --verbose            more logging: -v where it serves and each connection, -vv each read and write
                           it serves (default warnings only)
  -l, --log FILE           log to FILE instead of stderr (SIGHUP reopens it) (default stderr)
  -a, --address [IFACE][:PORT] | DEVICE
                           serve Modbus/TCP here (default 0.0.0.0:502; :1502 is every interface, :0 an
                           ephemeral port; 802 when TLS is on); an address containing "/" or naming an existing
                           file is a serial device served as Modbus/RTU
  -r, --range N            try N successive ports from PORT until one is free (default 1)
  -e, --evil MODE          misbehave on TCP and TLS, to test clients (default none):
                             truncate                 cut each reply to a random 0..length-1 bytes
                             delay[:S[-S]]            delay each reply S seconds, or a random LO..HI (default 5);
                                                      other clients are not held up
                             corrupt[:FIELD]          spoil a reply field: transaction (default), protocol,
                                                      unit, function or registers
  -c, --config JSON        serial line and units, pyserial's names (default
                           {"baudrate":9600,"bytesize":8,"parity":"N","stopbits":1}, every unit id), e.g.
                           '{"baudrate":19200,"slaves":[1,2,3]}'; "slaves" also limits the units on TCP
      --tls-cert FILE      serve Modbus/TCP Security (TLS >= 1.2, mutual X.509): this server's PEM certificate
      --tls-key FILE       its PEM private key
      --tls-ca FILE        the PEM CA that signs client certificates
      --tls-role ROLE=FC,FC...  function codes the client role may use (repeatable; ROLE=* allows every one;
                           default none: every request is refused). The role is the client certificate's
                           extension 1.3.6.1.4.1.50316.802.1; a refused request gets exception 01
  -w, --web [IFACE]:[PORT]  serve the web API at /api and the live dashboard at / for the ranges (IFACE default
                           127.0.0.1, PORT default 80); a range whose error is set there refuses every request
      --web-token TOKEN    require this bearer token for every web request (or env CPPPO_WEB_TOKEN)
  -h, --help               show this help
      --version            show the version

Once serving it prints "Success; Started Modbus/TCP Simulator; PID = N; address = HOST:PORT" (IPv6 as
[HOST]:PORT), or "Success; Started Modbus/RTU Simulator; PID = N; address = DEVICE", on stdout.
On TCP one store answers every unit id (unless "slaves" lists some; others get no reply, as cpppo does).
SIGINT or SIGTERM stops gracefully: replies in flight are sent, then every connection closes (all within 10 s)
and the exit status is 0; a second signal stops at once. Bad flags or ranges: one line on stderr, status 2.

examples:
  modbus-sim -a :1502 40001-40100=99 1-16=1 30001=1,2,3
  modbus-sim -a 127.0.0.1:0 -e delay:.5-2 40001-40010
  modbus-sim -a /dev/ttyUSB0 -c '{"baudrate":19200,"slaves":[1,2]}' 40001-40010
  modbus-sim --tls-cert server.pem --tls-key server.key --tls-ca ca.pem --tls-role Operator=1,2,3,4 40001-40010
`;

/** What --help and --version print; the version is this app's package.json's (beside src/ and dist/ alike). */
const COMMAND: CommandInfo = {
  name: "modbus-sim",
  usage: USAGE,
  version: () => packageVersion(import.meta.url),
};

const OPTIONS = {
  ...COMMON_OPTIONS,
  range: { type: "string", short: "r" },
  evil: { type: "string", short: "e" },
  config: { type: "string", short: "c" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-role": { type: "string", multiple: true },
  web: { type: "string", short: "w" },
  "web-token": { type: "string" },
} as const;

/** The settings from `argv`, or the exit status once --help or --version has been answered. */
export function parseSettings(
  argv: string[],
  io: Pick<MainIo, "stdout" | "stderr" | "cwd">,
): Settings | number {
  const { values, positionals } = parseCommandLine(
    argv,
    OPTIONS,
    (message) => `${message.split("\n")[0]} (see --help)`,
  );
  const answered = answerHelpOrVersion(COMMAND, values, io);
  if (answered !== undefined) return answered;
  const cwd = io.cwd ?? process.cwd();
  const tls = parseTls(
    {
      cert: values["tls-cert"],
      key: values["tls-key"],
      ca: values["tls-ca"],
      roles: values["tls-role"] ?? [],
    },
    cwd,
  );
  const endpoint = parseEndpoint(
    values.address ?? (tls ? `0.0.0.0:${MODBUS_TLS_PORT}` : `0.0.0.0:${MODBUS_TCP_PORT}`),
    tls ? MODBUS_TLS_PORT : MODBUS_TCP_PORT,
    cwd,
  );
  if (endpoint.kind === "rtu" && tls) throw new UsageError("TLS serves TCP only: -a names a serial device");
  // @cpppo/modbus-server spoils Modbus/TCP replies only; refusing beats a flag that silently does nothing.
  if (endpoint.kind === "rtu" && values.evil !== undefined)
    throw new UsageError("-e/--evil applies to Modbus/TCP and TLS replies, not to a serial device");
  let portsToTry = parsePortsToTry(values.range);
  if (portsToTry > 1 && endpoint.kind === "rtu")
    throw new UsageError("-r/--range tries TCP ports: it cannot be used with a serial device");
  if (endpoint.kind === "tcp" && (endpoint.port === 0 || endpoint.port + portsToTry - 1 > 0xffff))
    portsToTry = endpoint.port === 0 ? 1 : 0x10000 - endpoint.port;
  if (positionals.length === 0)
    throw new UsageError("give at least one register range, e.g. 40001-40100=0 (see --help)");
  return {
    verbosity: values.verbose?.length ?? 0,
    log:
      values.log === undefined ? undefined : isAbsolute(values.log) ? values.log : resolve(cwd, values.log),
    endpoint,
    portsToTry,
    evil: values.evil === undefined ? undefined : parseEvil(values.evil),
    serial: parseConfig(values.config),
    tls,
    ranges: positionals,
    web: values.web === undefined ? undefined : parseWebAddress(values.web),
    webToken: values["web-token"] ?? process.env.CPPPO_WEB_TOKEN,
  };
}

/** `host:port`, or `[host]:port` for IPv6: the Success line's address. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function isAddressInUse(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "EADDRINUSE" || code === "EACCES";
}

/** What is serving: its Success line and how to stop it. */
interface Serving {
  line: string;
}

async function serve(server: ModbusServer, settings: Settings, log: Log, pid: number): Promise<Serving> {
  const endpoint: Endpoint = settings.endpoint;
  if (endpoint.kind === "rtu") {
    const { baudRate, dataBits, parity, stopBits } = settings.serial;
    await server.openRtu({ path: endpoint.path, baudRate, dataBits, parity, stopBits });
    log.write(
      "NORMAL",
      `Modbus/RTU on ${endpoint.path} at ${baudRate} ${dataBits}${parity[0]?.toUpperCase()}${stopBits}`,
    );
    return { line: `Success; Started Modbus/RTU Simulator; PID = ${pid}; address = ${endpoint.path}` };
  }
  let lastError: unknown;
  for (let i = 0; i < settings.portsToTry; i++) {
    const port = endpoint.port + i;
    try {
      const bound = settings.tls
        ? await server.listenTls({
            host: endpoint.host,
            port,
            cert: readFileSync(settings.tls.cert),
            key: readFileSync(settings.tls.key),
            ca: readFileSync(settings.tls.ca),
            roles: settings.tls.roles,
          })
        : await server.listenTcp({ host: endpoint.host, port });
      const kind = settings.tls ? "Modbus/TCP Security (TLS)" : "Modbus/TCP";
      log.write("NORMAL", `${kind} on ${formatHostPort(bound.host, bound.port)}`);
      return {
        line: `Success; Started Modbus/TCP Simulator; PID = ${pid}; address = ${formatHostPort(bound.host, bound.port)}`,
      };
    } catch (err) {
      lastError = err;
      if (!isAddressInUse(err)) break;
      log.write(
        "NORMAL",
        `cannot serve on ${formatHostPort(endpoint.host, port)}: ${(err as Error).message}`,
      );
    }
  }
  const tried =
    settings.portsToTry > 1
      ? `ports ${endpoint.port}-${endpoint.port + settings.portsToTry - 1} of ${endpoint.host}`
      : formatHostPort(endpoint.host, endpoint.port);
  throw new ServeError(`cannot serve on ${tried}: ${(lastError as Error | undefined)?.message ?? "unknown"}`);
}

class ServeError extends Error {}

/** One `-vv` line per read or write: `<peer> [role] unit U fc F read|write <table> <address>+<count>`. */
export function describeAccess(a: ModbusAccess): string {
  const who = `${a.peer ?? "?"}${a.role === undefined ? "" : ` (${a.role})`}`;
  return `${who} unit ${a.unitId} fc ${a.fc} ${a.write ? "write" : "read"} ${a.table} ${a.address}+${a.count}`;
}

/** Hooks that only observe: each access as a DETAIL line of the log. */
function requestLog(log: Log): ModbusHooks {
  return {
    onRead: (access) => {
      log.write("DETAIL", describeAccess(access));
    },
    onWrite: (access) => {
      log.write("DETAIL", describeAccess(access));
    },
  };
}

/** Hooks run in order: the first that refuses or answers decides. */
function chainHooks(all: ModbusHooks[]): ModbusHooks {
  return {
    onRead: (access) => {
      for (const h of all) {
        const r = h.onRead?.(access);
        if (r !== undefined) return r;
      }
      return undefined;
    },
    onWrite: (access) => {
      for (const h of all) {
        const r = h.onWrite?.(access);
        if (r !== undefined) return r;
      }
      return undefined;
    },
  };
}

/** A caller's mistake: a UsageError, a range the store refuses, or an option the server refuses. */
function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof UsageError || code === "ERR_MODBUS_RANGE" || code === "ERR_INVALID_ARG";
}

/**
 * Runs the simulator with cpppo's arguments until SIGINT or SIGTERM; resolves to the exit status: 0 after a
 * graceful stop (or --help/--version), 2 for bad flags or ranges, 1 when it cannot serve.
 */
export async function main(argv: string[], io: MainIo): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr.write(`modbus-sim: ${message.split("\n")[0]}\n`);
    return code;
  };
  let settings: Settings;
  let store: ModbusStore;
  let ranges: RegisterRange[];
  try {
    const parsed = parseSettings(argv, io);
    if (typeof parsed === "number") return parsed;
    settings = parsed;
    if (settings.webToken === "") throw new UsageError("--web-token must not be empty");
    ranges = parseRegisterRanges(settings.ranges);
    store = ModbusStore.fromRanges(ranges);
  } catch (err) {
    return fail(isUsageError(err) ? EXIT_USAGE : EXIT_FAILED, (err as Error).message);
  }

  let log: Log;
  try {
    log = new Log({
      verbosity: settings.verbosity,
      file: settings.log,
      stderr: io.stderr,
      format: serverLogLine,
    }).open();
  } catch (err) {
    return fail(EXIT_USAGE, `-l/--log ${settings.log}: ${(err as Error).message}`);
  }

  let server: ModbusServer;
  const web = settings.web ? modbusWeb(store, ranges) : undefined;
  try {
    const options: ModbusServerOptions = { store };
    if (settings.serial.units) options.units = settings.serial.units;
    if (settings.evil) options.evil = settings.evil;
    // Hooks cost an access record per request: set only when -vv logs each one, or -w may inject errors.
    const hooks = [log.enabled("DETAIL") ? requestLog(log) : undefined, web?.hooks].filter(
      (h) => h !== undefined,
    );
    if (hooks.length > 0) options.hooks = chainHooks(hooks);
    server = new ModbusServer(options);
    web?.attach(server);
  } catch (err) {
    log.close();
    return fail(isUsageError(err) ? EXIT_USAGE : EXIT_FAILED, (err as Error).message);
  }

  // -v: each TCP or TLS connection opened and closed, as the server publishes them.
  const onConnection = (message: unknown) => {
    const m = message as { event: string; peer?: string; role?: string };
    const role = m.role === undefined ? "" : ` (role ${m.role})`;
    log.write("NORMAL", `connection from ${m.peer ?? "?"}${role}${m.event === "close" ? " closed" : ""}`);
  };
  if (log.enabled("NORMAL")) subscribe(CONNECTION_CHANNEL, onConnection);
  const unsubscribeAll = () => {
    if (log.enabled("NORMAL")) unsubscribe(CONNECTION_CHANNEL, onConnection);
  };

  let serving: Serving;
  try {
    serving = await serve(server, settings, log, io.pid ?? process.pid);
  } catch (err) {
    unsubscribeAll();
    log.close();
    await server.close({ deadlineMs: 0 }).catch(() => {});
    return fail(EXIT_FAILED, (err as Error).message);
  }

  // The first SIGINT or SIGTERM stops gracefully; another one while stopping closes every connection at once.
  const signals = watchStopSignals(io.signals, () => log.reopen());
  const { stopped, forced } = signals;

  let webApi: WebApi | undefined;
  if (settings.web && web) {
    try {
      webApi = await startWebApi({
        server: web.server,
        host: settings.web.host,
        port: settings.web.port,
        dashboard: true,
        ...(settings.webToken !== undefined && { token: settings.webToken }),
      });
    } catch (err) {
      signals.release();
      unsubscribeAll();
      log.close();
      await server.close({ deadlineMs: 0 }).catch(() => {});
      return fail(EXIT_FAILED, (err as Error).message);
    }
    log.write("NORMAL", `web API on ${webApi.url}/api, dashboard on ${webApi.url}/`);
  }

  io.stdout.write(`${serving.line}\n`);
  if (webApi) io.stdout.write(`Web dashboard = ${webApi.url}/\n`);

  const reason = await stopped;
  log.write("NORMAL", `stopping (${reason})`);
  await webApi?.close();
  signals.releaseHangup();
  let again = false;
  const inTime = await within(
    Promise.race([
      server.close({ deadlineMs: SHUTDOWN_DEADLINE_MS }),
      forced.then(() => {
        again = true;
      }),
    ]),
    SHUTDOWN_DEADLINE_MS + 1_000,
  );
  signals.release();
  if (again || !inTime) {
    log.write(
      "WARNING",
      again
        ? "a second signal: closing every connection now"
        : `shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; closing every connection now`,
    );
    await within(server.close({ deadlineMs: 0 }), 1_000);
  }
  unsubscribeAll();
  log.write("NORMAL", "stopped");
  log.close();
  return EXIT_OK;
}
