import fc from "fast-check";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import {
  type CpfItem,
  CpfItemType,
  cpfItemDataSize,
  cpfItemTypeId,
  decodeCpf,
  decodeCpfBytes,
  encodeCpf,
  encodeCpfBytes,
  ListServicesCapability,
  sizeOfCpf,
  sizeOfCpfItem,
} from "../src/encapsulation/cpf.js";
import { mutate, prng } from "./support/mutate.js";
import { loadVectors, type Vector as SharedVector } from "./support/vectors.js";

/** One CPF item as `enip-vectors.json` describes it (snake_case facts, see its README). */
interface VectorItem {
  type_id: number;
  length: number;
  connection_id?: number;
  sequence?: number;
  pccc?: string;
  identity?: {
    encap_version: number;
    sin_family: number;
    sin_port: number;
    sin_addr: string;
    vendor_id: number;
    device_type: number;
    product_code: number;
    revision: string;
    status_word: number;
    serial_number: number;
    product_name: string;
    state: number;
  };
  version?: number;
  capability_flags?: number;
  service_name?: string;
  unknown?: number;
  sin_family?: number;
  sin_port?: number;
  sin_addr?: string;
  ip_string?: string;
}

/** What this suite reads of a vector's decoded facts. */
interface CpfFacts {
  command?: number;
  length?: number;
  count?: number;
  items?: VectorItem[];
  cpf?: { count: number; items: VectorItem[] };
  version?: number;
  capability_flags?: number;
  service_name?: string;
}
type Vector = SharedVector<CpfFacts>;

const vectors = loadVectors<CpfFacts>();

const SEND_RR_DATA = 0x6f;
const SEND_UNIT_DATA = 0x70;
/** Offset of the CPF inside a full frame: after the header, plus interface handle and timeout for Send*Data. */
const cpfOffset = (command: number) => (command === SEND_RR_DATA || command === SEND_UNIT_DATA ? 30 : 24);

function decodeError(run: () => unknown): CipDecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof CipDecodeError) return e;
    throw e;
  }
  throw new Error("expected a CipDecodeError");
}

/** Every fact the vector gives about one item, checked against our decoded item. */
function expectItemMatches(item: CpfItem, v: VectorItem): void {
  expect(cpfItemTypeId(item)).toBe(v.type_id);
  switch (item.kind) {
    case "nullAddress":
      break;
    case "connectedAddress":
      expect(item.connectionId).toBe(v.connection_id);
      break;
    case "connectedData":
      expect(item.sequence).toBe(v.sequence);
      expect(item.data.length).toBe(v.length - 2);
      if (v.pccc !== undefined) expect(toHex(item.data)).toBe(v.pccc);
      break;
    case "unconnectedData":
      expect(item.data.length).toBe(v.length);
      break;
    case "listIdentity": {
      const id = v.identity as NonNullable<VectorItem["identity"]>;
      const [major, minor] = id.revision.split(".").map(Number);
      expect(item).toMatchObject({
        protocolVersion: id.encap_version,
        socketAddress: { family: id.sin_family, port: id.sin_port, address: id.sin_addr },
        vendorId: id.vendor_id,
        deviceType: id.device_type,
        productCode: id.product_code,
        revisionMajor: major,
        revisionMinor: minor,
        status: id.status_word,
        serialNumber: id.serial_number,
        productName: id.product_name,
        state: id.state,
      });
      break;
    }
    case "listServices":
      expect(item).toMatchObject({
        version: v.version,
        capabilityFlags: v.capability_flags,
        name: v.service_name,
      });
      break;
    case "legacyReply":
      expect(item).toMatchObject({
        version: v.version,
        reserved: v.unknown,
        socketAddress: { family: v.sin_family, port: v.sin_port, address: v.sin_addr },
        ipString: v.ip_string,
      });
      break;
    default:
      throw new Error(`vector item 0x${v.type_id.toString(16)} decoded as ${item.kind}`);
  }
}

