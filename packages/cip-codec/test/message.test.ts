import fc from "fast-check";
import { decodeNetworkConnectionParameters } from "../src/bodies/connection-manager.js";
import { serviceName, targetClass } from "../src/cip/services.js";
import { GeneralStatus } from "../src/cip/status.js";
import { CipDecodeError, CipEncodeError } from "../src/core/errors.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Reader } from "../src/core/reader.js";
import { Writer } from "../src/core/writer.js";
import {
  type CipReply,
  type CipRequest,
  decodeMessageReply,
  decodeMessageRequest,
  decodeReply,
  decodeReplyBytes,
  decodeRequest,
  decodeRequestBytes,
  encodeMessageReply,
  encodeMessageRequest,
  encodeReplyBytes,
  encodeRequestBytes,
  type ReplyHint,
  sizeOfMessageReply,
  sizeOfMessageRequest,
  sizeOfReply,
  sizeOfRequest,
} from "../src/message/message.js";
import { type Json, loadVectors, type Vector } from "./support/vectors.js";

const vectors = loadVectors();
const byName = new Map(vectors.map((v) => [v.name, v]));

/** One CIP payload: where it came from, its bytes and the vector's decoded fields for it. */
interface Payload {
  label: string;
  vector: Vector;
  bytes: Uint8Array;
  expected: Json;
}

/** The CIP payloads of a full frame or CPF: 0xB2 data, or 0xB1 data after its sequence count. */
function cpfPayloads(v: Vector): Payload[] {
  const bytes = fromHex(v.hex);
  const cpf = v.frame === "full" ? v.decoded.cpf : v.decoded;
  if (!cpf?.items) return [];
  if (v.frame === "full" && v.decoded.command !== 0x6f && v.decoded.command !== 0x70) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = v.frame === "full" ? 24 + 4 + 2 : 0;
  const count = view.getUint16(at, true);
  at += 2;
  const out: Payload[] = [];
  for (let i = 0; i < count; i++) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    let data = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    const item = cpf.items[i];
    if (!item?.cip) continue;
    if (type === 0xb1) data = data.subarray(2);
    out.push({
      label: `${v.name} item ${i} (0x${type.toString(16)})`,
      vector: v,
      bytes: data,
      expected: item.cip,
    });
  }
  return out;
}

const payloads: Payload[] = [];
for (const v of vectors) {
  if (v.frame === "cip")
    payloads.push({ label: v.name, vector: v, bytes: fromHex(v.hex), expected: v.decoded });
  else if ((v.frame === "full" || v.frame === "cpf") && (v.decoded.cpf || v.decoded.items))
    payloads.push(...cpfPayloads(v));
}
const requests = payloads.filter((p) => p.vector.direction === "request");
const replies = payloads.filter((p) => p.vector.direction === "reply");

/**
 * Vectors whose request path uses a wider segment than needed (from real devices): they decode to the
 * same segments but re-encode in the minimal form, so their bytes differ from the source.
 */
const NON_MINIMAL_EPATH = new Set(["rfg_gg0_req"]);

/** The request each reply vector answers (by the source's naming and notes). */
const REQUEST_OF: Record<string, string> = {
  gaa_008_reply: "gaa_008_request",
  gaa_011_reply: "gaa_011_request",
  unk_014_reply: "unk_014_request",
  unk_017_reply: "unk_017_request",
  unk_020_reply: "unk_020_request",
  unk_023_reply: "unk_023_request",
  rfg_001_reply: "rfg_001_request",
  rfg_002_reply: "rfg_002_request",
  rfg_gg0_rpy: "rfg_gg0_req",
  gas_001_reply: "gas_001_request",
  gas_m01_reply: "gas_m01_request",
  fwd_o01_reply: "fwd_o01_request",
  fwd_o02_reply: "fwd_o02_request",
  fwd_f01_reply: "fwd_f01_request_bad",
  fwd_f01_reply_no_remain: "fwd_f01_request_bad",
  fwd_clo_reply_just_sts: "fwd_c01_request",
  hart_0x4b_reply: "hart_0x4b_request",
  hart_query_response: "hart_query_request",
  cpf_1_rpy: "cpf_1",
  cpf_2_rpy: "cpf_2",
  gal_2_rpy: "gal_3",
  readfrag_1_rpy: "readfrag_1_req",
  writetag_1_rpy: "writetag_1_req",
  msp_5_reply: "msp_5_request",
  msp_good_reply: "msp_good_request",
  msp_bad_reply: "msp_bad_request",
  ga_gas_2_1_4_reply: "ga_gas_2_1_4_request",
  ga_gaa_2_1_reply: "ga_gaa_2_1_request",
  ga_sas_2_1_4_reply: "ga_sas_2_1_4_request",
};

