/**
 * Bodies of the Logix tag, symbol and template services (Rockwell 1756-PM020 "Logix5000 Data Access"):
 * Read Tag 0x4C, Write Tag 0x4D, Read Modify Write Tag 0x4E, Read/Write Tag Fragmented 0x52/0x53,
 * Get Instance Attribute List 0x55 on the Symbol class 0x6B, and Read Template 0x4C on class 0x6C.
 * Element data stays raw bytes here; typed values are the data-type codecs' job.
 */
import { type EPath, latin1 } from "../cip/epath.js";
import { LogixService, SYMBOL_CLASS } from "../cip/services.js";
import type { ReplyStatus } from "../cip/status.js";
import { CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { checkRange, type Writer } from "../core/writer.js";
import { TEMPLATE_CLASS } from "../types/template.js";
import { decodeTagType, encodeTagType, sizeOfTagType, type TagType } from "../types/types.js";
import { decodeAttributeIds, encodeAttributeIds, sizeOfAttributeIds } from "./attributes.js";
import type { ReplyCodec, RequestCodec } from "./codec.js";

/** Shared zero-length placeholder for data a decoder fills in afterwards (zero-length views cannot be written). */
const EMPTY = new Uint8Array(0);

/** Read Tag 0x4C request: UINT element count. */
export interface ReadTagRequest {
  kind: "readTag";
  service: 0x4c;
  path: EPath;
  elements: number;
}

/** Read Tag Fragmented 0x52 request: UINT element count, UDINT byte offset. */
export interface ReadTagFragmentedRequest {
  kind: "readTagFragmented";
  service: 0x52;
  path: EPath;
  elements: number;
  offset: number;
}

/** Write Tag 0x4D request: tag type, UINT element count, raw element data. */
export interface WriteTagRequest extends TagType {
  kind: "writeTag";
  service: 0x4d;
  path: EPath;
  elements: number;
  data: Uint8Array;
}

/** Write Tag Fragmented 0x53 request: tag type, UINT element count, UDINT byte offset, raw data. */
export interface WriteTagFragmentedRequest extends TagType {
  kind: "writeTagFragmented";
  service: 0x53;
  path: EPath;
  elements: number;
  offset: number;
  data: Uint8Array;
}

/** Read Modify Write Tag 0x4E request: UINT mask size, OR mask, AND mask (bits set by OR, cleared by AND). */
export interface ReadModifyWriteTagRequest {
  kind: "readModifyWriteTag";
  service: 0x4e;
  path: EPath;
  orMask: Uint8Array;
  andMask: Uint8Array;
}

/** Get Instance Attribute List 0x55 request (Symbol class browsing): UINT count and UINT attribute ids. */
export interface GetInstanceAttributeListRequest {
  kind: "getInstanceAttributeList";
  service: 0x55;
  path: EPath;
  attributes: number[];
}

/** Read Template 0x4C on a Template (0x6C) instance: UDINT byte offset, UINT byte count. */
export interface ReadTemplateRequest {
  kind: "readTemplate";
  service: 0x4c;
  path: EPath;
  offset: number;
  bytes: number;
}

/** Read Tag (0xCC) or Read Tag Fragmented (0xD2) reply: tag type and raw element data (absent on error). */
export interface ReadTagReply extends ReplyStatus {
  kind: "readTag" | "readTagFragmented";
  service: 0xcc | 0xd2;
  /** The tag's type code; absent when the reply has no body (an error reply). */
  type?: number;
  /** Present exactly when `type` is 0x02A0 (STRUCT). */
  structureHandle?: number;
  /** Raw element data; empty when there is no body. */
  data: Uint8Array;
}

/** Write Tag (0xCD), Read Modify Write Tag (0xCE) or Write Tag Fragmented (0xD3) reply: status only. */
export interface WriteTagReply extends ReplyStatus {
  kind: "writeTag" | "readModifyWriteTag" | "writeTagFragmented";
  service: 0xcd | 0xce | 0xd3;
}

/** Read Template reply (0xCC from a Template instance): raw template definition bytes; 0x06 means more follow. */
export interface ReadTemplateReply extends ReplyStatus {
  kind: "readTemplate";
  service: 0xcc;
  data: Uint8Array;
}

/** A Symbol object attribute value: a number, a name, array dimensions, or raw bytes for an unknown attribute. */
export type SymbolAttributeValue = number | string | number[] | Uint8Array;

/** One attribute of a symbol instance in a Get Instance Attribute List reply. */
export interface SymbolAttribute {
  id: number;
  value: SymbolAttributeValue;
}

/** One symbol instance of a Get Instance Attribute List reply: its instance id and the requested attributes. */
export interface SymbolInstance {
  instance: number;
  attributes: SymbolAttribute[];
}

/** Get Instance Attribute List reply (0xD5): one record per symbol instance; 0x06 means more instances follow. */
export interface GetInstanceAttributeListReply extends ReplyStatus {
  kind: "getInstanceAttributeList";
  service: 0xd5;
  /** Absent when the reply has no body. */
  instances?: SymbolInstance[];
}

/**
 * Symbol object (class 0x6B) attributes that Get Instance Attribute List returns (1756-PM020):
 * 1 name (UINT length + ISO-8859-1 characters), 2 symbol type (UINT), 3 address (UDINT), 5 symbol object
 * address (UDINT), 6 software control (UDINT), 7 element byte size (UINT), 8 array dimensions (3 × UDINT),
 * 10 external access (USINT: 0 read/write, 2 read only, 3 none; v20+ controllers).
 */
export const SymbolAttributeId = {
  name: 1,
  symbolType: 2,
  address: 3,
  objectAddress: 5,
  softwareControl: 6,
  elementSize: 7,
  dimensions: 8,
  externalAccess: 10,
} as const;

/** Bytes of a Write Tag body: type, elements, [offset when `fragmented`,] data. */
function sizeOfWriteTagBody(req: TagType & { data: Uint8Array }, fragmented: boolean): number {
  return sizeOfTagType(req) + 2 + (fragmented ? 4 : 0) + req.data.length;
}

/** Writes a Write Tag body: type, elements, [offset when `fragmented`,] data. */
function encodeWriteTagBody(
  w: Writer,
  req: TagType & { elements: number; offset?: number; data: Uint8Array },
  fragmented: boolean,
): void {
  encodeTagType(w, req);
  checkRange("elements", req.elements, 0, 0xffff);
  w.u16(req.elements);
  if (fragmented) {
    checkRange("offset", req.offset as number, 0, 0xffffffff);
    w.u32(req.offset as number);
  }
  w.raw(req.data);
}

/** Read Tag 0x4C request: UINT element count. */
export const readTagRequestCodec: RequestCodec<ReadTagRequest> = {
  kind: "readTag",
  decode: (r, _service, path) => ({
    kind: "readTag",
    service: LogixService.codes.readTag,
    path,
    elements: r.u16("elements"),
  }),
  sizeOf: () => 2,
  encode(w, req) {
    checkRange("elements", req.elements, 0, 0xffff);
    w.u16(req.elements);
  },
};

/** Read Tag Fragmented 0x52 request: UINT element count, UDINT byte offset. */
export const readTagFragmentedRequestCodec: RequestCodec<ReadTagFragmentedRequest> = {
  kind: "readTagFragmented",
  decode(r, _service, path) {
    const elements = r.u16("elements");
    const offset = r.u32("offset");
    return {
      kind: "readTagFragmented",
      service: LogixService.codes.readTagFragmented,
      path,
      elements,
      offset,
    };
  },
  sizeOf: () => 6,
  encode(w, req) {
    checkRange("elements", req.elements, 0, 0xffff);
    checkRange("offset", req.offset, 0, 0xffffffff);
    w.u16(req.elements).u32(req.offset);
  },
};

/** Read Template 0x4C request to a Template instance: UDINT byte offset, UINT byte count. */
export const readTemplateRequestCodec: RequestCodec<ReadTemplateRequest> = {
  kind: "readTemplate",
  decode(r, _service, path) {
    const offset = r.u32("offset");
    const bytes = r.u16("bytes");
    return { kind: "readTemplate", service: LogixService.codes.readTag, path, offset, bytes };
  },
  sizeOf: () => 6,
  encode(w, req) {
    checkRange("offset", req.offset, 0, 0xffffffff);
    checkRange("bytes", req.bytes, 0, 0xffff);
    w.u32(req.offset).u16(req.bytes);
  },
};

/** Write Tag 0x4D request: tag type, UINT element count, then the element data to the end of the message. */
export const writeTagRequestCodec: RequestCodec<WriteTagRequest> = {
  kind: "writeTag",
  decode(r, _service, path) {
    const t = decodeTagType(r);
    const elements = r.u16("elements");
    const req: WriteTagRequest = {
      kind: "writeTag",
      service: LogixService.codes.writeTag,
      path,
      type: t.type,
      elements,
      data: r.rest(),
    };
    if (t.structureHandle !== undefined) req.structureHandle = t.structureHandle;
    return req;
  },
  sizeOf: (req) => sizeOfWriteTagBody(req, false),
  encode: (w, req) => encodeWriteTagBody(w, req, false),
};

/** Write Tag Fragmented 0x53 request: tag type, UINT element count, UDINT byte offset, then the data. */
export const writeTagFragmentedRequestCodec: RequestCodec<WriteTagFragmentedRequest> = {
  kind: "writeTagFragmented",
  decode(r, _service, path) {
    const t = decodeTagType(r);
    const elements = r.u16("elements");
    const offset = r.u32("offset");
    const req: WriteTagFragmentedRequest = {
      kind: "writeTagFragmented",
      service: LogixService.codes.writeTagFragmented,
      path,
      type: t.type,
      elements,
      offset,
      data: r.rest(),
    };
    if (t.structureHandle !== undefined) req.structureHandle = t.structureHandle;
    return req;
  },
  sizeOf: (req) => sizeOfWriteTagBody(req, true),
  encode: (w, req) => encodeWriteTagBody(w, req, true),
};

/** Read Modify Write Tag 0x4E request: UINT mask size, OR mask, AND mask (both masks must have the same length). */
export const readModifyWriteTagRequestCodec: RequestCodec<ReadModifyWriteTagRequest> = {
  kind: "readModifyWriteTag",
  decode(r, _service, path) {
    const size = r.u16("maskSize");
    const orMask = r.bytesN(size, "orMask");
    const andMask = r.bytesN(size, "andMask");
    return {
      kind: "readModifyWriteTag",
      service: LogixService.codes.readModifyWriteTag,
      path,
      orMask,
      andMask,
    };
  },
  sizeOf: (req) => 2 + req.orMask.length + req.andMask.length,
  encode(w, req) {
    if (req.orMask.length !== req.andMask.length)
      throw new CipEncodeError(
        `"orMask" and "andMask" must have the same length (${req.orMask.length} ≠ ${req.andMask.length})`,
      );
    checkRange("orMask.length", req.orMask.length, 0, 0xffff);
    w.u16(req.orMask.length).raw(req.orMask).raw(req.andMask);
  },
};

/** Get Instance Attribute List 0x55 request: a UINT count (at most `limits.maxAttributes`, default 256) and the UINT ids. */
export const getInstanceAttributeListRequestCodec: RequestCodec<GetInstanceAttributeListRequest> = {
  kind: "getInstanceAttributeList",
  decode: (r, _service, path, options) => ({
    kind: "getInstanceAttributeList",
    service: LogixService.codes.getInstanceAttributeList,
    path,
    attributes: decodeAttributeIds(r, options.limits?.maxAttributes),
  }),
  sizeOf: (req) => sizeOfAttributeIds(req.attributes),
  encode: (w, req) => encodeAttributeIds(w, req.attributes),
};

/** The codec of a Read Tag (0xCC) or Read Tag Fragmented (0xD2) reply: tag type and data, or nothing on error. */
function readTagReplyCodecOf<K extends ReadTagReply["kind"]>(
  kind: K,
): ReplyCodec<ReadTagReply> & { kind: K } {
  return {
    kind,
    decode(r, head) {
      const reply: ReadTagReply = {
        kind,
        service: head.service as ReadTagReply["service"],
        generalStatus: head.generalStatus,
        extStatus: head.extStatus,
        data: EMPTY,
      };
      if (r.remaining === 0) return reply;
      const t = decodeTagType(r);
      reply.type = t.type;
      if (t.structureHandle !== undefined) reply.structureHandle = t.structureHandle;
      reply.data = r.rest();
      return reply;
    },
    sizeOf: (reply) => (reply.type === undefined ? 0 : sizeOfTagType(reply as TagType)) + reply.data.length,
    encode(w, reply) {
      if (reply.type !== undefined) encodeTagType(w, reply as TagType);
      else if (reply.data.length > 0) throw new CipEncodeError(`a read reply with data needs a "type"`);
      w.raw(reply.data);
    },
  };
}

/** Read Tag reply (0xCC): tag type and raw element data; no body on error. */
export const readTagReplyCodec = readTagReplyCodecOf("readTag");
/** Read Tag Fragmented reply (0xD2): tag type and this fragment's raw data; no body on error. */
export const readTagFragmentedReplyCodec = readTagReplyCodecOf("readTagFragmented");

/** The codec of a reply that is status only (Write Tag, Write Tag Fragmented, Read Modify Write Tag). */
function statusOnlyReplyCodecOf<K extends WriteTagReply["kind"]>(
  kind: K,
): ReplyCodec<WriteTagReply> & { kind: K } {
  return {
    kind,
    decode: (_r, head) => ({
      kind,
      service: head.service as WriteTagReply["service"],
      generalStatus: head.generalStatus,
      extStatus: head.extStatus,
    }),
    sizeOf: () => 0,
    encode: () => {},
  };
}

/** Write Tag reply (0xCD): status only. */
export const writeTagReplyCodec = statusOnlyReplyCodecOf("writeTag");
/** Write Tag Fragmented reply (0xD3): status only. */
export const writeTagFragmentedReplyCodec = statusOnlyReplyCodecOf("writeTagFragmented");
/** Read Modify Write Tag reply (0xCE from a tag): status only. */
export const readModifyWriteTagReplyCodec = statusOnlyReplyCodecOf("readModifyWriteTag");

/** Read Template reply (0xCC from a Template instance): the raw template definition bytes. */
export const readTemplateReplyCodec: ReplyCodec<ReadTemplateReply> = {
  kind: "readTemplate",
  decode: (r, head) => ({
    kind: "readTemplate",
    service: head.service as ReadTemplateReply["service"],
    generalStatus: head.generalStatus,
    extStatus: head.extStatus,
    data: r.rest(),
  }),
  sizeOf: (reply) => reply.data.length,
  encode: (w, reply) => {
    w.raw(reply.data);
  },
};

/** Known wire sizes of Symbol attributes: a number of bytes, `"name"` for the UINT-length string, `"dims"` for 3 UDINTs. */
function symbolAttributeForm(id: number): number | "name" | "dims" | undefined {
  switch (id) {
    case SymbolAttributeId.name:
      return "name";
    case SymbolAttributeId.symbolType:
    case SymbolAttributeId.elementSize:
      return 2;
    case SymbolAttributeId.address:
    case SymbolAttributeId.objectAddress:
    case SymbolAttributeId.softwareControl:
      return 4;
    case SymbolAttributeId.dimensions:
      return "dims";
    case SymbolAttributeId.externalAccess:
      return 1;
    default:
      return undefined;
  }
}

/** Most instance records accepted in one Get Instance Attribute List reply by default. */
export const DEFAULT_MAX_SYMBOL_INSTANCES = 4096;
/** Longest symbol name accepted in a Get Instance Attribute List reply by default. */
export const DEFAULT_MAX_SYMBOL_NAME = 1024;

/** Ceilings for Get Instance Attribute List replies. */
export interface SymbolListLimits {
  /** Most instance records; defaults to 4096. */
  maxInstances?: number;
  /** Longest name in bytes; defaults to 1024. */
  maxNameLength?: number;
}

function sizeOfSymbolValue(a: SymbolAttribute): number {
  const form = symbolAttributeForm(a.id);
  if (form === "name") return 2 + (a.value as string).length;
  if (form === "dims") return 12;
  if (form !== undefined) return form;
  if (!(a.value instanceof Uint8Array))
    throw new CipEncodeError(`symbol attribute ${a.id} is unknown: give its value as bytes`);
  return a.value.length;
}

/** Bytes of a Get Instance Attribute List reply body. */
function sizeOfSymbolInstances(instances: readonly SymbolInstance[]): number {
  let size = 0;
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[i] as SymbolInstance;
    size += 4;
    for (let j = 0; j < inst.attributes.length; j++)
      size += sizeOfSymbolValue(inst.attributes[j] as SymbolAttribute);
  }
  return size;
}

