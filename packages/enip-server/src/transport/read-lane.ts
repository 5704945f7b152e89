/**
 * The read fast lane: a Read Tag that a client sends over and over (an HMI or a PLC library polling a tag, plain or
 * inside an Unconnected Send, over SendRRData or a class 3 connection) is answered without decoding the frame into
 * objects and without the codec's general encoder. It is the same answer: what the lane does not know exactly, the
 * general path does.
 *
 * Why: at pipeline depth 1 the server's round trip is mostly Node's socket work, and the rest was our per-request
 * JS, most of it decoding (about 15 objects per request: header, CPF items, request, path segments) and the
 * garbage collection they cost. A client repeats the same request bytes, so the first one is decoded the general
 * way and the lane remembers what it asks for (the tag elements its path resolves to, keyed by the request's CIP
 * bytes); the next identical bytes skip the decode and the path walk.
 *
 * Correct by construction:
 * - A plan is learned only from a request the general path decoded and would run here as a plain Read Tag
 *   (`localReadTag`), and only when its path resolves. The same bytes decode the same way (the decode options and
 *   the route settings are fixed for the server's life), so the plan holds for every later copy of the bytes.
 * - A plan holds where the tag elements are (tag, byte offset, type), never their values: each answer reads the
 *   tag's storage, its forced error and the hooks as they are now, through the same `readTag` as the controller.
 *   Writes therefore show at once. Tags are never removed; a plan is dropped when a tag is added (a new name may
 *   change how a dotted path resolves).
 * - The frame must have exactly the layout the codec accepts (`peekCipReplyOffset`: requests and replies share
 *   it) and the session must be the connection's; anything else goes the general way, which answers errors.
 * - The reply is written here only in its common shape (success or 0x06, no extended status); other replies are
 *   encoded by the codec. Tests compare the lane's bytes with the general path's for many requests.
 * - A controller subclass that overrides `execute` gets no lane (its override must see every request).
 *
 * The cache is bounded: `SLOTS` plans, direct-mapped by a hash of the key bytes (a colliding request replaces
 * the plan in its slot), and keys are at most `MAX_KEY` bytes.
 */
import {
  type CipRequest,
  CipTypeCode,
  CpfItemType,
  ENCAPSULATION_HEADER_SIZE,
  GeneralStatus,
  MAX_ENCAPSULATION_LENGTH,
  peekCipReplyOffset,
  type ReadTagReply,
  SENDER_CONTEXT_SIZE,
} from "@cpppo/cip-codec";
import { Controller, type RequestContext, readDataLimit } from "../controller/controller.js";
import { ReplyService } from "../core/reply-service.js";
import { plainReadEnd, readTag } from "../tags/io.js";
import { isFailure, resolveTagPath, type TagView } from "../tags/resolve.js";
import { encodeUnit, touchConnection } from "./connections.js";
import type { Engine } from "./engine.js";
import type { TcpConnection } from "./tcp-connection.js";
import { encodeRR, localReadTag } from "./unconnected.js";
import { errorReply, GS, u16, u32 } from "./wire.js";

/** Plans kept (a power of two: the slot is the hash's low bits). */
const SLOTS = 256;
/** Longest CIP request remembered: a Read Tag in an Unconnected Send with a long symbolic path fits easily. */
const MAX_KEY = 160;

const STRUCT = CipTypeCode.codes.STRUCT;
const PARTIAL = GeneralStatus.codes.partialTransfer;
const READ_TAG_REPLY = ReplyService.readTag;
const { nullAddress: NULL_ADDRESS, unconnectedData: UNCONNECTED_DATA } = CpfItemType.codes;
const { connectedAddress: CONNECTED_ADDRESS, connectedData: CONNECTED_DATA } = CpfItemType.codes;

// Offsets in a SendRRData / SendUnitData frame (request and reply alike): the 24-byte header (command u16,
// length u16, session u32, status u32, sender context 8 bytes, options u32), interface handle u32, timeout u16,
// item count u16, then the address item (type u16, length u16, and a connected address's connection id u32) and
// the data item (type u16, length u16, and a connected data item's sequence count u16) before the CIP message.
const LENGTH_AT = 2;
const SESSION_AT = 4;
const STATUS_AT = 8;
const SENDER_CONTEXT_AT = 12;
const OPTIONS_AT = 20;
const ITEM_COUNT_AT = ENCAPSULATION_HEADER_SIZE + 6;
const ADDRESS_ITEM_AT = ITEM_COUNT_AT + 2;
const CONNECTION_ID_AT = ADDRESS_ITEM_AT + 4;
/** Where the CIP message starts in a SendRRData frame (after the null address item and the data item header). */
const UNCONNECTED_CIP_AT = ADDRESS_ITEM_AT + 4 + 4;
const CONNECTED_DATA_ITEM_AT = CONNECTION_ID_AT + 4;
const SEQUENCE_AT = CONNECTED_DATA_ITEM_AT + 4;
/** Where the CIP message starts in a SendUnitData frame (after the sequence count). */
const CONNECTED_CIP_AT = SEQUENCE_AT + 2;
/** A read reply's header (service, reserved, status, extended status size 0) and its tag type. */
const READ_REPLY_HEAD = 4 + 2;

