/**
 * Tag browsing like a v20+ ControlLogix (issue 9, item 9): the Get Instance Attribute List (0x55) requests the common
 * Python, C and Node client libraries send for a tag-list upload, byte for byte, over real sockets (unconnected and
 * over a class 3 connection), each reply parsed at the fixed offsets that library reads. Paging: a full reply is
 * status 0x06 and the library asks again from the last instance listed + 1, until status 0x00.
 *
 * The request bytes, written out here from each library's documented behaviour (our words, not their code):
 * - pycomm3 (LogixDriver.get_tag_list): over its connection, attributes 1, 2, 3, 5, 6, 8 and, on v20+ controllers,
 *   10 (external access, one USINT); the start instance is the smallest logical segment that holds it (8-bit
 *   `24 nn` below 256, 16-bit `25 00 nnnn` above); a program is a symbolic `91` segment "Program:Name" in front.
 * - pylogix (GetTagList): attributes 1, 2, 8 (count 3), instance 8-bit below 256 else 16-bit; each record is
 *   20 bytes plus the name.
 * - libplctag (the `@tags` tag): over its connection, attributes 2, 7, 8, 1 (count 4), always a 16-bit instance
 *   segment `25 00 nnnn`; each record is instance, type, element size, 3 dimensions, then the counted name.
 * - ethernet-ip 2.x (discovery): unconnected, attributes 1, 2 (count 2), 8-bit instance segment.
 * - st-ethernet-ip: its own TagList builds the request (16-bit instance 0 first, then the smallest segment) and
 *   parses the reply; the library is a devDependency, so its code runs here.
 */
import {
  type CipRequest,
  type ForwardOpenReply,
  forwardOpenRequest,
  getAttributeSingleRequest,
  getInstanceAttributeListRequest,
  parseEPath,
  type SymbolInstance,
} from "@cpppo/cip-codec";
import { Controller } from "../src/controller/controller.js";
import { EnipServer } from "../src/server.js";
import { context, type TestClient, withDeadline } from "./support/server-client.js";
import { useServers } from "./support/servers.js";

const { client } = useServers();

/** Enough long names that every library's upload needs several pages, plus an array, a REAL and a program. */
const MANY = Array.from({ length: 90 }, (_, i) => `Tag_${String(i).padStart(3, "0")}_with_a_long_name`);
const TAGS = [
  "SCADA=INT[1000]",
  "FLOAT=REAL",
  ...MANY.map((n) => `${n}=DINT`),
  "Program:MainProgram.Count=DINT",
  "Program:MainProgram.Names=SINT[3]",
];
const CONTROLLER_NAMES = ["SCADA", "FLOAT", ...MANY, "Program:MainProgram"];

let servers: EnipServer[] = [];
afterEach(async () => {
  await withDeadline(Promise.all(servers.map((s) => s.close())), "servers to close", 5000);
  servers = [];
});

async function plant(): Promise<{ port: number; controller: Controller }> {
  const controller = new Controller({ tags: TAGS });
  const server = await EnipServer.start({ controller, host: "127.0.0.1", port: 0, udp: false });
  servers.push(server);
  return { port: server.tcpAddress?.port as number, controller };
}

const bytes = (...parts: (number | number[] | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p])));
const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const latin1 = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** A padded ANSI symbolic segment, as every library writes "Program:Name". */
function symbolic(text: string): number[] {
  const out = [0x91, text.length, ...latin1(text)];
  return text.length % 2 ? [...out, 0] : out;
}

/** A CIP request: service, path size in words, path, data. */
function cip(service: number, path: number[], data: number[]): Uint8Array {
  return bytes(service, path.length / 2, path, data);
}

/** One SendRRData (0x6F) frame carrying `message` in an unconnected data item, built byte by byte. */
function sendRRData(session: number, message: Uint8Array, n: number): Uint8Array {
  const body = bytes(u32(0), u16(5), u16(2), u16(0), u16(0), u16(0xb2), u16(message.length), message);
  return bytes(u16(0x6f), u16(body.length), u32(session), u32(0), context(n), u32(0), body);
}

/** One SendUnitData (0x70) frame carrying `message` on connection `id` with sequence count `seq`. */
function sendUnitData(session: number, id: number, seq: number, message: Uint8Array): Uint8Array {
  const body = bytes(
    u32(0),
    u16(0),
    u16(2),
    u16(0xa1),
    u16(4),
    u32(id),
    u16(0xb1),
    u16(message.length + 2),
    u16(seq),
    message,
  );
  return bytes(u16(0x70), u16(body.length), u32(session), u32(0), new Uint8Array(8), u32(0), body);
}

