/** Logix tag, symbol and template services: request builders, replies, and their wire forms. */
import fc from "fast-check";
import {
  type GetInstanceAttributeListReply,
  getInstanceAttributeListRequest,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  readTemplateRequest,
  SymbolAttributeId,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "../src/bodies/logix.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import {
  type CipReply,
  type CipRequest,
  decodeReplyBytes,
  decodeRequestBytes,
  encodeReplyBytes,
  encodeRequestBytes,
  type ReplyHint,
} from "../src/message/message.js";

const SCADA = { symbolic: "SCADA" } as const;

function requestThreeWays(hex: string, req: CipRequest): void {
  const bytes = fromHex(hex);
  expect(decodeRequestBytes(bytes)).toEqual(req);
  expect(toHex(encodeRequestBytes(req))).toBe(toHex(bytes));
  expect(decodeRequestBytes(encodeRequestBytes(decodeRequestBytes(bytes)))).toEqual(req);
}

function replyThreeWays(hex: string, reply: CipReply, hint?: ReplyHint): void {
  const bytes = fromHex(hex);
  expect(decodeReplyBytes(bytes, hint)).toEqual(reply);
  expect(toHex(encodeReplyBytes(reply))).toBe(toHex(bytes));
  expect(decodeReplyBytes(encodeReplyBytes(decodeReplyBytes(bytes, hint)), hint)).toEqual(reply);
}

describe("tag requests (cpppo-reference §2.14 verified bytes)", () => {
  it("Read Tag SCADA[1]", () => {
    requestThreeWays(
      "4c 05 91 05 5343414441 00 2801 0100", // Read Tag, 5 words: "SCADA" + pad, element 1; 1 element
      readTagRequest([SCADA, { element: 1 }]),
    );
  });

  it("Read Tag Fragmented SCADA[0-9]+4", () => {
    requestThreeWays(
      "52 05 91 05 5343414441 00 2800 0a00 04000000", // 10 elements from byte offset 4
      readTagFragmentedRequest([SCADA, { element: 0 }], 10, 4),
    );
  });

  it("Write Tag INT 99 to SCADA[1]", () => {
    requestThreeWays(
      "4d 05 91 05 5343414441 00 2801 c300 0100 6300", // type INT, 1 element, value 99
      writeTagRequest([SCADA, { element: 1 }], { type: 0xc3 }, 1, fromHex("6300")),
    );
  });

  it("Write Tag Fragmented DINT SCADA[0-3] at offset 4, values 1 and 2", () => {
    requestThreeWays(
      "53 05 91 05 5343414441 00 2800 c400 0400 04000000 01000000 02000000",
      writeTagFragmentedRequest([SCADA, { element: 0 }], { type: 0xc4 }, 4, 4, fromHex("0100000002000000")),
    );
  });

  it("Write Tag of a structure carries the structure handle (wtg_002_request)", () => {
    requestThreeWays(
      "4d 05 91 07 53544553544f50 00 a002 9988 0100 ff", // STRUCT 0x02a0, handle 0x8899, 1 element
      writeTagRequest([{ symbolic: "STESTOP" }], { type: 0x02a0, structureHandle: 0x8899 }, 1, fromHex("ff")),
    );
  });

  it("Read Modify Write Tag sets bit 3 and clears bit 0 of a DINT", () => {
    requestThreeWays(
      "4e 02 91 01 41 00 0400 08000000 feffffff", // mask size 4, OR mask, AND mask
      readModifyWriteTagRequest([{ symbolic: "A" }], fromHex("08000000"), fromHex("feffffff")),
    );
  });

  it("refuses a structure type without its handle and masks of different sizes", () => {
    expect(() => encodeRequestBytes(writeTagRequest([SCADA], { type: 0x02a0 }, 1, fromHex("00")))).toThrow(
      CipEncodeError,
    );
    expect(() =>
      encodeRequestBytes(readModifyWriteTagRequest([SCADA], fromHex("01"), fromHex("feff"))),
    ).toThrow(/same length/);
  });

  it("fails on a truncated structure handle", () => {
    expect(() => decodeRequestBytes(fromHex("4d02 91014100 a002"))).toThrow(CipDecodeError);
  });
});

