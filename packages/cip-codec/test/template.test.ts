import { readFileSync } from "node:fs";
import fc from "fast-check";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import {
  decodeTemplateAttributes,
  decodeTemplateDefinition,
  encodeTemplateAttributes,
  encodeTemplateDefinition,
  isLogixStringTemplate,
  type JsonDataType,
  type StructTemplate,
  type StructValue,
  sizeOfTemplateAttributes,
  sizeOfTemplateDefinition,
  structType,
  type TemplateAttributes,
  templateFromJson,
} from "../src/types/template.js";
import { decodeValues, encodeValues } from "../src/types/types.js";
import { fixturePath } from "./support/vectors.js";

const tags = JSON.parse(readFileSync(fixturePath("ExampleSensor-tags.json"), "utf8")) as Record<
  string,
  { data_type: JsonDataType | string; template_instance_id?: number }
>;
const vals = JSON.parse(readFileSync(fixturePath("ExampleSensor-vals.json"), "utf8")) as Record<
  string,
  unknown
>[];
const enip = JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8")) as {
  name: string;
  hex: string;
}[];

/** The hexdump's `offset:  hex bytes  |ascii|` lines, joined into bytes. */
function loadHexdump(): Uint8Array {
  let hex = "";
  for (const line of readFileSync(fixturePath("ExampleSensor.hexdump"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    hex += line.slice(line.indexOf(":") + 1, line.indexOf("|"));
  }
  return fromHex(hex);
}

const RECORD_SIZE = 600;
const sensorJson = tags.Input_MSG_ExampleSensor?.data_type as JsonDataType;
const sensor = templateFromJson(sensorJson);
const sensorType = structType(sensor);
const dump = loadHexdump();

/** Compares a decoded record with its vals.json entry: REAL within 1e-6 relative, LINT as bigint. */
function expectRecord(got: StructValue, want: Record<string, unknown>, where: string): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, expected] of Object.entries(want)) {
    const actual = got[name];
    const member = sensorJson.internal_tags[name];
    if (member?.data_type === "REAL") {
      const e = expected as number;
      const ok = Math.abs((actual as number) - e) <= 1e-6 * Math.abs(e);
      if (!ok) throw new Error(`${where}.${name}: ${actual} is not ${e}`);
    } else if (member?.data_type === "LINT") {
      expect(actual).toBe(BigInt(expected as number));
    } else {
      expect([where, name, actual]).toEqual([where, name, expected]);
    }
  }
}

/** `record` with the bytes after each Logix STRING's characters zeroed, as the encoder writes them. */
function cleanStrings(record: Uint8Array): Uint8Array {
  const out = Uint8Array.from(record);
  const view = new DataView(out.buffer);
  for (const m of sensor.members) {
    if (!m.template || !isLogixStringTemplate(m.template)) continue;
    const len = view.getInt32(m.offset, true);
    out.fill(0, m.offset + 4 + len, m.offset + m.template.size);
  }
  return out;
}

describe("ExampleSensor template from the JSON form", () => {
  it("has the layout of ExampleSensor-tags.json", () => {
    expect(sensor.name).toBe("Example_SENSOR");
    expect(sensor.handle).toBe(0x8df9);
    expect(sensor.size).toBe(RECORD_SIZE);
    expect(sensor.members).toHaveLength(sensorJson.template.member_count as number);
    expect(sensor.members.filter((m) => m.hidden).map((m) => m.name)).toEqual([
      "ZZZZZZZZZZExample_S6",
      "ZZZZZZZZZZExample_S26",
      "ZZZZZZZZZZExample_S32",
      "ZZZZZZZZZZExample_S36",
    ]);
    const name = sensor.members.find((m) => m.name === "SENSOR_Name");
    expect(name?.template && isLogixStringTemplate(name.template)).toBe(true);
    expect(name?.template?.handle).toBe(0x0fce);
    expect(sensor.members.find((m) => m.name === "SENSOR_Alarm_3")).toMatchObject({
      type: 0xc1,
      offset: 444,
      bit: 3,
    });
    expect(sensor.members.find((m) => m.name === "ISOLATOR_TRIP_LIST")).toMatchObject({
      type: 0xc3,
      arrayLength: 10,
    });
  });

  it("the hexdump holds 360 records", () => {
    expect(dump.length).toBe(360 * RECORD_SIZE);
    expect(vals).toHaveLength(360);
  });

  it("decodes every record of the hexdump to its vals.json entry", () => {
    const records = decodeValues(sensorType, dump);
    expect(records).toHaveLength(360);
    records.forEach((record, i) => {
      expectRecord(record, vals[i] as Record<string, unknown>, `record ${i}`);
    });
  });

  it("re-encodes every record to its bytes, except the junk after each STRING's characters", () => {
    const records = decodeValues(sensorType, dump);
    const again = encodeValues(sensorType, records);
    for (let i = 0; i < 360; i++) {
      const original = dump.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE);
      const encoded = again.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE);
      expect([i, toHex(encoded)]).toEqual([i, toHex(cleanStrings(original))]);
    }
    // Only the string tails differ: 28 bytes in record 0, as the vectors README says.
    const first = again.subarray(0, RECORD_SIZE);
    expect(first.filter((b, k) => b !== dump[k]).length).toBe(28);
  });

  it("udt_example_sensor_record0 is record 0 re-encoded", () => {
    const v = enip.find((e) => e.name === "udt_example_sensor_record0") as { hex: string };
    expect(
      toHex(
        encodeValues(sensorType, [decodeValues(sensorType, dump.subarray(0, RECORD_SIZE))[0] as StructValue]),
      ),
    ).toBe(v.hex);
    expectRecord(
      decodeValues(sensorType, fromHex(v.hex))[0] as StructValue,
      vals[0] as Record<string, unknown>,
      "vector",
    );
  });

  it("rfg_gg0_rpy's 488 data bytes are the start of the hexdump", () => {
    const v = enip.find((e) => e.name === "rfg_gg0_rpy") as { hex: string };
    expect(v.hex.endsWith(toHex(dump.subarray(0, 488)))).toBe(true);
  });

  it("refuses values it cannot encode", () => {
    const value = decodeValues(sensorType, dump.subarray(0, RECORD_SIZE))[0] as StructValue;
    expect(() => encodeValues(sensorType, [{ ...value, SENSOR_Alarm_1: 1 }])).toThrow(CipEncodeError);
    expect(() => encodeValues(sensorType, [{ ...value, ISOLATOR_TRIP_LIST: [1, 2] }])).toThrow(
      CipEncodeError,
    );
    const { SENSOR_ID: _, ...missing } = value;
    expect(() => encodeValues(sensorType, [missing])).toThrow(CipEncodeError);
    expect(() => encodeValues(sensorType, [{ ...value, SENSOR_Name: "x".repeat(83) }])).toThrow(
      CipEncodeError,
    );
  });

  it("reads short input as a CipDecodeError", () => {
    expect(() => decodeValues(sensorType, dump.subarray(0, RECORD_SIZE - 1), 1)).toThrow(CipDecodeError);
  });
});

