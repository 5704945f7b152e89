/** The `wamp-router` command: runs the embedded WAMP Basic Profile router and prints `Ready: ws://HOST:PORT/PATH`. */
import type { EventEmitter } from "node:events";
import {
  type CliOutput,
  COMMON_OPTIONS,
  commonHelp,
  EXIT_OK,
  flag,
  optionsHelp,
  packageVersion,
  runCommand,
  splitAddress,
  UsageError,
} from "@cpppo/cli-kit";
import { startWampRouter } from "@cpppo/runtime";
import { z } from "zod";

/** Where `main` writes; `signals` emits "SIGINT"/"SIGTERM", which close the router. */
export interface RouterIo extends CliOutput {
  signals?: EventEmitter;
}

const OPTIONS = { ...COMMON_OPTIONS, path: { type: "string" } } as const;

const USAGE = `usage: wamp-router -a HOST:PORT [--path /ws]

A small WAMP Basic Profile router (dealer and broker; wamp.2.msgpack and wamp.2.json) for PLC services and their
clients when there is no crossbar. Any realm is opened on demand. Prints "Ready: ws://HOST:PORT/PATH".

${optionsHelp(OPTIONS, {
  ...commonHelp({ value: "HOST[:PORT]", text: "where to listen", default: "127.0.0.1:8888" }),
  path: { value: "PATH", text: "the WebSocket path", default: "/ws" },
})}`;

/** Runs wamp-router with `argv`; resolves the exit status once a signal has closed it. */
export function main(argv: string[], io: RouterIo): Promise<number> {
  const spec = {
    name: "wamp-router",
    usage: USAGE,
    version: () => packageVersion(import.meta.url),
    options: OPTIONS,
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
    const router = await startWampRouter({ host: host === "" ? "127.0.0.1" : host, port: portNumber, path });
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
