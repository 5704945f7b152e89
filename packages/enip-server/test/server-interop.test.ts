/**
 * The npm clients st-ethernet-ip (unconnected and over a class 3 connection, with its connect-time
 * setup: controller properties, tag-list upload with program-scoped tags, template upload) and
 * ethernet-ip read and write the simulator: every elementary type either client can decode, arrays,
 * bits, a Logix STRING, an ExampleSensor structure, and tag groups (Multiple Service Packet). Each value
 * is checked against the server's Tag, and values written by one client are read back by the other.
 * Every session goes through a recording proxy, and the capture must be clean under tshark.
 *
 * Both clients hard-code port 44818 in a config module: it is pointed at the proxy's ephemeral port
 * before the clients are loaded (ethernet-ip copies it at load time).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { EnipFramer } from "@cpppo/cip-codec";
import { describeWithTshark, RecordingProxy, tsharkFields, tsharkVerdict } from "@cpppo/pcap-kit";
import type * as StEthernetIp from "st-ethernet-ip";
import { Controller } from "../src/controller/controller.js";
import type { RequestEvent } from "../src/core/diagnostics.js";
import { EnipServer } from "../src/server.js";
import type { Tag } from "../src/tags/tag.js";
import { EXAMPLE_SENSOR_UDT } from "./support/fixtures.js";
import { withDeadline } from "./support/server-client.js";

/** What the tests use of ethernet-ip 1.2.5 (it ships no types). */
interface V1Tag {
  value: unknown;
  readonly type: string | null;
}
interface V1TagGroup {
  add(tag: V1Tag): void;
}
interface V1Controller {
  readonly properties: { name: string; serial_number: number; version: string };
  connect(host: string, slot?: number): Promise<unknown>;
  readTag(tag: V1Tag): Promise<unknown>;
  writeTag(tag: V1Tag, value?: unknown): Promise<unknown>;
  readTagGroup(group: V1TagGroup): Promise<unknown>;
  writeTagGroup(group: V1TagGroup): Promise<unknown>;
  destroy(): void;
}
interface V1Module {
  Controller: new () => V1Controller;
  Tag: new (name: string, program?: string | null, datatype?: number | null) => V1Tag;
  TagGroup: new () => V1TagGroup;
}

const sensorUdt = EXAMPLE_SENSOR_UDT;

/** One tag of every elementary type st-ethernet-ip decodes, arrays of each, and the structured ones. */
const TAGS = [
  "B=BOOL",
  "SI=SINT",
  "US=USINT",
  "I=INT",
  "UI=UINT",
  "D=DINT",
  "L=LINT",
  "R=REAL",
  "DW=DWORD",
  "SS=SSTRING",
  "SIA=SINT[6]",
  "USA=USINT[5]",
  "IA=INT[7]",
  "UIA=UINT[4]",
  "DA=DINT[10]",
  "LA=LINT[3]",
  "RA=REAL[4]",
  "DWA=DWORD[2]",
  "SCADA=INT[1000]",
  "S=STRING",
  "Sensor=Example_SENSOR",
  "Program:Main.Local=INT[3]",
  "Program:Main.Count=DINT",
];

let server: EnipServer;
let controller: Controller;
let proxy: RecordingProxy;
let st: typeof StEthernetIp;
let v1: V1Module;
const realSetTimeout = global.setTimeout;

function tag(name: string): Tag {
  const found = controller.tags.get(name);
  if (found === undefined) throw new Error(`the server has no tag ${name}`);
  return found;
}

beforeAll(async () => {
  // Both clients race each request against a timer they never clear (10 s): unref those timers so that
  // they cannot hold the test process open after the suite.
  global.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const timer = realSetTimeout(...args);
    timer.unref();
    return timer;
  }) as typeof setTimeout;
  controller = new Controller({ udts: [sensorUdt], tags: TAGS });
  server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
  proxy = await RecordingProxy.start(server.tcpAddress?.port ?? 0, () => new EnipFramer());
  require("st-ethernet-ip/dist/config.js").EIP_PORT = proxy.port;
  require("ethernet-ip/src/config.js").EIP_PORT = proxy.port;
  st = require("st-ethernet-ip");
  v1 = require("ethernet-ip");
});

