import { readFileSync } from "node:fs";
import { describeWithTshark, PcapWriter, tsharkVerdict } from "@cpppo/pcap-kit";
import fc from "fast-check";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import { type CpfItem, cpfItemDataSize, cpfItemTypeId } from "../src/encapsulation/cpf.js";
import {
  decodeEncapsulation,
  decodeHeader,
  ENCAPSULATION_HEADER_SIZE,
  type EncapsulationBody,
  EncapsulationCommand,
  type EncapsulationFrame,
  type EncapsulationFrameInit,
  type EncapsulationHeader,
  EncapsulationStatus,
  encodeEncapsulation,
  encodeHeader,
  sizeOfEncapsulation,
  writeEncapsulation,
} from "../src/encapsulation/encapsulation.js";
import { mutate, prng } from "./support/mutate.js";
import { fixturePath, loadVectors, type Vector as SharedVector } from "./support/vectors.js";

/** What this suite reads of a vector's decoded facts. */
interface FrameFacts {
  command: number;
  length: number;
  session: number;
  status: number;
  sender_context: string;
  options: number;
  protocol_version?: number;
  option_flags?: number;
  interface?: number;
  timeout?: number;
  cpf?: { count: number; items: { type_id: number; length: number }[] };
}
type Vector = SharedVector<FrameFacts>;

interface CaptureFrame {
  frame: number;
  direction: string;
  tcp_payload_hex: string;
  tshark: Record<string, string | number | string[]>;
}

const vectors = loadVectors<FrameFacts>();
const full = vectors.filter((v) => v.frame === "full" && v.hex !== "");
const capture = JSON.parse(
  readFileSync(fixturePath("controllogix-SCADA-read-write.frames.json"), "utf8"),
) as {
  frames: CaptureFrame[];
};

function decodeError(run: () => unknown): CipDecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof CipDecodeError) return e;
    throw e;
  }
  throw new Error("expected a CipDecodeError");
}

const hex = (s: string) => fromHex(s.replace(/ /g, ""));
const context = (s: string) => fromHex(s);

describe("code tables", () => {
  it("names commands and statuses", () => {
    expect(EncapsulationCommand.nameOf(0x006f)).toBe("sendRRData");
    expect(EncapsulationCommand.codes.registerSession).toBe(0x0065);
    expect(EncapsulationCommand.describe(0x0001)).toMatch(/undocumented/);
    expect(EncapsulationStatus.nameOf(0x0064)).toBe("invalidSessionHandle");
    expect(EncapsulationStatus.describe(0x0069)).toMatch(/protocol revision/);
    expect(EncapsulationStatus.describe(0x0042)).toBe("unknown 0x0042");
  });
});

