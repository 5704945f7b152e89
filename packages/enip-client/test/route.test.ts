import { encodePathWithSize, toHex, Writer } from "@cpppo/cip-codec";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/core/errors.js";
import {
  DEFAULT_CONNECTION_PATH,
  DEFAULT_ROUTE_PATH,
  DEFAULT_SEND_PATH,
  parseConnectionPath,
  parseRoutePath,
  parseSendPath,
} from "../src/route.js";

function rejects(parse: () => unknown, fragment: string): void {
  let caught: unknown;
  try {
    parse();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).code).toBe("ERR_INVALID_ARG");
  expect((caught as Error).message).toContain(fragment);
}

describe("parseRoutePath (cpppo §2.11)", () => {
  test("1/0 is backplane slot 0, the default", () => {
    expect(parseRoutePath("1/0")).toEqual([{ port: 1, link: 0 }]);
    expect(parseRoutePath("1/0")).toEqual(DEFAULT_ROUTE_PATH);
  });

  test("pairs split in order, IP links kept as text", () => {
    expect(parseRoutePath("1/0/2/192.168.1.2")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "192.168.1.2" },
    ]);
  });

  test("IPv6 links are canonicalised: 2/0::1 → ::1", () => {
    expect(parseRoutePath("2/0::1")).toEqual([{ port: 2, link: "::1" }]);
    expect(parseRoutePath("1/0/2/0::1")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "::1" },
    ]);
    expect(parseRoutePath("2/FE80:0000::0001")).toEqual([{ port: 2, link: "fe80::1" }]);
  });

  test("JSON lists of strings and objects, and a single object", () => {
    expect(parseRoutePath('["1/3","2/1.2.3.4"]')).toEqual([
      { port: 1, link: 3 },
      { port: 2, link: "1.2.3.4" },
    ]);
    expect(parseRoutePath('[{"port":1,"link":0},"2/10.0.0.1"]')).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "10.0.0.1" },
    ]);
    expect(parseRoutePath('{"port":1,"link":5}')).toEqual([{ port: 1, link: 5 }]);
    expect(parseRoutePath({ port: 1, link: "0x0a" })).toEqual([{ port: 1, link: 10 }]);
  });

  test.each([false, 0, null, [], "false", "0", "null", "[]", "", "  FALSE "])(
    "%j means no route path (cpppo 5.2.5 crashes on the text forms)",
    (value) => {
      expect(parseRoutePath(value)).toBe(false);
    },
  );

  test("extended ports and the wire bytes of a two-hop route", () => {
    expect(parseRoutePath("0x103/5")).toEqual([{ port: 0x103, link: 5 }]);
    const route = parseRoutePath("1/0/2/10.0.0.1");
    expect(route).not.toBe(false);
    const w = new Writer(64);
    encodePathWithSize(w, route as never, { padded: true });
    // size 6 words, pad, 01 00, 12 08 "10.0.0.1"
    expect(toHex(w.finish())).toBe("06000100120831302e302e302e31");
  });

  test.each([
    ["1", "odd number of terms"],
    ["1/0/2", "odd number of terms"],
    ["0/1", "port"],
    ["1/256", "link 256 is not 0..255"],
    ["2/host.example", "neither 0..255 nor an IPv4/IPv6 address"],
    ["1/0/@2/1", "only port/link pairs"],
    ["[1,2]", "is not a {"],
    ['{"port":1}', "exactly the keys"],
    ["[1/0", "not valid JSON"],
    ["true", "true names no route"],
  ])("%j is refused: %s", (text, fragment) => {
    rejects(() => parseRoutePath(text), fragment);
    rejects(() => parseRoutePath(text), `route path ${JSON.stringify(text)}`);
  });

  test("non-text values other than the 'none' forms are refused", () => {
    rejects(() => parseRoutePath(true), "expected text");
    rejects(() => parseRoutePath(1), "expected text");
    rejects(() => parseRoutePath(undefined), "expected text");
  });

  test("property: any list of port/link pairs round-trips through its text", () => {
    const link = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.ipV4(),
      fc.ipV6().map((ip) => new URL(`http://[${ip}]/`).hostname.slice(1, -1)),
    );
    const hop = fc.record({ port: fc.integer({ min: 1, max: 0xffff }), link });
    fc.assert(
      fc.property(fc.array(hop, { minLength: 1, maxLength: 6 }), (hops) => {
        const text = hops.map((h) => `${h.port}/${h.link}`).join("/");
        expect(parseRoutePath(text)).toEqual(hops);
        expect(parseRoutePath(JSON.stringify(hops))).toEqual(hops);
      }),
    );
  });
});

describe("parseSendPath", () => {
  test("@6/1 is the Connection Manager, the default", () => {
    expect(parseSendPath("@6/1")).toEqual([{ class: 6 }, { instance: 1 }]);
    expect(parseSendPath("@6/1")).toEqual(DEFAULT_SEND_PATH);
    expect(parseSendPath('@0x06/{"instance":1}')).toEqual(DEFAULT_SEND_PATH);
    expect(parseSendPath('[{"class":6},{"instance":1}]')).toEqual(DEFAULT_SEND_PATH);
  });

  test("'' means no send path", () => {
    expect(parseSendPath("")).toBe("");
    expect(parseSendPath("  ")).toBe("");
    expect(parseSendPath("''")).toBe("");
  });

  test("anything else is refused", () => {
    rejects(() => parseSendPath("6/1"), 'starting with "@"');
    rejects(() => parseSendPath("@6/x"), "is not a number");
    rejects(() => parseSendPath("[6]"), "one-key segment");
  });
});

describe("parseConnectionPath", () => {
  test("1/0/@2/1 is the default: slot 0, then the Message Router", () => {
    expect(parseConnectionPath("1/0/@2/1")).toEqual(DEFAULT_CONNECTION_PATH);
  });

  test("1/0/2/0::1/@2/1 is valid as a connection path (not as a route path)", () => {
    expect(parseConnectionPath("1/0/2/0::1/@2/1")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "::1" },
      { class: 2 },
      { instance: 1 },
    ]);
    rejects(() => parseRoutePath("1/0/2/0::1/@2/1"), "only port/link pairs");
  });

  test("no route part, and JSON lists", () => {
    expect(parseConnectionPath("@2/1")).toEqual([{ class: 2 }, { instance: 1 }]);
    expect(parseConnectionPath('["1/0",{"class":2},{"instance":1}]')).toEqual(DEFAULT_CONNECTION_PATH);
  });

  test("a connection path must name its target object", () => {
    rejects(() => parseConnectionPath("1/0"), "names no target object");
    rejects(() => parseConnectionPath("1/0/2/@2/1"), "odd number of terms");
  });
});
