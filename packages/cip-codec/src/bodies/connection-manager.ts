/**
 * Bodies of the Connection Manager (class 0x06) services, CIP Vol 1 §3-5.5: Unconnected Send 0x52,
 * Forward Open 0x54, Large Forward Open 0x5B and Forward Close 0x4E, their replies and error replies,
 * and the network connection parameter words, as one codec record per request and reply kind. The
 * embedded message of an Unconnected Send is read and written by the codec message.ts hands in.
 */
import {
  decodePathWithSize,
  type EPath,
  encodePathWithSize,
  type PathLimits,
  sizeOfPathWithSize,
} from "../cip/epath.js";
import { CONNECTION_MANAGER_CLASS, ConnectionManagerService, MESSAGE_ROUTER_PATH } from "../cip/services.js";
import type { ReplyStatus } from "../cip/status.js";
import { CipEncodeError } from "../core/errors.js";
import type { Reader } from "../core/reader.js";
import { codeTable } from "../core/table.js";
import { checkRange, type Writer } from "../core/writer.js";
import { checkNesting, type EmbeddedRequests, type ReplyCodec, type RequestCodec } from "./codec.js";

/** A new path to the Connection Manager object `@6/1`, the usual target of Unconnected Send and Forward Open/Close. */
export function connectionManagerPath(): EPath {
  return [{ class: CONNECTION_MANAGER_CLASS }, { instance: 1 }];
}

/** A new default connection path: backplane port 1, slot 0, then the Message Router `@2/1` (`1/0/@2/1`). */
function defaultConnectionPath(): EPath {
  return [{ port: 1, link: 0 }, ...MESSAGE_ROUTER_PATH];
}

const PADDED = { padded: true } as const;
/** Shared zero-length placeholder for data a decoder fills in afterwards (zero-length views cannot be written). */
const EMPTY = new Uint8Array(0);

/** Unconnected Send 0x52 request: an embedded message routed along `routePath`. */
export interface UnconnectedSendRequest<M> {
  kind: "unconnectedSend";
  service: 0x52;
  path: EPath;
  /** Priority bit (4) and tick time (low nibble: tick = 2^n ms), as the raw byte. */
  priorityTimeTick: number;
  /** Timeout in ticks. */
  timeoutTicks: number;
  /** The embedded request. */
  message: M;
  /** Where to route the message (ports and links), e.g. backplane slot 0 = `[{ port: 1, link: 0 }]`. */
  routePath: EPath;
}

/** Unconnected Send error reply (0xD2 from the Connection Manager): the route failed. */
export interface UnconnectedSendReply extends ReplyStatus {
  kind: "unconnectedSend";
  service: 0xd2;
  /** Words of route path left unprocessed where the routing error happened; absent when not sent. */
  remainingPathWords?: number;
}

/** Fields shared by Forward Open and Large Forward Open requests. */
export interface ForwardOpenFields {
  /** Priority bit and tick time, as the raw byte. */
  priorityTimeTick: number;
  timeoutTicks: number;
  /** O→T network connection id (chosen by the target for point-to-point). */
  otConnectionId: number;
  /** T→O network connection id (chosen by the originator). */
  toConnectionId: number;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  /** Connection timeout multiplier code: timeout = RPI × 4 × 2^n (0..7; larger values are reserved). */
  timeoutMultiplier: number;
  /** Requested O→T packet interval in µs. */
  otRpiUs: number;
  /** O→T network connection parameters word (UINT in Forward Open, UDINT in Large Forward Open). */
  otParams: number;
  /** Requested T→O packet interval in µs. */
  toRpiUs: number;
  /** T→O network connection parameters word. */
  toParams: number;
  /** Transport class and trigger byte, e.g. 0xA3 = server, application object trigger, class 3. */
  transportClassTrigger: number;
  /** The path to the connection's target, e.g. `[{port:1,link:0},{class:2},{instance:1}]`. */
  connectionPath: EPath;
}

/** Forward Open (0x54, 16-bit parameters) or Large Forward Open (0x5B, 32-bit parameters) request. */
export interface ForwardOpenRequest extends ForwardOpenFields {
  kind: "forwardOpen";
  service: 0x54 | 0x5b;
  path: EPath;
}

