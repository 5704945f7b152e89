/**
 * Bodies of the attribute services every CIP object has (CIP Vol 1 Appendix A): Get Attributes All
 * 0x01, Get Attribute List 0x03, Set Attribute List 0x04, Get Attribute Single 0x0E and Set Attribute
 * Single 0x10. The message router header (service, path, status) is in message.ts.
 */
import type { EPath } from "../cip/epath.js";
import { CipService } from "../cip/services.js";
import type { ReplyStatus } from "../cip/status.js";
import { CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { checkRange, type Writer } from "../core/writer.js";
import type { ReplyCodec, RequestCodec } from "./codec.js";

/**
 * Size in bytes of attribute `attribute` of the object at `path`, or undefined when unknown. Get/Set
 * Attribute List bodies carry values back to back with no lengths, so a decoder needs this to split them.
 */
export type AttributeSizeResolver = (attribute: number, path: EPath) => number | undefined;

/** Get Attributes All 0x01 request: the path names the object; there is no body. */
export interface GetAttributesAllRequest {
  kind: "getAttributesAll";
  service: 0x01;
  path: EPath;
}

/** Get Attribute Single 0x0E request: the path names class, instance and attribute; there is no body. */
export interface GetAttributeSingleRequest {
  kind: "getAttributeSingle";
  service: 0x0e;
  path: EPath;
}

/** Set Attribute Single 0x10 request: the attribute's new value as raw bytes. */
export interface SetAttributeSingleRequest {
  kind: "setAttributeSingle";
  service: 0x10;
  path: EPath;
  data: Uint8Array;
}

/** Get Attribute List 0x03 request: a UINT count and the UINT attribute ids. */
export interface GetAttributeListRequest {
  kind: "getAttributeList";
  service: 0x03;
  path: EPath;
  attributes: number[];
}

/** One attribute id and its value as raw bytes. */
export interface AttributeValue {
  id: number;
  value: Uint8Array;
}

/** Set Attribute List 0x04 request: a UINT count, then each attribute id followed by its value. */
export interface SetAttributeListRequest {
  kind: "setAttributeList";
  service: 0x04;
  path: EPath;
  attributes: AttributeValue[];
}

/** One entry of a Get Attribute List reply: the value is present only when `status` is 0. */
export interface AttributeResult {
  id: number;
  /** Per-attribute status (a general status code, e.g. 0x14 attribute not supported). */
  status: number;
  /** Raw value bytes; absent when `status` is not 0. */
  value?: Uint8Array;
}

/** Get Attribute List reply (0x83); `attributes` is absent when the reply has no body (an error). */
export interface GetAttributeListReply extends ReplyStatus {
  kind: "getAttributeList";
  service: 0x83;
  attributes?: AttributeResult[];
}

/** Set Attribute List reply (0x84): per attribute its id and status; absent when the reply has no body. */
export interface SetAttributeListReply extends ReplyStatus {
  kind: "setAttributeList";
  service: 0x84;
  attributes?: { id: number; status: number }[];
}

/** One entry of a Set Attribute List reply: the attribute id and its status (a general status code). */
type AttributeStatus = { id: number; status: number };

/** Most attributes accepted in one Get/Set Attribute List (or Get Instance Attribute List) by default. */
export const DEFAULT_MAX_ATTRIBUTES = 256;

/** Bytes of a UINT count followed by UINT ids. */
export function sizeOfAttributeIds(ids: readonly number[]): number {
  return 2 + 2 * ids.length;
}

/** Writes a UINT count followed by the UINT ids (the body of Get Attribute List and Get Instance Attribute List). */
export function encodeAttributeIds(w: Writer, ids: readonly number[]): void {
  checkRange("attributes.length", ids.length, 0, 0xffff);
  w.u16(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    checkRange("attribute", id, 0, 0xffff);
    w.u16(id);
  }
}

/** Reads a UINT count (at most `max`, default 256) and that many UINT ids. */
export function decodeAttributeIds(r: Reader, max = DEFAULT_MAX_ATTRIBUTES): number[] {
  const count = r.u16("count");
  r.ceiling(count, max, "count");
  r.need(count * 2, "attributes");
  const ids = new Array<number>(count);
  for (let i = 0; i < count; i++) ids[i] = r.u16("attribute");
  return ids;
}

/** The size of one value: the resolver's answer, else the rest of the body when it is the last one. */
function valueSize(
  r: Reader,
  id: number,
  path: EPath,
  last: boolean,
  resolve?: AttributeSizeResolver,
): number {
  const size = resolve?.(id, path);
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 0)
      throw r.fail("invalid", `attribute ${id}: size resolver gave ${size}`, id);
    return size;
  }
  if (last) return r.remaining;
  throw r.fail("unsupported", `size of attribute ${id} is unknown; pass an attribute size resolver`, id);
}

