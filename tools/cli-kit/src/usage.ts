/**
 * The command line's contract with its caller: exit statuses, the one-line usage error, strict flag parsing, the
 * flags every CLI has, zod checks that name the flag, and `--help`/`--version`.
 */
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { defineError } from "@cpppo/automata/errors";
import { z } from "zod";

/** Exit status when every operation succeeded. */
export const EXIT_OK = 0;
/** Exit status when any operation (or the connection, or the server) failed. */
export const EXIT_FAILED = 1;
/** Exit status for bad arguments; one line on stderr says which and why. */
export const EXIT_USAGE = 2;

/** The EtherNet/IP TCP and UDP port, the default of every `-a` address. */
export const ENIP_PORT = 44818;

/** Something text can be written to (process.stdout, a test buffer). */
export interface TextSink {
  write(text: string): unknown;
  /** True when it is a terminal (live progress lines are drawn only then); default false. */
  isTTY?: boolean;
}

/** The two streams every CLI's `main` writes to; injected so tests run it in-process. */
export interface CliOutput {
  stdout: TextSink;
  stderr: TextSink;
}

/** A bad command line: the CLI prints `<command>: <message>` on one line of stderr and exits with status 2. */
export class UsageError extends defineError("ERR_USAGE", "UsageError") {}

