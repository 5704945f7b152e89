/**
 * Wireshark as the wire oracle (issue 3): one frame of every kind the codec encodes, requests and
 * replies, good and error statuses, written into one pcap as a client/server conversation and read back
 * by `tshark -r`. Wireshark must flag nothing (no malformed packet, no expert error), dissect every frame
 * as ENIP, and name the CIP services, which proves it decoded CIP and not only the encapsulation.
 */
import { writeFileSync } from "node:fs";
import {
  describeWithTshark,
  PcapWriter,
  type TsharkVerdict,
  tsharkFields,
  tsharkVerdict,
} from "@cpppo/pcap-kit";
import {
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  setAttributeSingleRequest,
} from "../src/bodies/attributes.js";
import {
  type ForwardOpenReply,
  type ForwardOpenRequest,
  forwardCloseRequest,
  forwardOpenRequest,
  unconnectedSend,
} from "../src/bodies/connection-manager.js";
import {
  getInstanceAttributeListRequest,
  readModifyWriteTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  readTemplateRequest,
  SymbolAttributeId,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "../src/bodies/logix.js";
import { multipleServicePacket, multipleServiceReply } from "../src/bodies/msp.js";
import {
  encodeIdentityBytes,
  encodeTcpIpInterfaceBytes,
  IDENTITY_CLASS,
  TCPIP_CLASS,
} from "../src/bodies/objects.js";
import type { EPath } from "../src/cip/epath.js";
import { fromHex, toHex } from "../src/core/hex.js";
import { Writer } from "../src/core/writer.js";
import type { CpfItem } from "../src/encapsulation/cpf.js";
import { type EncapsulationFrameInit, encodeEncapsulation } from "../src/encapsulation/encapsulation.js";
import { encodeSendRRData, encodeSendUnitData } from "../src/frame/frame.js";
import { type CipReply, type CipRequest, encodeReplyBytes } from "../src/message/message.js";
import {
  encodeTemplateAttributes,
  encodeTemplateDefinition,
  type StructTemplate,
  sizeOfTemplateAttributes,
  sizeOfTemplateDefinition,
  TEMPLATE_CLASS,
  type TemplateAttributes,
} from "../src/types/template.js";
import { CipTypeCode } from "../src/types/types.js";

const SESSION = 0x1a2b3c4d;
const VENDOR = 0x1337;
const ORIGINATOR_SERIAL = 0xc0ffee01;
/** Backplane port 1, slot 0: the route path of every Unconnected Send here. */
const SLOT_0: EPath = [{ port: 1, link: 0 }];
const IDENTITY: EPath = [{ class: IDENTITY_CLASS }, { instance: 1 }];
const TCPIP: EPath = [{ class: TCPIP_CLASS }, { instance: 1 }];
const TEMPLATE_INSTANCE = 0x0123;

/** One frame written to the capture, as tshark must then read it. */
interface Written {
  label: string;
  /** What tshark's Info column must match, when checked: Wireshark 4.0's texts (Debian 12), or later names of Logix services. */
  info?: RegExp;
  /** Index in `Conversation.written` of the CIP request this reply answers (tshark pairs only CIP exchanges). */
  answers?: number;
  /** Index in `Conversation.written` of the Forward Open request that created this connected frame's connection. */
  forwardOpen?: number;
}

/** An established class 3 connection: the ids each side sends with, and the Forward Open that made it. */
interface Connection {
  /** O→T id (chosen by the target), which the client's frames carry. */
  ot: number;
  /** T→O id (chosen by the client), which the server's frames carry. */
  to: number;
  /** Index in `Conversation.written` of the Forward Open request. */
  forwardOpen: number;
}

/** Info column patterns of a request and of its reply. */
type InfoPair = [RegExp?, RegExp?];

const ok = { generalStatus: 0x00, extStatus: [] as number[] };
const NO_DATA: Uint8Array = new Uint8Array(0);

function u32le(value: number): Uint8Array {
  return new Writer(4).u32(value).finish();
}

/**
 * A client/server conversation on port 44818: the pcap, and each frame written with what tshark must say
 * of it. Every request gets a fresh sender context (tshark pairs replies to requests by it), and every
 * connected exchange the next class 3 sequence count.
 */
class Conversation {
  readonly pcap = new PcapWriter();
  readonly written: Written[] = [];
  private contexts = 0;
  private sequence = 0;

  /** A distinct 8-byte sender context: "wsk", a zero, then a little-endian counter. */
  nextContext(): Uint8Array {
    const c = new Uint8Array(8);
    c.set([0x77, 0x73, 0x6b], 0);
    new DataView(c.buffer).setUint32(4, ++this.contexts, true);
    return c;
  }

  /** Writes ENIP bytes on TCP (client → server when `toServer`); returns the frame's index in `written`. */
  tcp(bytes: Uint8Array, toServer: boolean, frame: Written): number {
    if (toServer) this.pcap.request(bytes);
    else this.pcap.reply(bytes);
    return this.written.push(frame) - 1;
  }

  /** Writes ENIP bytes as a UDP datagram (client → server when `toServer`); returns the frame's index. */
  udp(bytes: Uint8Array, toServer: boolean, frame: Written): number {
    this.pcap.udp(bytes, toServer);
    return this.written.push(frame) - 1;
  }

  /** An encapsulation request and (unless undefined) its reply, sharing a fresh sender context. */
  encapsulation(
    label: string,
    request: EncapsulationFrameInit,
    reply: EncapsulationFrameInit | undefined,
    info: InfoPair = [],
  ): void {
    const senderContext = this.nextContext();
    const withContext = (f: EncapsulationFrameInit): EncapsulationFrameInit => ({
      header: { session: SESSION, ...f.header, senderContext },
      body: f.body,
    });
    this.tcp(encodeEncapsulation(withContext(request)), true, { label: `${label} (request)`, info: info[0] });
    if (reply)
      this.tcp(encodeEncapsulation(withContext(reply)), false, { label: `${label} (reply)`, info: info[1] });
  }

  /** A SendRRData request carrying `request` and the SendRRData reply carrying `reply`; returns the request's index. */
  unconnected(label: string, request: CipRequest, reply: CipReply, info: InfoPair = []): number {
    const senderContext = this.nextContext();
    const at = this.tcp(
      encodeSendRRData({ session: SESSION, senderContext, timeout: 5, message: request }),
      true,
      { label: `${label} (request)`, info: info[0] },
    );
    this.tcp(encodeSendRRData({ session: SESSION, senderContext, message: reply }), false, {
      label: `${label} (reply)`,
      info: info[1],
      answers: at,
    });
    return at;
  }

  /** A SendUnitData request on `c` and its reply, with the next sequence count. */
  connected(label: string, c: Connection, request: CipRequest, reply: CipReply, info: InfoPair = []): void {
    const sequence = ++this.sequence;
    const forwardOpen = c.forwardOpen;
    const at = this.tcp(
      encodeSendUnitData({ session: SESSION, connectionId: c.ot, sequence, message: request }),
      true,
      { label: `${label} (request)`, info: info[0], forwardOpen },
    );
    this.tcp(encodeSendUnitData({ session: SESSION, connectionId: c.to, sequence, message: reply }), false, {
      label: `${label} (reply)`,
      info: info[1],
      answers: at,
      forwardOpen,
    });
  }
}

const identity = {
  vendorId: 1,
  deviceType: 14,
  productCode: 54,
  revision: { major: 20, minor: 11 },
  status: 0x3160,
  serialNumber: 0x006c061a,
  productName: "1756-L61/B LOGIX5561",
  state: 3,
  configurationConsistencyValue: 0x4d2e,
  heartbeatInterval: 0,
};

/** The product name attribute (@1/1/7) as a SHORT_STRING. */
const PRODUCT_NAME = fromHex("14 313735362d4c36312f42204c4f47495835353631");

const listIdentityItem: CpfItem = {
  kind: "listIdentity",
  protocolVersion: 1,
  socketAddress: { family: 2, port: 44818, address: "10.0.0.2" },
  vendorId: identity.vendorId,
  deviceType: identity.deviceType,
  productCode: identity.productCode,
  revisionMajor: identity.revision.major,
  revisionMinor: identity.revision.minor,
  status: identity.status,
  serialNumber: identity.serialNumber,
  productName: identity.productName,
  state: identity.state,
};

/** A UDT `Motor` (8 bytes): DINT Speed at 0, and BOOL Running in bit 0 of a hidden host SINT at 4. */
const motor: StructTemplate = {
  name: "Motor",
  handle: 0x5e1f,
  size: 8,
  members: [
    { name: "ZZZZZZZZZZMotor2", type: CipTypeCode.codes.SINT, offset: 4, hidden: true },
    { name: "Speed", type: CipTypeCode.codes.DINT, offset: 0, hidden: false },
    { name: "Running", type: CipTypeCode.codes.BOOL, offset: 4, bit: 0, hidden: false },
  ],
};

/** Read Template data of `motor`. */
function templateDefinitionBytes(): Uint8Array {
  const w = new Writer(sizeOfTemplateDefinition(motor));
  encodeTemplateDefinition(w, motor);
  return w.finish();
}

/** Template attribute 4, the definition size in 32-bit words: Read Template then asks for words × 4 − 23 bytes (1756-PM020). */
const DEFINITION_WORDS = Math.ceil((sizeOfTemplateDefinition(motor) + 23) / 4);

/** Get Attribute List reply data of `motor`'s template attributes 1, 2, 4 and 5. */
function templateAttributeBytes(): Uint8Array {
  const a: TemplateAttributes = {
    structureHandle: motor.handle,
    memberCount: motor.members.length,
    definitionWords: DEFINITION_WORDS,
    structureSize: motor.size,
    failed: [],
  };
  const w = new Writer(sizeOfTemplateAttributes(a));
  encodeTemplateAttributes(w, a);
  return w.finish();
}

/** A successful Read Tag reply of one DINT. */
const dint = (value: number): CipReply => ({
  kind: "readTag",
  service: 0xcc,
  ...ok,
  type: CipTypeCode.codes.DINT,
  data: u32le(value),
});
/** A Write Tag reply with `generalStatus` (and extended status words). */
const writeTagReply = (generalStatus: number, extStatus: number[] = []): CipReply => ({
  kind: "writeTag",
  service: 0xcd,
  generalStatus,
  extStatus,
});
/** A reply to `service` decoded no further than its status: the data stays bytes. */
const genericReply = (
  service: number,
  generalStatus: number,
  data: Uint8Array = NO_DATA,
  extStatus: number[] = [],
): CipReply => ({
  kind: "generic",
  service: service | 0x80,
  generalStatus,
  extStatus,
  data,
});

/** Encapsulation commands over TCP and UDP, with good and error statuses. */
function encapsulationCommands(c: Conversation): void {
  const register = { command: "registerSession", protocolVersion: 1, optionFlags: 0 } as const;
  c.encapsulation("RegisterSession", { header: { session: 0 }, body: register }, { body: register }, [
    /Register Session \(Req\)/,
    /Register Session \(Rsp\), Session: 0x1A2B3C4D/,
  ]);
  c.encapsulation(
    "RegisterSession, unsupported protocol revision 0x0069",
    { header: { session: 0 }, body: { ...register, protocolVersion: 2 } },
    { header: { session: 0, status: 0x0069 }, body: register },
  );
  c.encapsulation("NOP (no reply)", { body: { command: "nop", data: fromHex("00000000") } }, undefined, [
    /NOP/,
  ]);
  c.encapsulation(
    "ListIdentity",
    { header: { session: 0 }, body: { command: "listIdentity" } },
    { header: { session: 0 }, body: { command: "listIdentity", cpf: [listIdentityItem] } },
    [/List Identity \(Req\)/, /List Identity \(Rsp\), 1756-L61\/B LOGIX5561/],
  );
  c.encapsulation(
    "ListServices",
    { header: { session: 0 }, body: { command: "listServices" } },
    {
      header: { session: 0 },
      body: {
        command: "listServices",
        cpf: [{ kind: "listServices", version: 1, capabilityFlags: 0x0120, name: "Communications" }],
      },
    },
    [/List Services \(Req\)/, /List Services \(Rsp\), Communications/],
  );
  c.encapsulation(
    "ListInterfaces",
    { header: { session: 0 }, body: { command: "listInterfaces" } },
    { header: { session: 0 }, body: { command: "listInterfaces", cpf: [] } },
    [/List Interfaces \(Req\)/, /List Interfaces \(Rsp\)/],
  );
  c.encapsulation(
    "unsupported command, status 0x0001 invalid command",
    { header: { command: 0x0099 }, body: { command: "raw", data: NO_DATA } },
    { header: { command: 0x0099, status: 0x0001 }, body: { command: "raw", data: NO_DATA } },
  );
  c.encapsulation(
    "SendRRData on an unknown session, status 0x0064 invalid session handle",
    {
      header: { session: 0x0badcafe },
      body: {
        command: "sendRRData",
        interfaceHandle: 0,
        timeout: 5,
        cpf: [{ kind: "nullAddress" }, { kind: "unconnectedData", data: fromHex("010220012401") }],
      },
    },
    {
      header: { command: 0x006f, session: 0x0badcafe, status: 0x0064 },
      body: { command: "raw", data: NO_DATA },
    },
  );
  c.encapsulation(
    "RegisterSession with 6 bytes of data, status 0x0065 invalid length",
    { header: { command: 0x0065, session: 0 }, body: { command: "raw", data: fromHex("010000000000") } },
    { header: { command: 0x0065, session: 0, status: 0x0065 }, body: { command: "raw", data: NO_DATA } },
  );
  // ListIdentity is mostly broadcast over UDP.
  const senderContext = c.nextContext();
  c.udp(encodeEncapsulation({ header: { senderContext }, body: { command: "listIdentity" } }), true, {
    label: "ListIdentity over UDP (request)",
    info: /List Identity \(Req\)/,
  });
  c.udp(
    encodeEncapsulation({
      header: { senderContext },
      body: { command: "listIdentity", cpf: [listIdentityItem] },
    }),
    false,
    { label: "ListIdentity over UDP (reply)", info: /List Identity \(Rsp\)/ },
  );
}

/** SendRRData: the attribute services and their error statuses. */
function attributeServices(c: Conversation): void {
  c.unconnected(
    "Get Attributes All, Identity @1/1",
    getAttributesAllRequest(IDENTITY),
    genericReply(0x01, 0x00, encodeIdentityBytes(identity)),
    [/Identity - Get Attributes All/, /Success: Identity - Get Attributes All/],
  );
  c.unconnected(
    "Get Attributes All, TCP/IP Interface @F5/1",
    getAttributesAllRequest(TCPIP),
    genericReply(
      0x01,
      0x00,
      encodeTcpIpInterfaceBytes({
        status: 1,
        configurationCapability: 0x14,
        configurationControl: 0,
        physicalLinkPath: [{ class: 0xf6 }, { instance: 1 }],
        interfaceConfiguration: {
          ipAddress: "10.0.0.2",
          networkMask: "255.255.255.0",
          gatewayAddress: "10.0.0.254",
          nameServer: "10.0.0.53",
          nameServer2: "0.0.0.0",
          domainName: "plant.example",
        },
        hostName: "plc1",
      }),
    ),
    [/TCP\/IP Interface - Get Attributes All/, /Success: TCP\/IP Interface - Get Attributes All/],
  );
  c.unconnected(
    "Get Attribute Single, Identity product name @1/1/7",
    getAttributeSingleRequest([...IDENTITY, { attribute: 7 }]),
    genericReply(0x0e, 0x00, PRODUCT_NAME),
    [/Identity - Get Attribute Single/, /Success: Identity - Get Attribute Single/],
  );
  c.unconnected(
    "Get Attribute Single, 0x04 path segment error",
    getAttributeSingleRequest([...IDENTITY, { attribute: 0x99 }]),
    genericReply(0x0e, 0x04),
    [undefined, /Path segment error/],
  );
  c.unconnected(
    "Get Attribute Single, 0x05 path destination unknown",
    getAttributeSingleRequest([{ class: 0x99 }, { instance: 1 }, { attribute: 1 }]),
    genericReply(0x0e, 0x05),
    [undefined, /Path destination unknown/],
  );
  c.unconnected(
    "Set Attribute Single, TCP/IP configuration control @F5/1/3",
    setAttributeSingleRequest([...TCPIP, { attribute: 3 }], u32le(0)),
    genericReply(0x10, 0x00),
    [/TCP\/IP Interface - Set Attribute Single/, /Success: TCP\/IP Interface - Set Attribute Single/],
  );
  c.unconnected(
    "Set Attribute Single, 0x0E attribute not settable",
    setAttributeSingleRequest([...IDENTITY, { attribute: 1 }], fromHex("0100")),
    genericReply(0x10, 0x0e),
    [undefined, /Attribute not settable/],
  );
  c.unconnected(
    "Get Attribute List, Identity @1/1 attributes 1, 7 and an unsupported one (0x0A)",
    getAttributeListRequest(IDENTITY, [1, 7, 0x99]),
    {
      kind: "getAttributeList",
      service: 0x83,
      generalStatus: 0x0a,
      extStatus: [],
      attributes: [
        { id: 1, status: 0, value: fromHex("0100") },
        { id: 7, status: 0, value: PRODUCT_NAME },
        { id: 0x99, status: 0x14 },
      ],
    },
    [/Identity - Get Attribute List/, /Attribute list error: Identity - Get Attribute List/],
  );
  c.unconnected(
    "Set Attribute List, TCP/IP @F5/1 attributes 3 and 6 (0x0A)",
    {
      kind: "setAttributeList",
      service: 0x04,
      path: TCPIP,
      attributes: [
        { id: 3, value: u32le(0) },
        { id: 6, value: fromHex("0400 706c6332") },
      ],
    },
    {
      kind: "setAttributeList",
      service: 0x84,
      generalStatus: 0x0a,
      extStatus: [],
      attributes: [
        { id: 3, status: 0 },
        { id: 6, status: 0x0e },
      ],
    },
    [
      /TCP\/IP Interface - Set Attribute List/,
      /Attribute list error: TCP\/IP Interface - Set Attribute List/,
    ],
  );
  c.unconnected(
    "unknown service 0x4B on Identity, 0x08 service not supported",
    { kind: "generic", service: 0x4b, path: IDENTITY, data: NO_DATA },
    genericReply(0x4b, 0x08),
    [undefined, /Service not supported/],
  );
}

const COUNTER: EPath = [{ symbolic: "Counter" }];
const BIG: EPath = [{ symbolic: "Big" }, { element: 0 }];

/** The Multiple Service Packet of `logixServices`, and its reply with mixed statuses (so 0x1E). */
function multipleServices(): [CipRequest, CipReply] {
  return [
    multipleServicePacket<CipRequest>([
      readTagRequest(COUNTER),
      readTagRequest([{ symbolic: "Missing" }]),
      getAttributeSingleRequest([...IDENTITY, { attribute: 7 }]),
      writeTagRequest([{ symbolic: "Setpoint" }], { type: CipTypeCode.codes.DINT }, 1, u32le(7)),
    ]),
    multipleServiceReply<CipReply>([
      dint(42),
      { kind: "readTag", service: 0xcc, generalStatus: 0x05, extStatus: [0x0000], data: NO_DATA },
      genericReply(0x0e, 0x00, PRODUCT_NAME),
      writeTagReply(0xff, [0x2107]),
    ]),
  ];
}

/** SendRRData: Logix tag, symbol and template services, and a Multiple Service Packet. */
function logixServices(c: Conversation): void {
  // Wireshark 4.0 names Logix services by code ("Service (0x4c)"); later versions by name.
  c.unconnected("Read Tag", readTagRequest(COUNTER), dint(42), [
    /'Counter' - (Read Tag|Service \(0x4c\))/,
    /Success: 'Counter' - (Read Tag|Service \(0x4c\))/,
  ]);
  c.unconnected(
    "Read Tag, 0x04 path segment error",
    readTagRequest([{ symbolic: "NoSuchTag" }]),
    { kind: "readTag", service: 0xcc, generalStatus: 0x04, extStatus: [0x0000], data: NO_DATA },
    [undefined, /Path segment error: 'NoSuchTag'/],
  );
  const partial = new Uint8Array(16).fill(7);
  c.unconnected(
    "Read Tag Fragmented, 0x06 partial transfer",
    readTagFragmentedRequest(BIG, 8, 0),
    {
      kind: "readTagFragmented",
      service: 0xd2,
      generalStatus: 0x06,
      extStatus: [],
      type: CipTypeCode.codes.DINT,
      data: partial,
    },
    [/'Big' - (Read Tag Fragmented|Service \(0x52\))/, /Partial transfer: 'Big'/],
  );
  c.unconnected("Read Tag Fragmented, last fragment 0x00", readTagFragmentedRequest(BIG, 8, 16), {
    kind: "readTagFragmented",
    service: 0xd2,
    ...ok,
    type: CipTypeCode.codes.DINT,
    data: new Uint8Array(16).fill(9),
  });
  c.unconnected(
    "Write Tag",
    writeTagRequest([{ symbolic: "Setpoint" }], { type: CipTypeCode.codes.REAL }, 1, fromHex("0000c842")),
    writeTagReply(0x00),
    [/'Setpoint' - (Write Tag|Service \(0x4d\))/, /Success: 'Setpoint'/],
  );
  c.unconnected(
    "Write Tag, 0xFF/0x2107 type mismatch",
    writeTagRequest([{ symbolic: "Setpoint" }], { type: CipTypeCode.codes.DINT }, 1, u32le(100)),
    writeTagReply(0xff, [0x2107]),
  );
  c.unconnected(
    "Write Tag of a structure (type 0x02A0 and its handle)",
    writeTagRequest(
      [{ symbolic: "Motor1" }],
      { type: CipTypeCode.codes.STRUCT, structureHandle: motor.handle },
      1,
      fromHex("e8030000 01000000"),
    ),
    writeTagReply(0x00),
  );
  c.unconnected(
    "Write Tag Fragmented",
    writeTagFragmentedRequest(BIG, { type: CipTypeCode.codes.DINT }, 8, 16, new Uint8Array(16).fill(3)),
    { kind: "writeTagFragmented", service: 0xd3, ...ok },
    [/'Big' - (Write Tag Fragmented|Service \(0x53\))/, /Success: 'Big'/],
  );
  c.unconnected(
    "Read Modify Write Tag",
    readModifyWriteTagRequest([{ symbolic: "Flags" }], fromHex("01000000"), fromHex("fffffffd")),
    { kind: "readModifyWriteTag", service: 0xce, ...ok },
    [/'Flags' - (Read Modify Write|Service \(0x4e\))/, /Success: 'Flags'/],
  );
  c.unconnected(
    "Get Instance Attribute List, Symbol @6B",
    getInstanceAttributeListRequest(0, [SymbolAttributeId.name, SymbolAttributeId.symbolType]),
    {
      kind: "getInstanceAttributeList",
      service: 0xd5,
      ...ok,
      instances: [
        {
          instance: 0x10,
          attributes: [
            { id: 1, value: "Counter" },
            { id: 2, value: CipTypeCode.codes.DINT },
          ],
        },
        {
          instance: 0x2a,
          attributes: [
            { id: 1, value: "Motor1" },
            { id: 2, value: 0x8000 | TEMPLATE_INSTANCE },
          ],
        },
      ],
    },
    [/(Symbol|Class \(0x6b\)) - (Get Instance Attribute List|Service \(0x55\))/, /Success/],
  );
  c.unconnected(
    "Get Attribute List, Template instance @6C attributes 1, 2, 4, 5",
    getAttributeListRequest([{ class: TEMPLATE_CLASS }, { instance: TEMPLATE_INSTANCE }], [1, 2, 4, 5]),
    genericReply(0x03, 0x00, templateAttributeBytes()),
    [/Get Attribute List/, /Success: .*Get Attribute List/],
  );
  c.unconnected(
    "Read Template @6C",
    readTemplateRequest(TEMPLATE_INSTANCE, DEFINITION_WORDS * 4 - 23, 0),
    { kind: "readTemplate", service: 0xcc, ...ok, data: templateDefinitionBytes() },
    [/(Template|Class \(0x6c\)) - /, /Success/],
  );
  const [msp, mspReply] = multipleServices();
  c.unconnected("Multiple Service Packet, mixed sub-replies, 0x1E", msp, mspReply, [
    /Message Router - Multiple Service Packet: .*Get Attribute Single/,
    /Embedded service error: Multiple Service Packet/,
  ]);
}

/** SendRRData: Unconnected Send along 1/0 of several services, and its own error reply. */
function unconnectedSends(c: Conversation): void {
  c.unconnected(
    "Unconnected Send of Get Attributes All",
    unconnectedSend<CipRequest>(getAttributesAllRequest(IDENTITY), SLOT_0),
    genericReply(0x01, 0x00, encodeIdentityBytes(identity)),
    [
      /Connection Manager - Unconnected Send: Identity - Get Attributes All/,
      /Success: Identity - Get Attributes All/,
    ],
  );
  c.unconnected(
    "Unconnected Send of Read Tag",
    unconnectedSend<CipRequest>(readTagRequest(COUNTER), SLOT_0),
    dint(42),
    [/Unconnected Send: 'Counter'/, /Success: 'Counter'/],
  );
  const [msp, mspReply] = multipleServices();
  c.unconnected(
    "Unconnected Send of a Multiple Service Packet",
    unconnectedSend<CipRequest>(msp, SLOT_0),
    mspReply,
    [
      /Unconnected Send: Message Router - Multiple Service Packet/,
      /Embedded service error: Multiple Service Packet/,
    ],
  );
  c.unconnected(
    "Unconnected Send of an odd-sized Write Tag (pad byte before the route path)",
    unconnectedSend<CipRequest>(
      writeTagRequest([{ symbolic: "Odd" }], { type: CipTypeCode.codes.SINT }, 1, fromHex("05")),
      SLOT_0,
    ),
    writeTagReply(0x00),
    [/Unconnected Send: 'Odd'/, /Success: 'Odd'/],
  );
  c.unconnected(
    "Unconnected Send error 0x01/0x0204 unconnected request timed out (not a routing error: no remaining path size)",
    unconnectedSend<CipRequest>(readTagRequest(COUNTER), [{ port: 1, link: 5 }]),
    { kind: "unconnectedSend", service: 0xd2, generalStatus: 0x01, extStatus: [0x0204] },
    [undefined, /Connection failure: Unconnected Send/],
  );
}

const SERIAL_1 = 0x4242;
const SERIAL_2 = 0x4243;

function opened(req: ForwardOpenRequest, ot: number, to: number): ForwardOpenReply {
  return {
    kind: "forwardOpen",
    service: req.service === 0x5b ? 0xdb : 0xd4,
    ...ok,
    otConnectionId: ot,
    toConnectionId: to,
    connectionSerial: req.connectionSerial,
    originatorVendor: req.originatorVendor,
    originatorSerial: req.originatorSerial,
    otApiUs: req.otRpiUs,
    toApiUs: req.toRpiUs,
    applicationReply: NO_DATA,
  };
}

/** Forward Open, connected traffic on it, Large Forward Open, a refused Forward Open, and Forward Closes. */
function connectionLife(c: Conversation): void {
  const triple = { originatorVendor: VENDOR, originatorSerial: ORIGINATOR_SERIAL };
  const open1 = forwardOpenRequest({ connectionSerial: SERIAL_1, ...triple, toConnectionId: 0x20000001 });
  const at1 = c.unconnected("Forward Open", open1, opened(open1, 0x10000001, 0x20000001), [
    /Connection Manager - Forward Open/,
    /Success: Connection Manager - Forward Open/,
  ]);
  const connection1: Connection = { ot: 0x10000001, to: 0x20000001, forwardOpen: at1 };
  c.connected("connected Read Tag", connection1, readTagRequest(COUNTER), dint(43), [
    /'Counter' - /,
    /Success: 'Counter' - /,
  ]);
  c.connected(
    "connected Write Tag, 0xFF/0x2107 type mismatch",
    connection1,
    writeTagRequest(COUNTER, { type: CipTypeCode.codes.INT }, 1, fromHex("0100")),
    writeTagReply(0xff, [0x2107]),
  );
  c.connected(
    "connected Get Attributes All",
    connection1,
    getAttributesAllRequest(IDENTITY),
    genericReply(0x01, 0x00, encodeIdentityBytes(identity)),
    [/Identity - Get Attributes All/, /Success: Identity - Get Attributes All/],
  );
  c.connected(
    "connected Multiple Service Packet",
    connection1,
    multipleServicePacket<CipRequest>([readTagRequest(COUNTER), readTagRequest([{ symbolic: "Other" }])]),
    multipleServiceReply<CipReply>([
      dint(43),
      { kind: "readTag", service: 0xcc, ...ok, type: CipTypeCode.codes.INT, data: fromHex("0700") },
    ]),
    [/Multiple Service Packet/, /Success: Multiple Service Packet/],
  );
  const open2 = forwardOpenRequest({
    connectionSerial: SERIAL_2,
    ...triple,
    toConnectionId: 0x20000002,
    size: 4002,
  });
  const at2 = c.unconnected("Large Forward Open", open2, opened(open2, 0x10000002, 0x20000002), [
    /Connection Manager - Large Forward Open/,
    /Success: Connection Manager - Large Forward Open/,
  ]);
  const connection2: Connection = { ot: 0x10000002, to: 0x20000002, forwardOpen: at2 };
  c.connected(
    "Read Tag Fragmented on the large connection, 0x06 with 3960 bytes",
    connection2,
    readTagFragmentedRequest([{ symbolic: "Big" }], 1000, 0),
    {
      kind: "readTagFragmented",
      service: 0xd2,
      generalStatus: 0x06,
      extStatus: [],
      type: CipTypeCode.codes.DINT,
      data: new Uint8Array(3960).fill(1),
    },
    [/'Big' - /, /Partial transfer: 'Big'/],
  );
  c.unconnected(
    "Forward Open refused, 0x01/0x0100 connection in use",
    open1,
    {
      kind: "forwardOpenFailure",
      service: 0xd4,
      generalStatus: 0x01,
      extStatus: [0x0100],
      connectionSerial: open1.connectionSerial,
      ...triple,
      remainingPathWords: 0,
    },
    [/Forward Open/, /Connection failure: Connection Manager - Forward Open/],
  );
  for (const [label, serial] of [
    ["Forward Close", SERIAL_1],
    ["Forward Close of the large connection", SERIAL_2],
  ] as const)
    c.unconnected(
      label,
      forwardCloseRequest({ connectionSerial: serial, ...triple }),
      {
        kind: "forwardClose",
        service: 0xce,
        ...ok,
        connectionSerial: serial,
        ...triple,
        applicationReply: NO_DATA,
      },
      [/Connection Manager - Forward Close/, /Success: Connection Manager - Forward Close/],
    );
  c.unconnected(
    "Forward Close of an unknown connection, 0x01/0x0107",
    forwardCloseRequest({ connectionSerial: 0x7777, ...triple }),
    {
      kind: "forwardCloseFailure",
      service: 0xce,
      generalStatus: 0x01,
      extStatus: [0x0107],
      connectionSerial: 0x7777,
      ...triple,
      remainingPathWords: 0,
    },
    [undefined, /Connection failure: Connection Manager - Forward Close/],
  );
}

/** The whole conversation, ending with UnRegisterSession. */
function everyFrameKind(): Conversation {
  const c = new Conversation();
  encapsulationCommands(c);
  attributeServices(c);
  logixServices(c);
  unconnectedSends(c);
  connectionLife(c);
  c.encapsulation("UnRegisterSession (no reply)", { body: { command: "unRegisterSession" } }, undefined, [
    /Unregister Session/,
  ]);
  return c;
}

/** Hex codes as tshark prints them (`0x4c`, `0x006f`), from the `|`-joined values of one field over every row. */
function codesSeen(rows: string[][], column: number): Set<number> {
  const seen = new Set<number>();
  for (const row of rows)
    for (const v of (row[column] ?? "").split("|")) if (v !== "") seen.add(Number.parseInt(v, 16));
  return seen;
}

function missing(seen: Set<number>, wanted: readonly number[]): string[] {
  return wanted.filter((code) => !seen.has(code)).map((code) => `0x${code.toString(16)}`);
}

/** The tshark fields read per ENIP frame, in column order. */
const FIELDS = [
  "frame.number",
  "_ws.col.Info",
  "enip.response_to",
  "enip.fwd_open_in",
  "enip.command",
  "enip.status",
  "cip.sc",
  "cip.genstat",
] as const;
const col = (name: (typeof FIELDS)[number]): number => FIELDS.indexOf(name);

/** tshark runs take about a second each; CI machines are slower. */
const TSHARK_TIMEOUT_MS = 60_000;

describeWithTshark("Wireshark dissects every kind of frame the codec encodes (tshark -r)", () => {
  let c: Conversation;
  let verdict: TsharkVerdict;
  let rows: string[][];

  beforeAll(() => {
    c = everyFrameKind();
    const pcap = c.pcap.bytes();
    const keep = process.env.CPPPO_KEEP_PCAP;
    if (keep) writeFileSync(keep, pcap);
    verdict = tsharkVerdict(pcap);
    rows = tsharkFields(pcap, FIELDS);
  }, TSHARK_TIMEOUT_MS);

  it("flags no malformed packet", () => {
    expect({ malformed: verdict.malformed, detail: verdict.detail }).toEqual({ malformed: [], detail: "" });
  });

  it("flags no expert error", () => {
    expect({ expertErrors: verdict.expertErrors, detail: verdict.detail }).toEqual({
      expertErrors: [],
      detail: "",
    });
  });

  it("dissects every frame written as ENIP, nothing left over", () => {
    expect(verdict.lines.length).toBe(c.written.length);
    expect(rows.length).toBe(c.written.length);
  });

  it("names the CIP services and statuses in the Info column (it decoded CIP, not only ENIP)", () => {
    const mismatches: string[] = [];
    c.written.forEach((w, i) => {
      const info = rows[i]?.[col("_ws.col.Info")] ?? "(no row)";
      if (w.info && !w.info.test(info)) mismatches.push(`${w.label}: ${JSON.stringify(info)} !~ ${w.info}`);
    });
    expect(mismatches).toEqual([]);
    const infos = rows.map((r) => r[col("_ws.col.Info")]).join("\n");
    for (const text of [
      "Forward Open",
      "Large Forward Open",
      "Forward Close",
      "Get Attributes All",
      "Multiple Service Packet",
      "Unconnected Send",
    ])
      expect(infos).toContain(text);
  });

  it("pairs every CIP reply with its request (by sender context, or connection and sequence)", () => {
    const unpaired: string[] = [];
    let replies = 0;
    c.written.forEach((w, i) => {
      if (w.answers === undefined) return;
      replies++;
      const requestFrame = rows[w.answers]?.[col("frame.number")];
      const pairedWith = rows[i]?.[col("enip.response_to")];
      if (pairedWith !== requestFrame)
        unpaired.push(`${w.label}: request in ${pairedWith || "-"}, not ${requestFrame}`);
    });
    expect(replies).toBeGreaterThanOrEqual(35);
    expect(unpaired).toEqual([]);
  });

  it("ties each connected frame to the Forward Open that created its connection", () => {
    const untied: string[] = [];
    let connected = 0;
    c.written.forEach((w, i) => {
      if (w.forwardOpen === undefined) return;
      connected++;
      const openFrame = rows[w.forwardOpen]?.[col("frame.number")];
      const tiedTo = rows[i]?.[col("enip.fwd_open_in")];
      if (tiedTo !== openFrame) untied.push(`${w.label}: Forward Open in ${tiedTo || "-"}, not ${openFrame}`);
    });
    expect(connected).toBeGreaterThanOrEqual(10);
    expect(untied).toEqual([]);
  });

  it("saw every encapsulation command and status, CIP service and general status the brief lists", () => {
    expect({
      commands: missing(
        codesSeen(rows, col("enip.command")),
        [0x0000, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070],
      ),
      statuses: missing(codesSeen(rows, col("enip.status")), [0x0000, 0x0001, 0x0064, 0x0065, 0x0069]),
      services: missing(
        codesSeen(rows, col("cip.sc")),
        [0x01, 0x03, 0x04, 0x0a, 0x0e, 0x10, 0x4c, 0x4d, 0x4e, 0x52, 0x53, 0x54, 0x55, 0x5b],
      ),
      generalStatuses: missing(
        codesSeen(rows, col("cip.genstat")),
        [0x00, 0x01, 0x04, 0x05, 0x06, 0x08, 0x0a, 0x0e, 0x1e, 0xff],
      ),
    }).toEqual({ commands: [], statuses: [], services: [], generalStatuses: [] });
  });

  // Codec bug (reported to the lead): encodeUnconnectedSendReplyBody writes the Remaining Path Size USINT of an
  // Unconnected Send routing-error reply without the reserved USINT that follows it. Wireshark (4.0 and master)
  // reads both bytes and flags the 1-byte form "[Malformed Packet: CIPCM]". Flip to `it` once the pad is written.
  it(
    "an Unconnected Send routing error (0x01/0x0312) with its remaining path size dissects cleanly",
    () => {
      const reply: CipReply = {
        kind: "unconnectedSend",
        service: 0xd2,
        generalStatus: 0x01,
        extStatus: [0x0312],
        remainingPathWords: 1,
      };
      // reply 0xD2, reserved, status 0x01, 1 word: 0x0312, remaining path size 1, reserved 0
      expect(toHex(encodeReplyBytes(reply))).toBe("d200010112030100");
      const routed = new Conversation();
      routed.unconnected(
        "Unconnected Send error 0x01/0x0312 link address not valid, 1 word of route path left",
        unconnectedSend<CipRequest>(readTagRequest(COUNTER), [{ port: 1, link: 9 }]),
        reply,
      );
      const v = tsharkVerdict(routed.pcap.bytes());
      expect({ malformed: v.malformed, expertErrors: v.expertErrors, detail: v.detail }).toEqual({
        malformed: [],
        expertErrors: [],
        detail: "",
      });
    },
    TSHARK_TIMEOUT_MS,
  );
});