/**
 * Replies that cannot be told apart without knowing the request: a bare 0xD2 error answers Read Tag
 * Fragmented or Unconnected Send (`unc_snd_bad`'s note), a bare 0xCE error answers Forward Close or Read
 * Modify Write Tag. Without a hint they decode as `generic`; the vectors' fields still hold.
 */
const AMBIGUOUS_WITHOUT_HINT = new Set([
  "unc_snd_bad",
  "rfg_001_reply",
  "rfg_002_reply",
  "fwd_clo_reply_just_sts",
]);

function requestOf(name: string): CipRequest {
  const v = byName.get(name);
  if (!v) throw new Error(`no vector ${name}`);
  const p = v.frame === "cip" ? fromHex(v.hex) : (cpfPayloads(v)[0] as Payload).bytes;
  return decodeRequestBytes(p);
}

function expectNcp(word: number, large: boolean, e: Json): void {
  const ncp = decodeNetworkConnectionParameters(word, large);
  expect({
    size: ncp.size,
    variable: ncp.variable ? 1 : 0,
    priority: ncp.priority,
    type: ncp.connectionType,
    redundant_owner: ncp.redundantOwner ? 1 : 0,
  }).toEqual(e);
}

/** Checks every field the vector states against the decoded request. */
function expectRequest(a: CipRequest, e: Json): void {
  expect(a.service).toBe(e.service);
  expect(a.path).toEqual(e.path);
  const known = serviceName(a.service, targetClass(a.path));
  if (!known.startsWith("Service (") && a.kind !== "generic") expect(known).toBe(e.service_name);
  const x = a as Json;
  if (e.elements !== undefined) expect(x.elements).toBe(e.elements);
  if (e.offset !== undefined) expect(x.offset).toBe(e.offset);
  if (e.tag_type !== undefined) expect(x.type).toBe(e.tag_type);
  if (e.structure_handle !== undefined) expect(x.structureHandle).toBe(e.structure_handle);
  if (e.data !== undefined) expect(toHex(x.data)).toBe(e.data);
  if (e.attributes !== undefined) expect(x.attributes).toEqual(e.attributes);
  if (e.requests !== undefined) {
    expect(a.kind).toBe("multipleServicePacket");
    expect(x.requests).toHaveLength(e.count);
    expect(x.offsets).toEqual(e.offsets);
    for (let i = 0; i < e.requests.length; i++) expectRequest(x.requests[i], e.requests[i]);
  }
  if (e.message !== undefined) {
    expect(a.kind).toBe("unconnectedSend");
    expect(x.priorityTimeTick).toBe(e.priority_time_tick);
    expect(x.timeoutTicks).toBe(e.timeout_ticks);
    expect(sizeOfRequest(x.message)).toBe(e.message_length);
    expect(x.routePath).toEqual(e.route_path);
    expectRequest(x.message, e.message);
  }
  if (e.o_t_connection_id !== undefined) {
    expect(a.kind).toBe("forwardOpen");
    const large = a.service === 0x5b;
    expect(x.priorityTimeTick).toBe(e.priority_time_tick);
    expect(x.timeoutTicks).toBe(e.timeout_ticks);
    expect(x.otConnectionId).toBe(e.o_t_connection_id);
    expect(x.toConnectionId).toBe(e.t_o_connection_id);
    expect(x.timeoutMultiplier).toBe(e.timeout_multiplier);
    expect(x.otRpiUs).toBe(e.o_t_rpi_us);
    expect(x.otParams).toBe(e.o_t_params);
    expect(x.toRpiUs).toBe(e.t_o_rpi_us);
    expect(x.toParams).toBe(e.t_o_params);
    expect(x.transportClassTrigger).toBe(e.transport_class_trigger);
    expectNcp(x.otParams, large, e.o_t_ncp);
    expectNcp(x.toParams, large, e.t_o_ncp);
  }
  if (e.connection_path !== undefined) {
    expect(x.connectionPath).toEqual(e.connection_path);
    expect(x.connectionSerial).toBe(e.connection_serial);
    expect(x.originatorVendor).toBe(e.originator_vendor);
    expect(x.originatorSerial).toBe(e.originator_serial);
  }
}

