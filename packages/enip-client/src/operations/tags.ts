/**
 * Tag transfers larger than one reply or one request: reads that come back partial (status 0x06) are continued
 * with Read Tag Fragmented at the byte offset reached, writes that do not fit are split into Write Tag Fragmented
 * pieces. Once the size of a transfer is known its remaining pieces go out several at a time, in byte order.
 * An explicit offset (cpppo's `Tag[0-9]+16`) asks for exactly one fragment and is never continued.
 */
import {
  type AnyCipType,
  type CipReply,
  CipTypeCode,
  decodeValues,
  type EPath,
  encodeValues,
  GeneralStatus,
  isSuccessStatus,
  PADDED_STRING,
  type ReadTagFragmentedRequest,
  type ReadTagRequest,
  readTagFragmentedRequest,
  readTagRequest,
  sizeOfRequest,
  type TagType,
  typeByCode,
  VARIABLE_SIZE,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { InvalidArgumentError, ProtocolError } from "../core/errors.js";
import { DEFAULT_ELEMENT_SIZE, type PackLimits, replySize } from "../core/packing.js";
import {
  type CipResult,
  type ReadOptions,
  type ReadResult,
  type RequestOptions,
  resultOf,
  statusText,
  type WriteOptions,
} from "../core/result.js";
import type { TagPort, TagTypeInfo } from "./port.js";

/** Fragment requests of one transfer in flight at once, once its size is known. */
export const FRAGMENT_WINDOW = 8;
/** Most bytes one continued read gathers (16 MiB): a device that never stops sending partial replies is an error. */
export const MAX_TRANSFER_BYTES = 16 * 1024 * 1024;
const STRUCT = CipTypeCode.codes.STRUCT;
const CIP_STRING = CipTypeCode.codes.STRING;
const PARTIAL = GeneralStatus.codes.partialTransfer;

/** The key of a tag in `tagTypes`: its symbolic names joined by "." (indexes dropped), or undefined. */
export function tagKey(path: EPath): string | undefined {
  let key: string | undefined;
  for (const s of path) if ("symbolic" in s) key = key === undefined ? s.symbolic : `${key}.${s.symbolic}`;
  return key;
}

/** Bytes of one element of the tag at `path`, as learned from earlier reads (default 4, a DINT). */
export function elementSizeOf(port: TagPort, path: EPath): number {
  return elementSizeFor(port, tagKey(path));
}

/** `elementSizeOf` for a tag already turned into its `tagKey` (undefined: not a tag, default 4). */
export function elementSizeFor(port: TagPort, key: string | undefined): number {
  const known = key === undefined ? undefined : port.tagTypes.get(key);
  return known !== undefined && known.size > 0 ? known.size : DEFAULT_ELEMENT_SIZE;
}

/** The read request for `elements` at `path`: Read Tag when its reply fits, else Read Tag Fragmented from 0. */
export function readRequestFor(
  port: TagPort,
  path: EPath,
  elements: number,
  options: { offset?: number | undefined; fragment?: boolean | undefined },
  limits: PackLimits = port.limits,
  elementSize: number = elementSizeOf(port, path),
): ReadTagRequest | ReadTagFragmentedRequest {
  if (options.offset !== undefined) return readTagFragmentedRequest(path, elements, options.offset);
  if (options.fragment) return readTagFragmentedRequest(path, elements, 0);
  const plain = readTagRequest(path, elements);
  return (replySize(plain, elementSize) as number) > limits.reply
    ? readTagFragmentedRequest(path, elements, 0)
    : plain;
}

/** Reads `elements` at `path`: one request, continued while the device answers "partial" (unless `offset`). */
export async function readTag(
  port: TagPort,
  path: EPath,
  elements: number,
  options: ReadOptions,
): Promise<ReadResult> {
  checkCount("elements", elements);
  const reply = await port.request(readRequestFor(port, path, elements, options), options);
  // The common case without a second async layer (finishRead's) between the reply and the caller.
  if (reply.generalStatus !== PARTIAL || options.offset !== undefined)
    return readResult(port, path, reply, readDataOf(reply));
  return finishRead(port, path, elements, reply, options);
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 0xffff)
    throw new InvalidArgumentError(`"${name}" must be an integer in 1..65535, got ${n}`);
}

