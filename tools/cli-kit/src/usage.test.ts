import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import {
  answerHelpOrVersion,
  COMMON_OPTIONS,
  commonHelp,
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  flag,
  joinNegativeValues,
  nonNegativeInt,
  oneLine,
  optionsHelp,
  parseCommandLine,
  positiveInt,
  readFlagFile,
  runCommand,
  seconds,
  UsageError,
  withUsage,
} from "./usage.js";

function io(): {
  stdout: { text: string; write(t: string): void };
  stderr: { text: string; write(t: string): void };
} {
  const buffer = () => ({
    text: "",
    write(t: string) {
      this.text += t;
    },
  });
  return { stdout: buffer(), stderr: buffer() };
}

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe("parseCommandLine", () => {
  const options = { ...COMMON_OPTIONS, timeout: { type: "string", short: "t" } } as const;

  test("the common flags, positionals and tokens", () => {
    const { values, positionals, tokens } = parseCommandLine(
      ["-vv", "-a", "h:1", "-l", "f", "-t", "2", "X", "--version"],
      options,
    );
    expect(values).toEqual({ verbose: [true, true], address: "h:1", log: "f", timeout: "2", version: true });
    expect(positionals).toEqual(["X"]);
    expect(tokens.filter((t) => t.kind === "option").map((t) => t.name)).toEqual([
      "verbose",
      "verbose",
      "address",
      "log",
      "timeout",
      "version",
    ]);
  });

  test("an unknown flag or a missing value is a UsageError on one line; explain may reword it", () => {
    expect(() => parseCommandLine(["--frobnicate"], options)).toThrow(UsageError);
    expect(() => parseCommandLine(["-a"], options)).toThrow(/--address/);
    expect(() => parseCommandLine(["--bogus"], options, (m) => `${m.split("\n")[0]} (see --help)`)).toThrow(
      /^Unknown option '--bogus'.*\(see --help\)$/,
    );
    try {
      parseCommandLine(["-a", "-v"], options);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});

test("oneLine joins lines with one space", () => {
  expect(oneLine("a\n  b \n\nc")).toBe("a b c");
});

describe("flag and the shared schemas", () => {
  test("values that pass come back coerced", () => {
    expect(flag("--timeout", seconds, "0.5")).toBe(0.5);
    expect(flag("--repeat", positiveInt, "3")).toBe(3);
    expect(flag("--depth", nonNegativeInt, "0")).toBe(0);
  });

  test.each([
    ["--timeout", seconds, "0", '"--timeout" must be more than 0 seconds, got "0"'],
    ["--timeout", seconds, "x", '"--timeout" must be a number of seconds, got "x"'],
    ["--repeat", positiveInt, "0", '"--repeat" must be at least 1, got "0"'],
    ["--repeat", positiveInt, "1.5", '"--repeat" must be a whole number, got "1.5"'],
    ["--depth", nonNegativeInt, "-1", '"--depth" must be 0 or more, got "-1"'],
  ] as const)("%s %j → %s", (name, schema, raw, message) => {
    expect(() => flag(name, schema, raw)).toThrow(new UsageError(message));
  });
});

describe("readFlagFile", () => {
  it("returns the file's text, and names the flag and the typed path when it cannot be read", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-kit-"));
    try {
      writeFileSync(join(dir, "ca.pem"), "PEM");
      expect(readFlagFile("--wamp-ca", join(dir, "ca.pem"), "ca.pem")).toBe("PEM");
      const missing = (): string => readFlagFile("--wamp-ca", join(dir, "gone.pem"), "gone.pem");
      expect(missing).toThrow(UsageError);
      expect(missing).toThrow(/^--wamp-ca: cannot read gone\.pem: ENOENT/);
      expect(() => readFlagFile("--cert", join(dir, "nope"))).toThrow(
        `--cert: cannot read ${join(dir, "nope")}:`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("withUsage", () => {
  test("a UsageError or a caller-mistake code exits 2 with one line", async () => {
    const t = io();
    expect(
      await withUsage("cmd", t, async () => {
        throw new UsageError("bad\nflag");
      }),
    ).toBe(EXIT_USAGE);
    expect(
      await withUsage("cmd", t, async () => {
        throw coded("ERR_INVALID_ARG", "bad arg");
      }),
    ).toBe(EXIT_USAGE);
    expect(
      await withUsage(
        "cmd",
        t,
        async () => {
          throw coded("ERR_OTHER", "other");
        },
        ["ERR_OTHER"],
      ),
    ).toBe(EXIT_USAGE);
    expect(t.stderr.text).toBe("cmd: bad flag\ncmd: bad arg\ncmd: other\n");
  });

  test("anything else exits 1 with the message and code", async () => {
    const t = io();
    expect(
      await withUsage("cmd", t, async () => {
        throw coded("ERR_ENIP_TIMEOUT", "timed out");
      }),
    ).toBe(EXIT_FAILED);
    expect(t.stderr.text).toBe("cmd: timed out (ERR_ENIP_TIMEOUT)\n");
    expect(describeError("text")).toBe("text");
    expect(await withUsage("cmd", t, async () => 7)).toBe(7);
  });

  test("describeError says a code once, and reads errors that are not instanceof Error", () => {
    expect(describeError(coded("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"))).toBe(
      "connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(describeError({ message: "from another realm", code: "ENOTFOUND" })).toBe(
      "from another realm (ENOTFOUND)",
    );
  });
});

describe("--help, --version and runCommand", () => {
  const spec = {
    name: "demo",
    usage: "usage: demo [-v]\n",
    version: () => "9.8.7",
    options: { ...COMMON_OPTIONS, count: { type: "string", short: "n" } } as const,
  };

  test("answerHelpOrVersion prints the usage or the name and version, help first", () => {
    const t = io();
    expect(answerHelpOrVersion(spec, { help: true, version: true }, t)).toBe(EXIT_OK);
    expect(answerHelpOrVersion(spec, { version: true }, t)).toBe(EXIT_OK);
    expect(answerHelpOrVersion(spec, {}, t)).toBeUndefined();
    expect(t.stdout.text).toBe("usage: demo [-v]\ndemo 9.8.7\n");
  });

  test("runCommand answers them without running the body, and runs it otherwise", async () => {
    const t = io();
    let ran = 0;
    const body = async ({ values }: { values: { count?: string } }) => {
      ran++;
      return Number(values.count ?? 0);
    };
    expect(await runCommand(spec, ["--version"], t, body)).toBe(EXIT_OK);
    expect(await runCommand(spec, ["-h"], t, body)).toBe(EXIT_OK);
    expect(ran).toBe(0);
    expect(await runCommand(spec, ["-n", "5"], t, body)).toBe(5);
    expect(await runCommand(spec, ["--nope"], t, body)).toBe(EXIT_USAGE);
    expect(t.stdout.text).toBe("demo 9.8.7\nusage: demo [-v]\n");
    expect(t.stderr.text).toMatch(/^demo: Unknown option '--nope'[^\n]*\n$/);
  });

  test("a version that cannot be read fails with exit 1", async () => {
    const t = io();
    const broken = {
      ...spec,
      version: () => {
        throw new Error("no package.json");
      },
    };
    expect(await runCommand(broken, ["--version"], t, async () => 0)).toBe(EXIT_FAILED);
    expect(t.stderr.text).toBe("demo: no package.json\n");
  });
});

describe("negative numbers as flag values", () => {
  const options = {
    ...COMMON_OPTIONS,
    depth: { type: "string", short: "d" },
    json: { type: "boolean", short: "j" },
  } as const;

  test("a negative number after a flag taking a value is its value, so its check gives the range", () => {
    expect(parseCommandLine(["-d", "-1", "X"], options).values.depth).toBe("-1");
    expect(parseCommandLine(["--depth", "-0.5"], options).values.depth).toBe("-0.5");
    expect(() =>
      flag("--depth", nonNegativeInt, parseCommandLine(["-d", "-1"], options).values.depth),
    ).toThrow('"--depth" must be 0 or more, got "-1"');
  });

  test("other arguments are left alone: switches, flags, values after --", () => {
    expect(joinNegativeValues(["-j", "-1"], options)).toEqual(["-j", "-1"]);
    expect(joinNegativeValues(["-d", "-v"], options)).toEqual(["-d", "-v"]);
    expect(joinNegativeValues(["--", "-d", "-1"], options)).toEqual(["--", "-d", "-1"]);
    expect(joinNegativeValues(["--depth=-1"], options)).toEqual(["--depth=-1"]);
  });
});

describe("flag messages never carry zod's own text", () => {
  test.each([
    [z.coerce.number().int().min(1), "x", '"--n" must be a number, got "x"'],
    [z.coerce.number().min(1), "0", '"--n" must be at least 1, got "0"'],
    [z.coerce.number().max(9), "10", '"--n" must be at most 9, got "10"'],
    [z.coerce.number().positive(), "0", '"--n" must be more than 0, got "0"'],
    [z.enum(["a", "b"]), "c", '"--n" must be one of "a", "b", got "c"'],
    [z.coerce.number().min(1, "must be 1 or more"), "0", '"--n" must be 1 or more, got "0"'],
  ])("%#: %j", (schema, raw, message) => {
    expect(() => flag("--n", schema as z.ZodType, raw)).toThrow(message);
  });
});

describe("optionsHelp", () => {
  test("one line per flag with its value, text and default; long left parts run on after two spaces", () => {
    const options = {
      ...COMMON_OPTIONS,
      "priority-time-tick": { type: "string" },
      json: { type: "boolean" },
    } as const;
    const text = optionsHelp(options, {
      ...commonHelp({ value: "HOST[:PORT]", text: "the device", default: "localhost:44818" }),
      "priority-time-tick": { value: "N", text: "2**N ms per tick", default: "5" },
      json: { text: "one JSON object per line" },
    });
    expect(text.split("\n")).toEqual([
      "options:",
      "  -a, --address HOST[:PORT]  the device (default localhost:44818)",
      "  -v, --verbose             more logging (repeat: -vv detail, -vvv info, -vvvv debug)",
      "  -l, --log FILE            log to FILE instead of stderr",
      "  -h, --help                show this help",
      "      --version             show the version",
      "      --priority-time-tick N  2**N ms per tick (default 5)",
      "      --json                one JSON object per line",
      "",
    ]);
  });
});