function encodeSymbolValue(w: Writer, a: SymbolAttribute): void {
  const form = symbolAttributeForm(a.id);
  const v = a.value;
  if (form === "name") {
    if (typeof v !== "string") throw new CipEncodeError(`symbol attribute 1 (name) must be text`);
    checkRange("name.length", v.length, 0, 0xffff);
    w.u16(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff) throw new CipEncodeError(`symbol name must be ISO-8859-1 text, got ${JSON.stringify(v)}`);
      w.u8(c);
    }
  } else if (form === "dims") {
    if (!Array.isArray(v) || v.length !== 3)
      throw new CipEncodeError(`symbol attribute 8 (dimensions) must be 3 numbers`);
    for (let i = 0; i < 3; i++) {
      checkRange("dimensions", v[i] as number, 0, 0xffffffff);
      w.u32(v[i] as number);
    }
  } else if (form === 1 || form === 2 || form === 4) {
    if (typeof v !== "number") throw new CipEncodeError(`symbol attribute ${a.id} must be a number`);
    checkRange(`attribute ${a.id}`, v, 0, form === 1 ? 0xff : form === 2 ? 0xffff : 0xffffffff);
    if (form === 1) w.u8(v);
    else if (form === 2) w.u16(v);
    else w.u32(v);
  } else w.raw(v as Uint8Array);
}

