import {
  type CipReply,
  decodeTemplateAttributes,
  decodeTemplateDefinition,
  decodeValues,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getInstanceAttributeListRequest,
  INT,
  parseEPath,
  Reader,
  readTagRequest,
  readTemplateRequest,
  type SymbolInstance,
  templateFromJson,
  toHex,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { hexOf as h, run } from "./support/controller.js";
import { EXAMPLE_SENSOR_UDT, exampleSensorDump, exampleSensorValues } from "./support/fixtures.js";

const sensorJson = EXAMPLE_SENSOR_UDT;
const path = (text: string) => parseEPath(text);

function plant(): Controller {
  return new Controller({
    udts: [sensorJson],
    tags: [
      "SCADA=INT[1000]",
      "FLOAT=REAL",
      "NAME=STRING",
      "Sensors=Example_SENSOR[4]",
      "Flag=BOOL",
      "Program:MainProgram.Count=DINT",
      "Program:MainProgram.Names=STRING[3]",
      "TEXT=SSTRING",
    ],
  });
}

function instances(reply: CipReply): SymbolInstance[] {
  if (reply.kind !== "getInstanceAttributeList") throw new Error(`symbol list expected, got ${reply.kind}`);
  return reply.instances ?? [];
}

/** Lists a scope the way st-ethernet-ip does: from instance 0, again from the last instance + 1 while 0x06 says more. */
function browse(
  c: Controller,
  attributes: number[],
  program?: string,
  replyLimit?: number,
): { pages: number; all: SymbolInstance[] } {
  const all: SymbolInstance[] = [];
  let start = 0;
  for (let pages = 1; pages < 1000; pages++) {
    const x = run(
      c,
      getInstanceAttributeListRequest(start, attributes, program),
      replyLimit ? { replyLimit } : undefined,
    );
    const got = instances(x.reply);
    all.push(...got);
    if (x.reply.generalStatus === 0) return { pages, all };
    expect(x.reply.generalStatus).toBe(0x06);
    start = (got[got.length - 1] as SymbolInstance).instance + 1;
  }
  throw new Error("browsing did not end");
}

describe("Symbol object 0x6B: Get Instance Attribute List 0x55", () => {
  it("lists controller-scoped tags and programs with names and symbol type words", () => {
    const c = plant();
    const { all } = browse(c, [1, 2]);
    const byName = Object.fromEntries(all.map((s) => [s.attributes[0]?.value, s.attributes[1]?.value]));
    const sensorTemplate = c.types.get("Example_SENSOR")?.templateId as number;
    expect(byName).toEqual({
      SCADA: 0x20c3,
      FLOAT: 0xca,
      NAME: 0x8fce,
      Sensors: 0xa000 | sensorTemplate,
      Flag: 0xc1,
      "Program:MainProgram": 0x1068,
      TEXT: 0xda,
    });
    expect(all.map((s) => s.instance)).toEqual([...all.map((s) => s.instance)].sort((a, b) => a - b));
    expect(all.find((s) => s.attributes[0]?.value === "SCADA")?.instance).toBe(
      c.tags.require("SCADA").instance,
    );
  });

  it("answers pycomm3's attributes 1, 2, 3, 5, 6, 8 and libplctag's element size 7", () => {
    const c = plant();
    const [first] = instances(run(c, getInstanceAttributeListRequest(0, [1, 2, 3, 5, 6, 7, 8])).reply);
    const values = Object.fromEntries((first as SymbolInstance).attributes.map((a) => [a.id, a.value]));
    expect(values[1]).toBe("SCADA");
    expect(values[7]).toBe(2);
    expect(values[8]).toEqual([1000, 0, 0]);
    expect(typeof values[3]).toBe("number");
    expect(((values[6] as number) >>> 24) & 0xff).toBe(0x04);
  });

  it("lists a program's tags under the Program:Name symbolic prefix", () => {
    const c = plant();
    const { all } = browse(c, [1, 2, 8], "Program:MainProgram");
    expect(all.map((s) => s.attributes.map((a) => a.value))).toEqual([
      ["Count", 0xc4, [0, 0, 0]],
      ["Names", 0xafce, [3, 0, 0]],
    ]);
    const unknown = run(c, getInstanceAttributeListRequest(0, [1], "Program:Nope"));
    expect(unknown.hex).toBe(h("d5 00 04 01 00 00"));
  });

  it("continues across 0x06 partial replies, whole records each, until every tag is listed once", () => {
    const names = Array.from({ length: 300 }, (_, i) => `Tag_${String(i).padStart(3, "0")}_with_a_long_name`);
    const c = new Controller({ tags: names.map((n) => `${n}=DINT`) });
    const { pages, all } = browse(c, [1, 2]);
    expect(pages).toBeGreaterThan(10);
    expect(all.map((s) => s.attributes[0]?.value)).toEqual(names);
    const big = browse(c, [1, 2], undefined, 4000);
    expect(big.pages).toBeLessThan(pages);
    expect(big.all.length).toBe(300);
  });

  it("answers an unsupported attribute with 0x14", () => {
    expect(run(plant(), getInstanceAttributeListRequest(0, [1, 42])).hex).toBe(h("d5 00 14 00"));
  });

  it("answers Get Attribute Single on a symbol instance (name, type, dimensions)", () => {
    const c = plant();
    const n = c.tags.require("SCADA").instance;
    expect(run(c, getAttributeSingleRequest(path(`@0x6b/${n}/1`))).hex).toBe(
      h(`8e 00 00 00 05 00 ${toHex(new TextEncoder().encode("SCADA"))}`),
    );
    expect(run(c, getAttributeSingleRequest(path(`@0x6b/${n}/2`))).hex).toBe(h("8e 00 00 00 c3 20"));
    expect(run(c, getAttributeSingleRequest(path(`@0x6b/${n}/8`))).hex).toBe(
      h("8e 00 00 00 e8 03 00 00 00 00 00 00 00 00 00 00"),
    );
  });
});

describe("Symbol Instance Addressing (@0x6B/<instance>), as pycomm3 uses on v21+", () => {
  it("reads a tag, an element and a member by instance id", () => {
    const c = plant();
    c.tags.require("SCADA").setValues(3, [33, 44]);
    const n = c.tags.require("SCADA").instance;
    const x = run(c, readTagRequest([{ class: 0x6b }, { instance: n }, { element: 3 }], 2));
    expect(decodeValues(INT, (x.reply as { data: Uint8Array }).data)).toEqual([33, 44]);
    const s = c.tags.require("Sensors").instance;
    const member = run(
      c,
      readTagRequest([{ class: 0x6b }, { instance: s }, { element: 1 }, { symbolic: "SENSOR_ID" }]),
    );
    expect(member.reply).toMatchObject({ generalStatus: 0, type: 0xc4 });
    expect(run(c, readTagRequest([{ class: 0x6b }, { instance: 9999 }])).hex).toBe(h("cc 00 04 01 00 00"));
  });
});

describe("Template object 0x6C", () => {
  const sensor = templateFromJson(sensorJson);

  function attributes(c: Controller, id: number, order: number[]) {
    const x = run(c, getAttributeListRequest(path(`@0x6c/${id}`), order));
    expect(x.reply.generalStatus).toBe(0);
    return { bytes: x.bytes, decoded: decodeTemplateAttributes(new Reader(x.bytes, 4)) };
  }

  it("answers attributes 4, 5, 2, 1 in the order asked (st-ethernet-ip reads them at fixed offsets)", () => {
    const c = plant();
    const id = c.types.get("Example_SENSOR")?.templateId as number;
    const { bytes, decoded } = attributes(c, id, [4, 5, 2, 1]);
    expect(decoded).toMatchObject({
      structureHandle: 36345,
      memberCount: 46,
      structureSize: 600,
      failed: [],
    });
    const data = Buffer.from(bytes.subarray(4));
    expect([
      data.readUInt32LE(6),
      data.readUInt32LE(14),
      data.readUInt16LE(22),
      data.readUInt16LE(28),
    ]).toEqual([decoded.definitionWords, 600, 46, 36345]);
  });

  it("answers pylogix's attributes 4, 3, 2, 1 so that its fixed offsets find the size and the member count", () => {
    const c = plant();
    const id = c.types.get("Example_SENSOR")?.templateId as number;
    const x = run(c, getAttributeListRequest(path(`@0x6c/${id}`), [4, 3, 2, 1]));
    const block = Buffer.from(x.bytes);
    const { decoded } = attributes(c, id, [4, 5, 2, 1]);
    expect([block.readUInt32LE(10), block.readUInt16LE(24)]).toEqual([decoded.definitionWords, 46]);
  });

  it.each([
    ["st-ethernet-ip", 16],
    ["pycomm3", 21],
    ["1756-PM020", 23],
  ])("returns the definition in 0x06 pieces to %s's byte count (words × 4 − %i)", (_client, less) => {
    const c = plant();
    const id = c.types.get("Example_SENSOR")?.templateId as number;
    const { decoded } = attributes(c, id, [4, 5, 2, 1]);
    const total = (decoded.definitionWords as number) * 4 - less;
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (let round = 0; round < 20; round++) {
      const x = run(c, readTemplateRequest(id, total - offset, offset));
      if (x.reply.kind !== "readTemplate")
        throw new Error(`Read Template reply expected, got ${x.reply.kind}`);
      chunks.push(x.reply.data);
      offset += x.reply.data.length;
      if (x.reply.generalStatus === 0) break;
      expect(x.reply.generalStatus).toBe(0x06);
      expect(x.reply.data.length).toBe(488);
    }
    const joined = Buffer.concat(chunks);
    const template = decodeTemplateDefinition(new Reader(joined), {
      memberCount: decoded.memberCount as number,
      structureHandle: decoded.structureHandle as number,
      structureSize: decoded.structureSize as number,
    });
    expect(template.name).toBe("Example_SENSOR");
    expect(template.members.map((m) => [m.name, m.offset, m.type, m.arrayLength, m.bit])).toEqual(
      sensor.members.map((m) => [m.name, m.offset, m.type, m.arrayLength, m.bit]),
    );
    const nested = template.members.find((m) => m.name === "SENSOR_Name");
    expect(nested?.templateId).toBe(0x0fce);
  });

  it("describes the built-in STRING at instance 0x0FCE", () => {
    const c = plant();
    const { decoded } = attributes(c, 0x0fce, [1, 2, 4, 5]);
    expect(decoded).toMatchObject({ structureHandle: 0x0fce, memberCount: 2, structureSize: 88 });
    const x = run(c, readTemplateRequest(0x0fce, 100));
    const t = decodeTemplateDefinition(new Reader((x.reply as { data: Uint8Array }).data), {
      memberCount: 2,
      structureHandle: 0x0fce,
      structureSize: 88,
    });
    expect(t.members.map((m) => [m.name, m.type, m.arrayLength])).toEqual([
      ["LEN", 0xc4, undefined],
      ["DATA", 0xc2, 82],
    ]);
  });

  it("describes UDTs registered after the controller was made", () => {
    const c = new Controller();
    const type = c.types.defineUdt(sensorJson);
    const { decoded } = attributes(c, type.templateId as number, [1, 2, 5]);
    expect(decoded).toMatchObject({ structureHandle: 36345, memberCount: 46, structureSize: 600 });
    expect(run(c, getAttributeListRequest(path("@0x6c/0"), [2, 3])).hex).toBe(
      h("83 00 00 00 02 00 02 00 00 00 ce 0f 03 00 00 00 02 00"),
    );
  });

  it("answers an unknown template with 0x05 and an offset past the end with 0xFF/0x2105", () => {
    const c = plant();
    expect(run(c, readTemplateRequest(0x0ab, 10)).reply.generalStatus).toBe(0x05);
    expect(run(c, getAttributeListRequest(path("@0x6c/0xab"), [1])).hex).toBe(h("83 00 05 01 00 00"));
    expect(run(c, readTemplateRequest(0x0fce, 10, 5000)).hex).toBe(h("cc 00 ff 01 05 21"));
  });
});

describe("st-ethernet-ip's own parsers read the browsing replies", () => {
  interface StTagList {
    tags: {
      id: number;
      name: string;
      type: { code: number; structure: boolean; arrayDims: number; typeName: string | null };
      program: string | null;
    }[];
    templates: Record<number, StTemplate>;
    _parseAttributeListResponse(data: Buffer, program: string | null): number;
    _getTagTypeNames(): void;
  }
  interface StTemplate {
    _attributes: {
      id: number | null;
      ObjDefinitionSize: number;
      StructureSize: number;
      MemberCount: number;
      StructureHandle: number;
    };
    _members: { name: string; offset: number; info: number; type: { code: number; structure: boolean } }[];
    _name: string;
    _parseReadTemplateAttributes(data: Buffer): void;
    _parseReadTemplate(data: Buffer): void;
  }
  const TagList = require("st-ethernet-ip/dist/tag-list").default as new () => StTagList;
  const { Template, Structure } = require("st-ethernet-ip/dist/structure") as {
    Template: new () => StTemplate;
    Structure: new (
      name: string,
      list: StTagList,
    ) => { _parseReadData(data: Buffer, t: StTemplate): Record<string, unknown> };
  };
  const vals = exampleSensorValues();
  const body = (bytes: Uint8Array, header = 4): Buffer => Buffer.from(bytes.subarray(header));

  /** What st-ethernet-ip's getControllerTags does, each request answered by the controller. */
  function upload(c: Controller): StTagList {
    const list = new TagList();
    for (const program of [undefined, "MainProgram"]) {
      let start = 0;
      for (;;) {
        const x = run(c, getInstanceAttributeListRequest(start, [1, 2], program && `Program:${program}`));
        const last = list._parseAttributeListResponse(body(x.bytes), program ?? null);
        if (x.reply.generalStatus !== 0x06) break;
        start = last + 1;
      }
    }
    for (const tag of list.tags.filter((t) => t.type.structure)) {
      const code = tag.type.code;
      if (list.templates[code]) continue;
      const template = new Template();
      template._attributes.id = code;
      template._parseReadTemplateAttributes(
        body(run(c, getAttributeListRequest(path(`@0x6c/${code}`), [4, 5, 2, 1])).bytes),
      );
      const total = template._attributes.ObjDefinitionSize * 4 - 16;
      const chunks: Buffer[] = [];
      for (let offset = 0; ; ) {
        const x = run(c, readTemplateRequest(code, total - offset, offset));
        chunks.push(body(x.bytes));
        offset += x.bytes.length - 4;
        if (x.reply.generalStatus !== 0x06) break;
      }
      template._parseReadTemplate(Buffer.concat(chunks));
      list.templates[code] = template;
    }
    list._getTagTypeNames();
    return list;
  }

  it("lists every tag with its type name, programs included, and decodes the templates", () => {
    const c = plant();
    const list = upload(c);
    const names = list.tags.map((t) => `${t.program ?? ""}/${t.name}:${t.type.typeName}`);
    expect(names).toEqual([
      "/SCADA:INT",
      "/FLOAT:REAL",
      "/NAME:STRING",
      "/Sensors:Example_SENSOR",
      "/Flag:BOOL",
      "/Program:MainProgram:null",
      "/TEXT:SHORT_STRING",
      "MainProgram/Count:DINT",
      "MainProgram/Names:STRING",
    ]);
    const sensor = list.templates[c.types.get("Example_SENSOR")?.templateId as number] as StTemplate;
    expect(sensor._name).toBe("Example_SENSOR");
    expect(sensor._attributes).toMatchObject({ StructureSize: 600, MemberCount: 46, StructureHandle: 36345 });
    expect(sensor._members.map((m) => [m.name, m.offset])).toEqual(
      templateFromJson(sensorJson).members.map((m) => [m.name, m.offset]),
    );
  });

  it("decodes a structure value the controller serves into the fixture's values", () => {
    const c = plant();
    const dump = exampleSensorDump();
    c.tags.require("Sensors").bytes.set(dump.subarray(0, 4 * 600));
    const list = upload(c);
    const first = run(c, readTagRequest(path("Sensors[2]")));
    const rest = run(c, {
      kind: "readTagFragmented",
      service: 0x52,
      path: path("Sensors[2]"),
      elements: 1,
      offset: 488,
    });
    const data = Buffer.concat([body(first.bytes, 8), body(rest.bytes, 8)]);
    const structure = new Structure("Sensors", list);
    const template = list.templates[c.types.get("Example_SENSOR")?.templateId as number] as StTemplate;
    const value = structure._parseReadData(data, template);
    const want = vals[2] as Record<string, unknown>;
    for (const key of [
      "SENSOR_ID",
      "SENSOR_Name",
      "SENSOR_Location",
      "SENSOR_Valid_Data",
      "SENSOR_Analog_Raw",
      "ISOLATOR_TRIP_LIST",
    ])
      expect(value[key]).toEqual(want[key]);
  });
});
