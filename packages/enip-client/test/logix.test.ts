// Logix data against the real simulator: tag list upload (controller and program scope), structure templates read
// over the wire and decoded into named members (checked against the ExampleSensor fixture's known values), and
// Logix STRING as text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex, type JsonDataType, LOGIX_STRING_HANDLE } from "@cpppo/cip-codec";
import { Controller, type EnipServer } from "@cpppo/enip-server";
import fc from "fast-check";
import { EnipClient } from "../src/client.js";
import { InvalidArgumentError } from "../src/core/errors.js";
import {
  decodeSymbolType,
  listTags,
  loadTags,
  readString,
  readTemplate,
  templateCache,
  writeString,
} from "../src/operations/logix.js";
import { startSimulator } from "./support/simulator.js";

const FIXTURES = join(__dirname, "../../cip-codec/fixtures");
const tagsJson = JSON.parse(readFileSync(join(FIXTURES, "ExampleSensor-tags.json"), "utf8")) as Record<
  string,
  { data_type: JsonDataType }
>;
const vals = JSON.parse(readFileSync(join(FIXTURES, "ExampleSensor-vals.json"), "utf8")) as Record<
  string,
  unknown
>[];
const sensorJson = tagsJson.Input_MSG_ExampleSensor?.data_type as JsonDataType;

function hexdump(): Uint8Array {
  let hex = "";
  for (const line of readFileSync(join(FIXTURES, "ExampleSensor.hexdump"), "utf8").split("\n"))
    if (line.trim()) hex += line.slice(line.indexOf(":") + 1, line.indexOf("|"));
  return fromHex(hex.replace(/\s+/g, ""));
}

/** The fixture's values are JSON numbers; LINT members decode as bigint. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
}

let server: EnipServer;
let client: EnipClient;

beforeAll(async () => {
  const controller = new Controller({
    udts: [sensorJson],
    tags: [
      "Input_MSG_ExampleSensor=Example_SENSOR[360]",
      "NAME=STRING",
      "NAMES=STRING[3]",
      "SCADA=INT[1000]",
      "Program:Main.Local=INT[3]",
      "Program:Main.Count=DINT",
      "Program:Other.Flag=BOOL",
    ],
  });
  controller.tags.require("Input_MSG_ExampleSensor").bytes.set(hexdump());
  const sim = await startSimulator(controller);
  server = sim.server;
  client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe("symbol types", () => {
  test("known words decode into type, template, dimensions and bit", () => {
    expect(decodeSymbolType(0x00c3)).toEqual({ type: 0xc3, system: false, dimensionCount: 0 });
    expect(decodeSymbolType(0x20c4)).toEqual({ type: 0xc4, system: false, dimensionCount: 1 });
    expect(decodeSymbolType(0x8fce)).toEqual({
      type: 0x2a0,
      templateId: 0xfce,
      system: false,
      dimensionCount: 0,
    });
    expect(decodeSymbolType(0x05c1)).toEqual({ type: 0xc1, bit: 5, system: false, dimensionCount: 0 });
    expect(decodeSymbolType(0x10c4).system).toBe(true);
  });

  test("property: the fields are the bits of the word", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (word) => {
        const t = decodeSymbolType(word);
        expect(t.dimensionCount).toBe((word >> 13) & 3);
        expect(t.system).toBe((word & 0x1000) !== 0);
        if (word & 0x8000) expect(t.templateId).toBe(word & 0xfff);
        else expect(t.type).toBe(word & 0xff);
      }),
    );
  });
});

describe("tag list upload", () => {
  test("controller tags, then program-scoped ones named Program:X.Tag, with dimensions and types", async () => {
    const tags = await listTags(client);
    const byName = new Map(tags.map((t) => [t.name, t]));
    expect(byName.get("SCADA")).toMatchObject({ type: 0xc3, dimensions: [1000], system: false });
    expect(byName.get("NAME")).toMatchObject({
      type: 0x2a0,
      templateId: LOGIX_STRING_HANDLE,
      dimensions: [],
    });
    expect(byName.get("NAMES")?.dimensions).toEqual([3]);
    expect(byName.get("Input_MSG_ExampleSensor")).toMatchObject({ type: 0x2a0, dimensions: [360] });
    expect(byName.get("Program:Main.Local")).toMatchObject({
      type: 0xc3,
      dimensions: [3],
      program: "Program:Main",
    });
    expect(byName.get("Program:Main.Count")).toMatchObject({ type: 0xc4, program: "Program:Main" });
    expect(byName.get("Program:Other.Flag")?.type).toBe(0xc1);
    expect([...byName.keys()].some((n) => n === "Program:Main")).toBe(false);
    const controllerOnly = await listTags(client, { programs: false });
    expect(controllerOnly.some((t) => t.program !== undefined)).toBe(false);
  });

  test("program-scoped tags read and write through their full name", async () => {
    expect((await client.write("Program:Main.Local[1]", [42], { type: "INT" })).ok).toBe(true);
    expect((await client.read("Program:Main.Local", { elements: 3 })).value).toEqual([0, 42, 0]);
  });
});

describe("structure templates", () => {
  test("a template read over the wire has the UDT's members, and reads decode into named members", async () => {
    const info = (await listTags(client)).find((t) => t.name === "Input_MSG_ExampleSensor");
    const template = await readTemplate(client, info?.templateId as number);
    expect(template.name).toBe(sensorJson.name);
    expect(template.size).toBe(sensorJson.template.structure_size);
    expect(template.handle).toBe(sensorJson.template.structure_handle);
    expect(template.members.filter((m) => !m.hidden).map((m) => m.name)).toEqual(
      expect.arrayContaining(["SENSOR_ID", "SENSOR_Name", "SENSOR_Analog_Scaled"]),
    );
    expect(templateCache(client).get(info?.templateId as number)).toBe(template);
    const one = await client.read("Input_MSG_ExampleSensor[5]");
    expect(one.ok).toBe(true);
    expect(plain(one.value)).toEqual([vals[5]]);
  });

  test("several records (more than one reply) are continued and decoded", async () => {
    await loadTags(client);
    const r = await client.read("Input_MSG_ExampleSensor[10]", { elements: 12 });
    expect(r.ok).toBe(true);
    expect(plain(r.value)).toEqual(vals.slice(10, 22));
  });
});

describe("Logix STRING", () => {
  test("write and read text; arrays of strings", async () => {
    expect((await writeString(client, "NAME", "Hello, world!")).ok).toBe(true);
    expect((await readString(client, "NAME")).value).toEqual(["Hello, world!"]);
    expect((await writeString(client, "NAMES[0]", ["a", "bc", "déf"])).ok).toBe(true);
    expect((await readString(client, "NAMES[0]", { elements: 3 })).value).toEqual(["a", "bc", "déf"]);
  });

  test("text longer than 82 characters is refused before sending; a non-string tag is a protocol error", async () => {
    await expect(writeString(client, "NAME", "x".repeat(83))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(readString(client, "SCADA")).rejects.toThrow(/not a Logix string/);
  });
});
