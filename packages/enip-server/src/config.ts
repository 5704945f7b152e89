/**
 * cpppo.cfg configuration files: the INI dialect cpppo reads (configparser with `${section:key}` interpolation), the
 * search order from lowest to highest priority, and the `[Identity]`, `[TCPIP]`, `[UCMM]` and `[Simulator]` sections
 * turned into controller and server options. Every value is validated with zod at this edge; a bad one is a
 * ConfigError that names the file, the section, the key and the fix.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import {
  type EPath,
  type Identity,
  type InterfaceConfiguration,
  parseEPath,
  parseRoutePath as parseRoutePathText,
  RoutePathError,
  type TcpIpInterface,
} from "@cpppo/cip-codec";
import { z } from "zod";
import { ConfigError } from "./core/errors.js";
import { parseTagDefinition, type TagDefinition } from "./tags/grammar.js";
import { parseRouteTable, type RouteTable } from "./transport/forward.js";

/** One `key = value` line as read from a file, with where it came from (for error messages). */
export interface ConfigEntry {
  /** The key as written (tag names in `[Simulator]` keep their case and underscores). */
  key: string;
  /** The raw value before interpolation; continuation lines are joined with "\n". */
  value: string;
  /** The file the entry was read from, or "<text>" for text parsed without a name. */
  file: string;
  /** 1-based line number of the key. */
  line: number;
}

/** One section across every file read: its name as first written, and its entries in reading order. */
export interface ConfigSection {
  name: string;
  entries: ConfigEntry[];
}

/**
 * Parsed INI files merged in priority order. Sections match case-insensitively; keys match case-insensitively with
 * spaces and underscores alike (cpppo writes `Vendor Number` and `vendor_number` interchangeably); a later entry wins.
 */
export class ConfigDocument {
  /** Files merged into this document, lowest priority first. */
  readonly files: string[] = [];
  private readonly sections = new Map<string, ConfigSection>();

  /** Parses `text` (the contents of `file`) and merges it over what was read before; throws ConfigError on bad syntax. */
  merge(text: string, file = "<text>"): this {
    for (const [name, entries] of parseIni(text, file)) {
      const id = normalizeSectionName(name);
      let section = this.sections.get(id);
      if (!section) {
        section = { name, entries: [] };
        this.sections.set(id, section);
      }
      section.entries.push(...entries);
    }
    this.files.push(file);
    return this;
  }

  /** The named section (case-insensitive), or undefined when no file had it. */
  section(name: string): ConfigSection | undefined {
    return this.sections.get(normalizeSectionName(name));
  }

  /** Names of every section read, as first written. */
  sectionNames(): string[] {
    return [...this.sections.values()].map((s) => s.name);
  }

  /** The winning entry for `key` in `section`, falling back to `[DEFAULT]` as configparser does. */
  entry(section: string, key: string): ConfigEntry | undefined {
    const wanted = normalizeKey(key);
    const find = (s: ConfigSection | undefined): ConfigEntry | undefined => {
      const entries = s?.entries ?? [];
      for (let i = entries.length - 1; i >= 0; i--)
        if (normalizeKey((entries[i] as ConfigEntry).key) === wanted) return entries[i];
      return undefined;
    };
    return find(this.section(section)) ?? find(this.section(DEFAULT_SECTION));
  }

  /** The interpolated value of `key` in `section` (or `[DEFAULT]`), or undefined when absent. */
  get(section: string, key: string): string | undefined {
    const entry = this.entry(section, key);
    return entry === undefined ? undefined : this.interpolate(section, entry);
  }

  /**
   * Expands `${key}`, `${section:key}` and `$$` in an entry's value (configparser's extended interpolation). The
   * expansion is bounded: references nest at most MAX_INTERPOLATION_DEPTH deep, one value follows at most
   * MAX_INTERPOLATION_REFERENCES references and grows to at most MAX_INTERPOLATION_LENGTH characters, so a small file
   * whose references fan out fails fast with a ConfigError naming its file and key.
   */
  interpolate(section: string, entry: ConfigEntry, depth = 0): string {
    return this.expand(section, entry, depth, { root: describeEntry(section, entry), references: 0 });
  }