/** The element data of a read reply (empty for any other reply). */
export function readDataOf(reply: CipReply): Uint8Array {
  if (reply.kind !== "readTag" && reply.kind !== "readTagFragmented") return new Uint8Array(0);
  return reply.data;
}

/**
 * Completes a read from its first reply: continues a partial one (unless the caller gave an `offset`), then
 * decodes the values. Used for packed reads too, whose sub-reply is the first reply.
 */
export async function finishRead(
  port: TagPort,
  path: EPath,
  elements: number,
  first: CipReply,
  options: ReadOptions,
): Promise<ReadResult> {
  if (first.generalStatus !== PARTIAL || options.offset !== undefined)
    return readResult(port, path, first, readDataOf(first));
  const head = readDataOf(first);
  if (head.length === 0) throw new ProtocolError("a partial read reply carried no data");
  const pieces: Uint8Array[] = [head];
  let reached = head.length;
  let last = first;
  const type = first.kind === "readTag" || first.kind === "readTagFragmented" ? first : undefined;
  const codec = type?.type === undefined ? undefined : elementType(port, type.type, type.structureHandle);
  const total = codec !== undefined && codec.size !== VARIABLE_SIZE ? codec.size * elements : undefined;
  if (total !== undefined && total > reached) {
    // The whole size is known: ask for the rest in pieces of the first one's size, several at a time.
    const offsets: number[] = [];
    for (let at = reached; at < total; at += head.length) offsets.push(at);
    const replies = await windowed(offsets, (offset) =>
      port.request(readTagFragmentedRequest(path, elements, offset), options),
    );
    for (let i = 0; i < replies.length; i++) {
      const reply = replies[i] as CipReply;
      if (!isSuccessStatus(reply.generalStatus)) return readResult(port, path, reply, new Uint8Array(0));
      if (offsets[i] !== reached) break;
      const data = readDataOf(reply);
      pieces.push(data);
      reached += data.length;
      last = reply;
      if (data.length === 0) break;
    }
  }
  while (last.generalStatus === PARTIAL && (total === undefined || reached < total)) {
    const reply = await port.request(readTagFragmentedRequest(path, elements, reached), options);
    if (!isSuccessStatus(reply.generalStatus)) return readResult(port, path, reply, new Uint8Array(0));
    const data = readDataOf(reply);
    if (data.length === 0 && reply.generalStatus === PARTIAL)
      throw new ProtocolError(`a partial read reply at offset ${reached} carried no data`);
    pieces.push(data);
    reached += data.length;
    last = reply;
    if (reached > MAX_TRANSFER_BYTES) throw new ProtocolError(`a read went past ${MAX_TRANSFER_BYTES} bytes`);
  }
  const joined = new Uint8Array(reached);
  let at = 0;
  for (const p of pieces) {
    joined.set(p, at);
    at += p.length;
  }
  // The transfer as a whole succeeded: report the final status (0x00) with every byte gathered.
  const done = {
    ...last,
    generalStatus: last.generalStatus === PARTIAL ? 0 : last.generalStatus,
  } as CipReply;
  return readResult(port, path, done, joined);
}

/** Runs `work` over `items`, `FRAGMENT_WINDOW` at a time, resolving with the results in order. */
async function windowed<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(FRAGMENT_WINDOW, items.length); i++) workers.push(worker());
  await Promise.all(workers);
  return out;
}

/** A read result from a reply and the data gathered; learns the tag's type for later packing and writes. */
export function readResult(port: TagPort, path: EPath, reply: CipReply, data: Uint8Array): ReadResult {
  const tagged = reply.kind === "readTag" || reply.kind === "readTagFragmented" ? reply : undefined;
  if (tagged?.type === undefined || !isSuccessStatus(reply.generalStatus))
    return resultOf(reply) as ReadResult;
  // One literal, in resultOf's order (a spread of its result copies every property once more).
  const result: ReadResult = {
    ok: true,
    status: reply.generalStatus,
    extStatus: reply.extStatus,
    statusText: statusText(reply.generalStatus, reply.extStatus),
    value: decodeRead(port, path, tagged.type, tagged.structureHandle, data),
    reply,
    type: tagged.type,
    data,
  };
  if (tagged.structureHandle !== undefined) result.structureHandle = tagged.structureHandle;
  return result;
}

