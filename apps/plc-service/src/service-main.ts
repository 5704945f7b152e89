/**
 * The `plc-service` command: serves a PLC runtime over PYRO:// (or PYROS:// with `--psk-file`), prints
 * `Ready: URI…` once serving, and on SIGINT, SIGTERM, SIGHUP, a remote `Quit`, a program fault or (with `--local`)
 * its stdin closing, stops the program, unloads it, closes its API and returns exit status 0.
 */
import type { EventEmitter } from "node:events";
import { isAbsolute, resolve } from "node:path";
import type { Readable } from "node:stream";
import {
  type CliOutput,
  COMMON_OPTIONS,
  commonHelp,
  EXIT_OK,
  flag,
  optionsHelp,
  packageVersion,
  readFlagFile,
  runCommand,
  seconds,
  splitAddress,
  UsageError,
} from "@cpppo/cli-kit";
import {
  LOG_LEVEL_NAMES,
  PlcService,
  readPskFile,
  readWampSecretFile,
  type ServiceEvent,
  startWampCallee,
  startWampRouter,
  type WampCallee,
  type WampRouter,
} from "@cpppo/runtime";
import { z } from "zod";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface ServiceIo extends CliOutput {
  /** Relative paths (`--workdir`, `--psk-file`) resolve here; default `process.cwd()`. */
  cwd?: string;
  /** Emits "SIGINT", "SIGTERM" and "SIGHUP", each a quit; `process` in the real CLI. */
  signals?: EventEmitter;
  /** With `--local`, its end quits the service (the LOCAL:// parent went away). */
  stdin?: Readable;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  "psk-file": { type: "string" },
  wamp: { type: "string" },
  "wamp-id": { type: "string" },
  realm: { type: "string" },
  "wamp-secret-file": { type: "string" },
  "wamp-ca": { type: "string" },
  "wamp-listen": { type: "string" },
  workdir: { type: "string" },
  autostart: { type: "boolean" },
  local: { type: "boolean" },
  "stop-timeout": { type: "string" },
} as const;

const USAGE = `usage: plc-service -a HOST:PORT [--psk-file FILE] [--wamp ws://HOST:PORT/PATH --wamp-id ID [--realm R]]
                   [--workdir DIR] [--autostart]
       plc-service ... --wamp wss://HOST:PORT/PATH --wamp-id ID [--wamp-ca FILE] [--wamp-secret-file FILE]
       plc-service ... --wamp-listen HOST:PORT --wamp-id ID [--realm R]

A PLC runtime in Beremiz's image: serves PYRO:// on HOST:PORT (PYROS://, TLS-PSK, with --psk-file), and registers
<ID>.<Method> with a WAMP router with --wamp (or hosts the router itself with --wamp-listen). Prints "Ready: URI [URI...]" once serving. SIGINT, SIGTERM or SIGHUP
stop the program, unload it, close the API and exit 0.

${optionsHelp(OPTIONS, {
  ...commonHelp({
    value: "HOST[:PORT]",
    text: "where to serve PYRO:// or PYROS://",
    default: "127.0.0.1:3000",
  }),
  "psk-file": { value: "FILE", text: "serve PYROS:// with stunnel's IDENTITY:KEY secrets file" },
  wamp: { value: "URL", text: "register with the WAMP router at ws://HOST:PORT/PATH" },
  "wamp-id": { value: "ID", text: "the WAMP procedure prefix <ID>.<Method>" },
  realm: { value: "R", text: "the WAMP realm", default: "Automation" },
  "wamp-secret-file": {
    value: "FILE",
    text: "join with WAMP-CRA: ID:SECRET lines (the line of --wamp-id, else the first)",
  },
  "wamp-ca": { value: "FILE", text: "trust this PEM CA for a wss:// router" },
  "wamp-listen": {
    value: "HOST:PORT",
    text: "host a WAMP router at ws://HOST:PORT/ws, the runtime registered in-process",
  },
  workdir: { value: "DIR", text: "where programs and lasttransferedPLC.md5 live", default: "." },
  autostart: { text: "start the last program once loaded" },
  local: { text: "quit when stdin closes (LOCAL://: the parent went away)" },
  "stop-timeout": { value: "SECS", text: "StopPLC deadline, after which the status is Broken", default: "5" },
})}`;

/** One stderr line per event: what the seed-commit tests read to check the order of stop, unload, API closed. */
function eventLine(event: ServiceEvent): string | undefined {
  switch (event.kind) {
    case "log":
      return `log ${LOG_LEVEL_NAMES[event.level]} ${event.message}`;
    case "status":
      return `status ${event.status}`;
    case "loaded":
      return `event loaded ${event.md5}`;
    case "fault":
      return `event fault ${(event.error as Error)?.message ?? String(event.error)}`;
    case "quitting":
      return `event quitting (${event.reason})`;
    default:
      return `event ${event.kind}`;
  }
}