  private expand(section: string, entry: ConfigEntry, depth: number, budget: ExpansionBudget): string {
    const where = describeEntry(section, entry);
    if (depth > MAX_INTERPOLATION_DEPTH)
      throw new ConfigError(
        `${where}: interpolation nests deeper than ${MAX_INTERPOLATION_DEPTH}; remove the reference loop`,
      );
    let out = "";
    const text = entry.value;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== "$") {
        out += c;
        continue;
      }
      const next = text[i + 1];
      if (next === "$") {
        out += "$";
        i++;
        continue;
      }
      const close = next === "{" ? text.indexOf("}", i + 2) : -1;
      if (close < 0)
        throw new ConfigError(
          `${where}: "$" must start \${key} or \${section:key}; write "$$" for a literal "$"`,
        );
      const reference = text.slice(i + 2, close);
      const colon = reference.indexOf(":");
      const targetSection = colon < 0 ? section : reference.slice(0, colon);
      const targetKey = colon < 0 ? reference : reference.slice(colon + 1);
      const target = this.entry(targetSection, targetKey);
      if (!target)
        throw new ConfigError(
          `${where}: \${${excerpt(reference)}} names no key; define ${quoteExcerpt(targetKey)} in [${excerpt(targetSection)}] or [DEFAULT]`,
        );
      if (++budget.references > MAX_INTERPOLATION_REFERENCES)
        throw new ConfigError(
          `${budget.root}: interpolation follows more than ${MAX_INTERPOLATION_REFERENCES} \${…} references; the references fan out, so write the value out instead`,
        );
      out += this.expand(targetSection, target, depth + 1, budget);
      i = close;
      if (out.length > MAX_INTERPOLATION_LENGTH)
        throw new ConfigError(
          `${budget.root}: interpolation expands past ${MAX_INTERPOLATION_LENGTH} characters; the \${…} references fan out, so write the value out instead`,
        );
    }
    return out;
  }
}

/** What one top-level interpolation has spent: the references followed, and the entry to name in an error. */
interface ExpansionBudget {
  root: string;
  references: number;
}

/** configparser's section whose keys every other section inherits. */
export const DEFAULT_SECTION = "DEFAULT";
/** How deep `${…}` references may nest before a loop is assumed (configparser's limit, 10). */
export const MAX_INTERPOLATION_DEPTH = 10;
/** How many `${…}` references one value's expansion may follow in all (a fan-out bomb's guard). */
export const MAX_INTERPOLATION_REFERENCES = 1000;
/** How many characters one value may expand to. */
export const MAX_INTERPOLATION_LENGTH = 65536;
/** How many characters of a value an error message quotes before cutting it short. */
const EXCERPT_LENGTH = 40;

/** At most EXCERPT_LENGTH characters of `text`, with "…" when cut. */
function excerpt(text: string): string {
  return text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH)}…`;
}

/** `text` JSON-quoted for an error message; a long one is cut to an excerpt and its length given. */
function quoteExcerpt(text: string): string {
  if (text.length <= EXCERPT_LENGTH) return JSON.stringify(text);
  return `"${JSON.stringify(text.slice(0, EXCERPT_LENGTH)).slice(1, -1)}…" (${text.length} characters)`;
}

/** Lower-case, underscores as spaces, runs of blanks as one space: how cpppo's config keys are compared. */
export function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/_/g, " ").replace(/\s+/g, " ");
}

function normalizeSectionName(name: string): string {
  return name.trim().toLowerCase();
}

function describeEntry(section: string, entry: ConfigEntry): string {
  return `${entry.file}:${entry.line}: [${section}] ${entry.key}`;
}

const SECTION_HEADER = /^\[(.+)\]$/;

/**
 * Parses INI text into sections in file order. A key line is `key = value` or `key: value` (a ":" separates only when
 * a blank or the line end follows it, so `Program:Main.Tag = DINT` keeps its name); indented lines continue the value;
 * whole-line `#` and `;` comments; no inline comments (values may hold JSON).
 */
