import { decodePath, type EPath, encodePath, type PathLimits, sizeOfPath } from "../cip/epath.js";
import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, Writer } from "../core/writer.js";
import { IPADDR, PADDED_STRING, SSTRING } from "../types/types.js";

/** Class code of the Identity object (CIP Vol 1 §5A-2). */
export const IDENTITY_CLASS = 0x01;
/** Class code of the TCP/IP Interface object (CIP Vol 2 §5-4). */
export const TCPIP_CLASS = 0xf5;

/** Identity object instance attributes (CIP Vol 1 §5A-2.2), in the order Get Attributes All returns them. */
export const IdentityAttribute = codeTable(
  {
    VENDOR_ID: 1,
    DEVICE_TYPE: 2,
    PRODUCT_CODE: 3,
    REVISION: 4,
    STATUS: 5,
    SERIAL_NUMBER: 6,
    PRODUCT_NAME: 7,
    STATE: 8,
    CONFIGURATION_CONSISTENCY_VALUE: 9,
    HEARTBEAT_INTERVAL: 10,
  },
  {
    VENDOR_ID: "vendor id (UINT)",
    DEVICE_TYPE: "device type (UINT)",
    PRODUCT_CODE: "product code (UINT)",
    REVISION: "revision (USINT major, USINT minor)",
    STATUS: "status (WORD)",
    SERIAL_NUMBER: "serial number (UDINT)",
    PRODUCT_NAME: "product name (SHORT_STRING)",
    STATE: "state (USINT)",
    CONFIGURATION_CONSISTENCY_VALUE: "configuration consistency value (UINT)",
    HEARTBEAT_INTERVAL: "heartbeat interval in seconds (USINT)",
  },
);

/** TCP/IP Interface object instance attributes (CIP Vol 2 §5-4.3), the six every device has. */
export const TcpIpAttribute = codeTable(
  {
    STATUS: 1,
    CONFIGURATION_CAPABILITY: 2,
    CONFIGURATION_CONTROL: 3,
    PHYSICAL_LINK_OBJECT: 4,
    INTERFACE_CONFIGURATION: 5,
    HOST_NAME: 6,
  },
  {
    STATUS: "interface status (DWORD)",
    CONFIGURATION_CAPABILITY: "configuration capability (DWORD)",
    CONFIGURATION_CONTROL: "configuration control (DWORD)",
    PHYSICAL_LINK_OBJECT: "path to the physical link object (UINT word count, padded EPATH)",
    INTERFACE_CONFIGURATION:
      "IP address, network mask, gateway, two name servers (UDINT each), domain name (STRING, padded)",
    HOST_NAME: "host name (STRING, padded)",
  },
);

/** A product revision: major and minor, each one byte. */
export interface Revision {
  major: number;
  minor: number;
}

/**
 * The Identity object's Get Attributes All reply data. `state`, `configurationConsistencyValue` and
 * `heartbeatInterval` are present only when the device sends them (a ControlLogix stops after the product name).
 */
export interface Identity {
  vendorId: number;
  deviceType: number;
  productCode: number;
  revision: Revision;
  /** The status WORD (owned, configured, fault bits…). */
  status: number;
  serialNumber: number;
  productName: string;
  state?: number;
  configurationConsistencyValue?: number;
  heartbeatInterval?: number;
}

const IDENTITY_FIXED_BYTES = 14;

/** Bytes of `identity` as Get Attributes All data. */
export function sizeOfIdentity(identity: Identity): number {
  let size = IDENTITY_FIXED_BYTES + SSTRING.sizeOf(identity.productName);
  if (identity.state !== undefined) size += 1;
  if (identity.configurationConsistencyValue !== undefined) size += 2;
  if (identity.heartbeatInterval !== undefined) size += 1;
  return size;
}