/** What a remembered request reads: `elements` elements from where its path resolved. */
interface Plan {
  /** The request's CIP bytes (a copy). */
  readonly key: Uint8Array;
  /** `tags.size` when the path was resolved: a plan from before a tag was added is not used. */
  readonly tagCount: number;
  readonly view: TagView;
  readonly elements: number;
}

/** FNV-1a of `bytes[from..to)`. */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

/** The read fast lane of one engine (see the module comment). */
export class ReadLane {
  private readonly slots = new Array<Plan | undefined>(SLOTS);
  /** Frames the lane has answered (the rest went the general way); tests read it. */
  answered = 0;

  private constructor(
    private readonly engine: Engine,
    private readonly controller: Controller,
  ) {}

  /** The lane for `engine`, or undefined when its controller is not a plain `Controller` (an overridden `execute`). */
  static of(engine: Engine): ReadLane | undefined {
    const controller = engine.controller;
    if (!(controller instanceof Controller) || controller.execute !== Controller.prototype.execute)
      return undefined;
    return new ReadLane(engine, controller);
  }

  /** Remembers `request`, decoded from the CIP bytes `key`, when it is a Read Tag run here whose path resolves. */
  learn(key: Uint8Array, request: CipRequest): void {
    // Known already (a datagram's read: UDP replies never take the lane, so the same bytes come back here).
    if (key.length > MAX_KEY || this.find(key, 0) !== undefined) return;
    const read = localReadTag(this.engine, request);
    if (read === undefined) return;
    const tags = this.controller.tags;
    const view = resolveTagPath(tags, read.path);
    if (isFailure(view)) return;
    this.slots[hash(key, 0, key.length) & (SLOTS - 1)] = {
      key: key.slice(),
      tagCount: tags.size,
      view,
      elements: read.elements,
    };
  }

  /** The plan for the CIP bytes `frame[at..]`, if one is remembered and still holds. */
  private find(frame: Uint8Array, at: number): Plan | undefined {
    const n = frame.length - at;
    if (n > MAX_KEY) return undefined;
    const plan = this.slots[hash(frame, at, frame.length) & (SLOTS - 1)];
    if (plan === undefined || plan.tagCount !== this.controller.tags.size) return undefined;
    const key = plan.key;
    if (key.length !== n) return undefined;
    for (let i = 0; i < n; i++) if (key[i] !== frame[at + i]) return undefined;
    return plan;
  }

