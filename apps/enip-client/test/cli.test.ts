import fc from "fast-check";
import { ctime, jsonLine, operationLines, parseAddress, pyRepr, timestamp, UsageError } from "../src/cli.js";

describe("parseAddress: [host][:port]", () => {
  test.each([
    [undefined, { host: "localhost", port: 44818 }],
    ["", { host: "localhost", port: 44818 }],
    [":1502", { host: "localhost", port: 1502 }],
    ["10.0.0.1", { host: "10.0.0.1", port: 44818 }],
    ["10.0.0.1:2222", { host: "10.0.0.1", port: 2222 }],
    ["[::1]:2222", { host: "::1", port: 2222 }],
    ["[::1]", { host: "::1", port: 44818 }],
    ["fe80::1", { host: "fe80::1", port: 44818 }],
  ])("%j", (text, expected) => {
    expect(parseAddress(text, "localhost")).toEqual(expected);
  });

  test("a bad port is a usage error", () => {
    expect(() => parseAddress("h:0", "x")).toThrow(UsageError);
    expect(() => parseAddress("h:http", "x")).toThrow(UsageError);
  });
});

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
    expect(pyRepr([1, 2.5, Number.NaN, Number.NEGATIVE_INFINITY, 1e20, 1e-7], true)).toBe(
      "[1.0, 2.5, nan, -inf, 1e+20, 1e-7]",
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

test("operationLines splits chunks into trimmed lines, skipping blanks and comments", async () => {
  const chunks = (async function* () {
    yield "A[1]=";
    yield new TextEncoder().encode("2\r\n  # note\n\n  B  \nC");
  })();
  const lines: string[] = [];
  for await (const line of operationLines(chunks)) lines.push(line);
  expect(lines).toEqual(["A[1]=2", "B", "C"]);
});
