import { CipTypeCode, encodeValues, REAL, toHex } from "@cpppo/cip-codec";
import fc from "fast-check";
import { InvalidOperationError } from "../src/core/errors.js";
import {
  type Operation,
  parseAttributeOperation,
  parseOperation,
  parseOperations,
  parseTagPath,
  WRITABLE_TYPE_NAMES,
} from "../src/parse-operations.js";

const T = CipTypeCode.codes;

/** Every error names the operation; returns the message for further checks. */
function rejects(text: string, parse: (t: string) => Operation = parseOperation): string {
  let caught: unknown;
  try {
    parse(text);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidOperationError);
  const err = caught as InvalidOperationError;
  expect(err.code).toBe("ERR_INVALID_OPERATION");
  expect(err.message).toContain(`operation "${text.trim()}"`);
  return err.message;
}

describe("cpppo §3.2 verified operation examples", () => {
  test("SCADA: a scalar read with no element segment and no count", () => {
    expect(parseOperation("SCADA")).toEqual({
      method: "read",
      path: [{ symbolic: "SCADA" }],
      description: "SCADA",
    });
  });

  test("SCADA[1-10]: element 1, 10 elements", () => {
    expect(parseOperation("SCADA[1-10]")).toEqual({
      method: "read",
      path: [{ symbolic: "SCADA" }, { element: 1 }],
      elements: 10,
      description: "SCADA[1-10]",
    });
  });

  test("SCADA[1]=99: an INT write of one element", () => {
    expect(parseOperation("SCADA[1]=99")).toEqual({
      method: "write",
      path: [{ symbolic: "SCADA" }, { element: 1 }],
      elements: 1,
      tagType: 195,
      values: [99],
      description: "SCADA[1]=99",
    });
  });

  test("Tag[0-9]+16=(DINT)4,5,6,7,8,9: a fragmented partial DINT write", () => {
    expect(parseOperation("Tag[0-9]+16=(DINT)4,5,6,7,8,9")).toEqual({
      method: "write",
      path: [{ symbolic: "Tag" }, { element: 0 }],
      elements: 10,
      offset: 16,
      fragment: true,
      tagType: 196,
      values: [4, 5, 6, 7, 8, 9],
      description: "Tag[0-9]+16=(DINT)4,5,6,7,8,9",
    });
  });

  test("Tag[1-5]+4: a fragmented read", () => {
    expect(parseOperation("Tag[1-5]+4")).toMatchObject({
      method: "read",
      path: [{ symbolic: "Tag" }, { element: 1 }],
      elements: 5,
      offset: 4,
      fragment: true,
    });
  });

  test('TEXT[1]=(SSTRING)"Hello, world!": the quoted comma stays in the value', () => {
    expect(parseOperation('TEXT[1]=(SSTRING)"Hello, world!"')).toMatchObject({
      method: "write",
      path: [{ symbolic: "TEXT" }, { element: 1 }],
      tagType: 218,
      values: ["Hello, world!"],
      elements: 1,
    });
  });

  test("TEXT=(STRING)abc: CIP STRING 0xD0", () => {
    expect(parseOperation("TEXT=(STRING)abc")).toMatchObject({ tagType: 208, values: ["abc"], elements: 1 });
  });

  test("@0x1FF/01/0x1A[99]: hex and leading-zero (not octal) terms, index appended", () => {
    expect(parseOperation("@0x1FF/01/0x1A[99]")).toMatchObject({
      method: "read",
      path: [{ class: 511 }, { instance: 1 }, { attribute: 26 }, { element: 99 }],
    });
  });

  test("@511/01/26=1: an INT write to class 511/1/26", () => {
    expect(parseOperation("@511/01/26=1")).toMatchObject({
      method: "write",
      path: [{ class: 511 }, { instance: 1 }, { attribute: 26 }],
      tagType: T.INT,
      values: [1],
      elements: 1,
    });
  });

  test('@{"class":4}/5/{"connection":100}: JSON terms choose their role', () => {
    expect(parseOperation('@{"class":4}/5/{"connection":100}')).toMatchObject({
      path: [{ class: 4 }, { instance: 5 }, { connection: 100 }],
    });
  });

  test("Tag[1].SubTag[0]*10: multi-level with a count", () => {
    expect(parseOperation("Tag[1].SubTag[0]*10")).toMatchObject({
      method: "read",
      path: [{ symbolic: "Tag" }, { element: 1 }, { symbolic: "SubTag" }, { element: 0 }],
      elements: 10,
    });
  });

  test("Foo.Bar[2-3]", () => {
    expect(parseOperation("Foo.Bar[2-3]")).toMatchObject({
      path: [{ symbolic: "Foo" }, { symbolic: "Bar" }, { element: 2 }],
      elements: 2,
    });
  });

  test("B=(BOOL)true and B=(bool)0: case-insensitive cast, text or integer", () => {
    expect(parseOperation("B=(BOOL)true")).toMatchObject({ tagType: 193, values: [true], elements: 1 });
    expect(parseOperation("B=(bool)0")).toMatchObject({ tagType: 193, values: [false] });
    expect(parseOperation("B=(Bool)FALSE, 7")).toMatchObject({ values: [false, true], elements: 2 });
  });

  test("Tag = (REAL) 1.5, 2.5: spaces around = and values", () => {
    expect(parseOperation("Tag = (REAL) 1.5, 2.5")).toEqual({
      method: "write",
      path: [{ symbolic: "Tag" }],
      tagType: 202,
      values: [1.5, 2.5],
      elements: 2,
      description: "Tag = (REAL) 1.5, 2.5",
    });
  });

  test("SCADA[0-3]=1.5,2: 2 values for 4 elements is an error naming the fix", () => {
    const message = rejects("SCADA[0-3]=1.5,2");
    expect(message).toContain("2 values for 4 elements");
    expect(message).toContain("give 4 values");
  });

  test("U=(USINT)300: out of range is an error naming the range", () => {
    expect(rejects("U=(USINT)300")).toContain("not in USINT range 0..255");
  });
});

