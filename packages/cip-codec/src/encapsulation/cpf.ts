import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, Writer } from "../core/writer.js";
import {
  decodeSocketAddress,
  encodeSocketAddress,
  SOCKET_ADDRESS_SIZE,
  type SocketAddress,
} from "../types/sockaddr.js";

/**
 * Common Packet Format item type ids (CIP Vol 2 §2-6 Table 2-6.3, §2-4.3.2 ListIdentity, §2-4.6.3
 * ListServices; 0x0001 is an undocumented legacy reply item; 0x0086..0x0088 and 0x8003 come from CIP
 * Vol 8 and are kept as raw items here).
 */
export const CpfItemType = codeTable(
  {
    nullAddress: 0x0000,
    legacyReply: 0x0001,
    listIdentity: 0x000c,
    cipSecurityInformation: 0x0086,
    enipCapability: 0x0087,
    enipUsage: 0x0088,
    connectedAddress: 0x00a1,
    connectedData: 0x00b1,
    unconnectedData: 0x00b2,
    listServices: 0x0100,
    sockaddrInfoOT: 0x8000,
    sockaddrInfoTO: 0x8001,
    sequencedAddress: 0x8002,
    unconnectedMessageDtls: 0x8003,
  } as const,
  {
    nullAddress: "Null Address (unconnected messaging)",
    legacyReply: "Legacy 0x0001 reply (socket address and dotted IP string)",
    listIdentity: "CIP Identity (ListIdentity reply)",
    cipSecurityInformation: "CIP Security Information",
    enipCapability: "EtherNet/IP Capability",
    enipUsage: "EtherNet/IP Usage",
    connectedAddress: "Connected Address (connection id)",
    connectedData: "Connected Data (sequence count and CIP message)",
    unconnectedData: "Unconnected Data (CIP message)",
    listServices: "Communications service (ListServices reply)",
    sockaddrInfoOT: "Sockaddr Info, originator to target",
    sockaddrInfoTO: "Sockaddr Info, target to originator",
    sequencedAddress: "Sequenced Address (connection id and sequence number)",
    unconnectedMessageDtls: "Unconnected Message over UDP (DTLS)",
  },
  4,
);

/** Capability flag bits of a ListServices "Communications" item (CIP Vol 2 §2-4.6.3 Table 2-4.13). */
export const ListServicesCapability = {
  /** Bit 5: CIP encapsulation over TCP. */
  cipOverTcp: 0x0020,
  /** Bit 8: CIP class 0/1 (implicit) connections over UDP. */
  class01OverUdp: 0x0100,
} as const;

const {
  nullAddress: NULL_ADDRESS,
  legacyReply: LEGACY_REPLY,
  listIdentity: LIST_IDENTITY,
  connectedAddress: CONNECTED_ADDRESS,
  connectedData: CONNECTED_DATA,
  unconnectedData: UNCONNECTED_DATA,
  listServices: LIST_SERVICES,
  sockaddrInfoOT: SOCKADDR_O_T,
  sockaddrInfoTO: SOCKADDR_T_O,
  sequencedAddress: SEQUENCED_ADDRESS,
} = CpfItemType.codes;

/** Bytes before each item's data: type id u16 and length u16. */
export const CPF_ITEM_HEADER_SIZE = 4;

/** Default ceiling on the item count of one CPF (real frames carry 1 to 4 items). */
export const DEFAULT_MAX_CPF_ITEMS = 16;

/** Width of the NUL-padded name of a ListServices item and of the IP string of a legacy 0x0001 item. */
const NAME_FIELD_SIZE = 16;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
const MAX_LATIN1 = 0xff;

/** Item 0x0000: the address item of unconnected messages; it has no data. */
export interface NullAddressItem {
  kind: "nullAddress";
}

/** Item 0x00A1: the address item of connected messages. */
export interface ConnectedAddressItem {
  kind: "connectedAddress";
  /** The connection id (u32) chosen by the receiver in the Forward Open. */
  connectionId: number;
}

/** Item 0x8002: the address item of class 0/1 I/O, with the connection's sequence number. */
export interface SequencedAddressItem {
  kind: "sequencedAddress";
  connectionId: number;
  /** 32-bit encapsulation sequence number. */
  sequence: number;
}

