/** Connection Manager services: Unconnected Send, Forward Open / Large Forward Open, Forward Close. */
import fc from "fast-check";
import {
  ConnectionType,
  connectionManagerPath,
  decodeNetworkConnectionParameters,
  encodeNetworkConnectionParameters,
  type ForwardOpenReply,
  type ForwardOpenRequest,
  forwardCloseRequest,
  forwardOpenRequest,
  unconnectedSend,
} from "../src/bodies/connection-manager.js";
import { readTagRequest } from "../src/bodies/logix.js";
import type { EPath } from "../src/cip/epath.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import {
  type CipReply,
  decodeReplyBytes,
  decodeRequestBytes,
  encodeReplyBytes,
  encodeRequestBytes,
} from "../src/message/message.js";

/** Forward Open from cpppo's fwd_o01_request (Message Router target through backplane slot 0). */
const FWD_O01 = [
  "54 02 20 06 24 01", // Forward Open, path @6/1
  "07 f9", // priority/tick 7, timeout ticks 249
  "11 00 00 80", // O→T connection id 0x80000011
  "10 00 fe 80", // T→O connection id 0x80fe0010
  "11 00 4d 00 0f 7f 3d 1e", // connection serial 17, vendor 77, originator serial 0x1e3d7f0f
  "00 00 00 00", // timeout multiplier 0, 3 reserved
  "00 12 7a 00 f4 43", // O→T RPI 8 000 000 µs, NCP 0x43f4
  "00 12 7a 00 f4 43", // T→O RPI 8 000 000 µs, NCP 0x43f4
  "a3", // transport class 3, application trigger, server
  "03 01 00 20 02 24 01", // connection path 3 words: port 1 link 0, @2/1
].join(" ");

const FWD_O01_FIELDS: ForwardOpenRequest = {
  kind: "forwardOpen",
  service: 0x54,
  path: [{ class: 6 }, { instance: 1 }],
  priorityTimeTick: 7,
  timeoutTicks: 249,
  otConnectionId: 0x80000011,
  toConnectionId: 0x80fe0010,
  connectionSerial: 17,
  originatorVendor: 77,
  originatorSerial: 507346703,
  timeoutMultiplier: 0,
  otRpiUs: 8_000_000,
  otParams: 0x43f4,
  toRpiUs: 8_000_000,
  toParams: 0x43f4,
  transportClassTrigger: 0xa3,
  connectionPath: [{ port: 1, link: 0 }, { class: 2 }, { instance: 1 }],
};

/** Its reply, fwd_o01_reply. */
const FWD_O01_REPLY = [
  "d4 00 00 00", // Forward Open reply, success
  "26 40 a3 ff", // O→T connection id 0xffa34026
  "10 00 fe 80", // T→O connection id
  "11 00 4d 00 0f 7f 3d 1e", // serial, vendor, originator serial
  "00 12 7a 00 00 12 7a 00", // O→T and T→O API 8 000 000 µs
  "00 00", // application reply 0 words, reserved
].join(" ");

function threeWays(
  hex: string,
  value: unknown,
  decode: (b: Uint8Array) => unknown,
  encode: (x: never) => Uint8Array,
) {
  const bytes = fromHex(hex);
  expect(decode(bytes)).toEqual(value);
  expect(toHex(encode(value as never))).toBe(toHex(bytes));
  expect(decode(encode(decode(bytes) as never))).toEqual(value);
}

describe("network connection parameters", () => {
  it("split 0x43F4 into point-to-point, low priority, variable, 500 bytes", () => {
    const p = decodeNetworkConnectionParameters(0x43f4);
    expect(p).toEqual({ redundantOwner: false, connectionType: 2, priority: 0, variable: true, size: 500 });
    expect(ConnectionType.describe(p.connectionType)).toBe("Point to point");
    expect(encodeNetworkConnectionParameters(p)).toBe(0x43f4);
  });

  it("use the upper 16 bits in the Large Forward Open form", () => {
    const p = { redundantOwner: true, connectionType: 1, priority: 3, variable: false, size: 4000 };
    const word = encodeNetworkConnectionParameters(p, true);
    expect(word).toBe(0xac000fa0);
    expect(decodeNetworkConnectionParameters(word, true)).toEqual(p);
  });

  it("reject a size the form cannot hold", () => {
    const p = { redundantOwner: false, connectionType: 2, priority: 0, variable: true, size: 512 };
    expect(() => encodeNetworkConnectionParameters(p)).toThrow(CipEncodeError);
    expect(encodeNetworkConnectionParameters(p, true)).toBe(0x42000200);
  });

  it("round-trip every field combination", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat({ max: 3 }),
        fc.nat({ max: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat({ max: 0xffff }),
        (redundantOwner, connectionType, priority, variable, large, size) => {
          const p = { redundantOwner, connectionType, priority, variable, size: large ? size : size & 0x1ff };
          expect(
            decodeNetworkConnectionParameters(encodeNetworkConnectionParameters(p, large), large),
          ).toEqual(p);
        },
      ),
    );
  });
});