/** Successful Forward Open / Large Forward Open reply. */
export interface ForwardOpenReply extends ReplyStatus {
  kind: "forwardOpen";
  service: 0xd4 | 0xdb;
  otConnectionId: number;
  toConnectionId: number;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  /** Actual O→T packet interval in µs. */
  otApiUs: number;
  /** Actual T→O packet interval in µs. */
  toApiUs: number;
  /** Application reply data (a whole number of words; usually empty). */
  applicationReply: Uint8Array;
}

/** Failed Forward Open / Large Forward Open reply (general status ≠ 0, e.g. 0x01 with extended 0x0100). */
export interface ForwardOpenFailure extends ReplyStatus {
  kind: "forwardOpenFailure";
  service: 0xd4 | 0xdb;
  /** The identifying triple, echoed by the target; absent when the reply has no body. */
  connectionSerial?: number;
  originatorVendor?: number;
  originatorSerial?: number;
  /** Words of connection path left unprocessed; optional on the wire (some targets leave it out). */
  remainingPathWords?: number;
}

/** Forward Close 0x4E request. */
export interface ForwardCloseRequest {
  kind: "forwardClose";
  service: 0x4e;
  path: EPath;
  priorityTimeTick: number;
  timeoutTicks: number;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  /** The connection path given at Forward Open (sent padded: size, reserved, segments). */
  connectionPath: EPath;
}

/** Successful Forward Close reply. */
export interface ForwardCloseReply extends ReplyStatus {
  kind: "forwardClose";
  service: 0xce;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  applicationReply: Uint8Array;
}

/** Failed Forward Close reply; some targets send only the status. */
export interface ForwardCloseFailure extends ReplyStatus {
  kind: "forwardCloseFailure";
  service: 0xce;
  connectionSerial?: number;
  originatorVendor?: number;
  originatorSerial?: number;
  remainingPathWords?: number;
}

/** Connection type of a network connection parameters word (CIP Vol 1 §3-5.5.1.1). */
export const ConnectionType = codeTable(
  { null: 0, multicast: 1, pointToPoint: 2, reserved: 3 },
  { null: "Null", multicast: "Multicast", pointToPoint: "Point to point", reserved: "Reserved" },
);

/** Priority of a network connection parameters word (CIP Vol 1 §3-5.5.1.1). */
export const ConnectionPriority = codeTable(
  { low: 0, high: 1, scheduled: 2, urgent: 3 },
  { low: "Low", high: "High", scheduled: "Scheduled", urgent: "Urgent" },
);

/** A network connection parameters word broken into its fields. */
export interface NetworkConnectionParameters {
  /** Redundant owner bit. */
  redundantOwner: boolean;
  /** See `ConnectionType` (2 = point to point). */
  connectionType: number;
  /** See `ConnectionPriority` (0 = low). */
  priority: number;
  /** True for a variable-size connection, false for fixed. */
  variable: boolean;
  /** Connection size in bytes: 0..511 in a Forward Open, 0..65535 in a Large Forward Open. */
  size: number;
}

// Standard (UINT) word: bit 15 owner, 14-13 type, 11-10 priority, 9 variable, 8-0 size.
const NCP_OWNER_SHIFT = 15;
const NCP_TYPE_SHIFT = 13;
const NCP_PRIORITY_SHIFT = 10;
const NCP_VARIABLE_SHIFT = 9;
const NCP_SIZE_MASK = 0x1ff;
// Large (UDINT) word: the same fields 16 bits up, and a 16-bit size.
const LARGE_SHIFT = 16;
const LARGE_SIZE_MASK = 0xffff;
const TWO_BITS = 0x3;

/** Splits a network connection parameters word; `large` (default false) for a Large Forward Open's UDINT. */
export function decodeNetworkConnectionParameters(word: number, large = false): NetworkConnectionParameters {
  const hi = large ? Math.floor(word / 0x10000) : word;
  return {
    redundantOwner: ((hi >>> NCP_OWNER_SHIFT) & 1) === 1,
    connectionType: (hi >>> NCP_TYPE_SHIFT) & TWO_BITS,
    priority: (hi >>> NCP_PRIORITY_SHIFT) & TWO_BITS,
    variable: ((hi >>> NCP_VARIABLE_SHIFT) & 1) === 1,
    size: large ? word & LARGE_SIZE_MASK : word & NCP_SIZE_MASK,
  };
}