describe("cpppo client_test path cases", () => {
  test.each([
    ["@0x22/1", [{ class: 0x22 }, { instance: 1 }]],
    ["@0x22/1/2", [{ class: 0x22 }, { instance: 1 }, { attribute: 2 }]],
    ["@0x22/1/2/3", [{ class: 0x22 }, { instance: 1 }, { attribute: 2 }, { element: 3 }]],
  ])("%s", (text, path) => {
    expect(parseOperation(text)).toMatchObject({ method: "read", path });
    expect(parseOperation(text)).not.toHaveProperty("elements");
  });

  test("Boo[123-456] counts 334 elements", () => {
    expect(parseTagPath("Boo[123-456]")).toEqual({
      path: [{ symbolic: "Boo" }, { element: 123 }],
      element: 123,
      count: 334,
    });
  });

  test("@0x22/1/2[123-456]", () => {
    expect(parseTagPath("@0x22/1/2[123-456]")).toMatchObject({
      path: [{ class: 0x22 }, { instance: 1 }, { attribute: 2 }, { element: 123 }],
      count: 334,
    });
  });

  test("Foo[1]*3 with defaults element 2, count 5 gives (1, 3); Foo alone gives the defaults", () => {
    expect(parseTagPath("Foo[1]*3", { element: 2, count: 5 })).toMatchObject({ element: 1, count: 3 });
    expect(parseTagPath("Foo", { element: 2, count: 5 })).toEqual({
      path: [{ symbolic: "Foo" }, { element: 2 }],
      element: 2,
      count: 5,
    });
  });

  test("@1/2/3[4-9]*3: the range wins over *count; the index sets the element", () => {
    expect(parseTagPath("@1/2/3[4-9]*3")).toMatchObject({
      path: [{ class: 1 }, { instance: 2 }, { attribute: 3 }, { element: 4 }],
      count: 6,
    });
    expect(parseTagPath("@1/2/3/4[5]").path).toEqual([
      { class: 1 },
      { instance: 2 },
      { attribute: 3 },
      { element: 5 },
    ]);
  });

  test("Int[5-9]+4=(INT)7,8,9: the random-test form", () => {
    expect(parseOperation("Int[5-9]+4=(INT)7,8,9")).toMatchObject({
      method: "write",
      elements: 5,
      offset: 4,
      values: [7, 8, 9],
      tagType: T.INT,
    });
  });
});

