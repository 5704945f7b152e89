/**
 * Message router requests and replies (CIP Vol 1 §2-4): the generic header codecs, and the typed
 * dispatch that decodes a request by (service, target class) and a reply by its service plus an
 * optional hint naming the request it answers.
 *
 * Request: service USINT | path size USINT (words) | path | service data.
 * Reply: service|0x80 USINT | reserved USINT | general status USINT | extended status size USINT (words)
 * | extended status UINT[] | service data.
 */
import {
  type AttributeSizeResolver,
  DEFAULT_MAX_ATTRIBUTES,
  decodeAttributeIds,
  decodeGetAttributeListReplyBody,
  decodeSetAttributeListBody,
  decodeSetAttributeListReplyBody,
  encodeAttributeIds,
  encodeGetAttributeListReplyBody,
  encodeSetAttributeListBody,
  encodeSetAttributeListReplyBody,
  type GetAttributeListReply,
  type GetAttributeListRequest,
  type GetAttributeSingleRequest,
  type GetAttributesAllRequest,
  type SetAttributeListReply,
  type SetAttributeListRequest,
  type SetAttributeSingleRequest,
  sizeOfAttributeIds,
  sizeOfGetAttributeListReplyBody,
  sizeOfSetAttributeListBody,
  sizeOfSetAttributeListReplyBody,
} from "../bodies/attributes.js";
import {
  decodeConnectionFailureBody,
  decodeForwardCloseBody,
  decodeForwardCloseReplyBody,
  decodeForwardOpenBody,
  decodeForwardOpenReplyBody,
  decodeUnconnectedSendReplyBody,
  decodeUnconnectedSendTail,
  encodeConnectionFailureBody,
  encodeForwardCloseBody,
  encodeForwardCloseReplyBody,
  encodeForwardOpenBody,
  encodeForwardOpenReplyBody,
  encodeUnconnectedSendHead,
  encodeUnconnectedSendReplyBody,
  encodeUnconnectedSendTail,
  type ForwardCloseFailure,
  type ForwardCloseReply,
  type ForwardCloseRequest,
  type ForwardOpenFailure,
  type ForwardOpenReply,
  type ForwardOpenRequest,
  sizeOfConnectionFailureBody,
  sizeOfForwardCloseBody,
  sizeOfForwardCloseReplyBody,
  sizeOfForwardOpenBody,
  sizeOfForwardOpenReplyBody,
  sizeOfUnconnectedSendBody,
  sizeOfUnconnectedSendReplyBody,
  type UnconnectedSendReply,
  type UnconnectedSendRequest,
} from "../bodies/connection-manager.js";
import {
  decodeReadModifyWriteBody,
  decodeReadTagReplyBody,
  decodeSymbolInstances,
  decodeWriteTagBody,
  decodeWriteTagFragmentedBody,
  encodeReadModifyWriteBody,
  encodeReadTagReplyBody,
  encodeSymbolInstances,
  encodeWriteTagBody,
  type GetInstanceAttributeListReply,
  type GetInstanceAttributeListRequest,
  type ReadModifyWriteTagRequest,
  type ReadTagFragmentedRequest,
  type ReadTagReply,
  type ReadTagRequest,
  type ReadTemplateReply,
  type ReadTemplateRequest,
  type SymbolListLimits,
  sizeOfReadTagReplyBody,
  sizeOfSymbolInstances,
  sizeOfWriteTagBody,
  type WriteTagFragmentedRequest,
  type WriteTagReply,
  type WriteTagRequest,
} from "../bodies/logix.js";
import {
  DEFAULT_MAX_SERVICES,
  decodeServiceTable,
  encodeServiceTable,
  type MultipleServiceReply,
  type MultipleServiceRequest,
  serviceReader,
} from "../bodies/msp.js";
import { decodePath, type EPath, encodePath, type PathLimits, sizeOfPath } from "../cip/epath.js";
import { CONNECTION_MANAGER_CLASS, isLogixClass, REPLY_BIT, targetClass } from "../cip/services.js";
import { isSuccessStatus, type ReplyStatus } from "../cip/status.js";
import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { checkRange, Writer } from "../core/writer.js";
import { TEMPLATE_CLASS } from "../types/template.js";

/** A message router request with its service data left as bytes. */
export interface MessageRequest {
  service: number;
  path: EPath;
  data: Uint8Array;
}

