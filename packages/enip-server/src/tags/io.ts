/**
 * The Logix tag services on resolved tag elements (1756-PM020; cpppo reference §2.13): Read Tag 0x4C, Read Tag
 * Fragmented 0x52, Write Tag 0x4D, Write Tag Fragmented 0x53 and Read Modify Write Tag 0x4E. Reads answer with a
 * slice of tag storage; a reply carries at most `limit` bytes of data, whole elements when they fit, else 0x06.
 */
import {
  type CipReply,
  CipTypeCode,
  GeneralStatus,
  LogixExtendedStatus,
  PADDED_STRING,
  Reader,
  type ReadModifyWriteTagRequest,
  type ReadTagReply,
  SSTRING,
  STRING,
  Writer,
  type WriteTagFragmentedRequest,
  type WriteTagReply,
  type WriteTagRequest,
} from "@cpppo/cip-codec";
import { ReplyService } from "../core/reply-service.js";
import { LazyTagAccess, type TagHooks } from "./hooks.js";
import type { TagView } from "./resolve.js";
import {
  elementaryByCode,
  LOGIX_STRING_TYPE,
  SSTRING_SLOT,
  type TagDataType,
  writableFrom,
} from "./types.js";

/** Shared empty extended status of successful replies (frozen: encoders only read it). */
export const NO_EXT = Object.freeze([]) as unknown as number[];
const EMPTY = new Uint8Array(0);
const STRUCT = CipTypeCode.codes.STRUCT;
const CIP_STRING = CipTypeCode.codes.STRING;
const BOOL_CODE = CipTypeCode.codes.BOOL;

/** General status 0x06: more data follows. */
export const PARTIAL = GeneralStatus.codes.partialTransfer;
/** General status 0xFF with a Logix extended status. */
export const GENERAL_ERROR = GeneralStatus.codes.generalError;
/** Extended status 0x2105: the request extends beyond the end of the tag. */
export const BEYOND_END = LogixExtendedStatus.codes.beyondEndOfObject;
/** Extended status 0x2107: the data type in the request does not match the tag. */
export const TYPE_MISMATCH = LogixExtendedStatus.codes.typeMismatch;
/** Status of a write an `onWrite` hook refused: 0x0F privilege violation. */
export const REFUSED = GeneralStatus.codes.privilegeViolation;
/** Status when a hook throws: 0x1F vendor-specific error. */
export const HOOK_FAILED = GeneralStatus.codes.vendorSpecificError;
/** 0x13: the request's data is shorter than its element count needs. */
export const NOT_ENOUGH_DATA = GeneralStatus.codes.notEnoughData;
/** 0x15: the request carries more data than its element count needs. */
export const TOO_MUCH_DATA = GeneralStatus.codes.tooMuchData;
/** 0x03: a parameter (here a fragment offset inside a variable-length element) is not usable. */
export const INVALID_PARAMETER = GeneralStatus.codes.invalidParameterValue;

type ReadService = ReadTagReply["service"];
type WriteService = WriteTagReply["service"];
const READ_TAG = ReplyService.readTag;
const READ_TAG_FRAGMENTED = ReplyService.readTagFragmented;
const WRITE_TAG = ReplyService.writeTag;
const WRITE_TAG_FRAGMENTED = ReplyService.writeTagFragmented;
const READ_MODIFY_WRITE_TAG = ReplyService.readModifyWriteTag;

function readError(service: ReadService, status: number, ext: number[]): ReadTagReply {
  return {
    kind: service === READ_TAG ? "readTag" : "readTagFragmented",
    service,
    generalStatus: status,
    extStatus: ext,
    data: EMPTY,
  };
}

/** A status-only reply to a write service (Write Tag, Write Tag Fragmented, Read Modify Write Tag). */
export function writeReply(service: WriteService, status: number, ext: number[] = NO_EXT): WriteTagReply {
  const kind =
    service === WRITE_TAG
      ? "writeTag"
      : service === WRITE_TAG_FRAGMENTED
        ? "writeTagFragmented"
        : "readModifyWriteTag";
  return { kind, service, generalStatus: status, extStatus: ext };
}