afterAll(async () => {
  global.setTimeout = realSetTimeout;
  await withDeadline(proxy.close(), "the proxy to close", 5000);
  await withDeadline(server.close(), "the server to close", 5000);
});

/**
 * Scalars: the server's tag, its type code, a value to seed and one to write. st-ethernet-ip 2.7.5 decodes
 * UINT but cannot encode it ("Unrecognized Type to Write to Controller: 199"), so UINT is read only there.
 */
const SCALARS: [name: string, code: number, seeded: unknown, written: unknown][] = [
  ["B", 0xc1, true, false],
  ["SI", 0xc2, -100, 77],
  ["US", 0xc6, 200, 17],
  ["I", 0xc3, -30000, 12345],
  ["UI", 0xc7, 60000, undefined],
  ["D", 0xc4, -2_000_000_000, 123456789],
  ["L", 0xc5, -(2n ** 62n), 2n ** 53n + 7n],
  ["R", 0xca, 1.5, -0.25],
  ["DW", 0xd3, 0x8000_0001, 0x0f0f_0f0f],
  ["SS", 0xda, "seeded", "written by the client"],
];

/** Arrays: the server's tag, a value to seed and one to write (whole array; UINT read only, as above). */
const ARRAYS: [name: string, seeded: unknown[], written: unknown[] | undefined][] = [
  ["SIA", [-128, -1, 0, 1, 127, 5], [9, 8, 7, 6, 5, 4]],
  ["USA", [0, 1, 128, 254, 255], [10, 20, 30, 40, 50]],
  ["IA", [-32768, -2, 0, 2, 32767, 100, -100], [1, 2, 3, 4, 5, 6, 7]],
  ["UIA", [0, 1, 65534, 65535], undefined],
  ["DA", [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 5, 6, 7, 8, 9], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
  ["LA", [-1n, 0n, 2n ** 63n - 1n], [5n, -(2n ** 63n), 42n]],
  ["RA", [0.5, -1.25, 1e10, -3], [4, 3.5, -2.75, 0]],
];

/** DWORD (BIT_STRING) values come back from st-ethernet-ip as their bits, least significant first. */
function bits(word: number): boolean[] {
  return Array.from({ length: 32 }, (_, i) => ((word >>> i) & 1) === 1);
}

/** A value as st-ethernet-ip reports it: DWORD tags read as 32 booleans, the rest as they are. */
function asStReads(name: string, value: unknown): unknown {
  return name === "DW" ? bits(value as number) : value;
}

describe.each([false, true])("st-ethernet-ip, connected %s", (connected) => {
  let plc: StEthernetIp.Controller;
  const commands: number[] = [];
  const record = (message: unknown): void => {
    commands.push((message as RequestEvent).command);
  };

  beforeAll(async () => {
    subscribe("cpppo:enip:request", record);
    plc = new st.Controller(connected);
    // SETUP: reads the controller properties, then uploads the tag list and every structure template.
    await withDeadline(plc.connect("127.0.0.1", 0, true), "st-ethernet-ip to connect", 10_000);
  });

  afterAll(async () => {
    unsubscribe("cpppo:enip:request", record);
    await withDeadline(plc.disconnect(), "st-ethernet-ip to disconnect").catch(() => undefined);
  });

  test("connects, reading the controller's properties from its Identity object", () => {
    expect(plc.properties.name).toBe(controller.identity.productName);
    expect(plc.properties.serial_number).toBe(controller.identity.serialNumber);
    expect(plc.properties.version).toBe(
      `${controller.identity.revision.major}.${controller.identity.revision.minor}`,
    );
  });

  test("uses class 3 messaging (SendUnitData 0x70) exactly when connected", () => {
    expect(commands.includes(0x70)).toBe(connected);
    expect(commands.includes(0x6f)).toBe(true);
  });

  test("uploads the tag list: controller and program-scoped tags, with their types and dimensions", () => {
    const list = plc.state.tagList as StEthernetIp.TagList;
    const controllerScoped = list.tags
      .filter((t) => !t.program && !t.type.reserved)
      .map((t) => [t.name, t.type.typeName, t.type.arrayDims]);
    expect(controllerScoped).toEqual(
      expect.arrayContaining([
        ["D", "DINT", 0],
        ["L", "LINT", 0],
        ["DW", "BIT_STRING", 0],
        ["DA", "DINT", 1],
        ["SCADA", "INT", 1],
        ["S", "STRING", 0],
        ["Sensor", "Example_SENSOR", 0],
      ]),
    );
    const names = new Set(list.tags.filter((t) => !t.program).map((t) => t.name));
    for (const definition of TAGS.filter((t) => !t.startsWith("Program:")))
      expect(names).toContain(definition.split("=")[0]);
    expect(list.programs).toEqual(["Main"]);
    const local = list.tags.filter((t) => t.program === "Main").map((t) => [t.name, t.type.typeName]);
    expect(local).toEqual(
      expect.arrayContaining([
        ["Local", "INT"],
        ["Count", "DINT"],
      ]),
    );
    // The templates of the two structure types were uploaded (their ids are the structure handles).
    const templates = Object.values(list.templates).map((t) => t._name);
    expect(templates).toEqual(expect.arrayContaining(["Example_SENSOR", "STRING"]));
  });

  test.each(SCALARS)("reads and writes the %s scalar", async (name, code, seeded, written) => {
    tag(name).setValues(0, [seeded]);
    const t = new st.Tag(name);
    await withDeadline(plc.readTag(t), `a read of ${name}`);
    expect(t.type).toBe(st.EthernetIP.CIP.DataTypes.getTypeCodeString(code));
    expect(t.value).toEqual(asStReads(name, seeded));
    if (written === undefined) return;
    // st-ethernet-ip writes a DWORD from its bits, as it read them.
    t.value = asStReads(name, written);
    await withDeadline(plc.writeTag(t), `a write of ${name}`);
    expect(tag(name).values()).toEqual([written]);
    const back = new st.Tag(name);
    await withDeadline(plc.readTag(back), `a second read of ${name}`);
    expect(back.value).toEqual(asStReads(name, written));
  });

  test.each(ARRAYS)("reads and writes the whole %s array", async (name, seeded, written) => {
    tag(name).setValues(0, seeded);
    const t = new st.Tag(name, undefined, undefined, 0, 1, seeded.length);
    await withDeadline(plc.readTag(t), `a read of ${name}`);
    expect(t.value).toEqual(seeded);
    if (written === undefined) return;
    t.value = written;
    await withDeadline(plc.writeTag(t), `a write of ${name}`);
    expect(tag(name).values()).toEqual(written);
  });

  test("reads and writes single array elements and the bits of a DINT (Read-Modify-Write)", async () => {
    tag("DA").setValues(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const element = new st.Tag("DA[7]");
    await withDeadline(plc.readTag(element), "a read of DA[7]");
    expect(element.value).toBe(7);
    element.value = -77;
    await withDeadline(plc.writeTag(element), "a write of DA[7]");
    expect(tag("DA").values()).toEqual([0, 1, 2, 3, 4, 5, 6, -77, 8, 9]);

    tag("D").setValues(0, [0b1000]);
    const bit = new st.Tag("D.5");
    await withDeadline(plc.readTag(bit), "a read of D.5");
    expect(bit.value).toBe(false);
    bit.value = true;
    await withDeadline(plc.writeTag(bit), "a write of D.5");
    expect(tag("D").values()).toEqual([0b10_1000]);
  });

  test("reads and writes a 1000-element INT array through the fragmented services", async () => {
    const seeded = Array.from({ length: 1000 }, (_, i) => ((i * 37) % 30000) - 15000);
    tag("SCADA").setValues(0, seeded);
    const t = new st.Tag("SCADA", undefined, undefined, 0, 1, 1000);
    await withDeadline(plc.readTag(t), "a fragmented read of SCADA");
    expect(t.value).toEqual(seeded);
    const written = seeded.map((v) => v + 7);
    t.value = written;
    await withDeadline(plc.writeTag(t), "a fragmented write of SCADA");
    expect(tag("SCADA").values()).toEqual(written);
  });

  test("reads and writes program-scoped tags", async () => {
    tag("Program:Main.Local").setValues(0, [11, 22, 33]);
    const local = new st.Tag("Local", "Main", undefined, 0, 1, 3);
    await withDeadline(plc.readTag(local), "a read of Program:Main.Local");
    expect(local.value).toEqual([11, 22, 33]);
    local.value = [-1, -2, -3];
    await withDeadline(plc.writeTag(local), "a write of Program:Main.Local");
    expect(tag("Program:Main.Local").values()).toEqual([-1, -2, -3]);
    const count = new st.Tag("Count", "Main");
    await withDeadline(plc.readTag(count), "a read of Program:Main.Count");
    count.value = 31337;
    await withDeadline(plc.writeTag(count), "a write of Program:Main.Count");
    expect(tag("Program:Main.Count").values()).toEqual([31337]);
  });

  test("reads and writes a Logix STRING through its Structure support", async () => {
    tag("S").setValues(0, ["hello, simulator"]);
    const s = new st.Structure("S", plc.state.tagList);
    await withDeadline(plc.readTag(s), "a read of S");
    expect(s.value).toBe("hello, simulator");
    s.value = connected ? "over a connection" : "unconnected";
    await withDeadline(plc.writeTag(s), "a write of S");
    expect(tag("S").values()).toEqual([s.value]);
  });

  test("reads and writes an ExampleSensor structure with its uploaded template", async () => {
    const seeded = tag("Sensor").values()[0] as Record<string, unknown>;
    tag("Sensor").setValues(0, [
      {
        ...seeded,
        SENSOR_ID: 4711,
        SENSOR_Name: "Gas detector",
        SENSOR_Alarm_2: true,
        SENSOR_Analog_Scaled: 12.5,
        ISOLATOR_TRIP_LIST: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      },
    ]);
    const s = new st.Structure("Sensor", plc.state.tagList);
    await withDeadline(plc.readTag(s), "a read of Sensor");
    const value = s.value as Record<string, unknown>;
    expect(value).toMatchObject({
      SENSOR_ID: 4711,
      SENSOR_Name: "Gas detector",
      SENSOR_Alarm_1: false,
      SENSOR_Alarm_2: true,
      SENSOR_Analog_Scaled: 12.5,
      ISOLATOR_TRIP_LIST: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    });
    value.SENSOR_ID = connected ? -5 : 5;
    value.SENSOR_Location = "Hall 3";
    value.SENSOR_Alarm_3 = true;
    s.value = value;
    await withDeadline(plc.writeTag(s), "a write of Sensor");
    expect(tag("Sensor").values()[0]).toMatchObject({
      SENSOR_ID: value.SENSOR_ID,
      SENSOR_Name: "Gas detector",
      SENSOR_Location: "Hall 3",
      SENSOR_Alarm_2: true,
      SENSOR_Alarm_3: true,
      SENSOR_Analog_Scaled: 12.5,
    });
  });

  test("reads and writes a TagGroup (Multiple Service Packet)", async () => {
    tag("I").setValues(0, [-7]);
    tag("R").setValues(0, [6.5]);
    tag("SI").setValues(0, [3]);
    tag("IA").setValues(0, [10, 11, 12, 13, 14, 15, 16]);
    const group = new st.TagGroup();
    const members = [new st.Tag("I"), new st.Tag("R"), new st.Tag("SI"), new st.Tag("IA[4]")];
    for (const m of members) group.add(m);
    const before = commands.length;
    await withDeadline(plc.readTagGroup(group), "a group read");
    expect(members.map((m) => m.value)).toEqual([-7, 6.5, 3, 14]);
    members.forEach((m, i) => {
      m.value = [100, -8.5, -4, 140][i];
    });
    await withDeadline(plc.writeTagGroup(group), "a group write");
    expect([tag("I").values(), tag("R").values(), tag("SI").values(), tag("IA").values()[4]]).toEqual([
      [100],
      [-8.5],
      [-4],
      140,
    ]);
    // Two requests for eight tag services: both were Multiple Service Packets.
    expect(commands.length - before).toBe(2);
  });
});

describe("ethernet-ip", () => {
  let plc: V1Controller;

  beforeAll(async () => {
    plc = new v1.Controller();
    await withDeadline(plc.connect("127.0.0.1", 0), "ethernet-ip to connect");
  });

  afterAll(() => {
    plc.destroy();
  });

  test("connects, reading the controller's properties", () => {
    // ethernet-ip takes every byte after the name's length as the name; a real ControlLogix (and cpppo)
    // sends the Identity state and 3 more bytes after it, so the name only starts with the product name.
    expect(plc.properties.name.startsWith(controller.identity.productName)).toBe(true);
    expect(plc.properties.serial_number).toBe(controller.identity.serialNumber);
  });

  test.each([
    ["B", false, true],
    ["SI", -5, 99],
    ["I", 1234, -4321],
    ["D", 2 ** 31 - 1, -123],
    ["R", -2.5, 1024.75],
  ] as const)("reads and writes the %s scalar", async (name, seeded, written) => {
    tag(name).setValues(0, [seeded]);
    const t = new v1.Tag(name);
    await withDeadline(plc.readTag(t), `a read of ${name}`);
    expect(t.value).toBe(seeded);
    t.value = written;
    await withDeadline(plc.writeTag(t), `a write of ${name}`);
    expect(tag(name).values()).toEqual([written]);
    const back = new v1.Tag(name);
    await withDeadline(plc.readTag(back), `a second read of ${name}`);
    expect(back.value).toBe(written);
  });

  test("reads and writes array elements, a program-scoped tag and a bit", async () => {
    tag("DA").setValues(0, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const element = new v1.Tag("DA[3]");
    await withDeadline(plc.readTag(element), "a read of DA[3]");
    expect(element.value).toBe(30);
    await withDeadline(plc.writeTag(element, 33), "a write of DA[3]");
    expect(tag("DA").values()).toEqual([0, 10, 20, 33, 40, 50, 60, 70, 80, 90]);
    tag("RA").setValues(0, [0, 0, 0.125, 0]);
    const real = new v1.Tag("RA[2]");
    await withDeadline(plc.readTag(real), "a read of RA[2]");
    expect(real.value).toBe(0.125);

    tag("Program:Main.Local").setValues(0, [5, 6, 7]);
    const local = new v1.Tag("Local[1]", "Main");
    await withDeadline(plc.readTag(local), "a read of Program:Main.Local[1]");
    expect(local.value).toBe(6);
    await withDeadline(plc.writeTag(local, -6), "a write of Program:Main.Local[1]");
    expect(tag("Program:Main.Local").values()).toEqual([5, -6, 7]);

    tag("D").setValues(0, [0]);
    const bit = new v1.Tag("D.30");
    await withDeadline(plc.readTag(bit), "a read of D.30");
    expect(bit.value).toBe(false);
    await withDeadline(plc.writeTag(bit, true), "a write of D.30");
    expect(tag("D").values()).toEqual([2 ** 30]);
  });

  test("reads and writes a TagGroup (Multiple Service Packet)", async () => {
    tag("B").setValues(0, [true]);
    tag("D").setValues(0, [-99]);
    tag("R").setValues(0, [0.75]);
    tag("DA").setValues(0, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const group = new v1.TagGroup();
    const members = [new v1.Tag("B"), new v1.Tag("D"), new v1.Tag("R"), new v1.Tag("DA[8]")];
    for (const m of members) group.add(m);
    await withDeadline(plc.readTagGroup(group), "a group read");
    expect(members.map((m) => m.value)).toEqual([true, -99, 0.75, 1]);
    members.forEach((m, i) => {
      m.value = [false, 99, -0.75, 11][i];
    });
    await withDeadline(plc.writeTagGroup(group), "a group write");
    expect([tag("B").values(), tag("D").values(), tag("R").values(), tag("DA").values()[8]]).toEqual([
      [false],
      [99],
      [-0.75],
      11,
    ]);
  });
});

describe("st-ethernet-ip and ethernet-ip together", () => {
  let modern: StEthernetIp.Controller;
  let legacy: V1Controller;

  beforeAll(async () => {
    modern = new st.Controller(true);
    legacy = new v1.Controller();
    await withDeadline(modern.connect("127.0.0.1", 0, false), "st-ethernet-ip to connect");
    await withDeadline(legacy.connect("127.0.0.1", 0), "ethernet-ip to connect");
  });

  afterAll(async () => {
    legacy.destroy();
    await withDeadline(modern.disconnect(), "st-ethernet-ip to disconnect").catch(() => undefined);
  });

  test.each([
    ["D", 0, 8675309, -8675309],
    ["R", 0, 3.75, -1e-3],
    ["I", 0, -512, 1024],
    ["B", false, true, false],
    ["SI", 0, -128, 127],
  ] as const)(
    "the %s written by one is what the other reads, and what the server holds",
    async (name, start, a, b) => {
      tag(name).setValues(0, [start]);
      const fromModern = new st.Tag(name);
      await withDeadline(modern.readTag(fromModern), "st-ethernet-ip's first read");
      fromModern.value = a;
      await withDeadline(modern.writeTag(fromModern), "st-ethernet-ip's write");
      const byLegacy = new v1.Tag(name);
      await withDeadline(legacy.readTag(byLegacy), "ethernet-ip's read");
      // REAL values travel as 32-bit floats: compare against the stored single-precision value.
      const stored = tag(name).values()[0];
      expect(byLegacy.value).toBe(stored);
      expect(stored).toBe(name === "R" ? Math.fround(a as number) : a);

      await withDeadline(legacy.writeTag(byLegacy, b), "ethernet-ip's write");
      const byModern = new st.Tag(name);
      await withDeadline(modern.readTag(byModern), "st-ethernet-ip's read");
      const again = tag(name).values()[0];
      expect(byModern.value).toBe(again);
      expect(again).toBe(name === "R" ? Math.fround(b as number) : b);
    },
  );
});

describeWithTshark("the interop traffic under tshark", () => {
  test("every session's frames dissect cleanly: 0 malformed, 0 expert errors", () => {
    // Close nothing here: the clients above already disconnected; the capture holds every session.
    expect(proxy.frames).toBeGreaterThan(200);
    const verdict = tsharkVerdict(proxy.pcap.bytes());
    expect(verdict.lines.length).toBeGreaterThan(200);
    expect({
      malformed: verdict.malformed,
      expertErrors: verdict.expertErrors,
      detail: verdict.detail,
    }).toEqual({
      malformed: [],
      expertErrors: [],
      detail: "",
    });
  });

  test("tshark dissected the CIP of every session, unconnected and connected", () => {
    const rows = tsharkFields(proxy.pcap.bytes(), ["tcp.srcport", "enip.command", "cip.sc"]);
    // Five client sessions (two st-ethernet-ip, one ethernet-ip, one of each together), and the writer's empty first conversation.
    expect(new Set(rows.map((r) => r[0])).size).toBe(6);
    const services = new Set<string>();
    for (const [, command, codes] of rows)
      for (const code of (codes ?? "").split("|")) if (code) services.add(`${command} ${code}`);
    // Requests over SendRRData (0x6f) and SendUnitData (0x70): Get Attributes All, Get Attribute List,
    // Get Instance Attribute List, Read/Write Tag, their fragmented forms, Read-Modify-Write, MSP; and Forward Open.
    for (const command of ["0x006f", "0x0070"])
      for (const code of ["0x01", "0x03", "0x55", "0x4c", "0x4d", "0x52", "0x53", "0x4e", "0x0a"])
        expect(services).toContain(`${command} ${code}`);
    expect(services).toContain("0x006f 0x54");
  });
});