/** A message router reply with its service data left as bytes. */
export interface MessageReply extends ReplyStatus {
  /** The reply service code (request service | 0x80). */
  service: number;
  data: Uint8Array;
}

/** A request of a service this codec does not decode further (or not on this class): data kept as bytes. */
export interface GenericRequest extends MessageRequest {
  kind: "generic";
}

/** A reply decoded no further than its status (Get Attributes All/Single, unknown services, ambiguous codes). */
export interface GenericReply extends MessageReply {
  kind: "generic";
}

/** Every request the codec decodes, discriminated by `kind` (service codes alone collide across classes). */
export type CipRequest =
  | GetAttributesAllRequest
  | GetAttributeListRequest
  | SetAttributeListRequest
  | MultipleServiceRequest<CipRequest>
  | GetAttributeSingleRequest
  | SetAttributeSingleRequest
  | ReadTagRequest
  | WriteTagRequest
  | ReadModifyWriteTagRequest
  | ReadTagFragmentedRequest
  | WriteTagFragmentedRequest
  | GetInstanceAttributeListRequest
  | ReadTemplateRequest
  | UnconnectedSendRequest<CipRequest>
  | ForwardOpenRequest
  | ForwardCloseRequest
  | GenericRequest;

/** Every reply the codec decodes, discriminated by `kind`. */
export type CipReply =
  | GenericReply
  | GetAttributeListReply
  | SetAttributeListReply
  | MultipleServiceReply<CipReply>
  | ReadTagReply
  | WriteTagReply
  | ReadTemplateReply
  | GetInstanceAttributeListReply
  | UnconnectedSendReply
  | ForwardOpenReply
  | ForwardOpenFailure
  | ForwardCloseReply
  | ForwardCloseFailure;

/** Ceilings for decoding messages from the wire. */
export interface MessageLimits {
  /** Most services in one Multiple Service Packet; defaults to 200. */
  maxServices?: number;
  /** Deepest nesting of Unconnected Send / Multiple Service Packet; defaults to 4. */
  maxDepth?: number;
  /** Most attribute ids in one list; defaults to 256. */
  maxAttributes?: number;
  /** Ceilings of every path; EPATH defaults apply when absent. */
  path?: PathLimits;
  /** Ceilings of Get Instance Attribute List replies. */
  symbols?: SymbolListLimits;
}

/** Options of the typed decoders. */
export interface MessageDecodeOptions {
  limits?: MessageLimits;
  /** Sizes of attribute values for Get/Set Attribute List bodies (values carry no length on the wire). */
  attributeSize?: AttributeSizeResolver;
}

/**
 * What a reply answers, when known. A reply code alone can be ambiguous (0xD2 answers Read Tag
 * Fragmented or Unconnected Send; 0xCE answers Read Modify Write Tag or Forward Close; 0xCC from a
 * template is Read Template), and some bodies can only be split knowing what was asked.
 */
export interface ReplyHint {
  /** The request this reply answers; it gives the service, the path and (for MSP, attribute lists) more. */
  request?: CipRequest;
  /** The request's service code, when the whole request is not at hand. */
  requestService?: number;
  /** The request's path, when the whole request is not at hand. */
  requestPath?: EPath;
}

/** Default deepest nesting of embedded messages. */
export const DEFAULT_MAX_MESSAGE_DEPTH = 4;
const NO_OPTIONS: MessageDecodeOptions = {};
const NO_HINT: ReplyHint = {};
const MAX_PATH_BYTES = 0xff * 2;
/** Shared zero-length placeholder for data fields a decoder fills in afterwards (zero-length views cannot be written). */
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------------
// Generic header codecs.

/** Bytes of a generic request. */
export function sizeOfMessageRequest(req: MessageRequest): number {
  return 2 + sizeOfPath(req.path) + req.data.length;
}

function encodeRequestHeader(w: Writer, service: number, path: EPath): void {
  checkRange("service", service, 0, 0x7f);
  w.u8(service).u8(0);
  // The path size is patched in after the segments are written: one pass over the path instead of two.
  const sizeAt = w.offset - 1;
  encodePath(w, path);
  const bytes = w.offset - sizeAt - 1;
  if (bytes > MAX_PATH_BYTES) throw new CipEncodeError(`request path is ${bytes / 2} words; at most 255 fit`);
  w.bytes[sizeAt] = bytes >> 1;
}