/** A Read Tag / Read Tag Fragmented error reply (no body). */
export function readFailure(fragmented: boolean, status: number, ext: readonly number[]): ReadTagReply {
  return readError(
    fragmented ? READ_TAG_FRAGMENTED : READ_TAG,
    status,
    ext.length === 0 ? NO_EXT : ext.slice(),
  );
}

/** Options of a read: the reply data limit and who asks (for hooks). */
export interface ReadOptions {
  /** Bytes of element data the reply may carry. */
  limit: number;
  hooks: TagHooks | undefined;
  peer: string | undefined;
}

/** Runs the `onRead` hook of `hooks` on `bytes`; returns the bytes to send (maybe replaced) or a status number. */
function hookRead(
  hooks: TagHooks,
  view: TagView,
  type: TagDataType,
  count: number,
  bytes: Uint8Array,
  peer: string | undefined,
): Uint8Array | number {
  if (!hooks.onRead) return bytes;
  const access = new LazyTagAccess(view.tag, false, type, view.start, count, view.offset, bytes, peer);
  let override: unknown;
  try {
    override = hooks.onRead(access);
  } catch {
    return HOOK_FAILED;
  }
  if (!Array.isArray(override)) return bytes;
  const w = new Writer(count * type.size);
  try {
    for (let i = 0; i < count; i++) {
      w.offset = i * type.size;
      type.codec.encode(w, override[i]);
    }
  } catch {
    return HOOK_FAILED;
  }
  w.offset = count * type.size;
  return w.finish();
}

/** Runs the `onWrite` hook; returns 0 to go on, else the status to refuse with. */
export function hookWrite(
  hooks: TagHooks | undefined,
  view: TagView,
  count: number,
  offset: number,
  bytes: Uint8Array,
  peer: string | undefined,
): number {
  if (!hooks?.onWrite) return 0;
  const start = view.start + Math.floor((offset - view.offset) / view.type.size);
  const access = new LazyTagAccess(view.tag, true, view.type, start, count, offset, bytes, peer);
  try {
    return hooks.onWrite(access) === false ? REFUSED : 0;
  } catch {
    return HOOK_FAILED;
  }
}

/** `count` SSTRING slots of `store` from byte `offset` in their wire form (USINT length, characters), and where each ends. */
function sstringWire(
  store: Uint8Array,
  offset: number,
  count: number,
): { bytes: Uint8Array; ends: number[] } {
  let size = 0;
  for (let i = 0; i < count; i++) size += 1 + (store[offset + i * SSTRING_SLOT] as number);
  const out = new Uint8Array(size);
  const ends = new Array<number>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const slot = offset + i * SSTRING_SLOT;
    const n = 1 + (store[slot] as number);
    out.set(store.subarray(slot, slot + n), at);
    at += n;
    ends[i] = at;
  }
  return { bytes: out, ends };
}

/**
 * Answers Read Tag (offset undefined) or Read Tag Fragmented of `elements` elements of `view`. Data beyond `limit`
 * bytes is cut at a whole element (a structure larger than the limit is cut at the limit) and the status is 0x06.
 */
