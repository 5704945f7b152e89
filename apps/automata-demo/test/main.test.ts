import { type CliIo, main } from "../src/main.js";

function io(stdin = ""): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    readStdin: async () => stdin,
  };
}

describe("automata-demo", () => {
  it("with no arguments prints what each README machine parsed", async () => {
    const t = io();
    expect(await main([], t)).toBe(0);
    expect(t.stdout).toEqual([
      'ab+: {"basic":{"input":"abbbb"}}; remaining ", ab"',
      'CSV: {"csv":{"input":"abbbbab"}}; remaining ""',
      '(ab+)((,[ ]*)(ab+))*: {"regex":{"input":"abbbb, ab"}}; remaining ""',
      'ab+ (non-greedy): {"lazy":{"input":"ab"}}; remaining "bbb, ab"',
    ]);
  });

  it("matches TEXT arguments and stdin lines, in text and bytes mode", async () => {
    const t = io();
    expect(await main(["ab+", "abbb", "abx", "x"], t)).toBe(0);
    expect(t.stdout).toEqual([
      'match\t"abbb"\tprefix "abbb"',
      'no match\t"abx"\tprefix "ab"',
      'no match\t"x"\tprefix (none)',
    ]);
    const s = io("é+\néé\nèé\n");
    expect(await main(["--bytes", "--non-greedy", "é+", "-"], s)).toBe(0);
    expect(s.stdout).toEqual([
      'no match\t"é+"\tprefix "é"',
      'match\t"éé"\tprefix "é"',
      'no match\t"èé"\tprefix (none)',
    ]);
  });

  it("exits 2 with one line on stderr for a bad regex or an unknown flag", async () => {
    const bad = io();
    expect(await main(["(ab"], bad)).toBe(2);
    expect(bad.stderr).toHaveLength(1);
    expect(bad.stderr[0]).toMatch(/^automata-demo: cannot compile/);
    const flag = io();
    expect(await main(["--frob"], flag)).toBe(2);
    expect(flag.stderr).toEqual(["automata-demo: unknown option --frob (try --help)"]);
    const help = io();
    expect(await main(["--help"], help)).toBe(0);
    expect(help.stdout[0]).toMatch(/^usage: automata-demo/);
  });
});