/** `-a/--address`, `-v/--verbose` (repeatable), `-l/--log FILE`, `-h/--help` and `--version`: every CLI's flags. */
export const COMMON_OPTIONS = {
  address: { type: "string", short: "a" },
  verbose: { type: "boolean", short: "v", multiple: true },
  log: { type: "string", short: "l" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** A parseArgs option table. */
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/** What `parseCommandLine` returns: the flags' values, the positionals and parseArgs' tokens (for last-one-wins flags). */
export type ParsedCommandLine<T extends OptionTable> = ReturnType<
  typeof parseArgs<{ options: T; allowPositionals: true; strict: true; tokens: true; args: string[] }>
>;

/** `message` on one line: each line break and the blanks around it become one space. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ");
}

/** A value that looks like a negative number (`-1`, `-0.5`, `-.5`, `-1e3`), not a flag. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

/**
 * `argv` with each negative number that follows a flag taking a value joined to it (`-d -1` → `--depth=-1`), so
 * that parseArgs hands it to the flag, whose check then says what range is allowed, instead of calling it ambiguous.
 */
export function joinNegativeValues(argv: readonly string[], options: OptionTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    let name: string | undefined;
    if (arg.startsWith("--") && !arg.includes("=")) name = arg.slice(2);
    else if (/^-[^-]$/.test(arg)) name = Object.keys(options).find((k) => options[k]?.short === arg[1]);
    if (
      name !== undefined &&
      options[name]?.type === "string" &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * Parses `argv` with node's parseArgs (strict, positionals allowed, with tokens), turning its complaint into a
 * UsageError whose message is `explain(complaint)`; `explain` defaults to `oneLine`. A negative number after a flag
 * that takes a value is that flag's value (`-d -1`).
 */
export function parseCommandLine<T extends OptionTable>(
  argv: string[],
  options: T,
  explain: (message: string) => string = oneLine,
): ParsedCommandLine<T> {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(explain((error as Error).message));
  }
}

/** What a zod issue says in our words: a schema's own message, else what is allowed (never zod's "Invalid input"). */
function issueText(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "is invalid";
  // zod's built-in messages start with a capital ("Invalid input: …", "Too small: …"); ours never do.
  if (!/^[A-Z]/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "number" || issue.expected === "int"
        ? "must be a number"
        : `must be a ${issue.expected}`;
    case "too_small":
      return `must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}`;
    case "too_big":
      return `must be ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return "is invalid";
  }
}

/** Validates one flag's text with a zod schema, naming the flag in the UsageError: `"--depth" must be 0 or more, got "-1"`. */
export function flag<S extends z.ZodType>(name: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError(`"${name}" ${issueText(result.error.issues[0])}, got ${JSON.stringify(raw)}`);
}

/**
 * The text of the file a flag names (a key, a certificate, a CA); an unreadable file is a UsageError naming the
 * flag: `--wamp-ca: cannot read ca.pem: ENOENT: …`. `shown` is the path as the user typed it (default `path`).
 */
export function readFlagFile(flagName: string, path: string, shown = path): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${flagName}: cannot read ${shown}: ${(error as Error).message}`);
  }
}

/** One flag's line in `--help`: the name of its value (none for a switch), what it does, and its default if any. */
export interface FlagHelp {
  /** E.g. `SECS` or `HOST[:PORT]`; absent for a switch. */
  value?: string;
  /** What the flag does, in one line. */
  text: string;
  /** The default, as the user would type it; absent when there is none (or for a switch, which is off). */
  default?: string;
}

/** A help line for every flag of `T`: a flag without one does not compile. */
export type FlagHelpTable<T extends OptionTable> = { [K in keyof T]: FlagHelp };

/** Column where the descriptions of `optionsHelp` start. */
const HELP_COLUMN = 28;

/**
 * The options section of `--help`, one line per flag in the order of `help`, as enip-server prints it:
 * `  -t, --timeout SECS        how long to wait for a reply (default 5.0)`.
 */
export function optionsHelp<T extends OptionTable>(options: T, help: FlagHelpTable<T>): string {
  let out = "options:\n";
  for (const name of Object.keys(help) as (keyof T & string)[]) {
    const o = options[name] as OptionTable[string];
    const h = help[name];
    const left = `  ${o.short ? `-${o.short}, ` : "    "}--${name}${h.value ? ` ${h.value}` : ""}`;
    const text = `${h.text}${h.default !== undefined ? ` (default ${h.default})` : ""}`;
    out += `${left.length < HELP_COLUMN - 1 ? left.padEnd(HELP_COLUMN) : `${left}  `}${text}\n`;
  }
  return out;
}

/** Help lines of `COMMON_OPTIONS`; `address` names the default target, which each command sets. */
export function commonHelp(address: FlagHelp): FlagHelpTable<typeof COMMON_OPTIONS> {
  return {
    address,
    verbose: { text: "more logging (repeat: -vv detail, -vvv info, -vvvv debug)" },
    log: { value: "FILE", text: "log to FILE instead of stderr" },
    help: { text: "show this help" },
    version: { text: "show the version" },
  };
}

/** Seconds as a positive decimal number (the `-t` timeouts and `-c` cycles). */
export const seconds = z.coerce
  .number({ error: "must be a number of seconds" })
  .positive("must be more than 0 seconds");
/** A count of at least 1. */
export const positiveInt = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1");
/** A count of 0 or more. */
export const nonNegativeInt = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must be 0 or more");

/** What `--help` and `--version` print for a command. */
export interface CommandInfo {
  /** The command's name: the prefix of its error lines and the first word of its `--version` line. */
  name: string;
  /** The `--help` text, printed as it is (end it with a newline). */
  usage: string;
  /** The version `--version` prints, asked only then; pass `() => packageVersion(import.meta.url)`. */
  version: () => string;
}

/**
 * Answers `--help` (the usage text) or else `--version` (`<name> <version>`) on stdout; returns EXIT_OK when it
 * printed one, or undefined when neither flag was given.
 */
export function answerHelpOrVersion(
  command: CommandInfo,
  values: { help?: boolean | undefined; version?: boolean | undefined },
  io: CliOutput,
): number | undefined {
  if (values.help) {
    io.stdout.write(command.usage);
    return EXIT_OK;
  }
  if (values.version) {
    io.stdout.write(`${command.name} ${command.version()}\n`);
    return EXIT_OK;
  }
  return undefined;
}

/** True when `error` carries the stable `code`. */
export function isCoded(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** `message (code)` of a coded error (the code once), else its message. */
export function describeError(error: unknown): string {
  // Errors made in another realm (node's own, under a test's vm context) are not `instanceof Error`; their message is.
  if (typeof error !== "object" || error === null || typeof (error as Error).message !== "string")
    return String(error);
  const { message, code } = error as { message: string; code?: unknown };
  // Node's system errors already name their code ("connect ECONNREFUSED …"): it is not said twice.
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Runs `body` for `command`: a UsageError, or an error whose code is one of `usageCodes` (a caller's mistake; default
 * `ERR_INVALID_ARG`), prints `<command>: <message>` on one line and gives EXIT_USAGE; any other error prints
 * `<command>: <message> (<code>)` and gives EXIT_FAILED.
 */
export async function withUsage(
  command: string,
  io: CliOutput,
  body: () => Promise<number>,
  usageCodes: readonly string[] = ["ERR_INVALID_ARG"],
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || usageCodes.some((code) => isCoded(error, code))) {
      io.stderr.write(`${command}: ${oneLine((error as Error).message)}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`${command}: ${describeError(error)}\n`);
    return EXIT_FAILED;
  }
}

/** A command `runCommand` runs: its help and version, its flags, and which error codes are the caller's mistakes. */
export interface CommandSpec<T extends OptionTable> extends CommandInfo {
  /** The flag table, `COMMON_OPTIONS` spread in (it must hold `help` and `version`). */
  options: T;
  /** Codes of errors that exit 2 like a UsageError; default `["ERR_INVALID_ARG"]`. */
  usageCodes?: readonly string[];
}

/**
 * Parses `argv` against `spec.options`, answers `--help` and `--version`, and otherwise runs `body` with the parsed
 * command line, all under `withUsage`; resolves with the exit status.
 */
export function runCommand<T extends OptionTable>(
  spec: CommandSpec<T>,
  argv: string[],
  io: CliOutput,
  body: (parsed: ParsedCommandLine<T>) => Promise<number>,
): Promise<number> {
  return withUsage(
    spec.name,
    io,
    async () => {
      const parsed = parseCommandLine(argv, spec.options);
      return (
        answerHelpOrVersion(spec, parsed.values as { help?: boolean; version?: boolean }, io) ?? body(parsed)
      );
    },
    spec.usageCodes,
  );
}
