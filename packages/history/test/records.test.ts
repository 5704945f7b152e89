import { execFileSync } from "node:child_process";
import {
  formatRecord,
  HistoryDataError,
  type HistoryRecord,
  isCommentLine,
  parseRecordLine,
  parseRecordTimestamp,
  pyJson,
} from "../src/records/index.js";
import { formatUtc } from "../src/time/index.js";

const PYTHON = "/usr/bin/python3";

/** Renders each JSON value with Python's json.dumps (the writer cpppo uses), one per line. */
function pythonDumps(values: unknown[]): string[] {
  const script =
    "import json,sys\nfor line in sys.stdin.read().split(chr(10)):\n    print(json.dumps(json.loads(line)))\n";
  const input = values.map((v) => JSON.stringify(v)).join("\n");
  return execFileSync(PYTHON, ["-c", script], { input, encoding: "utf8" }).trimEnd().split("\n");
}

describe("formatRecord", () => {
  it("writes cpppo's historize line byte for byte", () => {
    const ts = parseRecordTimestamp("2014-07-15 22:03:44.186");
    expect(formatRecord(ts, ["Tag_Name", [0, 3]], { write: [0, 1, 2, 3] })).toBe(
      '2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}\n',
    );
  });

  it("rounds the timestamp to milliseconds as cpppo does, and the serial defaults to null", () => {
    expect(formatRecord(1399326141.999836, undefined, { "40001": 1 })).toBe(
      '2014-05-05 21:42:22.000\tnull\t{"40001": 1}\n',
    );
  });
});

describe("formatRecord's timestamp", () => {
  it("is formatUtc's rendering, ties and second boundaries included", () => {
    let seed = 7;
    const times = [1389262008.5625, 1399326141.9995, 1399326141.0005, 1399326141.999836, 0.0004, -1.5];
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      times.push(1e9 + (seed / 2 ** 32) * 2e9, Math.round(1.4e12 + seed) / 1000 + 0.0005);
    }
    for (const t of times) expect(formatRecord(t, null, 1).split("\t")[0]).toBe(formatUtc(t));
  });

  it("parses back to the millisecond, in the same second as the record before or not", () => {
    for (const t of [
      1399326141.25, 1399326141.5, 1399326142.001, 1399326141.999, 946684800, 4102444799.999,
    ]) {
      expect(Math.abs(parseRecordTimestamp(formatUtc(t)) - Math.round(t * 1000) / 1000)).toBeLessThan(1e-6);
    }
    expect(parseRecordTimestamp("2014-05-05 21:42:21.5")).toBe(1399326141.5);
    expect(parseRecordTimestamp("2014-05-05 21:42:21")).toBe(1399326141);
    expect(() => parseRecordTimestamp("2014-05-05 21:42:2x.5")).toThrow(HistoryDataError);
  });
});

describe("pyJson", () => {
  it("renders floats as Python's repr", () => {
    expect(pyJson([1.5, 1e-5, 1e16, 0.0001, 2 ** 53, -1.5e-7, 1e21, 123.456, -0.5, 1e-300])).toBe(
      "[1.5, 1e-05, 1e+16, 0.0001, 9007199254740992.0, -1.5e-07, 1e+21, 123.456, -0.5, 1e-300]",
    );
    expect(pyJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      "[NaN, Infinity, -Infinity]",
    );
  });

  it("escapes everything outside printable ASCII as \\uXXXX", () => {
    expect(pyJson('é😀\u007f\u0001\n\t"\\')).toBe('"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\n\\t\\"\\\\"');
  });

  it("matches Python's json.dumps on a spread of values", () => {
    const values: unknown[] = [
      { write: [0, 1, 2, 3] },
      ["Tag_Name", [0, 3]],
      { a: [1, { b: null }], c: true, d: false, e: "x y", f: {}, g: [] },
      [0.1, 0.5, 1e-7, 1.25e-5, 2.71, 1e15 + 0.5, -2.5e22, 100.0, 7e-4],
      "naïve ☃ \u2028 \ud83d\ude00",
      { "40001": 12345, "40002": -1 },
      null,
      [[], [[]], {}],
    ];
    expect(values.map(pyJson)).toEqual(pythonDumps(values));
  });
});

