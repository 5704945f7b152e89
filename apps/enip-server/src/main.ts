/**
 * The `enip-server` command: cpppo's simulator flags (§3.1) over @cpppo/enip-server. It parses argv and the
 * cpppo.cfg files, starts the controller, the EtherNet/IP server and the optional web API, prints what cpppo prints,
 * and on SIGINT, SIGTERM or the web API's `done` closes the server gracefully before it returns exit status 0.
 */
import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { EPath, JsonDataType } from "@cpppo/cip-codec";
import {
  answerHelpOrVersion,
  type CliOutput,
  COMMON_OPTIONS,
  type CommandInfo,
  ENIP_PORT,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  Log,
  packageVersion,
  parseCommandLine,
  pyRepr,
  serverLogLine,
  splitAddress,
  type TextSink,
  UsageError,
  watchStopSignals,
  within,
} from "@cpppo/cli-kit";
import {
  Controller,
  type ControllerOptions,
  CpppoError,
  EnipServer,
  historize,
  loadSimulatorConfig,
  parseRoutePath,
  type ServerOptions,
  type SimulatorConfig,
  startWebApi,
  type TagAccess,
  type TagDefinition,
  type TagHooks,
  type WebApi,
} from "@cpppo/enip-server";
import { getZone, HistoryWriter, localZone, readRecordBatches } from "@cpppo/history";
import { logTraffic } from "./traffic-log.js";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface MainIo extends CliOutput {
  /** Standard output: -A addresses, -p tag accesses, --help. */
  stdout: TextSink;
  /** Standard error: the one-line failure message, and the log when there is no -l file. */
  stderr: TextSink;
  /** Environment (CPPPO_WEB_TOKEN, APPDATA); default none. */
  env?: Record<string, string | undefined>;
  /** Working directory for ./cpppo.cfg and relative paths; default `process.cwd()`. */
  cwd?: string;
  /** Emits "SIGINT", "SIGTERM" (stop gracefully) and "SIGHUP" (reopen the -l log); `process` in the real CLI. */
  signals?: EventEmitter;
  /** Home directory for ~/.cpppo.cfg; default the user's. */
  home?: string;
  /** System directory for cpppo.cfg; default $APPDATA or /etc. */
  systemDir?: string;
}

/** How long a graceful shutdown may take before the CLI destroys what is left and exits 0. */
const SHUTDOWN_DEADLINE_MS = 10_000;

const USAGE = `usage: enip-server [options] [TAG ...]

A Logix controller simulator speaking EtherNet/IP CIP, with cpppo's flags.
TAG is NAME[@CLASS/INSTANCE/ATTRIBUTE[/ELEMENT]][=TYPE[[SIZE]]], e.g. SCADA=INT[1000], TEXT=SSTRING[10],
FLOAT=REAL, Motor_Velocity@0x93/3/10=REAL (TYPE defaults to INT, SIZE to a scalar).

options:
  -v, --verbose            log connections, disconnections and error replies (-vv: each request too)
  -b, --config-basename NAME  read NAME.cfg instead of cpppo.cfg
  -c, --config PATH        an extra, highest-priority config file (repeatable)
      --no-config          do not read the searched config files (-c files still load)
  -a, --address [IFACE][:PORT]  bind TCP and UDP here (default :44818, all interfaces)
  -A, --address-output     print "Network TCP Server address = (host, port)" (and UDP) once bound
  -u, --udp / -U, --no-udp  serve UDP (default on)
  -t, --tcp / -T, --no-tcp  serve TCP (default on)
  -p, --print / --no-print  print each tag write (and each read with -v)
  -l, --log FILE           log to FILE instead of stderr (SIGHUP reopens it)
  -w, --web [IFACE]:[PORT]  serve the web API at /api and the live dashboard at / (IFACE default 127.0.0.1, PORT default 80)
      --web-token TOKEN    require this bearer token for every web API request (or env CPPPO_WEB_TOKEN)
  -d, --delay S|LO-HI      delay each TCP reply by S seconds, or a random LO..HI re-drawn every second
  -s, --size N             refuse encapsulated requests larger than N bytes (status 0x65)
      --idle-timeout S     close a connection silent for S seconds (default 120; 0 = never)
      --partial-frame-timeout S  close a connection whose frame takes over S seconds to arrive
                           (default 10; 0 = never)
      --max-connections N  most TCP connections (default 4096); at the cap a new one evicts the longest-idle
                           connection without a session, else it is closed
      --max-buffered BYTES  bytes all partly received frames may reserve (default 33554432); over it the
                           longest-stalled one is closed
      --route-path RP      accept only this route path (e.g. 1/0; "false" = un-routed only)
  -S, --simple             accept only un-routed requests (a simple, non-routing device)
  -D, --defined-tags FILE  user structure (UDT) definitions, JSON (pycomm3 data types or tag list)
      --historize PATH     record every tag read and write to the history file PATH in cpppo's historize
                           format (compressed by suffix: .gz, .xz; read it with cpppo-history cat)
  -h, --help               show this help
      --version            show the version

SIGINT or SIGTERM stops gracefully: replies in flight finish, then every connection closes (those a peer
keeps open are destroyed after 2 s, all after 10 s) and the exit status is 0; a second signal closes
everything at once.
`;

