/**
 * `enip-thruput`: cpppo's `thruput` (§3.4). Runs the operations `-r` times pipelined `-d` deep, packed into
 * Multiple Service Packets of up to `-m` bytes, and prints `N operations using M requests in X s at pipeline depth
 * D; T TPS` and the operations' latency percentiles. A live progress line is drawn only when stdout is a terminal;
 * `-v` prints `<timestamp>: <index>: <value>` per operation.
 */

import {
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  type FlagHelpTable,
  flag,
  Log,
  nonNegativeInt,
  optionsHelp,
  positiveInt,
  pyRepr,
  runCommand,
  seconds,
  timestamp,
  UsageError,
} from "@cpppo/cli-kit";
import { EnipClient, type Operation, parseOperation } from "@cpppo/enip-client";
import {
  CLIENT_OPTIONS,
  type CliIo,
  clientCommand,
  clientHelp,
  connectFailure,
  parseAddress,
  ROUTING_HELP,
  ROUTING_OPTIONS,
  routingOptions,
  watchedTcp,
} from "./cli.js";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  ...ROUTING_OPTIONS,
  depth: { type: "string", short: "d" },
  multiple: { type: "string", short: "m" },
  repeat: { type: "string", short: "r" },
  connected: { type: "boolean", short: "c" },
} as const;

const HELP: FlagHelpTable<typeof OPTIONS> = {
  ...clientHelp({ address: "localhost:44818", timeout: "none" }),
  ...ROUTING_HELP,
  depth: { value: "DEPTH", text: "requests in flight at once (0 and 1: one at a time)", default: "0" },
  multiple: {
    value: "BYTES",
    text: "pack operations into Multiple Service Packets of BYTES (0: no packing)",
    default: "0",
  },
  repeat: { value: "REPEAT", text: "run the list of operations REPEAT times", default: "1" },
  connected: { text: "open a class 3 connection (Forward Open) and send connected" },
};

const USAGE = `usage: enip-thruput [-a HOST[:PORT]] [-d DEPTH] [-m BYTES] [-r REPEAT] [-t SECS] [-c] [-S] [--route-path RP]
                    [--send-path SP] [-v] [-l FILE] [--version] operation ...

Measures operations per second, as cpppo's thruput: runs the operations -r times and prints the rate and latencies.

${optionsHelp(OPTIONS, HELP)}`;

/** The command: its flags, help and version. */
export const COMMAND = clientCommand("enip-thruput", USAGE, OPTIONS);

/** Milliseconds between redraws of the live progress line. */
const PROGRESS_INTERVAL = 250;

/** The `p`-th percentile (0..100) of ascending `sorted`, by nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Runs `enip-thruput` with `argv`; resolves with the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(COMMAND, argv, io, async ({ values: v, positionals }) => {
    const { host, port } = parseAddress(v.address, "localhost");
    // cpppo's depth 0 and multiple 0 mean "one at a time" and "no packing".
    const depth = Math.max(1, flag("--depth", nonNegativeInt, v.depth ?? "0"));
    const multipleBytes = flag("--multiple", nonNegativeInt, v.multiple ?? "0");
    const repeat = flag("--repeat", positiveInt, v.repeat ?? "1");
    const timeout = v.timeout === undefined ? undefined : flag("--timeout", seconds, v.timeout) * 1000;
    const routing = routingOptions(v);
    const log = new Log({ verbosity: v.verbose?.length ?? 0, file: v.log, stderr: io.stderr });
    if (positionals.length === 0) throw new UsageError("give at least one operation, e.g. SCADA[0-9]");
    const ops = positionals.map((text) => parseOperation(text));
    const total = ops.length * repeat;

    let requests = 0;
    let client: EnipClient;
    try {
      client = await EnipClient.connect({
        host,
        port,
        connected: Boolean(v.connected),
        signal: io.signal,
        ...(timeout !== undefined && { timeout, connectTimeout: timeout }),
        ...routing,
        // Count the frames that carry CIP requests: packed operations share one.
        transport: watchedTcp(() => requests++),
      });
    } catch (error) {
      io.stderr.write(`enip-thruput: ${connectFailure(host, port, error)}\n`);
      return EXIT_FAILED;
    }
    // Connected sessions spend requests on the Forward Open; only operations' requests are counted.
    const setupRequests = requests;

    const issued: number[] = new Array(total);
    const latencies: number[] = [];
    const source = function* (): Generator<Operation> {
      for (let pass = 0, index = 0; pass < repeat; pass++)
        for (const op of ops) {
          issued[index++] = performance.now();
          yield op;
        }
    };
    const live = io.stdout.isTTY === true;
    let failures = 0;
    // Why operations failed: each status text and how many times.
    const reasons = new Map<string, number>();
    let done = 0;
    let lastDraw = 0;
    let used = 0;
    let elapsed = 0;
    const began = performance.now();
    try {
      for await (const result of client.pipeline(source(), {
        depth,
        multiple: multipleBytes > 0 ? multipleBytes : false,
        signal: io.signal,
        ...(timeout !== undefined && { timeout }),
      })) {
        const now = performance.now();
        latencies.push(now - (issued[result.index] as number));
        done++;
        if (!result.ok) {
          failures++;
          reasons.set(result.statusText, (reasons.get(result.statusText) ?? 0) + 1);
        }
        log.write("NORMAL", `${timestamp()}: ${result.index}: ${pyRepr(result.value)}`);
        if (live && now - lastDraw >= PROGRESS_INTERVAL) {
          lastDraw = now;
          const tps = done / ((now - began) / 1000);
          io.stdout.write(`\r${done}/${total} operations, ${failures} failed, ${tps.toFixed(1)} TPS\x1b[K`);
        }
      }
      used = requests - setupRequests;
      elapsed = (performance.now() - began) / 1000;
    } catch (error) {
      if (live) io.stdout.write("\n");
      io.stderr.write(`enip-thruput: ${describeError(error)}\n`);
      return EXIT_FAILED;
    } finally {
      await client.close();
    }
    if (live) io.stdout.write("\r\x1b[K");
    const tps = done / Math.max(elapsed, 1e-9);
    io.stdout.write(
      `${done} operations using ${used} requests in ${elapsed.toFixed(2)}s at pipeline depth ${depth}; ${tps.toFixed(1)} TPS\n`,
    );
    latencies.sort((a, b) => a - b);
    const ms = (p: number): string => percentile(latencies, p).toFixed(3);
    io.stdout.write(`latency ms: p50 ${ms(50)}, p90 ${ms(90)}, p99 ${ms(99)}, max ${ms(100)}\n`);
    if (failures === 0) return EXIT_OK;
    const why = [...reasons].map(([text, n]) => `${n} × ${text}`).join("; ");
    io.stderr.write(`enip-thruput: ${failures} of ${done} operations failed: ${why}\n`);
    return EXIT_FAILED;
  });
}
