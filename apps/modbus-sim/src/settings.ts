/**
 * modbus-sim's command line, checked once at the edge: cpppo's `-a`, `-r`, `-e` and `-c` grammar (§3.6 of the
 * Modbus notes), the TLS flags, and the verbosity; every mistake is a UsageError naming the flag and the fix.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { splitAddress, UsageError } from "@cpppo/cli-kit";
import type { CorruptField, EvilMode } from "@cpppo/modbus-server";
import { z } from "zod";

/** The Modbus/TCP port, `-a`'s default. */
export const MODBUS_TCP_PORT = 502;
/** The Modbus/TCP Security port (TLS), the default once `--tls-cert` is given. */
export const MODBUS_TLS_PORT = 802;
/** cpppo's `-e delay` without seconds: 5 s. */
export const DEFAULT_EVIL_DELAY_S = 5;
/** The longest `-e delay`, in seconds: Node's timers run at most 2^31 - 1 ms (about 24.8 days). */
export const MAX_DELAY_SECONDS = 2_147_483;

/** Where the simulator serves: a TCP interface and port, or a serial device (RTU). */
export type Endpoint = { kind: "tcp"; host: string; port: number } | { kind: "rtu"; path: string };

/** The serial line and unit settings of `-c JSON` (pyserial's key names, as cpppo passes them through). */
export interface SerialConfig {
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
  /** The unit ids served (`slaves`); undefined serves every unit id (cpppo's `single`). */
  units: number[] | undefined;
}

/** `--tls-*`: PEM files and the role → function codes map (`"*"` allows every function code). */
export interface TlsSettings {
  cert: string;
  key: string;
  ca: string;
  roles: Record<string, number[] | "*">;
}

/** Everything the command line asked for. */
export interface Settings {
  verbosity: number;
  log: string | undefined;
  endpoint: Endpoint;
  /** How many successive ports to try (`-r`); 1 for a serial device or port 0. */
  portsToTry: number;
  evil: EvilMode | undefined;
  serial: SerialConfig;
  tls: TlsSettings | undefined;
  /** The register range texts, parsed by @cpppo/modbus-server's `parseRegisterRanges`. */
  ranges: string[];
  /** `-w`: where to serve the web API and the dashboard; undefined when not asked. */
  web?: { host: string; port: number } | undefined;
  /** `--web-token` (or env CPPPO_WEB_TOKEN): the bearer token every web request needs. */
  webToken?: string | undefined;
}

/** `-w [IFACE][:PORT]`: IFACE defaults to 127.0.0.1 (this machine only), PORT to 80; digits alone are a port. */
export function parseWebAddress(text: string): { host: string; port: number } {
  const { host, port } = splitAddress(text, { barePort: true });
  const n = port === "" ? 80 : Number(port);
  if (!/^\d*$/.test(port) || !Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new UsageError(`-w/--web ${JSON.stringify(text)}: the port must be a number 0..65535`);
  return { host: host || "127.0.0.1", port: n };
}

const CORRUPT_FIELDS: readonly CorruptField[] = ["transaction", "protocol", "unit", "function", "registers"];

/** Seconds as text: `2`, `2.5`, `.5`. */
const SECONDS = /^(\d+(?:\.\d*)?|\.\d+)$/;

/** `-e` text: `truncate`, `delay[:S[-S]]` (default 5 s) or `corrupt[:FIELD]` (default transaction). */
export function parseEvil(text: string): EvilMode {
  const [mode, arg] = splitOnce(text.trim(), ":");
  if (mode === "truncate" && arg === undefined) return { mode: "truncate" };
  if (mode === "delay") {
    if (arg === undefined) return { mode: "delay", minS: DEFAULT_EVIL_DELAY_S, maxS: DEFAULT_EVIL_DELAY_S };
    const [lo, hi] = splitOnce(arg.trim(), "-");
    const min = lo !== undefined && SECONDS.test(lo.trim()) ? Number(lo) : Number.NaN;
    const max = hi === undefined ? min : SECONDS.test(hi.trim()) ? Number(hi) : Number.NaN;
    if (Number.isNaN(min) || Number.isNaN(max) || min > max)
      throw new UsageError(
        `-e/--evil "${text}": delay takes seconds or a range LO-HI with LO <= HI, e.g. delay:2.5 or delay:.01-.1`,
      );
    if (max > MAX_DELAY_SECONDS)
      throw new UsageError(
        `-e/--evil "${text}": delay is longer than ${MAX_DELAY_SECONDS} seconds (Node's timer limit)`,
      );
    return { mode: "delay", minS: min, maxS: max };
  }
  if (mode === "corrupt") {
    const field = (arg ?? "transaction").trim();
    if ((CORRUPT_FIELDS as readonly string[]).includes(field))
      return { mode: "corrupt", field: field as CorruptField };
    throw new UsageError(`-e/--evil "${text}": corrupt takes one of ${CORRUPT_FIELDS.join(", ")}`);
  }
  throw new UsageError(
    `-e/--evil "${text}" must be truncate, delay[:S[-S]] or corrupt[:transaction|protocol|unit|function|registers]`,
  );
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

const unitId = z.number().int().min(0).max(247);
/** `-c JSON`: pyserial's names as cpppo passes them on; `timeout` is accepted and unused (framing uses t3.5). */
const configSchema = z.strictObject({
  baudrate: z.number().int().min(50).max(4_000_000).optional(),
  bytesize: z.union([z.literal(7), z.literal(8)]).optional(),
  parity: z.enum(["N", "E", "O", "none", "even", "odd"]).optional(),
  stopbits: z.union([z.literal(1), z.literal(2)]).optional(),
  slaves: z
    .union([unitId, z.array(unitId).min(1)])
    .nullable()
    .optional(),
  timeout: z.number().nonnegative().optional(),
  ignore_missing_slaves: z.boolean().optional(),
});

const PARITY = { N: "none", E: "even", O: "odd", none: "none", even: "even", odd: "odd" } as const;

/** `-c JSON` text (or none) as the serial line and unit settings; 9600 8N1, every unit, by default. */
export function parseConfig(text: string | undefined): SerialConfig {
  const serial: SerialConfig = { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, units: undefined };
  if (text === undefined) return serial;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`-c/--config is not JSON: ${(err as Error).message}`);
  }
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `"${issue.path.join(".")}" ` : "";
    const keys = issue && "keys" in issue ? ` ${(issue.keys as string[]).join(", ")}` : "";
    throw new UsageError(
      `-c/--config ${where}${issue?.message ?? "is invalid"}${keys} (keys: baudrate, bytesize, parity, stopbits, slaves, timeout)`,
    );
  }
  const c = result.data;
  if (c.baudrate !== undefined) serial.baudRate = c.baudrate;
  if (c.bytesize !== undefined) serial.dataBits = c.bytesize;
  if (c.parity !== undefined) serial.parity = PARITY[c.parity];
  if (c.stopbits !== undefined) serial.stopBits = c.stopbits;
  if (c.slaves !== undefined && c.slaves !== null)
    serial.units = typeof c.slaves === "number" ? [c.slaves] : [...new Set(c.slaves)];
  return serial;
}