/** Builds a network connection parameters word; `large` (default false) gives the UDINT form. */
export function encodeNetworkConnectionParameters(p: NetworkConnectionParameters, large = false): number {
  checkRange("connectionType", p.connectionType, 0, 3);
  checkRange("priority", p.priority, 0, 3);
  checkRange("size", p.size, 0, large ? LARGE_SIZE_MASK : NCP_SIZE_MASK);
  const hi =
    ((p.redundantOwner ? 1 : 0) << NCP_OWNER_SHIFT) |
    (p.connectionType << NCP_TYPE_SHIFT) |
    (p.priority << NCP_PRIORITY_SHIFT) |
    ((p.variable ? 1 : 0) << NCP_VARIABLE_SHIFT);
  return large ? hi * 2 ** LARGE_SHIFT + p.size : hi | p.size;
}

/** Bytes of an Unconnected Send body around an embedded message of `messageSize` bytes. */
function sizeOfUnconnectedSendBody(messageSize: number, routePath: EPath): number {
  return 4 + messageSize + (messageSize & 1) + sizeOfPathWithSize(routePath, PADDED);
}

/**
 * The codec of an Unconnected Send 0x52 request whose embedded request `M` is read and written by
 * `embedded`: priority/tick, timeout ticks, message size, the message, a pad byte after an odd-sized
 * message, then the padded route path. The nesting is bounded by `limits.maxDepth` (default 4).
 */
export function unconnectedSendRequestCodec<M>(
  embedded: EmbeddedRequests<M>,
): RequestCodec<UnconnectedSendRequest<M>> {
  return {
    kind: "unconnectedSend",
    decode(r, _service, path, options, depth) {
      checkNesting(r, depth, options, "message");
      const priorityTimeTick = r.u8("priorityTimeTick");
      const timeoutTicks = r.u8("timeoutTicks");
      const messageSize = r.u16("messageSize");
      const sub = r.sub(messageSize, "message");
      r.enter("message");
      const message = embedded.decode(sub, options, depth + 1);
      r.leave();
      if (messageSize & 1) r.skip(1, "pad");
      r.enter("routePath");
      const limits = options.limits?.path;
      const routePath = limits
        ? decodePathWithSize(r, { padded: true, limits })
        : decodePathWithSize(r, PADDED);
      r.leave();
      return {
        kind: "unconnectedSend",
        service: ConnectionManagerService.codes.unconnectedSend,
        path,
        priorityTimeTick,
        timeoutTicks,
        message,
        routePath,
      };
    },
    sizeOf: (req) => sizeOfUnconnectedSendBody(embedded.sizeOf(req.message), req.routePath),
    encode(w, req) {
      checkRange("priorityTimeTick", req.priorityTimeTick, 0, 0xff);
      checkRange("timeoutTicks", req.timeoutTicks, 0, 0xff);
      w.u8(req.priorityTimeTick).u8(req.timeoutTicks).u16(0);
      // The message size is patched in after the message is written, sparing a sizing pass.
      const sizeAt = w.offset - 2;
      embedded.encode(w, req.message);
      const messageSize = w.offset - sizeAt - 2;
      checkRange("messageSize", messageSize, 0, 0xffff);
      w.patchU16(sizeAt, messageSize);
      if (messageSize & 1) w.u8(0);
      encodePathWithSize(w, req.routePath, PADDED);
    },
  };
}

