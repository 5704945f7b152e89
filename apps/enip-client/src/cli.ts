/**
 * What the five client CLIs share beyond @cpppo/cli-kit: the injected I/O with stdin and an abort signal, the
 * process runner, their common flags and `clientCommand` (with this app's version), `-a` addresses checked for a
 * client (port 1..65535), the routing flags, and operation lines from stdin.
 */
import { setMaxListeners } from "node:events";
import type { EPath } from "@cpppo/cip-codec";
import {
  type CliOutput,
  COMMON_OPTIONS,
  type CommandSpec,
  commonHelp,
  describeError,
  ENIP_PORT,
  EXIT_FAILED,
  type FlagHelpTable,
  flag,
  type OptionTable,
  packageVersion,
  splitAddress,
} from "@cpppo/cli-kit";
import { connectTcp, parseRoutePath, parseSendPath, type TransportFactory } from "@cpppo/enip-client";
import { z } from "zod";

/** Where a CLI's `main` reads and writes; injected so tests run it in-process. */
export interface CliIo extends CliOutput {
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

/** The flags of every client CLI: cli-kit's common ones and `-t/--timeout SECS`. */
export const CLIENT_OPTIONS = { ...COMMON_OPTIONS, timeout: { type: "string", short: "t" } } as const;

/** Help lines of `CLIENT_OPTIONS`: the default target and timeout differ by command. */
export function clientHelp(defaults: {
  address: string;
  timeout?: string;
}): FlagHelpTable<typeof CLIENT_OPTIONS> {
  return {
    ...commonHelp({ value: "HOST[:PORT]", text: "the device to talk to", default: defaults.address }),
    timeout: {
      value: "SECS",
      text: "seconds to wait for a connection and for each reply",
      ...(defaults.timeout !== undefined && { default: defaults.timeout }),
    },
  };
}

/** Codes of the client library's errors that are the caller's mistakes: exit status 2, like a UsageError. */
const USAGE_CODES = ["ERR_INVALID_ARG", "ERR_INVALID_OPERATION"];

/** This app's version, from its package.json (beside src/ and dist/ alike), read when `--version` asks. */
export const appVersion = (): string => packageVersion(import.meta.url);

/**
 * The client command `name` for cli-kit's `runCommand`: `--help` prints `usage`, `--version` prints this app's
 * version, and the library's argument errors exit 2 with one line, like a UsageError.
 */
export function clientCommand<T extends OptionTable>(
  name: string,
  usage: string,
  options: T,
): CommandSpec<T> {
  return { name, usage, options, version: appVersion, usageCodes: USAGE_CODES };
}

/** A host and port from `[host][:port]`, `[v6]:port` or a bare IPv6 address; missing parts take the defaults. */
export function parseAddress(
  text: string | undefined,
  defaultHost: string,
  defaultPort = ENIP_PORT,
): { host: string; port: number } {
  const { host, port } = splitAddress(text ?? "");
  return {
    host: host === "" ? defaultHost : host,
    port:
      port === ""
        ? defaultPort
        : flag(
            "--address",
            z.coerce
              .number({ error: "port must be 1..65535" })
              .int("port must be 1..65535")
              .min(1, "port must be 1..65535")
              .max(0xffff, "port must be 1..65535"),
            port,
          ),
  };
}

/** The routing flags of the CLIs that open a session: `-S/--simple`, `--route-path RP`, `--send-path SP`. */
export const ROUTING_OPTIONS = {
  simple: { type: "boolean", short: "S" },
  "route-path": { type: "string" },
  "send-path": { type: "string" },
} as const;

/** Help lines of `ROUTING_OPTIONS`. */
export const ROUTING_HELP: FlagHelpTable<typeof ROUTING_OPTIONS> = {
  simple: { text: "a simple (non-routing) device: no route path and no send path" },
  "route-path": {
    value: "RP",
    text: 'route path as PORT/LINK pairs or JSON; "false" for none',
    default: "1/0",
  },
  "send-path": { value: "SP", text: 'the Unconnected Send target; "" for none', default: "@6/1" },
};

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

/**
 * Why connecting to `host:port` failed, on one line: the library's message when it already names the target
 * (`cannot connect to X: ECONNREFUSED`), else `cannot connect to X: <message>`; never the target twice.
 */
export function connectFailure(host: string, port: number, error: unknown): string {
  const text = describeError(error);
  const target = `${host}:${port}`;
  return text.includes(target) ? text : `cannot connect to ${target}: ${text}`;
}

/** Encapsulation commands that carry CIP requests (SendRRData, SendUnitData): the "requests" cpppo counts. */
const CIP_COMMANDS = new Set([0x6f, 0x70]);

/** A TCP transport that hands `onRequest` each frame carrying CIP requests as it is written (to count requests). */
export function watchedTcp(onRequest: (frame: Uint8Array) => void): TransportFactory {
  return async (options, handlers) => {
    const inner = await connectTcp(options, handlers);
    return {
      get peer() {
        return inner.peer;
      },
      write(frame: Uint8Array) {
        if (CIP_COMMANDS.has((frame[0] as number) | ((frame[1] as number) << 8))) onRequest(frame);
        inner.write(frame);
      },
      end: () => inner.end(),
      destroy: (error?: Error) => inner.destroy(error),
    };
  };
}