/** Checks every field the vector states against the decoded reply. */
function expectReply(a: CipReply, e: Json): void {
  expect(a.service).toBe(e.service);
  expect(a.generalStatus).toBe(e.general_status);
  expect(a.extStatus).toEqual(e.ext_status);
  expect(GeneralStatus.describe(a.generalStatus)).toBe(e.status_name);
  const x = a as Json;
  if (e.tag_type !== undefined) expect(x.type).toBe(e.tag_type);
  if (e.structure_handle !== undefined) expect(x.structureHandle).toBe(e.structure_handle);
  if (e.data !== undefined) expect(toHex(x.data)).toBe(e.data);
  if (e.replies !== undefined) {
    expect(a.kind).toBe("multipleServicePacket");
    expect(x.replies).toHaveLength(e.count);
    expect(x.offsets).toEqual(e.offsets);
    for (let i = 0; i < e.replies.length; i++) expectReply(x.replies[i], e.replies[i]);
  }
  if (e.o_t_api_us !== undefined) {
    expect(a.kind).toBe("forwardOpen");
    expect(x.otConnectionId).toBe(e.o_t_connection_id);
    expect(x.toConnectionId).toBe(e.t_o_connection_id);
    expect(x.otApiUs).toBe(e.o_t_api_us);
    expect(x.toApiUs).toBe(e.t_o_api_us);
    expect(x.applicationReply.length).toBe(e.application_reply_words * 2);
    expect(toHex(x.applicationReply)).toBe(e.application_reply);
  }
  if (e.connection_serial !== undefined) {
    expect(x.connectionSerial).toBe(e.connection_serial);
    expect(x.originatorVendor).toBe(e.originator_vendor);
    expect(x.originatorSerial).toBe(e.originator_serial);
  }
  if (e.service === 0xd4 && e.general_status !== 0) {
    expect(a.kind).toBe("forwardOpenFailure");
    expect(x.remainingPathWords).toBe(e.remaining_path_words);
  }
}

describe("request vectors", () => {
  it("finds the CIP payloads of every frame that has one", () => {
    expect(requests.length).toBeGreaterThanOrEqual(30);
    expect(replies.length).toBeGreaterThanOrEqual(35);
  });

  describe.each(requests.map((p) => [p.label, p] as const))("%s", (_label, p) => {
    it("decodes to the vector's fields", () => {
      expectRequest(decodeRequestBytes(p.bytes), p.expected);
    });

    it(
      NON_MINIMAL_EPATH.has(p.vector.name)
        ? "re-encodes with minimal EPATH segments (the source used wider ones)"
        : "re-encodes to the same bytes",
      () => {
        const x = decodeRequestBytes(p.bytes);
        const bytes = encodeRequestBytes(x);
        expect(bytes.length).toBe(sizeOfRequest(x));
        if (NON_MINIMAL_EPATH.has(p.vector.name)) {
          expect(toHex(bytes)).not.toBe(toHex(p.bytes));
          expect(bytes.length).toBeLessThan(p.bytes.length);
        } else expect(toHex(bytes)).toBe(toHex(p.bytes));
      },
    );

    it("round-trips decode(encode(x))", () => {
      const x = decodeRequestBytes(p.bytes);
      expect(decodeRequestBytes(encodeRequestBytes(x))).toEqual(x);
    });
  });
});