export function readTag(
  view: TagView,
  elements: number,
  offset: number | undefined,
  o: ReadOptions,
): ReadTagReply {
  const fragmented = offset !== undefined;
  const service: ReadService = fragmented ? READ_TAG_FRAGMENTED : READ_TAG;
  const tag = view.tag;
  if (tag.error !== 0) return readError(service, tag.error, NO_EXT);
  const count = elements === 0 ? 1 : elements;
  if (count > view.available) return readError(service, GENERAL_ERROR, [BEYOND_END]);
  const type = view.type;
  const from = offset ?? 0;
  if (view.bit !== 0) {
    if (from > 0) return readError(service, GENERAL_ERROR, [BEYOND_END]);
    let data: Uint8Array = Uint8Array.of(((tag.bytes[view.offset] as number) & view.bit) !== 0 ? 1 : 0);
    if (o.hooks) {
      const hooked = hookRead(o.hooks, view, type, 1, data, o.peer);
      if (typeof hooked === "number") return readError(service, hooked, NO_EXT);
      data = hooked;
    }
    return {
      kind: fragmented ? "readTagFragmented" : "readTag",
      service,
      generalStatus: 0,
      extStatus: NO_EXT,
      type: BOOL_CODE,
      data,
    };
  }
  let whole: Uint8Array;
  let ends: number[] | undefined;
  if (type.fixed) whole = tag.bytes.subarray(view.offset, view.offset + count * type.size);
  else ({ bytes: whole, ends } = sstringWire(tag.bytes, view.offset, count));
  if (o.hooks?.onRead) {
    const stored = type.fixed ? whole : tag.bytes.subarray(view.offset, view.offset + count * type.size);
    const hooked = hookRead(o.hooks, view, type, count, stored, o.peer);
    if (typeof hooked === "number") return readError(service, hooked, NO_EXT);
    if (hooked !== stored) {
      if (type.fixed) whole = hooked;
      else ({ bytes: whole, ends } = sstringWire(hooked, 0, count));
    }
  }
  const total = whole.length;
  if (from > total || (from === total && total > 0)) return readError(service, GENERAL_ERROR, [BEYOND_END]);
  let end: number;
  if (total - from <= o.limit) end = total;
  else if (ends !== undefined) {
    // Variable-length elements: send the whole ones that fit; the offset must fall on an element boundary.
    if (from !== 0 && !ends.includes(from)) return readError(service, INVALID_PARAMETER, NO_EXT);
    end = from;
    for (let i = 0; i < ends.length; i++) {
      const e = ends[i] as number;
      if (e <= from) continue;
      if (e - from > o.limit) break;
      end = e;
    }
    if (end === from) end = from + o.limit;
  } else if (type.size <= o.limit) end = from + Math.floor(o.limit / type.size) * type.size;
  else end = from + o.limit;
  if (end > total) end = total;
  const reply: ReadTagReply = {
    kind: fragmented ? "readTagFragmented" : "readTag",
    service,
    generalStatus: end < total ? PARTIAL : 0,
    extStatus: NO_EXT,
    type: type.code,
    data: from === 0 && end === total ? whole : whole.subarray(from, end),
  };
  if (type.structureHandle !== undefined) reply.structureHandle = type.structureHandle;
  return reply;
}

/**
 * The plain case of `readTag` for a Read Tag (no offset) when no `onRead` hook is set: `elements` whole elements of
 * a fixed size from `view`, all within `limit` bytes, of a tag with no forced error and not a BOOL member. Returns
 * where the data ends in `view.tag.bytes` (it starts at `view.offset`; the reply is status 0 with `view.type`),
 * or -1 for any other case, which `readTag` answers. It lets the read fast lane copy the data straight from tag
 * storage into the reply frame, without the reply object and storage view that `readTag` makes.
 */
export function plainReadEnd(view: TagView, elements: number, limit: number): number {
  if (view.tag.error !== 0 || view.bit !== 0 || !view.type.fixed) return -1;
  const count = elements === 0 ? 1 : elements;
  if (count > view.available) return -1;
  const total = count * view.type.size;
  return total <= limit ? view.offset + total : -1;
}

/** The type a write request's data is in, or undefined when the controller has no such type. */
function requestType(
  req: WriteTagRequest | WriteTagFragmentedRequest,
  target: TagDataType,
): TagDataType | undefined {
  if (req.type === STRUCT) {
    if (target.code === STRUCT && req.structureHandle === target.structureHandle) return target;
    return undefined;
  }
  return elementaryByCode(req.type);
}

/** Values of `count` elements of `from` in `data`, or undefined when the data is short or malformed. */
function decodeAll(from: TagDataType, data: Uint8Array, count: number): unknown[] | undefined {
  const r = new Reader(data);
  const out = new Array<unknown>(count);
  try {
    for (let i = 0; i < count; i++) out[i] = from.codec.decode(r);
  } catch {
    return undefined;
  }
  return r.remaining === 0 ? out : undefined;
}