/** Writes a Get Instance Attribute List reply body: each instance id (UDINT) followed by its attribute values. */
function encodeSymbolInstances(w: Writer, instances: readonly SymbolInstance[]): void {
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[i] as SymbolInstance;
    checkRange("instance", inst.instance, 0, 0xffffffff);
    w.u32(inst.instance);
    for (let j = 0; j < inst.attributes.length; j++)
      encodeSymbolValue(w, inst.attributes[j] as SymbolAttribute);
  }
}

/**
 * Reads a Get Instance Attribute List reply body: records of UDINT instance id then the values of
 * `attributes` in request order, until the body ends. Attribute ids it does not know cannot be split.
 */
function decodeSymbolInstances(
  r: Reader,
  attributes: readonly number[],
  limits?: SymbolListLimits,
): SymbolInstance[] {
  const maxInstances = limits?.maxInstances ?? DEFAULT_MAX_SYMBOL_INSTANCES;
  const maxName = limits?.maxNameLength ?? DEFAULT_MAX_SYMBOL_NAME;
  const out: SymbolInstance[] = [];
  r.enter("instances");
  while (r.remaining > 0) {
    r.ceiling(out.length + 1, maxInstances, out.length);
    r.enter(out.length);
    const instance = r.u32("instance");
    const values = new Array<SymbolAttribute>(attributes.length);
    for (let j = 0; j < attributes.length; j++) {
      const id = attributes[j] as number;
      const form = symbolAttributeForm(id);
      let value: SymbolAttributeValue;
      if (form === "name") {
        const n = r.u16("nameLength");
        r.ceiling(n, maxName, "nameLength");
        value = latin1(r.bytesN(n, "name"));
      } else if (form === "dims") value = [r.u32("dimension0"), r.u32("dimension1"), r.u32("dimension2")];
      else if (form === 1) value = r.u8(id);
      else if (form === 2) value = r.u16(id);
      else if (form === 4) value = r.u32(id);
      else throw r.fail("unsupported", `size of symbol attribute ${id} is unknown`, id);
      values[j] = { id, value };
    }
    out.push({ instance, attributes: values });
    r.leave();
  }
  r.leave();
  return out;
}

