/** Connector URIs and stunnel-style PSK secrets: what parses, and the one-line errors for what does not. */
import { ConnectorUriError, PskFileError, parseConnectorUri, parsePskSecrets } from "../src/index.js";

describe("parseConnectorUri", () => {
  it("reads every scheme with Beremiz's defaults", () => {
    expect(parseConnectorUri("LOCAL://")).toEqual({ scheme: "LOCAL" });
    expect(parseConnectorUri("PYRO://plc")).toEqual({ scheme: "PYRO", host: "plc", port: 3000 });
    expect(parseConnectorUri("pyros://[::1]:4000#client1")).toEqual({
      scheme: "PYROS",
      host: "::1",
      port: 4000,
      id: "client1",
    });
    expect(parseConnectorUri("WAMP://127.0.0.1:8888#Automation#2534667845")).toEqual({
      scheme: "WAMP",
      host: "127.0.0.1",
      port: 8888,
      path: "/",
      realm: "Automation",
      id: "2534667845",
    });
    expect(parseConnectorUri("WAMPS://h:1/ws#R#X")).toMatchObject({
      scheme: "WAMPS",
      path: "/ws",
      realm: "R",
      id: "X",
    });
  });

  it.each([
    ["FOO://x", /unknown scheme FOO/],
    ["PYRO://h#ID", /takes no #ID/],
    ["PYROS://h", /needs #ID/],
    ["PYRO://h:0", /port must be 1…65535/],
    ["PYRO://h:70000", /port must be 1…65535/],
    ["WAMP://h#realm", /#realm#ID/],
    ["WAMP://h#r#i", /needs a port/],
    ["plc:3000", /not a connector URI/],
  ])("refuses %s", (uri, message) => {
    expect(() => parseConnectorUri(uri)).toThrow(ConnectorUriError);
    expect(() => parseConnectorUri(uri)).toThrow(message);
  });
});

describe("parsePskSecrets", () => {
  it("uses a non-hex key's characters as bytes and decodes a hex key, as stunnel does", () => {
    const [text, hex] = parsePskSecrets(`# comment\nclient1:${"a".repeat(20)}==\n\nplc:${"0f".repeat(16)}\n`);
    expect(text).toEqual({ identity: "client1", key: Buffer.from(`${"a".repeat(20)}==`, "latin1") });
    expect(hex).toEqual({ identity: "plc", key: Buffer.alloc(16, 0x0f) });
  });

  it.each([
    ["nocolon", /line 1: expected IDENTITY:KEY/],
    ["id:short", /16…256 bytes/],
    [`id:${"ab".repeat(8)}`, /16…256 bytes.*got 8/],
    ["# only a comment", /holds no IDENTITY:KEY line/],
    [`${"i".repeat(129)}:${"k".repeat(20)}`, /longer than 128 bytes/],
  ])("refuses %j", (text, message) => {
    expect(() => parsePskSecrets(text)).toThrow(PskFileError);
    expect(() => parsePskSecrets(text)).toThrow(message);
  });
});