/** Item 0x00B1: a connected CIP message after its 16-bit sequence count. */
export interface ConnectedDataItem {
  kind: "connectedData";
  /** The class 3 sequence count (u16). */
  sequence: number;
  /** The CIP message bytes (a view of the input when decoded). */
  data: Uint8Array;
}

/** Item 0x00B2: an unconnected CIP message. */
export interface UnconnectedDataItem {
  kind: "unconnectedData";
  /** The CIP message bytes (a view of the input when decoded). */
  data: Uint8Array;
}

/** Items 0x8000 (originator → target) and 0x8001 (target → originator): where to send UDP I/O. */
export interface SockaddrInfoItem {
  kind: "sockaddrInfoOT" | "sockaddrInfoTO";
  socketAddress: SocketAddress;
}

/** Item 0x000C: one device's identity in a ListIdentity reply (CIP Vol 2 §2-4.3.2 Table 2-4.4). */
export interface ListIdentityItem {
  kind: "listIdentity";
  /** Encapsulation protocol version the device supports (1). */
  protocolVersion: number;
  /** The device's EtherNet/IP socket address (big-endian on the wire). */
  socketAddress: SocketAddress;
  vendorId: number;
  deviceType: number;
  productCode: number;
  revisionMajor: number;
  revisionMinor: number;
  /** The Identity object's status word (attribute 5). */
  status: number;
  serialNumber: number;
  /** SHORT_STRING, at most 255 characters, each byte one character (Latin-1). */
  productName: string;
  /** Identity object state (attribute 8); 0xFF when the device does not report it. */
  state: number;
  /** Bytes some devices append after `state`; absent when there are none. */
  extra?: Uint8Array;
}

/** Item 0x0100: one communications service in a ListServices reply (CIP Vol 2 §2-4.6.3 Table 2-4.12). */
export interface ListServicesItem {
  kind: "listServices";
  /** Protocol version of the service (1). */
  version: number;
  /** Capability bits, see `ListServicesCapability`. */
  capabilityFlags: number;
  /**
   * The service name, at most 16 Latin-1 characters; sent NUL-padded to 16 bytes. The decoder also
   * accepts the shorter form (name, NUL, end of item) that cpppo emits.
   */
  name: string;
  /** Bytes after the 16-byte name field; absent when there are none. */
  extra?: Uint8Array;
}

/** Item 0x0001: the reply item of the undocumented legacy command 0x0001. */
export interface LegacyReplyItem {
  kind: "legacyReply";
  version: number;
  /** A u16 with no documented meaning (0 in every capture). */
  reserved: number;
  socketAddress: SocketAddress;
  /** The device address again as text, sent NUL-padded to 16 bytes. */
  ipString: string;
  /** Bytes after the 16-byte string field; absent when there are none. */
  extra?: Uint8Array;
}

/** Any other item type (including ListInterfaces items, which are vendor-defined): kept as bytes. */
export interface RawCpfItem {
  kind: "raw";
  typeId: number;
  data: Uint8Array;
}

/** One CPF item, discriminated by `kind`. */
export type CpfItem =
  | NullAddressItem
  | ConnectedAddressItem
  | SequencedAddressItem
  | ConnectedDataItem
  | UnconnectedDataItem
  | SockaddrInfoItem
  | ListIdentityItem
  | ListServicesItem
  | LegacyReplyItem
  | RawCpfItem;

/** Ceilings applied while decoding a CPF. */
export interface CpfLimits {
  /** Most items accepted in one CPF; defaults to `DEFAULT_MAX_CPF_ITEMS` (16). */
  maxCpfItems?: number;
}

/**
 * Decodes a CPF (item count u16, then the items) at the reader's offset, leaving the reader after the
 * last item. Data fields are zero-copy views of the input. Throws `CipDecodeError` on a truncated
 * item, an item whose length does not fit its type, or more than `limits.maxCpfItems` items.
 */
export function decodeCpf(r: Reader, limits?: CpfLimits): CpfItem[] {
  const maxItems = limits?.maxCpfItems ?? DEFAULT_MAX_CPF_ITEMS;
  r.enter("cpf");
  const count = r.u16("count");
  r.ceiling(count, maxItems, "count");
  if (count * CPF_ITEM_HEADER_SIZE > r.remaining)
    throw r.fail(
      "truncated",
      `${count} item(s) need at least ${count * CPF_ITEM_HEADER_SIZE} bytes, have ${r.remaining}`,
      "count",
    );
  const items: CpfItem[] = [];
  for (let i = 0; i < count; i++) {
    r.enter(i);
    items.push(decodeCpfItem(r));
    r.leave();
  }
  r.leave();
  return items;
}