/** Unconnected Send error reply (0xD2 from the Connection Manager): the remaining path size, when sent, and a reserved byte. */
export const unconnectedSendReplyCodec: ReplyCodec<UnconnectedSendReply> = {
  kind: "unconnectedSend",
  decode(r, head) {
    const reply: UnconnectedSendReply = {
      kind: "unconnectedSend",
      service: head.service as UnconnectedSendReply["service"],
      generalStatus: head.generalStatus,
      extStatus: head.extStatus,
    };
    if (r.remaining === 0) return reply;
    reply.remainingPathWords = r.u8("remainingPathWords");
    // The reserved zero byte after the size may be absent.
    if (r.remaining === 1 && r.bytes[r.offset] === 0) r.skip(1, "reserved");
    return reply;
  },
  sizeOf: (reply) => (reply.remainingPathWords === undefined ? 0 : 2),
  encode(w, reply) {
    if (reply.remainingPathWords === undefined) return;
    checkRange("remainingPathWords", reply.remainingPathWords, 0, 0xff);
    // Remaining Path Size is followed by a reserved byte (CIP Vol 1 §3-5.5.2; Wireshark reads both and
    // flags the reply malformed without it).
    w.u8(reply.remainingPathWords).u8(0);
  },
};

/** Bytes of a Forward Open (or Large Forward Open when `large`) request body. */
function sizeOfForwardOpenBody(req: ForwardOpenFields, large: boolean): number {
  return 31 + (large ? 8 : 4) + sizeOfPathWithSize(req.connectionPath);
}

/** Writes a Forward Open body; `large` writes the network connection parameters as UDINTs. */
function encodeForwardOpenBody(w: Writer, req: ForwardOpenFields, large: boolean): void {
  const ncpMax = large ? 0xffffffff : 0xffff;
  checkRange("priorityTimeTick", req.priorityTimeTick, 0, 0xff);
  checkRange("timeoutTicks", req.timeoutTicks, 0, 0xff);
  checkRange("otConnectionId", req.otConnectionId, 0, 0xffffffff);
  checkRange("toConnectionId", req.toConnectionId, 0, 0xffffffff);
  checkRange("connectionSerial", req.connectionSerial, 0, 0xffff);
  checkRange("originatorVendor", req.originatorVendor, 0, 0xffff);
  checkRange("originatorSerial", req.originatorSerial, 0, 0xffffffff);
  checkRange("timeoutMultiplier", req.timeoutMultiplier, 0, 0xff);
  checkRange("otRpiUs", req.otRpiUs, 0, 0xffffffff);
  checkRange("otParams", req.otParams, 0, ncpMax);
  checkRange("toRpiUs", req.toRpiUs, 0, 0xffffffff);
  checkRange("toParams", req.toParams, 0, ncpMax);
  checkRange("transportClassTrigger", req.transportClassTrigger, 0, 0xff);
  w.u8(req.priorityTimeTick).u8(req.timeoutTicks);
  w.u32(req.otConnectionId).u32(req.toConnectionId);
  w.u16(req.connectionSerial).u16(req.originatorVendor).u32(req.originatorSerial);
  w.u8(req.timeoutMultiplier).zeros(3);
  w.u32(req.otRpiUs);
  if (large) w.u32(req.otParams);
  else w.u16(req.otParams);
  w.u32(req.toRpiUs);
  if (large) w.u32(req.toParams);
  else w.u16(req.toParams);
  w.u8(req.transportClassTrigger);
  encodePathWithSize(w, req.connectionPath);
}

/** Reads a Forward Open body (the 3 reserved bytes after the multiplier are skipped). */
function decodeForwardOpenBody(r: Reader, large: boolean, limits?: PathLimits): ForwardOpenFields {
  const priorityTimeTick = r.u8("priorityTimeTick");
  const timeoutTicks = r.u8("timeoutTicks");
  const otConnectionId = r.u32("otConnectionId");
  const toConnectionId = r.u32("toConnectionId");
  const connectionSerial = r.u16("connectionSerial");
  const originatorVendor = r.u16("originatorVendor");
  const originatorSerial = r.u32("originatorSerial");
  const timeoutMultiplier = r.u8("timeoutMultiplier");
  r.skip(3, "reserved");
  const otRpiUs = r.u32("otRpiUs");
  const otParams = large ? r.u32("otParams") : r.u16("otParams");
  const toRpiUs = r.u32("toRpiUs");
  const toParams = large ? r.u32("toParams") : r.u16("toParams");
  const transportClassTrigger = r.u8("transportClassTrigger");
  r.enter("connectionPath");
  const connectionPath = limits ? decodePathWithSize(r, { limits }) : decodePathWithSize(r);
  r.leave();
  return {
    priorityTimeTick,
    timeoutTicks,
    otConnectionId,
    toConnectionId,
    connectionSerial,
    originatorVendor,
    originatorSerial,
    timeoutMultiplier,
    otRpiUs,
    otParams,
    toRpiUs,
    toParams,
    transportClassTrigger,
    connectionPath,
  };
}

