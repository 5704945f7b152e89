/**
 * The `plc-client` command: calls one method of a PLC runtime by URI and prints its result as one JSON value;
 * `transfer PROGRAM` sends a program file in md5-checked chunks (a progress bar on a terminal's stderr), and
 * `status --watch` prints the status each time it changes. A transport that fails prints `Disconnected`, exit 1.
 */
import type { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CliOutput,
  COMMON_OPTIONS,
  EXIT_FAILED,
  EXIT_OK,
  flag,
  optionsHelp,
  packageVersion,
  readFlagFile,
  runCommand,
  seconds,
  UsageError,
} from "@cpppo/cli-kit";
import {
  connectPlc,
  PLC_METHODS,
  type PlcClient,
  parseConnectorUri,
  readPskFile,
  readWampSecretFile,
  type WampClientOptions,
} from "@cpppo/runtime";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface ClientIo extends CliOutput {
  cwd?: string;
  /** Emits "SIGINT"/"SIGTERM", which end `status --watch`; `process` in the real CLI. */
  signals?: EventEmitter;
}

const { address: _address, ...COMMON } = COMMON_OPTIONS;
const OPTIONS = {
  ...COMMON,
  "psk-file": { type: "string" },
  "wamp-secret-file": { type: "string" },
  "wamp-ca": { type: "string" },
  timeout: { type: "string", short: "t" },
  watch: { type: "boolean" },
} as const;

const USAGE = `usage: plc-client [--psk-file FILE] [--wamp-secret-file FILE] [--wamp-ca FILE] [--timeout S] URI METHOD [ARG...]
       plc-client URI transfer PROGRAM
       plc-client URI status [--watch]

Calls METHOD (${PLC_METHODS.join(", ")}) of the PLC runtime at URI (LOCAL://, PYRO://host[:port],
PYROS://host[:port]#ID, WAMP[S]://host:port[/path]#realm#ID) and prints the result as one JSON value. Each ARG is
JSON when it parses as JSON, else a string. Exit 0; 1 when the runtime is Disconnected or answers an error.

${optionsHelp(OPTIONS, {
  verbose: { text: "more logging" },
  log: { value: "FILE", text: "unused (accepted for symmetry)" },
  help: { text: "show this help" },
  version: { text: "show the version" },
  "psk-file": { value: "FILE", text: "stunnel's IDENTITY:KEY secrets file (PYROS://; its first line)" },
  "wamp-secret-file": { value: "FILE", text: "WAMP-CRA: AUTHID:SECRET lines (WAMP[S]://; its first line)" },
  "wamp-ca": { value: "FILE", text: "trust this PEM CA for WAMPS://" },
  timeout: { value: "SECS", text: "each call's deadline", default: "10" },
  watch: { text: "with status: print the status each time it changes, until SIGINT" },
})}`;

/** The plc-service command LOCAL:// starts: the sibling executable, run as this one is (node, its flags). */
function localCommand(): string[] {
  const here = import.meta.url;
  const bin = here.endsWith(".ts")
    ? new URL("./bin/plc-service.ts", here)
    : new URL("./plc-service.js", here);
  return [process.execPath, ...process.execArgv, fileURLToPath(bin)];
}

/** An ARG as JSON when it parses, else as text. */
function argValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A 30-column bar: `[#####.....]  42%`. */
function bar(sent: number, total: number): string {
  const width = 30;
  const done = total === 0 ? width : Math.round((sent / total) * width);
  return `[${"#".repeat(done)}${".".repeat(width - done)}] ${String(Math.round(total === 0 ? 100 : (sent / total) * 100)).padStart(3)}%`;
}

/** Runs plc-client with `argv`; resolves the exit status. */
export function main(argv: string[], io: ClientIo): Promise<number> {
  const spec = {
    name: "plc-client",
    usage: USAGE,
    version: () => packageVersion(import.meta.url),
    options: OPTIONS,
    usageCodes: ["ERR_INVALID_ARG", "ERR_RUNTIME_URI", "ERR_RUNTIME_PSK"],
  };
  return runCommand(spec, argv, io, async ({ values, positionals }) => {
    const [uri, method, ...rest] = positionals;
    if (uri === undefined || method === undefined) throw new UsageError("expected URI METHOD [ARG...]");
    const parsed = parseConnectorUri(uri);
    const known = [...PLC_METHODS, "transfer", "status"] as string[];
    if (!known.includes(method))
      throw new UsageError(`unknown method ${JSON.stringify(method)} (one of ${known.join(", ")})`);
    const cwd = io.cwd ?? process.cwd();
    const at = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
    const psk = values["psk-file"] === undefined ? undefined : readPskFile(at(values["psk-file"]));
    if (parsed.scheme === "PYROS" && psk === undefined) throw new UsageError(`${uri} needs --psk-file FILE`);
    const timeout = values.timeout === undefined ? 10 : flag("--timeout", seconds, values.timeout);
    const wamp: WampClientOptions = {};
    if (values["wamp-secret-file"] !== undefined)
      wamp.auth = readWampSecretFile(at(values["wamp-secret-file"]))[0];
    if (values["wamp-ca"] !== undefined)
      wamp.ca = readFlagFile("--wamp-ca", at(values["wamp-ca"]), values["wamp-ca"]);
    let program: Uint8Array | undefined;
    if (method === "transfer") {
      if (rest.length !== 1) throw new UsageError("transfer takes one PROGRAM file");
      try {
        program = await readFile(at(rest[0] as string));
      } catch (error) {
        throw new UsageError(`cannot read program ${rest[0]}: ${(error as Error).message}`);
      }
    }
    const client: PlcClient = await connectPlc(uri, {
      timeoutMs: timeout * 1000,
      ...(psk ? { psk } : {}),
      wamp,
      localCommand: localCommand(),
    });
    try {
      if (method === "status" && values.watch) {
        await new Promise<void>((done) => {
          const stop = client.watchStatus((reply) =>
            io.stdout.write(`${reply[0] === "Disconnected" ? "Disconnected" : JSON.stringify(reply)}\n`),
          );
          const end = (): void => {
            stop();
            io.signals?.off("SIGINT", end);
            io.signals?.off("SIGTERM", end);
            done();
          };
          io.signals?.on("SIGINT", end);
          io.signals?.on("SIGTERM", end);
        });
        return EXIT_OK;
      }
      let outcome: Awaited<ReturnType<PlcClient["invoke"]>>;
      if (program !== undefined) {
        const live = io.stderr.isTTY === true;
        const failures = client.transportFailures;
        const ok = await client.transfer(program, {
          onProgress: (sent, total) => {
            if (live) io.stderr.write(`\r${bar(sent, total)}`);
          },
        });
        if (live) io.stderr.write("\n");
        outcome = client.transportFailures > failures ? undefined : { ok: true, value: ok };
      } else {
        outcome = await client.invoke(method === "status" ? "GetPLCstatus" : method, rest.map(argValue));
      }
      if (outcome === undefined) {
        io.stdout.write("Disconnected\n");
        return EXIT_FAILED;
      }
      if (!outcome.ok) {
        io.stderr.write(`plc-client: ${outcome.error.message} (${outcome.error.code})\n`);
        return EXIT_FAILED;
      }
      io.stdout.write(
        `${JSON.stringify(outcome.value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))}\n`,
      );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  });
}
