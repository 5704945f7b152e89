/**
 * `enip-poll`: cpppo's `poll` (§3.6). Reads named parameters every `-c` seconds through a gateway's parameter table
 * (default: the PowerFlex 750 series, as cpppo), backing off exponentially and reconnecting after failures, and
 * prints `%15s: %r` for each value. Runs until interrupted, or for `-n` polls (failed ones included).
 */
import { addAbortListener } from "node:events";
import { type AnyCipType, CipTypeCode, DINT, type EPath, REAL } from "@cpppo/cip-codec";
import {
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  type FlagHelpTable,
  flag,
  Log,
  optionsHelp,
  positiveInt,
  pyRepr,
  runCommand,
  seconds,
  UsageError,
} from "@cpppo/cli-kit";
import {
  type AttributeParameter,
  type AttributeProxy,
  type EnipClient,
  type EnipClientOptions,
  PARAMETERS,
  type ParameterResult,
  parameterName,
  parseTagPath,
  poll,
  type TagPath,
} from "@cpppo/enip-client";
import {
  CLIENT_OPTIONS,
  type CliIo,
  clientCommand,
  clientHelp,
  parseAddress,
  ROUTING_HELP,
  ROUTING_OPTIONS,
  routingOptions,
} from "./cli.js";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  ...ROUTING_OPTIONS,
  cycle: { type: "string", short: "c" },
  gateway: { type: "string", short: "g" },
  "pass-thru": { type: "boolean", short: "p" },
  count: { type: "string", short: "n" },
} as const;

const HELP: FlagHelpTable<typeof OPTIONS> = {
  ...clientHelp({ address: "localhost:44818", timeout: "5.0" }),
  ...ROUTING_HELP,
  cycle: { value: "SECS", text: "seconds between polls", default: "1.0" },
  gateway: { value: "GATEWAY", text: "the device's parameter table", default: "powerflex_750_series" },
  "pass-thru": { text: "also poll Logix tags (e.g. SCADA[0-3]) and raw @class/instance/attribute addresses" },
  count: {
    value: "COUNT",
    text: "stop after COUNT polls, failed ones included",
    default: "run until interrupted",
  },
};

const USAGE = `usage: enip-poll [-a HOST[:PORT]] [-c SECS] [-t SECS] [-g GATEWAY] [-p] [-S] [--route-path RP] [--send-path SP]
                 [-n COUNT] [-v] [-l FILE] [--version] [parameter ...]

Polls a device's parameters every -c seconds, as cpppo's poll, and prints "%15s: %r" per value.
gateways: generic, powerflex_750_series; parameters default to "Output Current" "Motor Velocity".

${optionsHelp(OPTIONS, HELP)}`;

/** The command: its flags, help and version. */
export const COMMAND = clientCommand("enip-poll", USAGE, OPTIONS);

/** A PowerFlex 750 DPI parameter: class 0x93, the parameter's instance, attribute 10 (its value). */
function dpi(instance: number, units: string, type: AnyCipType = REAL): AttributeParameter {
  return { path: [{ class: 0x93 }, { instance }, { attribute: 10 }], decode: type, units };
}

/** Parameter tables by gateway name (cpppo's `ab.powerflex_750_series` and the plain proxy). */
export const GATEWAYS: Readonly<Record<string, Record<string, AttributeParameter>>> = {
  generic: {},
  powerflex_750_series: {
    output_frequency: dpi(1, "Hz"),
    output_freq: dpi(1, "Hz"),
    mtr_vel_fdbk: dpi(3, "Hz/RPM"),
    motor_velocity: dpi(3, "Hz/RPM"),
    output_current: dpi(7, "Amps"),
    output_voltage: dpi(8, "VAC"),
    output_power: dpi(9, "kW"),
    dc_bus_volts: dpi(11, "VDC"),
    elapsed_mwh: dpi(13, "MWh"),
    elapsed_kwh: dpi(14, "kWh"),
    elapsed_run_time: dpi(15, "Hrs"),
    rated_volts: dpi(20, "VAC"),
    rated_amps: dpi(21, "Amps"),
    rated_kw: dpi(22, "kW"),
    speed_units: dpi(300, "0 Hz, 1 RPM", DINT),
  },
};

const DEFAULT_PARAMETERS = ["Output Current", "Motor Velocity"];

/** True when a parameter decodes to one REAL/LREAL (printed as Python floats). */
function isFloat(p: AttributeParameter | undefined): boolean {
  const d = p?.decode as AnyCipType | undefined;
  return (
    d !== undefined &&
    typeof d === "object" &&
    !Array.isArray(d) &&
    (d.code === CipTypeCode.codes.REAL || d.code === CipTypeCode.codes.LREAL)
  );
}