function checkApplicationReply(data: Uint8Array): void {
  if ((data.length & 1) !== 0 || data.length > 2 * 0xff)
    throw new CipEncodeError(
      `"applicationReply" must be a whole number of words, at most 255, got ${data.length} bytes`,
    );
}

/** Bytes of a successful Forward Open reply body. */
function sizeOfForwardOpenReplyBody(reply: ForwardOpenReply): number {
  return 26 + reply.applicationReply.length;
}

/** Writes a successful Forward Open reply body. */
function encodeForwardOpenReplyBody(w: Writer, reply: ForwardOpenReply): void {
  checkRange("otConnectionId", reply.otConnectionId, 0, 0xffffffff);
  checkRange("toConnectionId", reply.toConnectionId, 0, 0xffffffff);
  checkRange("connectionSerial", reply.connectionSerial, 0, 0xffff);
  checkRange("originatorVendor", reply.originatorVendor, 0, 0xffff);
  checkRange("originatorSerial", reply.originatorSerial, 0, 0xffffffff);
  checkRange("otApiUs", reply.otApiUs, 0, 0xffffffff);
  checkRange("toApiUs", reply.toApiUs, 0, 0xffffffff);
  checkApplicationReply(reply.applicationReply);
  w.u32(reply.otConnectionId).u32(reply.toConnectionId);
  w.u16(reply.connectionSerial).u16(reply.originatorVendor).u32(reply.originatorSerial);
  w.u32(reply.otApiUs).u32(reply.toApiUs);
  w.u8(reply.applicationReply.length >> 1)
    .u8(0)
    .raw(reply.applicationReply);
}

/** Reads a successful Forward Open reply body into `reply`. */
function decodeForwardOpenReplyBody(r: Reader, reply: ForwardOpenReply): void {
  reply.otConnectionId = r.u32("otConnectionId");
  reply.toConnectionId = r.u32("toConnectionId");
  reply.connectionSerial = r.u16("connectionSerial");
  reply.originatorVendor = r.u16("originatorVendor");
  reply.originatorSerial = r.u32("originatorSerial");
  reply.otApiUs = r.u32("otApiUs");
  reply.toApiUs = r.u32("toApiUs");
  const words = r.u8("applicationReplySize");
  r.skip(1, "reserved");
  reply.applicationReply = r.bytesN(words * 2, "applicationReply");
}

/** A failure body (Forward Open or Forward Close): the identifying triple and the remaining path size, both optional. */
type FailureBody = {
  connectionSerial?: number;
  originatorVendor?: number;
  originatorSerial?: number;
  remainingPathWords?: number;
};

/** Bytes of a Forward Open / Forward Close failure body. */
function sizeOfConnectionFailureBody(reply: FailureBody): number {
  return (reply.connectionSerial === undefined ? 0 : 8) + (reply.remainingPathWords === undefined ? 0 : 2);
}

/** Writes a Forward Open / Forward Close failure body: the triple (when given), the remaining path size and a reserved byte (when given). */
function encodeConnectionFailureBody(w: Writer, reply: FailureBody): void {
  if (reply.connectionSerial !== undefined) {
    checkRange("connectionSerial", reply.connectionSerial, 0, 0xffff);
    checkRange("originatorVendor", reply.originatorVendor ?? -1, 0, 0xffff);
    checkRange("originatorSerial", reply.originatorSerial ?? -1, 0, 0xffffffff);
    w.u16(reply.connectionSerial)
      .u16(reply.originatorVendor as number)
      .u32(reply.originatorSerial as number);
  } else if (reply.remainingPathWords !== undefined)
    throw new CipEncodeError(
      `"remainingPathWords" needs the connection serial, vendor and originator serial`,
    );
  if (reply.remainingPathWords !== undefined) {
    checkRange("remainingPathWords", reply.remainingPathWords, 0, 0xff);
    w.u8(reply.remainingPathWords).u8(0);
  }
}