describe("reply vectors", () => {
  describe.each(replies.map((p) => [p.label, p] as const))("%s", (_label, p) => {
    const requestName = REQUEST_OF[p.vector.name];
    const hint: ReplyHint | undefined = requestName ? { request: requestOf(requestName) } : undefined;

    it("decodes to the vector's fields with the request as hint (when known)", () => {
      expectReply(decodeReplyBytes(p.bytes, hint), p.expected);
    });

    it("decodes to the vector's fields without a hint", () => {
      const a = decodeReplyBytes(p.bytes);
      expectReply(a, p.expected);
      if (AMBIGUOUS_WITHOUT_HINT.has(p.vector.name)) expect(a.kind).toBe("generic");
    });

    it("re-encodes to the same bytes and round-trips", () => {
      for (const x of [decodeReplyBytes(p.bytes, hint), decodeReplyBytes(p.bytes)]) {
        const bytes = encodeReplyBytes(x);
        expect(bytes.length).toBe(sizeOfReply(x));
        expect(toHex(bytes)).toBe(toHex(p.bytes));
        expect(decodeReplyBytes(bytes, hint)).toEqual(decodeReplyBytes(p.bytes, hint));
      }
    });
  });

  it("reads the ambiguous 0xD2 of unc_snd_bad as each service its note names, given the request", () => {
    const bytes = fromHex("d2000800");
    expect(
      decodeReplyBytes(bytes, { requestService: 0x52, requestPath: [{ class: 6 }, { instance: 1 }] }),
    ).toEqual({
      kind: "unconnectedSend",
      service: 0xd2,
      generalStatus: 8,
      extStatus: [],
    });
    expect(
      decodeReplyBytes(bytes, { requestService: 0x52, requestPath: [{ symbolic: "SCADA" }] }),
    ).toMatchObject({
      kind: "readTagFragmented",
      generalStatus: 8,
    });
  });

  it("reads the bare Read Tag Fragmented of rfg_gg1_req as a direct request, not an Unconnected Send", () => {
    const [p] = cpfPayloads(byName.get("rfg_gg1_req") as Vector);
    expect(decodeRequestBytes((p as Payload).bytes)).toMatchObject({
      kind: "readTagFragmented",
      path: [{ symbolic: "GasGuardSensorDATAARRAY" }],
      elements: 360,
      offset: 0,
    });
  });
});

describe("generic message codecs", () => {
  it("keep service data as bytes, both ways", () => {
    const req = { service: 0x4b, path: [{ class: 0x35d }, { instance: 8 }], data: fromHex("0102") };
    const w = new Writer(sizeOfMessageRequest(req));
    encodeMessageRequest(w, req);
    expect(toHex(w.finish())).toBe("4b0321005d0324080102");
    expect(decodeMessageRequest(new Reader(w.finish()))).toEqual(req);

    const reply = { service: 0xcc, generalStatus: 0xff, extStatus: [0x2105], data: new Uint8Array(0) };
    const rw = new Writer(sizeOfMessageReply(reply));
    encodeMessageReply(rw, reply);
    expect(toHex(rw.finish())).toBe("cc00ff010521");
    expect(decodeMessageReply(new Reader(rw.finish()))).toEqual(reply);
  });

  it("reject a reply bit in a request and its absence in a reply", () => {
    expect(() => decodeRequestBytes(fromHex("cc00"))).toThrow(CipDecodeError);
    expect(() => decodeReplyBytes(fromHex("4c000000"))).toThrow(CipDecodeError);
  });

  it("reject extended status words that run past the end", () => {
    expect(() => decodeReplyBytes(fromHex("cc00ff020521"))).toThrow(/extStatus/);
  });
});

