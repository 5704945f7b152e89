import fc from "fast-check";
import { ctime, jsonLine, pyRepr, timestamp } from "./repr.js";

describe("pyRepr: Python's repr, as cpppo prints values", () => {
  test.each([
    [undefined, "None"],
    [true, "True"],
    [false, "False"],
    [99, "99"],
    [1.5, "1.5"],
    [[1, 2], "[1, 2]"],
    ["OK", "'OK'"],
    ["it's", `"it's"`],
    ["a'\"b", "'a\\'\"b'"],
    ["tab\there", "'tab\\there'"],
    [12345678901234567890n, "12345678901234567890"],
    [Uint8Array.of(0, 128), "[0, 128]"],
    [{ a: [true] }, "{'a': [True]}"],
  ])("%p → %s", (value, text) => {
    expect(pyRepr(value)).toBe(text);
  });

  test("floats print as Python floats", () => {
    // Python's repr: fixed notation for exponents -4..15, else at least two exponent digits.
    expect(
      [
        0.0001, 0.00001, 1.0000000116860974e-7, 1e15, 1e16, 123456789012345680, -2.5e-10, 0.1, -0.0, 5e-324,
      ].map((f) => pyRepr(f, true)),
    ).toEqual([
      "0.0001",
      "1e-05",
      "1.0000000116860974e-07",
      "1000000000000000.0",
      "1e+16",
      "1.2345678901234568e+17",
      "-2.5e-10",
      "0.1",
      "-0.0",
      "5e-324",
    ]);
    expect(pyRepr([1, 2.5, Number.NaN, Number.NEGATIVE_INFINITY, 1e20, 1e-7], true)).toBe(
      "[1.0, 2.5, nan, -inf, 1e+20, 1e-07]",
    );
  });

  test("property: integer lists print as their JSON with spaces", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        expect(pyRepr(xs)).toBe(JSON.stringify(xs).replaceAll(",", ", "));
      }),
    );
  });
});

test("timestamp and ctime formats", () => {
  const date = new Date(2026, 10, 4, 9, 5, 7);
  expect(ctime(date)).toBe("Wed Nov  4 09:05:07 2026");
  expect(timestamp(new Date(Date.UTC(2014, 6, 15, 22, 3, 44, 186)))).toBe("2014-07-15 22:03:44.186");
});

test("jsonLine prints bigints and bytes", () => {
  expect(jsonLine({ v: 1n, d: Uint8Array.of(1, 2) })).toBe('{"v":"1","d":[1,2]}');
});

describe("pyRepr with quote \"'\": always single quotes (enip-server's -p lines)", () => {
  test.each([
    ["OK", "'OK'"],
    ["it's", "'it\\'s'"],
    ['say "hi"', `'say "hi"'`],
    ["back\\slash", "'back\\\\slash'"],
    ["line\nbreak", "'line\\nbreak'"],
  ])("%p → %s", (value, text) => {
    expect(pyRepr(value, false, "'")).toBe(text);
  });

  test("escapes what Python's repr escapes: terminal codes (7- and 8-bit), separators, format characters", () => {
    expect(pyRepr("\x1b[31m", false, "'")).toBe("'\\x1b[31m'");
    expect(pyRepr("\x9b\x85", false, "'")).toBe("'\\x9b\\x85'");
    expect(pyRepr("\xa0\xad é", false, "'")).toBe("'\\xa0\\xad é'");
    expect(pyRepr("\u2028\u200b", false, "'")).toBe("'\\u2028\\u200b'");
    expect(pyRepr("\u{e0001}\ud800", false, "'")).toBe("'\\U000e0001\\ud800'");
    expect(pyRepr("\u{1f600}", false, "'")).toBe("'\u{1f600}'");
  });

  test("nested lists and mappings quote the same way", () => {
    expect(pyRepr([["it's"], { "k'": "v" }, 1.5, true], false, "'")).toBe(
      "[['it\\'s'], {'k\\'': 'v'}, 1.5, True]",
    );
  });

  test("property: strings without quotes or escapes print the same either way", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "1") }), (text) => {
        expect(pyRepr(text, false, "'")).toBe(pyRepr(text));
      }),
    );
  });
});
