/**
 * `enip-list-identity`: cpppo's `list_identity_simple` (§3.5). Sends ListIdentity by UDP, to the broadcast address
 * 255.255.255.255 by default (or a device's address), and prints every reply received before the timeout:
 * cpppo's `List Identity  N from ('ip', port): {…}` dotted-key block, or with `--json` one JSON object per device.
 */

import {
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  type FlagHelpTable,
  flag,
  jsonLine,
  Log,
  optionsHelp,
  positiveInt,
  runCommand,
  seconds,
  UsageError,
} from "@cpppo/cli-kit";
import { type DiscoveredDevice, discover } from "@cpppo/enip-client";
import { CLIENT_OPTIONS, type CliIo, clientCommand, clientHelp, parseAddress } from "./cli.js";
import { cpfPairs, dottedBlock, replyPrefix } from "./format.js";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  "source-address": { type: "string", short: "s" },
  count: { type: "string", short: "n" },
  "list-services": { type: "boolean" },
  json: { type: "boolean" },
} as const;

const HELP: FlagHelpTable<typeof OPTIONS> = {
  ...clientHelp({ address: "255.255.255.255:44818", timeout: "1.0" }),
  "source-address": { value: "ADDRESS", text: "send from this local address (an interface)" },
  count: { value: "COUNT", text: "stop after COUNT replies", default: "no limit" },
  "list-services": { text: "ask List Services instead of List Identity" },
  json: { text: "print one JSON object per reply" },
};

const USAGE = `usage: enip-list-identity [-a HOST[:PORT]] [-t SECS] [-s ADDRESS] [-n COUNT] [--list-services] [--json] [-v] [-l FILE] [--version] [HOST]

Sends List Identity by UDP (to the broadcast address 255.255.255.255 by default, or HOST) and prints every reply
received within -t seconds as cpppo's dotted-key block.

${optionsHelp(OPTIONS, HELP)}`;

/** The command: its flags, help and version. */
export const COMMAND = clientCommand("enip-list-identity", USAGE, OPTIONS);

/** Runs `enip-list-identity` with `argv`; resolves with 0 when any device answered, else 1. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(COMMAND, argv, io, async ({ values: v, positionals }) => {
    if (positionals.length > 1 || (positionals.length === 1 && v.address !== undefined))
      throw new UsageError("give one target: -a HOST[:PORT] or a HOST argument");
    const { host, port } = parseAddress(v.address ?? positionals[0], "255.255.255.255");
    const timeout = flag("--timeout", seconds, v.timeout ?? "1.0") * 1000;
    const limit = v.count === undefined ? undefined : flag("--count", positiveInt, v.count);
    const log = new Log({ verbosity: v.verbose?.length ?? 0, file: v.log, stderr: io.stderr });
    const command = v["list-services"] ? "listServices" : "listIdentity";
    const name = v["list-services"] ? "List Services" : "List Identity";
    log.write("NORMAL", `${name} to ${host}:${port}, collecting replies for ${timeout / 1000}s`);
    const source = v["source-address"];
    let devices: DiscoveredDevice[];
    try {
      devices = await discover({
        host,
        port,
        timeout,
        command,
        signal: io.signal,
        ...(limit !== undefined && { limit }),
        ...(source !== undefined && { bindAddress: source }),
      });
    } catch (error) {
      const from = source !== undefined ? ` from ${source} (-s)` : "";
      io.stderr.write(
        `enip-list-identity: cannot send ${name} to ${host}:${port}${from}: ${describeError(error)}\n`,
      );
      return EXIT_FAILED;
    }
    devices.forEach((device, index) => {
      if (v.json)
        io.stdout.write(
          `${jsonLine({ command: name, index, address: device.address, port: device.port, items: device.items })}\n`,
        );
      else
        io.stdout.write(
          `${replyPrefix(name, index, device.address, device.port)}${dottedBlock(cpfPairs(device.items))}\n`,
        );
    });
    log.write("NORMAL", `${devices.length} replies`);
    if (devices.length > 0) return EXIT_OK;
    io.stderr.write(`enip-list-identity: no ${name} reply from ${host}:${port} within ${timeout / 1000}s\n`);
    return EXIT_FAILED;
  });
}