/**
 * Get Instance Attribute List reply (0xD5): records of UDINT instance id and the values of the attributes
 * the request asked for, in its order, until the body ends (at most `limits.symbols` instances and name
 * length, defaults 4096 and 1024). Splitting the records needs the request; no body leaves `instances` out.
 */
export const getInstanceAttributeListReplyCodec: ReplyCodec<GetInstanceAttributeListReply> = {
  kind: "getInstanceAttributeList",
  decode(r, head, options) {
    const service = head.service as GetInstanceAttributeListReply["service"];
    const { generalStatus, extStatus } = head;
    if (r.remaining === 0) return { kind: "getInstanceAttributeList", service, generalStatus, extStatus };
    const request = head.request;
    if (request?.kind !== "getInstanceAttributeList")
      throw r.fail("unsupported", "the records cannot be split without the request's attribute ids");
    const attributes = (request as GetInstanceAttributeListRequest).attributes;
    const instances = decodeSymbolInstances(r, attributes, options.limits?.symbols);
    return { kind: "getInstanceAttributeList", service, generalStatus, extStatus, instances };
  },
  sizeOf: (reply) => (reply.instances ? sizeOfSymbolInstances(reply.instances) : 0),
  encode(w, reply) {
    if (reply.instances) encodeSymbolInstances(w, reply.instances);
  },
};