/** Reads a Forward Open / Forward Close failure body into `reply`: nothing, the triple, or the triple and remaining path size. */
function decodeConnectionFailureBody(r: Reader, reply: FailureBody): void {
  if (r.remaining === 0) return;
  reply.connectionSerial = r.u16("connectionSerial");
  reply.originatorVendor = r.u16("originatorVendor");
  reply.originatorSerial = r.u32("originatorSerial");
  if (r.remaining === 0) return;
  reply.remainingPathWords = r.u8("remainingPathWords");
  if (r.remaining > 0) r.skip(1, "reserved");
}

/** Bytes of a Forward Close request body. */
function sizeOfForwardCloseBody(req: ForwardCloseRequest): number {
  return 10 + sizeOfPathWithSize(req.connectionPath, PADDED);
}

/** Writes a Forward Close request body (the connection path is padded: size, reserved, segments). */
function encodeForwardCloseBody(w: Writer, req: ForwardCloseRequest): void {
  checkRange("priorityTimeTick", req.priorityTimeTick, 0, 0xff);
  checkRange("timeoutTicks", req.timeoutTicks, 0, 0xff);
  checkRange("connectionSerial", req.connectionSerial, 0, 0xffff);
  checkRange("originatorVendor", req.originatorVendor, 0, 0xffff);
  checkRange("originatorSerial", req.originatorSerial, 0, 0xffffffff);
  w.u8(req.priorityTimeTick).u8(req.timeoutTicks);
  w.u16(req.connectionSerial).u16(req.originatorVendor).u32(req.originatorSerial);
  encodePathWithSize(w, req.connectionPath, PADDED);
}

/** Reads a Forward Close request body. */
function decodeForwardCloseBody(r: Reader, path: EPath, limits?: PathLimits): ForwardCloseRequest {
  const priorityTimeTick = r.u8("priorityTimeTick");
  const timeoutTicks = r.u8("timeoutTicks");
  const connectionSerial = r.u16("connectionSerial");
  const originatorVendor = r.u16("originatorVendor");
  const originatorSerial = r.u32("originatorSerial");
  r.enter("connectionPath");
  const connectionPath = limits
    ? decodePathWithSize(r, { padded: true, limits })
    : decodePathWithSize(r, PADDED);
  r.leave();
  return {
    kind: "forwardClose",
    service: ConnectionManagerService.codes.forwardClose,
    path,
    priorityTimeTick,
    timeoutTicks,
    connectionSerial,
    originatorVendor,
    originatorSerial,
    connectionPath,
  };
}

/** Bytes of a successful Forward Close reply body. */
function sizeOfForwardCloseReplyBody(reply: ForwardCloseReply): number {
  return 10 + reply.applicationReply.length;
}

/** Writes a successful Forward Close reply body. */
function encodeForwardCloseReplyBody(w: Writer, reply: ForwardCloseReply): void {
  checkRange("connectionSerial", reply.connectionSerial, 0, 0xffff);
  checkRange("originatorVendor", reply.originatorVendor, 0, 0xffff);
  checkRange("originatorSerial", reply.originatorSerial, 0, 0xffffffff);
  checkApplicationReply(reply.applicationReply);
  w.u16(reply.connectionSerial).u16(reply.originatorVendor).u32(reply.originatorSerial);
  w.u8(reply.applicationReply.length >> 1)
    .u8(0)
    .raw(reply.applicationReply);
}

/** Reads a successful Forward Close reply body into `reply`. */
function decodeForwardCloseReplyBody(r: Reader, reply: ForwardCloseReply): void {
  reply.connectionSerial = r.u16("connectionSerial");
  reply.originatorVendor = r.u16("originatorVendor");
  reply.originatorSerial = r.u32("originatorSerial");
  const words = r.u8("applicationReplySize");
  r.skip(1, "reserved");
  reply.applicationReply = r.bytesN(words * 2, "applicationReply");
}