describe("values and types", () => {
  test("default type is REAL when any value has a '.', else INT (or the given intType)", () => {
    expect(parseOperation("A=1,2.0")).toMatchObject({ tagType: T.REAL, values: [1, 2] });
    expect(parseOperation("A=1,2")).toMatchObject({ tagType: T.INT });
    expect(parseOperation("A=1,2", { intType: "DINT" })).toMatchObject({ tagType: T.DINT });
  });

  test("integers: decimal, 0x, 0o, 0b, signs; signed types take the unsigned range as bit patterns", () => {
    expect(parseOperation("A[0-4]=(DINT)0x10,0o17,0b101,-5,+6")).toMatchObject({
      values: [16, 15, 5, -5, 6],
    });
    expect(parseOperation("A=(INT)65535")).toMatchObject({ values: [-1] });
    expect(parseOperation("A=(INT)-32768")).toMatchObject({ values: [-32768] });
    expect(rejects("A=(INT)65536")).toContain("not in INT range -32768..65535");
    expect(rejects("A=(UINT)-1")).toContain("not in UINT range 0..65535");
  });

  test("64-bit integers are bigints", () => {
    expect(parseOperation("L=(LINT)-9223372036854775808")).toMatchObject({ values: [-(1n << 63n)] });
    expect(parseOperation("L=(ULINT)18446744073709551615")).toMatchObject({ values: [(1n << 64n) - 1n] });
    expect(parseOperation("L=(LINT)18446744073709551615")).toMatchObject({ values: [-1n] });
  });

  test("floats, including inf and nan; REAL beyond float32 is refused", () => {
    const op = parseOperation("R=(REAL)1e3,-.5,inf,NaN") as { values: number[] };
    expect(op.values).toEqual([1000, -0.5, Number.POSITIVE_INFINITY, Number.NaN]);
    expect(rejects("R=(REAL)1e39")).toContain("REAL range");
    expect(parseOperation("R=(LREAL)1e39")).toMatchObject({ values: [1e39] });
  });

  test("quoted values: doubled quotes, spaces kept inside, separators inside", () => {
    expect(parseOperation('S[0-1]=(STRING)"say ""hi""", " a = b "')).toMatchObject({
      values: ['say "hi"', " a = b "],
    });
  });

  test("every writable type name casts", () => {
    for (const name of WRITABLE_TYPE_NAMES) {
      const value = /STRING/.test(name) ? "x" : name === "BOOL" ? "true" : "1";
      expect(parseOperation(`A=(${name.toLowerCase()})${value}`)).toMatchObject({
        method: "write",
        tagType: (T as Record<string, number>)[name],
      });
    }
    expect(WRITABLE_TYPE_NAMES).toEqual(
      expect.arrayContaining(["BOOL", "INT", "REAL", "SSTRING", "STRING", "DWORD"]),
    );
  });

  test("bad values name the fix", () => {
    expect(rejects('A="abc"')).toContain("add a cast");
    expect(rejects("A=(FLOAT)1")).toContain("unknown type (FLOAT)");
    expect(rejects("A=(INT)1.5")).toContain("not an integer");
    expect(rejects("A=")).toContain("no values");
    expect(rejects("A=1,,2")).toContain("empty value");
    expect(rejects('A=(STRING)"abc')).toContain("no closing");
    expect(rejects("A=(INT 1")).toContain('no ")"');
    expect(rejects('A=(SSTRING)"abc" x')).toContain("after a quoted value");
    expect(rejects(`A=(SSTRING)${"x".repeat(256)}`)).toContain("at most 255");
    expect(rejects("A=(STRING)\u20ac")).toContain("ISO-8859-1");
    expect(rejects("A=(BOOL)maybe")).toContain("not a BOOL");
  });
});