describe("template definition (Read Template data)", () => {
  /** The JSON template with template ids on its STRING members: the id of STRING is the `Location` tag's. */
  function withIds(t: StructTemplate): StructTemplate {
    const stringId = tags.Location?.template_instance_id as number;
    return {
      ...t,
      nameSuffix: ";n",
      members: t.members.map((m) => (m.template ? { ...m, templateId: stringId } : m)),
    };
  }

  it("a hand-assembled four-member definition three ways, and its codec", () => {
    // Template "PAIR" (handle 0x1234, 28 bytes): member infos are info UINT, type UINT, offset UDINT
    const hex = [
      "0000" + "c400" + "00000000", // A: info 0, DINT, offset 0
      "0000" + "c200" + "04000000", // ZZZZZZZZZZPAIR1: the hidden SINT host of FLAG, offset 4
      "0300" + "c100" + "04000000", // FLAG: bit 3, BOOL, offset 4
      "0a00" + "c320" + "06000000", // LIST: 10 elements, INT with the 1-D array flag 0x2000, offset 6
    ].join("");
    const names = "PAIR;n\0A\0ZZZZZZZZZZPAIR1\0FLAG\0LIST\0";
    const bytes = new Uint8Array([...fromHex(hex), ...Array.from(names, (c) => c.charCodeAt(0))]);
    const t = decodeTemplateDefinition(new Reader(bytes), {
      memberCount: 4,
      structureHandle: 0x1234,
      structureSize: 28,
    });
    expect(t).toEqual({
      name: "PAIR",
      nameSuffix: ";n",
      handle: 0x1234,
      size: 28,
      members: [
        { name: "A", type: 0xc4, offset: 0, hidden: false },
        { name: "ZZZZZZZZZZPAIR1", type: 0xc2, offset: 4, hidden: true },
        { name: "FLAG", type: 0xc1, offset: 4, bit: 3, hidden: false },
        { name: "LIST", type: 0xc3, offset: 6, arrayLength: 10, hidden: false },
      ],
    });
    const w = new Writer(sizeOfTemplateDefinition(t));
    encodeTemplateDefinition(w, t);
    expect(toHex(w.finish())).toBe(toHex(bytes));
    const type = structType(t);
    const value = { A: -2, FLAG: true, LIST: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
    const data = encodeValues(type, [value]);
    expect(toHex(data.subarray(0, 8))).toBe("feffffff08000100");
    expect(decodeValues(type, data)).toEqual([value]);
  });

  it("Example_SENSOR: built from the JSON, encoded, and decoded back", () => {
    const t = withIds(sensor);
    const w = new Writer(sizeOfTemplateDefinition(t));
    encodeTemplateDefinition(w, t);
    const bytes = w.finish();
    // 46 member infos of 8 bytes, then "Example_SENSOR;n" and 46 names, each NUL-terminated
    expect(bytes.length).toBe(46 * 8 + t.members.reduce((n, m) => n + m.name.length + 1, 17));
    const back = decodeTemplateDefinition(new Reader(bytes), {
      memberCount: 46,
      structureHandle: t.handle,
      structureSize: t.size,
    });
    const strip = (x: StructTemplate) => x.members.map(({ template: _, ...m }) => m);
    expect(back.name).toBe("Example_SENSOR");
    expect(back.nameSuffix).toBe(";n");
    expect(back.members.map((m) => m.name)).toEqual(t.members.map((m) => m.name));
    expect(strip(back)).toEqual(strip(t));
    // The decoded template, with STRING resolved by its id, reads the hexdump like the JSON one.
    const stringTemplate = sensor.members.find((m) => m.template)?.template as StructTemplate;
    const resolved = structType(back, { resolve: (id) => (id === 4046 ? stringTemplate : undefined) });
    expect(decodeValues(resolved, dump.subarray(0, RECORD_SIZE * 3))).toEqual(
      decodeValues(sensorType, dump.subarray(0, RECORD_SIZE * 3)),
    );
    expect(() => structType(back)).toThrow(CipDecodeError);
  });

  it("rejects bad definitions", () => {
    expect(() =>
      decodeTemplateDefinition(new Reader(new Uint8Array(7)), {
        memberCount: 1,
        structureHandle: 1,
        structureSize: 4,
      }),
    ).toThrow(CipDecodeError);
    expect(() =>
      decodeTemplateDefinition(new Reader(new Uint8Array(80000)), {
        memberCount: 5000,
        structureHandle: 1,
        structureSize: 4,
      }),
    ).toThrow(CipDecodeError);
    // Names end before the second member's.
    const short = new Uint8Array([...new Uint8Array(16), ...Array.from("T\0A\0", (c) => c.charCodeAt(0))]);
    expect(() =>
      decodeTemplateDefinition(new Reader(short), { memberCount: 2, structureHandle: 1, structureSize: 4 }),
    ).toThrow(CipDecodeError);
  });

  it("rejects inconsistent templates when building a codec", () => {
    const base: StructTemplate = { name: "T", handle: 1, size: 4, members: [] };
    const bad: StructTemplate[] = [
      { ...base, members: [{ name: "X", type: 0xc4, offset: 2, hidden: false }] },
      { ...base, members: [{ name: "X", type: 0xc1, offset: 4, bit: 0, hidden: false }] },
      { ...base, members: [{ name: "X", type: 0xd0, offset: 0, hidden: false }] },
      { ...base, members: [{ name: "X", type: 0x02a0, templateId: 7, offset: 0, hidden: false }] },
    ];
    for (const t of bad) expect(() => structType(t)).toThrow(CipDecodeError);
    const selfNested: StructTemplate = { ...base, size: 0, members: [] };
    selfNested.members.push({ name: "X", type: 0x02a0, template: selfNested, offset: 0, hidden: false });
    expect(() => structType(selfNested)).toThrow(CipDecodeError);
  });

  it("random bytes decode to a definition or a CipDecodeError", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.integer({ min: 0, max: 20 }),
        (bytes, memberCount) => {
          try {
            decodeTemplateDefinition(new Reader(bytes), {
              memberCount,
              structureHandle: 1,
              structureSize: 8,
            });
          } catch (e) {
            expect(e).toBeInstanceOf(CipDecodeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("template attributes (Get Attribute List reply data)", () => {
  it("three ways", () => {
    // count 4; attr 1 handle 0x8DF9; attr 2 members 46; attr 4 379 words; attr 5 600 bytes
    const hex = [
      "0400", // count 4
      "0100" + "0000" + "f98d", // attribute 1, status 0, handle 0x8DF9
      "0200" + "0000" + "2e00", // attribute 2, status 0, 46 members
      "0400" + "0000" + "7b010000", // attribute 4, status 0, 379 words
      "0500" + "0000" + "58020000", // attribute 5, status 0, 600 bytes
    ].join("");
    const attrs: TemplateAttributes = {
      structureHandle: 0x8df9,
      memberCount: 46,
      definitionWords: 379,
      structureSize: 600,
      failed: [],
    };
    expect(decodeTemplateAttributes(new Reader(fromHex(hex)))).toEqual(attrs);
    const w = new Writer(sizeOfTemplateAttributes(attrs));
    encodeTemplateAttributes(w, attrs);
    expect(toHex(w.finish())).toBe(hex);
  });

  it("keeps failed attributes as data, in any order", () => {
    const hex = [
      "0300", // count 3
      "0500" + "0000" + "58020000", // attribute 5, status 0, 600 bytes
      "0400" + "1400", // attribute 4, status 0x14 (attribute not supported): no value
      "0100" + "0000" + "ce0f", // attribute 1, status 0, handle 0x0FCE
    ].join("");
    expect(decodeTemplateAttributes(new Reader(fromHex(hex)))).toEqual({
      structureSize: 600,
      structureHandle: 0x0fce,
      failed: [{ attribute: 4, status: 0x14 }],
    });
  });

  it("rejects an attribute it cannot size", () => {
    expect(() => decodeTemplateAttributes(new Reader(fromHex("0100030000000000")))).toThrow(CipDecodeError);
    expect(() => decodeTemplateAttributes(new Reader(fromHex("ffff")))).toThrow(CipDecodeError);
  });
});
