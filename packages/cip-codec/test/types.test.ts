import { readFileSync } from "node:fs";
import fc from "fast-check";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import {
  type AnyCipType,
  BOOL,
  BYTE,
  type CipType,
  CipTypeCode,
  DINT,
  DWORD,
  decodeTagType,
  decodeValues,
  encodeTagType,
  encodeValues,
  INT,
  IPADDR,
  IPADDR_NETWORK,
  LINT,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
  LREAL,
  LWORD,
  logixStringType,
  PADDED_STRING,
  REAL,
  SHORT_STRING,
  SINT,
  SSTRING,
  STRING,
  sizeOfTagType,
  type TagType,
  typeByCode,
  UDINT,
  UINT,
  ULINT,
  USINT,
  VARIABLE_SIZE,
  WORD,
} from "../src/types/types.js";
import { fixturePath } from "./support/vectors.js";

interface TypeVector {
  name: string;
  hex: string;
  frame: string;
  decoded: {
    type: string;
    type_code?: number;
    value?: unknown;
    values?: unknown[];
    count?: number;
    length?: number;
    trailing_bytes_not_part_of_value?: string;
    structure_handle?: number;
    data?: string;
  };
  checks: { encoder_exact_in_source?: boolean | string };
}

const vectors = JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8")) as TypeVector[];
const typeVectors = vectors.filter((v) => v.frame === "type");

/** Values as the vectors write them: 64-bit integers are decimal strings. */
function wireValues(type: AnyCipType, values: unknown[]): unknown[] {
  return type.code === LINT.code || type.code === ULINT.code
    ? values.map((v) => BigInt(v as string))
    : values;
}

/** Vectors handled in their own tests below (objects, structures, or bytes that are not an encoder expectation). */
const ELSEWHERE = new Set([
  "type_struct_handle",
  "type_ipaddr_network",
  "type_ifaceaddrs", // objects.test.ts
  "udt_example_sensor_record0", // template.test.ts
  "type_bool_produced",
]);

describe("type vectors", () => {
  it("has the 18 type vectors", () => {
    expect(typeVectors.length).toBe(18);
  });

  for (const v of typeVectors.filter((t) => !ELSEWHERE.has(t.name))) {
    const d = v.decoded;
    const type = typeByCode(d.type_code as number) as AnyCipType;
    const bytes = fromHex(v.hex);
    const values = wireValues(type, d.values ?? [d.value]);
    const valueBytes = d.trailing_bytes_not_part_of_value
      ? bytes.subarray(0, bytes.length - d.trailing_bytes_not_part_of_value.length / 2)
      : bytes;
    describe(v.name, () => {
      it(`decodes as ${d.type}`, () => {
        expect(type.name).toBe(d.type);
        expect(decodeValues(type, bytes, values.length)).toEqual(values);
        if (d.trailing_bytes_not_part_of_value === undefined)
          expect(decodeValues(type, bytes)).toEqual(values);
      });
      it("encodes", () => {
        const encoded = toHex(encodeValues(type, values));
        if (v.name === "type_bool_x11") {
          // The source bytes are arbitrary nonzero truth values; the encoder writes true as 0xFF.
          expect(encoded).toBe("00ffffffffffffffffff00");
        } else {
          expect(encoded).toBe(toHex(valueBytes));
        }
      });
      it("round-trips", () => {
        expect(decodeValues(type, encodeValues(type, values))).toEqual(values);
      });
    });
  }

  it("type_bool_produced: true is 0xFF, as the source produces", () => {
    const v = typeVectors.find((t) => t.name === "type_bool_produced") as TypeVector;
    const values = v.decoded.values as boolean[];
    expect(decodeValues(BOOL, fromHex(v.hex))).toEqual(values);
    expect(toHex(encodeValues(BOOL, values))).toBe(v.hex);
  });

  it("type_struct_handle: the structure handle after the STRUCT code, then the data", () => {
    const v = typeVectors.find((t) => t.name === "type_struct_handle") as TypeVector;
    // The vector starts at the handle: the 0x02A0 code before it is the tag type's first UINT.
    const r = new Reader(fromHex(`a002${v.hex}`));
    const tagType = decodeTagType(r);
    expect(tagType).toEqual({ type: v.decoded.type_code, structureHandle: v.decoded.structure_handle });
    expect(toHex(r.rest())).toBe(v.decoded.data);
    const w = new Writer(sizeOfTagType(tagType));
    encodeTagType(w, tagType);
    expect(toHex(w.finish())).toBe(`a002${v.hex.slice(0, 4)}`);
  });

  it("type_ipaddr_network: an address in network byte order", () => {
    const v = typeVectors.find((t) => t.name === "type_ipaddr_network") as TypeVector;
    expect(decodeValues(IPADDR_NETWORK, fromHex(v.hex))).toEqual([v.decoded.value]);
    expect(toHex(encodeValues(IPADDR_NETWORK, [v.decoded.value as string]))).toBe(v.hex);
    // The same address as a TCP/IP object UDINT is little-endian.
    expect(toHex(encodeValues(IPADDR, [v.decoded.value as string]))).toBe("0100000a");
  });

  it("udt_example_sensor_head4: the first DINT of a record", () => {
    const v = typeVectors.find((t) => t.name === "udt_example_sensor_head4") as TypeVector;
    expect(decodeValues(DINT, fromHex(v.hex))).toEqual(v.decoded.values);
  });
});