/** Decodes a CPF that fills `bytes` exactly; trailing bytes are a `CipDecodeError`. */
export function decodeCpfBytes(bytes: Uint8Array, limits?: CpfLimits): CpfItem[] {
  const r = new Reader(bytes);
  const items = decodeCpf(r, limits);
  if (r.remaining !== 0) throw r.fail("invalid", `${r.remaining} byte(s) follow the last CPF item`);
  return items;
}

/** Decodes one item (type id, length, data) at the reader's offset. */
export function decodeCpfItem(r: Reader): CpfItem {
  const typeId = r.u16("typeId");
  const length = r.u16("length");
  if (length > r.remaining)
    throw r.fail(
      "truncated",
      `item length ${length} exceeds the ${r.remaining} byte(s) left`,
      "length",
      r.offset - 2,
    );
  switch (typeId) {
    case NULL_ADDRESS:
      expectLength(r, typeId, length, 0);
      return { kind: "nullAddress" };
    case CONNECTED_ADDRESS:
      expectLength(r, typeId, length, 4);
      return { kind: "connectedAddress", connectionId: r.u32("connectionId") };
    case CONNECTED_DATA: {
      if (length < 2)
        throw r.fail(
          "invalid",
          "a connected data item needs its 2-byte sequence count",
          "length",
          r.offset - 2,
        );
      const sequence = r.u16("sequence");
      return { kind: "connectedData", sequence, data: r.bytesN(length - 2, "data") };
    }
    case UNCONNECTED_DATA:
      return { kind: "unconnectedData", data: r.bytesN(length, "data") };
    case SEQUENCED_ADDRESS: {
      expectLength(r, typeId, length, 8);
      const connectionId = r.u32("connectionId");
      return { kind: "sequencedAddress", connectionId, sequence: r.u32("sequence") };
    }
    case SOCKADDR_O_T:
    case SOCKADDR_T_O: {
      expectLength(r, typeId, length, SOCKET_ADDRESS_SIZE);
      r.enter("socketAddress");
      const socketAddress = decodeSocketAddress(r);
      r.leave();
      return { kind: typeId === SOCKADDR_O_T ? "sockaddrInfoOT" : "sockaddrInfoTO", socketAddress };
    }
    case LIST_IDENTITY:
      return decodeListIdentity(r.sub(length));
    case LIST_SERVICES:
      return decodeListServices(r.sub(length));
    case LEGACY_REPLY:
      return decodeLegacyReply(r.sub(length));
    default:
      return { kind: "raw", typeId, data: r.bytesN(length, "data") };
  }
}

function expectLength(r: Reader, typeId: number, length: number, expected: number): void {
  if (length !== expected)
    throw r.fail(
      "invalid",
      `item 0x${typeId.toString(16).padStart(4, "0")} (${CpfItemType.nameOf(typeId)}) has length ${length}, not ${expected}`,
      "length",
      r.offset - 2,
    );
}

function decodeListIdentity(r: Reader): ListIdentityItem {
  const protocolVersion = r.u16("protocolVersion");
  r.enter("socketAddress");
  const socketAddress = decodeSocketAddress(r);
  r.leave();
  const vendorId = r.u16("vendorId");
  const deviceType = r.u16("deviceType");
  const productCode = r.u16("productCode");
  const revisionMajor = r.u8("revisionMajor");
  const revisionMinor = r.u8("revisionMinor");
  const status = r.u16("status");
  const serialNumber = r.u32("serialNumber");
  const nameLength = r.u8("productName");
  const productName = latin1(r.bytesN(nameLength, "productName"), nameLength);
  const state = r.u8("state");
  const item: ListIdentityItem = {
    kind: "listIdentity",
    protocolVersion,
    socketAddress,
    vendorId,
    deviceType,
    productCode,
    revisionMajor,
    revisionMinor,
    status,
    serialNumber,
    productName,
    state,
  };
  if (r.remaining > 0) item.extra = r.rest();
  return item;
}