describe("tag replies (cpppo-reference §2.14 verified bytes)", () => {
  const status = { generalStatus: 0, extStatus: [] };

  it("Read Tag REAL 1.5", () => {
    replyThreeWays("cc000000 ca00 0000c03f", {
      kind: "readTag",
      service: 0xcc,
      ...status,
      type: 0xca,
      data: fromHex("0000c03f"),
    });
  });

  it("Read Tag STRING 'abc'", () => {
    replyThreeWays("cc000000 d000 0300616263 00".replace(/ /g, ""), {
      kind: "readTag",
      service: 0xcc,
      ...status,
      type: 0xd0,
      data: fromHex("030061626300"),
    });
  });

  it("Read Tag beyond the end: 0xFF with extended 0x2105, no data", () => {
    replyThreeWays("cc00ff010521", {
      kind: "readTag",
      service: 0xcc,
      generalStatus: 0xff,
      extStatus: [0x2105],
      data: new Uint8Array(0),
    });
  });

  it("Write Tag ok and Write Tag type mismatch (0xFF / 0x2107)", () => {
    replyThreeWays("cd000000", { kind: "writeTag", service: 0xcd, ...status });
    replyThreeWays("cd00ff010721", {
      kind: "writeTag",
      service: 0xcd,
      generalStatus: 0xff,
      extStatus: [0x2107],
    });
  });

  it("Read Tag Fragmented partial transfer of a structure (rfg_gg0_rpy head)", () => {
    replyThreeWays("d2000600 a002 f98d 6f000000", {
      kind: "readTagFragmented",
      service: 0xd2,
      generalStatus: 6,
      extStatus: [],
      type: 0x02a0,
      structureHandle: 0x8df9,
      data: fromHex("6f000000"),
    });
  });

  it("a status-only reply that carries bytes after all is kept whole as generic", () => {
    const x = decodeReplyBytes(fromHex("cd000000beef"));
    expect(x).toEqual({
      kind: "generic",
      service: 0xcd,
      generalStatus: 0,
      extStatus: [],
      data: fromHex("beef"),
    });
    expect(toHex(encodeReplyBytes(x))).toBe("cd000000beef");
  });

  it("a one-byte read body is truncated", () => {
    expect(() => decodeReplyBytes(fromHex("cc000000c3"))).toThrow(CipDecodeError);
  });
});

