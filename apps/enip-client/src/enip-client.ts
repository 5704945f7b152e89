/**
 * `enip-client`: cpppo's `enip_client` (§3.2). Runs tag operations (argv, or `-` for one per stdin line) pipelined
 * `-d` deep, packed with `-m`, connected with `-c`; `-p` prints cpppo's line per operation, `--json` one JSON
 * object per operation. Exit status 0 when every operation succeeded, 1 when any failed, 2 for bad arguments.
 */
import type { CpfItem } from "@cpppo/cip-codec";
import {
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  type FlagHelpTable,
  flag,
  jsonLine,
  Log,
  nonNegativeInt,
  optionsHelp,
  positiveInt,
  runCommand,
  seconds,
  UsageError,
} from "@cpppo/cli-kit";
import {
  type DiscoveredDevice,
  discover,
  EnipClient,
  type Operation,
  parseOperation,
} from "@cpppo/enip-client";
import { z } from "zod";
import {
  CLIENT_OPTIONS,
  type CliIo,
  clientCommand,
  clientHelp,
  connectFailure,
  operationLines,
  parseAddress,
  ROUTING_HELP,
  ROUTING_OPTIONS,
  routingOptions,
} from "./cli.js";
import { cpfPairs, cpppoStatus, dottedBlock, operationLine, replyPrefix, shownValue } from "./format.js";
import { legacyCommand } from "./legacy.js";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  ...ROUTING_OPTIONS,
  repeat: { type: "string", short: "r" },
  print: { type: "boolean", short: "p" },
  "no-print": { type: "boolean" },
  multiple: { type: "boolean", short: "m" },
  depth: { type: "string", short: "d" },
  fragment: { type: "boolean", short: "f" },
  connected: { type: "boolean", short: "c" },
  udp: { type: "boolean", short: "u" },
  broadcast: { type: "boolean", short: "b" },
  "list-identity": { type: "boolean", short: "i" },
  "list-services": { type: "boolean", short: "s" },
  "list-interfaces": { type: "boolean", short: "I" },
  legacy: { type: "string", short: "L" },
  "priority-time-tick": { type: "string" },
  "timeout-ticks": { type: "string" },
  json: { type: "boolean" },
} as const;

const HELP: FlagHelpTable<typeof OPTIONS> = {
  ...clientHelp({ address: "localhost:44818", timeout: "5.0" }),
  repeat: { value: "N", text: "run the list of operations N times", default: "1" },
  print: { text: "print cpppo's line for each operation" },
  "no-print": { text: "print no line per operation (the default)" },
  multiple: { text: "pack operations into Multiple Service Packets of about 500 bytes" },
  depth: { value: "N", text: "requests in flight at once (0 and 1: one at a time)", default: "1" },
  fragment: { text: "always use Read/Write Tag Fragmented" },
  connected: { text: "open a class 3 connection (Forward Open) and send connected" },
  udp: { text: "send over UDP" },
  broadcast: { text: "send by UDP broadcast (to 255.255.255.255 without -a) and collect replies until -t" },
  "list-identity": { text: "ask List Identity first and print the reply" },
  "list-services": { text: "ask List Services first and print the reply" },
  "list-interfaces": { text: "ask List Interfaces first and print the reply" },
  legacy: { value: "CMD", text: "send the legacy encapsulation command CMD (only 0x0001)" },
  ...ROUTING_HELP,
  "priority-time-tick": { value: "N", text: "Unconnected Send tick of 2**N ms, 0..15", default: "5" },
  "timeout-ticks": { value: "N", text: "Unconnected Send timeout in ticks, 1..255", default: "157" },
  json: { text: "print one JSON object per operation and per List reply" },
};

const USAGE = `usage: enip-client [-a HOST[:PORT]] [-t SECS] [-r N] [-p|--no-print] [-m] [-d N] [-f] [-c] [-S] [-u] [-b]
                   [-i] [-s] [-I] [-L CMD] [--route-path RP] [--send-path SP] [--priority-time-tick N]
                   [--timeout-ticks N] [--json] [-v] [-l FILE] [--version] [operation ...] [-]

Reads and writes tags and attributes of an EtherNet/IP CIP device, as cpppo's enip_client.
operations: TAG[<first>[-<last>]][*<count>][+<offset>][=[(TYPE)]v1,v2,...], e.g. SCADA[1]=99 SCADA[0-10];
- reads more operations from stdin, one per line.

${optionsHelp(OPTIONS, HELP)}`;