/** Writes a generic request: service, path size, path, data. */
export function encodeMessageRequest(w: Writer, req: MessageRequest): void {
  encodeRequestHeader(w, req.service, req.path);
  w.raw(req.data);
}

function decodeRequestHeader(r: Reader, limits: MessageLimits | undefined): { service: number; path: EPath } {
  const service = r.u8("service");
  if (service & REPLY_BIT)
    throw r.fail(
      "invalid",
      `service 0x${service.toString(16)} has the reply bit set`,
      "service",
      r.offset - 1,
    );
  const words = r.u8("pathSize");
  r.enter("path");
  const path = decodePath(r, words * 2, limits?.path);
  r.leave();
  return { service, path };
}

/** Reads a generic request running to the end of `r` (service data kept as bytes). */
export function decodeMessageRequest(r: Reader, limits?: MessageLimits): MessageRequest {
  const { service, path } = decodeRequestHeader(r, limits);
  return { service, path, data: r.rest() };
}

/** Bytes of a generic reply. */
export function sizeOfMessageReply(reply: MessageReply): number {
  return 4 + 2 * reply.extStatus.length + reply.data.length;
}

function encodeReplyHeader(w: Writer, reply: { service: number } & ReplyStatus): void {
  checkRange("service", reply.service, REPLY_BIT, 0xff);
  checkRange("generalStatus", reply.generalStatus, 0, 0xff);
  checkRange("extStatus.length", reply.extStatus.length, 0, 0xff);
  w.u8(reply.service).u8(0).u8(reply.generalStatus).u8(reply.extStatus.length);
  for (let i = 0; i < reply.extStatus.length; i++) {
    const ext = reply.extStatus[i] as number;
    checkRange("extStatus", ext, 0, 0xffff);
    w.u16(ext);
  }
}

/** Writes a generic reply: service, reserved 0, general status, extended status size and words, data. */
export function encodeMessageReply(w: Writer, reply: MessageReply): void {
  encodeReplyHeader(w, reply);
  w.raw(reply.data);
}

function decodeReplyHeader(r: Reader): { service: number; generalStatus: number; extStatus: number[] } {
  const service = r.u8("service");
  if ((service & REPLY_BIT) === 0)
    throw r.fail("invalid", `service 0x${service.toString(16)} lacks the reply bit`, "service", r.offset - 1);
  r.skip(1, "reserved");
  const generalStatus = r.u8("generalStatus");
  const words = r.u8("extStatusSize");
  r.need(words * 2, "extStatus");
  const extStatus = new Array<number>(words);
  for (let i = 0; i < words; i++) extStatus[i] = r.u16("extStatus");
  return { service, generalStatus, extStatus };
}

/** Reads a generic reply running to the end of `r` (service data kept as bytes). */
export function decodeMessageReply(r: Reader): MessageReply {
  const h = decodeReplyHeader(r);
  return { service: h.service, generalStatus: h.generalStatus, extStatus: h.extStatus, data: r.rest() };
}

// ---------------------------------------------------------------------------------------------------
// Typed requests.

function noTrailing(r: Reader): void {
  if (r.remaining > 0)
    throw r.fail("invalid", `${r.remaining} unexpected byte(s) after the service data`, "data");
}