/** Forward Open 0x54 (16-bit connection parameters) or Large Forward Open 0x5B (32-bit) request; paths within `limits.path`. */
export const forwardOpenRequestCodec: RequestCodec<ForwardOpenRequest> = {
  kind: "forwardOpen",
  decode(r, service, path, options) {
    const large = service === ConnectionManagerService.codes.largeForwardOpen;
    return {
      kind: "forwardOpen",
      service: large
        ? ConnectionManagerService.codes.largeForwardOpen
        : ConnectionManagerService.codes.forwardOpen,
      path,
      ...decodeForwardOpenBody(r, large, options.limits?.path),
    };
  },
  sizeOf: (req) =>
    sizeOfForwardOpenBody(req, req.service === ConnectionManagerService.codes.largeForwardOpen),
  encode: (w, req) =>
    encodeForwardOpenBody(w, req, req.service === ConnectionManagerService.codes.largeForwardOpen),
};

/** Forward Close 0x4E request: the identifying triple and the padded connection path (within `limits.path`). */
export const forwardCloseRequestCodec: RequestCodec<ForwardCloseRequest> = {
  kind: "forwardClose",
  decode: (r, _service, path, options) => decodeForwardCloseBody(r, path, options.limits?.path),
  sizeOf: sizeOfForwardCloseBody,
  encode: encodeForwardCloseBody,
};

