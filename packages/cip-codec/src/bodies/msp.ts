/**
 * Multiple Service Packet 0x0A (CIP Vol 1 § and §5A-2.3.1.1): a UINT count, UINT offsets (from the
 * start of the count field) and the embedded requests or replies back to back. This module reads and
 * writes the count/offset table; the embedded messages go through the codec message.ts hands in.
 */
import type { EPath } from "../cip/epath.js";
import { CipService, MESSAGE_ROUTER_PATH } from "../cip/services.js";
import { isSuccessStatus, type ReplyStatus } from "../cip/status.js";
import { CipEncodeError } from "../core/errors.js";
import { Reader } from "../core/reader.js";
import { checkRange, type Writer } from "../core/writer.js";
import {
  checkNesting,
  type EmbeddedReplies,
  type EmbeddedRequests,
  type Kinded,
  type ReplyCodec,
  type RequestCodec,
} from "./codec.js";

/** Most embedded services accepted in one Multiple Service Packet by default. */
export const DEFAULT_MAX_SERVICES = 200;

/** Multiple Service Packet request (usually to the Message Router `@2/1`). */
export interface MultipleServiceRequest<R> {
  kind: "multipleServicePacket";
  service: 0x0a;
  path: EPath;
  requests: R[];
  /** Offsets as read from the wire; encoders ignore them and lay the requests out back to back. */
  offsets?: number[];
}

/** Multiple Service Packet reply (0x8A); general status 0x1E means at least one embedded reply failed. */
export interface MultipleServiceReply<P> extends ReplyStatus {
  kind: "multipleServicePacket";
  service: 0x8a;
  /** Absent when the reply has no body (e.g. status 0x08: the target has no Message Router). */
  replies?: P[];
  /** Offsets as read from the wire; encoders ignore them and lay the replies out back to back. */
  offsets?: number[];
}

/** The count/offset table of a Multiple Service Packet body as read from the wire. */
export interface ServiceTable {
  /** Absolute offset of the count field, which the offsets count from. */
  start: number;
  /** Absolute offset one past the last embedded message. */
  end: number;
  offsets: number[];
}

/**
 * Reads the count (at most `maxServices`, default 200) and offsets of a body that runs to the end of `r`;
 * offsets must point past the table, increase strictly and stay inside the body. Leaves `r` after the table.
 */
export function decodeServiceTable(r: Reader, maxServices = DEFAULT_MAX_SERVICES): ServiceTable {
  const start = r.offset;
  const length = r.end - start;
  const count = r.u16("count");
  r.ceiling(count, maxServices, "count");
  r.need(count * 2, "offsets");
  const offsets = new Array<number>(count);
  const tableEnd = 2 + count * 2;
  let previous = tableEnd - 1;
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const offset = r.u16(i);
    if (offset <= previous || offset >= length)
      throw r.fail(
        "invalid",
        `offset ${offset} must be greater than ${previous} and less than the body length ${length}`,
        `offsets[${i}]`,
        at,
      );
    offsets[i] = offset;
    previous = offset;
  }
  return { start, end: r.end, offsets };
}

/** A reader over embedded message `i` of `table` (sharing `r`'s field path). */
function serviceReader(r: Reader, table: ServiceTable, i: number): Reader {
  const from = table.start + (table.offsets[i] as number);
  const to = i + 1 < table.offsets.length ? table.start + (table.offsets[i + 1] as number) : table.end;
  return new Reader(r.bytes, from, to, r.path);
}

/** Writes the count and the offsets of messages of `sizes` bytes laid out back to back after the table. */
function encodeServiceTable(w: Writer, sizes: readonly number[]): void {
  checkRange("count", sizes.length, 0, 0xffff);
  w.u16(sizes.length);
  let offset = 2 + 2 * sizes.length;
  for (let i = 0; i < sizes.length; i++) {
    if (offset > 0xffff)
      throw new CipEncodeError(`Multiple Service Packet is too large: offset ${offset} exceeds 65535`);
    w.u16(offset);
    offset += sizes[i] as number;
  }
}

/**
 * The codec of a Multiple Service Packet 0x0A request whose embedded requests `M` are read and written
 * by `embedded`: at most `limits.maxServices` (default 200), nested at most `limits.maxDepth` deep
 * (default 4); encoding lays the requests out back to back.
 */