function decodeRequestAt(r: Reader, o: MessageDecodeOptions, depth: number): CipRequest {
  const limits = o.limits;
  // The header is read inline (not through decodeRequestHeader) to spare an object on the hot path.
  const service = r.u8("service");
  if (service & REPLY_BIT)
    throw r.fail(
      "invalid",
      `service 0x${service.toString(16)} has the reply bit set`,
      "service",
      r.offset - 1,
    );
  const words = r.u8("pathSize");
  r.enter("path");
  const path = decodePath(r, words * 2, limits?.path);
  r.leave();
  const cls = targetClass(path);
  const cm = cls === CONNECTION_MANAGER_CLASS;
  let req: CipRequest;
  switch (service) {
    case 0x01:
      if (r.remaining > 0) return { kind: "generic", service, path, data: r.rest() };
      return { kind: "getAttributesAll", service, path };
    case 0x0e:
      if (r.remaining > 0) return { kind: "generic", service, path, data: r.rest() };
      return { kind: "getAttributeSingle", service, path };
    case 0x10:
      return { kind: "setAttributeSingle", service, path, data: r.rest() };
    case 0x03:
      req = {
        kind: "getAttributeList",
        service,
        path,
        attributes: decodeAttributeIds(r, limits?.maxAttributes),
      };
      break;
    case 0x04:
      req = {
        kind: "setAttributeList",
        service,
        path,
        attributes: decodeSetAttributeListBody(
          r,
          path,
          o.attributeSize,
          limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES,
        ),
      };
      break;
    case 0x0a:
      return decodeMultipleServiceRequest(r, path, o, depth);
    case 0x4c:
      if (cls === TEMPLATE_CLASS) {
        const offset = r.u32("offset");
        req = { kind: "readTemplate", service, path, offset, bytes: r.u16("bytes") };
      } else if (isLogixClass(cls)) req = { kind: "readTag", service, path, elements: r.u16("elements") };
      else return { kind: "generic", service, path, data: r.rest() };
      break;
    case 0x4d:
      if (!isLogixClass(cls)) return { kind: "generic", service, path, data: r.rest() };
      return decodeWriteTagBody(r, path);
    case 0x4e:
      if (cm) req = decodeForwardCloseBody(r, path, limits?.path);
      else if (isLogixClass(cls)) req = decodeReadModifyWriteBody(r, path);
      else return { kind: "generic", service, path, data: r.rest() };
      break;
    case 0x52:
      if (cm) return decodeUnconnectedSendRequest(r, path, o, depth);
      if (!isLogixClass(cls)) return { kind: "generic", service, path, data: r.rest() };
      {
        const elements = r.u16("elements");
        req = { kind: "readTagFragmented", service, path, elements, offset: r.u32("offset") };
      }
      break;
    case 0x53:
      if (!isLogixClass(cls)) return { kind: "generic", service, path, data: r.rest() };
      return decodeWriteTagFragmentedBody(r, path);
    case 0x54:
    case 0x5b:
      if (!cm) return { kind: "generic", service, path, data: r.rest() };
      req = {
        kind: "forwardOpen",
        service,
        path,
        ...decodeForwardOpenBody(r, service === 0x5b, limits?.path),
      };
      break;
    case 0x55:
      if (!isLogixClass(cls)) return { kind: "generic", service, path, data: r.rest() };
      req = {
        kind: "getInstanceAttributeList",
        service,
        path,
        attributes: decodeAttributeIds(r, limits?.maxAttributes),
      };
      break;
    default:
      return { kind: "generic", service, path, data: r.rest() };
  }
  noTrailing(r);
  return req;
}

function decodeMultipleServiceRequest(
  r: Reader,
  path: EPath,
  o: MessageDecodeOptions,
  depth: number,
): MultipleServiceRequest<CipRequest> {
  const maxDepth = o.limits?.maxDepth ?? DEFAULT_MAX_MESSAGE_DEPTH;
  r.ceiling(depth + 1, maxDepth, "requests");
  const table = decodeServiceTable(r, o.limits?.maxServices ?? DEFAULT_MAX_SERVICES);
  const n = table.offsets.length;
  const requests = new Array<CipRequest>(n);
  r.enter("requests");
  for (let i = 0; i < n; i++) {
    r.enter(i);
    requests[i] = decodeRequestAt(serviceReader(r, table, i), o, depth + 1);
    r.leave();
  }
  r.leave();
  r.offset = table.end;
  return { kind: "multipleServicePacket", service: 0x0a, path, requests, offsets: table.offsets };
}

function decodeUnconnectedSendRequest(
  r: Reader,
  path: EPath,
  o: MessageDecodeOptions,
  depth: number,
): UnconnectedSendRequest<CipRequest> {
  const maxDepth = o.limits?.maxDepth ?? DEFAULT_MAX_MESSAGE_DEPTH;
  r.ceiling(depth + 1, maxDepth, "message");
  const priorityTimeTick = r.u8("priorityTimeTick");
  const timeoutTicks = r.u8("timeoutTicks");
  const messageSize = r.u16("messageSize");
  const sub = r.sub(messageSize, "message");
  r.enter("message");
  const message = decodeRequestAt(sub, o, depth + 1);
  r.leave();
  const routePath = decodeUnconnectedSendTail(r, messageSize, o.limits?.path);
  noTrailing(r);
  return { kind: "unconnectedSend", service: 0x52, path, priorityTimeTick, timeoutTicks, message, routePath };
}