/** A Read Tag request for `elements` (default 1) elements at `path`. */
export function readTagRequest(path: EPath, elements = 1): ReadTagRequest {
  return { kind: "readTag", service: 0x4c, path, elements };
}

/** A Read Tag Fragmented request for `elements` elements at `path`, starting `offset` bytes in (default 0). */
export function readTagFragmentedRequest(
  path: EPath,
  elements: number,
  offset = 0,
): ReadTagFragmentedRequest {
  return { kind: "readTagFragmented", service: 0x52, path, elements, offset };
}

/** A Write Tag request of `elements` elements of `type` (raw `data`) to `path`. */
export function writeTagRequest(
  path: EPath,
  type: TagType,
  elements: number,
  data: Uint8Array,
): WriteTagRequest {
  const req: WriteTagRequest = { kind: "writeTag", service: 0x4d, path, type: type.type, elements, data };
  if (type.structureHandle !== undefined) req.structureHandle = type.structureHandle;
  return req;
}

/** A Write Tag Fragmented request: `data` lands `offset` bytes into the `elements`-element range at `path`. */
export function writeTagFragmentedRequest(
  path: EPath,
  type: TagType,
  elements: number,
  offset: number,
  data: Uint8Array,
): WriteTagFragmentedRequest {
  const req: WriteTagFragmentedRequest = {
    kind: "writeTagFragmented",
    service: 0x53,
    path,
    type: type.type,
    elements,
    offset,
    data,
  };
  if (type.structureHandle !== undefined) req.structureHandle = type.structureHandle;
  return req;
}