  /**
   * The reply to `frame` (a whole frame whose session and status the engine has not checked against the
   * connection yet) when the lane knows it, else undefined: the engine then takes the general path.
   */
  answer(connection: TcpConnection, frame: Uint8Array): Uint8Array | undefined {
    const at = peekCipReplyOffset(frame);
    if (at < 0 || connection.session === 0 || u32(frame, SESSION_AT) !== connection.session) return undefined;
    const plan = this.find(frame, at);
    if (plan === undefined) return undefined;
    const connected = at === CONNECTED_CIP_AT;
    let context: RequestContext = connection.context;
    let toId = 0;
    if (connected) {
      // As sendUnitData: traffic for an unknown connection goes the general way (which drops it).
      const cip = touchConnection(connection, u32(frame, CONNECTION_ID_AT));
      if (cip === undefined) return undefined;
      context = cip.context;
      toId = cip.toId;
    }
    this.answered++;
    const view = plan.view;
    const limit = readDataLimit(this.controller.maxReplyData, context);
    const hooks = this.controller.hooks;
    // The plain case (no hook, whole fixed-size elements within the limit) reads straight from tag storage;
    // every other read is answered by `readTag`, as the controller answers it.
    const plain =
      hooks?.onRead === undefined && (view.type.code !== STRUCT || view.type.structureHandle !== undefined);
    const end = plain ? plainReadEnd(view, plan.elements, limit) : -1;
    let status = 0;
    let type = view.type.code;
    let handle = view.type.structureHandle;
    let data = view.tag.bytes;
    let from = view.offset;
    let to = end;
    let reply: ReadTagReply | undefined;
    if (end < 0) {
      try {
        reply = readTag(view, plan.elements, undefined, { limit, hooks, peer: context.peer });
      } catch {
        // As Controller.execute: a read the model cannot answer (a bug, a hook's value) still gets a reply.
        const failed = errorReply(READ_TAG_REPLY, GS.vendorSpecificError);
        return this.general(connection, frame, connected, toId, failed);
      }
      if (
        (reply.generalStatus !== 0 && reply.generalStatus !== PARTIAL) ||
        reply.extStatus.length !== 0 ||
        reply.type === undefined ||
        (reply.type === STRUCT && reply.structureHandle === undefined)
      )
        return this.general(connection, frame, connected, toId, reply);
      status = reply.generalStatus;
      type = reply.type;
      handle = reply.structureHandle;
      data = reply.data;
      from = 0;
      to = data.length;
    }
    const size = to - from;
    const cipAt = connected ? CONNECTED_CIP_AT : UNCONNECTED_CIP_AT;
    const dataAt = cipAt + READ_REPLY_HEAD + (type === STRUCT ? 2 : 0);
    const length = dataAt + size - ENCAPSULATION_HEADER_SIZE;
    if (length > MAX_ENCAPSULATION_LENGTH) {
      // Too large for one frame: the codec's encoder answers 0x11, as on the general path. (A plain read has run
      // no hook, so reading it again through readTag changes nothing.)
      reply ??= readTag(view, plan.elements, undefined, { limit, hooks, peer: context.peer });
      return this.general(connection, frame, connected, toId, reply);
    }
    // One exactly sized Buffer (socket.write takes it without a conversion), the connection's last reply buffer
    // when it is free (see TcpConnection.replyBuffer), written field by field as encodeSendRRData /
    // encodeSendUnitData lay the frame out.
    const out = connection.replyBuffer(dataAt + size);
    out[0] = frame[0] as number;
    out[1] = 0;
    putU16(out, LENGTH_AT, length);
    putU32(out, SESSION_AT, connection.session);
    putU32(out, STATUS_AT, 0);
    for (let i = 0; i < SENDER_CONTEXT_SIZE; i++)
      out[SENDER_CONTEXT_AT + i] = frame[SENDER_CONTEXT_AT + i] as number;
    putU32(out, OPTIONS_AT, 0);
    putU32(out, ENCAPSULATION_HEADER_SIZE, 0); // interface handle
    putU16(out, ENCAPSULATION_HEADER_SIZE + 4, 0); // timeout
    putU16(out, ITEM_COUNT_AT, 2);
    const messageSize = dataAt + size - cipAt;
    if (connected) {
      putU16(out, ADDRESS_ITEM_AT, CONNECTED_ADDRESS);
      putU16(out, ADDRESS_ITEM_AT + 2, 4);
      putU32(out, CONNECTION_ID_AT, toId);
      putU16(out, CONNECTED_DATA_ITEM_AT, CONNECTED_DATA);
      putU16(out, CONNECTED_DATA_ITEM_AT + 2, 2 + messageSize);
      out[SEQUENCE_AT] = frame[SEQUENCE_AT] as number;
      out[SEQUENCE_AT + 1] = frame[SEQUENCE_AT + 1] as number;
    } else {
      putU16(out, ADDRESS_ITEM_AT, NULL_ADDRESS);
      putU16(out, ADDRESS_ITEM_AT + 2, 0);
      putU16(out, ADDRESS_ITEM_AT + 4, UNCONNECTED_DATA);
      putU16(out, ADDRESS_ITEM_AT + 6, messageSize);
    }
    out[cipAt] = READ_TAG_REPLY;
    out[cipAt + 1] = 0;
    out[cipAt + 2] = status;
    out[cipAt + 3] = 0; // no extended status
    putU16(out, cipAt + 4, type);
    if (type === STRUCT) putU16(out, cipAt + 6, handle as number);
    // Small reads (the common case) copy faster in a loop than through a subarray and `set` (a view and a call).
    if (size <= 16) for (let i = 0; i < size; i++) out[dataAt + i] = data[from + i] as number;
    else out.set(data.subarray(from, to), dataAt);
    return out;
  }

  /** The reply encoded by the codec, for the shapes the lane does not write itself. */
  private general(
    connection: TcpConnection,
    frame: Uint8Array,
    connected: boolean,
    toId: number,
    reply: Parameters<typeof encodeRR>[2],
  ): Uint8Array {
    const senderContext = frame.subarray(SENDER_CONTEXT_AT, SENDER_CONTEXT_AT + SENDER_CONTEXT_SIZE);
    if (!connected) return encodeRR(connection, senderContext, reply);
    return encodeUnit(connection, toId, u16(frame, SEQUENCE_AT), senderContext, reply);
  }
}

function putU16(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v;
  bytes[at + 1] = v >>> 8;
}

function putU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v;
  bytes[at + 1] = v >>> 8;
  bytes[at + 2] = v >>> 16;
  bytes[at + 3] = v >>> 24;
}
