import fc from "fast-check";
import { InvalidArgumentError, InvalidTagError } from "../src/core/errors.js";
import {
  formatTagDefinition,
  parseNumber,
  parseTagDefinition,
  type TagDefinition,
} from "../src/tags/grammar.js";
import { TagTable } from "../src/tags/table.js";
import { TypeRegistry } from "../src/tags/types.js";

describe("parseTagDefinition: every example of cpppo reference §3.1", () => {
  const cases: [string, TagDefinition][] = [
    ["SCADA=INT[1000]", { name: "SCADA", type: "INT", elements: 1000, array: true }],
    ["TEXT=SSTRING[100]", { name: "TEXT", type: "SSTRING", elements: 100, array: true }],
    ["FLOAT=REAL", { name: "FLOAT", type: "REAL", elements: 1 }],
    [
      "SCADA@22/1/1=INT[1000]",
      {
        name: "SCADA",
        type: "INT",
        elements: 1000,
        array: true,
        address: { class: 22, instance: 1, attribute: 1 },
      },
    ],
    [
      "Motor_Velocity@0x93/3/10=REAL",
      {
        name: "Motor_Velocity",
        type: "REAL",
        elements: 1,
        address: { class: 0x93, instance: 3, attribute: 10 },
      },
    ],
    [
      "Int@0x99/1/1=INT[100]",
      {
        name: "Int",
        type: "INT",
        elements: 100,
        array: true,
        address: { class: 0x99, instance: 1, attribute: 1 },
      },
    ],
    ["a=DINT", { name: "a", type: "DINT", elements: 1 }],
  ];
  it.each(cases)("%s", (text, expected) => {
    expect(parseTagDefinition(text)).toEqual(expected);
  });
});

describe("parseTagDefinition: the rest of the grammar", () => {
  it("defaults TYPE to INT and SIZE to a scalar", () => {
    expect(parseTagDefinition("Counter")).toEqual({ name: "Counter", type: "INT", elements: 1 });
  });

  it("reads types in any case, and numbers in decimal, 0x, 0o and 0b", () => {
    expect(parseTagDefinition("x=real[0x10]")).toMatchObject({ type: "REAL", elements: 16 });
    expect(parseTagDefinition("x@0o17/0b11/0x0A=lreal")).toMatchObject({
      type: "LREAL",
      address: { class: 15, instance: 3, attribute: 10 },
    });
  });

  it("takes an element as a fourth address part or in brackets", () => {
    expect(parseTagDefinition("p@0x99/1/1/10=INT[5]").address).toEqual({
      class: 0x99,
      instance: 1,
      attribute: 1,
      element: 10,
    });
    expect(parseTagDefinition("p@0x99/1/1[10]=INT[5]").address).toEqual({
      class: 0x99,
      instance: 1,
      attribute: 1,
      element: 10,
    });
  });

  it("accepts dotted names, program-scoped names and UDT type names", () => {
    expect(parseTagDefinition("Motor.Speed=REAL").name).toBe("Motor.Speed");
    expect(parseTagDefinition("Program:MainProgram.Count=DINT").name).toBe("Program:MainProgram.Count");
    expect(parseTagDefinition("Sensor=Example_SENSOR[2]")).toMatchObject({
      type: "EXAMPLE_SENSOR",
      elements: 2,
    });
    expect(parseTagDefinition("  spaced = INT [ 3 ] ")).toMatchObject({ name: "spaced", elements: 3 });
  });

  const errors: [string, RegExp][] = [
    ["", /empty/],
    ["=INT", /tag name is empty/],
    ["1abc=INT", /"1abc" is not a valid name part/],
    ["a b=INT", /not a valid name part/],
    ["x=INT[0]", /size "0" must be a number in 1\.\./],
    ["x=INT[-1]", /size "-1"/],
    ["x=INT[abc]", /size "abc"/],
    ["x=INT[", /must be TYPE or TYPE\[SIZE\]/],
    ["x@1/2=INT", /must be @CLASS\/INSTANCE\/ATTRIBUTE/],
    ["x@0x10000/1/1=INT", /class "0x10000" must be a number in 1\.\.65535/],
    ["x@1/0/1=INT", /instance "0"/],
    ["Program:.x=INT", /program name ""/],
    ["Program:Main=INT", /needs a tag after the program/],
    ["a..b=INT", /"" is not a valid name part/],
  ];
  it.each(errors)("refuses %j with a one-line message naming it and the fix", (text, why) => {
    let error: unknown;
    try {
      parseTagDefinition(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidTagError);
    const message = (error as Error).message;
    expect(message).toMatch(why);
    expect(message).toContain(`"${text}"`);
    expect(message).not.toContain("\n");
    expect((error as InvalidTagError).code).toBe("ERR_INVALID_TAG");
  });

  it("round-trips through formatTagDefinition", () => {
    for (const text of [
      "SCADA=INT[1000]",
      "Motor_Velocity@0x93/3/10=REAL",
      "x@0x99/1/1/10=INT[5]",
      "one=DINT[1]",
    ])
      expect(parseTagDefinition(formatTagDefinition(parseTagDefinition(text)))).toEqual(
        parseTagDefinition(text),
      );
  });

  it("parses generated definitions back to what generated them (property)", () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
    const type = fc.constantFrom("BOOL", "SINT", "INT", "DINT", "LINT", "REAL", "LREAL", "STRING", "SSTRING");
    fc.assert(
      fc.property(name, type, fc.option(fc.integer({ min: 1, max: 100000 })), (n, t, size) => {
        const text = `${n}=${t.toLowerCase()}${size === null ? "" : `[0x${size.toString(16)}]`}`;
        const def = parseTagDefinition(text);
        expect(def).toEqual({
          name: n,
          type: t,
          elements: size ?? 1,
          ...(size === null ? {} : { array: true }),
        });
      }),
    );
  });

  it("never throws anything but InvalidTagError on arbitrary text (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseTagDefinition(text);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidTagError);
        }
      }),
    );
  });
});

