/**
 * The objects a Logix controller with an EtherNet/IP module answers (cpppo reference §2.8, plus the Ethernet Link
 * object a 1756-EN2T has): Identity 0x01, Message Router 0x02, Connection Manager 0x06, the 0x66 object and the
 * 0xAC "tag database changed" counters Logix clients probe, TCP/IP Interface 0xF5 and Ethernet Link 0xF6.
 */
import {
  CONNECTION_MANAGER_CLASS,
  DINT,
  DWORD,
  decodeInterfaceConfiguration,
  encodeIdentityBytes,
  encodeInterfaceConfiguration,
  encodePath,
  encodeTcpIpInterfaceBytes,
  encodeValues,
  GeneralStatus,
  IDENTITY_CLASS,
  type Identity,
  INT,
  type InterfaceConfiguration,
  MESSAGE_ROUTER_CLASS,
  PADDED_STRING,
  Reader,
  SSTRING,
  STRING,
  sizeOfInterfaceConfiguration,
  sizeOfPath,
  TCPIP_CLASS,
  type TcpIpInterface,
  UDINT,
  UINT,
  USINT,
  WORD,
  Writer,
} from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import {
  type CipAttribute,
  CipInstance,
  constantAttribute,
  type ObjectModel,
  valueAttribute,
} from "./model.js";

/** Class of the object Logix controllers answer at 0x66 (cpppo's "Unknown_Object", seen on real controllers). */
export const LOGIX_0x66_CLASS = 0x66;
/** Class of the Logix logical segment counters 0xAC ("tag database changed" values clients poll). */
export const LOGIX_0xAC_CLASS = 0xac;
/** Class of the Logix controller program name object, which pycomm3 reads at connect (Rockwell KB 23341). */
export const PROGRAM_NAME_CLASS = 0x64;
/** Class of the Ethernet Link object (CIP Vol 2 §5-5). */
export const ETHERNET_LINK_CLASS = 0xf6;

/** The Identity a simulator reports by default: cpppo's 1756-L61/B LOGIX5561, revision 20.11 (cpppo reference §2.8). */
export const DEFAULT_IDENTITY: Readonly<Identity> = Object.freeze({
  vendorId: 1,
  deviceType: 0x0e,
  productCode: 0x36,
  revision: Object.freeze({ major: 20, minor: 11 }),
  status: 0x3160,
  serialNumber: 0x006c061a,
  productName: "1756-L61/B LOGIX5561",
  state: 0xff,
  configurationConsistencyValue: 0,
  heartbeatInterval: 0,
}) as Readonly<Identity>;

/** The TCP/IP Interface a simulator reports by default: hardware-configured, addresses 0.0.0.0, linked to @0xF6/1. */
export const DEFAULT_TCPIP: Readonly<TcpIpInterface> = Object.freeze({
  status: 2,
  configurationCapability: 0x30,
  configurationControl: 0,
  physicalLinkPath: [{ class: ETHERNET_LINK_CLASS }, { instance: 1 }],
  interfaceConfiguration: {
    ipAddress: "0.0.0.0",
    networkMask: "0.0.0.0",
    gatewayAddress: "0.0.0.0",
    nameServer: "0.0.0.0",
    nameServer2: "0.0.0.0",
    domainName: "",
  },
  hostName: "",
}) as Readonly<TcpIpInterface>;

/** Ethernet Link object values (instance 1); every field is optional in `ControllerOptions.ethernetLink`. */
export interface EthernetLink {
  /** Attribute 1, interface speed in Mbit/s; default 100. */
  interfaceSpeed: number;
  /** Attribute 2, interface flags; default 0x0F (link up, full duplex, speed and duplex auto-negotiated). */
  interfaceFlags: number;
  /** Attribute 3, MAC address as "00:00:bc:…"; default 00:00:bc:3c:6f:01 (a Rockwell OUI). */
  physicalAddress: string;
  /** Attribute 10, interface label; default "". */
  interfaceLabel: string;
}

/** Ethernet Link defaults, as a 1756-EN2T on a 100 Mbit/s full-duplex switch port reports them. */
export const DEFAULT_ETHERNET_LINK: Readonly<EthernetLink> = Object.freeze({
  interfaceSpeed: 100,
  interfaceFlags: 0x0f,
  physicalAddress: "00:00:bc:3c:6f:01",
  interfaceLabel: "",
});