/** `v` (decoded as another type) in the JS form `to`'s codec writes. */
function convert(v: unknown, to: TagDataType): unknown {
  if (to.code === BOOL_CODE)
    return v === true || (typeof v === "number" && v !== 0) || (typeof v === "bigint" && v !== 0n);
  if (to.size === 8 && to.integer)
    return typeof v === "bigint" ? v : BigInt(v === true ? 1 : v === false ? 0 : (v as number));
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** Encodes `values` into storage slots of `to`; undefined when one does not fit the type. */
function encodeSlots(to: TagDataType, values: readonly unknown[]): Uint8Array | undefined {
  const w = new Writer(values.length * to.size);
  try {
    for (let i = 0; i < values.length; i++) {
      w.offset = i * to.size;
      to.codec.encode(w, values[i]);
    }
  } catch {
    return undefined;
  }
  w.offset = values.length * to.size;
  return w.finish();
}

/**
 * Answers Write Tag / Write Tag Fragmented to `view`. The request's type must be the tag's (structures: the same
 * handle) or one cpppo widens from (INT into DINT, DINT into REAL, …; CIP STRING 0xD0 into a Logix STRING); the data
 * must stay inside the `elements` range (else 0xFF/0x2105). A Write Tag writes its counted elements and ignores
 * bytes past them, as a Logix does; fewer bytes than the count needs is 0x13 (no extended status).
 */
export function writeTag(
  view: TagView,
  req: WriteTagRequest | WriteTagFragmentedRequest,
  hooks: TagHooks | undefined,
  peer: string | undefined,
): WriteTagReply {
  const service: WriteService = req.kind === "writeTag" ? WRITE_TAG : WRITE_TAG_FRAGMENTED;
  const tag = view.tag;
  if (tag.error !== 0) return writeReply(service, tag.error);
  const to = view.type;
  let data = req.data;
  const offset = req.kind === "writeTagFragmented" ? req.offset : 0;
  const count = req.elements === 0 ? 1 : req.elements;
  if (count > view.available) return writeReply(service, GENERAL_ERROR, [BEYOND_END]);
  if (view.bit !== 0) {
    if (req.type !== BOOL_CODE) return writeReply(service, GENERAL_ERROR, [TYPE_MISMATCH]);
    if (data.length < 1) return writeReply(service, NOT_ENOUGH_DATA);
    if (offset !== 0 || (data.length !== 1 && req.kind !== "writeTag"))
      return writeReply(service, TOO_MUCH_DATA);
    const host = tag.bytes[view.offset] as number;
    const next = data[0] !== 0 ? host | view.bit : host & ~view.bit;
    const refused = hookWrite(hooks, view, 1, view.offset, Uint8Array.of(data[0] !== 0 ? 1 : 0), peer);
    if (refused !== 0) return writeReply(service, refused);
    tag.bytes[view.offset] = next;
    return writeReply(service, 0);
  }
  // The same type: the bytes go to storage as they are (a fragment may even split an element).
  if (to.fixed && requestType(req, to) === to) {
    if (req.kind === "writeTag") {
      // A Logix writes the counted elements and ignores bytes past them; too few bytes is 0x13.
      if (data.length < count * to.size) return writeReply(service, NOT_ENOUGH_DATA);
      data = data.subarray(0, count * to.size);
    }
    if (offset + data.length > count * to.size) return writeReply(service, GENERAL_ERROR, [BEYOND_END]);
    const at = view.offset + offset;
    const refused = hookWrite(hooks, view, Math.ceil(data.length / to.size), at, data, peer);
    if (refused !== 0) return writeReply(service, refused);
    tag.bytes.set(data, at);
    return writeReply(service, 0);
  }
  // Another type: decode the values in the request's type and store them in the tag's.
  let from: TagDataType | undefined;
  if (req.type === CIP_STRING && to === LOGIX_STRING_TYPE) from = undefined;
  else {
    from = requestType(req, to);
    if (!from || !(from === to || writableFrom(to, from)))
      return writeReply(service, GENERAL_ERROR, [TYPE_MISMATCH]);
  }
  let values: unknown[] | undefined;
  let first: number;
  if (from === undefined || !from.fixed) {
    // Strings (CIP STRING into a Logix STRING, SSTRING into SSTRING) carry their own lengths: whole elements only.
    // cpppo pads each CIP STRING to an even byte count; data that does not read so is read without pads.
    if (offset !== 0) return writeReply(service, INVALID_PARAMETER);
    const surplus = req.kind === "writeTag";
    let strings = decodeStrings(req.type === CIP_STRING ? PADDED_STRING : SSTRING, data, count, surplus);
    if (typeof strings === "number" && req.type === CIP_STRING)
      strings = decodeStrings(STRING, data, count, surplus);
    if (typeof strings === "number") return writeReply(service, strings);
    values = strings;
    first = 0;
  } else {
    if (req.kind === "writeTag") {
      if (data.length < count * from.size) return writeReply(service, NOT_ENOUGH_DATA);
      data = data.subarray(0, count * from.size);
    }
    if (offset % from.size !== 0 || data.length % from.size !== 0)
      return writeReply(service, INVALID_PARAMETER);
    const n = data.length / from.size;
    first = offset / from.size;
    if (first + n > count) return writeReply(service, GENERAL_ERROR, [BEYOND_END]);
    values = decodeAll(from, data, n);
    if (values && from !== to) for (let i = 0; i < values.length; i++) values[i] = convert(values[i], to);
  }
  if (values === undefined) return writeReply(service, NOT_ENOUGH_DATA);
  if (first + values.length > count) return writeReply(service, GENERAL_ERROR, [BEYOND_END]);
  const slots = encodeSlots(to, values);
  if (!slots) return writeReply(service, GENERAL_ERROR, [TYPE_MISMATCH]);
  const at = view.offset + first * to.size;
  const refused = hookWrite(hooks, view, values.length, at, slots, peer);
  if (refused !== 0) return writeReply(service, refused);
  tag.bytes.set(slots, at);
  return writeReply(service, 0);
}

/**
 * Up to `max` strings back to back in `data`; a status instead when the data is short (0x13) or, unless `surplus`
 * is allowed (a Write Tag ignores bytes past its counted elements), runs on (0x15).
 */
function decodeStrings(
  codec: typeof STRING | typeof SSTRING,
  data: Uint8Array,
  max: number,
  surplus: boolean,
): unknown[] | number {
  const r = new Reader(data);
  const out: unknown[] = [];
  try {
    while (r.remaining > 0 && out.length < max) out.push(codec.decode(r));
  } catch {
    return NOT_ENOUGH_DATA;
  }
  if (r.remaining > 0 && !surplus) return TOO_MUCH_DATA;
  if (surplus && out.length < max) return NOT_ENOUGH_DATA;
  return out.length > 0 ? out : NOT_ENOUGH_DATA;
}

/** Answers Read Modify Write Tag: on an integer element, sets the OR mask's bits then clears the AND mask's zeros. */
export function readModifyWrite(
  view: TagView,
  req: ReadModifyWriteTagRequest,
  hooks: TagHooks | undefined,
  peer: string | undefined,
): WriteTagReply {
  const tag = view.tag;
  if (tag.error !== 0) return writeReply(READ_MODIFY_WRITE_TAG, tag.error);
  const type = view.type;
  const n = req.orMask.length;
  if (!type.integer || view.bit !== 0 || n === 0 || n > type.size)
    return writeReply(READ_MODIFY_WRITE_TAG, GENERAL_ERROR, [TYPE_MISMATCH]);
  const next = tag.bytes.slice(view.offset, view.offset + type.size);
  for (let i = 0; i < n; i++)
    next[i] = ((next[i] as number) | (req.orMask[i] as number)) & (req.andMask[i] as number);
  const refused = hookWrite(hooks, view, 1, view.offset, next, peer);
  if (refused !== 0) return writeReply(READ_MODIFY_WRITE_TAG, refused);
  tag.bytes.set(next, view.offset);
  return writeReply(READ_MODIFY_WRITE_TAG, 0);
}

/** Bytes of the whole tag as a Get Attribute Single answers them (SSTRING elements in wire form). */
export function attributeBytes(view: TagView): Uint8Array {
  if (view.type.fixed)
    return view.tag.bytes.subarray(view.offset, view.offset + view.available * view.type.size);
  return sstringWire(view.tag.bytes, view.offset, view.available).bytes;
}

/** Is `reply` one whose data may be a view of live tag storage (so a batch must copy it before later writes)? */
export function sharesStorage(reply: CipReply): reply is ReadTagReply {
  return (reply.kind === "readTag" || reply.kind === "readTagFragmented") && reply.data.length > 0;
}