/** What --help and --version print; the version is this app's package.json's (beside src/ and dist/ alike). */
const COMMAND: CommandInfo = {
  name: "enip-server",
  usage: USAGE,
  version: () => packageVersion(import.meta.url),
};

const OPTIONS = {
  ...COMMON_OPTIONS,
  "config-basename": { type: "string", short: "b" },
  config: { type: "string", short: "c", multiple: true },
  "no-config": { type: "boolean" },
  "address-output": { type: "boolean", short: "A" },
  udp: { type: "boolean", short: "u" },
  "no-udp": { type: "boolean", short: "U" },
  tcp: { type: "boolean", short: "t" },
  "no-tcp": { type: "boolean", short: "T" },
  print: { type: "boolean", short: "p" },
  "no-print": { type: "boolean" },
  web: { type: "string", short: "w" },
  "web-token": { type: "string" },
  delay: { type: "string", short: "d" },
  size: { type: "string", short: "s" },
  "idle-timeout": { type: "string" },
  "partial-frame-timeout": { type: "string" },
  "max-connections": { type: "string" },
  "max-buffered": { type: "string" },
  "route-path": { type: "string" },
  simple: { type: "boolean", short: "S" },
  "defined-tags": { type: "string", short: "D" },
  historize: { type: "string" },
} as const;

/** Host and port from `[iface][:port]`; missing parts take the defaults; IPv6 hosts may be written in brackets. */
export function parseAddress(
  text: string,
  defaults: { host: string; port: number },
  flag: string,
): { host: string; port: number } {
  // Digits alone are a port here (`-w 8080`): a server binds, so a numeric host name is never meant.
  const { host, port: portText } = splitAddress(text, { barePort: true });
  if (host !== "" && !/^[A-Za-z0-9.:_-]+$/.test(host))
    throw new UsageError(`${flag} "${text}": "${host}" is not a host name or address`);
  let port = defaults.port;
  if (portText !== "") {
    if (!/^\d+$/.test(portText) || Number(portText) > 0xffff)
      throw new UsageError(`${flag} "${text}": port "${portText}" must be a number 0..65535`);
    port = Number(portText);
  }
  return { host: host === "" ? defaults.host : host, port };
}

/** The longest `-d` delay, in seconds: Node's timers run at most 2^31 - 1 ms (about 24.8 days). */
const MAX_DELAY_SECONDS = 2_147_483;

/** `-d` text: seconds, or "LO-HI" seconds with LO <= HI, at most MAX_DELAY_SECONDS. */
export function parseDelay(text: string): number | { min: number; max: number } {
  const number = "(\\d+(?:\\.\\d*)?|\\.\\d+)";
  const single = new RegExp(`^${number}$`).exec(text.trim());
  const range = new RegExp(`^${number}\\s*-\\s*${number}$`).exec(text.trim());
  const longest = single ? Number(single[1]) : range ? Number(range[2]) : 0;
  if (longest > MAX_DELAY_SECONDS)
    throw new UsageError(
      `-d/--delay "${text}" is longer than ${MAX_DELAY_SECONDS} seconds (Node's timer limit, about 24.8 days)`,
    );
  if (single) return Number(single[1]);
  if (range && Number(range[1]) <= Number(range[2])) return { min: Number(range[1]), max: Number(range[2]) };
  throw new UsageError(
    `-d/--delay "${text}" must be seconds (e.g. 0.5) or a range LO-HI with LO <= HI (e.g. 0.1-1.5)`,
  );
}

/** A flag's value as seconds >= 0, or undefined when the flag is absent. */
function parseSeconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text.trim()))
    throw new UsageError(`${flag} "${text}" must be a number of seconds >= 0 (e.g. 120 or 0.5)`);
  return Number(text);
}

