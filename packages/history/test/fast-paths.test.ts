// The fast paths of the record layer and of the file reader and writer give the same results as the general
// ones: integers and strings rendered byte by byte, records parsed in place in a chunk's text, the writer's
// records rendered straight into its batch, gunzip read in large pieces.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { DEFAULT_GZIP_LEVEL } from "../src/files/compression.js";
import { HistoryWriter, openHistory, readRecords } from "../src/files/index.js";
import {
  ByteSink,
  formatRecord,
  type HistoryRecord,
  parseRecordLine,
  parseRecordLines,
  pyJson,
  writeRecord,
} from "../src/records/index.js";
import { collect, tempDir } from "./support/tmp.js";

const PYTHON = "/usr/bin/python3";
const T0 = 1405461824.186; // 2014-07-15 22:03:44.186

/** Renders each JSON value with Python's json.dumps, one per line. */
function pythonDumps(values: unknown[]): string[] {
  const script =
    "import json,sys\nfor line in sys.stdin.read().split(chr(10)):\n    print(json.dumps(json.loads(line)))\n";
  const input = values.map((v) => JSON.stringify(v)).join("\n");
  return execFileSync(PYTHON, ["-c", script], { input, encoding: "utf8" }).trimEnd().split("\n");
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe("pyJson's byte-level rendering", () => {
  const INTEGERS = [
    0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    9999,
    10000,
    65535,
    99999,
    100000,
    2 ** 31 - 1,
    2 ** 31,
    -1,
    -9,
    -10,
    -9999,
    -10000,
    -(2 ** 31),
    -(2 ** 31) - 1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    123456789012345,
  ];

  it("renders integers on each side of the digit table and of the 32-bit range as Python does", () => {
    const values: unknown[] = [
      ...INTEGERS,
      INTEGERS,
      Object.fromEntries(INTEGERS.map((n, i) => [`k${i}`, n])),
      ["Tag_Name", [0, 3]],
    ];
    expect(values.map(pyJson)).toEqual(pythonDumps(values));
  });

  it("renders -0 as Python's -0.0 alone, in arrays and in objects", () => {
    expect(pyJson(-0)).toBe("-0.0");
    expect(pyJson([0, -0, 1])).toBe("[0, -0.0, 1]");
    expect(pyJson({ a: -0 })).toBe('{"a": -0.0}');
  });

  it("grows its buffer for large values, byte for byte", () => {
    const big = Array.from({ length: 50_000 }, (_, i) => i * 7919 - 100_000);
    expect(pyJson(big)).toBe(`[${big.join(", ")}]`);
    const long = "x".repeat(10_000);
    expect(pyJson({ long, short: 'ab"c' })).toBe(`{"long": "${long}", "short": "ab\\"c"}`);
  });

  it("renders a value whose toJSON calls pyJson itself", () => {
    const inner = { toJSON: () => ({ inner: pyJson([1, "two"]) }) };
    expect(pyJson([inner, 3])).toBe('[{"inner": "[1, \\"two\\"]"}, 3]');
  });

  it("leaves the sink as it was when a record's data throws", () => {
    const sink = new ByteSink(8);
    writeRecord(sink, T0, null, { "40001": 1 });
    const before = sink.latin1();
    const bad = {
      toJSON() {
        throw new Error("no");
      },
    };
    expect(() => writeRecord(sink, T0 + 1, ["Tag", [0, 0]], { write: [1, bad] })).toThrow("no");
    expect(sink.latin1()).toBe(before);
    writeRecord(sink, T0 + 2, null, 7);
    expect(sink.latin1()).toBe(before + formatRecord(T0 + 2, null, 7));
  });
});

describe("parseRecordLines", () => {
  it("reads each kind of line as parseRecordLine does, and reports bad lines by index", () => {
    const lines = [
      '2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}',
      "# a comment",
      "",
      "   ",
      "  2014-07-15 22:03:45.000\tnull\t{}",
      "2014-07-15 22:03:46\tnull\t1\r",
      "2014-05-05 21:42:21.999836\tnull\t2",
      "2014-07-15 16:03:47.5 America/Edmonton\tnull\t3",
      "not a record",
      "2014-13-15 22:03:48.000\tnull\t4",
      "2014-07-15 22:03:49.000\tnull",
      "2014-07-15 22:03:50.000\t\t",
      '2014-07-15 22:03:51.000\tnull\t{"a": 1}',
    ];
    const out: HistoryRecord[] = [];
    const bad: number[] = [];
    expect(parseRecordLines(lines.join("\n"), out, (index) => bad.push(index))).toBe(lines.length);
    const expected: HistoryRecord[] = [];
    const expectedBad: number[] = [];
    lines.forEach((line, index) => {
      try {
        const record = parseRecordLine(line);
        if (record !== undefined) expected.push(record);
      } catch {
        expectedBad.push(index);
      }
    });
    expect(bad).toEqual(expectedBad);
    expect(bad).toEqual([8, 9, 10]);
    const fields = (r: HistoryRecord) => [r.timestamp, r.serialText, r.dataText];
    expect(out.map(fields)).toEqual(expected.map(fields));
    expect(out).toHaveLength(7);
  });

  it("with validate, reports a record whose data is not JSON", () => {
    const out: HistoryRecord[] = [];
    const bad: number[] = [];
    const text = '2014-07-15 22:03:44.186\tnull\t{"a": 1}\n2014-07-15 22:03:45.186\tnull\t{"a": ';
    parseRecordLines(text, out, (index) => bad.push(index), true);
    expect(out.map((r) => r.data)).toEqual([{ a: 1 }]);
    expect(bad).toEqual([1]);
  });
});

describe("HistoryWriter rendering into its batch", () => {
  it("appends a record written from another record's toJSON after that one, both whole", async () => {
    const path = join(tmp.dir, "nested");
    const writer = new HistoryWriter(path);
    const data = {
      toJSON() {
        void writer.write({ inner: 1 }, { now: T0 + 1 });
        void writer.comment("also inside");
        return { outer: 2 };
      },
    };
    const done = writer.write(data, { now: T0 });
    await done;
    await writer.close();
    expect(readFileSync(path, "utf8")).toBe(
      `${formatRecord(T0, null, { outer: 2 })}${formatRecord(T0 + 1, null, { inner: 1 })}# also inside\n`,
    );
  });

  it("keeps the other records of the batch when one record's data throws", async () => {
    const path = join(tmp.dir, "throws");
    const writer = new HistoryWriter(path);
    void writer.write({ a: 1 }, { now: T0 });
    expect(() =>
      writer.write(
        {
          toJSON() {
            throw new Error("bad data");
          },
        },
        { now: T0 + 1 },
      ),
    ).toThrow("bad data");
    void writer.write({ b: 2 }, { now: T0 + 2 });
    await writer.close();
    expect(readFileSync(path, "utf8")).toBe(
      `${formatRecord(T0, null, { a: 1 })}${formatRecord(T0 + 2, null, { b: 2 })}`,
    );
  });

  it("writes .gz at DEFAULT_GZIP_LEVEL (4) unless gzipLevel says otherwise", async () => {
    expect(DEFAULT_GZIP_LEVEL).toBe(4);
    const write = async (path: string, gzipLevel?: number) => {
      const writer = new HistoryWriter(path, gzipLevel === undefined ? {} : { gzipLevel });
      for (let i = 0; i < 5000; i++)
        void writer.write({ "40001": i % 50, "40002": (i * 7) % 13 }, { now: T0 + i / 10 });
      await writer.close();
      return statSync(path).size;
    };
    const fast = await write(join(tmp.dir, "default.gz"));
    const level4 = await write(join(tmp.dir, "four.gz"), 4);
    const level9 = await write(join(tmp.dir, "nine.gz"), 9);
    expect(fast).toBe(level4);
    expect(level9).toBeLessThan(fast);
    expect(gunzipSync(readFileSync(join(tmp.dir, "default.gz")))).toEqual(
      gunzipSync(readFileSync(join(tmp.dir, "nine.gz"))),
    );
  });
});

describe(".gz written a record at a time", () => {
  it("compresses each flush against the records before it, and gzip and Python read it whole", async () => {
    const path = join(tmp.dir, "trickle.gz");
    const writer = new HistoryWriter(path);
    let text = "";
    for (let i = 0; i < 300; i++) {
      const data = { write: [i, i + 1, i + 2, i + 3] };
      text += formatRecord(T0 + i / 100, ["Tag_Name", [0, 3]], data);
      // Each record acknowledged before the next: one flush (one deflate) per record.
      await writer.write(data, { now: T0 + i / 100, serial: ["Tag_Name", [0, 3]] });
    }
    await writer.close();
    // Each flush alone would be about as long as its text; against the records before it, far less.
    expect(statSync(path).size).toBeLessThan(text.length / 2);
    expect(execFileSync("gzip", ["-dc", path], { encoding: "latin1" })).toBe(text);
    const python = "import gzip,sys\nsys.stdout.buffer.write(gzip.open(sys.argv[1]).read())\n";
    expect(execFileSync(PYTHON, ["-c", python, path], { encoding: "latin1" })).toBe(text);
  });
});

describe("reading .gz in large pieces", () => {
  it("reads every line and record of a file much larger than a piece, with a non-ASCII comment", async () => {
    let text = "# répertoire ☃\n";
    const expected: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      // Lines of many lengths, so that lines straddle the pieces at every offset.
      const line = formatRecord(T0 + i / 7, ["Tag", [0, i % 5]], {
        write: Array.from({ length: i % 9 }, (_, k) => i * k),
      });
      expected.push(line);
      text += line;
      if (i % 1000 === 0) text += "\n";
    }
    const path = join(tmp.dir, "large.gz");
    writeFileSync(path, gzipSync(Buffer.from(text, "utf8")));
    const records = await collect(readRecords(path));
    expect(records.map((r) => r.toLine())).toEqual(expected);
    const lines = await collect(openHistory(path));
    expect(lines).toEqual(text.slice(0, -1).split("\n"));
  });
});
