/**
 * `enip-get-attribute`: cpppo's `enip_get_attribute` (§3.3). Operations use the tag-operation grammar aimed at
 * attributes (integers default to SINT): `@c/i` is Get Attributes All, `@c/i/a` Get Attribute Single, and
 * `@c/i/a=(TYPE)v,…` Set Attribute Single with the values' bytes. Prints `<ctime>: <index>: <operation> == <value>`.
 */

import { decodeEncapsulation, decodeRequestBytes } from "@cpppo/cip-codec";
import {
  ctime,
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  type FlagHelpTable,
  flag,
  Log,
  nonNegativeInt,
  optionsHelp,
  pyRepr,
  runCommand,
  seconds,
  UsageError,
} from "@cpppo/cli-kit";
import {
  EnipClient,
  type Operation,
  type PipelineOperation,
  parseAttributeOperation,
} from "@cpppo/enip-client";
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
  watchedTcp,
} from "./cli.js";
import { cpppoPath, cpppoStatus } from "./format.js";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  ...ROUTING_OPTIONS,
  print: { type: "boolean", short: "p" },
  "no-print": { type: "boolean" },
  multiple: { type: "boolean", short: "m" },
  depth: { type: "string", short: "d" },
} as const;

const HELP: FlagHelpTable<typeof OPTIONS> = {
  ...clientHelp({ address: "localhost:44818", timeout: "5.0" }),
  ...ROUTING_HELP,
  print: { text: "print cpppo's line for each operation (the default)" },
  "no-print": { text: "print no line per operation" },
  multiple: { text: "pack the operations into Multiple Service Packets of about 500 bytes" },
  depth: { value: "N", text: "requests in flight at once (0 and 1: one at a time)", default: "0" },
};

const USAGE = `usage: enip-get-attribute [-a HOST[:PORT]] [-t SECS] [-p|--no-print] [-m] [-d N] [-S] [--route-path RP]
                          [--send-path SP] [-v] [-l FILE] [--version] operation ... [-]

Gets and sets attributes of an EtherNet/IP CIP device, as cpppo's enip_get_attribute.
operations: @class/instance (Get Attributes All), @class/instance/attribute[=(TYPE)v,...] (Get/Set Attribute Single);
integers default to SINT; - reads more operations from stdin, one per line.

${optionsHelp(OPTIONS, HELP)}`;

/** The command: its flags, help and version. */
export const COMMAND = clientCommand("enip-get-attribute", USAGE, OPTIONS);

const KINDS: Record<string, string> = {
  getAttributeSingle: "G_A_S",
  getAttributesAll: "G_A_A",
  setAttributeSingle: "S_A_S",
  service: "Service",
  read: "Read Tag",
  write: "Write Tag",
};

/** cpppo's description of an attribute operation: `Single G_A_S      @0x0001/1/7` (`Multi.` when packed with -m). */
export function attributeDescription(op: Operation, multiple = false): string {
  return `${multiple ? "Multi." : "Single"} ${(KINDS[op.method] ?? op.method).padEnd(10)} ${cpppoPath(op.path)}`;
}

/**
 * Reply bytes assumed for a Get Attribute, so that `-m` can pack it (cpppo never packs one of unknown size): an
 * attribute is most often a number or a short string; an instance's attributes a few dozen bytes.
 */
const ASSUMED_REPLY_DATA = { getAttributeSingle: 32, getAttributesAll: 64 } as const;

/** cpppo's `-m` budget: Multiple Service Packets of about 500 bytes. */
const MULTIPLE_BYTES = 500;

/** Operations a frame of CIP requests carries: the requests of a Multiple Service Packet, else 1. */
export function operationsIn(frame: Uint8Array): number {
  try {
    const { body } = decodeEncapsulation(frame);
    const item =
      "cpf" in body
        ? body.cpf?.find((i) => i.kind === "unconnectedData" || i.kind === "connectedData")
        : undefined;
    if (item === undefined || !("data" in item)) return 1;
    let request = decodeRequestBytes(item.data);
    if (request.kind === "unconnectedSend") request = request.message;
    return request.kind === "multipleServicePacket" ? request.requests.length : 1;
  } catch {
    return 1;
  }
}

