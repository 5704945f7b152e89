/**
 * The `cpppo-history` command: `cat`, `write`, `play`, `plot` and `time` over cpppo history files (and rotated
 * sets of them) through @cpppo/history. Bad times, zones, files and flags print one line naming what and why, and
 * exit with status 2; anything else that fails exits 1.
 */
import type { EventEmitter } from "node:events";
import { isAbsolute, resolve } from "node:path";
import {
  answerHelpOrVersion,
  type CliOutput,
  COMMON_OPTIONS,
  type CommandInfo,
  describeError,
  EXIT_FAILED,
  EXIT_USAGE,
  isCoded,
  type OptionTable,
  oneLine,
  packageVersion,
  parseCommandLine,
  type TextSink,
  UsageError,
} from "@cpppo/cli-kit";
import { plotCommand } from "./plot.js";
import { catCommand, playCommand, writeCommand } from "./records.js";
import { timeCommand } from "./time.js";

/** Where `main` reads and writes; injected so tests run it in-process. */
export interface MainIo extends CliOutput {
  /** Standard output: records, renderings, --help. */
  stdout: TextSink;
  /** Standard error: the one-line failure message and warnings (a torn last line skipped). */
  stderr: TextSink;
  /** Standard input: the records `write` appends; `process.stdin` in the real CLI. */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Working directory for relative paths; default `process.cwd()`. */
  cwd?: string;
  /** Emits "SIGINT" and "SIGTERM" (stop `play` and `write` gracefully); `process` in the real CLI. */
  signals?: EventEmitter;
}

/** What a subcommand gets: its parsed flags and paths, and the CLI's streams. */
export interface Invocation<T extends OptionTable> {
  values: ReturnType<typeof parseCommandLine<T>>["values"];
  positionals: string[];
  io: MainIo;
  /** `path` resolved against the working directory. */
  absolute(path: string): string;
}

const USAGE = `usage: cpppo-history COMMAND [options] ...

Reads, writes, replays and plots cpppo history files: lines of "<UTC time>\\t<JSON serial>\\t<JSON data>",
plain or compressed by suffix (.gz, .bz2, .xz); a PATH also reads its rotated set (PATH.0, PATH.1.gz, ...).

commands:
  cat [--since T] [--until T] PATH...       print the records in time order
  write PATH                                append the records read on stdin (same form) to PATH, compressed by
                                            its suffix; exit 0 once they are durable
  play [--speed F] [--loop] [--since T] PATH...
                                            print the records at the historical pace (F times as fast; --loop
                                            starts again at the end)
  plot [--tag NAME]... [--since T] [--until T] [--zone Z] -o OUT.svg|OUT.png PATH...
                                            draw the values over time, the time axis in local time (or Z)
  time [--zone Z] [--abbreviations REGION] STRING...
                                            print each time's epoch seconds, UTC rendering and rendering in Z
                                            (default the local zone, TZ aware)

T is "YYYY-MM-DD HH:MM:SS[.ffffff] [ZONE]" (UTC when no zone is named) or epoch seconds.
"cpppo-history COMMAND --help" shows a command's options. Exit status: 0 done, 1 failed, 2 bad arguments,
times, zones or files.

options:
  -h, --help               show this help
      --version            show the version
`;

const COMMAND: CommandInfo = {
  name: "cpppo-history",
  usage: USAGE,
  version: () => packageVersion(import.meta.url),
};

const HELP = { help: COMMON_OPTIONS.help, version: COMMON_OPTIONS.version } as const;

/** Error codes of the caller's mistakes (bad times, zones, files and records): exit 2. */
const USAGE_CODES = [
  "ERR_USAGE",
  "ERR_INVALID_ARG",
  "ERR_HISTORY_TIME",
  "ERR_HISTORY_AMBIGUOUS_TIME",
  "ERR_HISTORY_DATA",
  "ERR_HISTORY_IFRAME",
  "ERR_HISTORY_EXHAUSTED",
  "ENOENT",
  "EACCES",
  "EISDIR",
  "ENOTDIR",
  "EPERM",
];

/** A subcommand: its help text, its flag table and what it runs. */
interface Subcommand<T extends OptionTable> {
  usage: string;
  options: T;
  run(invocation: Invocation<T>): Promise<number>;
}

function subcommand<T extends OptionTable>(s: Subcommand<T>): Subcommand<T> {
  return s;
}

const SINCE_UNTIL = {
  since: { type: "string" },
  until: { type: "string" },
} as const;