export function parseIni(text: string, file = "<text>"): Map<string, ConfigEntry[]> {
  const sections = new Map<string, ConfigEntry[]>();
  const seen = new Map<string, Set<string>>();
  let current: { name: string; entries: ConfigEntry[]; keys: Set<string> } | undefined;
  let last: ConfigEntry | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] as string;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (/^\s/.test(raw) && last) {
      last.value = last.value === "" ? trimmed : `${last.value}\n${trimmed}`;
      continue;
    }
    const header = SECTION_HEADER.exec(trimmed);
    if (header) {
      const name = (header[1] as string).trim();
      const entries = sections.get(name) ?? [];
      sections.set(name, entries);
      const keys = seen.get(name) ?? new Set<string>();
      seen.set(name, keys);
      current = { name, entries, keys };
      last = undefined;
      continue;
    }
    const at = delimiterIndex(trimmed);
    if (at < 0)
      throw new ConfigError(
        `${file}:${n + 1}: ${quoteExcerpt(trimmed)} is not "key = value", a [Section] or a # comment`,
      );
    if (!current)
      throw new ConfigError(
        `${file}:${n + 1}: ${quoteExcerpt(trimmed)} comes before any [Section]; add a section header above it`,
      );
    const key = trimmed.slice(0, at).trim();
    if (key === "")
      throw new ConfigError(
        `${file}:${n + 1}: [${current.name}] has a value with no key; write "key = value"`,
      );
    const value = trimmed.slice(at + 1).trim();
    // [Simulator] keys are tag names, where case and underscores matter; elsewhere keys compare normalized.
    const identity = isSimulatorSection(current.name) ? key : normalizeKey(key);
    if (current.keys.has(identity))
      throw new ConfigError(`${file}:${n + 1}: [${current.name}] ${key} is set twice in this file; keep one`);
    current.keys.add(identity);
    last = { key, value, file, line: n + 1 };
    current.entries.push(last);
  }
  return sections;
}

function delimiterIndex(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "=") return i;
    if (c === ":" && (i + 1 === line.length || /\s/.test(line[i + 1] as string))) return i;
  }
  return -1;
}

function isSimulatorSection(name: string): boolean {
  return normalizeSectionName(name) === "simulator";
}

// ---------------------------------------------------------------------------------------------------------------
// Search order

/** Where configuration files are looked for; every member is injectable so tests need no real home or /etc. */
export interface ConfigSearchOptions {
  /** Base name of the files, without ".cfg" (cpppo `-b`); default "cpppo". */
  basename?: string;
  /** The user's home directory; default `os.homedir()`. */
  home?: string;
  /** The system directory; default `$APPDATA` when set (Windows), else "/etc". */
  systemDir?: string;
  /** The working directory for `./cpppo.cfg` and relative `-c` paths; default `process.cwd()`. */
  cwd?: string;
  /** The environment consulted for APPDATA; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** A package default file read first (lowest priority); default none (this package ships no cpppo.cfg). */
  packageDefault?: string;
}

/**
 * The files cpppo searches, lowest priority first: the package default (if given), `$APPDATA` or `/etc`,
 * `~/.cpppo/NAME.cfg`, `~/.NAME.cfg`, `./NAME.cfg` (NAME = basename, default "cpppo").
 */