/** Get Attributes All 0x01 request: no service data. */
export const getAttributesAllRequestCodec: RequestCodec<GetAttributesAllRequest> = {
  kind: "getAttributesAll",
  decode: (_r, _service, path) => ({
    kind: "getAttributesAll",
    service: CipService.codes.getAttributesAll,
    path,
  }),
  sizeOf: () => 0,
  encode: () => {},
};

/** Get Attribute Single 0x0E request: no service data. */
export const getAttributeSingleRequestCodec: RequestCodec<GetAttributeSingleRequest> = {
  kind: "getAttributeSingle",
  decode: (_r, _service, path) => ({
    kind: "getAttributeSingle",
    service: CipService.codes.getAttributeSingle,
    path,
  }),
  sizeOf: () => 0,
  encode: () => {},
};

/** Set Attribute Single 0x10 request: the value as raw bytes, running to the end of the message. */
export const setAttributeSingleRequestCodec: RequestCodec<SetAttributeSingleRequest> = {
  kind: "setAttributeSingle",
  decode: (r, _service, path) => ({
    kind: "setAttributeSingle",
    service: CipService.codes.setAttributeSingle,
    path,
    data: r.rest(),
  }),
  sizeOf: (req) => req.data.length,
  encode: (w, req) => {
    w.raw(req.data);
  },
};

/** Get Attribute List 0x03 request: a UINT count (at most `limits.maxAttributes`, default 256) and the UINT ids. */
export const getAttributeListRequestCodec: RequestCodec<GetAttributeListRequest> = {
  kind: "getAttributeList",
  decode: (r, _service, path, options) => ({
    kind: "getAttributeList",
    service: CipService.codes.getAttributeList,
    path,
    attributes: decodeAttributeIds(r, options.limits?.maxAttributes),
  }),
  sizeOf: (req) => sizeOfAttributeIds(req.attributes),
  encode: (w, req) => encodeAttributeIds(w, req.attributes),
};

/**
 * Set Attribute List 0x04 request: a UINT count (at most `limits.maxAttributes`, default 256), then each
 * id and value; each value's size comes from `options.attributeSize` (the last may take the rest).
 */
export const setAttributeListRequestCodec: RequestCodec<SetAttributeListRequest> = {
  kind: "setAttributeList",
  decode(r, _service, path, options) {
    const count = r.u16("count");
    r.ceiling(count, options.limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES, "count");
    r.need(count * 2, "attributes");
    const attributes = new Array<AttributeValue>(count);
    r.enter("attributes");
    for (let i = 0; i < count; i++) {
      r.enter(i);
      const id = r.u16("id");
      const value = r.bytesN(valueSize(r, id, path, i === count - 1, options.attributeSize), "value");
      attributes[i] = { id, value };
      r.leave();
    }
    r.leave();
    return { kind: "setAttributeList", service: CipService.codes.setAttributeList, path, attributes };
  },
  sizeOf(req) {
    let size = 2;
    for (let i = 0; i < req.attributes.length; i++)
      size += 2 + (req.attributes[i] as AttributeValue).value.length;
    return size;
  },
  encode(w, req) {
    const attributes = req.attributes;
    checkRange("attributes.length", attributes.length, 0, 0xffff);
    w.u16(attributes.length);
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i] as AttributeValue;
      checkRange("attribute", a.id, 0, 0xffff);
      w.u16(a.id).raw(a.value);
    }
  },
};

/**
 * Get Attribute List reply (0x83), spec form: a UINT count (at most `limits.maxAttributes`, default
 * 256), then each id, UINT status and (status 0 only) the value, sized by `options.attributeSize` for the
 * request's path (the last may take the rest). No body (an error reply) leaves `attributes` out.
 */