export function multipleServiceRequestCodec<M>(
  embedded: EmbeddedRequests<M>,
): RequestCodec<MultipleServiceRequest<M>> {
  return {
    kind: "multipleServicePacket",
    decode(r, _service, path, options, depth) {
      checkNesting(r, depth, options, "requests");
      const table = decodeServiceTable(r, options.limits?.maxServices ?? DEFAULT_MAX_SERVICES);
      const n = table.offsets.length;
      const requests = new Array<M>(n);
      r.enter("requests");
      for (let i = 0; i < n; i++) {
        r.enter(i);
        requests[i] = embedded.decode(serviceReader(r, table, i), options, depth + 1);
        r.leave();
      }
      r.leave();
      r.offset = table.end;
      return {
        kind: "multipleServicePacket",
        service: CipService.codes.multipleServicePacket,
        path,
        requests,
        offsets: table.offsets,
      };
    },
    sizeOf(req) {
      let size = 2 + 2 * req.requests.length;
      for (let i = 0; i < req.requests.length; i++) size += embedded.sizeOf(req.requests[i] as M);
      return size;
    },
    encode(w, req) {
      const n = req.requests.length;
      const sizes = new Array<number>(n);
      for (let i = 0; i < n; i++) sizes[i] = embedded.sizeOf(req.requests[i] as M);
      encodeServiceTable(w, sizes);
      for (let i = 0; i < n; i++) embedded.encode(w, req.requests[i] as M);
    },
  };
}

/** True when `request` is a Multiple Service Packet of requests `Q` (its `kind` says so). */
function isMultipleServiceRequest<Q extends Kinded>(
  request: Q | undefined,
): request is Q & MultipleServiceRequest<Q> {
  return request?.kind === "multipleServicePacket";
}

/**
 * The codec of a Multiple Service Packet reply (0x8A) whose embedded replies `P` are read and written by
 * `embedded`, each told the matching embedded request when the reply answers a Multiple Service Packet
 * request `Q`. Limits as for the request; a reply without a body (e.g. status 0x08) leaves `replies` out.
 */
export function multipleServiceReplyCodec<P, Q extends Kinded>(
  embedded: EmbeddedReplies<P, Q>,
): ReplyCodec<MultipleServiceReply<P>, Q> {
  return {
    kind: "multipleServicePacket",
    decode(r, head, options, depth) {
      const service = head.service as MultipleServiceReply<P>["service"];
      const { generalStatus, extStatus } = head;
      if (r.remaining === 0) return { kind: "multipleServicePacket", service, generalStatus, extStatus };
      checkNesting(r, depth, options, "replies");
      const table = decodeServiceTable(r, options.limits?.maxServices ?? DEFAULT_MAX_SERVICES);
      const n = table.offsets.length;
      const request = head.request;
      const subRequests = isMultipleServiceRequest(request) ? request.requests : undefined;
      const replies = new Array<P>(n);
      r.enter("replies");
      for (let i = 0; i < n; i++) {
        r.enter(i);
        replies[i] = embedded.decode(serviceReader(r, table, i), subRequests?.[i], options, depth + 1);
        r.leave();
      }
      r.leave();
      r.offset = table.end;
      return {
        kind: "multipleServicePacket",
        service,
        generalStatus,
        extStatus,
        replies,
        offsets: table.offsets,
      };
    },
    sizeOf(reply) {
      const replies = reply.replies;
      if (!replies) return 0;
      let size = 2 + 2 * replies.length;
      for (let i = 0; i < replies.length; i++) size += embedded.sizeOf(replies[i] as P);
      return size;
    },
    encode(w, reply) {
      const replies = reply.replies;
      if (!replies) return;
      const sizes = new Array<number>(replies.length);
      for (let i = 0; i < replies.length; i++) sizes[i] = embedded.sizeOf(replies[i] as P);
      encodeServiceTable(w, sizes);
      for (let i = 0; i < replies.length; i++) embedded.encode(w, replies[i] as P);
    },
  };
}

/** A Multiple Service Packet of `requests` to `path` (default the Message Router `@2/1`). */
export function multipleServicePacket<R>(requests: R[], path?: EPath): MultipleServiceRequest<R> {
  return {
    kind: "multipleServicePacket",
    service: 0x0a,
    path: path ?? MESSAGE_ROUTER_PATH,
    requests,
  };
}

/**
 * A Multiple Service Packet reply carrying `replies`; its general status is 0x1E (embedded service
 * error) when any reply's status is neither 0x00 nor 0x06, else 0x00.
 */
export function multipleServiceReply<P extends ReplyStatus>(replies: P[]): MultipleServiceReply<P> {
  let failed = false;
  for (let i = 0; i < replies.length; i++)
    if (!isSuccessStatus((replies[i] as P).generalStatus)) failed = true;
  return {
    kind: "multipleServicePacket",
    service: 0x8a,
    generalStatus: failed ? 0x1e : 0x00,
    extStatus: [],
    replies,
  };
}