/** CPF payloads: the `cpf` vectors, plus the CPF inside every well-framed full frame that has one. */
const cpfPayloads = [
  ...vectors
    .filter((v) => v.frame === "cpf" && v.decoded.items !== undefined)
    .map((v) => ({
      name: v.name,
      bytes: fromHex(v.hex),
      items: v.decoded.items as VectorItem[],
      malformed: !!v.malformed,
    })),
  ...vectors
    .filter(
      (v) =>
        v.frame === "full" && v.decoded.cpf !== undefined && v.name !== "listident_1_rpy_bad_CPF_framing",
    )
    .map((v) => ({
      name: v.name,
      bytes: fromHex(v.hex).subarray(cpfOffset(v.decoded.command as number)),
      items: v.decoded.cpf?.items as VectorItem[],
      malformed: !!v.malformed,
    })),
];

describe("CPF vectors", () => {
  it("covers the cpf vectors and the CPF of the full frames", () => {
    // 11 cpf vectors less commserv_1 (an item body, tested below); 53 full frames with a CPF less the badly framed one.
    expect(cpfPayloads.length).toBe(10 + 52);
  });

  for (const p of cpfPayloads) {
    it(`${p.name}: decodes every item as the vector describes it`, () => {
      const items = decodeCpfBytes(p.bytes);
      expect(items.length).toBe(p.items.length);
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as CpfItem;
        expectItemMatches(item, p.items[i] as VectorItem);
        if (!p.malformed) expect(cpfItemDataSize(item)).toBe(p.items[i]?.length);
      }
    });
    if (!p.malformed)
      it(`${p.name}: re-encodes to the same bytes`, () => {
        const items = decodeCpfBytes(p.bytes);
        expect(sizeOfCpf(items)).toBe(p.bytes.length);
        expect(toHex(encodeCpfBytes(items))).toBe(toHex(p.bytes));
      });
  }

  it("cpf_listservices_abc (malformed): the short name form decodes; we re-encode the spec's 16-byte name", () => {
    // 01 00 count | 00 01 type 0x0100 | 08 00 length 8 | 03 00 version | 04 00 flags | 61 62 63 00 "abc" NUL
    const bytes = fromHex("0100000108000300040061626300");
    const items = decodeCpfBytes(bytes);
    expect(items).toEqual([{ kind: "listServices", version: 3, capabilityFlags: 4, name: "abc" }]);
    // What differs: the item length is 20, not 8, and the name is NUL-padded to 16 bytes.
    expect(toHex(encodeCpfBytes(items))).toBe("0100000114000300040061626300000000000000000000000000");
    expect(decodeCpfBytes(encodeCpfBytes(items))).toEqual(items);
  });

  it("commserv_1 (malformed, an item body only): decodes once given its type/length prefix", () => {
    const body = fromHex(vectors.find((v) => v.name === "commserv_1")?.hex as string);
    const bytes = new Uint8Array(6 + body.length);
    bytes.set([0x01, 0x00, 0x00, 0x01, body.length, 0x00]); // count 1, type 0x0100, length 19
    bytes.set(body, 6);
    const [item] = decodeCpfBytes(bytes);
    expect(item).toEqual({
      kind: "listServices",
      version: 1,
      capabilityFlags: ListServicesCapability.cipOverTcp,
      name: "Communications",
    });
    // What differs on re-encode: 16 name bytes (two NULs) instead of 15, so the item is 20 bytes long.
    expect(sizeOfCpfItem(item as CpfItem)).toBe(4 + 20);
  });

  it("listident_3_rpy: keeps the 3 bytes after the state byte as `extra`", () => {
    const v = vectors.find((x) => x.name === "listident_3_rpy") as Vector;
    const [item] = decodeCpfBytes(fromHex(v.hex).subarray(24));
    expect(item?.kind).toBe("listIdentity");
    expect(toHex((item as { extra: Uint8Array }).extra)).toBe("010203");
  });
});

