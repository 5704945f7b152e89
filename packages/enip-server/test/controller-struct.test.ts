import {
  type CipReply,
  DINT,
  decodeValues,
  encodeValues,
  INT,
  LOGIX_STRING,
  multipleServicePacket,
  parseEPath,
  REAL,
  readTagFragmentedRequest,
  readTagRequest,
  STRING,
  toHex,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { hexOf as h, run } from "./support/controller.js";
import { EXAMPLE_SENSOR_UDT, exampleSensorDump, exampleSensorValues } from "./support/fixtures.js";

const vals = exampleSensorValues();
const sensorJson = EXAMPLE_SENSOR_UDT;
const HANDLE = 36345;
const RECORD = 600;

const dump = exampleSensorDump();

const path = (text: string) => parseEPath(text);

function sensorController(): Controller {
  const c = new Controller({
    udts: [sensorJson],
    tags: ["Input_MSG_ExampleSensor=Example_SENSOR[360]", "NAME=STRING"],
  });
  c.tags.require("Input_MSG_ExampleSensor").bytes.set(dump);
  return c;
}

function data(reply: CipReply): Uint8Array {
  if (reply.kind !== "readTag" && reply.kind !== "readTagFragmented")
    throw new Error(`read reply expected, got ${reply.kind}`);
  return reply.data;
}

describe("user structures (ExampleSensor UDT from JSON)", () => {
  it("reads an element as STRUCT 0x02A0 with its handle, cut at 488 bytes with 0x06, then the rest by offset", () => {
    const c = sensorController();
    const first = run(c, readTagRequest(path("Input_MSG_ExampleSensor[5]")));
    expect(first.hex.slice(0, 16)).toBe(
      h(`cc 00 06 00 a0 02 ${toHex(Uint8Array.of(HANDLE & 0xff, HANDLE >> 8))}`),
    );
    expect(first.reply).toMatchObject({ generalStatus: 0x06, type: 0x02a0, structureHandle: HANDLE });
    expect(data(first.reply).length).toBe(488);
    const rest = run(c, readTagFragmentedRequest(path("Input_MSG_ExampleSensor[5]"), 1, 488));
    expect(rest.reply).toMatchObject({ generalStatus: 0, structureHandle: HANDLE });
    const whole = new Uint8Array([...data(first.reply), ...data(rest.reply)]);
    expect(toHex(whole)).toBe(toHex(dump.subarray(5 * RECORD, 6 * RECORD)));
  });

  it("trims multi-element structure reads to exactly offset..offset+488", () => {
    const c = sensorController();
    const x = run(c, readTagFragmentedRequest(path("Input_MSG_ExampleSensor"), 3, 700));
    expect(x.reply.generalStatus).toBe(0x06);
    expect(toHex(data(x.reply))).toBe(toHex(dump.subarray(700, 700 + 488)));
    const last = run(c, readTagFragmentedRequest(path("Input_MSG_ExampleSensor"), 3, 1700));
    expect(last.reply.generalStatus).toBe(0);
    expect(data(last.reply).length).toBe(100);
  });

  it("reads members by name: DINT, REAL, INT array elements, BOOL bits, nested STRINGs", () => {
    const c = sensorController();
    const v = vals[2] as Record<string, unknown>;
    const id = run(c, readTagRequest(path("Input_MSG_ExampleSensor[2].SENSOR_ID")));
    expect(decodeValues(DINT, data(id.reply))).toEqual([v.SENSOR_ID]);
    const scaled = run(c, readTagRequest(path("Input_MSG_ExampleSensor[2].SENSOR_Analog_Scaled")));
    expect(scaled.reply).toMatchObject({ type: 0xca });
    expect(decodeValues(REAL, data(scaled.reply))[0]).toBeCloseTo(v.SENSOR_Analog_Scaled as number, 5);
    const trips = run(c, readTagRequest(path("Input_MSG_ExampleSensor[2].ISOLATOR_TRIP_LIST[1]"), 3));
    expect(decodeValues(INT, data(trips.reply))).toEqual((v.ISOLATOR_TRIP_LIST as number[]).slice(1, 4));
    const valid = run(c, readTagRequest(path("Input_MSG_ExampleSensor[2].SENSOR_Valid_Data")));
    expect(valid.hex).toBe(h(`cc 00 00 00 c1 00 ${v.SENSOR_Valid_Data ? "01" : "00"}`));
    const name = run(c, readTagRequest(path("Input_MSG_ExampleSensor[2].SENSOR_Name")));
    expect(name.reply).toMatchObject({ type: 0x02a0, structureHandle: 0x0fce });
    expect(decodeValues(LOGIX_STRING, data(name.reply))).toEqual([v.SENSOR_Name]);
    const len = run(c, readTagRequest(path("input_msg_examplesensor[2].sensor_name.LEN")));
    expect(decodeValues(DINT, data(len.reply))).toEqual([(v.SENSOR_Name as string).length]);
  });

  it("answers an unknown member or an index past a member array like an unknown tag or beyond end", () => {
    const c = sensorController();
    expect(run(c, readTagRequest(path("Input_MSG_ExampleSensor[0].NOPE"))).hex).toBe(h("cc 00 04 01 00 00"));
    expect(run(c, readTagRequest(path("Input_MSG_ExampleSensor[0].ISOLATOR_TRIP_LIST[10]"))).hex).toBe(
      h("cc 00 ff 01 05 21"),
    );
    expect(run(c, readTagRequest(path("Input_MSG_ExampleSensor[0].ISOLATOR_TRIP_LIST[8]"), 3)).hex).toBe(
      h("cc 00 ff 01 05 21"),
    );
    expect(run(c, readTagRequest(path("Input_MSG_ExampleSensor[360]"))).hex).toBe(h("cc 00 ff 01 05 21"));
    expect(run(c, readTagRequest(path("NAME.NOPE"))).hex).toBe(h("cc 00 04 01 00 00"));
  });

  it("writes whole elements only with the right structure handle", () => {
    const c = sensorController();
    const record = dump.slice(7 * RECORD, 8 * RECORD);
    const ok = run(
      c,
      writeTagRequest(
        path("Input_MSG_ExampleSensor[0]"),
        { type: 0x02a0, structureHandle: HANDLE },
        1,
        record,
      ),
    );
    expect(ok.hex).toBe(h("cd 00 00 00"));
    expect(toHex(c.tags.require("Input_MSG_ExampleSensor").bytes.subarray(0, RECORD))).toBe(toHex(record));
    const wrong = run(
      c,
      writeTagRequest(
        path("Input_MSG_ExampleSensor[0]"),
        { type: 0x02a0, structureHandle: 0x1234 },
        1,
        record,
      ),
    );
    expect(wrong.hex).toBe(h("cd 00 ff 01 07 21"));
    const atomic = run(
      c,
      writeTagRequest(path("Input_MSG_ExampleSensor[0]"), { type: 0xc4 }, 1, encodeValues(DINT, [1])),
    );
    expect(atomic.hex).toBe(h("cd 00 ff 01 07 21"));
  });

  it("writes a structure in fragments at byte offsets", () => {
    const c = sensorController();
    const record = dump.slice(9 * RECORD, 10 * RECORD);
    const type = { type: 0x02a0, structureHandle: HANDLE };
    expect(
      run(
        c,
        writeTagFragmentedRequest(path("Input_MSG_ExampleSensor[1]"), type, 1, 0, record.subarray(0, 400)),
      ).reply.generalStatus,
    ).toBe(0);
    expect(
      run(
        c,
        writeTagFragmentedRequest(path("Input_MSG_ExampleSensor[1]"), type, 1, 400, record.subarray(400)),
      ).reply.generalStatus,
    ).toBe(0);
    expect(toHex(c.tags.require("Input_MSG_ExampleSensor").bytes.subarray(RECORD, 2 * RECORD))).toBe(
      toHex(record),
    );
  });

  it("writes members: a DINT, a BOOL bit (leaving its neighbours), a nested STRING", () => {
    const c = sensorController();
    const tag = c.tags.require("Input_MSG_ExampleSensor");
    expect(
      run(
        c,
        writeTagRequest(
          path("Input_MSG_ExampleSensor[4].SENSOR_ID"),
          { type: 0xc4 },
          1,
          encodeValues(DINT, [-42]),
        ),
      ).reply.generalStatus,
    ).toBe(0);
    const before = tag.values(4, 1)[0] as Record<string, unknown>;
    expect(before.SENSOR_ID).toBe(-42);
    for (const value of [1, 0, 1]) {
      const x = run(
        c,
        writeTagRequest(
          path("Input_MSG_ExampleSensor[4].SENSOR_Underrange"),
          { type: 0xc1 },
          1,
          Uint8Array.of(value),
        ),
      );
      expect(x.reply.generalStatus).toBe(0);
    }
    const after = tag.values(4, 1)[0] as Record<string, unknown>;
    expect(after.SENSOR_Underrange).toBe(true);
    expect(after.SENSOR_Valid_Data).toBe(before.SENSOR_Valid_Data);
    expect(after.SENSOR_Overrange).toBe(before.SENSOR_Overrange);
    const text = encodeValues(LOGIX_STRING, ["new name"]);
    expect(
      run(
        c,
        writeTagRequest(
          path("Input_MSG_ExampleSensor[4].SENSOR_Name"),
          { type: 0x02a0, structureHandle: 0x0fce },
          1,
          text,
        ),
      ).reply.generalStatus,
    ).toBe(0);
    expect((tag.values(4, 1)[0] as Record<string, unknown>).SENSOR_Name).toBe("new name");
  });
});

describe("Logix STRING tags", () => {
  it("read as a real controller answers them: type 0x02A0, handle 0x0FCE, 88 bytes", () => {
    const c = new Controller({ tags: ["NAME=STRING"] });
    c.tags.require("NAME").setValues(0, ["abc"]);
    const x = run(c, readTagRequest(path("NAME")));
    expect(x.hex).toBe(h(`cc 00 00 00 a0 02 ce 0f 03 00 00 00 616263 ${"00".repeat(81)}`));
  });

  it("write with the STRING structure handle, or as CIP STRING 0xD0 for cpppo clients", () => {
    const c = new Controller({ tags: ["NAME=STRING[2]"] });
    const w = run(
      c,
      writeTagRequest(
        path("NAME[1]"),
        { type: 0x02a0, structureHandle: 0x0fce },
        1,
        encodeValues(LOGIX_STRING, ["hello"]),
      ),
    );
    expect(w.hex).toBe(h("cd 00 00 00"));
    expect(
      run(c, writeTagRequest(path("NAME"), { type: 0xd0 }, 2, encodeValues(STRING, ["x", "yz"]))).reply
        .generalStatus,
    ).toBe(0);
    expect(c.tags.require("NAME").values()).toEqual(["x", "yz"]);
    expect(run(c, readTagRequest(path("NAME[1].LEN"))).hex).toBe(h("cc 00 00 00 c4 00 02 00 00 00"));
    const tooLong = run(
      c,
      writeTagRequest(path("NAME"), { type: 0xd0 }, 1, encodeValues(STRING, ["x".repeat(83)])),
    );
    expect(tooLong.hex).toBe(h("cd 00 ff 01 07 21"));
  });
});

describe("Multiple Service Packet 0x0A", () => {
  it("executes each request and says 0x1E when one failed (bytes checked)", () => {
    const c = new Controller({ tags: ["A=INT", "B=DINT"] });
    c.tags.require("A").setValues(0, [7]);
    const x = run(
      c,
      multipleServicePacket([
        readTagRequest(path("A")),
        readTagRequest(path("NOPE")),
        writeTagRequest(path("B"), { type: 0xc4 }, 1, encodeValues(DINT, [9])),
      ]),
    );
    expect(x.hex).toBe(
      h("8a 00 1e 00 03 00 08 00 10 00 16 00 cc 00 00 00 c3 00 07 00 cc 00 04 01 00 00 cd 00 00 00"),
    );
    expect(c.tags.require("B").values()).toEqual([9]);
  });

  it("says 0x00 when every request succeeded, partial transfers included", () => {
    const c = new Controller({ tags: ["BIG=INT[1000]", "A=INT"] });
    const x = run(c, multipleServicePacket([readTagRequest(path("BIG"), 1000), readTagRequest(path("A"))]));
    expect(x.reply).toMatchObject({ kind: "multipleServicePacket", generalStatus: 0 });
    if (x.reply.kind !== "multipleServicePacket") throw new Error("MSP reply expected");
    expect(x.reply.replies?.map((r) => r.generalStatus)).toEqual([0x06, 0]);
  });

  it("keeps the packet's reply within a connection's size: a read gets what fits (0x06), then 0x11; writes apply", () => {
    const c = new Controller({ tags: ["BIG=DINT[100]", "W=DINT"] });
    const reads = Array.from({ length: 5 }, () => readTagRequest(path("BIG"), 100)); // 406-byte replies each
    const packet = multipleServicePacket([
      ...reads,
      writeTagRequest(path("W"), { type: 0xc4 }, 1, encodeValues(DINT, [5])),
    ]);
    const x = run(c, packet, { connected: true, replyLimit: 1000 });
    if (x.reply.kind !== "multipleServicePacket") throw new Error("MSP reply expected");
    // 6 + 2 × 6 offsets + 406 + 406 = 830: the next reads get what still fits (0x06), then 0x11 once nothing does.
    const statuses = x.reply.replies?.map((r) => r.generalStatus) ?? [];
    expect(statuses.slice(0, 3)).toEqual([0, 0, 0x06]);
    expect(statuses.slice(3, 5).every((s) => s === 0x06 || s === 0x11)).toBe(true);
    expect(statuses).toContain(0x11);
    expect(statuses[5]).toBe(0);
    expect(x.reply.generalStatus).toBe(0x1e);
    expect(x.bytes.length).toBeLessThanOrEqual(1000);
    expect(c.tags.require("W").values()).toEqual([5]);
    // Without a known limit (unconnected), every read is answered, each within the 488-byte data limit.
    const all = run(c, packet);
    if (all.reply.kind !== "multipleServicePacket") throw new Error("MSP reply expected");
    expect(all.reply.replies?.map((r) => r.generalStatus)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("answers a read with the value before a later write in the same packet", () => {
    const c = new Controller({ tags: ["A=INT"] });
    c.tags.require("A").setValues(0, [1]);
    const x = run(
      c,
      multipleServicePacket([
        readTagRequest(path("A")),
        writeTagRequest(path("A"), { type: 0xc3 }, 1, encodeValues(INT, [2])),
      ]),
    );
    if (x.reply.kind !== "multipleServicePacket") throw new Error("MSP reply expected");
    expect(decodeValues(INT, data(x.reply.replies?.[0] as CipReply))).toEqual([1]);
    expect(c.tags.require("A").values()).toEqual([2]);
  });

  it("refuses more requests than the ceiling (0x15) and packets not sent to the Message Router", () => {
    const c = new Controller({ tags: ["A=INT"], maxServices: 2 });
    const three = multipleServicePacket([
      readTagRequest(path("A")),
      readTagRequest(path("A")),
      readTagRequest(path("A")),
    ]);
    expect(run(c, three).hex).toBe(h("8a 00 15 00"));
    expect(run(c, multipleServicePacket([readTagRequest(path("A"))], path("@1/1"))).hex).toBe(
      h("8a 00 08 00"),
    );
    expect(run(c, multipleServicePacket([readTagRequest(path("A"))], path("@0x55/1"))).hex).toBe(
      h("8a 00 05 01 00 00"),
    );
  });
});
