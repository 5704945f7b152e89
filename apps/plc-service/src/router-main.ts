/**
 * The `wamp-router` command: runs the embedded WAMP Basic Profile router and prints `Ready: ws://HOST:PORT/PATH`
 * (`wss://` with `--cert`/`--key`); with `--auth-file` every realm requires WAMP-CRA.
 */
import type { EventEmitter } from "node:events";
import { isAbsolute, resolve } from "node:path";
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
  splitAddress,
  UsageError,
} from "@cpppo/cli-kit";
import { readWampSecretFile, startWampRouter, type WampCraUser } from "@cpppo/runtime";
import { z } from "zod";

/** Where `main` writes; `signals` emits "SIGINT"/"SIGTERM", which close the router. */
export interface RouterIo extends CliOutput {
  signals?: EventEmitter;
  /** Relative paths (`--auth-file`, `--cert`, `--key`) resolve here; default `process.cwd()`. */
  cwd?: string;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  path: { type: "string" },
  "auth-file": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
} as const;

const USAGE = `usage: wamp-router -a HOST:PORT [--path /ws] [--auth-file FILE] [--cert FILE --key FILE]

A small WAMP Basic Profile router (dealer and broker; wamp.2.msgpack and wamp.2.json) for PLC services and their
clients when there is no crossbar. Any realm is opened on demand. Prints "Ready: ws://HOST:PORT/PATH" (wss:// with
--cert and --key). With --auth-file, every session must authenticate with WAMP-CRA as one of its AUTHID:SECRET lines.

${optionsHelp(OPTIONS, {
  ...commonHelp({ value: "HOST[:PORT]", text: "where to listen", default: "127.0.0.1:8888" }),
  path: { value: "PATH", text: "the WebSocket path", default: "/ws" },
  "auth-file": { value: "FILE", text: "require WAMP-CRA: AUTHID:SECRET lines (the PSK files' form)" },
  cert: { value: "FILE", text: "serve wss:// with this PEM certificate (chain)" },
  key: { value: "FILE", text: "the PEM private key of --cert" },
})}`;

/** Runs wamp-router with `argv`; resolves the exit status once a signal has closed it. */
export function main(argv: string[], io: RouterIo): Promise<number> {
  const spec = {
    name: "wamp-router",
    usage: USAGE,
    version: () => packageVersion(import.meta.url),
    options: OPTIONS,
    usageCodes: ["ERR_INVALID_ARG", "ERR_RUNTIME_PSK"],
  };
  return runCommand(spec, argv, io, async ({ values }) => {
    const { host, port } = splitAddress(values.address ?? "127.0.0.1:8888");
    const portNumber = flag(
      "--address",
      z.coerce.number().int().min(0).max(65535),
      port === "" ? "8888" : port,
    );
    const path = values.path ?? "/ws";
    if (!path.startsWith("/"))
      throw new UsageError(`"--path" must start with /, got ${JSON.stringify(path)}`);
    const cwd = io.cwd ?? process.cwd();
    const at = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
    if ((values.cert === undefined) !== (values.key === undefined))
      throw new UsageError(`"--cert" and "--key" go together`);
    const tls =
      values.cert !== undefined && values.key !== undefined
        ? { cert: readFlagFile("--cert", at(values.cert)), key: readFlagFile("--key", at(values.key)) }
        : undefined;
    const users: Record<string, WampCraUser> = {};
    if (values["auth-file"] !== undefined)
      for (const { authid, secret } of readWampSecretFile(at(values["auth-file"])))
        users[authid] = { secret };
    const router = await startWampRouter({
      host: host === "" ? "127.0.0.1" : host,
      port: portNumber,
      path,
      ...(tls ? { tls } : {}),
      ...(values["auth-file"] !== undefined ? { auth: { "*": users } } : {}),
    });
    io.stdout.write(`Ready: ${router.url}\n`);
    await new Promise<void>((done) => {
      const end = (): void => {
        io.signals?.off("SIGINT", end);
        io.signals?.off("SIGTERM", end);
        done();
      };
      io.signals?.on("SIGINT", end);
      io.signals?.on("SIGTERM", end);
    });
    await router.close();
    return EXIT_OK;
  });
}