describe("CPF annotated fixtures (decode, encode, round trip)", () => {
  const fixtures: { name: string; hex: string; items: CpfItem[] }[] = [
    {
      name: "unconnected request: null address + unconnected data",
      hex: [
        "0200", // item count 2
        "0000 0000", // null address, length 0
        "b200 0600", // unconnected data, length 6
        "010220012401", // CIP: Get Attributes All @1/1 (raw here)
      ].join(""),
      items: [{ kind: "nullAddress" }, { kind: "unconnectedData", data: fromHex("010220012401") }],
    },
    {
      name: "connected request: connected address + connected data",
      hex: [
        "0200", // item count 2
        "a100 0400 028f9701", // connected address, length 4, connection id 0x01978f02
        "b100 0a00 0200", // connected data, length 10, sequence 2
        "4c02910141000100", // CIP bytes (Read Tag "A", 1 element)
      ].join(""),
      items: [
        { kind: "connectedAddress", connectionId: 0x01978f02 },
        { kind: "connectedData", sequence: 2, data: fromHex("4c02910141000100") },
      ],
    },
    {
      name: "Forward Open sockaddr info items and a sequenced address",
      hex: [
        "0300", // item count 3
        "0080 1000 0002 08ae efc00101 0000000000000000", // O->T: AF_INET, port 2222, 239.192.1.1, sin_zero
        "0180 1000 0002 08ae 0a000002 0000000000000000", // T->O: AF_INET, port 2222, 10.0.0.2, sin_zero
        "0280 0800 78563412 05000000", // sequenced address: connection 0x12345678, sequence 5
      ].join(""),
      items: [
        { kind: "sockaddrInfoOT", socketAddress: { family: 2, port: 2222, address: "239.192.1.1" } },
        { kind: "sockaddrInfoTO", socketAddress: { family: 2, port: 2222, address: "10.0.0.2" } },
        { kind: "sequencedAddress", connectionId: 0x12345678, sequence: 5 },
      ],
    },
    {
      name: "ListIdentity reply item (listident_2_rpy)",
      hex: [
        "0100", // item count 1
        "0c00 3f00", // ListIdentity item, length 63
        "0100", // encapsulation protocol version 1
        "0002 af12 0aa10103 0000000000000000", // sockaddr: AF_INET, 44818, 10.161.1.3 (big-endian)
        "0100 0e00 9500", // vendor 1, device type 14, product code 149
        "1b 0b", // revision 27.11
        "3000", // status word 0x0030
        "5e331ec0", // serial 0xc01e335e
        "1d 313736392d4c323445522d514231422f41204c4f474958353332344552", // name: 29 chars
        "03", // state 3
      ].join(""),
      items: [
        {
          kind: "listIdentity",
          protocolVersion: 1,
          socketAddress: { family: 2, port: 44818, address: "10.161.1.3" },
          vendorId: 1,
          deviceType: 14,
          productCode: 149,
          revisionMajor: 27,
          revisionMinor: 11,
          status: 0x0030,
          serialNumber: 0xc01e335e,
          productName: "1769-L24ER-QB1B/A LOGIX5324ER",
          state: 3,
        },
      ],
    },
    {
      name: "ListServices reply item, spec form",
      hex: [
        "0100", // item count 1
        "0001 1400", // ListServices item, length 20
        "0100", // version 1
        "2001", // capability: CIP over TCP (bit 5) and class 0/1 over UDP (bit 8)
        "436f6d6d756e69636174696f6e730000", // "Communications" NUL-padded to 16 bytes
      ].join(""),
      items: [{ kind: "listServices", version: 1, capabilityFlags: 0x0120, name: "Communications" }],
    },
    {
      name: "legacy 0x0001 reply item (cpf_type_0x0001)",
      hex: [
        "0100", // item count 1
        "0100 2400", // legacy reply item, length 36
        "0100 0000", // version 1, reserved 0
        "0002 af12 c0a805fd 0000000000000000", // sockaddr: AF_INET, 44818, 192.168.5.253
        "3139322e3136382e352e323533000000", // "192.168.5.253" NUL-padded to 16 bytes
      ].join(""),
      items: [
        {
          kind: "legacyReply",
          version: 1,
          reserved: 0,
          socketAddress: { family: 2, port: 44818, address: "192.168.5.253" },
          ipString: "192.168.5.253",
        },
      ],
    },
    {
      name: "an unknown item type kept raw (CIP Security information 0x0086)",
      hex: ["0100", "8600 0300", "010203"].join(""), // count 1, type 0x0086, length 3, data
      items: [{ kind: "raw", typeId: 0x0086, data: fromHex("010203") }],
    },
  ];

  for (const f of fixtures) {
    const hex = f.hex.replace(/ /g, "");
    describe(f.name, () => {
      it("decodes to the object", () => {
        expect(decodeCpfBytes(fromHex(hex))).toEqual(f.items);
      });
      it("encodes to the bytes", () => {
        expect(toHex(encodeCpfBytes(f.items))).toBe(hex);
      });
      it("round-trips the object", () => {
        expect(decodeCpfBytes(encodeCpfBytes(f.items))).toEqual(f.items);
      });
    });
  }

  it("names every item type", () => {
    expect(CpfItemType.nameOf(0x00b2)).toBe("unconnectedData");
    expect(CpfItemType.describe(0x8001)).toMatch(/target to originator/);
    expect(CpfItemType.describe(0x1234)).toBe("unknown 0x1234");
  });

  it("decodeCpf leaves the reader after the last item", () => {
    const r = new Reader(fromHex("01000000000099"));
    expect(decodeCpf(r)).toEqual([{ kind: "nullAddress" }]);
    expect(r.offset).toBe(6);
  });

  it("encodeCpf writes into a shared writer", () => {
    const w = new Writer(2);
    encodeCpf(w, [{ kind: "nullAddress" }]);
    expect(toHex(w.finish())).toBe("010000000000");
  });
});