describe("parseNumber", () => {
  it("reads decimal, hex, octal and binary, and nothing else", () => {
    expect([parseNumber("10"), parseNumber("0x1f"), parseNumber("0o17"), parseNumber("0b101")]).toEqual([
      10, 31, 15, 5,
    ]);
    for (const bad of ["", "-1", "1.5", "0x", "1e3", "abc", "0b2"]) expect(parseNumber(bad)).toBeUndefined();
  });
});

describe("TagTable", () => {
  const table = (): TagTable => new TagTable(new TypeRegistry());

  it("stores one byte buffer per tag, elements × element size", () => {
    const t = table();
    expect(t.define("SCADA=INT[1000]").bytes.length).toBe(2000);
    expect(t.define("NAME=STRING[2]").bytes.length).toBe(176);
    expect(t.define("B=BOOL").bytes.length).toBe(1);
  });

  it("keeps Logix STRING as the 88-byte structure with handle 0x0FCE and SSTRING as CIP 0xDA", () => {
    const t = table();
    const s = t.define("NAME=STRING");
    expect([s.typeCode, s.structureHandle, s.elementSize]).toEqual([0x02a0, 0x0fce, 88]);
    const ss = t.define("TEXT=SHORT_STRING");
    expect([ss.typeCode, ss.structureHandle, ss.typeName]).toEqual([0xda, undefined, "SSTRING"]);
  });

  it("sets initial values and reads them back", () => {
    const t = table();
    const tag = t.define({ name: "X", type: "REAL", elements: 3, values: [1.5, -2] });
    expect(tag.values()).toEqual([1.5, -2, 0]);
    expect(() => t.define({ name: "Y", type: "SINT", values: [300] })).toThrow(/initial values/);
  });

  it("refuses duplicate names in any letter case", () => {
    const t = table();
    t.define("Motor=INT");
    expect(() => t.define("MOTOR=DINT")).toThrow(/already exists/);
  });

  it("lists names in creation order, aliases included, and iterates distinct tags", () => {
    const t = table();
    t.define("A@0x99/1/1=INT");
    t.define("B=DINT");
    t.define("C@0x99/1/1=INT");
    expect(t.names()).toEqual(["A", "B", "C"]);
    expect([...t].map((tag) => tag.name)).toEqual(["A", "B"]);
    expect(t.get("c")).toBe(t.get("A"));
  });

  it("keeps program-scoped tags under their program for browsing", () => {
    const t = table();
    t.define("Top=INT");
    const local = t.define("Program:Main.Count=DINT");
    expect(t.get("program:main.count")).toBe(local);
    expect(t.symbols().map((s) => s.name)).toEqual(["Top", "Program:Main"]);
    expect(t.symbols("program:main").map((s) => s.name)).toEqual(["Count"]);
    expect(t.symbol(local.instance)?.tag).toBe(local);
  });

  it("describes tags as cpppo's web view does", () => {
    const t = table();
    expect(t.define("SCADA=INT[1000]").describe()).toBe(
      "SCADA          INT[1000] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, …]",
    );
    const f = t.define("FLOAT=REAL");
    f.setValues(0, [1.5]);
    expect(f.describe()).toBe("FLOAT          REAL == 1.5");
    expect(t.define("S=STRING[1]").describe()).toBe('S              STRING[1] == [""]');
  });

  it("refuses values outside a tag with InvalidArgumentError", () => {
    const tag = table().define("X=INT[2]");
    expect(() => tag.values(1, 2)).toThrow(InvalidArgumentError);
    expect(() => tag.setValues(2, [1])).toThrow(InvalidArgumentError);
    expect(() => tag.setValues(0, ["x"])).toThrow(InvalidArgumentError);
  });
});
