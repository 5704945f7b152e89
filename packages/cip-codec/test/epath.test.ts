import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
  decodePath,
  decodePathWithSize,
  type ElectronicKey,
  type EPath,
  encodePath,
  encodePathBytes,
  encodePathWithSize,
  formatEPath,
  parseEPath,
  type Segment,
  sizeOfPath,
  sizeOfPathWithSize,
} from "../src/cip/epath.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import { fixturePath } from "./support/vectors.js";

interface PathVector {
  name: string;
  hex: string;
  frame: string;
  decoded: {
    form: string;
    size_words?: number;
    segments: EPath;
    path_bytes?: number;
    trailing_bytes_not_part_of_path?: string;
  };
  checks: { encoder_exact_in_source?: boolean | string };
}

const vectors = JSON.parse(readFileSync(fixturePath("enip-vectors.json"), "utf8")) as PathVector[];
const epaths = vectors.filter((v) => v.frame === "epath");

/**
 * Vectors whose bytes are not the minimal form (16-bit class/instance segments where 8-bit suffice, as the
 * spec's Table 10-6.15 example writes them): they decode to the same segments, and re-encode to their `_prod` twin.
 */
const NON_MINIMAL: Record<string, string> = { extpath_7: "extpath_7_prod", extpath_8: "extpath_8_prod" };

function withSize(bytes: Uint8Array, padded: boolean): { path: EPath; used: number } {
  const r = new Reader(bytes);
  const path = decodePathWithSize(r, { padded });
  return { path, used: r.offset };
}

function sizedBytes(path: EPath, padded: boolean): Uint8Array {
  const w = new Writer(sizeOfPathWithSize(path, { padded }));
  encodePathWithSize(w, path, { padded });
  return w.finish();
}

describe("EPATH vectors", () => {
  it("covers every epath vector", () => {
    expect(epaths.length).toBe(14);
  });

  for (const v of epaths) {
    const bytes = fromHex(v.hex);
    const d = v.decoded;
    if (d.form.startsWith("single")) {
      describe(v.name, () => {
        it("decodes the single segment", () => {
          expect(decodePath(new Reader(bytes), bytes.length)).toEqual(d.segments);
        });
        it("encodes the exact bytes", () => {
          expect(toHex(encodePathBytes(d.segments))).toBe(v.hex);
        });
        it("round-trips", () => {
          const again = encodePathBytes(d.segments);
          expect(decodePath(new Reader(again), again.length)).toEqual(d.segments);
        });
      });
      continue;
    }
    const padded = d.form.startsWith("padded");
    describe(v.name, () => {
      it("decodes the segments and consumes only the path bytes", () => {
        const { path, used } = withSize(bytes, padded);
        expect(path).toEqual(d.segments);
        expect(used).toBe(d.path_bytes);
        expect(bytes[0]).toBe(d.size_words);
        const trailing = toHex(bytes.subarray(used));
        expect(trailing).toBe(d.trailing_bytes_not_part_of_path ?? "");
      });
      it("encodes minimally", () => {
        const encoded = toHex(sizedBytes(d.segments, padded));
        const twin = NON_MINIMAL[v.name];
        if (twin !== undefined) {
          // Non-minimal source bytes: the encoder emits the 8-bit form of its `_prod` twin instead.
          expect(encoded).not.toBe(v.hex);
          expect(encoded).toBe(epaths.find((t) => t.name === twin)?.hex);
        } else {
          expect(encoded).toBe(v.hex.slice(0, (d.path_bytes as number) * 2));
        }
        expect(sizeOfPathWithSize(d.segments, { padded })).toBe(encoded.length / 2);
      });
      it("round-trips", () => {
        expect(withSize(sizedBytes(d.segments, padded), padded).path).toEqual(d.segments);
      });
    });
  }
});