describe("Forward Open", () => {
  it("fwd_o01_request three ways", () => {
    threeWays(FWD_O01, FWD_O01_FIELDS, decodeRequestBytes, encodeRequestBytes);
  });

  it("fwd_o01_reply three ways", () => {
    const reply: ForwardOpenReply = {
      kind: "forwardOpen",
      service: 0xd4,
      generalStatus: 0,
      extStatus: [],
      otConnectionId: 0xffa34026,
      toConnectionId: 0x80fe0010,
      connectionSerial: 17,
      originatorVendor: 77,
      originatorSerial: 507346703,
      otApiUs: 8_000_000,
      toApiUs: 8_000_000,
      applicationReply: new Uint8Array(0),
    };
    threeWays(FWD_O01_REPLY, reply, (b) => decodeReplyBytes(b), encodeReplyBytes);
  });

  it("error reply fwd_f01_reply: status 0x01, extended 0x0311, triple and remaining path size", () => {
    const hex = "d4 00 01 01 11 03 | 00 00 ff ff 78 56 34 12 | 01 00".replace(/\|/g, "");
    const reply: CipReply = {
      kind: "forwardOpenFailure",
      service: 0xd4,
      generalStatus: 1,
      extStatus: [0x0311],
      connectionSerial: 0,
      originatorVendor: 0xffff,
      originatorSerial: 0x12345678,
      remainingPathWords: 1,
    };
    threeWays(hex, reply, (b) => decodeReplyBytes(b), encodeReplyBytes);
  });

  it("error reply without the optional remaining path size (fwd_f01_reply_no_remain)", () => {
    const reply: CipReply = {
      kind: "forwardOpenFailure",
      service: 0xd4,
      generalStatus: 1,
      extStatus: [0x0311],
      connectionSerial: 0,
      originatorVendor: 0xffff,
      originatorSerial: 0x12345678,
    };
    threeWays("d40001011103 0000ffff78563412", reply, (b) => decodeReplyBytes(b), encodeReplyBytes);
  });

  it("out of connections (0x0113) reply built by a server", () => {
    const reply: CipReply = {
      kind: "forwardOpenFailure",
      service: 0xdb,
      generalStatus: 1,
      extStatus: [0x0113],
      connectionSerial: 9,
      originatorVendor: 1,
      originatorSerial: 2,
      remainingPathWords: 0,
    };
    threeWays("db0001011301 09000100 02000000 0000", reply, (b) => decodeReplyBytes(b), encodeReplyBytes);
  });

  it("builds a standard Forward Open up to 511 bytes and a Large one above", () => {
    const small = forwardOpenRequest({ connectionSerial: 7, originatorVendor: 0x1234, originatorSerial: 99 });
    expect(small.service).toBe(0x54);
    expect(small.otParams).toBe(0x43f4);
    expect(small.toConnectionId).toBe(7);
    expect(decodeRequestBytes(encodeRequestBytes(small))).toEqual(small);

    const large = forwardOpenRequest({
      connectionSerial: 7,
      originatorVendor: 0x1234,
      originatorSerial: 99,
      size: 4002,
    });
    expect(large.service).toBe(0x5b);
    expect(large.otParams).toBe(0x42000fa2);
    const bytes = encodeRequestBytes(large);
    expect(bytes.length).toBe(encodeRequestBytes(small).length + 4);
    expect(toHex(bytes.subarray(32, 36))).toBe("a20f0042"); // O→T parameters as a UDINT
    expect(decodeRequestBytes(bytes)).toEqual(large);
  });

  it("rejects a field out of range when encoding", () => {
    expect(() => encodeRequestBytes({ ...FWD_O01_FIELDS, connectionSerial: 0x10000 })).toThrow(
      CipEncodeError,
    );
    expect(() => encodeRequestBytes({ ...FWD_O01_FIELDS, otParams: 0x10000 })).toThrow(/otParams/);
  });

  const u8 = fc.nat({ max: 0xff });
  const u16 = fc.nat({ max: 0xffff });
  const u32 = fc.nat({ max: 0xffffffff });
  const routeSegment: fc.Arbitrary<EPath[number]> = fc.oneof(
    fc.record({ port: fc.integer({ min: 1, max: 20 }), link: u8 }),
    fc.record({ class: u16 }),
    fc.record({ instance: u32 }),
    fc.record({ connection: u16 }),
  );

  it("round-trips random valid requests, both sizes", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.tuple(u8, u8, u32, u32, u16, u16, u32, u8, u32, u32, u32, u32, u8),
        fc.array(routeSegment, { maxLength: 6 }),
        (large, f, connectionPath) => {
          const req: ForwardOpenRequest = {
            kind: "forwardOpen",
            service: large ? 0x5b : 0x54,
            path: connectionManagerPath(),
            priorityTimeTick: f[0],
            timeoutTicks: f[1],
            otConnectionId: f[2],
            toConnectionId: f[3],
            connectionSerial: f[4],
            originatorVendor: f[5],
            originatorSerial: f[6],
            timeoutMultiplier: f[7],
            otRpiUs: f[8],
            otParams: large ? f[9] : f[9] & 0xffff,
            toRpiUs: f[10],
            toParams: large ? f[11] : f[11] & 0xffff,
            transportClassTrigger: f[12],
            connectionPath,
          };
          expect(decodeRequestBytes(encodeRequestBytes(req))).toEqual(req);
        },
      ),
    );
  });

  it("round-trips random valid replies, success and failure", () => {
    fc.assert(
      fc.property(
        fc.tuple(u32, u32, u16, u16, u32, u32, u32),
        fc.uint8Array({ maxLength: 16 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.boolean(),
        fc.option(u8, { nil: undefined }),
        (f, applicationReply, large, remaining) => {
          const service = large ? 0xdb : 0xd4;
          const ok: CipReply = {
            kind: "forwardOpen",
            service,
            generalStatus: 0,
            extStatus: [],
            otConnectionId: f[0],
            toConnectionId: f[1],
            connectionSerial: f[2],
            originatorVendor: f[3],
            originatorSerial: f[4],
            otApiUs: f[5],
            toApiUs: f[6],
            applicationReply,
          };
          expect(decodeReplyBytes(encodeReplyBytes(ok))).toEqual(ok);
          const failed: CipReply = {
            kind: "forwardOpenFailure",
            service,
            generalStatus: 1,
            extStatus: [0x0100],
            connectionSerial: f[2],
            originatorVendor: f[3],
            originatorSerial: f[4],
          };
          if (remaining !== undefined) failed.remainingPathWords = remaining;
          expect(decodeReplyBytes(encodeReplyBytes(failed))).toEqual(failed);
        },
      ),
    );
  });

  it("random bytes after a Forward Open header decode or fail with CipDecodeError only", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("540220062401", "5b0220062401"),
        fc.uint8Array({ maxLength: 64 }),
        (head, tail) => {
          const bytes = new Uint8Array([...fromHex(head), ...tail]);
          try {
            const x = decodeRequestBytes(bytes);
            expect(x.kind).toBe("forwardOpen");
            expect(decodeRequestBytes(encodeRequestBytes(x))).toEqual(x);
          } catch (err) {
            if (!(err instanceof CipDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(0xd4, 0xdb),
        fc.nat({ max: 255 }),
        fc.uint8Array({ maxLength: 48 }),
        (svc, st, tail) => {
          const bytes = new Uint8Array([svc, 0, st, 0, ...tail]);
          try {
            decodeReplyBytes(bytes);
          } catch (err) {
            if (!(err instanceof CipDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("Forward Close", () => {
  const hex = "4e02200624 01 07f9 0100 4d00 0f7f3d1e 03 00 010020022401"; // fwd_c01_request: padded connection path

  it("fwd_c01_request three ways, and the builder makes the same bytes", () => {
    const req = forwardCloseRequest({
      connectionSerial: 1,
      originatorVendor: 77,
      originatorSerial: 507346703,
      priorityTimeTick: 7,
      timeoutTicks: 249,
    });
    threeWays(hex, req, decodeRequestBytes, encodeRequestBytes);
  });

  it("reply with only a status (fwd_clo_reply_just_sts), given the request", () => {
    const request = decodeRequestBytes(fromHex(hex));
    const x = decodeReplyBytes(fromHex("ce0001010001"), { request });
    expect(x).toEqual({ kind: "forwardCloseFailure", service: 0xce, generalStatus: 1, extStatus: [0x0100] });
    expect(toHex(encodeReplyBytes(x))).toBe("ce0001010001");
  });

  it("successful reply three ways", () => {
    const reply: CipReply = {
      kind: "forwardClose",
      service: 0xce,
      generalStatus: 0,
      extStatus: [],
      connectionSerial: 1,
      originatorVendor: 77,
      originatorSerial: 507346703,
      applicationReply: fromHex("abcd"),
    };
    threeWays("ce000000 0100 4d00 0f7f3d1e 01 00 abcd", reply, (b) => decodeReplyBytes(b), encodeReplyBytes);
  });

  it("reply 0xCE to a tag (Read Modify Write) is status only", () => {
    const x = decodeReplyBytes(fromHex("ce000000"), {
      requestService: 0x4e,
      requestPath: [{ symbolic: "A" }],
    });
    expect(x.kind).toBe("readModifyWriteTag");
  });
});

describe("Unconnected Send", () => {
  /** §2.14: Read Tag SCADA[1] routed to backplane slot 0. */
  const ROUTED_READ = [
    "52 02 20 06 24 01", // Unconnected Send to @6/1
    "05 9d", // priority/tick 5, timeout ticks 157
    "0e 00", // message size 14
    "4c 05 91 05 53 43 41 44 41 00 28 01 01 00", // Read Tag SCADA[1], 1 element
    "01 00 01 00", // route path: 1 word, reserved, port 1 link 0
  ].join(" ");

  it("wraps a Read Tag exactly as the verified client bytes", () => {
    const req = unconnectedSend(readTagRequest([{ symbolic: "SCADA" }, { element: 1 }], 1), [
      { port: 1, link: 0 },
    ]);
    threeWays(ROUTED_READ, req, decodeRequestBytes, encodeRequestBytes);
  });

  it("pads an odd-sized embedded message (hart_query_request)", () => {
    const hex = "52022006240105f70900 4f0321005d03240863 00 01000100";
    const x = decodeRequestBytes(fromHex(hex));
    expect(x).toMatchObject({
      kind: "unconnectedSend",
      message: { kind: "generic", service: 0x4f, data: fromHex("63") },
      routePath: [{ port: 1, link: 0 }],
    });
    expect(toHex(encodeRequestBytes(x))).toBe(toHex(fromHex(hex)));
  });

  it("routes through several hops with an IP link", () => {
    const req = unconnectedSend(readTagRequest([{ symbolic: "A" }]), [
      { port: 2, link: "10.0.7.1" },
      { port: 1, link: 3 },
    ]);
    expect(decodeRequestBytes(encodeRequestBytes(req))).toEqual(req);
  });

  it("error reply with a remaining path size, given the request", () => {
    const request = decodeRequestBytes(fromHex(ROUTED_READ));
    // 0xD2 status 0x01 extended 0x0204 (unconnected request timed out), 1 word of route path left.
    const x = decodeReplyBytes(fromHex("d2000101040201"), { request });
    expect(x).toEqual({
      kind: "unconnectedSend",
      service: 0xd2,
      generalStatus: 1,
      extStatus: [0x0204],
      remainingPathWords: 1,
    });
    // Encoded with the reserved byte after the size, as the spec and Wireshark read it.
    expect(toHex(encodeReplyBytes(x))).toBe("d200010104020100");
    expect(decodeReplyBytes(fromHex("d200010104020100"), { request })).toEqual(x);
  });

  it("a successful reply is the embedded service's reply, decoded against the embedded request", () => {
    const request = decodeRequestBytes(fromHex(ROUTED_READ));
    expect(decodeReplyBytes(fromHex("cc000000c3002a00"), { request })).toMatchObject({
      kind: "readTag",
      type: 0xc3,
      data: fromHex("2a00"),
    });
  });

  it("rejects an embedded message that overruns the body", () => {
    expect(() => decodeRequestBytes(fromHex("52022006240105 9d 2000 4c029101410001000100 0100"))).toThrow(
      CipDecodeError,
    );
  });
});