describe("fragmented writes", () => {
  test("a partial write needs an offset on an element boundary and values that fit the range", () => {
    expect(rejects("Tag[0-9]+3=(DINT)1")).toContain("use +0");
    expect(rejects("Tag[0-3]+8=(DINT)1,2,3")).toContain("run past the 4 elements");
    expect(parseOperation("Tag[0-3]+8=(DINT)1,2")).toMatchObject({ elements: 4, offset: 8, values: [1, 2] });
  });

  test("without a range the elements run to the last value", () => {
    expect(parseOperation("Tag+8=(DINT)1,2")).toMatchObject({ elements: 4, offset: 8 });
    expect(parseOperation('T+0=(SSTRING)"a","b"')).toMatchObject({ elements: 2, offset: 0 });
  });
});

describe("path errors", () => {
  test.each([
    ["", "empty"],
    ["Tag[1-3].Sub", "only the last component may have a range"],
    ["Tag[3-1]", "ends before it starts"],
    ["Tag[1,2]", "multi-dimensional"],
    ["Tag[1", 'expected "]"'],
    ["Tag[x]", "not an unsigned integer"],
    ["Tag*0", "at least 1"],
    ["Tag+4*2", "unexpected"],
    ["Tag Other", "unexpected"],
    [".Tag", "where a tag name belongs"],
    ["Tag.", "no tag name"],
    ["@1/2/3/4/5", "at most @class/instance/attribute/element"],
    ["@1/x", "is not a number"],
    ["@0x10000", "more than 65535"],
    ['@{"colour":1}', "unknown segment"],
    ['@{"class":1', "not valid JSON"],
    ["\u0100Tag", "ISO-8859-1"],
  ])("%j → %s", (text, fragment) => {
    expect(rejects(text)).toContain(fragment);
  });
});

describe("routing defaults and JSON operations", () => {
  test("route and send path defaults ride on every operation", () => {
    const ops = parseOperations(["A", "B=1"], { routePath: false, sendPath: "" });
    for (const op of ops) expect(op).toMatchObject({ routePath: false, sendPath: "" });
    expect(parseOperation("A")).not.toHaveProperty("routePath");
  });

  test("cpppo's operation dicts pass through as JSON", () => {
    expect(parseOperation('{"method":"service_code","code":76,"path":"@2/1","data":[1,2]}')).toEqual({
      method: "service",
      code: 76,
      path: [{ class: 2 }, { instance: 1 }],
      data: Uint8Array.of(1, 2),
      description: '{"method":"service_code","code":76,"path":"@2/1","data":[1,2]}',
    });
    expect(
      parseOperation(
        '{"method":"write","path":[{"symbolic":"X"}],"tag_type":"DINT","data":[1,2],"route_path":"1/0"}',
      ),
    ).toMatchObject({
      method: "write",
      tagType: T.DINT,
      values: [1, 2],
      elements: 2,
      routePath: [{ port: 1, link: 0 }],
    });
    expect(parseOperation('{"method":"read","path":"SCADA[0-9]","offset":4}')).toMatchObject({
      elements: 10,
      offset: 4,
      fragment: true,
    });
    expect(
      parseOperation('{"method":"set_attribute_single","path":"@1/1/7","tagType":202,"values":[1]}'),
    ).toMatchObject({
      data: encodeValues(REAL, [1]),
      tagType: T.REAL,
    });
    expect(parseOperation('{"method":"get_attributes_all","path":"@1/1","send_path":""}')).toMatchObject({
      method: "getAttributesAll",
      sendPath: "",
    });
  });

  test("bad JSON operations name the key and the fix", () => {
    expect(rejects('{"method":"frobnicate","path":"A"}')).toContain('"method" must be one of');
    expect(rejects('{"method":"read"}')).toContain('"path" is required');
    expect(rejects('{"method":"read","path":"A","colour":1}')).toContain('unknown key "colour"');
    expect(rejects('{"method":"write","path":"A","values":[1]}')).toContain('needs "tagType"');
    expect(rejects('{"method":"service","path":"@2/1"}')).toContain('needs "code"');
    expect(rejects('{"method":"service","path":"@2/1","code":1,"data":[256]}')).toContain("bytes 0..255");
    expect(rejects('{"method":"read",')).toContain("not valid JSON");
    expect(rejects('{"method":"read","path":"A","route_path":"1/0/2"}')).toContain("odd number of terms");
  });
});