const SUBCOMMANDS = {
  cat: subcommand({
    usage: `usage: cpppo-history cat [--since T] [--until T] PATH...

Prints each record of the files (each with its rotated set) as "<UTC time>\\t<serial>\\t<data>", the JSON compact,
in time order. A torn last line (a writer killed mid-line) is skipped with a warning on stderr.

options:
      --since T            only records at or after T
      --until T            only records at or before T
  -h, --help               show this help
`,
    options: { ...HELP, ...SINCE_UNTIL },
    run: catCommand,
  }),
  write: subcommand({
    usage: `usage: cpppo-history write PATH

Appends the records read on stdin ("<UTC time>\\t<serial>\\t<data>" lines; # comments and blank lines skipped) to
PATH, compressed by its suffix (.gz, .bz2, .xz, else plain), and exits 0 once every record is durable.

options:
  -h, --help               show this help
`,
    options: { ...HELP },
    run: writeCommand,
  }),
  play: subcommand({
    usage: `usage: cpppo-history play [--speed F] [--loop] [--since T] PATH...

Prints the records as "cat" does, each when its time comes at the historical pace: F times as fast (default 1).
SIGINT or SIGTERM stops it (exit 0).

options:
      --speed F            playback speed factor, more than 0 (default 1)
      --loop               start again from the beginning at the end of the history
      --since T            start at T instead of the first record
  -h, --help               show this help
`,
    options: { ...HELP, speed: { type: "string" }, loop: { type: "boolean" }, since: { type: "string" } },
    run: playCommand,
  }),
  plot: subcommand({
    usage: `usage: cpppo-history plot [--tag NAME]... [--since T] [--until T] [--zone Z] -o OUT.svg|OUT.png PATH...

Draws the numeric values of the records over time: one line per tag element (historize records, "Tag[3]"),
register (loader frames) or serial. The time axis is in the local zone (TZ aware) or Z, with its abbreviations.

options:
      --tag NAME           only this tag ("Tag" for all its elements, or "Tag[3]"); repeatable
      --since T            only records at or after T
      --until T            only records at or before T
      --zone Z             the time axis's zone (default the local zone)
  -o, --output FILE        where to write the plot: an .svg or .png file
      --width PX           image width (default 960)
      --height PX          image height (default 540)
      --title TEXT         a title above the plot
  -h, --help               show this help
`,
    options: {
      ...HELP,
      ...SINCE_UNTIL,
      tag: { type: "string", multiple: true },
      zone: { type: "string" },
      output: { type: "string", short: "o" },
      width: { type: "string" },
      height: { type: "string" },
      title: { type: "string" },
    },
    run: plotCommand,
  }),
  time: subcommand({
    usage: `usage: cpppo-history time [--zone Z] [--abbreviations REGION]... STRING...

Parses each STRING ("YYYY-MM-DD HH:MM:SS[.ffffff] [ZONE]", UTC when no zone is named, or epoch seconds) and prints a line
"<epoch seconds>\\t<UTC rendering>\\t<rendering in Z with its abbreviation>".

options:
      --zone Z             the zone to render in (default the local zone, TZ aware)
      --abbreviations REGION  first load the DST-specific abbreviations (MST, MDT) of REGION: a country code
                           (CA) or a zone prefix (America/Edmonton, Europe); repeatable
  -h, --help               show this help
`,
    options: { ...HELP, zone: { type: "string" }, abbreviations: { type: "string", multiple: true } },
    run: timeCommand,
  }),
} as const;

type Name = keyof typeof SUBCOMMANDS;

/** The message of a failure, on one line, naming the path for a file system error. */
function failureText(err: unknown, usage: boolean): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code) && e.path !== undefined) {
    const why = e.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
    return `${e.path}: ${why}`;
  }
  return oneLine(usage ? (e as Error).message : describeError(err));
}

/** Runs `cpppo-history` with `argv`; resolves to the exit status (0 done, 1 failed, 2 bad arguments or inputs). */
export async function main(argv: string[], io: MainIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const [first, ...rest] = argv;
  const name = first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? (first as Name) : undefined;
  const label = name ? `cpppo-history ${name}` : "cpppo-history";
  try {
    if (name === undefined) {
      const { values, positionals } = parseCommandLine(argv, HELP);
      const answered = answerHelpOrVersion(COMMAND, values, io);
      if (answered !== undefined) return answered;
      throw new UsageError(
        positionals[0] === undefined
          ? `a command is required: ${Object.keys(SUBCOMMANDS).join(", ")} (see --help)`
          : `unknown command "${positionals[0]}": expected ${Object.keys(SUBCOMMANDS).join(", ")} (see --help)`,
      );
    }
    const command = SUBCOMMANDS[name] as Subcommand<OptionTable>;
    const { values, positionals } = parseCommandLine(
      rest,
      command.options,
      (message) => `${oneLine(message)} (see cpppo-history ${name} --help)`,
    );
    const answered = answerHelpOrVersion({ ...COMMAND, usage: command.usage }, values, io);
    if (answered !== undefined) return answered;
    return await command.run({
      values,
      positionals,
      io,
      absolute: (p) => (isAbsolute(p) ? p : resolve(cwd, p)),
    });
  } catch (err) {
    const usage = err instanceof UsageError || USAGE_CODES.some((code) => isCoded(err, code));
    io.stderr.write(`${label}: ${failureText(err, usage)}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILED;
  }
}