/** The live values the standard objects read: the controller's identity, TCP/IP and Ethernet Link fields. */
export interface DeviceState {
  /** The controller (project) name: attribute 1 of @0x64/1. */
  name: string;
  identity: Identity;
  tcpip: TcpIpInterface;
  ethernetLink: EthernetLink;
}

/** MAC text "aa:bb:cc:dd:ee:ff" (or with "-") as 6 bytes; throws InvalidArgumentError otherwise. */
export function parseMac(text: string): Uint8Array {
  const parts = typeof text === "string" ? text.split(/[:-]/) : [];
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new InvalidArgumentError(
      `"ethernetLink.physicalAddress" must be 6 hex bytes like 00:00:bc:3c:6f:01, got ${String(text)}`,
    );
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

function identityObject(state: DeviceState): CipInstance {
  const id = () => state.identity;
  const i = new CipInstance(IDENTITY_CLASS, 1, [
    valueAttribute(1, UINT, () => id().vendorId),
    valueAttribute(2, UINT, () => id().deviceType),
    valueAttribute(3, UINT, () => id().productCode),
    { id: 4, get: () => Uint8Array.of(id().revision.major, id().revision.minor), size: 2 },
    valueAttribute(5, WORD, () => id().status),
    valueAttribute(6, UDINT, () => id().serialNumber),
    valueAttribute(7, SSTRING, () => id().productName),
    valueAttribute(8, USINT, () => id().state ?? 0xff),
    valueAttribute(9, UINT, () => id().configurationConsistencyValue ?? 0),
    valueAttribute(10, USINT, () => id().heartbeatInterval ?? 0),
  ]);
  i.getAll = () => encodeIdentityBytes(id());
  return i;
}

function pathAttribute(state: DeviceState): CipAttribute {
  return {
    id: 4,
    get() {
      const path = state.tcpip.physicalLinkPath;
      const w = new Writer(2 + sizeOfPath(path));
      w.u16(sizeOfPath(path) >> 1);
      encodePath(w, path);
      return w.finish();
    },
  };
}

function interfaceConfigurationAttribute(state: DeviceState): CipAttribute {
  return {
    id: 5,
    get() {
      const c = state.tcpip.interfaceConfiguration;
      const w = new Writer(sizeOfInterfaceConfiguration(c));
      encodeInterfaceConfiguration(w, c);
      return w.finish();
    },
    set(data) {
      let c: InterfaceConfiguration;
      try {
        c = decodeInterfaceConfiguration(new Reader(data));
      } catch {
        return GeneralStatus.codes.notEnoughData;
      }
      state.tcpip.interfaceConfiguration = c;
      return 0;
    },
  };
}

/** Multicast configuration (attribute 9): allocation control 0, reserved, 32 addresses from 239.192.1.0. */
const MULTICAST_CONFIG = Uint8Array.of(0, 0, 32, 0, 0x00, 0x01, 0xc0, 0xef);

function tcpipObject(state: DeviceState): CipInstance {
  const t = () => state.tcpip;
  const i = new CipInstance(TCPIP_CLASS, 1, [
    valueAttribute(1, DWORD, () => t().status),
    valueAttribute(2, DWORD, () => t().configurationCapability),
    valueAttribute(
      3,
      DWORD,
      () => t().configurationControl,
      (v) => {
        t().configurationControl = v as number;
      },
    ),
    pathAttribute(state),
    interfaceConfigurationAttribute(state),
    valueAttribute(
      6,
      PADDED_STRING,
      () => t().hostName,
      (v) => {
        t().hostName = v as string;
      },
    ),
    // Attributes after 6 are answered to Get Attribute Single only: Get Attributes All stops at 6 (plus any raw
    // `moreAttributes` configured), which is what the codec's TcpIpInterface describes.
    { ...valueAttribute(8, USINT, () => 1), hidden: true },
    constantAttribute(9, MULTICAST_CONFIG, true),
    { ...valueAttribute(10, USINT, () => 1), hidden: true },
    { ...valueAttribute(13, UINT, () => 120), hidden: true },
  ]);
  i.getAll = () => encodeTcpIpInterfaceBytes(t());
  return i;
}

/** Interface capability (attribute 11): auto-negotiation, auto-MDIX, manual setting; 10/100 half/full. */
const INTERFACE_CAPABILITY = Uint8Array.of(0x0e, 0, 0, 0, 4, 10, 0, 0, 10, 0, 1, 100, 0, 0, 100, 0, 1);

function ethernetLinkObject(state: DeviceState): CipInstance {
  const e = () => state.ethernetLink;
  return new CipInstance(ETHERNET_LINK_CLASS, 1, [
    valueAttribute(1, UDINT, () => e().interfaceSpeed),
    valueAttribute(2, DWORD, () => e().interfaceFlags),
    { id: 3, get: () => parseMac(e().physicalAddress), size: 6 },
    // Interface (11 UDINT) and media (12 UDINT) counters: a simulator drops no frames, so they stay zero.
    constantAttribute(4, new Uint8Array(44)),
    constantAttribute(5, new Uint8Array(48)),
    // Interface control: control bits 0x0001 (auto-negotiate), forced speed 0.
    constantAttribute(6, Uint8Array.of(1, 0, 0, 0)),
    valueAttribute(7, USINT, () => 2),
    valueAttribute(8, USINT, () => 1),
    valueAttribute(9, USINT, () => 1),
    valueAttribute(10, SSTRING, () => e().interfaceLabel),
    constantAttribute(11, INTERFACE_CAPABILITY),
  ]);
}

/** The 0x66 object's values as real Logix controllers answer them (cpppo reference §2.8). */
function logix66Object(): CipInstance {
  const u = (id: number, type: typeof UDINT, v: number) => constantAttribute(id, encodeValues(type, [v]));
  return new CipInstance(LOGIX_0x66_CLASS, 1, [
    u(1, UDINT, 0),
    u(2, UDINT, 8),
    u(3, USINT, 0),
    u(4, UINT, 0x2d),
    u(5, UINT, 1),
    u(6, USINT, 1),
    u(7, USINT, 1),
    u(8, USINT, 1),
    u(9, USINT, 0xb1),
    u(10, USINT, 0x2a),
    u(11, UINT, 0x1b),
    u(12, UINT, 0x0a),
  ]);
}

/** The 0xAC counters as cpppo reports them (cpppo reference §2.8); attribute 3/4 change when tags are added. */
function logixAcObject(): CipInstance {
  return new CipInstance(LOGIX_0xAC_CLASS, 1, [
    constantAttribute(1, encodeValues(INT, [5])),
    constantAttribute(2, encodeValues(INT, [2])),
    constantAttribute(3, encodeValues(DINT, [0xc580b203 | 0])),
    constantAttribute(4, encodeValues(DINT, [0xc580b203 | 0])),
    constantAttribute(10, encodeValues(DINT, [0xb847def8 | 0])),
  ]);
}

/** Connection Manager counters (CIP Vol 1 §3-5.4.2, attributes 1..8): open/close requests and rejects, timeouts. */
function connectionManagerObject(): CipInstance {
  const i = new CipInstance(CONNECTION_MANAGER_CLASS, 1);
  for (let id = 1; id <= 8; id++) i.add(constantAttribute(id, encodeValues(UINT, [0])));
  return i;
}

/** The controller's project name as a CIP STRING (UINT length, characters), attribute 1 of @0x64/1. */
function programNameObject(state: DeviceState): CipInstance {
  return new CipInstance(PROGRAM_NAME_CLASS, 1, [valueAttribute(1, STRING, () => state.name)]);
}

/** Adds the standard objects to `model`, reading live values from `state`. */
export function addStandardObjects(model: ObjectModel, state: DeviceState): void {
  model.ensure(IDENTITY_CLASS, "Identity").add(identityObject(state));
  model.ensure(MESSAGE_ROUTER_CLASS, "Message Router").add(new CipInstance(MESSAGE_ROUTER_CLASS, 1));
  model.ensure(CONNECTION_MANAGER_CLASS, "Connection Manager").add(connectionManagerObject());
  model.ensure(PROGRAM_NAME_CLASS, "Program Name").add(programNameObject(state));
  model.ensure(LOGIX_0x66_CLASS, "Logix 0x66").add(logix66Object());
  model.ensure(LOGIX_0xAC_CLASS, "Logix logical segments").add(logixAcObject());
  model.ensure(TCPIP_CLASS, "TCP/IP Interface", 3).add(tcpipObject(state));
  model.ensure(ETHERNET_LINK_CLASS, "Ethernet Link", 3).add(ethernetLinkObject(state));
}