describe("EPATH forms", () => {
  const cases: [string, Segment, string][] = [
    ["class 8-bit", { class: 2 }, "2002"],
    ["class 16-bit", { class: 0x1234 }, "21003412"],
    ["instance 32-bit", { instance: 0x12345678 }, "260078563412"],
    ["attribute 16-bit", { attribute: 0x100 }, "31000001"],
    ["connection 16-bit", { connection: 0x300 }, "2d000003"],
    ["connection 32-bit", { connection: 0x10000 }, "2e0000000100"],
    ["element 32-bit", { element: 0xffffffff }, "2a00ffffffff"],
    ["port 14 link 255", { port: 14, link: 255 }, "0eff"],
    ["extended port 15", { port: 15, link: 1 }, "0f0f0001"],
    ["port 1 sized link 'ab'", { port: 1, link: "ab" }, "11026162"],
    ["port 1 sized link 'abc'", { port: 1, link: "abc" }, "110361626300"],
    ["simple data", { data: fromHex("01020304") }, "800201020304"],
    ["symbol of even length", { symbolic: "AB" }, "91024142"],
  ];
  for (const [name, segment, hex] of cases) {
    it(`${name}: ${hex}`, () => {
      expect(toHex(encodePathBytes([segment]))).toBe(hex);
      const bytes = fromHex(hex);
      expect(decodePath(new Reader(bytes), bytes.length)).toEqual([segment]);
    });
  }

  it("electronic key format 4 with the compatibility bit", () => {
    const key: ElectronicKey = {
      vendorId: 1,
      deviceType: 14,
      productCode: 54,
      majorRevision: 20,
      minorRevision: 11,
      compatibility: true,
    };
    // 0x34 key, format 4, vendor 1, device type 14, product 54, major 20 | 0x80, minor 11
    const hex = "3404" + "0100" + "0e00" + "3600" + "94" + "0b";
    expect(toHex(encodePathBytes([{ key }]))).toBe(hex);
    expect(decodePath(new Reader(fromHex(hex)), 10)).toEqual([{ key }]);
    expect(decodePath(new Reader(fromHex("340401000e0036001404")), 10)).toEqual([
      { key: { ...key, majorRevision: 20, minorRevision: 4, compatibility: false } },
    ]);
  });

  it("decodes wide forms of small values and re-encodes them minimally", () => {
    // class 16-bit 1, instance 32-bit 1, attribute 16-bit 7, element 16-bit 3, extended port 2 with link 0
    const wide = fromHex("2100010026000100000031000700290003000f020000");
    const path = decodePath(new Reader(wide), wide.length);
    expect(path).toEqual([
      { class: 1 },
      { instance: 1 },
      { attribute: 7 },
      { element: 3 },
      { port: 2, link: 0 },
    ]);
    expect(toHex(encodePathBytes(path))).toBe("200124013007280302" + "00");
  });

  it("writes the unpadded sized form", () => {
    expect(toHex(sizedBytes([{ class: 6 }, { instance: 1 }], false))).toBe("0220062401");
    expect(toHex(sizedBytes([{ port: 1, link: 0 }], true))).toBe("01000100");
  });

  const bad: [string, string, string][] = [
    ["class 32-bit", "220001000000", "invalid"],
    ["attribute 32-bit", "320001000000", "invalid"],
    ["reserved logical format", "2301", "invalid"],
    ["port 0", "0001", "invalid"],
    ["extended port 0", "0f000001", "invalid"],
    ["empty sized link", "1100", "invalid"],
    ["empty symbol", "9100", "invalid"],
    ["service id segment", "3801", "unsupported"],
    ["network segment", "4301", "unsupported"],
    ["electronic key format 5", "3405000000000000000000", "unsupported"],
    ["symbolic segment 0x60", "6100", "unsupported"],
    ["symbol past the end", "9105414243", "truncated"],
    ["a segment overrunning the declared length", "21000100", "invalid"],
  ];
  for (const [name, hex, failure] of bad) {
    it(`rejects ${name} with a ${failure} CipDecodeError`, () => {
      const bytes = fromHex(hex);
      const length = name.startsWith("a segment overrunning") ? 2 : bytes.length;
      let caught: unknown;
      try {
        decodePath(new Reader(bytes), length);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CipDecodeError);
      expect((caught as CipDecodeError).failure).toBe(failure);
    });
  }

  it("enforces the segment and symbol ceilings", () => {
    const many = encodePathBytes(Array.from({ length: 10 }, (_, i) => ({ element: i })));
    expect(() => decodePath(new Reader(many), many.length, { maxSegments: 9 })).toThrow(CipDecodeError);
    expect(decodePath(new Reader(many), many.length, { maxSegments: 10 })).toHaveLength(10);
    const long = encodePathBytes([{ symbolic: "x".repeat(41) }]);
    expect(() => decodePath(new Reader(long), long.length, { maxSymbolicLength: 40 })).toThrow(
      CipDecodeError,
    );
  });

  const unencodable: [string, unknown][] = [
    ["class above 16 bits", { class: 0x10000 }],
    ["negative instance", { instance: -1 }],
    ["fractional element", { element: 1.5 }],
    ["port 0", { port: 0, link: 1 }],
    ["numeric link above 255", { port: 1, link: 256 }],
    ["empty symbol", { symbolic: "" }],
    ["non-Latin-1 symbol", { symbolic: "Tag€" }],
    ["odd simple data", { data: new Uint8Array(3) }],
    [
      "major revision above 127",
      {
        key: {
          vendorId: 1,
          deviceType: 1,
          productCode: 1,
          majorRevision: 128,
          minorRevision: 0,
          compatibility: false,
        },
      },
    ],
    ["an unknown segment", { bogus: 1 }],
    ["null", null],
  ];
  for (const [name, segment] of unencodable) {
    it(`refuses to encode ${name}`, () => {
      expect(() => encodePathBytes([segment as Segment])).toThrow(CipEncodeError);
    });
  }

  it("refuses a sized path longer than 255 words", () => {
    const path: EPath = Array.from({ length: 128 }, () => ({ element: 0x1234 }));
    expect(sizeOfPath(path)).toBe(512);
    expect(() => sizedBytes(path, false)).toThrow(CipEncodeError);
  });
});