/**
 * `-a` text: a serial device when it contains `/` or names an existing file (relative to `cwd`), else
 * `[iface][:port]` (digits alone are a port; IPv6 bracketed or bare) with `defaultPort` and every interface.
 */
export function parseEndpoint(text: string, defaultPort: number, cwd: string): Endpoint {
  const trimmed = text.trim();
  if (trimmed.includes("/") || (trimmed !== "" && existsSync(resolve(cwd, trimmed))))
    return { kind: "rtu", path: isAbsolute(trimmed) ? trimmed : resolve(cwd, trimmed) };
  const { host, port: portText } = splitAddress(trimmed, { barePort: true });
  if (host !== "" && !/^[A-Za-z0-9.:%_-]+$/.test(host))
    throw new UsageError(
      `-a/--address "${text}": "${host}" is not a host name, an address or a serial device`,
    );
  let port = defaultPort;
  if (portText !== "") {
    if (!/^\d+$/.test(portText) || Number(portText) > 0xffff)
      throw new UsageError(`-a/--address "${text}": port "${portText}" must be a number 0..65535`);
    port = Number(portText);
  }
  return { kind: "tcp", host: host === "" ? "0.0.0.0" : host, port };
}

/** Function codes a role may be given (the simulator's). */
const ROLE_FUNCTION_CODES = new Set([1, 2, 3, 4, 5, 6, 15, 16, 22, 23, 43]);

/** `--tls-role` texts, `ROLE=FC,FC…` or `ROLE=*`, as one map; a role named twice gets the union. */
export function parseRoles(texts: readonly string[]): Record<string, number[] | "*"> {
  const roles: Record<string, number[] | "*"> = {};
  for (const text of texts) {
    const [name, list] = splitOnce(text, "=");
    const role = name.trim();
    if (role === "" || list === undefined || list.trim() === "")
      throw new UsageError(`--tls-role "${text}" must be ROLE=FC,FC... or ROLE=*, e.g. Operator=1,2,3,4`);
    if (list.trim() === "*") {
      roles[role] = "*";
      continue;
    }
    const codes = list.split(",").map((fc) => {
      const t = fc.trim();
      const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : Number.NaN;
      if (!ROLE_FUNCTION_CODES.has(n))
        throw new UsageError(
          `--tls-role "${text}": "${t}" is not a function code the simulator serves (${[...ROLE_FUNCTION_CODES].join(", ")})`,
        );
      return n;
    });
    const before = roles[role];
    if (before !== "*") roles[role] = [...new Set([...(before ?? []), ...codes])].sort((a, b) => a - b);
  }
  return roles;
}

/** The `--tls-*` flags as TLS settings, or undefined when none is given; cert, key and CA go together. */
export function parseTls(
  values: { cert?: string | undefined; key?: string | undefined; ca?: string | undefined; roles: string[] },
  cwd: string,
): TlsSettings | undefined {
  const { cert, key, ca } = values;
  if (cert === undefined && key === undefined && ca === undefined) {
    if (values.roles.length > 0) throw new UsageError("--tls-role needs --tls-cert, --tls-key and --tls-ca");
    return undefined;
  }
  if (cert === undefined || key === undefined || ca === undefined)
    throw new UsageError(
      "TLS needs all of --tls-cert, --tls-key and --tls-ca (Modbus/TCP Security authenticates both ends)",
    );
  const file = (flag: string, path: string) => {
    const full = isAbsolute(path) ? path : resolve(cwd, path);
    if (!existsSync(full)) throw new UsageError(`${flag} ${path}: no such file`);
    return full;
  };
  return {
    cert: file("--tls-cert", cert),
    key: file("--tls-key", key),
    ca: file("--tls-ca", ca),
    roles: parseRoles(values.roles),
  };
}

/** `-r` text: how many successive ports to try, 1..1000. */
export function parsePortsToTry(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 1000)
    throw new UsageError(`-r/--range "${text}" must be a whole number of ports from 1 to 1000`);
  return n;
}