describe("annotated frames (decode, encode, round trip)", () => {
  const fixtures: { name: string; bytes: string; frame: EncapsulationFrame }[] = [
    {
      name: "RegisterSession request (rss_004_request)",
      bytes: [
        "6500", // command RegisterSession
        "0400", // length 4
        "00000000", // session 0 (none yet)
        "00000000", // status success
        "0000000000000000", // sender context
        "00000000", // options
        "0100", // protocol version 1
        "0000", // option flags
      ].join(""),
      frame: {
        header: {
          command: 0x65,
          length: 4,
          session: 0,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
      },
    },
    {
      name: "SendRRData: routed Read Tag SCADA[1] (cpppo reference §2.14)",
      bytes: [
        "6f00 2c00", // SendRRData, length 44
        "44332211", // session 0x11223344
        "00000000", // status
        "3000000000000000", // sender context "0"
        "00000000", // options
        "00000000", // interface handle 0 (CIP)
        "0800", // timeout 8 s
        "0200", // CPF: 2 items
        "0000 0000", // null address
        "b200 1c00", // unconnected data, 28 bytes:
        "5202 20062401 059d 0e00", //   Unconnected Send to @6/1, tick 5, 157 ticks, 14-byte message
        "4c05 91055343414441002801 0100", //   Read Tag SCADA[1], 1 element
        "0100 0100", //   route path: 1 word, port 1 link 0
      ].join(""),
      frame: {
        header: {
          command: 0x6f,
          length: 44,
          session: 0x11223344,
          status: 0,
          senderContext: context("3000000000000000"),
          options: 0,
        },
        body: {
          command: "sendRRData",
          interfaceHandle: 0,
          timeout: 8,
          cpf: [
            { kind: "nullAddress" },
            {
              kind: "unconnectedData",
              data: hex("520220062401059d0e004c05910553434144410028010100 01000100"),
            },
          ],
        },
      },
    },
    {
      name: "SendUnitData: connected Write Tag (wtg_001_request)",
      bytes: [
        "7000 2700", // SendUnitData, length 39
        "01850214", // session 0x14028501
        "00000000", // status
        "6e6f000000000000", // sender context "no"
        "00000000", // options
        "00000000", // interface handle
        "0000", // timeout 0 (connected)
        "0200", // 2 items
        "a100 0400 028f9701", // connected address: connection 0x01978f02
        "b100 1300 0200", // connected data, 19 bytes, sequence 2
        "4d05910749544553544f5000c1000100ff", // Write Tag ITESTOP BOOL 1 element 0xff
      ].join(""),
      frame: {
        header: {
          command: 0x70,
          length: 39,
          session: 0x14028501,
          status: 0,
          senderContext: context("6e6f000000000000"),
          options: 0,
        },
        body: {
          command: "sendUnitData",
          interfaceHandle: 0,
          timeout: 0,
          cpf: [
            { kind: "connectedAddress", connectionId: 0x01978f02 },
            { kind: "connectedData", sequence: 2, data: hex("4d05910749544553544f5000c1000100ff") },
          ],
        },
      },
    },
    {
      name: "ListIdentity request: no data",
      bytes: "6300 0000 00000000 00000000 0000000000000000 00000000", // command, length 0, session, status, context, options
      frame: {
        header: {
          command: 0x63,
          length: 0,
          session: 0,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "listIdentity" },
      },
    },
    {
      name: "ListInterfaces reply: an empty CPF (listifaces_1_rpy)",
      bytes: "6400 0200 00000000 00000000 0000000000000000 00000000 0000", // ..., length 2, CPF count 0
      frame: {
        header: {
          command: 0x64,
          length: 2,
          session: 0,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "listInterfaces", cpf: [] },
      },
    },
    {
      name: "UnRegisterSession",
      bytes: "6600 0000 04030201 00000000 0000000000000000 00000000", // session 0x01020304, no data
      frame: {
        header: {
          command: 0x66,
          length: 0,
          session: 0x01020304,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "unRegisterSession" },
      },
    },
    {
      name: "NOP with data the receiver ignores",
      bytes: "0000 0300 00000000 00000000 0000000000000000 00000000 616263", // NOP, length 3, "abc"
      frame: {
        header: {
          command: 0,
          length: 3,
          session: 0,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "nop", data: hex("616263") },
      },
    },
    {
      name: "error reply: status 0x64 (invalid session handle) leaves the data raw",
      bytes: "6f00 0000 78563412 64000000 0100000000000000 00000000", // SendRRData, length 0, status 0x64
      frame: {
        header: {
          command: 0x6f,
          length: 0,
          session: 0x12345678,
          status: 0x64,
          senderContext: context("0100000000000000"),
          options: 0,
        },
        body: { command: "raw", data: new Uint8Array(0) },
      },
    },
    {
      name: "a command without a body decoder (IndicateStatus) stays raw",
      bytes: "7200 0200 00000000 00000000 0000000000000000 00000000 0102",
      frame: {
        header: {
          command: 0x72,
          length: 2,
          session: 0,
          status: 0,
          senderContext: new Uint8Array(8),
          options: 0,
        },
        body: { command: "raw", data: hex("0102") },
      },
    },
  ];

  for (const f of fixtures) {
    const bytes = f.bytes.replace(/ /g, "");
    describe(f.name, () => {
      it("decodes to the object", () => {
        expect(decodeEncapsulation(fromHex(bytes))).toEqual(f.frame);
      });
      it("encodes to the bytes", () => {
        expect(sizeOfEncapsulation(f.frame)).toBe(bytes.length / 2);
        expect(toHex(encodeEncapsulation(f.frame))).toBe(bytes);
      });
      it("round-trips the object", () => {
        expect(decodeEncapsulation(encodeEncapsulation(f.frame))).toEqual(f.frame);
      });
    });
  }

  it("encodes with header defaults and computes the length", () => {
    const bytes = encodeEncapsulation({
      body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 },
    });
    expect(toHex(bytes)).toBe("65000400000000000000000000000000000000000000000001000000");
  });

  it("encodeHeader writes the header exactly as given; decodeHeader reads it back", () => {
    const h: EncapsulationHeader = {
      command: 0x6f,
      length: 0x1234,
      session: 0xfedcba98,
      status: 1,
      senderContext: fromHex("0102030405060708"),
      options: 7,
    };
    const w = new Writer(ENCAPSULATION_HEADER_SIZE);
    encodeHeader(w, h);
    expect(toHex(w.finish())).toBe("6f003412 98badcfe 01000000 0102030405060708 07000000".replace(/ /g, ""));
    expect(decodeHeader(new Reader(w.finish()))).toEqual(h);
  });

  it("writeEncapsulation appends to a shared writer", () => {
    const w = new Writer(4);
    w.u32(0xdeadbeef);
    writeEncapsulation(w, { body: { command: "listServices" } });
    expect(toHex(w.finish())).toBe(`efbeadde0400${"00".repeat(22)}`);
  });

  it("decoded views share the input bytes (zero copy)", () => {
    const bytes = fromHex(fixtures[1]?.bytes.replace(/ /g, "") as string);
    const frame = decodeEncapsulation(bytes);
    expect(frame.header.senderContext.buffer).toBe(bytes.buffer);
    const item = (frame.body as { cpf: CpfItem[] }).cpf[1] as { data: Uint8Array };
    expect(item.data.buffer).toBe(bytes.buffer);
    expect(item.data.byteOffset).toBe(bytes.byteOffset + 40);
  });
});