/** Writes Identity Get Attributes All data; an optional attribute needs every optional attribute before it. */
export function encodeIdentity(w: Writer, identity: Identity): void {
  checkRange("vendorId", identity.vendorId, 0, 0xffff);
  checkRange("deviceType", identity.deviceType, 0, 0xffff);
  checkRange("productCode", identity.productCode, 0, 0xffff);
  checkRange("revision.major", identity.revision?.major, 0, 0xff);
  checkRange("revision.minor", identity.revision?.minor, 0, 0xff);
  checkRange("status", identity.status, 0, 0xffff);
  checkRange("serialNumber", identity.serialNumber, 0, 0xffffffff);
  const { state, configurationConsistencyValue: ccv, heartbeatInterval: heartbeat } = identity;
  if ((ccv !== undefined && state === undefined) || (heartbeat !== undefined && ccv === undefined))
    throw new CipEncodeError(
      "Identity attributes 8..10 are written in order: a later one needs the earlier ones",
    );
  w.u16(identity.vendorId).u16(identity.deviceType).u16(identity.productCode);
  w.u8(identity.revision.major).u8(identity.revision.minor);
  w.u16(identity.status).u32(identity.serialNumber);
  SSTRING.encode(w, identity.productName);
  if (state !== undefined) {
    checkRange("state", state, 0, 0xff);
    w.u8(state);
  }
  if (ccv !== undefined) {
    checkRange("configurationConsistencyValue", ccv, 0, 0xffff);
    w.u16(ccv);
  }
  if (heartbeat !== undefined) {
    checkRange("heartbeatInterval", heartbeat, 0, 0xff);
    w.u8(heartbeat);
  }
}

/** Identity Get Attributes All data as bytes. */
export function encodeIdentityBytes(identity: Identity): Uint8Array {
  const w = new Writer(sizeOfIdentity(identity));
  encodeIdentity(w, identity);
  return w.finish();
}

/**
 * Reads Identity Get Attributes All data: attributes 1..7, then state, configuration consistency value and
 * heartbeat interval as far as the data holds them whole; bytes after those are left unread.
 */
export function decodeIdentity(r: Reader): Identity {
  r.enter("identity");
  const vendorId = r.u16("vendorId");
  const deviceType = r.u16("deviceType");
  const productCode = r.u16("productCode");
  const major = r.u8("revision.major");
  const minor = r.u8("revision.minor");
  const status = r.u16("status");
  const serialNumber = r.u32("serialNumber");
  const productName = SSTRING.decode(r);
  const identity: Identity = {
    vendorId,
    deviceType,
    productCode,
    revision: { major, minor },
    status,
    serialNumber,
    productName,
  };
  if (r.remaining >= 1) identity.state = r.u8("state");
  if (r.remaining >= 2) identity.configurationConsistencyValue = r.u16("configurationConsistencyValue");
  if (r.remaining >= 1 && identity.configurationConsistencyValue !== undefined)
    identity.heartbeatInterval = r.u8("heartbeatInterval");
  r.leave();
  return identity;
}

/** Identity Get Attributes All data from bytes (trailing bytes ignored). */
export function decodeIdentityBytes(bytes: Uint8Array): Identity {
  return decodeIdentity(new Reader(bytes));
}

/** TCP/IP object attribute 5: the interface's addresses (dotted text) and domain name. */
export interface InterfaceConfiguration {
  ipAddress: string;
  networkMask: string;
  gatewayAddress: string;
  /** Primary name server. */
  nameServer: string;
  /** Secondary name server. */
  nameServer2: string;
  domainName: string;
}

const ADDRESS_BYTES = 20;

/** Bytes of attribute 5: five UDINT addresses and the padded domain name. */
export function sizeOfInterfaceConfiguration(c: InterfaceConfiguration): number {
  if (typeof c !== "object" || c === null)
    throw new CipEncodeError(`"interfaceConfiguration" must be an object`);
  return ADDRESS_BYTES + PADDED_STRING.sizeOf(c.domainName);
}

/** Writes attribute 5: addresses as little-endian UDINTs, then the domain name STRING padded to even. */
export function encodeInterfaceConfiguration(w: Writer, c: InterfaceConfiguration): void {
  if (typeof c !== "object" || c === null)
    throw new CipEncodeError(`"interfaceConfiguration" must be an object`);
  IPADDR.encode(w, c.ipAddress);
  IPADDR.encode(w, c.networkMask);
  IPADDR.encode(w, c.gatewayAddress);
  IPADDR.encode(w, c.nameServer);
  IPADDR.encode(w, c.nameServer2);
  PADDED_STRING.encode(w, c.domainName);
}

