/** Attribute services of every CIP object: Get/Set Attribute Single, Get Attributes All, Get/Set Attribute List. */
import fc from "fast-check";
import {
  type AttributeResult,
  type AttributeSizeResolver,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  setAttributeSingleRequest,
} from "../src/bodies/attributes.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import {
  type CipReply,
  type CipRequest,
  decodeReplyBytes,
  decodeRequestBytes,
  encodeReplyBytes,
  encodeRequestBytes,
  type MessageDecodeOptions,
  type ReplyHint,
} from "../src/message/message.js";

function requestThreeWays(hex: string, req: CipRequest, options?: MessageDecodeOptions): void {
  const bytes = fromHex(hex);
  expect(decodeRequestBytes(bytes, options)).toEqual(req);
  expect(toHex(encodeRequestBytes(req))).toBe(toHex(bytes));
  expect(decodeRequestBytes(encodeRequestBytes(decodeRequestBytes(bytes, options)), options)).toEqual(req);
}

function replyThreeWays(
  hex: string,
  reply: CipReply,
  hint?: ReplyHint,
  options?: MessageDecodeOptions,
): void {
  const bytes = fromHex(hex);
  expect(decodeReplyBytes(bytes, hint, options)).toEqual(reply);
  expect(toHex(encodeReplyBytes(reply))).toBe(toHex(bytes));
  expect(decodeReplyBytes(encodeReplyBytes(decodeReplyBytes(bytes, hint, options)), hint, options)).toEqual(
    reply,
  );
}

/** Identity object attribute sizes: 1 vendor, 2 device type, 3 product code (UINT); 6 serial (UDINT). */
const identitySizes: AttributeSizeResolver = (id) => ({ 1: 2, 2: 2, 3: 2, 6: 4 })[id];

describe("single and all (logix_test GA_tests vectors)", () => {
  it("Get Attribute Single @2/1/4", () => {
    requestThreeWays(
      "0e03 2002 2401 3004",
      getAttributeSingleRequest([{ class: 2 }, { instance: 1 }, { attribute: 4 }]),
    );
  });

  it("Get Attributes All @2/1", () => {
    requestThreeWays("0102 2002 2401", getAttributesAllRequest([{ class: 2 }, { instance: 1 }]));
  });

  it("Set Attribute Single @2/1/4 = REAL 1.0", () => {
    requestThreeWays(
      "1003 2002 2401 3004 0000803f",
      setAttributeSingleRequest([{ class: 2 }, { instance: 1 }, { attribute: 4 }], fromHex("0000803f")),
    );
  });

  it("their replies are generic: status and raw data", () => {
    replyThreeWays("8e000000 0000803f", {
      kind: "generic",
      service: 0x8e,
      generalStatus: 0,
      extStatus: [],
      data: fromHex("0000803f"),
    });
    replyThreeWays("8e000800", {
      kind: "generic",
      service: 0x8e,
      generalStatus: 8,
      extStatus: [],
      data: new Uint8Array(0),
    });
  });
});