describe("CPF decode errors", () => {
  const cases: { name: string; hex: string; failure: string; path: (string | number)[]; offset: number }[] = [
    { name: "no count", hex: "01", failure: "truncated", path: ["cpf", "count"], offset: 0 },
    {
      name: "count beyond the bytes",
      hex: "0300 0000 0000",
      failure: "truncated",
      path: ["cpf", "count"],
      offset: 2,
    },
    {
      name: "item length beyond the bytes",
      hex: "0100 b200 0500 0102",
      failure: "truncated",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "null address with data",
      hex: "0100 0000 0200 0000",
      failure: "invalid",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "connected address of 3 bytes",
      hex: "0100 a100 0300 010203",
      failure: "invalid",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "connected data without a sequence",
      hex: "0100 b100 0100 01",
      failure: "invalid",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "sockaddr of 8 bytes",
      hex: "0100 0080 0800 0002af120a000001",
      failure: "invalid",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "sequenced address of 4 bytes",
      hex: "0100 0280 0400 01020304",
      failure: "invalid",
      path: ["cpf", 0, "length"],
      offset: 4,
    },
    {
      name: "identity whose name runs past the item",
      hex: "0100 0c00 2300 0100 0002af120a000001 0000000000000000 0100 0e00 9500 1b0b 3000 5e331ec0 05 4142",
      failure: "truncated",
      path: ["cpf", 0, "productName"],
      offset: 39,
    },
    {
      name: "identity without its state",
      hex: "0100 0c00 2100 0100 0002af120a000001 0000000000000000 0100 0e00 9500 1b0b 3000 5e331ec0 00",
      failure: "truncated",
      path: ["cpf", 0, "state"],
      offset: 39,
    },
    {
      name: "ListServices without flags",
      hex: "0100 0001 0200 0100",
      failure: "truncated",
      path: ["cpf", 0, "capabilityFlags"],
      offset: 8,
    },
    { name: "bytes after the last item", hex: "0000 00", failure: "invalid", path: [], offset: 2 },
  ];
  for (const c of cases)
    it(c.name, () => {
      const e = decodeError(() => decodeCpfBytes(fromHex(c.hex.replace(/ /g, ""))));
      expect({ failure: e.failure, path: e.path, offset: e.offset }).toEqual({
        failure: c.failure,
        path: c.path,
        offset: c.offset,
      });
    });

  it("refuses more items than the ceiling before reading them", () => {
    const bytes = new Uint8Array(2 + 17 * 4);
    bytes[0] = 17; // 17 null address items
    const e = decodeError(() => decodeCpfBytes(bytes));
    expect(e.failure).toBe("limit");
    expect(e.path).toEqual(["cpf", "count"]);
    expect(decodeCpfBytes(bytes, { maxCpfItems: 17 }).length).toBe(17);
    expect(decodeError(() => decodeCpfBytes(fromHex("0200000000000000"), { maxCpfItems: 1 })).failure).toBe(
      "limit",
    );
  });

  it("reports the field in its message", () => {
    const e = decodeError(() => decodeCpfBytes(fromHex("0100b20005000102")));
    expect(e.message).toMatch(/cpf\[0\]\.length/);
    expect(e.code).toBe("ERR_CIP_DECODE");
  });
});