/**
 * Reads one request running to the end of `r`, decoded by service and target class (0x52 to `@6/1` is
 * Unconnected Send, elsewhere Read Tag Fragmented; 0x4C to the Template class is Read Template; …).
 * Services it does not know come back as `kind: "generic"` with their data as bytes. Throws CipDecodeError.
 */
export function decodeRequest(r: Reader, options?: MessageDecodeOptions): CipRequest {
  return decodeRequestAt(r, options ?? NO_OPTIONS, 0);
}

/** Reads one request from `bytes` (see `decodeRequest`). */
export function decodeRequestBytes(bytes: Uint8Array, options?: MessageDecodeOptions): CipRequest {
  return decodeRequestAt(new Reader(bytes), options ?? NO_OPTIONS, 0);
}

function sizeOfRequestBody(req: CipRequest): number {
  switch (req.kind) {
    case "getAttributesAll":
    case "getAttributeSingle":
      return 0;
    case "setAttributeSingle":
    case "generic":
      return req.data.length;
    case "getAttributeList":
    case "getInstanceAttributeList":
      return sizeOfAttributeIds(req.attributes);
    case "setAttributeList":
      return sizeOfSetAttributeListBody(req.attributes);
    case "multipleServicePacket": {
      let size = 2 + 2 * req.requests.length;
      for (let i = 0; i < req.requests.length; i++) size += sizeOfRequest(req.requests[i] as CipRequest);
      return size;
    }
    case "readTag":
      return 2;
    case "readTagFragmented":
      return 6;
    case "readTemplate":
      return 6;
    case "writeTag":
      return sizeOfWriteTagBody(req, false);
    case "writeTagFragmented":
      return sizeOfWriteTagBody(req, true);
    case "readModifyWriteTag":
      return 2 + req.orMask.length + req.andMask.length;
    case "unconnectedSend":
      return sizeOfUnconnectedSendBody(sizeOfRequest(req.message), req.routePath);
    case "forwardOpen":
      return sizeOfForwardOpenBody(req, req.service === 0x5b);
    case "forwardClose":
      return sizeOfForwardCloseBody(req);
  }
}

/** Bytes of `req` on the wire. */
export function sizeOfRequest(req: CipRequest): number {
  return 2 + sizeOfPath(req.path) + sizeOfRequestBody(req);
}

/** Writes `req`: header, then its service data (embedded messages laid out in full). Throws CipEncodeError. */
export function encodeRequest(w: Writer, req: CipRequest): void {
  encodeRequestHeader(w, req.service, req.path);
  switch (req.kind) {
    case "getAttributesAll":
    case "getAttributeSingle":
      return;
    case "setAttributeSingle":
    case "generic":
      w.raw(req.data);
      return;
    case "getAttributeList":
    case "getInstanceAttributeList":
      encodeAttributeIds(w, req.attributes);
      return;
    case "setAttributeList":
      encodeSetAttributeListBody(w, req.attributes);
      return;
    case "multipleServicePacket": {
      const n = req.requests.length;
      const sizes = new Array<number>(n);
      for (let i = 0; i < n; i++) sizes[i] = sizeOfRequest(req.requests[i] as CipRequest);
      encodeServiceTable(w, sizes);
      for (let i = 0; i < n; i++) encodeRequest(w, req.requests[i] as CipRequest);
      return;
    }
    case "readTag":
      checkRange("elements", req.elements, 0, 0xffff);
      w.u16(req.elements);
      return;
    case "readTagFragmented":
      checkRange("elements", req.elements, 0, 0xffff);
      checkRange("offset", req.offset, 0, 0xffffffff);
      w.u16(req.elements).u32(req.offset);
      return;
    case "readTemplate":
      checkRange("offset", req.offset, 0, 0xffffffff);
      checkRange("bytes", req.bytes, 0, 0xffff);
      w.u32(req.offset).u16(req.bytes);
      return;
    case "writeTag":
    case "writeTagFragmented":
      encodeWriteTagBody(w, req);
      return;
    case "readModifyWriteTag":
      encodeReadModifyWriteBody(w, req);
      return;
    case "unconnectedSend": {
      // The message size is patched in after the message is written, sparing a sizing pass.
      encodeUnconnectedSendHead(w, req, 0);
      const sizeAt = w.offset - 2;
      encodeRequest(w, req.message);
      const messageSize = w.offset - sizeAt - 2;
      checkRange("messageSize", messageSize, 0, 0xffff);
      w.patchU16(sizeAt, messageSize);
      encodeUnconnectedSendTail(w, req.routePath, messageSize);
      return;
    }
    case "forwardOpen":
      encodeForwardOpenBody(w, req, req.service === 0x5b);
      return;
    case "forwardClose":
      encodeForwardCloseBody(w, req);
      return;
  }
}