describe("symbol browsing (Get Instance Attribute List 0x55)", () => {
  const request = getInstanceAttributeListRequest(0);

  it("builds the request for names, types and dimensions from instance 0", () => {
    requestThreeWays("55 02 206b 2400 0300 0100 0200 0800", request);
  });

  it("program-scoped listing starts with the program name", () => {
    const x = getInstanceAttributeListRequest(5, [SymbolAttributeId.name], "Program:Main");
    expect(x.path).toEqual([{ symbolic: "Program:Main" }, { class: 0x6b }, { instance: 5 }]);
    expect(decodeRequestBytes(encodeRequestBytes(x))).toEqual(x);
  });

  it("decodes instance records against the request's attribute list", () => {
    const reply: GetInstanceAttributeListReply = {
      kind: "getInstanceAttributeList",
      service: 0xd5,
      generalStatus: 6, // partial: more instances follow
      extStatus: [],
      instances: [
        {
          instance: 0x10,
          attributes: [
            { id: 1, value: "Tag" },
            { id: 2, value: 0xc4 },
            { id: 8, value: [0, 0, 0] },
          ],
        },
        {
          instance: 0x2a,
          attributes: [
            { id: 1, value: "Arr" },
            { id: 2, value: 0x20c3 },
            { id: 8, value: [10, 0, 0] },
          ],
        },
      ],
    };
    const hex = [
      "d5 00 06 00",
      "10000000 0300 546167 c400 00000000 00000000 00000000", // instance 0x10 "Tag" DINT scalar
      "2a000000 0300 417272 c320 0a000000 00000000 00000000", // instance 0x2a "Arr" INT[10]
    ].join(" ");
    replyThreeWays(hex, reply, { request });
  });

  it("without the request the reply cannot be split, so it stays generic", () => {
    expect(decodeReplyBytes(fromHex("d50000001000000003005461670000")).kind).toBe("generic");
  });

  it("limits the name length and the number of instances", () => {
    const long = fromHex("d5000000 10000000 0008".replace(/ /g, ""));
    expect(() => decodeReplyBytes(long, { request })).toThrow(CipDecodeError);
    const two = fromHex(
      "d5000000 01000000 0100 41 0000 00000000 00000000 00000000 02000000 0100 42 0000 00000000 00000000 00000000".replace(
        / /g,
        "",
      ),
    );
    expect(() => decodeReplyBytes(two, { request }, { limits: { symbols: { maxInstances: 1 } } })).toThrow(
      /limit/,
    );
  });

  it("random bytes after the reply header decode or fail with CipDecodeError only", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        try {
          decodeReplyBytes(new Uint8Array([0xd5, 0, 0, 0, ...tail]), { request });
        } catch (err) {
          if (!(err instanceof CipDecodeError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("templates (class 0x6C)", () => {
  it("Read Template request: offset and byte count on the template instance", () => {
    requestThreeWays("4c 03 206c 2500 f98d 00000000 f401", readTemplateRequest(0x8df9, 500));
  });

  it("its reply is raw definition bytes when the request is known", () => {
    const request = readTemplateRequest(0x8df9, 500);
    replyThreeWays(
      "cc000600 0102030405",
      { kind: "readTemplate", service: 0xcc, generalStatus: 6, extStatus: [], data: fromHex("0102030405") },
      { request },
    );
  });
});

describe("property: tag services round-trip", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
  const path = fc
    .tuple(name, fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }))
    .map(([n, e]) => (e === undefined ? [{ symbolic: n }] : [{ symbolic: n }, { element: e }]));
  const type = fc.oneof(
    fc.integer({ min: 0xc1, max: 0xda }).map((t) => ({ type: t })),
    fc.nat({ max: 0xffff }).map((h) => ({ type: 0x02a0, structureHandle: h })),
  );
  const request: fc.Arbitrary<CipRequest> = fc.oneof(
    fc.tuple(path, fc.nat({ max: 0xffff })).map(([p, n]) => readTagRequest(p, n)),
    fc
      .tuple(path, fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff }))
      .map(([p, n, o]) => readTagFragmentedRequest(p, n, o)),
    fc
      .tuple(path, type, fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 32 }))
      .map(([p, t, n, d]) => writeTagRequest(p, t, n, d)),
    fc
      .tuple(
        path,
        type,
        fc.nat({ max: 0xffff }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 32 }),
      )
      .map(([p, t, n, o, d]) => writeTagFragmentedRequest(p, t, n, o, d)),
    fc.tuple(path, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, m]) =>
      readModifyWriteTagRequest(
        p,
        m,
        m.map((b) => ~b & 0xff),
      ),
    ),
  );

  it("requests", () => {
    fc.assert(
      fc.property(request, (req) => expect(decodeRequestBytes(encodeRequestBytes(req))).toEqual(req)),
    );
  });

  it("read replies", () => {
    fc.assert(
      fc.property(fc.constantFrom(0xcc, 0xd2), type, fc.uint8Array({ maxLength: 32 }), (service, t, data) => {
        const reply = {
          kind: service === 0xcc ? "readTag" : "readTagFragmented",
          service,
          generalStatus: 0,
          extStatus: [],
          ...t,
          data,
        } as CipReply;
        expect(decodeReplyBytes(encodeReplyBytes(reply))).toEqual(reply);
      }),
    );
  });
});