describe("parseRecordLine", () => {
  it("reads a line cpppo wrote: timestamp, serial and data kept as text, parsed on use", () => {
    const record = parseRecordLine(
      '2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}\n',
    ) as HistoryRecord;
    expect(formatUtc(record.timestamp)).toBe("2014-07-15 22:03:44.186");
    expect(record.serialText).toBe('["Tag_Name", [0, 3]]');
    expect(record.dataText).toBe('{"write": [0, 1, 2, 3]}');
    expect(record.serial).toEqual(["Tag_Name", [0, 3]]);
    expect(record.data).toEqual({ write: [0, 1, 2, 3] });
    expect(record.toLine()).toBe('2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]\t{"write": [0, 1, 2, 3]}\n');
  });

  it("skips comments and blank lines, with or without leading blanks", () => {
    for (const line of [
      "",
      "\n",
      "   ",
      "# 2014-07-15 22:03:44.186: Started recording Tag: Tag_Name",
      "  \t# note",
      "\r\n",
    ]) {
      expect(parseRecordLine(line)).toBeUndefined();
      expect(isCommentLine(line)).toBe(true);
    }
    expect(isCommentLine("2014-07-15 22:03:44.186\tnull\t1")).toBe(false);
  });

  it("takes CRLF endings, leading blanks and timestamps without a fraction or with microseconds", () => {
    expect(parseRecordLine("  2014-07-15 22:03:44\tnull\t{}\r\n")?.timestamp).toBe(
      Date.UTC(2014, 6, 15, 22, 3, 44) / 1000,
    );
    expect(parseRecordLine("2014-05-05 21:42:21.999836\tnull\t1")?.timestamp).toBeCloseTo(
      1399326141.999836,
      6,
    );
    expect(parseRecordLine("2014-07-15 22:03:44.5\t1\t2")?.dataText).toBe("2");
  });

  it("refuses a line without three tab-separated fields or with a bad timestamp", () => {
    expect(() => parseRecordLine('2014-07-15 22:03:44.186\t["Tag_Name", [0, 3]]')).toThrow(HistoryDataError);
    expect(() => parseRecordLine("not a time\tnull\t{}")).toThrow(HistoryDataError);
    try {
      parseRecordLine("garbage");
    } catch (error) {
      expect((error as HistoryDataError).code).toBe("ERR_HISTORY_DATA");
    }
  });

  it("throws HistoryDataError from .data when the data is not JSON (a torn record)", () => {
    const record = parseRecordLine('2014-07-15 22:03:44.186\tnull\t{"write": [0, 1') as HistoryRecord;
    expect(() => record.data).toThrow(HistoryDataError);
  });

  it("round-trips with Python both ways: Python's lines parse here, and ours load and re-dump identically in Python", () => {
    const script = [
      "import json,sys",
      "lines = []",
      "for i, data in enumerate([{'write': [0, 1, 2, 3]}, {'read': [1.5, -2e-05]}, {'40001': 7}, 'a note \\u00e9']):",
      "    lines.append('\\t'.join(('2014-07-15 22:03:4%d.186' % i, json.dumps(['Tag', [0, 3]]), json.dumps(data))) + '\\n')",
      "sys.stdout.write(''.join(lines))",
    ].join("\n");
    const pythonLines = execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }).split(/(?<=\n)/);
    expect(pythonLines).toHaveLength(4);
    const ours = pythonLines.map((line) => {
      const r = parseRecordLine(line) as HistoryRecord;
      return formatRecord(r.timestamp, r.serial, r.data);
    });
    expect(ours).toEqual(pythonLines);
    const back = execFileSync(
      PYTHON,
      [
        "-c",
        "import json,sys\nfor l in sys.stdin:\n    t,s,d = l.rstrip('\\n').split('\\t', 2)\n    sys.stdout.write('\\t'.join((t, json.dumps(json.loads(s)), json.dumps(json.loads(d)))) + '\\n')",
      ],
      { input: ours.join(""), encoding: "utf8" },
    );
    expect(back).toBe(ours.join(""));
  });
});