/**
 * Equal frames up to the length field, which differs when the input used a non-canonical form that the
 * encoder normalises (a ListServices name shorter than its 16-byte field).
 */
function expectSameFrame(again: EncapsulationFrame, frame: EncapsulationFrame): void {
  expect(again.body).toEqual(frame.body);
  expect({ ...again.header, length: 0 }).toEqual({ ...frame.header, length: 0 });
}

/** Header and body facts of a full-frame vector, checked against our decode. */
function expectFrameMatches(frame: EncapsulationFrame, v: Vector): void {
  const d = v.decoded;
  expect(frame.header).toEqual({
    command: d.command,
    length: d.length,
    session: d.session,
    status: d.status,
    senderContext: fromHex(d.sender_context),
    options: d.options,
  });
  expect(frame.body.command).toBe(EncapsulationCommand.nameOf(d.command));
  const body = frame.body;
  if (body.command === "registerSession")
    expect(body).toEqual({
      command: "registerSession",
      protocolVersion: d.protocol_version,
      optionFlags: d.option_flags,
    });
  if (body.command === "sendRRData" || body.command === "sendUnitData") {
    expect(body.interfaceHandle).toBe(d.interface);
    expect(body.timeout).toBe(d.timeout);
  }
  const cpf = "cpf" in body ? body.cpf : undefined;
  // The items' own fields (identity, services, connection ids, ...) are checked in cpf.test.ts.
  expect(cpf?.map((item) => [cpfItemTypeId(item), cpfItemDataSize(item)])).toEqual(
    d.cpf?.items.map((item) => [item.type_id, item.length]),
  );
}

describe("full-frame vectors", () => {
  it("covers the 58 non-empty full frames", () => {
    expect(full.length).toBe(58);
  });

  for (const v of full.filter((x) => !x.malformed)) {
    describe(v.name, () => {
      const bytes = fromHex(v.hex);
      it("decodes to the vector's header, body and items", () => {
        expectFrameMatches(decodeEncapsulation(bytes), v);
      });
      it("re-encodes to the same bytes", () => {
        const frame = decodeEncapsulation(bytes);
        expect(sizeOfEncapsulation(frame)).toBe(bytes.length);
        expect(toHex(encodeEncapsulation(frame))).toBe(v.hex);
      });
    });
  }

  it("lst_svc2_req (malformed): decodes the short service name; re-encoding pads the name to the spec's 16 bytes", () => {
    const v = full.find((x) => x.name === "lst_svc2_req") as Vector;
    const frame = decodeEncapsulation(fromHex(v.hex));
    expect(frame.body).toEqual({
      command: "listServices",
      cpf: [{ kind: "listServices", version: 1, capabilityFlags: 0x20, name: "Communications" }],
    });
    // What differs: the encapsulation length is 26 (not 25), the item length 20 (not 19), and two NULs end the name.
    const expected = `${v.hex.slice(0, 4)}1a00${v.hex.slice(8, 56)}1400${v.hex.slice(60)}00`;
    expect(toHex(encodeEncapsulation(frame))).toBe(expected);
    expectSameFrame(decodeEncapsulation(encodeEncapsulation(frame)), frame);
  });

  it("listident_1_rpy_bad_CPF_framing (malformed): the header decodes, the frame is a CipDecodeError", () => {
    const v = full.find((x) => x.name === "listident_1_rpy_bad_CPF_framing") as Vector;
    const bytes = fromHex(v.hex);
    expect(decodeHeader(new Reader(bytes))).toMatchObject({
      command: 0x63,
      length: 72,
      session: 0,
      status: 0,
    });
    // The identity item claims 39 bytes, so its 29-character product name runs past the item's end.
    const e = decodeError(() => decodeEncapsulation(bytes));
    expect(e.failure).toBe("truncated");
    expect(e.path).toEqual(["cpf", 0, "productName"]);
    expect(e.offset).toBe(24 + 2 + 4 + 33);
  });

  it("empty_req (zero bytes) is not a frame", () => {
    const e = decodeError(() => decodeEncapsulation(new Uint8Array(0)));
    expect(e).toMatchObject({ failure: "truncated", offset: 0, path: ["header"] });
  });
});