/** Runs plc-service with `argv`; resolves the exit status once the service has quit. */
export function main(argv: string[], io: ServiceIo): Promise<number> {
  const spec = {
    name: "plc-service",
    usage: USAGE,
    version: () => packageVersion(import.meta.url),
    options: OPTIONS,
    usageCodes: ["ERR_INVALID_ARG", "ERR_RUNTIME_PSK"],
  };
  return runCommand(spec, argv, io, async ({ values }) => {
    const cwd = io.cwd ?? process.cwd();
    const at = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
    const { host, port } = splitAddress(values.address ?? "127.0.0.1:3000");
    const portNumber = flag(
      "--address",
      z.coerce.number().int().min(0).max(65535),
      port === "" ? "3000" : port,
    );
    const psk = values["psk-file"] === undefined ? undefined : readPskFile(at(values["psk-file"]));
    const stopTimeout =
      values["stop-timeout"] === undefined ? 5 : flag("--stop-timeout", seconds, values["stop-timeout"]);
    let wampUrl: URL | undefined;
    if (values.wamp !== undefined) {
      try {
        wampUrl = new URL(values.wamp);
      } catch {
        throw new UsageError(`"--wamp" must be a ws:// or wss:// URL, got ${JSON.stringify(values.wamp)}`);
      }
      if (!/^wss?:$/.test(wampUrl.protocol))
        throw new UsageError(`"--wamp" must be a ws:// or wss:// URL, got ${JSON.stringify(values.wamp)}`);
      if (values["wamp-id"] === undefined) throw new UsageError(`"--wamp" needs "--wamp-id ID"`);
    }
    let listen: { host: string; port: number } | undefined;
    if (values["wamp-listen"] !== undefined) {
      if (wampUrl !== undefined) throw new UsageError(`"--wamp" and "--wamp-listen" exclude each other`);
      if (values["wamp-id"] === undefined) throw new UsageError(`"--wamp-listen" needs "--wamp-id ID"`);
      const a = splitAddress(values["wamp-listen"]);
      listen = {
        host: a.host === "" ? "127.0.0.1" : a.host,
        port: flag(
          "--wamp-listen",
          z.coerce.number().int().min(0).max(65535),
          a.port === "" ? "8888" : a.port,
        ),
      };
    }
    const secrets =
      values["wamp-secret-file"] === undefined
        ? undefined
        : readWampSecretFile(at(values["wamp-secret-file"]));
    const ca =
      values["wamp-ca"] === undefined
        ? undefined
        : readFlagFile("--wamp-ca", at(values["wamp-ca"]), values["wamp-ca"]);
    const say = (text: string): void => void io.stderr.write(`plc-service: ${text}\n`);
    let callee: WampCallee | undefined;
    let router: WampRouter | undefined;
    const service = await PlcService.start({
      workdir: at(values.workdir ?? "."),
      host: host === "" ? "127.0.0.1" : host,
      port: portNumber,
      autostart: values.autostart ?? false,
      stopTimeoutMs: stopTimeout * 1000,
      ...(psk ? { psk } : {}),
      onEvent: (event) => {
        const line = eventLine(event);
        if (line) say(line);
        if (event.kind === "status") callee?.publishStatus(event.status);
      },
    });
    const uris = [service.uri];
    if (listen !== undefined) {
      // The service hosts the router: a client's call crosses one WebSocket, the runtime answers in-process.
      const id = values["wamp-id"] as string;
      const realm = values.realm ?? "Automation";
      router = await startWampRouter({ host: listen.host, port: listen.port });
      callee = startWampCallee({ router, realm, id, target: service.target, log: say });
      const url = new URL(router.url);
      uris.push(`WAMP://${url.host}${url.pathname}#${realm}#${id}`);
    }
    if (wampUrl !== undefined) {
      const id = values["wamp-id"] as string;
      const realm = values.realm ?? "Automation";
      // Beremiz joins with authid = its ID when a secret is configured.
      const secret = secrets?.find((s) => s.authid === id) ?? secrets?.[0];
      callee = startWampCallee({
        url: wampUrl.href,
        realm,
        id,
        target: service.target,
        log: say,
        ...(secret ? { auth: secret } : {}),
        ...(ca !== undefined ? { ca } : {}),
      });
      await callee.firstJoin;
      uris.push(
        `${wampUrl.protocol === "wss:" ? "WAMPS" : "WAMP"}://${wampUrl.host}${wampUrl.pathname}#${realm}#${id}`,
      );
    }
    io.stdout.write(`Ready: ${uris.join(" ")}\n`);
    const quit = (reason: string) => (): void => void service.quit(reason);
    const handlers = { SIGINT: quit("SIGINT"), SIGTERM: quit("SIGTERM"), SIGHUP: quit("SIGHUP") };
    for (const [signal, handler] of Object.entries(handlers)) io.signals?.on(signal, handler);
    const onEnd = quit("stdin closed: the LOCAL:// parent went away");
    if (values.local) {
      io.stdin?.on("end", onEnd);
      io.stdin?.on("close", onEnd);
      io.stdin?.resume();
    }
    await service.done;
    await callee?.close();
    await router?.close();
    say("event exit");
    for (const [signal, handler] of Object.entries(handlers)) io.signals?.off(signal, handler);
    io.stdin?.off("end", onEnd);
    io.stdin?.off("close", onEnd);
    io.stdin?.pause();
    return EXIT_OK;
  });
}
