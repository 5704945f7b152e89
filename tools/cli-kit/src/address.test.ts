import { splitAddress } from "./address.js";

describe("splitAddress: [host][:port]", () => {
  test.each([
    ["", { host: "", port: "" }],
    ["  ", { host: "", port: "" }],
    [":1502", { host: "", port: "1502" }],
    ["10.0.0.1", { host: "10.0.0.1", port: "" }],
    [" 10.0.0.1:2222 ", { host: "10.0.0.1", port: "2222" }],
    ["host:", { host: "host", port: "" }],
    ["h:http", { host: "h", port: "http" }],
    ["[::1]:2222", { host: "::1", port: "2222" }],
    ["[::1]", { host: "::1", port: "" }],
    ["[]:5", { host: "", port: "5" }],
    ["fe80::1", { host: "fe80::1", port: "" }],
    ["[::1]junk", { host: "[::1]junk", port: "" }],
    ["8080", { host: "8080", port: "" }],
  ])("%j", (text, expected) => {
    expect(splitAddress(text)).toEqual(expected);
  });

  test("with barePort, digits alone are a port and everything else splits the same", () => {
    expect(splitAddress("8080", { barePort: true })).toEqual({ host: "", port: "8080" });
    expect(splitAddress("h8080", { barePort: true })).toEqual({ host: "h8080", port: "" });
    expect(splitAddress("127.0.0.1:0", { barePort: true })).toEqual({ host: "127.0.0.1", port: "0" });
    expect(splitAddress("::1", { barePort: true })).toEqual({ host: "::1", port: "" });
  });
});