/** A Read Modify Write Tag request: bits set in `orMask` are set, bits clear in `andMask` are cleared. */
export function readModifyWriteTagRequest(
  path: EPath,
  orMask: Uint8Array,
  andMask: Uint8Array,
): ReadModifyWriteTagRequest {
  return { kind: "readModifyWriteTag", service: 0x4e, path, orMask, andMask };
}

/**
 * A Get Instance Attribute List request listing symbols from instance `startInstance` (default 0) of the
 * Symbol class, controller-scoped or under `program` (e.g. "Program:MainProgram"); `attributes` default
 * to name, symbol type and dimensions.
 */
export function getInstanceAttributeListRequest(
  startInstance = 0,
  attributes: number[] = [SymbolAttributeId.name, SymbolAttributeId.symbolType, SymbolAttributeId.dimensions],
  program?: string,
): GetInstanceAttributeListRequest {
  const path: EPath = [{ class: SYMBOL_CLASS }, { instance: startInstance }];
  if (program !== undefined) path.unshift({ symbolic: program });
  return { kind: "getInstanceAttributeList", service: 0x55, path, attributes };
}

/** A Read Template request for `bytes` bytes at `offset` (default 0) of template instance `instance`. */
export function readTemplateRequest(instance: number, bytes: number, offset = 0): ReadTemplateRequest {
  return {
    kind: "readTemplate",
    service: 0x4c,
    path: [{ class: TEMPLATE_CLASS }, { instance }],
    offset,
    bytes,
  };
}