/** A flag's value as an integer from `min`, or undefined when the flag is absent. */
function parseCount(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max)
    throw new UsageError(`${flag} "${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

/** cpppo's `-p` line for one access: `"%20s[%5s-%-5s] == %s"` for reads, `<= %s` for writes. */
export function formatAccess(
  name: string,
  start: number,
  count: number,
  values: readonly unknown[],
  write: boolean,
): string {
  const last = start + count - 1;
  return `${name.padStart(20)}[${String(start).padStart(5)}-${String(last).padEnd(5)}] ${write ? "<=" : "=="} ${pyRepr(values, false, "'")}`;
}

function printHooks(stdout: TextSink, printReads: boolean): TagHooks {
  const print = (access: TagAccess) => {
    stdout.write(`${formatAccess(access.name, access.start, access.count, access.values, access.write)}\n`);
  };
  return printReads ? { onRead: print, onWrite: print } : { onWrite: print };
}

/** UDT definitions from -D: a JSON data type, a list of them, or a pycomm3 tag list whose structure tags carry one. */
function readDefinedTypes(path: string): JsonDataType[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UsageError(`-D/--defined-tags ${path}: ${(err as Error).message}`);
  }
  const isDataType = (v: unknown): v is JsonDataType =>
    typeof v === "object" && v !== null && "internal_tags" in v && "name" in v && "template" in v;
  const found = new Map<string, JsonDataType>();
  const visit = (v: unknown) => {
    if (isDataType(v)) found.set(v.name, v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null && "data_type" in v)
      visit((v as { data_type: unknown }).data_type);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(visit);
  };
  visit(json);
  if (found.size === 0)
    throw new UsageError(
      `-D/--defined-tags ${path}: no structure definitions (objects with name, internal_tags, template) found`,
    );
  return [...found.values()];
}

function tagName(definition: string | TagDefinition): string {
  if (typeof definition !== "string") return definition.name;
  return (definition.split(/[@=]/)[0] ?? "").trim();
}

interface Settings {
  verbosity: number;
  tcp: boolean;
  udp: boolean;
  print: boolean;
  address: { host: string; port: number };
  addressOutput: boolean;
  web: { host: string; port: number } | undefined;
  webToken: string | undefined;
  delay: number | { min: number; max: number } | undefined;
  size: number | undefined;
  idleTimeout: number | undefined;
  partialFrameTimeout: number | undefined;
  maxConnections: number | undefined;
  maxBuffered: number | undefined;
  routePath: EPath | false | undefined;
  log: string | undefined;
  udts: JsonDataType[] | undefined;
  historize: string | undefined;
  tags: string[];
  configFiles: string[];
  configBasename: string | undefined;
  noConfig: boolean;
}

function lastOf(
  tokens: { kind: string; name?: string }[],
  on: string,
  off: string,
  fallback: boolean,
): boolean {
  let value = fallback;
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    if (t.name === on) value = true;
    else if (t.name === off) value = false;
  }
  return value;
}

/** The settings from `argv`, or the exit status once --help or --version has been answered. */
function parseSettings(argv: string[], io: MainIo): Settings | number {
  const { values, positionals, tokens } = parseCommandLine(
    argv,
    OPTIONS,
    (message) => `${message.split("\n")[0]} (see --help)`,
  );
  const answered = answerHelpOrVersion(COMMAND, values, io);
  if (answered !== undefined) return answered;
  const cwd = io.cwd ?? process.cwd();
  const env = io.env ?? {};
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && (!/^\d+$/.test(values.size as string) || size < 1))
    throw new UsageError(`-s/--size "${values.size}" must be a positive number of bytes`);
  if (values.simple && values["route-path"] !== undefined)
    throw new UsageError("-S/--simple and --route-path contradict each other; give one");
  let routePath: EPath | false | undefined;
  if (values.simple) routePath = false;
  else if (values["route-path"] !== undefined) {
    try {
      routePath = parseRoutePath(values["route-path"]);
    } catch (err) {
      throw new UsageError(`--route-path: ${(err as Error).message}`);
    }
    if (Array.isArray(routePath) && routePath.length !== 1)
      throw new UsageError(
        `--route-path "${values["route-path"]}" must be exactly one port/link segment, e.g. 1/0`,
      );
  }
  const token = values["web-token"] ?? env.CPPPO_WEB_TOKEN;
  if (token !== undefined && token === "") throw new UsageError("--web-token must not be empty");
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    verbosity: values.verbose?.length ?? 0,
    tcp: lastOf(tokens, "tcp", "no-tcp", true),
    udp: lastOf(tokens, "udp", "no-udp", true),
    print: lastOf(tokens, "print", "no-print", false),
    address: parseAddress(values.address ?? "", { host: "0.0.0.0", port: ENIP_PORT }, "-a/--address"),
    addressOutput: values["address-output"] ?? false,
    web:
      values.web === undefined
        ? undefined
        : parseAddress(values.web, { host: "127.0.0.1", port: 80 }, "-w/--web"),
    webToken: token,
    delay: values.delay === undefined ? undefined : parseDelay(values.delay),
    size,
    idleTimeout: parseSeconds("--idle-timeout", values["idle-timeout"]),
    partialFrameTimeout: parseSeconds("--partial-frame-timeout", values["partial-frame-timeout"]),
    maxConnections: parseCount("--max-connections", values["max-connections"], 1, 1_000_000),
    maxBuffered: parseCount("--max-buffered", values["max-buffered"], 24, Number.MAX_SAFE_INTEGER),
    routePath,
    log: values.log === undefined ? undefined : absolute(values.log),
    udts:
      values["defined-tags"] === undefined ? undefined : readDefinedTypes(absolute(values["defined-tags"])),
    historize: values.historize === undefined ? undefined : absolute(values.historize),
    tags: positionals,
    configFiles: values.config ?? [],
    configBasename: values["config-basename"],
    noConfig: values["no-config"] ?? false,
  };
}

function pythonAddress(a: { address: string; port: number }): string {
  return `('${a.address}', ${a.port})`;
}

/**
 * Runs the simulator with cpppo's arguments until SIGINT, SIGTERM or the web API's `done`; resolves to the exit
 * status: 0 after a graceful stop (or --help/--version), 2 for bad flags, tags, addresses or config, 1 otherwise.
 */
export async function main(argv: string[], io: MainIo): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr.write(`enip-server: ${message.split("\n")[0]}\n`);
    return code;
  };
  let settings: Settings;
  let config: SimulatorConfig;
  try {
    const parsed = parseSettings(argv, io);
    if (typeof parsed === "number") return parsed;
    settings = parsed;
    config = await loadSimulatorConfig({
      files: settings.configFiles,
      noConfig: settings.noConfig,
      ...(settings.configBasename !== undefined && { basename: settings.configBasename }),
      ...(io.cwd !== undefined && { cwd: io.cwd }),
      ...(io.home !== undefined && { home: io.home }),
      ...(io.systemDir !== undefined && { systemDir: io.systemDir }),
      env: io.env ?? {},
    });
  } catch (err) {
    return fail(EXIT_USAGE, (err as Error).message);
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
  for (const warning of config.warnings) log.write("WARNING", warning);
  if (config.files.length > 0) log.write("NORMAL", `config files: ${config.files.join(", ")}`);

  // Command-line tags replace configured tags of the same name.
  const cliNames = new Set(settings.tags.map((t) => tagName(t).toLowerCase()));
  const tags: (string | TagDefinition)[] = [
    ...config.tags.filter((t) => !cliNames.has(t.name.toLowerCase())),
    ...settings.tags,
  ];
  let controller: Controller;
  try {
    const options: ControllerOptions = { identity: config.identity, tcpip: config.tcpip, tags };
    if (settings.udts) options.udts = settings.udts;
    if (settings.print) options.hooks = printHooks(io.stdout, log.enabled("NORMAL"));
    controller = new Controller(options);
  } catch (err) {
    log.close();
    const source = Object.entries(config.tagSources).find(([name]) =>
      (err as Error).message.includes(`"${name}`),
    )?.[1];
    const message = source ? `${source}: ${(err as Error).message}` : (err as Error).message;
    // Caller mistakes (tags, types, values, identity) are usage errors; anything else is a failure.
    return fail(err instanceof CpppoError ? EXIT_USAGE : EXIT_FAILED, message);
  }

  const serverOptions: ServerOptions = {
    controller,
    host: settings.address.host,
    port: settings.address.port,
    tcp: settings.tcp,
    udp: settings.udp,
  };
  if (settings.delay !== undefined) serverOptions.delay = settings.delay;
  if (settings.size !== undefined) serverOptions.maxRequestSize = settings.size;
  if (settings.idleTimeout !== undefined) serverOptions.idleTimeout = settings.idleTimeout;
  if (settings.partialFrameTimeout !== undefined)
    serverOptions.partialFrameTimeout = settings.partialFrameTimeout;
  if (settings.maxConnections !== undefined) serverOptions.maxConnections = settings.maxConnections;
  if (settings.maxBuffered !== undefined) serverOptions.maxBufferedBytes = settings.maxBuffered;
  const routePath = settings.routePath !== undefined ? settings.routePath : config.routePath;
  if (routePath !== undefined) serverOptions.routePath = routePath;
  if (config.routes) serverOptions.routes = config.routes;

  // --historize: cpppo's historize records of every tag read and write; write failures are logged once and retried.
  let history: HistoryWriter | undefined;
  if (settings.historize !== undefined) {
    try {
      history = new HistoryWriter(settings.historize, {
        onError: (err) => log.write("WARNING", `--historize ${settings.historize}: ${err.message}; retrying`),
        onResume: () => log.write("NORMAL", `--historize ${settings.historize}: writing again`),
        onWarning: (message) => log.write("WARNING", `--historize: ${message}`),
      });
    } catch (err) {
      log.close();
      return fail(EXIT_USAGE, `--historize ${settings.historize}: ${(err as Error).message}`);
    }
    historize(controller, history);
  }

  let server: EnipServer;
  try {
    server = await EnipServer.start(serverOptions);
  } catch (err) {
    await history?.close().catch(() => {});
    log.close();
    const usage = err instanceof CpppoError && err.code === "ERR_INVALID_ARG";
    const where = `${settings.address.host}:${settings.address.port}`;
    return fail(usage ? EXIT_USAGE : EXIT_FAILED, `cannot serve on ${where}: ${(err as Error).message}`);
  }

  let web: WebApi | undefined;
  let stopTraffic: () => void = () => {};
  // The first SIGINT or SIGTERM stops gracefully; another one while stopping closes every connection at once.
  const signals = watchStopSignals(io.signals, () => log.reopen());
  const { stop, stopped, forced } = signals;

  const shutdown = async (): Promise<void> => {
    stop("shutdown"); // from here a stop signal forces
    signals.releaseHangup();
    // Stop serving before anything is unloaded: the web API first (no new commands), then the server finishes
    // the replies in flight and closes its connections (destroying those a stuck peer keeps open).
    const closing = Promise.all([web?.close(), server.close()]);
    let again = false;
    const inTime = await within(
      Promise.race([
        closing,
        forced.then(() => {
          again = true;
        }),
      ]),
      SHUTDOWN_DEADLINE_MS,
    );
    signals.release();
    if (again || !inTime) {
      log.write(
        "WARNING",
        again
          ? "a second signal: closing every connection now"
          : `shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; closing every connection now`,
      );
      void server.close(0);
    }
    // After the connections closed, so that their "done" lines are logged.
    stopTraffic();
    // Every access served has been recorded: write the rest out and close the history file.
    await history?.close().catch((err: Error) => log.write("WARNING", `--historize: ${err.message}`));
  };

  try {
    if (settings.addressOutput) {
      if (server.tcpAddress)
        io.stdout.write(`Network TCP Server address = ${pythonAddress(server.tcpAddress)}\n`);
      if (server.udpAddress)
        io.stdout.write(`Network UDP Server address = ${pythonAddress(server.udpAddress)}\n`);
    }
    const tcp = server.tcpAddress ? `TCP ${server.tcpAddress.address}:${server.tcpAddress.port}` : "no TCP";
    const udp = server.udpAddress ? `UDP ${server.udpAddress.address}:${server.udpAddress.port}` : "no UDP";
    log.write("NORMAL", `EtherNet/IP simulator serving ${controller.tags.size} tag names on ${tcp}, ${udp}`);

    if (settings.web) {
      web = await startWebApi({
        server,
        host: settings.web.host,
        port: settings.web.port,
        ...(settings.webToken !== undefined && { token: settings.webToken }),
        onDone: () => stop("web API done"),
        dashboard: true,
        // The page's time-range plot reads the --historize set, axes in this machine's zone.
        ...(history !== undefined &&
          settings.historize !== undefined && {
            history: {
              read: (range) => readRecordBatches(settings.historize as string, range),
              zone: getZone(localZone()),
              flush: () => (history as HistoryWriter).flush(),
            },
          }),
      });
      if (settings.addressOutput) io.stdout.write(`Web API address = ${pythonAddress(web.address)}\n`);
      log.write(
        "NORMAL",
        `web API on ${web.url}/api, dashboard on ${web.url}/${settings.webToken ? " (token required)" : ""}`,
      );
    }

    // -v: connections, disconnections and error replies; -vv: each request and reply (cpppo's forms).
    stopTraffic = logTraffic(log, `${server.tcpAddress?.address}:${server.tcpAddress?.port}`);
  } catch (err) {
    await shutdown();
    log.close();
    return fail(EXIT_FAILED, (err as Error).message);
  }

  const reason = await Promise.race([stopped, server.closed.then(() => "server closed")]);
  log.write("NORMAL", `stopping (${reason})`);
  await shutdown();
  log.write("NORMAL", "stopped");
  log.close();
  return EXIT_OK;
}
