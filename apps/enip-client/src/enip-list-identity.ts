/**
 * `enip-list-identity`: cpppo's `list_identity_simple` (§3.5). Sends ListIdentity by UDP, to the broadcast address
 * 255.255.255.255 by default (or a device's address), and prints every reply received before the timeout:
 * `List Identity  N from ('ip', port): {...}`, or with `--json` one JSON object per device.
 */
import { discover } from "@cpppo/enip-client";
import {
  type CliIo,
  EXIT_FAILED,
  EXIT_OK,
  flag,
  jsonLine,
  Log,
  parseAddress,
  parseCommandLine,
  positiveInt,
  pyRepr,
  seconds,
  UsageError,
  withUsage,
} from "./cli.js";

const USAGE = `usage: enip-list-identity [-a HOST[:PORT]] [-t SECS] [-s ADDRESS] [-n COUNT] [--list-services] [--json] [-v] [-l FILE] [HOST]
Sends ListIdentity by UDP (default to the broadcast address 255.255.255.255) and prints every reply within -t seconds.
`;

const OPTIONS = {
  address: { type: "string", short: "a" },
  timeout: { type: "string", short: "t" },
  "source-address": { type: "string", short: "s" },
  count: { type: "string", short: "n" },
  "list-services": { type: "boolean" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v", multiple: true },
  log: { type: "string", short: "l" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `enip-list-identity` with `argv`; resolves with 0 when any device answered, else 1. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return withUsage("enip-list-identity", io, async () => {
    const { values: v, positionals } = parseCommandLine(argv, OPTIONS);
    if (v.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length > 1 || (positionals.length === 1 && v.address !== undefined))
      throw new UsageError("give one target: -a HOST[:PORT] or a HOST argument");
    const { host, port } = parseAddress(v.address ?? positionals[0], "255.255.255.255");
    const timeout = flag("--timeout", seconds, v.timeout ?? "1.0") * 1000;
    const limit = v.count === undefined ? undefined : flag("--count", positiveInt, v.count);
    const log = new Log(io, v.verbose?.length ?? 0, v.log);
    const command = v["list-services"] ? "listServices" : "listIdentity";
    const name = v["list-services"] ? "List Services" : "List Identity";
    log.at(1, `${name} to ${host}:${port}, collecting replies for ${timeout / 1000}s`);
    const devices = await discover({
      host,
      port,
      timeout,
      command,
      signal: io.signal,
      ...(limit !== undefined && { limit }),
      ...(v["source-address"] !== undefined && { bindAddress: v["source-address"] }),
    });
    devices.forEach((device, index) => {
      if (v.json)
        io.stdout.write(`${jsonLine({ address: device.address, port: device.port, items: device.items })}\n`);
      else
        io.stdout.write(
          `${name}  ${index} from (${pyRepr(device.address)}, ${device.port}): ${jsonLine(device.items)}\n`,
        );
    });
    log.at(1, `${devices.length} replies`);
    return devices.length > 0 ? EXIT_OK : EXIT_FAILED;
  });
}