describe("CPF encode errors", () => {
  const bad: { name: string; items: unknown[] }[] = [
    { name: "connection id above u32", items: [{ kind: "connectedAddress", connectionId: 2 ** 32 }] },
    {
      name: "sequence above u16",
      items: [{ kind: "connectedData", sequence: 0x10000, data: new Uint8Array(0) }],
    },
    {
      name: "negative sequenced address",
      items: [{ kind: "sequencedAddress", connectionId: 1, sequence: -1 }],
    },
    { name: "raw type id above u16", items: [{ kind: "raw", typeId: 0x10000, data: new Uint8Array(0) }] },
    {
      name: "item data above 65535 bytes",
      items: [{ kind: "unconnectedData", data: new Uint8Array(0x10000) }],
    },
    {
      name: "service name of 17 characters",
      items: [{ kind: "listServices", version: 1, capabilityFlags: 0, name: "x".repeat(17) }],
    },
    {
      name: "service name beyond Latin-1",
      items: [{ kind: "listServices", version: 1, capabilityFlags: 0, name: "Ω" }],
    },
    { name: "unknown kind", items: [{ kind: "bogus" }] },
    {
      name: "address that is not a dotted quad",
      items: [{ kind: "sockaddrInfoOT", socketAddress: { family: 2, port: 2222, address: "10.0.0.256" } }],
    },
    {
      name: "port above u16",
      items: [{ kind: "sockaddrInfoTO", socketAddress: { family: 2, port: 70000, address: "10.0.0.1" } }],
    },
    {
      name: "product name of 256 characters",
      items: [
        {
          kind: "listIdentity",
          protocolVersion: 1,
          socketAddress: { family: 2, port: 44818, address: "10.0.0.1" },
          vendorId: 1,
          deviceType: 14,
          productCode: 1,
          revisionMajor: 1,
          revisionMinor: 1,
          status: 0,
          serialNumber: 1,
          productName: "n".repeat(256),
          state: 3,
        },
      ],
    },
  ];
  for (const b of bad)
    it(b.name, () => {
      expect(() => encodeCpfBytes(b.items as CpfItem[])).toThrow(CipEncodeError);
    });
});