describe("EPATH text", () => {
  const cases: [string, EPath][] = [
    ["@1/1/7", [{ class: 1 }, { instance: 1 }, { attribute: 7 }]],
    ["@0x93/3/10", [{ class: 0x93 }, { instance: 3 }, { attribute: 10 }]],
    ["@4/5/3/2", [{ class: 4 }, { instance: 5 }, { attribute: 3 }, { element: 2 }]],
    ["SCADA[3]", [{ symbolic: "SCADA" }, { element: 3 }]],
    [
      "Program:Main.Tag[1,2].Member",
      [
        { symbolic: "Program:Main" },
        { symbolic: "Tag" },
        { element: 1 },
        { element: 2 },
        { symbolic: "Member" },
      ],
    ],
    ["1/0/@2/1", [{ port: 1, link: 0 }, { class: 2 }, { instance: 1 }]],
    ["2/10.0.7.1", [{ port: 2, link: "10.0.7.1" }]],
    ["", []],
  ];
  for (const [text, path] of cases) {
    it(`reads "${text}"`, () => {
      expect(parseEPath(text)).toEqual(path);
    });
  }

  it("formats back what it reads", () => {
    for (const text of ["@1/1/7", "SCADA[3]", "Program:Main.Tag[1,2].Member", "1/0/@2/1", "2/10.0.7.1"])
      expect(formatEPath(parseEPath(text))).toBe(text);
    expect(formatEPath([{ connection: 3 }, { data: fromHex("0102") }])).toBe("{connection:3}/{data:0102}");
  });

  it("rejects text it cannot read", () => {
    for (const text of ["@x/1", "1", "Tag[a]", "Tag..B", "@0x10000/1"])
      expect(() => parseEPath(text)).toThrow(CipEncodeError);
  });
});

const latin1Text = (min: number, max: number) =>
  fc
    .array(fc.integer({ min: 1, max: 255 }), { minLength: min, maxLength: max })
    .map((codes) => String.fromCharCode(...codes));

const keyArb: fc.Arbitrary<ElectronicKey> = fc.record({
  vendorId: fc.integer({ min: 0, max: 0xffff }),
  deviceType: fc.integer({ min: 0, max: 0xffff }),
  productCode: fc.integer({ min: 0, max: 0xffff }),
  majorRevision: fc.integer({ min: 0, max: 127 }),
  minorRevision: fc.integer({ min: 0, max: 255 }),
  compatibility: fc.boolean(),
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const segmentArb: fc.Arbitrary<Segment> = fc.oneof(
  u16.map((n) => ({ class: n })),
  u32.map((n) => ({ instance: n })),
  u16.map((n) => ({ attribute: n })),
  u32.map((n) => ({ element: n })),
  u32.map((n) => ({ connection: n })),
  latin1Text(1, 60).map((s) => ({ symbolic: s })),
  fc.record({ port: fc.integer({ min: 1, max: 0xffff }), link: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ port: fc.integer({ min: 1, max: 0xffff }), link: latin1Text(1, 40) }),
  keyArb.map((key) => ({ key })),
  fc.uint8Array({ maxLength: 40 }).map((d) => ({ data: d.subarray(0, d.length & ~1) })),
);

describe("EPATH properties", () => {
  it("random paths round-trip, sized and padded", () => {
    fc.assert(
      fc.property(fc.array(segmentArb, { maxLength: 8 }), fc.boolean(), (path, padded) => {
        const bytes = sizedBytes(path, padded);
        expect(bytes.length).toBe(sizeOfPathWithSize(path, { padded }));
        expect(sizeOfPath(path) % 2).toBe(0);
        const { path: back, used } = withSize(bytes, padded);
        expect(used).toBe(bytes.length);
        expect(back).toEqual(path);
        const w = new Writer(1);
        encodePath(w, back);
        expect(toHex(w.finish())).toBe(toHex(bytes.subarray(padded ? 2 : 1)));
      }),
    );
  });

  it("random bytes decode to a path or a CipDecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, padded) => {
        try {
          const { path } = withSize(bytes, padded);
          // Whatever decodes re-encodes (perhaps more compactly) and decodes to the same segments.
          const again = sizedBytes(path, padded);
          expect(withSize(again, padded).path).toEqual(path);
        } catch (e) {
          expect(e).toBeInstanceOf(CipDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

test("an extended logical segment (0x3C..0x3E) is refused, not read as an attribute id", () => {
  // fast-check's counterexample: a 32-bit "attribute" decoded from 0x3E that no encoder could write back.
  for (const first of [0x3c, 0x3d, 0x3e])
    expect(() =>
      decodePathWithSize(new Reader(Uint8Array.from([3, first, 0, 0, 0, 0, 1])), { padded: false }),
    ).toThrow(CipDecodeError);
});