describe("Get Attribute List (spec form: count first)", () => {
  const path = [{ class: 1 }, { instance: 1 }];
  const request = getAttributeListRequest(path, [1, 7, 6]);

  it("request: count and ids", () => {
    requestThreeWays("0302 2001 2401 0300 0100 0700 0600", request);
  });

  it("the 0xAC/1 request inside gal_m01_request", () => {
    requestThreeWays(
      "0302 20ac 2401 0200 0100 0300",
      getAttributeListRequest([{ class: 0xac }, { instance: 1 }], [1, 3]),
    );
  });

  it("reply: a failed attribute carries no value; values are sized by the resolver", () => {
    const attributes: AttributeResult[] = [
      { id: 1, status: 0, value: fromHex("0100") }, // vendor 1
      { id: 7, status: 0x14 }, // attribute not supported
      { id: 6, status: 0, value: fromHex("1a066c00") }, // serial 0x006c061a
    ];
    const reply: CipReply = {
      kind: "getAttributeList",
      service: 0x83,
      generalStatus: 0,
      extStatus: [],
      attributes,
    };
    replyThreeWays(
      "83000000 0300 0100 0000 0100 0700 1400 0600 0000 1a066c00",
      reply,
      { request },
      { attributeSize: identitySizes },
    );
  });

  it("the last value may take the rest of the body without a resolver", () => {
    const x = decodeReplyBytes(fromHex("83000000 0100 0700 0000 1431373536"));
    expect(x).toEqual({
      kind: "getAttributeList",
      service: 0x83,
      generalStatus: 0,
      extStatus: [],
      attributes: [{ id: 7, status: 0, value: fromHex("1431373536") }],
    });
  });

  it("an unsized value before the last is an unsupported CipDecodeError", () => {
    const bytes = fromHex("83000000 0200 0700 0000 14 0100 0000 0100");
    let error: unknown;
    try {
      decodeReplyBytes(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CipDecodeError);
    expect((error as CipDecodeError).failure).toBe("unsupported");
  });

  it("an error reply with no body keeps no attribute list", () => {
    replyThreeWays("83000800", { kind: "getAttributeList", service: 0x83, generalStatus: 8, extStatus: [] });
  });

  it("counts are checked against the ceiling before anything is read", () => {
    expect(() => decodeRequestBytes(fromHex("0302 2001 2401 2c01"))).toThrow(/limit/);
    expect(() =>
      decodeRequestBytes(fromHex("0302 2001 2401 0400 0100"), { limits: { maxAttributes: 3 } }),
    ).toThrow(/limit/);
    expect(() => decodeRequestBytes(fromHex("0302 2001 2401 0400 0100"))).toThrow(/truncated|need/);
  });

  it("refuses to encode a value on a failed attribute", () => {
    const reply: CipReply = {
      kind: "getAttributeList",
      service: 0x83,
      generalStatus: 0x0a,
      extStatus: [],
      attributes: [{ id: 1, status: 0x14, value: fromHex("00") }],
    };
    expect(() => encodeReplyBytes(reply)).toThrow(CipEncodeError);
  });

  it("random valid replies round-trip with a resolver that knows every size", () => {
    const sizes = new Map<number, number>();
    const resolver: AttributeSizeResolver = (id) => sizes.get(id);
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.nat({ max: 0xffff }),
            status: fc.constantFrom(0, 0x14, 0x05),
            value: fc.uint8Array({ maxLength: 8 }),
          }),
          { selector: (a) => a.id, maxLength: 12 },
        ),
        (entries) => {
          sizes.clear();
          const attributes: AttributeResult[] = entries.map((e) => {
            sizes.set(e.id, e.value.length);
            return e.status === 0 ? { id: e.id, status: 0, value: e.value } : { id: e.id, status: e.status };
          });
          const reply: CipReply = {
            kind: "getAttributeList",
            service: 0x83,
            generalStatus: 0,
            extStatus: [],
            attributes,
          };
          expect(decodeReplyBytes(encodeReplyBytes(reply), undefined, { attributeSize: resolver })).toEqual(
            reply,
          );
        },
      ),
    );
  });
});

describe("Set Attribute List", () => {
  const path = [{ class: 0x93 }, { instance: 3 }];

  it("request: count, then each id and value (sized by the resolver)", () => {
    const req: CipRequest = {
      kind: "setAttributeList",
      service: 0x04,
      path,
      attributes: [
        { id: 1, value: fromHex("2a00") },
        { id: 2, value: fromHex("0000803f") },
      ],
    };
    requestThreeWays("0402 2093 2403 0200 0100 2a00 0200 0000803f", req, {
      attributeSize: (id) => (id === 1 ? 2 : 4),
    });
  });

  it("reply: count, then each id and status", () => {
    replyThreeWays("84000a00 0200 0100 0000 0200 0e00", {
      kind: "setAttributeList",
      service: 0x84,
      generalStatus: 0x0a,
      extStatus: [],
      attributes: [
        { id: 1, status: 0 },
        { id: 2, status: 0x0e },
      ],
    });
  });

  it("a value that overruns the body is truncated", () => {
    expect(() =>
      decodeRequestBytes(fromHex("0402 2093 2403 0200 0100 2a00 0200 00"), { attributeSize: () => 2 }),
    ).toThrow(CipDecodeError);
  });
});