export const getAttributeListReplyCodec: ReplyCodec<GetAttributeListReply> = {
  kind: "getAttributeList",
  decode(r, head, options) {
    const service = head.service as GetAttributeListReply["service"];
    const { generalStatus, extStatus } = head;
    if (r.remaining === 0) return { kind: "getAttributeList", service, generalStatus, extStatus };
    const path = head.requestPath ?? [];
    const resolve = options.attributeSize;
    const count = r.u16("count");
    r.ceiling(count, options.limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES, "count");
    r.need(count * 4, "attributes");
    const attributes = new Array<AttributeResult>(count);
    r.enter("attributes");
    for (let i = 0; i < count; i++) {
      r.enter(i);
      const id = r.u16("id");
      const status = r.u16("status");
      if (status === 0)
        attributes[i] = {
          id,
          status,
          value: r.bytesN(valueSize(r, id, path, i === count - 1, resolve), "value"),
        };
      else attributes[i] = { id, status };
      r.leave();
    }
    r.leave();
    return { kind: "getAttributeList", service, generalStatus, extStatus, attributes };
  },
  sizeOf(reply) {
    const attributes = reply.attributes;
    if (!attributes) return 0;
    let size = 2;
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i] as AttributeResult;
      size += 4 + (a.status === 0 && a.value ? a.value.length : 0);
    }
    return size;
  },
  encode(w, reply) {
    const attributes = reply.attributes;
    if (!attributes) return;
    checkRange("attributes.length", attributes.length, 0, 0xffff);
    w.u16(attributes.length);
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i] as AttributeResult;
      checkRange("attribute", a.id, 0, 0xffff);
      checkRange("status", a.status, 0, 0xffff);
      if (a.status !== 0 && a.value && a.value.length > 0)
        throw new CipEncodeError(
          `attribute ${a.id} has status ${a.status}: a failed attribute carries no value`,
        );
      w.u16(a.id).u16(a.status);
      if (a.status === 0 && a.value) w.raw(a.value);
    }
  },
};

/**
 * Set Attribute List reply (0x84): a UINT count (at most `limits.maxAttributes`, default 256), then each
 * id and UINT status. No body (an error reply) leaves `attributes` out.
 */
export const setAttributeListReplyCodec: ReplyCodec<SetAttributeListReply> = {
  kind: "setAttributeList",
  decode(r, head, options) {
    const service = head.service as SetAttributeListReply["service"];
    const { generalStatus, extStatus } = head;
    if (r.remaining === 0) return { kind: "setAttributeList", service, generalStatus, extStatus };
    const count = r.u16("count");
    r.ceiling(count, options.limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES, "count");
    r.need(count * 4, "attributes");
    const attributes = new Array<AttributeStatus>(count);
    for (let i = 0; i < count; i++) attributes[i] = { id: r.u16("id"), status: r.u16("status") };
    return { kind: "setAttributeList", service, generalStatus, extStatus, attributes };
  },
  sizeOf: (reply) => (reply.attributes ? 2 + 4 * reply.attributes.length : 0),
  encode(w, reply) {
    const attributes = reply.attributes;
    if (!attributes) return;
    checkRange("attributes.length", attributes.length, 0, 0xffff);
    w.u16(attributes.length);
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i] as AttributeStatus;
      checkRange("attribute", a.id, 0, 0xffff);
      checkRange("status", a.status, 0, 0xffff);
      w.u16(a.id).u16(a.status);
    }
  },
};

/** A Get Attribute List request for `attributes` of the object at `path`. */
export function getAttributeListRequest(path: EPath, attributes: number[]): GetAttributeListRequest {
  return { kind: "getAttributeList", service: 0x03, path, attributes };
}

/** A Get Attribute Single request for the attribute at `path` (class/instance/attribute). */
export function getAttributeSingleRequest(path: EPath): GetAttributeSingleRequest {
  return { kind: "getAttributeSingle", service: 0x0e, path };
}

/** A Get Attributes All request for the object at `path`. */
export function getAttributesAllRequest(path: EPath): GetAttributesAllRequest {
  return { kind: "getAttributesAll", service: 0x01, path };
}

/** A Set Attribute Single request writing raw `data` to the attribute at `path`. */
export function setAttributeSingleRequest(path: EPath, data: Uint8Array): SetAttributeSingleRequest {
  return { kind: "setAttributeSingle", service: 0x10, path, data };
}