/** Reads attribute 5. */
export function decodeInterfaceConfiguration(r: Reader): InterfaceConfiguration {
  r.enter("interfaceConfiguration");
  const c: InterfaceConfiguration = {
    ipAddress: IPADDR.decode(r),
    networkMask: IPADDR.decode(r),
    gatewayAddress: IPADDR.decode(r),
    nameServer: IPADDR.decode(r),
    nameServer2: IPADDR.decode(r),
    domainName: PADDED_STRING.decode(r),
  };
  r.leave();
  return c;
}

/** The TCP/IP Interface object's Get Attributes All reply data: attributes 1..6, and any later ones as raw bytes. */
export interface TcpIpInterface {
  /** Attribute 1, interface status DWORD (bits 0..3: configuration status). */
  status: number;
  /** Attribute 2, configuration capability DWORD. */
  configurationCapability: number;
  /** Attribute 3, configuration control DWORD. */
  configurationControl: number;
  /** Attribute 4, path to the physical link object (e.g. Ethernet Link @0xF6/1); often empty. */
  physicalLinkPath: EPath;
  /** Attribute 5. */
  interfaceConfiguration: InterfaceConfiguration;
  /** Attribute 6. */
  hostName: string;
  /** Attributes 7 and later, which devices add in their own selection, as raw bytes (absent when there are none). */
  moreAttributes?: Uint8Array;
}

/** Bytes of `t` as Get Attributes All data. */
export function sizeOfTcpIpInterface(t: TcpIpInterface): number {
  return (
    12 +
    2 +
    sizeOfPath(t.physicalLinkPath) +
    sizeOfInterfaceConfiguration(t.interfaceConfiguration) +
    PADDED_STRING.sizeOf(t.hostName) +
    (t.moreAttributes?.length ?? 0)
  );
}

/** Writes TCP/IP Interface Get Attributes All data. */
export function encodeTcpIpInterface(w: Writer, t: TcpIpInterface): void {
  checkRange("status", t.status, 0, 0xffffffff);
  checkRange("configurationCapability", t.configurationCapability, 0, 0xffffffff);
  checkRange("configurationControl", t.configurationControl, 0, 0xffffffff);
  w.u32(t.status).u32(t.configurationCapability).u32(t.configurationControl);
  w.u16(sizeOfPath(t.physicalLinkPath) >> 1);
  encodePath(w, t.physicalLinkPath);
  encodeInterfaceConfiguration(w, t.interfaceConfiguration);
  PADDED_STRING.encode(w, t.hostName);
  if (t.moreAttributes) w.raw(t.moreAttributes);
}

/** TCP/IP Interface Get Attributes All data as bytes. */
export function encodeTcpIpInterfaceBytes(t: TcpIpInterface): Uint8Array {
  const w = new Writer(sizeOfTcpIpInterface(t));
  encodeTcpIpInterface(w, t);
  return w.finish();
}

/** Reads TCP/IP Interface Get Attributes All data to its end; `limits` bound the physical link path. */
export function decodeTcpIpInterface(r: Reader, limits?: PathLimits): TcpIpInterface {
  r.enter("tcpip");
  const status = r.u32("status");
  const configurationCapability = r.u32("configurationCapability");
  const configurationControl = r.u32("configurationControl");
  const words = r.u16("physicalLinkPathSize");
  r.enter("physicalLinkPath");
  const physicalLinkPath = decodePath(r, words * 2, limits);
  r.leave();
  const interfaceConfiguration = decodeInterfaceConfiguration(r);
  const hostName = PADDED_STRING.decode(r);
  const t: TcpIpInterface = {
    status,
    configurationCapability,
    configurationControl,
    physicalLinkPath,
    interfaceConfiguration,
    hostName,
  };
  if (r.remaining > 0) t.moreAttributes = r.rest();
  r.leave();
  return t;
}

/** TCP/IP Interface Get Attributes All data from bytes. */
export function decodeTcpIpInterfaceBytes(bytes: Uint8Array, limits?: PathLimits): TcpIpInterface {
  return decodeTcpIpInterface(new Reader(bytes), limits);
}