describe("parseAttributeOperation (enip-get-attribute grammar)", () => {
  test("a path ending in an instance is Get Attributes All; in an attribute, Get Attribute Single", () => {
    expect(parseAttributeOperation("@1/1")).toEqual({
      method: "getAttributesAll",
      path: [{ class: 1 }, { instance: 1 }],
      description: "@1/1",
    });
    expect(parseAttributeOperation("@0x0001/1/7")).toMatchObject({
      method: "getAttributeSingle",
      path: [{ class: 1 }, { instance: 1 }, { attribute: 7 }],
    });
  });

  test("@0x93/3/10=(REAL)1.0 sets the REAL's bytes 00 00 80 3f", () => {
    const op = parseAttributeOperation("@0x93/3/10=(REAL)1.0");
    expect(op).toMatchObject({ method: "setAttributeSingle", tagType: T.REAL, values: [1] });
    expect(toHex((op as { data: Uint8Array }).data)).toBe("0000803f");
  });

  test("@4/150/3 = (INT)512,0 sets INT bytes; integers default to SINT", () => {
    const op = parseAttributeOperation("@4/150/3 = (INT)512,0") as { data: Uint8Array; tagType: number };
    expect(op.tagType).toBe(195);
    expect(toHex(op.data)).toBe("00020000");
    const sint = parseAttributeOperation("@1/1/9=1,-1") as { data: Uint8Array; tagType: number };
    expect(sint.tagType).toBe(T.SINT);
    expect(toHex(sint.data)).toBe("01ff");
  });

  test("errors: writing GAA, class only, ranges and offsets", () => {
    expect(rejects("@1/1=1", parseAttributeOperation)).toContain("cannot write");
    expect(rejects("@1", parseAttributeOperation)).toContain("names only a class");
    expect(rejects("@1/1/7[0-3]", parseAttributeOperation)).toContain("one attribute");
    expect(rejects("@1/1/7+2", parseAttributeOperation)).toContain("no +offset");
  });
});

describe("properties", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_:]{0,15}$/);
  const index = fc.integer({ min: 0, max: 0xffff });

  test("Name[first-last] always reads element first with last-first+1 elements", () => {
    fc.assert(
      fc.property(name, index, fc.integer({ min: 0, max: 1000 }), (n, first, extra) => {
        const op = parseOperation(`${n}[${first}-${first + extra}]`);
        expect(op).toEqual({
          method: "read",
          path: [{ symbolic: n }, { element: first }],
          elements: extra + 1,
          description: `${n}[${first}-${first + extra}]`,
        });
      }),
    );
  });

  test("DINT writes round-trip every in-range value, decimal or hex", () => {
    fc.assert(
      fc.property(
        name,
        fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: 1, maxLength: 20 }),
        (n, values) => {
          const text = values.map((v, i) => (i % 2 && v >= 0 ? `0x${v.toString(16)}` : String(v))).join(", ");
          expect(parseOperation(`${n}[0-${values.length - 1}]=(DINT)${text}`)).toMatchObject({
            values,
            elements: values.length,
          });
        },
      ),
    );
  });

  test("quoted SSTRING values round-trip any printable ISO-8859-1 text", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({
            unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
            maxLength: 30,
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (texts) => {
          const quoted = texts.map((t) => `"${t.replaceAll('"', '""')}"`).join(",");
          expect(parseOperation(`T=(SSTRING)${quoted}`)).toMatchObject({ values: texts });
        },
      ),
    );
  });

  test("any text either parses or throws InvalidOperationError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseOperation(text);
          parseAttributeOperation(text);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidOperationError);
        }
      }),
      { numRuns: 2000 },
    );
    const grammar = fc.string({ unit: fc.constantFrom(...'Ab1@/[]-*+=().,{}":x0 '), maxLength: 30 });
    fc.assert(
      fc.property(grammar, (text) => {
        for (const parse of [parseOperation, parseAttributeOperation])
          try {
            parse(text);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidOperationError);
          }
      }),
      { numRuns: 5000 },
    );
  });
});
