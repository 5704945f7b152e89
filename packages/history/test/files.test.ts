import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  HistoryExhaustedError,
  HistoryWriteError,
  HistoryWriter,
  listRotated,
  openHistory,
  readRecords,
  rotatedFiles,
} from "../src/files/index.js";
import { formatRecord } from "../src/records/index.js";
import { parseTimestamp } from "../src/time/index.js";
import { collect, tempDir } from "./support/tmp.js";

const FIXTURES = join(__dirname, "..", "fixtures");
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const T0 = 1405461824.186; // 2014-07-15 22:03:44.186

async function writeRecords(
  path: string,
  count: number,
  options: ConstructorParameters<typeof HistoryWriter>[1] = {},
): Promise<void> {
  const writer = new HistoryWriter(path, options);
  for (let i = 0; i < count; i++)
    void writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
  await writer.close();
}

function expectedLines(count: number, from = 0): string {
  let out = "";
  for (let i = from; i < count; i++) out += formatRecord(T0 + i, ["Tag", [0, 1]], { write: [i, i + 1] });
  return out;
}

describe("openHistory", () => {
  it.each(["hi.gz", "hi.bz2", "hi.xz"])("reads %s made by the standard tool", async (name) => {
    const source = openHistory(join(FIXTURES, name));
    expect(source.compression).toBe(name.split(".")[1]);
    expect(await collect(source)).toEqual(["hi"]);
  });

  it("reads a plain file line by line and skips a torn last line with a warning", async () => {
    const path = join(tmp.dir, "plain");
    writeFileSync(path, 'one\ntwo\n2014-07-15 22:03:44.186\tnull\t{"wr');
    const warnings: string[] = [];
    expect(await collect(openHistory(path, { onWarning: (m) => warnings.push(m) }))).toEqual(["one", "two"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn last line/);
  });

  it("splits lines across small chunks", async () => {
    const path = join(tmp.dir, "small");
    writeFileSync(path, expectedLines(50));
    const lines = await collect(openHistory(path, { chunkSize: 7 }));
    expect(`${lines.join("\n")}\n`).toBe(expectedLines(50));
  });
});

describe("HistoryWriter and readRecords with every compression", () => {
  it.each(["hist", "hist.gz", "hist.xz"])(
    "writes %s streaming, readable by us and by the standard tool",
    async (name) => {
      const path = join(tmp.dir, name);
      await writeRecords(path, 1000);
      const records = await collect(readRecords(path));
      expect(records).toHaveLength(1000);
      expect(records.map((r) => r.toLine()).join("")).toBe(expectedLines(1000));
      const tool = name.endsWith(".gz") ? ["gzip", "-dc"] : name.endsWith(".xz") ? ["xz", "-dc"] : ["cat"];
      expect(execFileSync(tool[0] as string, [...tool.slice(1), path], { encoding: "utf8" })).toBe(
        expectedLines(1000),
      );
    },
  );

  it("reads .bz2 files made by bzip2", async () => {
    const path = join(tmp.dir, "hist");
    await writeRecords(path, 300);
    execFileSync("bzip2", [path]);
    expect((await collect(readRecords(`${path}.bz2`))).map((r) => r.toLine()).join("")).toBe(
      expectedLines(300),
    );
  });

  it("refuses to write .bz2", () => {
    expect(() => new HistoryWriter(join(tmp.dir, "x.bz2"))).toThrow(/bz2/);
  });

  it("appends to an existing file, a new gzip member after a cleanly closed one", async () => {
    for (const name of ["hist", "hist.gz", "hist.xz"]) {
      const path = join(tmp.dir, name);
      await writeRecords(path, 10);
      const writer = new HistoryWriter(path);
      for (let i = 10; i < 20; i++)
        void writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
      await writer.close();
      expect((await collect(readRecords(path))).map((r) => r.toLine()).join("")).toBe(expectedLines(20));
    }
  });

  it("skips comments, and a record that is not one with a warning", async () => {
    const path = join(tmp.dir, "hist");
    const writer = new HistoryWriter(path);
    void writer.comment("2014-07-15 22:03:44.186: Started recording Tag: Tag_Name");
    void writer.write({ a: 1 }, { now: T0 });
    void writer.writeLine("not a record");
    await writer.write({ a: 2 }, { now: T0 + 1 });
    await writer.close();
    const warnings: string[] = [];
    const records = await collect(readRecords(path, { onWarning: (m) => warnings.push(m) }));
    expect(records.map((r) => r.data)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(warnings).toEqual([expect.stringMatching(/hist:3: skipped/)]);
  });
});

describe("files cut short (a writer killed mid-write)", () => {
  it.each(["hist.gz", "hist.xz"])(
    "%s: every flushed record is read back, whatever byte the file is cut at",
    async (name) => {
      const path = join(tmp.dir, name);
      const writer = new HistoryWriter(path);
      const sizes: number[] = [];
      for (let i = 0; i < 8; i++) {
        await writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
        sizes.push(readFileSync(path).length);
      }
      const whole = readFileSync(path);
      await writer.close();
      // Every byte near each acknowledgement, and a spread of the bytes between (a loaded machine must finish it).
      const cuts = new Set<number>([0, whole.length]);
      for (const size of sizes)
        for (let d = -12; d <= 12; d++) if (size + d >= 0 && size + d <= whole.length) cuts.add(size + d);
      for (let cut = 0; cut <= whole.length; cut += 7) cuts.add(cut);
      for (const cut of cuts) {
        const copy = join(tmp.dir, `cut.${name.split(".")[1]}`);
        writeFileSync(copy, whole.subarray(0, cut));
        const warnings: string[] = [];
        const records = await collect(readRecords(copy, { onWarning: (m) => warnings.push(m) }));
        const acknowledged = sizes.filter((s) => s <= cut).length;
        expect(records.length).toBeGreaterThanOrEqual(acknowledged);
        expect(records.map((r) => r.toLine()).join("")).toBe(expectedLines(records.length));
      }
    },
    60_000,
  );

  it("a writer reopening a torn .gz repairs it and appends after the last whole record", async () => {
    const path = join(tmp.dir, "hist.gz");
    const writer = new HistoryWriter(path);
    for (let i = 0; i < 5; i++)
      await writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
    const torn = readFileSync(path);
    await writer.close();
    writeFileSync(path, torn.subarray(0, torn.length - 3));
    const warnings: string[] = [];
    const again = new HistoryWriter(path, { onWarning: (m) => warnings.push(m) });
    for (let i = 5; i < 8; i++)
      void again.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
    await again.close();
    expect(warnings).toEqual([expect.stringMatching(/repaired/)]);
    const lines = (await collect(readRecords(path))).map((r) => r.toLine());
    expect(lines.length).toBeGreaterThanOrEqual(7);
    expect(lines.slice(-3).join("")).toBe(expectedLines(8, 5));
    expect(execFileSync("gzip", ["-dc", path], { encoding: "utf8" })).toBe(lines.join(""));
  });

  it("a writer reopening a plain file with a torn last line drops the torn bytes (never acknowledged) first", async () => {
    const path = join(tmp.dir, "hist");
    writeFileSync(path, `${expectedLines(2)}2014-07-15 22:03:46.186\tnull\t{"wri`);
    await writeRecords(path, 1);
    const warnings: string[] = [];
    const records = await collect(readRecords(path, { onWarning: (m) => warnings.push(m) }));
    expect(records.map((r) => r.toLine()).join("")).toBe(expectedLines(2) + expectedLines(1));
    expect(warnings).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe(expectedLines(2) + expectedLines(1));
  });
});

describe("the rotated set", () => {
  it("lists files in cpppo's order, duplicates included and flagged, other names left out", () => {
    const names = [
      "h",
      "h.0",
      "h.1",
      "h.1.gz",
      "h.2.gz",
      "h.10.gz",
      "h.3.xz",
      "h.4.bz2",
      "h.bak",
      "hx",
      "h.11",
    ];
    for (const n of names) writeFileSync(join(tmp.dir, n), "");
    expect(rotatedFiles(join(tmp.dir, "h")).map((p) => p.slice(tmp.dir.length + 1))).toEqual([
      "h",
      "h.0",
      "h.1",
      "h.1.gz",
      "h.2.gz",
      "h.3.xz",
      "h.4.bz2",
      "h.10.gz",
      "h.11",
    ]);
    expect(
      listRotated(join(tmp.dir, "h"))
        .filter((f) => f.duplicate)
        .map((f) => f.path),
    ).toEqual([join(tmp.dir, "h.1.gz")]);
  });

  it("rotates by size, keeping compression suffixes, and reads the set back in time order", async () => {
    const path = join(tmp.dir, "hist.gz");
    const writer = new HistoryWriter(path, { rotateBytes: 2000 });
    for (let i = 0; i < 200; i++)
      await writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
    await writer.close();
    const files = rotatedFiles(path).map((p) => p.slice(tmp.dir.length + 1));
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toBe("hist.gz");
    expect(files[1]).toBe("hist.0.gz");
    expect(files[2]).toBe("hist.1.gz");
    expect((await collect(readRecords(path))).map((r) => r.toLine()).join("")).toBe(expectedLines(200));
  });

  it("prefers the uncompressed twin of a file being compressed, and reads the rest of the set", async () => {
    const path = join(tmp.dir, "hist");
    const writer = new HistoryWriter(path, { rotateBytes: 500, keep: 10 });
    for (let i = 0; i < 40; i++)
      await writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
    await writer.close();
    // A compressor half way through hist.1 → hist.1.gz: the .gz is partial, the original still there.
    const whole = execFileSync("gzip", ["-c", join(tmp.dir, "hist.1")]);
    writeFileSync(join(tmp.dir, "hist.1.gz"), whole.subarray(0, whole.length >> 1));
    execFileSync("gzip", [join(tmp.dir, "hist.2")]);
    expect(existsSync(join(tmp.dir, "hist.2.gz"))).toBe(true);
    const records = await collect(readRecords(path));
    const lines = records.map((r) => r.toLine()).join("");
    expect(lines).toBe(expectedLines(40, 40 - records.length));
    expect(rotatedFiles(path).length).toBeLessThanOrEqual(12);
  });

  it("rotates by age across the DST changes of America/Edmonton, and since/until in local time select the records", async () => {
    // Hourly records from 2014-03-08 20:00 to 03-10 (spring forward 03-09 02:00) and 2014-11-01 20:00 to 11-03 (fall back 11-02 02:00), a file every 6 h.
    const path = join(tmp.dir, "plant.xz");
    let now = 0;
    const writer = new HistoryWriter(path, { rotateSeconds: 6 * 3600, clock: () => now });
    const starts = [
      parseTimestamp("2014-03-08 20:00:00 America/Edmonton"),
      parseTimestamp("2014-11-01 20:00:00 America/Edmonton"),
    ];
    for (const start of starts)
      for (let h = 0; h < 30; h++) {
        now = start + h * 3600;
        await writer.write({ "40001": h });
      }
    await writer.close();
    expect(rotatedFiles(path).length).toBeGreaterThanOrEqual(10);
    const all = await collect(readRecords(path));
    expect(all).toHaveLength(60);
    expect(all.every((r, i) => i === 0 || r.timestamp > (all[i - 1]?.timestamp ?? 0))).toBe(true);
    // 01:00 MST to 04:00 MDT on 03-09 is 2 real hours (02:00 does not exist): 01:00, 03:00 MDT and 04:00 MDT.
    const spring = await collect(
      readRecords(path, {
        since: parseTimestamp("2014-03-09 01:00:00 America/Edmonton"),
        until: parseTimestamp("2014-03-09 04:00:00 America/Edmonton"),
      }),
    );
    expect(spring.map((r) => r.data)).toEqual([{ "40001": 5 }, { "40001": 6 }, { "40001": 7 }]);
    expect(() => parseTimestamp("2014-03-09 02:30:00 America/Edmonton")).toThrow();
    // 00:00 MDT to 02:00 MST on 11-02 is 3 real hours (01:00 happens twice).
    const fall = await collect(
      readRecords(path, {
        since: parseTimestamp("2014-11-02 00:00:00 America/Edmonton"),
        until: parseTimestamp("2014-11-02 02:00:00 America/Edmonton"),
      }),
    );
    expect(fall.map((r) => r.data)).toEqual([{ "40001": 4 }, { "40001": 5 }, { "40001": 6 }, { "40001": 7 }]);
  });

  it("keeps only `keep` rotated files, the newest", async () => {
    const path = join(tmp.dir, "hist.xz");
    const writer = new HistoryWriter(path, { rotateBytes: 100, keep: 2 });
    for (let i = 0; i < 30; i++)
      await writer.write({ write: [i, i + 1] }, { now: T0 + i, serial: ["Tag", [0, 1]] });
    await writer.close();
    // The last write filled the file, so it rotated and no current file is open: name.0 and name.1 remain.
    expect(rotatedFiles(path).map((p) => p.slice(tmp.dir.length + 1))).toEqual(["hist.0.xz", "hist.1.xz"]);
    const records = await collect(readRecords(path));
    expect(records.map((r) => r.toLine()).join("")).toBe(expectedLines(30, 30 - records.length));
    expect(records.length).toBeLessThan(30);
  });

  it("throws HistoryExhaustedError for a path that names no file", async () => {
    await expect(collect(readRecords(join(tmp.dir, "none")))).rejects.toThrow(HistoryExhaustedError);
  });
});

describe("write failures", () => {
  it("are reported once, the records kept and retried, and written once the path works", async () => {
    const blocker = join(tmp.dir, "blocked");
    writeFileSync(blocker, "a file where the writer wants a folder");
    const path = join(blocker, "hist.gz");
    const errors: HistoryWriteError[] = [];
    let resumed = 0;
    const writer = new HistoryWriter(path, {
      retryMs: 20,
      onError: (e) => errors.push(e),
      onResume: () => resumed++,
    });
    const first = writer.write({ n: 1 }, { now: T0 });
    await new Promise((r) => setTimeout(r, 100));
    expect(writer.ok).toBe(false);
    const second = writer.write({ n: 2 }, { now: T0 + 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe("ERR_HISTORY_WRITE");
    rmSync(blocker);
    mkdirSync(blocker);
    await Promise.all([first, second]);
    expect(resumed).toBe(1);
    expect(writer.ok).toBe(true);
    await writer.close();
    expect((await collect(readRecords(path))).map((r) => r.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("close rejects records that could not be written", async () => {
    const dir = join(tmp.dir, "ro");
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    const path = join(dir, "sub", "hist");
    const writer = new HistoryWriter(path, { retryMs: 10_000 });
    const pending = writer.write({ n: 1 });
    if (process.getuid?.() === 0) {
      // root ignores the folder's mode: the write succeeds, which is all this case can check.
      await writer.close();
      await expect(pending).resolves.toBeUndefined();
      return;
    }
    await expect(writer.close()).rejects.toThrow(HistoryWriteError);
    await expect(pending).rejects.toThrow(HistoryWriteError);
  });
});

describe("kill -9 of a writer process", () => {
  it("loses nothing acknowledged and leaves every file readable", async () => {
    for (const name of ["hist", "hist.gz", "hist.xz"]) {
      const path = join(tmp.dir, name);
      const { acknowledged } = await runAndKill(path);
      const warnings: string[] = [];
      const records = await collect(readRecords(path, { onWarning: (m) => warnings.push(m) }));
      expect(acknowledged).toBeGreaterThan(20);
      expect(records.length).toBeGreaterThanOrEqual(acknowledged);
      records.forEach((r, i) => {
        expect(r.data).toEqual({ n: i });
      });
      expect(warnings.length).toBeLessThanOrEqual(1);
    }
  }, 180_000);
});

/** Runs test/support/writer-child.ts writing to `path`, reads its acknowledgements, and kills it with SIGKILL mid-stream. */
async function runAndKill(path: string): Promise<{ acknowledged: number }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@cpppo/source", join(__dirname, "support", "writer-child.ts"), path],
    {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: join(__dirname, ".."),
    },
  );
  let acknowledged = 0;
  let text = "";
  const done = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the writer child did not acknowledge 30 records within 50 s"));
    }, 50_000);
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split("\n");
      text = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ack ")) acknowledged = Number(line.slice(4)) + 1;
      if (acknowledged >= 30 && child.exitCode === null && !child.killed) {
        child.kill("SIGKILL");
      }
    });
    child.once("exit", () => {
      clearTimeout(deadline);
      resolve();
    });
  });
  await done;
  return { acknowledged };
}

describe("readRecords validate", () => {
  it("skips, with a warning, a record whose data is not JSON", async () => {
    const path = join(tmp.dir, "hist");
    writeFileSync(path, `${expectedLines(1)}2014-07-15 22:03:45.186\tnull\t{"wri\n${expectedLines(3, 2)}`);
    expect(await collect(readRecords(path))).toHaveLength(3);
    const warnings: string[] = [];
    const records = await collect(readRecords(path, { validate: true, onWarning: (m) => warnings.push(m) }));
    expect(records.map((r) => r.toLine()).join("")).toBe(expectedLines(1) + expectedLines(3, 2));
    expect(warnings).toEqual([expect.stringMatching(/hist:2: skipped: history record data is not JSON/)]);
  });
});
