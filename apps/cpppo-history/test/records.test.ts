/**
 * `cpppo-history cat` and `write`: records of plain and compressed files and rotated sets in time order, printed
 * compact; stdin appended to a file compressed by its suffix, durable at exit 0; bad files and lines exit 2.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { runMain, runProcess, tempDir } from "./support/cli.js";

// Process-level runs start tsx, slow on a loaded machine: each run has its own deadline (DEADLINE_MS).
jest.setTimeout(120_000);

/** A record line as cpppo writes it into a file (Python's json.dumps spacing). */
const FILE_LINES = [
  '2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}',
  '2014-07-15 22:03:45.000\t["Tag_Name", [1, 2]]\t{"read": [1, 2]}',
  '2014-07-15 22:03:46.500\tnull\t{"40001": 1.0, "40002": "a b"}',
];
/** The same records as `cat` prints them. */
const CAT_LINES = [
  '2014-07-15 22:03:44.186\t["Tag_Name",[0,3]]\t{"write":[0,1,2,3]}',
  '2014-07-15 22:03:45.000\t["Tag_Name",[1,2]]\t{"read":[1,2]}',
  '2014-07-15 22:03:46.500\tnull\t{"40001":1.0,"40002":"a b"}',
];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

describe("cpppo-history cat", () => {
  it("prints a rotated set (name.1.gz, name.0, name) oldest first, compact, skipping comments (process)", async () => {
    const base = tmp.path("plc.hst");
    writeFileSync(`${base}.1.gz`, gzipSync(`# Started recording\n${FILE_LINES[0]}\n`));
    writeFileSync(`${base}.0`, `\n${FILE_LINES[1]}\n`);
    writeFileSync(base, `${FILE_LINES[2]}\n`);
    const run = await runProcess(["cat", base]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${CAT_LINES.join("\n")}\n`);
  });

  it("keeps --since and --until (inclusive, UTC or a named zone), and merges several files by time", async () => {
    const a = tmp.path("a.hst");
    const b = tmp.path("b.hst.gz");
    writeFileSync(a, `${FILE_LINES[0]}\n${FILE_LINES[2]}\n`);
    writeFileSync(b, gzipSync(`${FILE_LINES[1]}\n`));
    expect((await runMain(["cat", a, b])).stdout).toBe(`${CAT_LINES.join("\n")}\n`);
    const some = await runMain([
      "cat",
      "--since",
      "2014-07-15 22:03:45",
      "--until",
      "2014-07-15 16:03:46 America/Edmonton",
      a,
      b,
    ]);
    expect(some.stdout).toBe(`${CAT_LINES[1]}\n`);
    const epoch = await runMain(["cat", "--since", "1405461825.5", a]);
    expect(epoch.stdout).toBe(`${CAT_LINES[2]}\n`);
  });

  it("reads .bz2 and .xz files made by the bzip2 and xz tools", async () => {
    const plain = tmp.path("tools.hst");
    writeFileSync(plain, `${FILE_LINES.join("\n")}\n`);
    // Each in a set of its own (without the plain twin, which a reader would prefer).
    writeFileSync(tmp.path("b.hst.bz2"), execFileSync("bzip2", ["-c", plain]));
    writeFileSync(tmp.path("x.hst.xz"), execFileSync("xz", ["-c", plain]));
    for (const path of [tmp.path("b.hst.bz2"), tmp.path("x.hst.xz")]) {
      const run = await runMain(["cat", path]);
      expect([run.code, run.stderr, run.stdout]).toEqual([0, "", `${CAT_LINES.join("\n")}\n`]);
    }
  });

  it("skips a torn last line with a warning on stderr, and prints the rest", async () => {
    const path = tmp.path("torn.hst");
    writeFileSync(path, `${FILE_LINES[0]}\n${(FILE_LINES[1] as string).slice(0, 30)}`);
    const run = await runMain(["cat", path]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${CAT_LINES[0]}\n`);
    expect(run.stderr).toMatch(/^cpppo-history cat: warning: .+\n$/);
  });

  it.each([
    [["cat", "missing.hst"], /missing\.hst/],
    [["cat", "--since", "2014-02-30 00:00:00", "x"], /--since "2014-02-30 00:00:00"/],
    [["cat", "--until", "soon", "x"], /--until "soon"/],
    [["cat"], /PATH is required/],
    [["cat", "."], /is a folder/],
  ])("%j: one line naming what and why, exit 2", async (args, named) => {
    const run = await runMain(args, { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^cpppo-history cat: [^\n]+\n$/);
    expect(run.stderr).toMatch(named);
  });
});

describe("cpppo-history write", () => {
  it("appends stdin's records to a .gz file in cpppo's spacing, exit 0 once durable; cat reads them back (process)", async () => {
    const path = tmp.path("out.hst.gz");
    const first = await runProcess(["write", path], {
      stdin: `${CAT_LINES[0]}\n# a comment\n\n${CAT_LINES[1]}\n`,
    });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const second = await runProcess(["write", path], { stdin: CAT_LINES[2] });
    expect(second.code).toBe(0);
    expect(gunzipSync(readFileSync(path)).toString()).toBe(`${FILE_LINES.join("\n")}\n`);
    const cat = await runProcess(["cat", path]);
    expect(cat.stdout).toBe(`${CAT_LINES.join("\n")}\n`);
  });

  it("writes .xz and plain files by suffix", async () => {
    for (const name of ["out.hst.xz", "out.hst"]) {
      const path = tmp.path(name);
      const run = await runMain(["write", path], { stdin: `${CAT_LINES.join("\n")}\n` });
      expect([run.code, run.stderr]).toEqual([0, ""]);
      if (name.endsWith(".xz"))
        expect(readFileSync(path).subarray(0, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
      else expect(readFileSync(path, "utf8")).toBe(`${FILE_LINES.join("\n")}\n`);
      expect((await runMain(["cat", path])).stdout).toBe(`${CAT_LINES.join("\n")}\n`);
    }
  });

  it("keeps the records before a bad line, names the line and exits 2", async () => {
    const path = tmp.path("bad.hst");
    const run = await runMain(["write", path], { stdin: `${CAT_LINES[0]}\nnot a record\n${CAT_LINES[1]}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^cpppo-history write: stdin line 2: [^\n]+\n$/);
    expect(readFileSync(path, "utf8")).toBe(`${FILE_LINES[0]}\n`);
    const json = await runMain(["write", path], { stdin: '2014-07-15 22:03:44.186\tnull\t{"read": [1,\n' });
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/stdin line 1: .*not JSON/);
    const serial = await runMain(["write", path], {
      stdin: `${CAT_LINES[0]}\n${CAT_LINES[0]}\n2014-07-15 22:03:44.186\t["Tag_Name", [0\t{"read": [1]}\n`,
    });
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/stdin line 3: .*serial is not JSON/);
  });

  it.each([
    [["write"], /exactly one PATH/],
    [["write", "a", "b"], /exactly one PATH/],
    [["write", "x.hst.bz2"], /bz2/],
  ])("%j: one line, exit 2", async (args, named) => {
    const run = await runMain(args, { cwd: tmp.dir, stdin: `${CAT_LINES[0]}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^cpppo-history write: [^\n]+\n$/);
    expect(run.stderr).toMatch(named);
  });

  it("a file that cannot be written: one line naming it, exit 2", async () => {
    writeFileSync(tmp.path("file"), "");
    const run = await runMain(["write", tmp.path("file/below.hst")], { stdin: `${CAT_LINES[0]}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^cpppo-history write: .*file\/below\.hst[^\n]*\n$/);
  });
});