// --- property tests ---

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const latin1 = (maxLength: number, minChar = 0) =>
  fc.string({ unit: fc.integer({ min: minChar, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength });
const extra = fc.option(fc.uint8Array({ minLength: 1, maxLength: 6 }), { nil: undefined });
const socketAddress = fc.record({
  family: fc.integer({ min: -0x8000, max: 0x7fff }),
  port: u16,
  address: fc.tuple(u8, u8, u8, u8).map((o) => o.join(".")),
});
const DECODED_TYPES = new Set([
  0x0000, 0x0001, 0x000c, 0x00a1, 0x00b1, 0x00b2, 0x0100, 0x8000, 0x8001, 0x8002,
]);
const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Any item the encoder accepts, in the form the decoder returns it. */
const cpfItemArbitrary: fc.Arbitrary<CpfItem> = fc.oneof(
  fc.constant<CpfItem>({ kind: "nullAddress" }),
  fc.record({ kind: fc.constant("connectedAddress" as const), connectionId: u32 }),
  fc.record({ kind: fc.constant("sequencedAddress" as const), connectionId: u32, sequence: u32 }),
  fc.record({
    kind: fc.constant("connectedData" as const),
    sequence: u16,
    data: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant("unconnectedData" as const), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constantFrom("sockaddrInfoOT" as const, "sockaddrInfoTO" as const), socketAddress }),
  fc
    .record({
      kind: fc.constant("listIdentity" as const),
      protocolVersion: u16,
      socketAddress,
      vendorId: u16,
      deviceType: u16,
      productCode: u16,
      revisionMajor: u8,
      revisionMinor: u8,
      status: u16,
      serialNumber: u32,
      productName: latin1(40),
      state: u8,
      extra,
    })
    .map(withoutUndefined),
  fc
    .record({
      kind: fc.constant("listServices" as const),
      version: u16,
      capabilityFlags: u16,
      name: latin1(16, 1),
      extra,
    })
    .map(withoutUndefined),
  fc
    .record({
      kind: fc.constant("legacyReply" as const),
      version: u16,
      reserved: u16,
      socketAddress,
      ipString: latin1(16, 1),
      extra,
    })
    .map(withoutUndefined),
  fc.record({
    kind: fc.constant("raw" as const),
    typeId: u16.filter((t) => !DECODED_TYPES.has(t)),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

/**
 * `mutate`, retried when it throws: its "delete a run" case can throw a RangeError when the run starts
 * within 8 bytes of the end (reported to the lead; test/support is not ours to edit).
 */
function mutant(seeds: readonly Uint8Array[], random: () => number): Uint8Array {
  for (;;) {
    try {
      return mutate(seeds, random);
    } catch (e) {
      if ((e as Error).name !== "RangeError") throw e;
    }
  }
}

describe("CPF properties", () => {
  it("random items round-trip: decode(encode(items)) equals items, and sizes agree", () => {
    fc.assert(
      fc.property(fc.array(cpfItemArbitrary, { maxLength: 16 }), (items) => {
        const bytes = encodeCpfBytes(items);
        expect(bytes.length).toBe(sizeOfCpf(items));
        expect(decodeCpfBytes(bytes)).toEqual(items);
      }),
      { numRuns: 2000 },
    );
  });

  it("random bytes give items or a CipDecodeError, and whatever decodes re-encodes to the same items", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        let items: CpfItem[];
        try {
          items = decodeCpfBytes(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CipDecodeError);
          return;
        }
        expect(decodeCpfBytes(encodeCpfBytes(items))).toEqual(items);
      }),
      { numRuns: 4000 },
    );
  });

  it("mutants of real CPF payloads give items or a CipDecodeError", () => {
    const seeds = cpfPayloads.map((p) => p.bytes);
    const random = prng(0xcf);
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = mutant(seeds, random);
      let items: CpfItem[];
      try {
        items = decodeCpfBytes(bytes);
      } catch (e) {
        if (!(e instanceof CipDecodeError)) throw new Error(`case ${i}: ${String(e)}`);
        continue;
      }
      decoded++;
      expect(decodeCpfBytes(encodeCpfBytes(items))).toEqual(items);
    }
    expect(decoded).toBeGreaterThan(100);
  });
});
