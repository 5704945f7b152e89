/**
 * The fast view of a Multiple Service Packet reply of plain tag reads: the values of each read decoded straight
 * from the frame's bytes, for the client's hot path (packed reads, polled over and over). It accepts only the plain
 * case, in which it gives exactly what `decodeEnipMessage` and `decodeValues` give, and refuses (undefined) the
 * rest, which the caller then decodes the general way.
 */
import { CipService, REPLY_BIT } from "../cip/services.js";
import { GeneralStatus } from "../cip/status.js";
import { Reader } from "../core/reader.js";
import { type AnyCipType, CipTypeCode, typeByCode } from "../types/types.js";

const MSP_REPLY = CipService.codes.multipleServicePacket | REPLY_BIT;
const SUCCESS = GeneralStatus.codes.success;
const STRUCT = CipTypeCode.codes.STRUCT;
/** Message Router reply header: service, reserved, general status, extended status size (in words). */
const REPLY_HEADER_SIZE = 4;
/** A read reply's header and its tag type. */
const READ_REPLY_HEAD = REPLY_HEADER_SIZE + 2;
/** Most values one reply is decoded into, as `decodeValues` allows. */
const MAX_VALUES = 65536;

/** The reads of a packet reply, one entry per read in order (parallel arrays: no object per read). */
export interface PackedReads {
  /** The reply service of each (0xCC Read Tag, 0xD2 Read Tag Fragmented). */
  readonly services: number[];
  /** The tag type code of each. */
  readonly types: number[];
  /** The codec of each type (elementary, of a fixed size). */
  readonly codecs: AnyCipType[];
  /** Where each read's data starts and ends in the frame (`frame.subarray(start, end)` is its data). */
  readonly dataStart: number[];
  readonly dataEnd: number[];
  /** The decoded values of each. */
  readonly values: unknown[][];
}

function u16At(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/**
 * The reads of the Multiple Service Packet reply that starts at `cipStart` in `frame` (see `peekCipReplyOffset`) and
 * ends with the frame, when it is the plain case: as many replies as `replyServices` has entries, the i-th with
 * service `replyServices[i]`, general status 0, no extended status, and data of an elementary fixed-size type
 * that the codec decodes. Undefined for anything else (a negative `cipStart`, an undefined expected service, or any
 * check failing), including a value the codec refuses.
 */
export function viewPackedReads(
  frame: Uint8Array,
  cipStart: number,
  replyServices: ArrayLike<number | undefined>,
): PackedReads | undefined {
  const c = cipStart;
  const end = frame.length;
  if (c < 0 || end - c < REPLY_HEADER_SIZE + 2 || frame[c] !== MSP_REPLY || frame[c + 3] !== 0)
    return undefined;
  // The service table counts from the count field.
  const start = c + REPLY_HEADER_SIZE;
  const length = end - start;
  const n = replyServices.length;
  const tableEnd = 2 + 2 * n;
  if (u16At(frame, start) !== n || tableEnd > length) return undefined;
  let previous = tableEnd - 1;
  for (let i = 0; i < n; i++) {
    const offset = u16At(frame, start + 2 + 2 * i);
    if (offset <= previous || offset >= length) return undefined;
    previous = offset;
  }
  const services = new Array<number>(n);
  const types = new Array<number>(n);
  const codecs = new Array<AnyCipType>(n);
  const dataStart = new Array<number>(n);
  const dataEnd = new Array<number>(n);
  // Packed reads are mostly of one tag: its type is looked up once per run of equal ones.
  let lastType = -1;
  let lastCodec: AnyCipType | undefined;
  // Every reply must be plain before any is decoded.
  for (let i = 0; i < n; i++) {
    const from = start + u16At(frame, start + 2 + 2 * i);
    const to = i + 1 < n ? start + u16At(frame, start + 4 + 2 * i) : end;
    const service = replyServices[i];
    if (
      service === undefined ||
      to - from < READ_REPLY_HEAD ||
      frame[from] !== service ||
      frame[from + 2] !== SUCCESS ||
      frame[from + 3] !== 0
    )
      return undefined;
    const type = u16At(frame, from + REPLY_HEADER_SIZE);
    if (type !== lastType) {
      lastType = type;
      lastCodec = type === STRUCT ? undefined : typeByCode(type);
    }
    const codec = lastCodec;
    if (codec === undefined || codec.size <= 0) return undefined;
    const bytes = to - from - READ_REPLY_HEAD;
    if (bytes % codec.size !== 0 || bytes / codec.size > MAX_VALUES) return undefined;
    services[i] = service;
    types[i] = type;
    codecs[i] = codec;
    dataStart[i] = from + READ_REPLY_HEAD;
    dataEnd[i] = to;
  }
  const values = new Array<unknown[]>(n);
  const r = new Reader(frame, 0, end);
  for (let i = 0; i < n; i++) {
    const codec = codecs[i] as AnyCipType;
    const count = ((dataEnd[i] as number) - (dataStart[i] as number)) / codec.size;
    const value = new Array<unknown>(count);
    r.offset = dataStart[i] as number;
    try {
      for (let k = 0; k < count; k++) value[k] = codec.decode(r);
    } catch {
      return undefined;
    }
    values[i] = value;
  }
  return { services, types, codecs, dataStart, dataEnd, values };
}