/** Runs `enip-get-attribute` with `argv`; resolves with the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(COMMAND, argv, io, async ({ values: v, positionals }) => {
    const { host, port } = parseAddress(v.address, "localhost");
    const timeout = flag("--timeout", seconds, v.timeout ?? "5.0") * 1000;
    // cpppo's depth 0 is "one at a time", which is our depth 1.
    const depth = Math.max(1, flag("--depth", nonNegativeInt, v.depth ?? "0"));
    const routing = routingOptions(v);
    const print = !v["no-print"];
    const log = new Log({ verbosity: v.verbose?.length ?? 0, file: v.log, stderr: io.stderr });
    if (positionals.length === 0)
      throw new UsageError("give at least one operation (e.g. @1/1/7), or - for stdin");
    const fromArgs = positionals.map((text) => (text === "-" ? "-" : parseAttributeOperation(text)));

    const packets: number[] = [];
    let client: EnipClient;
    try {
      client = await EnipClient.connect({
        host,
        port,
        timeout,
        connectTimeout: timeout,
        signal: io.signal,
        ...routing,
        // cpppo numbers its lines by request: every operation of one Multiple Service Packet shares an index.
        transport: watchedTcp((frame) => packets.push(operationsIn(frame))),
      });
    } catch (error) {
      io.stderr.write(`enip-get-attribute: ${connectFailure(host, port, error)}\n`);
      return EXIT_FAILED;
    }
    let failures = 0;
    const ops: Operation[] = [];
    const multiple = Boolean(v.multiple);
    // With -m, a Get Attribute carries an assumed reply size so that it packs with the others.
    const sized = (op: Operation): PipelineOperation =>
      multiple && (op.method === "getAttributeSingle" || op.method === "getAttributesAll")
        ? { ...op, dataSize: ASSUMED_REPLY_DATA[op.method] }
        : op;
    const source = async function* (): AsyncGenerator<PipelineOperation> {
      for (const item of fromArgs) {
        if (item !== "-") {
          ops.push(item);
          yield sized(item);
          continue;
        }
        for await (const line of operationLines(io.stdin)) {
          try {
            const op = parseAttributeOperation(line);
            ops.push(op);
            yield sized(op);
          } catch (error) {
            failures++;
            io.stderr.write(`enip-get-attribute: ${(error as Error).message}\n`);
          }
        }
      }
    };
    // The request the next result came in (cpppo's index), and how many of its operations are still to come.
    let request = -1;
    let left = 0;
    try {
      for await (const result of client.pipeline(source(), {
        depth,
        multiple: multiple ? MULTIPLE_BYTES : false,
        timeout,
        signal: io.signal,
      })) {
        if (!result.ok) failures++;
        const op = ops[result.index] as Operation;
        const value = !result.ok ? undefined : op.method === "setAttributeSingle" ? true : result.value;
        const description = attributeDescription(op, multiple);
        if (left === 0) {
          request++;
          left = packets[request] ?? 1;
        }
        left--;
        if (print)
          io.stdout.write(`${ctime()}: ${String(request).padStart(3)}: ${description} == ${pyRepr(value)}\n`);
        // A failure is said on stderr even with --no-print.
        if (result.status !== 0)
          io.stderr.write(
            `enip-get-attribute: ${description}: ${cpppoStatus(result.status, result.extStatus).trimEnd()}: ${result.statusText}\n`,
          );
        log.write("DETAIL", `${result.description}: ${result.statusText}`);
      }
    } catch (error) {
      io.stderr.write(`enip-get-attribute: ${describeError(error)}\n`);
      return EXIT_FAILED;
    } finally {
      await client.close();
    }
    return failures > 0 ? EXIT_FAILED : EXIT_OK;
  });
}
