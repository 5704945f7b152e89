import { codeTable } from "../core/table.js";
import { TEMPLATE_CLASS } from "../types/template.js";
import type { EPath } from "./epath.js";

/** Bit set in a reply's service code: reply service = request service | 0x80 (CIP Vol 1 §2-4.2). */
export const REPLY_BIT = 0x80;

/** Class of the Message Router (CIP Vol 1 §5A-1), target of Multiple Service Packet. */
export const MESSAGE_ROUTER_CLASS = 0x02;
/** Class of the Connection Manager (CIP Vol 1 §3-5), where 0x4E/0x52/0x54/0x5B mean connection services. */
export const CONNECTION_MANAGER_CLASS = 0x06;
/** Class of the Logix Symbol object (1756-PM020), browsed with Get Instance Attribute List. */
export const SYMBOL_CLASS = 0x6b;

/** The Message Router instance 1 (`@2/1`): where a Multiple Service Packet goes, and where a connection path ends. */
export const MESSAGE_ROUTER_PATH: EPath = Object.freeze([
  Object.freeze({ class: MESSAGE_ROUTER_CLASS }),
  Object.freeze({ instance: 1 }),
]) as EPath;

/**
 * True when a Logix tag service code (0x4C..0x55) sent to class `cls` means the Logix service: a symbolic
 * path (no class), the Symbol class or the Message Router. On another class the same code is that
 * object's own service (e.g. 0x4E and 0x52 on the Connection Manager).
 */
export function isLogixClass(cls: number | undefined): boolean {
  return cls === undefined || cls === SYMBOL_CLASS || cls === MESSAGE_ROUTER_CLASS;
}

/** `isLogixClass` of the first class segment of `path`. */
export function isLogixTarget(path: EPath): boolean {
  return isLogixClass(targetClass(path));
}

/** Common services, the same on every object class (CIP Vol 1 Appendix A, Table A-3.1). */
export const CipService = codeTable(
  {
    getAttributesAll: 0x01,
    setAttributesAll: 0x02,
    getAttributeList: 0x03,
    setAttributeList: 0x04,
    reset: 0x05,
    start: 0x06,
    stop: 0x07,
    create: 0x08,
    delete: 0x09,
    multipleServicePacket: 0x0a,
    applyAttributes: 0x0d,
    getAttributeSingle: 0x0e,
    setAttributeSingle: 0x10,
    findNextObjectInstance: 0x11,
    restore: 0x15,
    save: 0x16,
    noOperation: 0x17,
    getMember: 0x18,
    setMember: 0x19,
    insertMember: 0x1a,
    removeMember: 0x1b,
    groupSync: 0x1c,
  },
  {
    getAttributesAll: "Get Attributes All",
    setAttributesAll: "Set Attributes All",
    getAttributeList: "Get Attribute List",
    setAttributeList: "Set Attribute List",
    reset: "Reset",
    start: "Start",
    stop: "Stop",
    create: "Create",
    delete: "Delete",
    multipleServicePacket: "Multiple Service Packet",
    applyAttributes: "Apply Attributes",
    getAttributeSingle: "Get Attribute Single",
    setAttributeSingle: "Set Attribute Single",
    findNextObjectInstance: "Find Next Object Instance",
    restore: "Restore",
    save: "Save",
    noOperation: "No Operation",
    getMember: "Get Member",
    setMember: "Set Member",
    insertMember: "Insert Member",
    removeMember: "Remove Member",
    groupSync: "Group Sync",
  },
);

/**
 * Logix object-specific services on tags, symbols and templates (Rockwell 1756-PM020, "Logix5000
 * Data Access"). 0x4E and 0x52 mean other things on the Connection Manager: see `ConnectionManagerService`.
 */
export const LogixService = codeTable(
  {
    readTag: 0x4c,
    writeTag: 0x4d,
    readModifyWriteTag: 0x4e,
    readTagFragmented: 0x52,
    writeTagFragmented: 0x53,
    getInstanceAttributeList: 0x55,
  },
  {
    readTag: "Read Tag",
    writeTag: "Write Tag",
    readModifyWriteTag: "Read Modify Write Tag",
    readTagFragmented: "Read Tag Fragmented",
    writeTagFragmented: "Write Tag Fragmented",
    getInstanceAttributeList: "Get Instance Attribute List",
  },
);

/** Connection Manager (class 0x06) services (CIP Vol 1 §3-5.5, Table 3-5.10). */
export const ConnectionManagerService = codeTable(
  {
    forwardClose: 0x4e,
    unconnectedSend: 0x52,
    forwardOpen: 0x54,
    getConnectionData: 0x56,
    searchConnectionData: 0x57,
    getConnectionOwner: 0x5a,
    largeForwardOpen: 0x5b,
  },
  {
    forwardClose: "Forward Close",
    unconnectedSend: "Unconnected Send",
    forwardOpen: "Forward Open",
    getConnectionData: "Get Connection Data",
    searchConnectionData: "Search Connection Data",
    getConnectionOwner: "Get Connection Owner",
    largeForwardOpen: "Large Forward Open",
  },
);

/** The class of the first class segment of `path` (port segments before it are skipped), or undefined. */
export function targetClass(path: EPath): number | undefined {
  // A property load, not `in`: every reply decode asks this of its request's path, and V8 caches loads of a
  // missing property across the few segment shapes far better than `in` (the Multiple Service Packet reply
  // of 50 Read Tags spent a tenth of its decode here).
  for (let i = 0; i < path.length; i++) {
    const cls = (path[i] as { class?: number }).class;
    if (cls !== undefined) return cls;
  }
  return undefined;
}

/** The instance of the first instance segment of `path`, or undefined. */
export function targetInstance(path: EPath): number | undefined {
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as object;
    if ("instance" in seg) return (seg as { instance: number }).instance;
  }
  return undefined;
}

/**
 * The name of a service code as sent to an object of `classId` (e.g. 0x52 → "Unconnected Send" on
 * class 6, else "Read Tag Fragmented"); a reply code (bit 0x80 set) gets " reply" appended.
 * 0x4C on the Template class is "Read Template". Unknown codes give `Service (0x..)`.
 */
export function serviceName(service: number, classId?: number): string {
  const code = service & ~REPLY_BIT;
  const suffix = service & REPLY_BIT ? " reply" : "";
  let name: string | undefined;
  if (classId === CONNECTION_MANAGER_CLASS && ConnectionManagerService.has(code))
    name = ConnectionManagerService.describe(code);
  else if (classId === TEMPLATE_CLASS && code === LogixService.codes.readTag) name = "Read Template";
  else if (CipService.has(code)) name = CipService.describe(code);
  else if (LogixService.has(code)) name = LogixService.describe(code);
  else if (ConnectionManagerService.has(code)) name = ConnectionManagerService.describe(code);
  return `${name ?? `Service (0x${code.toString(16).padStart(2, "0")})`}${suffix}`;
}