export function configSearchPath(options: ConfigSearchOptions = {}): string[] {
  const basename = options.basename ?? "cpppo";
  if (basename === "" || /[/\\]/.test(basename))
    throw new ConfigError(
      `config basename "${basename}" must be a plain file name without ".cfg", e.g. "cpppo"`,
    );
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const systemDir = options.systemDir ?? env.APPDATA ?? "/etc";
  const cwd = options.cwd ?? process.cwd();
  const file = `${basename}.cfg`;
  const path = [join(systemDir, file), join(home, ".cpppo", file), join(home, `.${file}`), join(cwd, file)];
  return options.packageDefault ? [options.packageDefault, ...path] : path;
}

/** What to load: the search path and the explicit `-c` files. */
export interface LoadConfigOptions extends ConfigSearchOptions {
  /** Extra files (cpppo `-c`, repeatable), highest priority, in order; a missing one is an error. Default none. */
  files?: string[];
  /** Skip the searched locations (cpppo `--no-config`); explicit `files` still load. Default false. */
  noConfig?: boolean;
}

/** Reads the searched files that exist, then each explicit file, and merges them; throws ConfigError on any problem. */
export async function loadConfigDocument(options: LoadConfigOptions = {}): Promise<ConfigDocument> {
  const doc = new ConfigDocument();
  const cwd = options.cwd ?? process.cwd();
  const searched = options.noConfig ? [] : configSearchPath(options);
  for (const path of searched) {
    const text = await readConfigFile(path, false);
    if (text !== undefined) doc.merge(text, path);
  }
  for (const given of options.files ?? []) {
    const path = isAbsolute(given) ? given : resolve(cwd, given);
    doc.merge((await readConfigFile(path, true)) as string, path);
  }
  return doc;
}

async function readConfigFile(path: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && (code === "ENOENT" || code === "ENOTDIR")) return undefined;
    const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(err)})`;
    throw new ConfigError(`config file ${path} ${why}; fix the -c path or its permissions`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sections → options

/** Everything the configuration files say, ready for `Controller` and `EnipServer`. */
export interface SimulatorConfig {
  /** Files merged, lowest priority first. */
  files: string[];
  /** `[Identity]` overrides (ControllerOptions.identity). */
  identity: Partial<Identity>;
  /** `[TCPIP]` overrides (ControllerOptions.tcpip). */
  tcpip: Partial<TcpIpInterface>;
  /** `[UCMM] Route Path`: undefined accepts any route path, false only un-routed requests, else this one segment. */
  routePath?: EPath | false;
  /** `[UCMM] Route`: cpppo's forwarding table, written `{"1/1-15": "localhost:44819"}`. */
  routes?: RouteTable;
  /** `[Simulator]` tags (`Name[@addr] = TYPE[n] [= v1, v2…]`), with their initial values from element 0. */
  tags: TagDefinition[];
  /** Where each `[Simulator]` tag was defined ("file:line: [Simulator] key"), by tag name, for messages. */
  tagSources: Record<string, string>;
  /** Keys this simulator does not use in the sections it reads (kept, not fatal, because cpppo files carry extras). */
  warnings: string[];
}

/** Text of an integer in cpppo's notations: decimal, 0x hex, 0o octal, 0b binary, with an optional sign. */
export function parseInteger(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const body = m[2] as string;
  const magnitude = /^0[xXoObB]/.test(body) ? Number(body.toLowerCase()) : Number.parseInt(body, 10);
  return m[1] === "-" ? -magnitude : magnitude;
}

const integerIn = (min: number, max: number) =>
  z
    .string()
    .transform((s, ctx) => {
      const n = parseInteger(s);
      if (n === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `must be an integer (decimal, 0x hex, 0o or 0b) from ${min} to ${max}`,
        });
        return z.NEVER;
      }
      return n;
    })
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`));