/** The command: its flags, help and version. */
export const COMMAND = clientCommand("enip-client", USAGE, OPTIONS);

/** A List reply as cpppo prints it (`List Identity  0 from ('ip', port): {…}`), or one JSON line with `json`. */
function listReply(
  name: string,
  index: number,
  host: string,
  port: number,
  items: CpfItem[],
  json: boolean,
): string {
  if (json) return jsonLine({ command: name, index, address: host, port, items });
  return `${replyPrefix(name, index, host, port)}${dottedBlock(cpfPairs(items))}`;
}

/** Runs `enip-client` with `argv` (without the program name); resolves with the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(COMMAND, argv, io, async ({ values: v, positionals }) => {
    const { host, port } = parseAddress(v.address, v.broadcast ? "255.255.255.255" : "localhost");
    const timeout = flag("--timeout", seconds, v.timeout ?? "5.0") * 1000;
    const repeat = flag("--repeat", positiveInt, v.repeat ?? "1");
    // cpppo's depth 0 ("one at a time") is our depth 1.
    const depth = Math.max(1, flag("--depth", nonNegativeInt, v.depth ?? "1"));
    const priorityTimeTick = flag(
      "--priority-time-tick",
      nonNegativeInt.max(15, "must be 0..15"),
      v["priority-time-tick"] ?? "5",
    );
    const timeoutTicks = flag(
      "--timeout-ticks",
      positiveInt.max(255, "must be 1..255"),
      v["timeout-ticks"] ?? "157",
    );
    const legacy =
      v.legacy === undefined
        ? undefined
        : flag(
            "--legacy",
            z.coerce
              .number({ error: "must be 0x0001 (the only legacy command)" })
              .refine((n) => n === 1, "must be 0x0001 (the only legacy command)"),
            v.legacy,
          );
    const routing = routingOptions(v);
    const print = Boolean(v.print) && !v["no-print"];
    const log = new Log({ verbosity: v.verbose?.length ?? 0, file: v.log, stderr: io.stderr });
    const udp = Boolean(v.udp || v.broadcast);

    // Operations on the command line are checked before connecting: a bad one is a usage error.
    const fromArgs = positionals.map((text) => (text === "-" ? "-" : parseOperation(text)));
    if (v.broadcast && fromArgs.length > 0)
      throw new UsageError("operations go to one device; -b applies only to -i, -s and -L");

    let failures = 0;
    // Without operations, -u/-b ask the List commands by datagram; with them, -u sends everything over UDP.
    if (udp && fromArgs.length === 0) {
      const commands: ["listIdentity" | "listServices", string][] = [];
      if (v["list-identity"]) commands.push(["listIdentity", "List Identity"]);
      if (v["list-services"]) commands.push(["listServices", "List Services"]);
      if (v["list-interfaces"])
        throw new UsageError("-I is not answered over UDP here; drop -u/-b to use TCP");
      for (const [command, name] of commands) {
        const devices: DiscoveredDevice[] = await discover({
          host,
          port,
          timeout,
          command,
          signal: io.signal,
        });
        for (const [i, d] of devices.entries())
          io.stdout.write(`${listReply(name, i, d.address, d.port, d.items, Boolean(v.json))}\n`);
        if (devices.length === 0) {
          io.stderr.write(`enip-client: no ${name} reply from ${host}:${port} within ${timeout / 1000}s\n`);
          if (!v.broadcast) failures++;
        }
      }
      if (legacy !== undefined) failures += await printLegacy(io, host, port, timeout, true, Boolean(v.json));
      return failures ? EXIT_FAILED : EXIT_OK;
    }

    let client: EnipClient;
    try {
      client = await EnipClient.connect({
        host,
        port,
        timeout,
        connectTimeout: timeout,
        connected: Boolean(v.connected),
        udp: Boolean(v.udp),
        priorityTimeTick,
        timeoutTicks,
        signal: io.signal,
        ...routing,
      });
    } catch (error) {
      io.stderr.write(`enip-client: ${connectFailure(host, port, error)}\n`);
      return EXIT_FAILED;
    }
    try {
      // cpppo's order: Legacy, then List Services, List Identity, List Interfaces.
      if (legacy !== undefined)
        failures += await printLegacy(io, host, port, timeout, false, Boolean(v.json));
      const lists: [boolean | undefined, string, () => Promise<CpfItem[]>][] = [
        [v["list-services"], "List Services", () => client.listServices({ timeout })],
        [v["list-identity"], "List Identity", () => client.listIdentity({ timeout })],
        [v["list-interfaces"], "List Interfaces", () => client.listInterfaces({ timeout })],
      ];
      for (const [wanted, name, list] of lists) {
        if (!wanted) continue;
        let items: CpfItem[];
        try {
          items = await list();
        } catch (error) {
          io.stderr.write(`enip-client: no ${name} reply from ${host}:${port}: ${describeError(error)}\n`);
          failures++;
          continue;
        }
        io.stdout.write(`${listReply(name, 0, host, port, items, Boolean(v.json))}\n`);
      }

      // Operations in input order, stdin lines where "-" stands, the whole list `repeat` times.
      const ops: Operation[] = [];
      let badLines = 0;
      const stdinCache: Operation[] = [];
      const source = async function* (): AsyncGenerator<Operation> {
        for (let pass = 0; pass < repeat; pass++)
          for (const item of fromArgs) {
            if (item !== "-") {
              ops.push(item);
              yield item;
              continue;
            }
            if (pass > 0) {
              for (const op of stdinCache) {
                ops.push(op);
                yield op;
              }
              continue;
            }
            for await (const line of operationLines(io.stdin)) {
              let op: Operation;
              try {
                op = parseOperation(line);
              } catch (error) {
                badLines++;
                io.stderr.write(`enip-client: ${(error as Error).message}\n`);
                continue;
              }
              stdinCache.push(op);
              ops.push(op);
              yield op;
            }
          }
      };
      const began = performance.now();
      let count = 0;
      for await (const result of client.pipeline(source(), {
        depth,
        // cpppo's -m: packets of about 500 bytes.
        multiple: v.multiple ? 500 : false,
        fragment: Boolean(v.fragment),
        timeout,
        signal: io.signal,
      })) {
        count++;
        if (!result.ok) failures++;
        const op = ops[result.index];
        // cpppo warns of every non-zero status (0x06 partial data included) whether or not -p prints.
        if (result.status !== 0)
          io.stderr.write(
            `enip-client: ${result.description}: ${cpppoStatus(result.status, result.extStatus).trimEnd()}: ${result.statusText}\n`,
          );
        if (v.json)
          io.stdout.write(
            `${jsonLine({
              index: result.index,
              description: result.description,
              ok: result.ok,
              status: result.status,
              extStatus: result.extStatus,
              statusText: result.statusText,
              value: op ? shownValue(op, result) : result.value,
            })}\n`,
          );
        if (print) io.stdout.write(`${operationLine(op, result)}\n`);
        log.write("DETAIL", `${result.description}: ${result.statusText}`);
      }
      const elapsed = (performance.now() - began) / 1000;
      if (count > 0)
        log.write(
          "NORMAL",
          `Client ${host}:${port}: ${count} operations in ${elapsed.toFixed(3)}s at pipeline depth ${depth}; ${(count / Math.max(elapsed, 1e-9)).toFixed(1)} TPS`,
        );
      return failures + badLines > 0 ? EXIT_FAILED : EXIT_OK;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      io.stderr.write(`enip-client: ${describeError(error)}\n`);
      return EXIT_FAILED;
    } finally {
      await client.close();
    }
  });
}

async function printLegacy(
  io: CliIo,
  host: string,
  port: number,
  timeout: number,
  udp: boolean,
  json: boolean,
): Promise<number> {
  const replies = await legacyCommand({ host, port, timeout, udp, signal: io.signal });
  for (const [i, r] of replies.entries())
    io.stdout.write(`${listReply("Legacy 0x0001", i, r.address, r.port, r.items, json)}\n`);
  if (replies.length > 0) return 0;
  io.stderr.write(`enip-client: no Legacy 0x0001 reply from ${host}:${port} within ${timeout / 1000}s\n`);
  return 1;
}