/** Successful Forward Open / Large Forward Open reply (0xD4 / 0xDB, status 0). */
export const forwardOpenReplyCodec: ReplyCodec<ForwardOpenReply> = {
  kind: "forwardOpen",
  decode(r, head) {
    const reply: ForwardOpenReply = {
      kind: "forwardOpen",
      service: head.service as ForwardOpenReply["service"],
      generalStatus: head.generalStatus,
      extStatus: head.extStatus,
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
    return reply;
  },
  sizeOf: sizeOfForwardOpenReplyBody,
  encode: encodeForwardOpenReplyBody,
};

/** Successful Forward Close reply (0xCE from the Connection Manager, status 0). */
export const forwardCloseReplyCodec: ReplyCodec<ForwardCloseReply> = {
  kind: "forwardClose",
  decode(r, head) {
    const reply: ForwardCloseReply = {
      kind: "forwardClose",
      service: head.service as ForwardCloseReply["service"],
      generalStatus: head.generalStatus,
      extStatus: head.extStatus,
      connectionSerial: 0,
      originatorVendor: 0,
      originatorSerial: 0,
      applicationReply: EMPTY,
    };
    decodeForwardCloseReplyBody(r, reply);
    return reply;
  },
  sizeOf: sizeOfForwardCloseReplyBody,
  encode: encodeForwardCloseReplyBody,
};

/** The codec of a failed Forward Open or Forward Close reply: nothing, the identifying triple, or the triple and the remaining path size. */
function connectionFailureCodecOf<F extends ForwardOpenFailure | ForwardCloseFailure>(
  kind: F["kind"],
): ReplyCodec<F> {
  return {
    kind,
    decode(r, head) {
      const reply = {
        kind,
        service: head.service,
        generalStatus: head.generalStatus,
        extStatus: head.extStatus,
      } as F;
      decodeConnectionFailureBody(r, reply);
      return reply;
    },
    sizeOf: sizeOfConnectionFailureBody,
    encode: encodeConnectionFailureBody,
  };
}

/** Failed Forward Open / Large Forward Open reply (0xD4 / 0xDB, status not 0). */
export const forwardOpenFailureCodec = connectionFailureCodecOf<ForwardOpenFailure>("forwardOpenFailure");
/** Failed Forward Close reply (0xCE from the Connection Manager, status not 0); some targets send only the status. */
export const forwardCloseFailureCodec = connectionFailureCodecOf<ForwardCloseFailure>("forwardCloseFailure");

/** Options of `unconnectedSend`. */
export interface UnconnectedSendOptions {
  /** Priority/tick byte; defaults to 5 (normal priority, 32 ms ticks). */
  priorityTimeTick?: number;
  /** Timeout in ticks; defaults to 157 (about 5 s at 32 ms ticks). */
  timeoutTicks?: number;
  /** Target of the Unconnected Send; defaults to the Connection Manager `@6/1`. */
  path?: EPath;
}

/** Wraps `message` in an Unconnected Send along `routePath` (e.g. `[{ port: 1, link: 0 }]` for backplane slot 0). */
export function unconnectedSend<M>(
  message: M,
  routePath: EPath,
  opts?: UnconnectedSendOptions,
): UnconnectedSendRequest<M> {
  return {
    kind: "unconnectedSend",
    service: 0x52,
    path: opts?.path ?? connectionManagerPath(),
    priorityTimeTick: opts?.priorityTimeTick ?? 5,
    timeoutTicks: opts?.timeoutTicks ?? 157,
    message,
    routePath,
  };
}

/** Inputs of `forwardOpenRequest`: the identifying fields are required, the rest have defaults. */
export interface ForwardOpenOptions {
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  /** T→O connection id the originator picks; defaults to `connectionSerial`. */
  toConnectionId?: number;
  /** O→T connection id proposal; defaults to 0 (the target picks). */
  otConnectionId?: number;
  /** Connection size in bytes both ways; defaults to 500. Above 511 a Large Forward Open is built. */
  size?: number;
  /** Requested packet interval both ways in µs; defaults to 2 000 000. */
  rpiUs?: number;
  /** Path to the target; defaults to backplane slot 0, Message Router: `1/0/@2/1`. */
  connectionPath?: EPath;
  /** Defaults to 0xA3 (server, application object trigger, class 3). */
  transportClassTrigger?: number;
  /** Defaults to 1 (timeout = RPI × 8). */
  timeoutMultiplier?: number;
  /** Defaults to 5. */
  priorityTimeTick?: number;
  /** Defaults to 157. */
  timeoutTicks?: number;
}

/** Largest connection size a standard Forward Open can ask for (9-bit size field). */
export const MAX_STANDARD_CONNECTION_SIZE = NCP_SIZE_MASK;

/** A point-to-point, low-priority, variable-size Forward Open (or Large Forward Open above 511 bytes). */
export function forwardOpenRequest(o: ForwardOpenOptions): ForwardOpenRequest {
  const size = o.size ?? 500;
  const large = size > MAX_STANDARD_CONNECTION_SIZE;
  const params = encodeNetworkConnectionParameters(
    { redundantOwner: false, connectionType: 2, priority: 0, variable: true, size },
    large,
  );
  return {
    kind: "forwardOpen",
    service: large ? 0x5b : 0x54,
    path: connectionManagerPath(),
    priorityTimeTick: o.priorityTimeTick ?? 5,
    timeoutTicks: o.timeoutTicks ?? 157,
    otConnectionId: o.otConnectionId ?? 0,
    toConnectionId: o.toConnectionId ?? o.connectionSerial,
    connectionSerial: o.connectionSerial,
    originatorVendor: o.originatorVendor,
    originatorSerial: o.originatorSerial,
    timeoutMultiplier: o.timeoutMultiplier ?? 1,
    otRpiUs: o.rpiUs ?? 2_000_000,
    otParams: params,
    toRpiUs: o.rpiUs ?? 2_000_000,
    toParams: params,
    transportClassTrigger: o.transportClassTrigger ?? 0xa3,
    connectionPath: o.connectionPath ?? defaultConnectionPath(),
  };
}

/** A Forward Close for the connection identified by the triple, along `connectionPath` (default `1/0/@2/1`). */
export function forwardCloseRequest(o: {
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  connectionPath?: EPath;
  priorityTimeTick?: number;
  timeoutTicks?: number;
}): ForwardCloseRequest {
  return {
    kind: "forwardClose",
    service: 0x4e,
    path: connectionManagerPath(),
    priorityTimeTick: o.priorityTimeTick ?? 5,
    timeoutTicks: o.timeoutTicks ?? 157,
    connectionSerial: o.connectionSerial,
    originatorVendor: o.originatorVendor,
    originatorSerial: o.originatorSerial,
    connectionPath: o.connectionPath ?? defaultConnectionPath(),
  };
}
