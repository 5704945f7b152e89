import { UsageError } from "@cpppo/cli-kit";
import { operationLines, parseAddress } from "../src/cli.js";

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

test("operationLines splits chunks into trimmed lines, skipping blanks and comments", async () => {
  const chunks = (async function* () {
    yield "A[1]=";
    yield new TextEncoder().encode("2\r\n  # note\n\n  B  \nC");
  })();
  const lines: string[] = [];
  for await (const line of operationLines(chunks)) lines.push(line);
  expect(lines).toEqual(["A[1]=2", "B", "C"]);
});