describe("typed dispatch", () => {
  it("reads 0x4E and 0x4C by target class", () => {
    expect(decodeRequestBytes(fromHex("4e0220062401" + "07f901004d000f7f3d1e0300010020022401")).kind).toBe(
      "forwardClose",
    );
    expect(decodeRequestBytes(fromHex("4e0291014100010001fe"))).toEqual({
      kind: "readModifyWriteTag",
      service: 0x4e,
      path: [{ symbolic: "A" }],
      orMask: fromHex("01"),
      andMask: fromHex("fe"),
    });
    expect(decodeRequestBytes(fromHex("4c03206c25000100" + "00000000f401"))).toEqual({
      kind: "readTemplate",
      service: 0x4c,
      path: [{ class: 0x6c }, { instance: 1 }],
      offset: 0,
      bytes: 500,
    });
    expect(decodeRequestBytes(fromHex("4c0220062401")).kind).toBe("generic");
    expect(() => decodeRequestBytes(fromHex("4e0220062401"))).toThrow(CipDecodeError);
  });

  it("keeps a service it does not know as generic, data intact", () => {
    const x = decodeRequestBytes(fromHex("4b0321005d0324080102"));
    expect(x).toEqual({
      kind: "generic",
      service: 0x4b,
      path: [{ class: 0x35d }, { instance: 8 }],
      data: fromHex("0102"),
    });
  });

  it("takes a Get Attributes All that carries data as generic, so it still round-trips", () => {
    const bytes = fromHex("0102200124010a0b");
    const x = decodeRequestBytes(bytes);
    expect(x.kind).toBe("generic");
    expect(toHex(encodeRequestBytes(x))).toBe(toHex(bytes));
  });

  it("rejects bytes left after a fixed-size body, naming the field", () => {
    const e = (() => {
      try {
        decodeRequestBytes(fromHex("4c029101410001007f"));
      } catch (err) {
        return err as CipDecodeError;
      }
      throw new Error("no error");
    })();
    expect(e).toBeInstanceOf(CipDecodeError);
    expect(e.failure).toBe("invalid");
    expect(e.path).toEqual(["data"]);
  });

  it("limits the nesting of Unconnected Send", () => {
    let req: CipRequest = { kind: "readTag", service: 0x4c, path: [{ symbolic: "A" }], elements: 1 };
    for (let i = 0; i < 5; i++)
      req = {
        kind: "unconnectedSend",
        service: 0x52,
        path: [{ class: 6 }, { instance: 1 }],
        priorityTimeTick: 5,
        timeoutTicks: 157,
        message: req,
        routePath: [{ port: 1, link: 0 }],
      };
    const bytes = encodeRequestBytes(req);
    expect(() => decodeRequestBytes(bytes)).toThrow(/limit/);
    expect(decodeRequestBytes(bytes, { limits: { maxDepth: 6 } })).toEqual(req);
  });

  it("ignores a hint that names another service", () => {
    const x = decodeReplyBytes(fromHex("cc000000c3000100"), {
      requestService: 0x0e,
      requestPath: [{ class: 1 }],
    });
    expect(x).toMatchObject({ kind: "readTag", type: 0xc3, data: fromHex("0100") });
  });

  it("decodes 0xCC from a Template instance as Read Template data", () => {
    const x = decodeReplyBytes(fromHex("cc0006000102030405"), {
      requestService: 0x4c,
      requestPath: [{ class: 0x6c }, { instance: 0x8df9 }],
    });
    expect(x).toEqual({
      kind: "readTemplate",
      service: 0xcc,
      generalStatus: 6,
      extStatus: [],
      data: fromHex("0102030405"),
    });
  });

  it("refuses to encode a path longer than 255 words", () => {
    const path = Array.from({ length: 128 }, () => ({ class: 0x100 }));
    expect(() => encodeRequestBytes({ kind: "getAttributesAll", service: 0x01, path })).toThrow(
      CipEncodeError,
    );
  });
});

describe("hostile input", () => {
  it("random bytes decode to a request or a CipDecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        try {
          decodeRequest(new Reader(bytes));
        } catch (err) {
          if (!(err instanceof CipDecodeError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("random bytes after a request header decode or fail with CipDecodeError, for every interesting service and class", () => {
    const heads = [
      "4c0391014100",
      "520220062401",
      "540220062401",
      "5b0220062401",
      "4e0220062401",
      "0a0220022401",
      "5503206b25000100",
      "4c0420ac2401",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 80 }), (head, tail) => {
        const bytes = new Uint8Array([...fromHex(head), ...tail]);
        try {
          // One encode normalizes (minimal segments, packed MSP offsets); from then on it is a fixed point.
          const x = decodeRequestBytes(encodeRequestBytes(decodeRequestBytes(bytes)));
          expect(decodeRequestBytes(encodeRequestBytes(x))).toEqual(x);
        } catch (err) {
          if (!(err instanceof CipDecodeError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("random bytes decode to a reply or a CipDecodeError, with or without hints", () => {
    const hints: (ReplyHint | undefined)[] = [
      undefined,
      { requestService: 0x52, requestPath: [{ class: 6 }, { instance: 1 }] },
      { requestService: 0x4e, requestPath: [{ class: 6 }, { instance: 1 }] },
      {
        request: {
          kind: "getInstanceAttributeList",
          service: 0x55,
          path: [{ class: 0x6b }],
          attributes: [1, 2, 8],
        },
      },
      { requestService: 0x03, requestPath: [{ class: 1 }] },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(0x83, 0x84, 0x8a, 0xcc, 0xcd, 0xce, 0xd2, 0xd3, 0xd4, 0xd5, 0xdb, 0x81),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat({ max: hints.length - 1 }),
        (service, tail, h) => {
          const bytes = new Uint8Array([service, ...tail]);
          try {
            const x = decodeReply(new Reader(bytes), hints[h], { attributeSize: () => 2 });
            decodeReplyBytes(encodeReplyBytes(x), hints[h], { attributeSize: () => 2 });
          } catch (err) {
            if (!(err instanceof CipDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