function decodeListServices(r: Reader): ListServicesItem {
  const version = r.u16("version");
  const capabilityFlags = r.u16("capabilityFlags");
  const item: ListServicesItem = { kind: "listServices", version, capabilityFlags, name: nulTerminated(r) };
  if (r.remaining > 0) item.extra = r.rest();
  return item;
}

function decodeLegacyReply(r: Reader): LegacyReplyItem {
  const version = r.u16("version");
  const reserved = r.u16("reserved");
  r.enter("socketAddress");
  const socketAddress = decodeSocketAddress(r);
  r.leave();
  const item: LegacyReplyItem = {
    kind: "legacyReply",
    version,
    reserved,
    socketAddress,
    ipString: nulTerminated(r),
  };
  if (r.remaining > 0) item.extra = r.rest();
  return item;
}

/** The text of a NUL-padded field of up to 16 bytes (fewer when the item ends first), up to its first NUL. */
function nulTerminated(r: Reader): string {
  const field = r.bytesN(Math.min(NAME_FIELD_SIZE, r.remaining), "name");
  let end = field.indexOf(0);
  if (end < 0) end = field.length;
  return latin1(field, end);
}

function latin1(bytes: Uint8Array, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** The wire type id of `item`. */
export function cpfItemTypeId(item: CpfItem): number {
  switch (item.kind) {
    case "nullAddress":
      return NULL_ADDRESS;
    case "connectedAddress":
      return CONNECTED_ADDRESS;
    case "sequencedAddress":
      return SEQUENCED_ADDRESS;
    case "connectedData":
      return CONNECTED_DATA;
    case "unconnectedData":
      return UNCONNECTED_DATA;
    case "sockaddrInfoOT":
      return SOCKADDR_O_T;
    case "sockaddrInfoTO":
      return SOCKADDR_T_O;
    case "listIdentity":
      return LIST_IDENTITY;
    case "listServices":
      return LIST_SERVICES;
    case "legacyReply":
      return LEGACY_REPLY;
    case "raw":
      return item.typeId;
    default:
      return unknownKind(item);
  }
}

/** Bytes of `item`'s data, the value of its length field. */
export function cpfItemDataSize(item: CpfItem): number {
  switch (item.kind) {
    case "nullAddress":
      return 0;
    case "connectedAddress":
      return 4;
    case "sequencedAddress":
      return 8;
    case "connectedData":
      return 2 + item.data.length;
    case "unconnectedData":
    case "raw":
      return item.data.length;
    case "sockaddrInfoOT":
    case "sockaddrInfoTO":
      return SOCKET_ADDRESS_SIZE;
    case "listIdentity":
      // version, sockaddr, vendor, device type, product code, revision, status, serial, name length, name, state
      return (
        2 +
        SOCKET_ADDRESS_SIZE +
        2 +
        2 +
        2 +
        2 +
        2 +
        4 +
        1 +
        item.productName.length +
        1 +
        extraSize(item.extra)
      );
    case "listServices":
      return 4 + NAME_FIELD_SIZE + extraSize(item.extra);
    case "legacyReply":
      return 4 + SOCKET_ADDRESS_SIZE + NAME_FIELD_SIZE + extraSize(item.extra);
    default:
      return unknownKind(item);
  }
}

function extraSize(extra: Uint8Array | undefined): number {
  return extra === undefined ? 0 : extra.length;
}

/** Bytes of `item` on the wire, its 4-byte type/length header included. */
export function sizeOfCpfItem(item: CpfItem): number {
  return CPF_ITEM_HEADER_SIZE + cpfItemDataSize(item);
}

/** Bytes of a CPF on the wire: the 2-byte count and every item. */
export function sizeOfCpf(items: readonly CpfItem[]): number {
  let size = 2;
  for (let i = 0; i < items.length; i++) size += CPF_ITEM_HEADER_SIZE + cpfItemDataSize(items[i] as CpfItem);
  return size;
}

/** Writes a CPF: the item count, then each item. Throws `CipEncodeError` for a value that does not fit. */
export function encodeCpf(w: Writer, items: readonly CpfItem[]): void {
  checkRange("cpf.count", items.length, 0, MAX_U16);
  w.u16(items.length);
  for (let i = 0; i < items.length; i++) encodeCpfItem(w, items[i] as CpfItem);
}

/** A CPF as bytes, in one exactly sized buffer. */
export function encodeCpfBytes(items: readonly CpfItem[]): Uint8Array {
  const w = new Writer(sizeOfCpf(items));
  encodeCpf(w, items);
  return w.finish();
}

/** Writes one item: type id, length, data. Throws `CipEncodeError` for a value that does not fit. */
export function encodeCpfItem(w: Writer, item: CpfItem): void {
  const length = cpfItemDataSize(item);
  if (length > MAX_U16)
    throw new CipEncodeError(`CPF item ${item.kind} has ${length} data bytes, more than 65535`);
  w.u16(cpfItemTypeId(item));
  w.u16(length);
  switch (item.kind) {
    case "nullAddress":
      return;
    case "connectedAddress":
      checkRange("connectionId", item.connectionId, 0, MAX_U32);
      w.u32(item.connectionId);
      return;
    case "sequencedAddress":
      checkRange("connectionId", item.connectionId, 0, MAX_U32);
      checkRange("sequence", item.sequence, 0, MAX_U32);
      w.u32(item.connectionId);
      w.u32(item.sequence);
      return;
    case "connectedData":
      checkRange("sequence", item.sequence, 0, MAX_U16);
      w.u16(item.sequence);
      w.raw(item.data);
      return;
    case "unconnectedData":
      w.raw(item.data);
      return;
    case "raw":
      checkRange("typeId", item.typeId, 0, MAX_U16);
      w.raw(item.data);
      return;
    case "sockaddrInfoOT":
    case "sockaddrInfoTO":
      encodeSocketAddress(w, item.socketAddress);
      return;
    case "listIdentity":
      encodeListIdentity(w, item);
      return;
    case "listServices":
      checkRange("version", item.version, 0, MAX_U16);
      checkRange("capabilityFlags", item.capabilityFlags, 0, MAX_U16);
      w.u16(item.version);
      w.u16(item.capabilityFlags);
      writeNulPadded(w, "name", item.name);
      if (item.extra !== undefined) w.raw(item.extra);
      return;
    case "legacyReply":
      checkRange("version", item.version, 0, MAX_U16);
      checkRange("reserved", item.reserved, 0, MAX_U16);
      w.u16(item.version);
      w.u16(item.reserved);
      encodeSocketAddress(w, item.socketAddress);
      writeNulPadded(w, "ipString", item.ipString);
      if (item.extra !== undefined) w.raw(item.extra);
      return;
    default:
      unknownKind(item);
  }
}

function encodeListIdentity(w: Writer, item: ListIdentityItem): void {
  checkRange("protocolVersion", item.protocolVersion, 0, MAX_U16);
  checkRange("vendorId", item.vendorId, 0, MAX_U16);
  checkRange("deviceType", item.deviceType, 0, MAX_U16);
  checkRange("productCode", item.productCode, 0, MAX_U16);
  checkRange("revisionMajor", item.revisionMajor, 0, 0xff);
  checkRange("revisionMinor", item.revisionMinor, 0, 0xff);
  checkRange("status", item.status, 0, MAX_U16);
  checkRange("serialNumber", item.serialNumber, 0, MAX_U32);
  checkRange("state", item.state, 0, 0xff);
  checkRange("productName.length", item.productName.length, 0, 0xff);
  w.u16(item.protocolVersion);
  encodeSocketAddress(w, item.socketAddress);
  w.u16(item.vendorId);
  w.u16(item.deviceType);
  w.u16(item.productCode);
  w.u8(item.revisionMajor);
  w.u8(item.revisionMinor);
  w.u16(item.status);
  w.u32(item.serialNumber);
  w.u8(item.productName.length);
  writeLatin1(w, "productName", item.productName);
  w.u8(item.state);
  if (item.extra !== undefined) w.raw(item.extra);
}

function writeNulPadded(w: Writer, field: string, text: string): void {
  checkRange(`${field}.length`, text.length, 0, NAME_FIELD_SIZE);
  writeLatin1(w, field, text);
  w.zeros(NAME_FIELD_SIZE - text.length);
}

function writeLatin1(w: Writer, field: string, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > MAX_LATIN1) throw new CipEncodeError(`"${field}" holds a character above U+00FF at ${i}`);
    w.u8(code);
  }
}

function unknownKind(item: never): never {
  throw new CipEncodeError(`unknown CPF item kind ${JSON.stringify((item as { kind?: unknown }).kind)}`);
}
