import { isIPv4, isIPv6 } from "node:net";
import fc from "fast-check";
import { type EPath, encodePathWithSize, formatEPath } from "../src/cip/epath.js";
import {
  parseConnectionPath,
  parseLogicalPath,
  parseRoutePath,
  parseSegmentJson,
  parseSendPath,
  parseUnsignedText,
} from "../src/cip/route-path.js";
import { CpppoError, RoutePathError } from "../src/core/errors.js";
import { toHex } from "../src/core/hex.js";
import { Writer } from "../src/core/writer.js";

/** The RoutePathError `parse` throws; fails the test when it throws nothing or something else. */
function refusal(parse: () => unknown): RoutePathError {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(RoutePathError);
    return err as RoutePathError;
  }
  throw new Error("expected a RoutePathError");
}

describe("parseRoutePath: cpppo's route path notations (reference §2.11)", () => {
  test("port/link pairs in order, IP links kept as written", () => {
    expect(parseRoutePath("1/0")).toEqual([{ port: 1, link: 0 }]);
    expect(parseRoutePath(" 1 / 0 / 2 / 192.168.1.2 ")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "192.168.1.2" },
    ]);
    expect(parseRoutePath("2/0::1")).toEqual([{ port: 2, link: "0::1" }]);
    expect(parseRoutePath("2/FE80:0000::0001")).toEqual([{ port: 2, link: "FE80:0000::0001" }]);
    expect(parseRoutePath("2/::ffff:1.2.3.4")).toEqual([{ port: 2, link: "::ffff:1.2.3.4" }]);
    expect(parseRoutePath("2/010.0.0.1")).toEqual([{ port: 2, link: "010.0.0.1" }]);
  });

  test("numbers in decimal, 0x, 0o and 0b, with cpppo's optional sign", () => {
    expect(parseRoutePath("0x103/5")).toEqual([{ port: 0x103, link: 5 }]);
    expect(parseRoutePath("0o1/0b11")).toEqual([{ port: 1, link: 3 }]);
    expect(parseRoutePath("+1/-0")).toEqual([{ port: 1, link: 0 }]);
    expect(parseRoutePath("01/010")).toEqual([{ port: 1, link: 10 }]);
  });

  test("JSON lists of strings and objects, a single object, and parsed values", () => {
    expect(parseRoutePath('["1/3", "2/1.2.3.4"]')).toEqual([
      { port: 1, link: 3 },
      { port: 2, link: "1.2.3.4" },
    ]);
    expect(parseRoutePath('[{"port":1,"link":0},"2/10.0.0.1"]')).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "10.0.0.1" },
    ]);
    expect(parseRoutePath('{"port": 1, "link": 3}')).toEqual([{ port: 1, link: 3 }]);
    expect(parseRoutePath('[{"port": 2, "link": "10.0.0.9"}]')).toEqual([{ port: 2, link: "10.0.0.9" }]);
    expect(parseRoutePath({ port: "1", link: "0x0a" })).toEqual([{ port: 1, link: 10 }]);
    expect(parseRoutePath([{ port: 1, link: 0 }, "2/3"])).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: 3 },
    ]);
  });

  test.each([false, 0, null, [], "false", "0", "null", "[]", "[ ]", "", "  FALSE ", "Null"])(
    "%j means no route path: false, never an empty list",
    (value) => {
      expect(parseRoutePath(value)).toBe(false);
    },
  );

  test("the wire bytes of a two-hop route", () => {
    const w = new Writer(64);
    encodePathWithSize(w, parseRoutePath("1/0/2/10.0.0.1") as EPath, { padded: true });
    // size 6 words, pad, 01 00, 12 08 "10.0.0.1"
    expect(toHex(w.finish())).toBe("06000100120831302e302e302e31");
  });

  test.each([
    ["1", "has an odd number of terms; write port/link pairs"],
    ["1/0/2", "has an odd number of terms"],
    ['["1/0/2"]', 'has an odd number of terms in "1/0/2"'],
    ["0/1", 'has port "0", not 1..65535'],
    ["65536/1", 'has port "65536", not 1..65535'],
    ["x/y", 'has port "x"'],
    ['{"port":0,"link":1}', "has port 0, not 1..65535"],
    ["1/256", "link 256 is not 0..255"],
    ["1/-1", "link -1 is not 0..255"],
    ['{"port":1,"link":1.5}', "link 1.5 is not 0..255"],
    ["1/x", 'has link "x", neither 0..255 nor an IPv4/IPv6 address'],
    ["2/host.example", "neither 0..255 nor an IPv4/IPv6 address"],
    ["2/256.0.0.1", 'has link "256.0.0.1"'],
    ["2/1.2.3", 'has link "1.2.3"'],
    ["2/1::2::3", 'has link "1::2::3"'],
    ["2/1:2:3:4:5:6:7:8:9", 'has link "1:2:3:4:5:6:7:8:9"'],
    ["2/::1.2.3.04", 'has link "::1.2.3.04"'],
    ["2/fe80::1%eth0", 'has link "fe80::1%eth0"'],
    ['{"port":1,"link":true}', "has link true"],
    ["1/0/@2/1", "only port/link pairs"],
    ["[1,2]", 'has 1, which is not a {"port":…,"link":…} object'],
    ['{"port":1}', 'which must have exactly the keys "port" and "link"'],
    ['{"port":1,"link":0,"x":2}', "exactly the keys"],
    ["[1/0", "is not valid JSON"],
    ["true", "true names no route"],
  ])("%j is refused: %s", (text, reason) => {
    const err = refusal(() => parseRoutePath(text));
    expect(err.code).toBe("ERR_CIP_ROUTE_PATH");
    expect(err.kind).toBe("route path");
    expect(err.value).toBe(text);
    expect(err.reason).toContain(reason);
    expect(err.message).toContain(`route path ${JSON.stringify(text)} ${err.reason}; e.g. 1/0`);
  });

  test("values other than text, lists, objects and the 'none' forms are refused", () => {
    for (const value of [true, 1, undefined, Symbol.for("x")]) {
      const err = refusal(() => parseRoutePath(value));
      expect(err.reason).toContain("expected text, a list or a {");
    }
    expect(refusal(() => parseRoutePath(undefined)).message).toMatch(
      /^route path undefined is undefined; expected text/,
    );
  });

  test("RoutePathError is a coded CpppoError", () => {
    const err = refusal(() => parseRoutePath("1"));
    expect(err).toBeInstanceOf(CpppoError);
    expect(err.name).toBe("RoutePathError");
    expect(RoutePathError.code).toBe("ERR_CIP_ROUTE_PATH");
  });

  test("property: the printed form (formatEPath) of any route parses back to the same path, as text and JSON", () => {
    const link = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.ipV4(), fc.ipV6());
    const hop = fc.record({ port: fc.integer({ min: 1, max: 0xffff }), link });
    fc.assert(
      fc.property(fc.array(hop, { minLength: 1, maxLength: 6 }), (hops) => {
        expect(parseRoutePath(formatEPath(hops))).toEqual(hops);
        expect(parseRoutePath(JSON.stringify(hops))).toEqual(hops);
      }),
    );
  });

  test("property: IP link text is accepted exactly when Node reads it as an address (inet_pton forms)", () => {
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.stringMatching(/^[0-9a-f:.]{1,40}$/),
      fc.stringMatching(/^(?:[0-9a-f]{0,4}:){2,8}(?:\d{1,3}\.){0,3}\d{0,3}$/),
    );
    fc.assert(
      fc.property(address, (text) => {
        // Leading zeros in IPv4 octets ("010.0.0.1") are the server config's old leniency, Node refuses them.
        fc.pre(!/(^|\.)0\d/.test(text) || text.includes(":"));
        fc.pre(parseUnsignedText(text) === undefined);
        let accepted: boolean;
        try {
          accepted = parseRoutePath(`2/${text}`) !== false;
        } catch (err) {
          if (!(err instanceof RoutePathError)) throw err;
          accepted = false;
        }
        expect(accepted).toBe(isIPv4(text) || isIPv6(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parseSendPath", () => {
  test("@class/instance text, JSON terms and JSON lists", () => {
    expect(parseSendPath("@6/1")).toEqual([{ class: 6 }, { instance: 1 }]);
    expect(parseSendPath('@0x06/{"instance":1}')).toEqual([{ class: 6 }, { instance: 1 }]);
    expect(parseSendPath('[{"class":6},{"instance":1}]')).toEqual([{ class: 6 }, { instance: 1 }]);
  });

  test.each(["", "  ", "''", '""'])("%j means no send path: ''", (text) => {
    expect(parseSendPath(text)).toBe("");
  });

  test.each([
    ["6/1", 'does not start with "@"'],
    ["@6/x", "is not a number"],
    ["[6]", "which is not a one-key segment object"],
    ['{"class":6}', 'does not start with "@"'],
    ["[{", "is not valid JSON"],
    ['["@6/1"]', 'has "@6/1", which is not a one-key segment object'],
  ])("%j is refused: %s", (text, reason) => {
    const err = refusal(() => parseSendPath(text));
    expect(err.kind).toBe("send path");
    expect(err.message).toContain(`send path ${JSON.stringify(text)} `);
    expect(err.message).toContain(reason);
    expect(err.message).toContain("; e.g. @6/1");
  });

  test("a send path must be text", () => {
    expect(refusal(() => parseSendPath(6)).reason).toBe("is a number; expected text");
  });
});

describe("parseConnectionPath", () => {
  test("a route, then the target object", () => {
    expect(parseConnectionPath("1/0/@2/1")).toEqual([{ port: 1, link: 0 }, { class: 2 }, { instance: 1 }]);
    expect(parseConnectionPath("1/0/2/0::1/@2/1")).toEqual([
      { port: 1, link: 0 },
      { port: 2, link: "0::1" },
      { class: 2 },
      { instance: 1 },
    ]);
    expect(parseConnectionPath("@2/1")).toEqual([{ class: 2 }, { instance: 1 }]);
    expect(parseConnectionPath('["1/0",{"class":2},{"instance":1}]')).toEqual([
      { port: 1, link: 0 },
      { class: 2 },
      { instance: 1 },
    ]);
  });

  test.each([
    ["1/0", "names no target object; end it with the object, e.g. /@2/1"],
    ["1/0/2/@2/1", 'has an odd number of terms in "1/0/2"'],
    ["@2/1/3/4/5", "has 5 terms"],
  ])("%j is refused: %s", (text, reason) => {
    const err = refusal(() => parseConnectionPath(text));
    expect(err.kind).toBe("connection path");
    expect(err.reason).toContain(reason);
    expect(err.message).toContain("; e.g. 1/0/@2/1");
  });

  test("property: the printed form of a route plus an object path parses back to the same path", () => {
    const hop = fc.record({
      port: fc.integer({ min: 1, max: 0xffff }),
      link: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.ipV4()),
    });
    const object = fc
      .tuple(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 4 }),
      )
      .map(
        ([c, i, a, e, n]): EPath =>
          [{ class: c }, { instance: i }, { attribute: a }, { element: e }].slice(0, n),
      );
    fc.assert(
      fc.property(fc.array(hop, { maxLength: 3 }), object, (hops, target) => {
        const path: EPath = [...hops, ...target];
        expect(parseConnectionPath(formatEPath(path))).toEqual(path);
      }),
    );
  });
});

describe("parseLogicalPath and parseSegmentJson", () => {
  test("terms take their role from their position unless a JSON term names it", () => {
    expect(parseLogicalPath("@1/2/3/4")).toEqual([
      { class: 1 },
      { instance: 2 },
      { attribute: 3 },
      { element: 4 },
    ]);
    expect(parseLogicalPath('@{"class":4}/5/{"connection":100}')).toEqual([
      { class: 4 },
      { instance: 5 },
      { connection: 100 },
    ]);
    expect(parseLogicalPath('0x6B/{"symbolic":"a/b"}')).toEqual([{ class: 0x6b }, { symbolic: "a/b" }]);
  });

  test.each([
    ["@1/2/3/4/5", "at most @class/instance/attribute/element"],
    ["@1/x", 'has term "x", which is not a number'],
    ["@0x10000", "has class 0x10000, which is more than 65535"],
    ['@{"colour":1}', 'an unknown segment "colour"'],
    ['@{"class":1', "which is not valid JSON"],
  ])("%j is refused: %s", (text, reason) => {
    const err = refusal(() => parseLogicalPath(text));
    expect(err.message).toContain(`object path ${JSON.stringify(text)} `);
    expect(err.reason).toContain(reason);
  });

  test("segment objects", () => {
    expect(parseSegmentJson({ connection: 100 })).toEqual({ connection: 100 });
    expect(parseSegmentJson({ port: 1, link: "0::1" })).toEqual({ port: 1, link: "0::1" });
    expect(parseSegmentJson({ symbolic: "Tag" })).toEqual({ symbolic: "Tag" });
    expect(refusal(() => parseSegmentJson({ class: 1, instance: 2 })).reason).toContain("exactly one key");
    expect(refusal(() => parseSegmentJson({ symbolic: "" })).reason).toContain("non-empty tag name");
    expect(refusal(() => parseSegmentJson({ attribute: 0x10000 })).reason).toContain(
      '"attribute" must be an integer 0..65535',
    );
    expect(refusal(() => parseSegmentJson(6)).message).toBe(
      'segment 6 has 6, which is not a one-key segment object such as {"class":2}; e.g. {"class":2} or {"port":1,"link":0}',
    );
  });

  test("parseUnsignedText reads decimal (leading zeros are not octal), 0x, 0o and 0b", () => {
    expect(parseUnsignedText(" 0017 ")).toBe(17);
    expect(parseUnsignedText("0X1f")).toBe(31);
    expect(parseUnsignedText("0o17")).toBe(15);
    expect(parseUnsignedText("0b101")).toBe(5);
    for (const bad of ["", "-1", "+1", "1.5", "0x", "1e3", "9007199254740993"])
      expect(parseUnsignedText(bad)).toBeUndefined();
  });
});