/** `req` as bytes, in one exactly sized buffer. */
export function encodeRequestBytes(req: CipRequest): Uint8Array {
  const w = new Writer(sizeOfRequest(req));
  encodeRequest(w, req);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------
// Typed replies.

function generic(
  h: { service: number; generalStatus: number; extStatus: number[] },
  r: Reader,
): GenericReply {
  return {
    kind: "generic",
    service: h.service,
    generalStatus: h.generalStatus,
    extStatus: h.extStatus,
    data: r.rest(),
  };
}

/** A status-only reply kind, or generic when a body came along after all. */
function statusOnly(
  kind: WriteTagReply["kind"],
  h: { service: number; generalStatus: number; extStatus: number[] },
  r: Reader,
): CipReply {
  if (r.remaining > 0) return generic(h, r);
  return {
    kind,
    service: h.service as WriteTagReply["service"],
    generalStatus: h.generalStatus,
    extStatus: h.extStatus,
  };
}

/**
 * The request a reply answers when the hint is an Unconnected Send: a target strips the wrapper and
 * answers with the embedded service's reply, so the embedded request is meant unless the reply is the
 * Unconnected Send's own error (code 0xD2 for an embedded service other than 0x52, or an error with a
 * 1..2-byte body, i.e. a remaining path size, when the embedded service is Read Tag Fragmented too).
 */
function answeredRequest(
  request: CipRequest | undefined,
  replyService: number,
  generalStatus: number,
  bodyBytes: number,
): CipRequest | undefined {
  let current = request;
  while (current?.kind === "unconnectedSend") {
    const inner: CipRequest = current.message;
    if ((inner.service | REPLY_BIT) !== replyService) return current;
    const ownError =
      replyService === 0xd2 && !isSuccessStatus(generalStatus) && bodyBytes >= 1 && bodyBytes <= 2;
    if (ownError) return current;
    current = inner;
  }
  return current;
}

function decodeReplyAt(r: Reader, hint: ReplyHint, o: MessageDecodeOptions, depth: number): CipReply {
  const h = decodeReplyHeader(r);
  const code = h.service & ~REPLY_BIT;
  let request = answeredRequest(hint.request, h.service, h.generalStatus, r.remaining);
  let hintService = request ? request.service : hint.requestService;
  let hintPath = request ? request.path : hint.requestPath;
  if (hintService !== undefined && hintService !== code) {
    // The hint names another service: this reply does not answer it, so decode as if no hint was given.
    request = undefined;
    hintService = undefined;
    hintPath = undefined;
  }
  const known = hintService !== undefined || hintPath !== undefined;
  const cls = hintPath ? targetClass(hintPath) : undefined;
  const cm = known && cls === CONNECTION_MANAGER_CLASS;
  const logix = !known || isLogixClass(cls);
  const body = r.remaining > 0;
  const status = { generalStatus: h.generalStatus, extStatus: h.extStatus };
  let reply: CipReply;
  switch (h.service) {
    case 0x83: {
      if (!body) return { kind: "getAttributeList", service: 0x83, ...status };
      const attributes = decodeGetAttributeListReplyBody(
        r,
        hintPath ?? [],
        o.attributeSize,
        o.limits?.maxAttributes,
      );
      reply = { kind: "getAttributeList", service: 0x83, ...status, attributes };
      break;
    }
    case 0x84: {
      if (!body) return { kind: "setAttributeList", service: 0x84, ...status };
      const attributes = decodeSetAttributeListReplyBody(r, o.limits?.maxAttributes);
      reply = { kind: "setAttributeList", service: 0x84, ...status, attributes };
      break;
    }
    case 0x8a:
      return decodeMultipleServiceReply(r, status, request, o, depth);
    case 0xcc:
      if (known && cls === TEMPLATE_CLASS)
        return { kind: "readTemplate", service: 0xcc, ...status, data: r.rest() };
      if (!logix) return generic(h, r);
      reply = {
        kind: "readTag",
        service: 0xcc,
        generalStatus: h.generalStatus,
        extStatus: h.extStatus,
        data: EMPTY,
      };
      decodeReadTagReplyBody(r, reply);
      break;
    case 0xd2:
      if (cm) {
        reply = { kind: "unconnectedSend", service: 0xd2, ...status };
        decodeUnconnectedSendReplyBody(r, reply);
        break;
      }
      // Without a hint only a successful reply with a body is known to be Read Tag Fragmented: an
      // Unconnected Send reply with code 0xD2 is always an error (success returns the embedded reply).
      if ((known && logix) || (!known && body && (h.generalStatus === 0x00 || h.generalStatus === 0x06))) {
        reply = {
          kind: "readTagFragmented",
          service: 0xd2,
          generalStatus: h.generalStatus,
          extStatus: h.extStatus,
          data: EMPTY,
        };
        decodeReadTagReplyBody(r, reply);
        break;
      }
      return generic(h, r);
    case 0xcd:
      return logix ? statusOnly("writeTag", h, r) : generic(h, r);
    case 0xd3:
      return logix ? statusOnly("writeTagFragmented", h, r) : generic(h, r);
    case 0xce:
      if (known && logix) return statusOnly("readModifyWriteTag", h, r);
      if (cm || (!known && body)) {
        if (h.generalStatus === 0) {
          reply = {
            kind: "forwardClose",
            service: 0xce,
            ...status,
            connectionSerial: 0,
            originatorVendor: 0,
            originatorSerial: 0,
            applicationReply: EMPTY,
          };
          decodeForwardCloseReplyBody(r, reply);
        } else {
          reply = { kind: "forwardCloseFailure", service: 0xce, ...status };
          decodeConnectionFailureBody(r, reply);
        }
        break;
      }
      return generic(h, r);
    case 0xd4:
    case 0xdb:
      if (known && !cm) return generic(h, r);
      if (h.generalStatus === 0) {
        reply = {
          kind: "forwardOpen",
          service: h.service,
          ...status,
          otConnectionId: 0,
          toConnectionId: 0,
          connectionSerial: 0,
          originatorVendor: 0,
          originatorSerial: 0,
          otApiUs: 0,
          toApiUs: 0,
          applicationReply: EMPTY,
        };
        decodeForwardOpenReplyBody(r, reply);
      } else {
        reply = { kind: "forwardOpenFailure", service: h.service, ...status };
        decodeConnectionFailureBody(r, reply);
      }
      break;
    case 0xd5: {
      if (!logix) return generic(h, r);
      if (!body) return { kind: "getInstanceAttributeList", service: 0xd5, ...status };
      if (request?.kind !== "getInstanceAttributeList") return generic(h, r);
      const instances = decodeSymbolInstances(r, request.attributes, undefined, o.limits?.symbols);
      reply = { kind: "getInstanceAttributeList", service: 0xd5, ...status, instances };
      break;
    }
    default:
      return generic(h, r);
  }
  noTrailing(r);
  return reply;
}

function decodeMultipleServiceReply(
  r: Reader,
  status: ReplyStatus,
  request: CipRequest | undefined,
  o: MessageDecodeOptions,
  depth: number,
): MultipleServiceReply<CipReply> {
  if (r.remaining === 0) return { kind: "multipleServicePacket", service: 0x8a, ...status };
  r.ceiling(depth + 1, o.limits?.maxDepth ?? DEFAULT_MAX_MESSAGE_DEPTH, "replies");
  const table = decodeServiceTable(r, o.limits?.maxServices ?? DEFAULT_MAX_SERVICES);
  const n = table.offsets.length;
  const subRequests = request?.kind === "multipleServicePacket" ? request.requests : undefined;
  const replies = new Array<CipReply>(n);
  r.enter("replies");
  for (let i = 0; i < n; i++) {
    r.enter(i);
    const sub = subRequests?.[i];
    replies[i] = decodeReplyAt(serviceReader(r, table, i), sub ? { request: sub } : NO_HINT, o, depth + 1);
    r.leave();
  }
  r.leave();
  r.offset = table.end;
  return { kind: "multipleServicePacket", service: 0x8a, ...status, replies, offsets: table.offsets };
}

/**
 * Reads one reply running to the end of `r`. `hint` (the request it answers, or its service and path)
 * settles ambiguous codes and splits bodies that need the request (Get Instance Attribute List, MSP
 * sub-replies); without it a bare or unresolvable reply comes back as `kind: "generic"`. A hint whose
 * service differs from the reply's is ignored. Throws CipDecodeError.
 */
export function decodeReply(r: Reader, hint?: ReplyHint, options?: MessageDecodeOptions): CipReply {
  return decodeReplyAt(r, hint ?? NO_HINT, options ?? NO_OPTIONS, 0);
}

/** Reads one reply from `bytes` (see `decodeReply`). */
export function decodeReplyBytes(
  bytes: Uint8Array,
  hint?: ReplyHint,
  options?: MessageDecodeOptions,
): CipReply {
  return decodeReplyAt(new Reader(bytes), hint ?? NO_HINT, options ?? NO_OPTIONS, 0);
}

function sizeOfReplyBody(reply: CipReply): number {
  switch (reply.kind) {
    case "generic":
    case "readTemplate":
      return reply.data.length;
    case "getAttributeList":
      return reply.attributes ? sizeOfGetAttributeListReplyBody(reply.attributes) : 0;
    case "setAttributeList":
      return reply.attributes ? sizeOfSetAttributeListReplyBody(reply.attributes) : 0;
    case "multipleServicePacket": {
      if (!reply.replies) return 0;
      let size = 2 + 2 * reply.replies.length;
      for (let i = 0; i < reply.replies.length; i++) size += sizeOfReply(reply.replies[i] as CipReply);
      return size;
    }
    case "readTag":
    case "readTagFragmented":
      return sizeOfReadTagReplyBody(reply);
    case "writeTag":
    case "writeTagFragmented":
    case "readModifyWriteTag":
      return 0;
    case "getInstanceAttributeList":
      return reply.instances ? sizeOfSymbolInstances(reply.instances) : 0;
    case "unconnectedSend":
      return sizeOfUnconnectedSendReplyBody(reply);
    case "forwardOpen":
      return sizeOfForwardOpenReplyBody(reply);
    case "forwardClose":
      return sizeOfForwardCloseReplyBody(reply);
    case "forwardOpenFailure":
    case "forwardCloseFailure":
      return sizeOfConnectionFailureBody(reply);
  }
}

/** Bytes of `reply` on the wire. */
export function sizeOfReply(reply: CipReply): number {
  return 4 + 2 * reply.extStatus.length + sizeOfReplyBody(reply);
}

/** Writes `reply`: header with status, then its service data. Throws CipEncodeError. */
export function encodeReply(w: Writer, reply: CipReply): void {
  encodeReplyHeader(w, reply);
  switch (reply.kind) {
    case "generic":
    case "readTemplate":
      w.raw(reply.data);
      return;
    case "getAttributeList":
      if (reply.attributes) encodeGetAttributeListReplyBody(w, reply.attributes);
      return;
    case "setAttributeList":
      if (reply.attributes) encodeSetAttributeListReplyBody(w, reply.attributes);
      return;
    case "multipleServicePacket": {
      const replies = reply.replies;
      if (!replies) return;
      const sizes = new Array<number>(replies.length);
      for (let i = 0; i < replies.length; i++) sizes[i] = sizeOfReply(replies[i] as CipReply);
      encodeServiceTable(w, sizes);
      for (let i = 0; i < replies.length; i++) encodeReply(w, replies[i] as CipReply);
      return;
    }
    case "readTag":
    case "readTagFragmented":
      encodeReadTagReplyBody(w, reply);
      return;
    case "writeTag":
    case "writeTagFragmented":
    case "readModifyWriteTag":
      return;
    case "getInstanceAttributeList":
      if (reply.instances) encodeSymbolInstances(w, reply.instances);
      return;
    case "unconnectedSend":
      encodeUnconnectedSendReplyBody(w, reply);
      return;
    case "forwardOpen":
      encodeForwardOpenReplyBody(w, reply);
      return;
    case "forwardClose":
      encodeForwardCloseReplyBody(w, reply);
      return;
    case "forwardOpenFailure":
    case "forwardCloseFailure":
      encodeConnectionFailureBody(w, reply);
      return;
  }
}

/** `reply` as bytes, in one exactly sized buffer. */
export function encodeReplyBytes(reply: CipReply): Uint8Array {
  const w = new Writer(sizeOfReply(reply));
  encodeReply(w, reply);
  return w.finish();
}