/**
 * The values of read `data` of `type` (Logix STRING as text, structures through `port.structTypes`, unknown
 * types as one raw Uint8Array); remembers the tag's type for packing and writes. Throws `ProtocolError`.
 */
export function decodeRead(
  port: TagPort,
  path: EPath,
  type: number,
  structureHandle: number | undefined,
  data: Uint8Array,
): unknown[] {
  const codec = elementType(port, type, structureHandle);
  let value: unknown[];
  try {
    value = codec ? decodeValues(codec, data) : [data];
  } catch (error) {
    throw new ProtocolError(
      `cannot decode the data of type 0x${type.toString(16)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  learnType(port, tagKey(path), type, structureHandle, codec);
  return value;
}

/**
 * Remembers in `port.tagTypes` that the tag `key` (see `tagKey`; undefined: not a tag, nothing to learn) holds
 * `type` (and `structureHandle`), whose elements `codec` sizes (variable size when there is no codec).
 */
export function learnType(
  port: TagPort,
  key: string | undefined,
  type: number,
  structureHandle: number | undefined,
  codec: AnyCipType | undefined,
): void {
  if (key === undefined) return;
  const known = port.tagTypes.get(key);
  if (known === undefined || known.type !== type || known.structureHandle !== structureHandle) {
    const info: TagTypeInfo = { type, size: codec?.size ?? VARIABLE_SIZE };
    if (structureHandle !== undefined) info.structureHandle = structureHandle;
    port.tagTypes.set(key, info);
  }
}

/** What a write sends: the tag type, the encoded data, the element count and the bytes of one element. */
export interface EncodedWrite {
  tagType: TagType;
  data: Uint8Array;
  elements: number;
  /** Bytes of one element, or -1 when elements vary in size (such writes are never split). */
  elementSize: number;
}

function typeFromOption(
  port: TagPort,
  t: NonNullable<WriteOptions["type"]>,
  handle?: number,
): { tagType: TagType; codec?: AnyCipType } {
  if (typeof t === "number") {
    const tagType: TagType = t === STRUCT ? { type: t, structureHandle: handle ?? 0 } : { type: t };
    return { tagType, codec: elementType(port, t, t === STRUCT ? handle : undefined) };
  }
  if (typeof t === "string") {
    const code = CipTypeCode.codes[t.toUpperCase() as keyof typeof CipTypeCode.codes];
    if (code === undefined)
      throw new InvalidArgumentError(`unknown type "${t}"; use a CIP type name such as DINT or REAL`);
    return typeFromOption(port, code, handle);
  }
  const h = handle ?? (t as { structureHandle?: number }).structureHandle;
  return {
    tagType: t.code === STRUCT ? { type: STRUCT, structureHandle: h ?? 0 } : { type: t.code },
    codec: t,
  };
}

/** Resolves the type of a write (given, learned, or read once) and encodes its values. */
export async function encodeWrite(
  port: TagPort,
  path: EPath,
  values: readonly unknown[] | Uint8Array,
  options: WriteOptions,
): Promise<EncodedWrite | CipResult<true>> {
  let chosen: { tagType: TagType; codec?: AnyCipType };
  if (options.type !== undefined) chosen = typeFromOption(port, options.type, options.structureHandle);
  else {
    const key = tagKey(path);
    let known = key === undefined ? undefined : port.tagTypes.get(key);
    if (known === undefined) {
      const probe = await readTag(port, path, 1, { timeout: options.timeout, signal: options.signal });
      if (!probe.ok) return resultOf(probe.reply);
      known = key === undefined ? undefined : port.tagTypes.get(key);
      if (known === undefined && probe.type !== undefined)
        known = {
          type: probe.type,
          size: -1,
          ...(probe.structureHandle === undefined ? {} : { structureHandle: probe.structureHandle }),
        };
    }
    if (known === undefined)
      throw new InvalidArgumentError(`the type of ${JSON.stringify(path)} is unknown; pass "type"`);
    chosen = typeFromOption(port, known.type, known.structureHandle);
  }
  const { tagType, codec } = chosen;
  let data: Uint8Array;
  if (values instanceof Uint8Array) data = values;
  else {
    if (codec === undefined)
      throw new InvalidArgumentError(
        `no codec for type 0x${tagType.type.toString(16)}${tagType.structureHandle === undefined ? "" : ` handle 0x${tagType.structureHandle.toString(16)}`}; pass raw bytes or load the template`,
      );
    try {
      data = encodeValues(codec, values);
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot encode the values as ${codec.name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const elementSize = codec !== undefined && codec.size !== VARIABLE_SIZE ? codec.size : VARIABLE_SIZE;
  const elements =
    options.elements ??
    (values instanceof Uint8Array ? (elementSize > 0 ? data.length / elementSize : 1) : values.length);
  checkCount("elements", elements);
  return { tagType, data, elements, elementSize };
}

/** Writes `values` to `path`: Write Tag when it fits one request, else Write Tag Fragmented pieces; `offset` sends one. */
export async function writeTag(
  port: TagPort,
  path: EPath,
  values: readonly unknown[] | Uint8Array,
  options: WriteOptions,
): Promise<CipResult<true>> {
  const encoded = await encodeWrite(port, path, values, options);
  if (!("tagType" in encoded)) return encoded;
  return sendWrite(port, path, encoded, options);
}

/** Sends an encoded write (see `writeTag`). */
export async function sendWrite(
  port: TagPort,
  path: EPath,
  w: EncodedWrite,
  options: RequestOptions & { offset?: number; fragment?: boolean },
): Promise<CipResult<true>> {
  if (options.offset !== undefined) {
    const reply = await port.request(
      writeTagFragmentedRequest(path, w.tagType, w.elements, options.offset, w.data),
      options,
    );
    return resultOf(reply, true as const);
  }
  const limit = port.limits.request;
  const plain = writeTagRequest(path, w.tagType, w.elements, w.data);
  if (!options.fragment && sizeOfRequest(plain) <= limit)
    return resultOf(await port.request(plain, options), true as const);
  const overhead = sizeOfRequest(
    writeTagFragmentedRequest(path, w.tagType, w.elements, 0, new Uint8Array(0)),
  );
  const unit = w.elementSize > 0 ? w.elementSize : w.data.length;
  const piece = Math.max(unit, Math.floor((limit - overhead) / unit) * unit);
  const offsets: number[] = [];
  for (let at = 0; at < w.data.length; at += piece) offsets.push(at);
  if (offsets.length === 0) offsets.push(0);
  const replies = await windowed(offsets, (at) =>
    port.request(
      writeTagFragmentedRequest(
        path,
        w.tagType,
        w.elements,
        at,
        w.data.subarray(at, Math.min(w.data.length, at + piece)),
      ),
      options,
    ),
  );
  for (const reply of replies) if (!isSuccessStatus(reply.generalStatus)) return resultOf(reply);
  return resultOf(replies[replies.length - 1] as CipReply, true as const);
}

/**
 * The codec of one element of tag data of the elementary `type`: the codec's own, except CIP STRING (0xD0), whose
 * elements in Read/Write Tag data are padded to an even byte count (cpppo serves a STRING tag so, and reads writes
 * so): `03 00 'a' 'b' 'c' 00`. A missing pad after the last element is tolerated.
 */
export function tagValueType(type: number): AnyCipType | undefined {
  return type === CIP_STRING ? PADDED_STRING : typeByCode(type);
}

/** The codec of an element type code, or undefined (structures need `structTypes`). */
export function elementType(port: TagPort, type: number, structureHandle?: number): AnyCipType | undefined {
  if (structureHandle !== undefined) return port.structTypes.get(structureHandle);
  return tagValueType(type);
}