/** The CIP reply inside a SendRRData or SendUnitData reply frame: its general status and its data. */
function cipReply(frame: Uint8Array): { service: number; status: number; data: Buffer } {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  expect(view.getUint32(8, true)).toBe(0); // encapsulation status
  const command = view.getUint16(0, true);
  let at = 24 + 6;
  const count = view.getUint16(at, true);
  at += 2;
  for (let i = 0; i < count; i++) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    at += 4;
    if (type === 0xb2 || type === 0xb1) {
      let item = frame.subarray(at, at + length);
      if (command === 0x70) item = item.subarray(2);
      const extWords = item[3] as number;
      return {
        service: item[0] as number,
        status: item[2] as number,
        data: Buffer.from(item.subarray(4 + extWords * 2)),
      };
    }
    at += length;
  }
  throw new Error("no CIP data item in the reply");
}

/** Sends raw CIP requests the way one library does: unconnected, or over a class 3 connection of `size` bytes. */
interface Channel {
  ask(message: Uint8Array): Promise<{ service: number; status: number; data: Buffer }>;
}

function unconnected(c: TestClient): Channel {
  let n = 0;
  return {
    async ask(message) {
      c.send(sendRRData(c.session, message, ++n));
      return cipReply(await c.nextFrame());
    },
  };
}

let serial = 0x4242;
async function connected(c: TestClient, size: number): Promise<Channel> {
  const open = await c.request(
    forwardOpenRequest({ connectionSerial: ++serial, originatorVendor: 0x1337, originatorSerial: 7, size }),
  );
  expect(open).toMatchObject({ kind: "forwardOpen", generalStatus: 0 });
  const id = (open as ForwardOpenReply).otConnectionId;
  let seq = 0;
  return {
    async ask(message) {
      c.send(sendUnitData(c.session, id, ++seq, message));
      return cipReply(await c.nextFrame());
    },
  };
}

/**
 * Pages through a listing: `build(start)` is one library's request, `parse(data)` its record reader (returns the
 * records and the last instance). Asks again from last + 1 while the reply is 0x06, as every library does.
 */
async function upload<R extends { instance: number }>(
  channel: Channel,
  build: (start: number) => Uint8Array,
  parse: (data: Buffer) => R[],
): Promise<{ pages: number; records: R[] }> {
  const records: R[] = [];
  let start = 0;
  for (let pages = 1; pages < 200; pages++) {
    const reply = await channel.ask(build(start));
    expect(reply.service).toBe(0xd5);
    expect([0x00, 0x06]).toContain(reply.status);
    const got = parse(reply.data);
    expect(got.length).toBeGreaterThan(0);
    records.push(...got);
    if (reply.status === 0) return { pages, records };
    start = (got[got.length - 1] as R).instance + 1;
  }
  throw new Error("the listing did not end");
}

/** The smallest logical instance segment holding `n` (8-bit below 256, else 16-bit with a pad byte). */
const instanceSegment = (n: number) => (n < 0x100 ? [0x24, n] : [0x25, 0, ...u16(n)]);

