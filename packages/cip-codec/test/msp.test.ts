/** Multiple Service Packet 0x0A: layout, offset checks, status 0x1E, and properties over random packets. */
import fc from "fast-check";
import { getAttributeSingleRequest } from "../src/bodies/attributes.js";
import { readTagFragmentedRequest, readTagRequest, writeTagRequest } from "../src/bodies/logix.js";
import { decodeServiceTable, multipleServicePacket, multipleServiceReply } from "../src/bodies/msp.js";
import { CipDecodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import {
  type CipReply,
  type CipRequest,
  decodeReplyBytes,
  decodeRequestBytes,
  encodeReplyBytes,
  encodeRequestBytes,
} from "../src/message/message.js";

/** logix_test test_logix_multiple req_1 (msp_5_request), annotated. */
const MSP_5 = [
  "0a 02 20 02 24 01", // Multiple Service Packet to @2/1
  "05 00", // 5 services
  "0c 00 18 00 2a 00 36 00 48 00", // offsets 12, 24, 42, 54, 72 from the count
  "4c 04 91 05 7061727473 00 0100", // Read Tag parts
  "4c 07 91 0b 436f6e74726f6c576f7264 00 0100", // Read Tag ControlWord
  "4c 04 91 06 6e756d626572 0100", // Read Tag number
  "4d 04 91 06 6e756d626572 ca00 0100 0000a03f", // Write Tag number REAL 1.25
  "4c 04 91 06 6e756d626572 0100", // Read Tag number
].join(" ");

const MSP_5_REQUESTS: CipRequest[] = [
  readTagRequest([{ symbolic: "parts" }]),
  readTagRequest([{ symbolic: "ControlWord" }]),
  readTagRequest([{ symbolic: "number" }]),
  writeTagRequest([{ symbolic: "number" }], { type: 0xca }, 1, fromHex("0000a03f")),
  readTagRequest([{ symbolic: "number" }]),
];

const ok = (data: string, type: number): CipReply => ({
  kind: "readTag",
  service: 0xcc,
  generalStatus: 0,
  extStatus: [],
  type,
  data: fromHex(data),
});

describe("Multiple Service Packet request", () => {
  it("the builder lays out msp_5_request exactly", () => {
    const req = multipleServicePacket(MSP_5_REQUESTS);
    expect(toHex(encodeRequestBytes(req))).toBe(toHex(fromHex(MSP_5)));
    const decoded = decodeRequestBytes(fromHex(MSP_5));
    expect(decoded).toEqual({ ...req, offsets: [12, 24, 42, 54, 72] });
    expect(decodeRequestBytes(encodeRequestBytes(decoded))).toEqual(decoded);
  });

  it("an error inside an embedded request names its index", () => {
    const bytes = fromHex("0a02 2002 2401 0200 0600 0e00 4c029101410001 00 4c02910142"); // second request cut short
    let error: CipDecodeError | undefined;
    try {
      decodeRequestBytes(bytes);
    } catch (err) {
      error = err as CipDecodeError;
    }
    expect(error).toBeInstanceOf(CipDecodeError);
    expect(error?.path.slice(0, 2)).toEqual(["requests", 1]);
  });
});

describe("Multiple Service Packet reply", () => {
  it("status 0x1E when any embedded reply failed, 0 otherwise", () => {
    const failed: CipReply = {
      kind: "readTag",
      service: 0xcc,
      generalStatus: 5,
      extStatus: [0],
      data: new Uint8Array(0),
    };
    expect(multipleServiceReply([ok("0000", 0xc3), failed]).generalStatus).toBe(0x1e);
    const partial: CipReply = { ...ok("0000", 0xc3), generalStatus: 6 };
    expect(multipleServiceReply([ok("0000", 0xc3), partial]).generalStatus).toBe(0);
  });

  it("a server's reply with a failed sub-reply, three ways", () => {
    const failed: CipReply = {
      kind: "readTag",
      service: 0xcc,
      generalStatus: 5,
      extStatus: [0],
      data: new Uint8Array(0),
    };
    const reply = multipleServiceReply([ok("0000", 0xc3), failed]);
    const hex = [
      "8a 00 1e 00", // MSP reply, embedded service error
      "02 00 06 00 0e 00", // 2 replies at offsets 6 and 14
      "cc 00 00 00 c3 00 00 00", // Read Tag reply INT 0
      "cc 00 05 01 00 00", // Read Tag reply, path destination unknown, extended 0x0000
    ].join(" ");
    expect(toHex(encodeReplyBytes(reply))).toBe(toHex(fromHex(hex)));
    expect(decodeReplyBytes(fromHex(hex))).toEqual({ ...reply, offsets: [6, 14] });
  });

  it("sub-replies are decoded against the sub-requests when the request is the hint", () => {
    const request = multipleServicePacket([
      readTagFragmentedRequest([{ symbolic: "A" }], 1),
      getAttributeSingleRequest([{ class: 1 }, { instance: 1 }, { attribute: 7 }]),
    ]);
    const reply = decodeReplyBytes(fromHex("8a000000 0200 0600 0a00 d2000800 8e0000000102"), { request });
    expect(reply).toMatchObject({
      replies: [
        { kind: "readTagFragmented", generalStatus: 8 },
        { kind: "generic", data: fromHex("0102") },
      ],
    });
  });

  it("a bare error reply has no replies (gas_m01_reply)", () => {
    const x = decodeReplyBytes(fromHex("8a000800"));
    expect(x).toEqual({ kind: "multipleServicePacket", service: 0x8a, generalStatus: 8, extStatus: [] });
    expect(toHex(encodeReplyBytes(x))).toBe("8a000800");
  });
});

describe("offset table checks", () => {
  const table = (hex: string, max?: number) => decodeServiceTable(new Reader(fromHex(hex)), max);

  it("accepts increasing offsets inside the body", () => {
    expect(table("0200 0600 0800 aaaa bbbb").offsets).toEqual([6, 8]);
  });

  it("rejects an offset into the table, a repeated or decreasing one, and one past the end", () => {
    expect(() => table("0200 0400 0800 aaaa bbbb")).toThrow(/offsets\[0\]/);
    expect(() => table("0200 0600 0600 aaaa bbbb")).toThrow(/offsets\[1\]/);
    expect(() => table("0200 0800 0600 aaaa bbbb")).toThrow(CipDecodeError);
    expect(() => table("0200 0600 0a00 aaaa bbbb")).toThrow(/body length 10/);
  });

  it("checks the count against the ceiling and the bytes left before reading offsets", () => {
    expect(() => table("c900")).toThrow(/201 exceeds the limit of 200/);
    expect(() => table("0300 0800", 5)).toThrow(/need 6 byte/);
    expect(() => decodeRequestBytes(fromHex(MSP_5), { limits: { maxServices: 4 } })).toThrow(/limit/);
  });
});

describe("properties", () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,12}$/);
  const sub: fc.Arbitrary<CipRequest> = fc.oneof(
    fc.tuple(name, fc.nat({ max: 0xffff })).map(([n, e]) => readTagRequest([{ symbolic: n }], e)),
    fc
      .tuple(name, fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff }))
      .map(([n, e, o]) => readTagFragmentedRequest([{ symbolic: n }], e, o)),
    fc
      .tuple(name, fc.uint8Array({ maxLength: 16 }))
      .map(([n, d]) => writeTagRequest([{ symbolic: n }], { type: 0xc2 }, d.length, d)),
    fc
      .tuple(fc.nat({ max: 0xff }), fc.nat({ max: 0xffff }))
      .map(([c, i]) => getAttributeSingleRequest([{ class: c }, { instance: i }, { attribute: 1 }])),
  );
  const reply: fc.Arbitrary<CipReply> = fc.oneof(
    fc.tuple(fc.constantFrom(0xc3, 0xc4, 0xca), fc.uint8Array({ maxLength: 16 })).map(([t, d]) => ({
      kind: "readTag" as const,
      service: 0xcc as const,
      generalStatus: 0,
      extStatus: [],
      type: t,
      data: d,
    })),
    fc.constantFrom(0, 0xff).map((s) => ({
      kind: "writeTag" as const,
      service: 0xcd as const,
      generalStatus: s,
      extStatus: s ? [0x2107] : [],
    })),
    fc
      .tuple(fc.constantFrom(4, 5, 8), fc.array(fc.nat({ max: 0xffff }), { maxLength: 2 }))
      .map(([s, ext]) => ({
        kind: "readTag" as const,
        service: 0xcc as const,
        generalStatus: s,
        extStatus: ext,
        data: new Uint8Array(0),
      })),
  );

  it("random valid requests round-trip with the offsets the encoder laid out", () => {
    fc.assert(
      fc.property(fc.array(sub, { maxLength: 20 }), (requests) => {
        const req = multipleServicePacket(requests);
        const x = decodeRequestBytes(encodeRequestBytes(req));
        expect(x).toEqual({ ...req, offsets: expect.any(Array) });
        if (x.kind === "multipleServicePacket") expect(x.offsets).toHaveLength(requests.length);
      }),
    );
  });

  it("random valid replies round-trip, and the status says whether any failed", () => {
    fc.assert(
      fc.property(fc.array(reply, { maxLength: 20 }), (replies) => {
        const r = multipleServiceReply(replies);
        expect(r.generalStatus).toBe(replies.some((p) => p.generalStatus !== 0) ? 0x1e : 0);
        expect(decodeReplyBytes(encodeReplyBytes(r))).toEqual({ ...r, offsets: expect.any(Array) });
      }),
    );
  });

  it("random bytes after an MSP header only ever give a value or a CipDecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.boolean(), (tail, asReply) => {
        const head = asReply ? [0x8a, 0, 0x1e, 0] : [0x0a, 2, 0x20, 2, 0x24, 1];
        try {
          if (asReply) decodeReplyBytes(new Uint8Array([...head, ...tail]));
          else decodeRequestBytes(new Uint8Array([...head, ...tail]));
        } catch (err) {
          if (!(err instanceof CipDecodeError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("structured random tables (small counts, offsets near the body) hit the checks and never escape them", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 4 }),
        fc.array(fc.nat({ max: 40 }), { minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        (count, offsets, rest) => {
          const body = [count, 0];
          for (let i = 0; i < count; i++) body.push(offsets[i] as number, 0);
          try {
            decodeRequestBytes(new Uint8Array([0x0a, 2, 0x20, 2, 0x24, 1, ...body, ...rest]));
          } catch (err) {
            if (!(err instanceof CipDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