describe("ControlLogix capture frames", () => {
  it("has 14 frames", () => {
    expect(capture.frames.length).toBe(14);
  });
  for (const f of capture.frames) {
    it(`frame ${f.frame} (${f.direction}) decodes as tshark read it and re-encodes to the same bytes`, () => {
      const bytes = fromHex(f.tcp_payload_hex);
      const frame = decodeEncapsulation(bytes);
      const t = f.tshark;
      const h = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, "0")}`;
      expect({
        command: h(frame.header.command, 4),
        length: frame.header.length,
        session: h(frame.header.session, 8),
        status: h(frame.header.status, 8),
        context: toHex(frame.header.senderContext),
        options: h(frame.header.options, 8),
        typeIds: "cpf" in frame.body ? (frame.body.cpf ?? []).map((i) => h(cpfItemTypeId(i), 4)) : [],
      }).toEqual({
        command: t["enip.command"],
        length: t["enip.length"],
        session: t["enip.session"],
        status: t["enip.status"],
        context: t["enip.context"],
        options: t["enip.options"],
        typeIds: t["enip.cpf.typeid"],
      });
      expect(toHex(encodeEncapsulation(frame))).toBe(f.tcp_payload_hex);
    });
  }
});

describe("frame decode errors", () => {
  const header = (command: string, length: string) => `${command}${length}${"00".repeat(20)}`;
  const cases: { name: string; bytes: string; failure: string; path: (string | number)[]; offset: number }[] =
    [
      { name: "a partial header", bytes: "6f0000", failure: "truncated", path: ["header"], offset: 0 },
      {
        name: "fewer bytes than the length field",
        bytes: `${header("6500", "0400")}0100`,
        failure: "truncated",
        path: ["length"],
        offset: 2,
      },
      {
        name: "more bytes than the length field",
        bytes: `${header("6500", "0400")}0100000000`,
        failure: "invalid",
        path: ["length"],
        offset: 2,
      },
      {
        name: "RegisterSession of 2 bytes",
        bytes: `${header("6500", "0200")}0100`,
        failure: "invalid",
        path: ["length"],
        offset: 2,
      },
      {
        name: "UnRegisterSession with data",
        bytes: `${header("6600", "0100")}00`,
        failure: "invalid",
        path: ["length"],
        offset: 2,
      },
      {
        name: "SendRRData without a timeout",
        bytes: `${header("6f00", "0400")}00000000`,
        failure: "truncated",
        path: ["timeout"],
        offset: 28,
      },
      {
        name: "SendRRData without a CPF",
        bytes: `${header("6f00", "0600")}000000000000`,
        failure: "truncated",
        path: ["cpf", "count"],
        offset: 30,
      },
      {
        name: "bytes after the CPF",
        bytes: `${header("6f00", "0900")}000000000000000000`,
        failure: "invalid",
        path: [],
        offset: 32,
      },
      {
        name: "ListIdentity reply of 1 byte",
        bytes: `${header("6300", "0100")}01`,
        failure: "truncated",
        path: ["cpf", "count"],
        offset: 24,
      },
      {
        name: "ListServices reply with a short item",
        bytes: `${header("0400", "0600")}01000001 0000`,
        failure: "truncated",
        path: ["cpf", 0, "version"],
        offset: 30,
      },
    ];
  for (const c of cases)
    it(c.name, () => {
      const e = decodeError(() => decodeEncapsulation(hex(c.bytes)));
      expect({ failure: e.failure, path: e.path, offset: e.offset }).toEqual({
        failure: c.failure,
        path: c.path,
        offset: c.offset,
      });
    });

  it("applies the length and item-count ceilings", () => {
    const nop = encodeEncapsulation({ body: { command: "nop", data: new Uint8Array(100) } });
    expect(decodeError(() => decodeEncapsulation(nop, { maxEncapsulationLength: 99 })).failure).toBe("limit");
    expect(decodeEncapsulation(nop, { maxEncapsulationLength: 100 }).body.command).toBe("nop");
    const send = encodeEncapsulation({
      body: {
        command: "sendRRData",
        interfaceHandle: 0,
        timeout: 0,
        cpf: [{ kind: "nullAddress" }, { kind: "nullAddress" }],
      },
    });
    expect(decodeError(() => decodeEncapsulation(send, { maxCpfItems: 1 }))).toMatchObject({
      failure: "limit",
      path: ["cpf", "count"],
    });
  });

  it("decodes a frame that sits inside a larger buffer", () => {
    const frame = encodeEncapsulation({ body: { command: "nop", data: hex("0102") } });
    const big = new Uint8Array(frame.length + 10);
    big.set(frame, 5);
    expect(decodeEncapsulation(big.subarray(5, 5 + frame.length)).body).toEqual({
      command: "nop",
      data: hex("0102"),
    });
  });
});

describe("frame encode errors", () => {
  const ok: EncapsulationBody = { command: "registerSession", protocolVersion: 1, optionFlags: 0 };
  const bad: { name: string; frame: EncapsulationFrameInit }[] = [
    { name: "a 4-byte sender context", frame: { header: { senderContext: new Uint8Array(4) }, body: ok } },
    { name: "a session above u32", frame: { header: { session: 2 ** 32 }, body: ok } },
    { name: "a negative status", frame: { header: { status: -1 }, body: ok } },
    { name: "a fractional option", frame: { header: { options: 0.5 }, body: ok } },
    { name: "a header command that disagrees with the body", frame: { header: { command: 0x66 }, body: ok } },
    { name: "a raw body without a command", frame: { body: { command: "raw", data: new Uint8Array(0) } } },
    {
      name: "a raw body with a command above u16",
      frame: { header: { command: 0x10000 }, body: { command: "raw", data: new Uint8Array(0) } },
    },
    { name: "data above 65535 bytes", frame: { body: { command: "nop", data: new Uint8Array(0x10000) } } },
    { name: "a protocol version above u16", frame: { body: { ...ok, protocolVersion: 0x10000 } } },
    {
      name: "a timeout above u16",
      frame: { body: { command: "sendRRData", interfaceHandle: 0, timeout: 0x10000, cpf: [] } },
    },
    { name: "an unknown body", frame: { body: { command: "bogus" } as unknown as EncapsulationBody } },
  ];
  for (const b of bad)
    it(b.name, () => {
      expect(() => encodeEncapsulation(b.frame)).toThrow(CipEncodeError);
    });

  it("encodeHeader refuses a length above u16", () => {
    const h = {
      command: 0,
      length: 0x10000,
      session: 0,
      status: 0,
      senderContext: new Uint8Array(8),
      options: 0,
    };
    expect(() => encodeHeader(new Writer(24), h)).toThrow(CipEncodeError);
  });
});

// --- property tests ---

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Items of the kinds a frame typically carries (cpf.test.ts covers every kind in depth). */
const item: fc.Arbitrary<CpfItem> = fc.oneof(
  fc.constant<CpfItem>({ kind: "nullAddress" }),
  fc.record({ kind: fc.constant("connectedAddress" as const), connectionId: u32 }),
  fc.record({ kind: fc.constant("connectedData" as const), sequence: u16, data: bytes(32) }),
  fc.record({ kind: fc.constant("unconnectedData" as const), data: bytes(32) }),
  fc.record({
    kind: fc.constantFrom("sockaddrInfoOT" as const, "sockaddrInfoTO" as const),
    socketAddress: fc.record({
      family: fc.constant(2),
      port: u16,
      address: fc.tuple(u8, u8, u8, u8).map((o) => o.join(".")),
    }),
  }),
  fc.record({
    kind: fc.constant("listServices" as const),
    version: u16,
    capabilityFlags: u16,
    name: fc.constantFrom("", "Communications"),
  }),
  fc.record({
    kind: fc.constant("raw" as const),
    typeId: fc.constantFrom(0x0086, 0x0087, 0x8003, 0x1234),
    data: bytes(16),
  }),
);
const cpf = fc.array(item, { maxLength: 6 });

const namedBody: fc.Arbitrary<EncapsulationBody> = fc.oneof(
  fc.record({ command: fc.constant("registerSession" as const), protocolVersion: u16, optionFlags: u16 }),
  fc.constant<EncapsulationBody>({ command: "unRegisterSession" }),
  fc.record({
    command: fc.constantFrom("sendRRData" as const, "sendUnitData" as const),
    interfaceHandle: u32,
    timeout: u16,
    cpf,
  }),
  fc
    .record({
      command: fc.constantFrom(
        "listServices" as const,
        "listIdentity" as const,
        "listInterfaces" as const,
        "legacy" as const,
      ),
      cpf: fc.option(cpf, { nil: undefined }),
    })
    .map(withoutUndefined),
  fc.record({ command: fc.constant("nop" as const), data: bytes(64) }),
);
const headerFields = fc.record({
  session: u32,
  senderContext: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  options: u32,
});
const UNDECODED_COMMANDS = [0x0072, 0x0073, 0x00c8, 0x0002, 0x1234, 0xffff];

/** Any frame the encoder accepts: a named body with status 0, or a raw body (error status or undecoded command). */
const frameArbitrary: fc.Arbitrary<EncapsulationFrameInit> = fc.oneof(
  fc.record({ header: headerFields, body: namedBody }),
  fc.record({
    header: fc.record({
      command: u16,
      status: fc.integer({ min: 1, max: 0xffffffff }),
      session: u32,
      senderContext: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      options: u32,
    }),
    body: bytes(64).map((data): EncapsulationBody => ({ command: "raw", data })),
  }),
  fc.record({
    header: fc.record({ command: fc.constantFrom(...UNDECODED_COMMANDS), session: u32, options: u32 }),
    body: bytes(64).map((data): EncapsulationBody => ({ command: "raw", data })),
  }),
);

describe("frame properties", () => {
  it("random frames round-trip with the computed length", () => {
    fc.assert(
      fc.property(frameArbitrary, (frame) => {
        const encoded = encodeEncapsulation(frame);
        expect(encoded.length).toBe(sizeOfEncapsulation(frame));
        const decoded = decodeEncapsulation(encoded);
        expect(decoded.header).toMatchObject({
          length: encoded.length - ENCAPSULATION_HEADER_SIZE,
          session: frame.header?.session ?? 0,
          status: frame.header?.status ?? 0,
          senderContext: frame.header?.senderContext ?? new Uint8Array(8),
          options: frame.header?.options ?? 0,
        });
        if (frame.header?.command !== undefined) expect(decoded.header.command).toBe(frame.header.command);
        expect(decoded.body).toEqual(frame.body);
        expect(toHex(encodeEncapsulation(decoded))).toBe(toHex(encoded));
      }),
      { numRuns: 3000 },
    );
  });

  it("random bytes give a frame or a CipDecodeError", () => {
    fc.assert(
      fc.property(bytes(100), (input) => {
        try {
          decodeEncapsulation(input);
        } catch (e) {
          expect(e).toBeInstanceOf(CipDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("random data under a consistent header gives a frame or a CipDecodeError; what decodes re-encodes stably", () => {
    const commands = [0x0000, 0x0001, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070, 0x0072];
    fc.assert(
      fc.property(fc.constantFrom(...commands), bytes(80), (command, data) => {
        const input = new Uint8Array(ENCAPSULATION_HEADER_SIZE + data.length);
        input[0] = command & 0xff;
        input[1] = command >> 8;
        input[2] = data.length;
        input.set(data, ENCAPSULATION_HEADER_SIZE);
        let frame: EncapsulationFrame;
        try {
          frame = decodeEncapsulation(input);
        } catch (e) {
          expect(e).toBeInstanceOf(CipDecodeError);
          return;
        }
        expectSameFrame(decodeEncapsulation(encodeEncapsulation(frame)), frame);
      }),
      { numRuns: 4000 },
    );
  });

  it("mutants of the vector and capture frames give a frame or a CipDecodeError", () => {
    const seeds = [
      ...full.map((v) => fromHex(v.hex)),
      ...capture.frames.map((f) => fromHex(f.tcp_payload_hex)),
    ];
    const random = prng(0xe4a9);
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const input = mutate(seeds, random);
      let frame: EncapsulationFrame;
      try {
        frame = decodeEncapsulation(input);
      } catch (e) {
        if (!(e instanceof CipDecodeError)) throw new Error(`case ${i}: ${String(e)}`);
        continue;
      }
      decoded++;
      expectSameFrame(decodeEncapsulation(encodeEncapsulation(frame)), frame);
    }
    expect(decoded).toBeGreaterThan(100);
  });
});

describeWithTshark("Wireshark reads what we encode", () => {
  it("every command and item kind dissects with no malformed or error flag (needs tshark)", () => {
    const session = { session: 0x0badf00d, senderContext: fromHex("6370707070000001") };
    const identity: CpfItem = {
      kind: "listIdentity",
      protocolVersion: 1,
      socketAddress: { family: 2, port: 44818, address: "10.0.0.2" },
      vendorId: 1,
      deviceType: 14,
      productCode: 54,
      revisionMajor: 20,
      revisionMinor: 11,
      status: 0x3160,
      serialNumber: 0x006c061a,
      productName: "1756-L61/B LOGIX5561",
      state: 3,
    };
    const exchanges: [EncapsulationFrameInit, EncapsulationFrameInit | undefined][] = [
      [
        { body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } },
        { header: session, body: { command: "registerSession", protocolVersion: 1, optionFlags: 0 } },
      ],
      [{ body: { command: "listIdentity" } }, { body: { command: "listIdentity", cpf: [identity] } }],
      [
        { body: { command: "listServices" } },
        {
          body: {
            command: "listServices",
            cpf: [{ kind: "listServices", version: 1, capabilityFlags: 0x0120, name: "Communications" }],
          },
        },
      ],
      [{ body: { command: "listInterfaces" } }, { body: { command: "listInterfaces", cpf: [] } }],
      [
        {
          header: session,
          body: {
            command: "sendRRData",
            interfaceHandle: 0,
            timeout: 8,
            cpf: [
              { kind: "nullAddress" },
              { kind: "unconnectedData", data: fromHex("010220012401") },
              { kind: "sockaddrInfoOT", socketAddress: { family: 2, port: 2222, address: "239.192.1.1" } },
              { kind: "sockaddrInfoTO", socketAddress: { family: 2, port: 2222, address: "10.0.0.1" } },
            ],
          },
        },
        {
          header: session,
          body: {
            command: "sendRRData",
            interfaceHandle: 0,
            timeout: 8,
            cpf: [{ kind: "nullAddress" }, { kind: "unconnectedData", data: fromHex("81000800") }],
          },
        },
      ],
      [
        {
          header: session,
          body: {
            command: "sendUnitData",
            interfaceHandle: 0,
            timeout: 0,
            cpf: [
              { kind: "connectedAddress", connectionId: 0x01978f02 },
              { kind: "connectedData", sequence: 1, data: fromHex("010220012401") },
            ],
          },
        },
        undefined,
      ],
      [{ header: session, body: { command: "nop", data: fromHex("00000000") } }, undefined],
      [{ header: session, body: { command: "unRegisterSession" } }, undefined],
    ];
    const pcap = new PcapWriter();
    let count = 0;
    for (const [request, reply] of exchanges) {
      pcap.request(encodeEncapsulation(request));
      count++;
      if (reply) {
        pcap.reply(encodeEncapsulation(reply));
        count++;
      }
    }
    const verdict = tsharkVerdict(pcap.bytes());
    expect(verdict.malformed).toEqual([]);
    expect(verdict.expertErrors).toEqual([]);
    expect(verdict.detail).toBe("");
    expect(verdict.lines.length).toBe(count);
  });

  it("while it flags the short ListServices name cpppo emits (lst_svc2_req, needs tshark)", () => {
    const v = full.find((x) => x.name === "lst_svc2_req") as Vector;
    const ours = encodeEncapsulation(decodeEncapsulation(fromHex(v.hex)));
    expect(tsharkVerdict(new PcapWriter().reply(fromHex(v.hex)).bytes()).malformed.length).toBe(1);
    expect(tsharkVerdict(new PcapWriter().reply(ours).bytes()).malformed).toEqual([]);
  });
});