describe("Get Instance Attribute List 0x55: the requests of common client libraries, on a socket", () => {
  test("pycomm3 (v20+): attributes 1, 2, 3, 5, 6, 8, 10 over its connection, controller scope and a program", async () => {
    const { port, controller } = await plant();
    const c = await client(port);
    const channel = await connected(c, 4000);
    const attributes = [1, 2, 3, 5, 6, 8, 10].flatMap(u16);
    const request = (prefix: number[]) => (start: number) =>
      cip(0x55, [...prefix, 0x20, 0x6b, ...instanceSegment(start)], [...u16(7), ...attributes]);
    // pycomm3's record: UDINT instance, STRING name, UINT type, UDINT address, UDINT object address,
    // UDINT software control, 3 × UDINT dimensions, USINT external access.
    const parse = (data: Buffer) => {
      const out = [];
      for (let at = 0; at < data.length; ) {
        const instance = data.readUInt32LE(at);
        const n = data.readUInt16LE(at + 4);
        const name = data.toString("latin1", at + 6, at + 6 + n);
        at += 6 + n;
        out.push({
          instance,
          name,
          type: data.readUInt16LE(at),
          address: data.readUInt32LE(at + 2),
          objectAddress: data.readUInt32LE(at + 6),
          softwareControl: data.readUInt32LE(at + 10),
          dims: [data.readUInt32LE(at + 14), data.readUInt32LE(at + 18), data.readUInt32LE(at + 22)],
          access: data.readUInt8(at + 26),
        });
        at += 27;
      }
      return out;
    };
    // Over a 4000-byte connection the 93 entries still take several pages at pycomm3's 35+ bytes a record.
    const small = await connected(c, 500);
    const { pages, records } = await upload(small, request([]), parse);
    expect(pages).toBeGreaterThan(2);
    expect(records.map((r) => r.name)).toEqual(CONTROLLER_NAMES);
    const scada = records.find((r) => r.name === "SCADA");
    expect(scada).toMatchObject({ type: 0x20c3, dims: [1000, 0, 0], access: 0 });
    expect(scada?.instance).toBe(controller.tags.require("SCADA").instance);
    // pycomm3 treats a tag whose software control lacks bit 26 as an alias.
    for (const r of records.filter((x) => !x.name.startsWith("Program:")))
      expect(r.softwareControl & (1 << 26)).not.toBe(0);
    expect(records.find((r) => r.name === "FLOAT")).toMatchObject({ type: 0xca, dims: [0, 0, 0], access: 0 });
    // A program entry has the system bit (pycomm3 skips it as a tag) and no external access.
    const program = records.find((r) => r.name === "Program:MainProgram");
    expect((program?.type ?? 0) & 0x1000).not.toBe(0);
    expect(program?.access).toBe(3);
    // Continuations past instance 255 use pycomm3's 16-bit segment; none here, so ask once from 300 directly.
    const far = await channel.ask(request([])(300));
    expect(far).toMatchObject({ service: 0xd5, status: 0 });
    expect(far.data.length).toBe(0);

    const scoped = await upload(channel, request(symbolic("Program:MainProgram")), parse);
    expect(scoped.records.map((r) => [r.name, r.type, r.dims[0], r.access])).toEqual([
      ["Count", 0xc4, 0, 0],
      ["Names", 0x20c2, 3, 0],
    ]);
  });

  test("pylogix: attributes 1, 2, 8 unconnected, each record 20 bytes plus the name", async () => {
    const { port } = await plant();
    const c = await client(port);
    const channel = unconnected(c);
    const request = (prefix: number[]) => (start: number) =>
      cip(
        0x55,
        [...prefix, 0x20, 0x6b, ...instanceSegment(start)],
        [...u16(3), ...u16(1), ...u16(2), ...u16(8)],
      );
    const parse = (data: Buffer) => {
      const out = [];
      for (let at = 0; at < data.length; ) {
        const n = data.readUInt16LE(at + 4);
        const record = data.subarray(at, at + n + 20);
        expect(record.length).toBe(n + 20);
        out.push({
          instance: record.readUInt32LE(0),
          name: record.toString("latin1", 6, 6 + n),
          type: record.readUInt16LE(6 + n),
          dim0: record.readUInt32LE(8 + n),
        });
        at += n + 20;
      }
      return out;
    };
    const { pages, records } = await upload(channel, request([]), parse);
    expect(pages).toBeGreaterThan(2);
    expect(records.map((r) => r.name)).toEqual(CONTROLLER_NAMES);
    expect(records[0]).toMatchObject({ name: "SCADA", type: 0x20c3, dim0: 1000 });
    const scoped = await upload(channel, request(symbolic("Program:MainProgram")), parse);
    expect(scoped.records.map((r) => [r.name, r.dim0])).toEqual([
      ["Count", 0],
      ["Names", 3],
    ]);
  });

  test("libplctag @tags: attributes 2, 7, 8, 1 with a 16-bit instance over a Large Forward Open", async () => {
    const { port } = await plant();
    const c = await client(port);
    const channel = await connected(c, 4002);
    const request = (prefix: number[]) => (start: number) =>
      cip(
        0x55,
        [...prefix, 0x20, 0x6b, 0x25, 0x00, ...u16(start)],
        [...u16(4), ...u16(2), ...u16(7), ...u16(8), ...u16(1)],
      );
    // libplctag's entry: UDINT instance, UINT type, UINT element length, 3 × UDINT dimensions, UINT name length,
    // then the name.
    const parse = (data: Buffer) => {
      const out = [];
      for (let at = 0; at < data.length; ) {
        const n = data.readUInt16LE(at + 20);
        out.push({
          instance: data.readUInt32LE(at),
          type: data.readUInt16LE(at + 4),
          elementSize: data.readUInt16LE(at + 6),
          dims: [data.readUInt32LE(at + 8), data.readUInt32LE(at + 12), data.readUInt32LE(at + 16)],
          name: data.toString("latin1", at + 22, at + 22 + n),
        });
        at += 22 + n;
      }
      return out;
    };
    const { records } = await upload(channel, request([]), parse);
    expect(records.map((r) => r.name)).toEqual(CONTROLLER_NAMES);
    expect(records.find((r) => r.name === "SCADA")).toMatchObject({
      type: 0x20c3,
      elementSize: 2,
      dims: [1000, 0, 0],
    });
    expect(records.find((r) => r.name === "FLOAT")).toMatchObject({ elementSize: 4 });
    expect(records.find((r) => r.name === MANY[0])).toMatchObject({ type: 0xc4, elementSize: 4 });
    const scoped = await upload(channel, request(symbolic("Program:MainProgram")), parse);
    expect(scoped.records.map((r) => [r.name, r.elementSize, r.dims[0]])).toEqual([
      ["Count", 4, 0],
      ["Names", 1, 3],
    ]);
  });

  test("ethernet-ip 2.x discovery: attributes 1, 2 unconnected", async () => {
    const { port } = await plant();
    const c = await client(port);
    const request = (start: number) =>
      cip(0x55, [0x20, 0x6b, ...instanceSegment(start)], [...u16(2), ...u16(1), ...u16(2)]);
    const parse = (data: Buffer) => {
      const out = [];
      for (let at = 0; at < data.length; ) {
        const n = data.readUInt16LE(at + 4);
        out.push({
          instance: data.readUInt32LE(at),
          name: data.toString("ascii", at + 6, at + 6 + n),
          type: data.readUInt16LE(at + 6 + n),
        });
        at += 8 + n;
      }
      return out;
    };
    const { records } = await upload(unconnected(c), request, parse);
    expect(records.map((r) => r.name)).toEqual(CONTROLLER_NAMES);
  });

  test("st-ethernet-ip: its own TagList builds every request and parses every reply", async () => {
    interface StTagList {
      tags: { id: number; name: string; type: { code: number; arrayDims: number }; program: string | null }[];
      _generateListMessageRequest(instanceID?: number, program?: string): Buffer;
      _parseAttributeListResponse(data: Buffer, program?: string): number;
    }
    const TagList = require("st-ethernet-ip/dist/tag-list").default as new () => StTagList;
    const { port } = await plant();
    const c = await client(port);
    const channel = await connected(c, 500);
    const list = new TagList();
    for (const program of [undefined, "MainProgram"]) {
      let start = 0;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(100);
        const reply = await channel.ask(new Uint8Array(list._generateListMessageRequest(start, program)));
        expect([0x00, 0x06]).toContain(reply.status);
        const last = list._parseAttributeListResponse(reply.data, program);
        if (reply.status === 0) break;
        start = last + 1;
      }
    }
    expect(list.tags.filter((t) => !t.program).map((t) => t.name)).toEqual(CONTROLLER_NAMES);
    expect(list.tags.filter((t) => t.program).map((t) => [t.name, t.type.code, t.type.arrayDims])).toEqual([
      ["Count", 0xc4, 0],
      ["Names", 0xc2, 1],
    ]);
  });

  test("answers every attribute a ControlLogix answers, in any combination and order", async () => {
    const { port, controller } = await plant();
    const c = await client(port);
    const scada = controller.tags.require("SCADA").instance;
    const all = [1, 2, 3, 5, 6, 7, 8, 10];
    const orders = [all, [...all].reverse(), [10], [8, 1], [7, 10, 2], [10, 1, 10]];
    for (const attributes of orders) {
      const reply = await c.request(getInstanceAttributeListRequest(scada, attributes) as CipRequest);
      expect(reply).toMatchObject({ kind: "getInstanceAttributeList" });
      const first = (reply as { instances: SymbolInstance[] }).instances[0] as SymbolInstance;
      expect(first.instance).toBe(scada);
      expect(first.attributes.map((a) => a.id)).toEqual(attributes);
      const value = Object.fromEntries(first.attributes.map((a) => [a.id, a.value]));
      const expected: Record<number, unknown> = { 1: "SCADA", 2: 0x20c3, 7: 2, 8: [1000, 0, 0], 10: 0 };
      for (const id of attributes) if (id in expected) expect(value[id]).toEqual(expected[id]);
    }
    // Attribute 10 of one symbol instance, by Get Attribute Single: one USINT.
    const single = await c.request(getAttributeSingleRequest(parseEPath(`@0x6b/${scada}/10`)));
    expect(single).toMatchObject({ generalStatus: 0 });
    expect([...(single as unknown as { data: Uint8Array }).data]).toEqual([0]);
  });
});
