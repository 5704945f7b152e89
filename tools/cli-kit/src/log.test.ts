import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOG_LEVELS, Log, type LogLevel } from "./log.js";

function sink(): { text: string; write(t: string): void } {
  return {
    text: "",
    write(t: string) {
      this.text += t;
    },
  };
}

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /;

test("-v counts unlock cpppo's levels one at a time", () => {
  for (let verbosity = 0; verbosity <= 4; verbosity++) {
    const log = new Log({ verbosity, stderr: sink() });
    const enabled = LOG_LEVELS.filter((level) => log.enabled(level));
    expect(enabled).toEqual(LOG_LEVELS.slice(0, verbosity + 1));
  }
});

test("lines at or under the verbosity go to stderr as '<timestamp> <message>'", () => {
  const stderr = sink();
  const log = new Log({ verbosity: 1, stderr });
  log.write("WARNING", "w");
  log.write("NORMAL", "n");
  log.write("DETAIL", "d");
  const lines = stderr.text.split("\n").filter(Boolean);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(LINE);
  expect(lines.map((l) => l.replace(LINE, ""))).toEqual(["w", "n"]);
});

test("a format chooses the line's text", () => {
  const stderr = sink();
  const seen: LogLevel[] = [];
  const log = new Log({
    verbosity: 4,
    stderr,
    format: (level, message, at) => {
      seen.push(level);
      return `${at instanceof Date} ${level.padEnd(7)} ${message}`;
    },
  });
  log.write("INFO", "hello");
  expect(stderr.text).toBe("true INFO    hello\n");
  expect(seen).toEqual(["INFO"]);
});

describe("the -l file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cli-kit-log-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("without open(), lines are appended by path and nothing is made until one is written", () => {
    const file = join(dir, "a.log");
    const stderr = sink();
    const log = new Log({ verbosity: 0, file, stderr });
    log.write("NORMAL", "skipped");
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    log.write("WARNING", "one");
    renameSync(file, `${file}.1`);
    log.write("WARNING", "two");
    expect(readFileSync(`${file}.1`, "utf8")).toMatch(/ one\n$/);
    expect(readFileSync(file, "utf8")).toMatch(/ two\n$/);
    expect(stderr.text).toBe("");
  });

  test("open() fails at once on a bad path", () => {
    const log = new Log({ verbosity: 0, file: join(dir, "missing", "a.log"), stderr: sink() });
    expect(() => log.open()).toThrow(/ENOENT/);
  });

  test("after open(), lines go to the open file until reopen() follows logrotate", () => {
    const file = join(dir, "b.log");
    const log = new Log({ verbosity: 1, file, stderr: sink() }).open();
    log.write("NORMAL", "before");
    renameSync(file, `${file}.1`);
    log.write("NORMAL", "moved");
    log.reopen();
    log.write("NORMAL", "after");
    log.close();
    log.close();
    expect(readFileSync(`${file}.1`, "utf8")).toMatch(/ before\n.* moved\n$/);
    expect(readFileSync(file, "utf8")).toMatch(
      new RegExp(`^.* log ${file.replace(/\W/g, "\\$&")} reopened\n.* after\n$`),
    );
  });
});