/** Runs `enip-poll` with `argv`; resolves with 0 when every poll succeeded, else 1. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(COMMAND, argv, io, async ({ values: v, positionals }) => {
    const { host, port } = parseAddress(v.address, "localhost");
    const cycle = flag("--cycle", seconds, v.cycle ?? "1.0") * 1000;
    const timeout = flag("--timeout", seconds, v.timeout ?? "5.0") * 1000;
    const count = v.count === undefined ? undefined : flag("--count", positiveInt, v.count);
    const gatewayName = parameterName(
      (v.gateway ?? "powerflex_750_series").replace(/^(cpppo\.server\.enip\.)?ab\./, ""),
    );
    const gateway = GATEWAYS[gatewayName];
    if (!gateway)
      throw new UsageError(`unknown gateway "${v.gateway}"; use one of ${Object.keys(GATEWAYS).join(", ")}`);
    const routing = routingOptions(v);
    const log = new Log({ verbosity: v.verbose?.length ?? 0, file: v.log, stderr: io.stderr });

    // Every parameter must be known, or with --pass-thru be a raw @class/instance/attribute (read as bytes) or a
    // Logix tag such as SCADA[0-3] (read with Read Tag, as cpppo's poll example reads a controller's tags).
    const definitions: Record<string, AttributeParameter> = { ...gateway };
    const tags = new Map<string, TagPath>();
    const parameters = positionals.length > 0 ? positionals : DEFAULT_PARAMETERS;
    for (const name of parameters) {
      const key = parameterName(name);
      if (definitions[key] || PARAMETERS[key]) continue;
      if (v["pass-thru"] && name.trim().startsWith("@")) {
        const path: EPath = parseTagPath(name).path;
        definitions[name] = { path, decode: (data) => Array.from(data) };
        continue;
      }
      if (v["pass-thru"]) {
        tags.set(name, parseTagPath(name));
        continue;
      }
      const known = [...Object.keys(PARAMETERS), ...Object.keys(gateway)].sort().join(", ");
      throw new UsageError(
        `unknown parameter "${name}"; use one of ${known} (or -p for Logix tags and raw @class/instance/attribute)`,
      );
    }
    /** One poll: tags with Read Tag, the rest through the proxy, all in flight at once, results in order. */
    const read = (
      client: EnipClient,
      proxy: AttributeProxy,
      signal?: AbortSignal,
    ): Promise<ParameterResult[]> =>
      Promise.all(
        parameters.map(async (name): Promise<ParameterResult> => {
          const tag = tags.get(name);
          if (tag === undefined) return (await proxy.read([name], { signal })).at(0) as ParameterResult;
          const r = await client.read(tag.path, {
            elements: tag.count ?? 1,
            ...(tag.offset !== undefined && { offset: tag.offset }),
            ...(signal !== undefined && { signal }),
          });
          return { ...r, name };
        }),
      );
    const floats = (r: ParameterResult): boolean => {
      const type = (r as { type?: number }).type;
      if (tags.has(r.name)) return type === CipTypeCode.codes.REAL || type === CipTypeCode.codes.LREAL;
      return isFloat(
        definitions[parameterName(r.name)] ?? definitions[r.name] ?? PARAMETERS[parameterName(r.name)],
      );
    };

    const connect: EnipClientOptions = {
      host,
      port,
      timeout,
      connectTimeout: timeout,
      ...routing,
    };
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(io.signal?.reason);
    const listening = io.signal ? addAbortListener(io.signal, onAbort) : undefined;
    if (io.signal?.aborted) onAbort();
    let polls = 0;
    let failures = 0;
    try {
      await poll({
        connect,
        parameters,
        definitions,
        cycle,
        signal: stop.signal,
        ...(tags.size > 0 && { read }),
        process(results: ParameterResult[]) {
          polls++;
          for (const r of results) {
            if (!r.ok) failures++;
            const shown = r.ok ? r.value : `Status ${r.status}: ${r.statusText}`;
            io.stdout.write(`${r.name.padStart(15)}: ${pyRepr(shown, r.ok && floats(r))}\n`);
          }
          if (count !== undefined && polls >= count) stop.abort();
        },
        failure(error: unknown) {
          failures++;
          polls++;
          // The library's message may already name the target; say it once.
          const text = describeError(error);
          io.stderr.write(
            `enip-poll: ${text.includes(`${host}:${port}`) ? text : `${host}:${port}: ${text}`}\n`,
          );
          log.write("NORMAL", "poll failed; backing off before reconnecting");
          if (count !== undefined && polls >= count) stop.abort();
        },
      });
    } finally {
      listening?.[Symbol.dispose]();
    }
    return failures > 0 ? EXIT_FAILED : EXIT_OK;
  });
}