describe("tag types", () => {
  const cases: [TagType, string][] = [
    [{ type: 0xc3 }, "c300"],
    [{ type: 0xca }, "ca00"],
    [{ type: 0x02a0, structureHandle: LOGIX_STRING_HANDLE }, "a002ce0f"],
  ];
  for (const [tagType, hex] of cases) {
    it(`${hex} three ways`, () => {
      const w = new Writer(sizeOfTagType(tagType));
      encodeTagType(w, tagType);
      expect(toHex(w.finish())).toBe(hex);
      expect(decodeTagType(new Reader(fromHex(hex)))).toEqual(tagType);
    });
  }
  it("needs a handle for STRUCT and a handle after 0x02A0", () => {
    expect(() => encodeTagType(new Writer(), { type: 0x02a0 })).toThrow(CipEncodeError);
    expect(() => decodeTagType(new Reader(fromHex("a002ce")))).toThrow(CipDecodeError);
  });
});

describe("code table and registry", () => {
  it("names every elementary code it has a codec for", () => {
    const all = [
      BOOL,
      SINT,
      INT,
      DINT,
      LINT,
      USINT,
      UINT,
      UDINT,
      ULINT,
      REAL,
      LREAL,
      STRING,
      BYTE,
      WORD,
      DWORD,
    ];
    for (const t of [...all, LWORD, SSTRING]) {
      expect(typeByCode(t.code)).toBe(t);
      expect(CipTypeCode.nameOf(t.code)).toBe(t.name);
    }
    expect(SHORT_STRING).toBe(SSTRING);
    expect(typeByCode(0x02a0)).toBeUndefined();
    expect(CipTypeCode.describe(0x02a0)).toMatch(/structure handle/);
  });
});

describe("strings", () => {
  it("STRING has a UINT length and no pad", () => {
    expect(toHex(encodeValues(STRING, ["abc"]))).toBe("0300616263");
    expect(decodeValues(STRING, fromHex("0300616263"))).toEqual(["abc"]);
    // A padded reply (cpppo pads Read Tag STRING data) still reads with a count.
    expect(decodeValues(STRING, fromHex("030061626300"), 1)).toEqual(["abc"]);
  });

  it("PADDED_STRING is cpppo's STRING tag data: each element padded to even, the last pad optional", () => {
    expect(toHex(encodeValues(PADDED_STRING, ["abc", "de", ""]))).toBe("030061626300020064650000");
    expect(decodeValues(PADDED_STRING, fromHex("030061626300020064650000"))).toEqual(["abc", "de", ""]);
    expect(decodeValues(PADDED_STRING, fromHex("01006100010062"))).toEqual(["a", "b"]);
    // Unpadded, a second element after an odd one is misread: the pad is part of the element.
    expect(() => decodeValues(PADDED_STRING, fromHex("0100610100620000"))).toThrow(CipDecodeError);
  });

  it("keeps ISO-8859-1 characters byte for byte", () => {
    expect(toHex(encodeValues(SSTRING, ["é\u0080ÿ"]))).toBe("03e980ff");
    expect(decodeValues(SSTRING, fromHex("03e980ff"))).toEqual(["é\u0080ÿ"]);
    expect(() => encodeValues(SSTRING, ["€"])).toThrow(CipEncodeError);
    expect(() => encodeValues(SSTRING, ["x".repeat(256)])).toThrow(CipEncodeError);
  });

  it("LOGIX_STRING is the 88-byte {LEN DINT, DATA SINT[82]} structure", () => {
    expect(LOGIX_STRING.size).toBe(88);
    expect(LOGIX_STRING.structureHandle).toBe(0x0fce);
    const bytes = encodeValues(LOGIX_STRING, ["RT1-17", ""]);
    expect(bytes.length).toBe(176);
    expect(toHex(bytes.subarray(0, 12))).toBe("060000005254312d31370000");
    expect(bytes.subarray(10, 88).every((b) => b === 0)).toBe(true);
    expect(decodeValues(LOGIX_STRING, bytes)).toEqual(["RT1-17", ""]);
    // Bytes after LEN are ignored when reading.
    const junk = Uint8Array.from(bytes);
    junk[20] = 0x41;
    expect(decodeValues(LOGIX_STRING, junk)).toEqual(["RT1-17", ""]);
    junk[0] = 83;
    expect(() => decodeValues(LOGIX_STRING, junk)).toThrow(CipDecodeError);
    expect(() => encodeValues(LOGIX_STRING, ["x".repeat(83)])).toThrow(CipEncodeError);
    expect(logixStringType(20).size).toBe(24);
  });
});

