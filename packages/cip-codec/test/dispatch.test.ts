import type { RequestCodec } from "../src/bodies/codec.js";
import type { EPath } from "../src/cip/epath.js";
import { CONNECTION_MANAGER_CLASS, LogixService, SYMBOL_CLASS } from "../src/cip/services.js";
import { fromHex } from "../src/core/hex.js";
import {
  type CipReply,
  type CipRequest,
  decodeReplyBytes,
  decodeRequestBytes,
  REPLY_CODECS,
  REQUEST_CODECS,
  type ReplyCodecTable,
  type RequestCodecTable,
} from "../src/message/message.js";
import { TEMPLATE_CLASS } from "../src/types/template.js";

/** A request kind the codec has no codec for, as adding a service to the `CipRequest` union would bring. */
interface NewServiceRequest {
  kind: "newService";
  service: 0x7e;
  path: EPath;
}

/** A reply kind the codec has no codec for. */
interface NewServiceReply {
  kind: "newService";
  service: 0xfe;
  generalStatus: number;
  extStatus: number[];
}

const newServiceRequestCodec: RequestCodec<NewServiceRequest> = {
  kind: "newService",
  decode: (_r, _service, path) => ({ kind: "newService", service: 0x7e, path }),
  sizeOf: () => 0,
  encode: () => {},
};

// Type-level tests, checked by `tsc --noEmit -p packages/cip-codec`: each table must hold a codec for every
// kind of its union, so a new union member without a codec is a compile error.
REQUEST_CODECS satisfies RequestCodecTable<CipRequest>;
REPLY_CODECS satisfies ReplyCodecTable<CipReply, CipRequest>;
// With a codec for the new kind the table compiles…
const requestsWithNewCodec: RequestCodecTable<CipRequest | NewServiceRequest> = {
  ...REQUEST_CODECS,
  newService: newServiceRequestCodec,
};
// …and without one it does not.
// @ts-expect-error Property 'newService' is missing: a request kind without a codec does not compile.
const requestsWithoutNewCodec: RequestCodecTable<CipRequest | NewServiceRequest> = { ...REQUEST_CODECS };
// @ts-expect-error Property 'newService' is missing: a reply kind without a codec does not compile.
const repliesWithoutNewCodec: ReplyCodecTable<CipReply | NewServiceReply, CipRequest> = { ...REPLY_CODECS };

describe("the codec tables", () => {
  it("file every codec under its own kind", () => {
    for (const [kind, codec] of Object.entries(REQUEST_CODECS)) expect(codec.kind).toBe(kind);
    for (const [kind, codec] of Object.entries(REPLY_CODECS)) expect(codec.kind).toBe(kind);
    expect(requestsWithNewCodec.newService.kind).toBe("newService");
    expect(Object.keys(requestsWithoutNewCodec)).not.toContain("newService");
    expect(Object.keys(repliesWithoutNewCodec)).not.toContain("newService");
  });
});

// Read Tag skips the table lookup on the hot path; these pin that it resolves 0x4C as the resolver does.
describe("Read Tag (0x4C) resolution", () => {
  const readTag = LogixService.codes.readTag;
  const dintReply = fromHex("cc 00 00 00 c400 2a000000");

  it.each<[string, EPath | undefined, CipReply["kind"]]>([
    ["no hint", undefined, "readTag"],
    ["a symbolic path", [{ symbolic: "SCADA" }], "readTag"],
    ["the Symbol class", [{ class: SYMBOL_CLASS }, { instance: 1 }], "readTag"],
    ["the Template class", [{ class: TEMPLATE_CLASS }, { instance: 1 }], "readTemplate"],
    ["the Connection Manager", [{ class: CONNECTION_MANAGER_CLASS }, { instance: 1 }], "generic"],
    ["the Identity class", [{ class: 1 }, { instance: 1 }], "generic"],
  ])("a reply hinted with %s is %s", (_label, requestPath, kind) => {
    const hint = requestPath ? { requestService: readTag, requestPath } : undefined;
    expect(decodeReplyBytes(dintReply, hint).kind).toBe(kind);
  });

  it.each<[string, string, CipRequest["kind"]]>([
    ["a symbolic path", "4c 04 9105 5343414441 00 0100", "readTag"],
    ["the Template class", "4c 02 206c 2401 00000000 f401", "readTemplate"],
    ["the Connection Manager", "4c 02 2006 2401 0100", "generic"],
    ["the Identity class", "4c 02 2001 2401 0100", "generic"],
  ])("a request to %s (%s) is %s", (_label, hex, kind) => {
    expect(decodeRequestBytes(fromHex(hex)).kind).toBe(kind);
  });
});

describe("request resolution by service and class", () => {
  it.each<[string, string, CipRequest["kind"]]>([
    ["Get Attributes All to the Identity object", "01 02 2001 2401", "getAttributesAll"],
    ["Get Attributes All with a body", "01 02 2001 2401 00", "generic"],
    ["Get Attribute Single to the Connection Manager", "0e 03 2006 2401 3001", "getAttributeSingle"],
    ["Get Attribute Single with a body", "0e 03 2001 2401 3001 00", "generic"],
    [
      "0x52 to the Connection Manager",
      "52 02 2006 2401 05 9d 0800 4c02 2002 2401 0100 01 00 0100",
      "unconnectedSend",
    ],
    ["0x52 to a tag", "52 04 9105 5343414441 00 0100 00000000", "readTagFragmented"],
    [
      "0x4E to the Connection Manager",
      "4e 02 2006 2401 05 9d 0100 0200 03000000 03 00 0100 2002 2401",
      "forwardClose",
    ],
    ["0x4D to the Template class", "4d 02 206c 2401 c400 0100 00000000", "generic"],
    ["an unknown service", "7e 02 2001 2401 0102", "generic"],
  ])("%s (%s) is %s", (_label, hex, kind) => {
    expect(decodeRequestBytes(fromHex(hex)).kind).toBe(kind);
  });
});