const revisionText = z.string().transform((s, ctx) => {
  const dotted = /^(\d+)\.(\d+)$/.exec(s.trim());
  const packed = dotted ? undefined : parseInteger(s);
  const major = dotted ? Number(dotted[1]) : packed === undefined ? -1 : packed & 0xff;
  const minor = dotted ? Number(dotted[2]) : packed === undefined ? -1 : packed >>> 8;
  if (
    major < 0 ||
    major > 0xff ||
    minor < 0 ||
    minor > 0xff ||
    (packed !== undefined && (packed < 0 || packed > 0xffff))
  ) {
    ctx.addIssue({
      code: "custom",
      message: 'must be "MAJOR.MINOR" (e.g. "20.11") or a UINT with the major in the low byte (e.g. 0x0B14)',
    });
    return z.NEVER;
  }
  return { major, minor };
});

const sstringText = z
  .string()
  .refine((s) => s.length <= 255, "must be at most 255 characters (an SSTRING)")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is exactly "ISO-8859-1 only"
  .refine((s) => /^[\u0000-\u00ff]*$/.test(s), "must be ISO-8859-1 text");

const jsonText = <T extends z.ZodType>(schema: T, example: string) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `must be JSON, e.g. ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

interface KeySpec<K> {
  key: string;
  field: K;
  schema: z.ZodType;
}

const IDENTITY_KEYS: KeySpec<keyof Identity>[] = [
  { key: "Vendor Number", field: "vendorId", schema: integerIn(0, 0xffff) },
  { key: "Device Type", field: "deviceType", schema: integerIn(0, 0xffff) },
  { key: "Product Code Number", field: "productCode", schema: integerIn(0, 0xffff) },
  { key: "Product Revision", field: "revision", schema: revisionText },
  { key: "Status Word", field: "status", schema: integerIn(0, 0xffff) },
  { key: "Serial Number", field: "serialNumber", schema: integerIn(0, 0xffffffff) },
  { key: "Product Name", field: "productName", schema: sstringText },
  { key: "State", field: "state", schema: integerIn(0, 0xff) },
  {
    key: "Configuration Consistency Value",
    field: "configurationConsistencyValue",
    schema: integerIn(0, 0xffff),
  },
  { key: "Heartbeat Interval", field: "heartbeatInterval", schema: integerIn(0, 0xff) },
];

const ipv4 = z
  .string()
  .refine(
    (s) =>
      /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split(".").every((p) => Number(p) <= 255),
    "must be a dotted IPv4 address like 10.0.0.1",
  );

const interfaceConfigurationJson = z
  .object({
    ip_address: ipv4.default("0.0.0.0"),
    network_mask: ipv4.default("0.0.0.0"),
    gateway_address: ipv4.default("0.0.0.0"),
    dns_primary: ipv4.default("0.0.0.0"),
    dns_secondary: ipv4.default("0.0.0.0"),
    domain_name: z.string().default(""),
  })
  .strict()
  .transform(
    (c): InterfaceConfiguration => ({
      ipAddress: c.ip_address,
      networkMask: c.network_mask,
      gatewayAddress: c.gateway_address,
      nameServer: c.dns_primary,
      nameServer2: c.dns_secondary,
      domainName: c.domain_name,
    }),
  );

const id32 = z.number().int().min(0).max(0xffffffff);
const segmentJson = z.union([
  z.object({ class: id32 }).strict(),
  z.object({ instance: id32 }).strict(),
  z.object({ attribute: id32 }).strict(),
  z.object({ element: id32 }).strict(),
  z.object({ symbolic: z.string().min(1) }).strict(),
  z
    .object({
      port: z.number().int().min(1).max(0xffff),
      link: z.union([z.number().int().min(0), z.string()]),
    })
    .strict(),
]);

/** `Path to Physical Link`: a JSON list of segments (`[{"class": 246}, {"instance": 1}]`) or the text "@0xF6/1". */
const physicalLinkText = z.string().transform((s, ctx): EPath => {
  const trimmed = s.trim();
  if (trimmed.startsWith("[")) {
    const parsed = jsonText(z.array(segmentJson), '[{"class": 246}, {"instance": 1}]').safeParse(trimmed);
    if (parsed.success) return parsed.data as EPath;
    ctx.addIssue({ code: "custom", message: issueText(parsed.error) });
    return z.NEVER;
  }
  try {
    return parseEPath(trimmed);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `must be a JSON segment list or a path like "@0xF6/1" (${(err as Error).message})`,
    });
    return z.NEVER;
  }
});

const TCPIP_KEYS: KeySpec<keyof TcpIpInterface>[] = [
  { key: "Interface Status", field: "status", schema: integerIn(0, 0xffffffff) },
  { key: "Configuration Capability", field: "configurationCapability", schema: integerIn(0, 0xffffffff) },
  { key: "Configuration Control", field: "configurationControl", schema: integerIn(0, 0xffffffff) },
  { key: "Path to Physical Link", field: "physicalLinkPath", schema: physicalLinkText },
  {
    key: "Interface Configuration",
    field: "interfaceConfiguration",
    schema: jsonText(
      interfaceConfigurationJson,
      '{"ip_address": "10.0.0.1", "network_mask": "255.255.255.0"}',
    ),
  },
  { key: "Host Name", field: "hostName", schema: z.string().max(64, "must be at most 64 characters") },
];

const routeTableJson = z.record(z.string().min(1), z.string().min(1, "must name a target host[:port]"));

const UCMM_KEYS = ["Route Path", "Route"];

function issueText(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/**
 * cpppo's route path notations (the @cpppo/cip-codec grammar): "1/0" (port/link pairs, several allowed, links may be
 * IPv4/IPv6 addresses, kept as written), a JSON list of `{"port", "link"}` objects and/or "p/l" strings, a single JSON
 * object; "false", "0", "null" and "[]" mean "no route path" (false); "" and "none" mean "any" (undefined). Throws
 * ConfigError on anything else.
 */
export function parseRoutePath(text: string): EPath | false | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "none") return undefined;
  try {
    return parseRoutePathText(text);
  } catch (err) {
    if (err instanceof RoutePathError) throw new ConfigError(err.message, { cause: err });
    throw err;
  }
}

/** Splits "v1, v2, …" at commas outside double quotes and reads each value: numbers, true/false, "quoted" or bare text. */
export function parseInitialValues(text: string): (number | boolean | string)[] {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"' && text[i - 1] !== "\\") quoted = !quoted;
    if (c === "," && !quoted) {
      tokens.push(current);
      current = "";
    } else current += c;
  }
  tokens.push(current);
  return tokens.map((token) => {
    const t = token.trim();
    const integer = parseInteger(t);
    if (integer !== undefined) return integer;
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(Infinity|NaN)$/.test(t))
      return Number(t);
    if (/^(true|yes)$/i.test(t)) return true;
    if (/^(false|no)$/i.test(t)) return false;
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
      try {
        return JSON.parse(t) as string;
      } catch {
        return t.slice(1, -1);
      }
    }
    return t;
  });
}

function readKeys<K extends string>(
  doc: ConfigDocument,
  sectionName: string,
  specs: KeySpec<K>[],
  warnings: string[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  const section = doc.section(sectionName);
  const known = new Set(specs.map((s) => normalizeKey(s.key)));
  for (const entry of section?.entries ?? []) {
    if (!known.has(normalizeKey(entry.key)))
      warnings.push(
        `${describeEntry(sectionName, entry)} is not used by the simulator (known: ${specs.map((s) => s.key).join(", ")})`,
      );
  }
  for (const spec of specs) {
    const entry = doc.entry(sectionName, spec.key);
    if (!entry) continue;
    const value = doc.interpolate(sectionName, entry);
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success)
      throw new ConfigError(
        `${describeEntry(sectionName, entry)} = ${quoteExcerpt(value)}: ${issueText(parsed.error)}`,
      );
    out[spec.field] = parsed.data;
  }
  return out;
}

/** Turns a merged document into simulator options; throws ConfigError naming file, section, key and the fix. */
export function simulatorConfig(doc: ConfigDocument): SimulatorConfig {
  const warnings: string[] = [];
  const identity = readKeys(doc, "Identity", IDENTITY_KEYS, warnings) as Partial<Identity>;
  const tcpip = readKeys(doc, "TCPIP", TCPIP_KEYS, warnings) as Partial<TcpIpInterface>;
  const config: SimulatorConfig = {
    files: [...doc.files],
    identity,
    tcpip,
    tags: [],
    tagSources: {},
    warnings,
  };

  const ucmm = doc.section("UCMM");
  for (const entry of ucmm?.entries ?? []) {
    if (!UCMM_KEYS.some((k) => normalizeKey(k) === normalizeKey(entry.key)))
      warnings.push(
        `${describeEntry("UCMM", entry)} is not used by the simulator (known: ${UCMM_KEYS.join(", ")})`,
      );
  }
  const routePathEntry = doc.entry("UCMM", "Route Path");
  if (routePathEntry) {
    const text = doc.interpolate("UCMM", routePathEntry);
    let routePath: EPath | false | undefined;
    try {
      routePath = parseRoutePath(text);
    } catch (err) {
      throw new ConfigError(`${describeEntry("UCMM", routePathEntry)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (Array.isArray(routePath) && routePath.length !== 1)
      throw new ConfigError(
        `${describeEntry("UCMM", routePathEntry)} = ${quoteExcerpt(text)}: the simulator accepts exactly one route segment, e.g. "1/0"`,
      );
    if (routePath !== undefined) config.routePath = routePath;
  }
  const routeEntry = doc.entry("UCMM", "Route");
  if (routeEntry) {
    const text = doc.interpolate("UCMM", routeEntry);
    const parsed = jsonText(routeTableJson, '{"1/1-15": "localhost:44819"}').safeParse(text);
    if (!parsed.success)
      throw new ConfigError(
        `${describeEntry("UCMM", routeEntry)} = ${quoteExcerpt(text)}: ${issueText(parsed.error)}; write a JSON object like {"1/1-15": "localhost:44819"}`,
      );
    try {
      config.routes = parseRouteTable(parsed.data);
    } catch (err) {
      throw new ConfigError(`${describeEntry("UCMM", routeEntry)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  const simulator = doc.section("Simulator");
  const byKey = new Map<string, { definition: TagDefinition; source: string }>();
  for (const entry of simulator?.entries ?? []) {
    const where = describeEntry("Simulator", entry);
    const value = doc.interpolate("Simulator", entry);
    const at = value.indexOf("=");
    const type = (at < 0 ? value : value.slice(0, at)).trim();
    let definition: TagDefinition;
    try {
      definition = parseTagDefinition(`${entry.key.trim()}=${type}`);
    } catch (err) {
      throw new ConfigError(`${where} = ${quoteExcerpt(value)}: ${(err as Error).message}`, { cause: err });
    }
    if (at >= 0) {
      const text = value.slice(at + 1).trim();
      if (text === "")
        throw new ConfigError(
          `${where}: "=" is followed by no values; write "TYPE[n] = v1, v2" or drop the "="`,
        );
      definition.values = parseInitialValues(text);
    }
    // A later file's entry for the same key replaces the earlier one, as configparser's merge does.
    byKey.delete(entry.key.trim());
    byKey.set(entry.key.trim(), { definition, source: where });
  }
  for (const { definition, source } of byKey.values()) {
    config.tags.push(definition);
    config.tagSources[definition.name] = source;
  }
  return config;
}

/** Loads the searched and explicit files (see `loadConfigDocument`) and returns the simulator options they give. */
export async function loadSimulatorConfig(options: LoadConfigOptions = {}): Promise<SimulatorConfig> {
  return simulatorConfig(await loadConfigDocument(options));
}