describe("IP addresses", () => {
  it("IPADDR is little-endian, IPADDR_NETWORK big-endian, both as dotted text", () => {
    expect(toHex(encodeValues(IPADDR, ["10.161.1.5"]))).toBe("0501a10a");
    expect(toHex(encodeValues(IPADDR_NETWORK, ["10.161.1.5"]))).toBe("0aa10105");
    expect(decodeValues(IPADDR, fromHex("00ffffff"))).toEqual(["255.255.255.0"]);
    for (const bad of ["256.0.0.1", "1.2.3", "a.b.c.d", "1.2.3.4.5", ""])
      expect(() => encodeValues(IPADDR, [bad])).toThrow(CipEncodeError);
  });
});

describe("decodeValues limits and errors", () => {
  it("rejects a ragged or short run", () => {
    expect(() => decodeValues(INT, fromHex("010002"))).toThrow(CipDecodeError);
    expect(() => decodeValues(DINT, fromHex("01000000"), 2)).toThrow(CipDecodeError);
    expect(() => decodeValues(STRING, fromHex("0500616263"))).toThrow(CipDecodeError);
  });
  it("enforces the value ceiling", () => {
    expect(() => decodeValues(USINT, new Uint8Array(11), undefined, { maxValues: 10 })).toThrow(
      CipDecodeError,
    );
    expect(() => decodeValues(SSTRING, new Uint8Array(11), undefined, { maxValues: 10 })).toThrow(
      CipDecodeError,
    );
    expect(() => decodeValues(USINT, new Uint8Array(4), 1_000_000_000)).toThrow(CipDecodeError);
  });
  it("refuses values a type cannot hold", () => {
    const bad: [AnyCipType, unknown][] = [
      [SINT, 128],
      [INT, -32769],
      [DINT, 2 ** 31],
      [USINT, -1],
      [UINT, 1.5],
      [UDINT, 2 ** 32],
      [LINT, 1],
      [ULINT, -1n],
      [LWORD, 1n << 64n],
      [REAL, "1"],
      [BOOL, 1],
      [STRING, 5],
      [IPADDR, "1.2.3"],
    ];
    for (const [type, value] of bad) expect(() => encodeValues(type, [value])).toThrow(CipEncodeError);
  });
});

const arbitraries: [AnyCipType, fc.Arbitrary<unknown>][] = [
  [BOOL, fc.boolean()],
  [SINT, fc.integer({ min: -0x80, max: 0x7f })],
  [INT, fc.integer({ min: -0x8000, max: 0x7fff })],
  [DINT, fc.integer({ min: -0x80000000, max: 0x7fffffff })],
  [LINT, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })],
  [USINT, fc.integer({ min: 0, max: 0xff })],
  [UINT, fc.integer({ min: 0, max: 0xffff })],
  [UDINT, fc.integer({ min: 0, max: 0xffffffff })],
  [ULINT, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })],
  [REAL, fc.double({ noNaN: true }).map(Math.fround)],
  [LREAL, fc.double({ noNaN: true })],
  [BYTE, fc.integer({ min: 0, max: 0xff })],
  [WORD, fc.integer({ min: 0, max: 0xffff })],
  [DWORD, fc.integer({ min: 0, max: 0xffffffff })],
  [LWORD, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })],
  [
    STRING,
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 }).map((c) => String.fromCharCode(...c)),
  ],
  [
    SSTRING,
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 }).map((c) => String.fromCharCode(...c)),
  ],
  [
    LOGIX_STRING,
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 82 }).map((c) => String.fromCharCode(...c)),
  ],
  [IPADDR, fc.ipV4()],
  [IPADDR_NETWORK, fc.ipV4()],
];

describe("type properties", () => {
  for (const [type, arb] of arbitraries) {
    it(`${type.name} values round-trip`, () => {
      fc.assert(
        fc.property(fc.array(arb, { maxLength: 20 }), (values) => {
          const bytes = encodeValues(type as CipType<unknown>, values);
          if (type.size !== VARIABLE_SIZE) expect(bytes.length).toBe(type.size * values.length);
          expect(decodeValues(type as CipType<unknown>, bytes, values.length)).toEqual(values);
        }),
        { numRuns: 200 },
      );
    });
    it(`${type.name}: random bytes give values or a CipDecodeError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          try {
            decodeValues(type, bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(CipDecodeError);
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});
