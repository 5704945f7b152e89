/**
 * Running many operations (cpppo §3.2 `pipeline`, `synchronous`, `results`, `process`): up to `depth` requests in
 * flight, each request one operation or a Multiple Service Packet of several (`multiple`), results yielded in
 * operation order. CIP status is data in each result; only transport failures and timeouts throw.
 */
import {
  type AnyCipType,
  type CipReply,
  type CipRequest,
  describeStatus,
  type EPath,
  encodeRequestBytes,
  encodeValues,
  formatEPath,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  MESSAGE_ROUTER_CLASS,
  multipleServicePacket,
  Reader,
  type ReadTagReply,
  SYMBOL_CLASS,
  sizeOfRequest,
  type TagType,
  targetClass,
  typeByCode,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import type { EnipClient, RawReply, SendOptions } from "./client.js";
import { InvalidArgumentError, ProtocolError } from "./errors.js";
import {
  decodeRead,
  type EncodedWrite,
  elementSizeFor,
  elementSizeOf,
  elementType,
  finishRead,
  learnType,
  readDataOf,
  readRequestFor,
  readResult,
  sendWrite,
  tagKey,
} from "./fragment.js";
import { Packer, type PackLimits, replySize } from "./packing.js";
import { type ReadOptions, type ReadResult, type RequestOptions, resultOf } from "./result.js";

/** Where one operation goes when not where the client sends by default (an operation with its own route is never packed). */
interface OperationRoute {
  routePath?: EPath | false;
  sendPath?: EPath | "";
}

/**
 * One operation, as `parseOperation` (src/operations.ts) produces it: read, write, Get Attribute Single/All, Set
 * Attribute Single, or a generic service. `dataSize` (bytes of reply data, when known) lets Get Attribute and
 * generic services be packed; `description` defaults to the path's text. A read's request is prepared once and
 * reused whenever the same operation object is run again (a polling loop): change an operation by assigning its
 * fields (a new `path` array), not by editing its path's segments in place, which is not noticed.
 */
export type PipelineOperation = OperationRoute &
  (
    | {
        method: "read";
        path: EPath;
        elements?: number;
        offset?: number;
        description?: string;
        fragment?: boolean;
      }
    | {
        method: "write";
        path: EPath;
        elements: number;
        offset?: number;
        tagType: number;
        structureHandle?: number;
        values: readonly unknown[];
        description?: string;
        fragment?: boolean;
      }
    | {
        method: "getAttributeSingle" | "getAttributesAll";
        path: EPath;
        description?: string;
        dataSize?: number;
      }
    | { method: "setAttributeSingle"; path: EPath; data: Uint8Array; description?: string }
    | {
        method: "service";
        code: number;
        path: EPath;
        data: Uint8Array;
        description?: string;
        dataSize?: number;
      }
  );

/** One operation's outcome, yielded in operation order. */
export interface OperationResult {
  /** Position of the operation in the input, from 0. */
  index: number;
  description: string;
  /** The request sent for it (inside a packet when packed; the first request of a continued transfer). */
  request: CipRequest;
  /** Its reply (the last one of a continued transfer). */
  reply: CipReply;
  ok: boolean;
  /** General status. */
  status: number;
  extStatus: number[];
  statusText: string;
  /** Read values, `true` for writes and sets, raw data for attribute gets and services; undefined on failure. */
  value: unknown;
}

/** Options of `pipeline`. */
export interface PipelineOptions extends RequestOptions {
  /** Requests in flight at once; defaults to 1. */
  depth?: number;
  /** Pack operations into Multiple Service Packets: false (default), true (up to the connection size), or a byte budget. */
  multiple?: boolean | number;
  /** Always use Read/Write Tag Fragmented (cpppo `-f`); defaults to false. */
  fragment?: boolean;
}

interface Prepared {
  description: string;
  op: PipelineOperation;
  request: CipRequest;
  /** The request's bytes, when encoded ahead (reads): packets of such requests are built from them. */
  bytes: Uint8Array | undefined;
  replySize: number | undefined;
  /** Request options of its own (routing), when it has any: the operation is then sent alone. */
  options: SendOptions | undefined;
  /** A write that needs more than one request by itself (split into fragments). */
  split: EncodedWrite | undefined;
  /** A read whose plain reply (status 0, an elementary type) may be decoded straight from the packet's bytes. */
  direct: DirectRead | undefined;
}

/** What decoding a read's reply straight from the bytes needs. */
interface DirectRead {
  /** The reply service that answers it: 0xCC (Read Tag) or 0xD2 (Read Tag Fragmented). */
  replyService: number;
  /** Its `tagKey`, under which the type of the data is learned. */
  key: string | undefined;
}

/**
 * A read prepared once and reused while its operation is run again (polling loops run the same operations over
 * and over): kept per operation object, with what it was prepared from, and rebuilt when any of that changed.
 * An operation's `path` is compared by identity: a path array changed in place is not seen (give a new one).
 */
interface ReadPlan extends Prepared {
  /** The `tagKey` of `path`. */
  key: string | undefined;
  path: EPath;
  elements: number | undefined;
  offset: number | undefined;
  fragment: boolean | undefined;
  descriptionOption: string | undefined;
  runFragment: boolean;
  replyLimit: number;
  elementSize: number;
}

/** What every operation of one pipeline shares: the client, its limits, and the request options. */
interface RunContext {
  client: EnipClient;
  limits: PackLimits;
  fragment: boolean;
  options: SendOptions;
  /** Only values and failures are wanted (`process`, `results`): results need not be built. */
  lean: boolean;
  /**
   * The element size last looked up, and its tag's key (`NO_KEY` when none): operations of one array mostly read
   * the same tag. Valid only while the pipeline runs synchronously (replies that arrive meanwhile may teach a new
   * size), so the engine forgets it at every await.
   */
  sizeKey: string | undefined | typeof NO_KEY;
  size: number;
}

/** No key remembered in `RunContext.sizeKey`. */
const NO_KEY: unique symbol = Symbol("no key");

/** `elementSizeFor`, remembering the last answer while the pipeline runs synchronously. */
function sizeFor(ctx: RunContext, key: string | undefined): number {
  if (ctx.sizeKey !== key) {
    ctx.size = elementSizeFor(ctx.client, key);
    ctx.sizeKey = key;
  }
  return ctx.size;
}

/** The outcome of a packet of reads that all succeeded, when only values are wanted: the values in order. */
class LeanBatch {
  constructor(readonly values: unknown[]) {}
}

type Batch = OperationResult[] | LeanBatch;

type Settled = { ok: true; results: Batch } | { ok: false; error: unknown };

const PARTIAL = 0x06;
const SUCCESS = 0x00;
const SUCCESS_TEXT = describeStatus(0);
const STRUCT = 0x02a0;
const MSP_REPLY = 0x8a;
/** Most values one reply is decoded into, as `decodeValues` allows. */
const MAX_VALUES = 65536;
const MESSAGE_ROUTER: EPath = [{ class: 2 }, { instance: 1 }];
/** Read plans by operation object. */
const READ_PLANS = new WeakMap<PipelineOperation, ReadPlan>();
/** Read plans by operation array, by position (`undefined` holes for operations that are not plain reads). */
const LIST_PLANS = new WeakMap<readonly PipelineOperation[], ReadPlan[]>();
const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

function outcome(p: Prepared, index: number, reply: CipReply, value: unknown, ok?: boolean): OperationResult {
  const r = resultOf(reply, value);
  return {
    index,
    description: p.description,
    request: p.request,
    reply,
    ok: ok ?? r.ok,
    status: r.status,
    extStatus: r.extStatus,
    statusText: r.statusText,
    value: r.value,
  };
}

function fromRead(p: Prepared, index: number, r: ReadResult): OperationResult {
  return outcome(p, index, r.reply, r.value, r.ok);
}

function dataOf(reply: CipReply): Uint8Array {
  return "data" in reply && reply.data instanceof Uint8Array ? reply.data : new Uint8Array(0);
}

function optionsOf(op: PipelineOperation, ctx: RunContext): SendOptions | undefined {
  if (op.routePath === undefined && op.sendPath === undefined) return undefined;
  const o: SendOptions = { ...ctx.options };
  if (op.routePath !== undefined) o.routePath = op.routePath;
  if (op.sendPath !== undefined) o.sendPath = op.sendPath;
  return o;
}

/** True when a Logix tag service to `path` means the Logix service (as the codec decides for replies). */
function isLogixTarget(path: EPath): boolean {
  const cls = targetClass(path);
  return cls === undefined || cls === SYMBOL_CLASS || cls === MESSAGE_ROUTER_CLASS;
}

type ReadOperation = Extract<PipelineOperation, { method: "read" }>;

function validPlan(ctx: RunContext, op: ReadOperation, plan: ReadPlan | undefined): plan is ReadPlan {
  return (
    plan !== undefined &&
    plan.op === op &&
    plan.path === op.path &&
    plan.elements === op.elements &&
    plan.offset === op.offset &&
    plan.fragment === op.fragment &&
    plan.descriptionOption === op.description &&
    plan.runFragment === ctx.fragment &&
    plan.replyLimit === ctx.limits.reply &&
    plan.elementSize === sizeFor(ctx, plan.key)
  );
}

/**
 * The plan of a read without a route of its own: the one kept for `op` when still valid, else a new one. `slots`
 * (the plans of the array `op` came from, by position) finds it without a lookup when the array is run again.
 */
function readPlan(ctx: RunContext, op: ReadOperation, slots: ReadPlan[] | undefined, at: number): ReadPlan {
  const slot = slots?.[at];
  if (validPlan(ctx, op, slot)) return slot;
  let plan = READ_PLANS.get(op);
  if (!validPlan(ctx, op, plan)) {
    plan = newReadPlan(ctx, op);
    READ_PLANS.set(op, plan);
  }
  if (slots !== undefined) slots[at] = plan;
  return plan;
}

function newReadPlan(ctx: RunContext, op: ReadOperation): ReadPlan {
  const key = tagKey(op.path);
  const elementSize = sizeFor(ctx, key);
  const request = readRequestFor(
    ctx.client,
    op.path,
    op.elements ?? 1,
    { offset: op.offset, fragment: op.fragment ?? ctx.fragment },
    ctx.limits,
    elementSize,
  );
  let bytes: Uint8Array | undefined;
  try {
    bytes = encodeRequestBytes(request);
  } catch {
    // Left to fail where it always did: when the request is sent, at its turn in the pipeline.
    bytes = undefined;
  }
  return {
    description: op.description ?? formatEPath(op.path),
    op,
    request,
    bytes,
    replySize: replySize(request, elementSize),
    options: undefined,
    split: undefined,
    direct:
      bytes !== undefined && isLogixTarget(op.path)
        ? { replyService: request.service | 0x80, key }
        : undefined,
    key,
    path: op.path,
    elements: op.elements,
    offset: op.offset,
    fragment: op.fragment,
    descriptionOption: op.description,
    runFragment: ctx.fragment,
    replyLimit: ctx.limits.reply,
    elementSize,
  };
}

/** Prepares `op`, the `at`-th operation of an array whose read plans are `slots` (when the operations are an array). */
function prepare(
  ctx: RunContext,
  op: PipelineOperation,
  slots: ReadPlan[] | undefined,
  at: number,
): Prepared {
  const client = ctx.client;
  const options = optionsOf(op, ctx);
  if (op.method === "read" && options === undefined) return readPlan(ctx, op, slots, at);
  const description = op.description ?? formatEPath(op.path);
  let request: CipRequest;
  let size: number | undefined;
  let split: EncodedWrite | undefined;
  switch (op.method) {
    case "read": {
      const elementSize = elementSizeOf(client, op.path);
      request = readRequestFor(
        client,
        op.path,
        op.elements ?? 1,
        { offset: op.offset, fragment: op.fragment ?? ctx.fragment },
        ctx.limits,
        elementSize,
      );
      size = replySize(request, elementSize);
      break;
    }
    case "write": {
      const tagType: TagType = { type: op.tagType };
      if (op.structureHandle !== undefined) tagType.structureHandle = op.structureHandle;
      const codec = elementType(client, op.tagType, op.structureHandle);
      if (codec === undefined)
        throw new InvalidArgumentError(
          `${description}: no codec for type 0x${op.tagType.toString(16)}; load its template first`,
        );
      const data = encodeValues(codec, op.values);
      request =
        op.offset !== undefined || (op.fragment ?? ctx.fragment)
          ? writeTagFragmentedRequest(op.path, tagType, op.elements, op.offset ?? 0, data)
          : writeTagRequest(op.path, tagType, op.elements, data);
      size = replySize(request);
      if (op.offset === undefined && sizeOfRequest(request) > ctx.limits.request)
        split = { tagType, data, elements: op.elements, elementSize: codec.size };
      break;
    }
    case "getAttributeSingle":
    case "getAttributesAll":
      request =
        op.method === "getAttributeSingle"
          ? getAttributeSingleRequest(op.path)
          : getAttributesAllRequest(op.path);
      size = replySize(request, undefined, op.dataSize);
      break;
    case "setAttributeSingle":
      request = { kind: "setAttributeSingle", service: 0x10, path: op.path, data: op.data };
      size = replySize(request);
      break;
    case "service":
      request = { kind: "generic", service: op.code, path: op.path, data: op.data };
      size = replySize(request, undefined, op.dataSize);
      break;
    default:
      throw new InvalidArgumentError(
        `unknown operation method ${JSON.stringify((op as { method: unknown }).method)}`,
      );
  }
  return {
    description,
    op,
    request,
    bytes: undefined,
    replySize: size,
    options,
    split,
    direct: undefined,
  };
}

/** Completes an operation from its reply, continuing a partial read; synchronous unless more requests are needed. */
function finish(
  ctx: RunContext,
  p: Prepared,
  index: number,
  reply: CipReply,
): OperationResult | Promise<OperationResult> {
  const op = p.op;
  switch (op.method) {
    case "read": {
      if (
        reply.generalStatus === 0 &&
        (reply.kind === "readTag" || reply.kind === "readTagFragmented") &&
        reply.type !== undefined
      ) {
        // The common case, kept lean: one whole reply, decoded straight into the result.
        const value = decodeRead(ctx.client, op.path, reply.type, reply.structureHandle, reply.data);
        return {
          index,
          description: p.description,
          request: p.request,
          reply,
          ok: true,
          status: 0,
          extStatus: reply.extStatus,
          statusText: SUCCESS_TEXT,
          value,
        };
      }
      if (reply.generalStatus === PARTIAL && op.offset === undefined) {
        const readOptions: ReadOptions = {
          ...(p.options ?? ctx.options),
          fragment: op.fragment ?? ctx.fragment,
        };
        return finishRead(ctx.client, op.path, op.elements ?? 1, reply, readOptions).then((r) =>
          fromRead(p, index, r),
        );
      }
      return fromRead(p, index, readResult(ctx.client, op.path, reply, readDataOf(reply)));
    }
    case "write":
    case "setAttributeSingle":
      return outcome(p, index, reply, true);
    default:
      return outcome(p, index, reply, dataOf(reply));
  }
}

async function runAlone(ctx: RunContext, p: Prepared, index: number): Promise<OperationResult> {
  const options = p.options ?? ctx.options;
  if (p.split !== undefined) {
    const op = p.op as { path: EPath; fragment?: boolean };
    const r = await sendWrite(ctx.client, op.path, p.split, {
      ...options,
      fragment: op.fragment ?? ctx.fragment,
    });
    return outcome(p, index, r.reply, true);
  }
  return finish(ctx, p, index, await ctx.client.request(p.request, options));
}

/**
 * The Multiple Service Packet of `group` as a generic 0x0A request whose data is the count, the offsets and the
 * requests' pre-encoded bytes: on the wire exactly what `multipleServicePacket` of the requests encodes to, without
 * sizing and encoding every request again. Undefined when a request has no bytes or the packet would not fit.
 */
function encodedPacket(group: Prepared[]): CipRequest | undefined {
  const n = group.length;
  let size = 2 + 2 * n;
  for (let i = 0; i < n; i++) {
    const bytes = (group[i] as Prepared).bytes;
    if (bytes === undefined) return undefined;
    size += bytes.length;
  }
  if (size > 0xffff) return undefined;
  const data = new Uint8Array(size);
  data[0] = n;
  data[1] = n >>> 8;
  let offset = 2 + 2 * n;
  for (let i = 0; i < n; i++) {
    const bytes = (group[i] as Prepared).bytes as Uint8Array;
    data[2 + 2 * i] = offset;
    data[3 + 2 * i] = offset >>> 8;
    data.set(bytes, offset);
    offset += bytes.length;
  }
  return { kind: "generic", service: 0x0a, path: MESSAGE_ROUTER, data };
}

/**
 * The results of a packet of plain reads decoded straight from the reply's bytes, or undefined when the reply is
 * anything but the plain case: a well-formed Multiple Service Packet reply with one reply per read, each with status
 * 0, no extended status and data of an elementary fixed-size type. Checks everything the codec's decoder and
 * `decodeRead` check, so that whatever it declines is decoded (and fails, or is continued) the general way.
 */
function directReplies(ctx: RunContext, group: Prepared[], raw: RawReply, first: number): Batch | undefined {
  const frame = raw.frame;
  const c = raw.cipStart;
  const end = frame.length;
  if (c < 0 || end - c < 6 || frame[c] !== MSP_REPLY || frame[c + 3] !== 0) return undefined;
  // The service table counts from the count field.
  const start = c + 4;
  const length = end - start;
  const n = group.length;
  const tableEnd = 2 + 2 * n;
  if (u16At(frame, start) !== n || tableEnd > length) return undefined;
  let previous = tableEnd - 1;
  for (let i = 0; i < n; i++) {
    const offset = u16At(frame, start + 2 + 2 * i);
    if (offset <= previous || offset >= length) return undefined;
    previous = offset;
  }
  // Every reply must be plain before any is decoded: the general path then sees the packet as it always did.
  for (let i = 0; i < n; i++) {
    const direct = (group[i] as Prepared).direct;
    const from = start + u16At(frame, start + 2 + 2 * i);
    const to = i + 1 < n ? start + u16At(frame, start + 4 + 2 * i) : end;
    if (
      direct === undefined ||
      to - from < 6 ||
      frame[from] !== direct.replyService ||
      frame[from + 2] !== SUCCESS ||
      frame[from + 3] !== 0
    )
      return undefined;
    const type = u16At(frame, from + 4);
    const codec = type === STRUCT ? undefined : typeByCode(type);
    if (codec === undefined || codec.size <= 0) return undefined;
    const bytes = to - from - 6;
    if (bytes % codec.size !== 0 || bytes / codec.size > MAX_VALUES) return undefined;
  }
  const client = ctx.client;
  const r = new Reader(frame, 0, end);
  const lean = ctx.lean;
  // Packed reads are mostly of one tag: its type is looked up, and learned, once per run of equal ones.
  let lastType = -1;
  let lastCodec: AnyCipType | undefined;
  let learnedKey: string | undefined | typeof NO_KEY = NO_KEY;
  let learnedType = -1;
  const values = lean ? new Array<unknown>(n) : undefined;
  const results = lean ? undefined : new Array<OperationResult>(n);
  for (let i = 0; i < n; i++) {
    const p = group[i] as Prepared;
    const from = start + u16At(frame, start + 2 + 2 * i);
    const to = i + 1 < n ? start + u16At(frame, start + 4 + 2 * i) : end;
    const type = u16At(frame, from + 4);
    if (type !== lastType) {
      lastType = type;
      lastCodec = typeByCode(type);
    }
    const codec = lastCodec as AnyCipType;
    const count = (to - from - 6) / codec.size;
    const value = new Array<unknown>(count);
    r.offset = from + 6;
    try {
      for (let k = 0; k < count; k++) value[k] = codec.decode(r);
    } catch {
      // A value the codec refuses: the general path reports it (with the operations before it completed).
      return undefined;
    }
    const key = (p.direct as DirectRead).key;
    if (key !== learnedKey || type !== learnedType) {
      learnType(client, key, type, undefined, codec);
      learnedKey = key;
      learnedType = type;
    }
    if (values !== undefined) values[i] = value;
    else {
      const fragmented = frame[from] === 0xd2;
      const reply: ReadTagReply = {
        kind: fragmented ? "readTagFragmented" : "readTag",
        service: fragmented ? 0xd2 : 0xcc,
        generalStatus: 0,
        extStatus: [],
        data: frame.subarray(from + 6, to),
        type,
      };
      (results as OperationResult[])[i] = {
        index: first + i,
        description: p.description,
        request: p.request,
        reply,
        ok: true,
        status: 0,
        extStatus: reply.extStatus,
        statusText: SUCCESS_TEXT,
        value,
      };
    }
  }
  return values !== undefined ? new LeanBatch(values) : (results as OperationResult[]);
}

function u16At(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/** Completes the operations of a packet from its decoded reply. */
function completePacket(
  ctx: RunContext,
  group: Prepared[],
  first: number,
  reply: CipReply,
): OperationResult[] | Promise<OperationResult[]> {
  if (reply.kind !== "multipleServicePacket" || reply.replies === undefined) {
    // The packet failed as a whole: every operation in it carries the packet's status.
    return group.map((p, i) => outcome(p, first + i, reply, undefined, false));
  }
  const replies = reply.replies;
  if (replies.length !== group.length)
    throw new ProtocolError(
      `a Multiple Service Packet of ${group.length} requests came back with ${replies.length} replies`,
    );
  const out = new Array<OperationResult | Promise<OperationResult>>(group.length);
  let pending = false;
  for (let i = 0; i < group.length; i++) {
    const r = finish(ctx, group[i] as Prepared, first + i, replies[i] as CipReply);
    if (r instanceof Promise) pending = true;
    out[i] = r;
  }
  return pending ? Promise.all(out) : (out as OperationResult[]);
}

function packetRequest(group: Prepared[]): CipRequest {
  const requests = new Array<CipRequest>(group.length);
  for (let i = 0; i < group.length; i++) requests[i] = (group[i] as Prepared).request;
  return multipleServicePacket(requests);
}

/** Sends one group (one operation, or several in a packet) and completes its operations; `first` is the index of its first. */
async function execute(ctx: RunContext, group: Prepared[], first: number): Promise<Batch> {
  if (group.length === 1) return [await runAlone(ctx, group[0] as Prepared, first)];
  const packet = encodedPacket(group);
  if (packet === undefined)
    return completePacket(ctx, group, first, await ctx.client.request(packetRequest(group), ctx.options));
  const raw = await ctx.client.requestFrame(packet, ctx.options, packetRequest(group));
  return directReplies(ctx, group, raw, first) ?? completePacket(ctx, group, first, raw.decode());
}

function settle(promise: Promise<Batch>): Promise<Settled> {
  return promise.then(
    (results): Settled => ({ ok: true, results }),
    (error: unknown): Settled => ({ ok: false, error }),
  );
}

function packLimitsFor(limits: PackLimits, multiple: boolean | number): PackLimits {
  if (multiple === true) return limits;
  const budget = multiple as number;
  return { request: Math.min(budget, limits.request), reply: Math.min(budget, limits.reply) };
}

/**
 * The engine of `pipeline`: runs `ops` with `depth` requests in flight and yields the results of each request
 * (one operation, or all those of one packet) in order, so that consumers pay one await per request. With `lean`,
 * a packet of plain reads yields a `LeanBatch` of values instead of results.
 */
async function* batches(
  client: EnipClient,
  ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
  options: PipelineOptions,
  lean: boolean,
): AsyncGenerator<Batch> {
  const depth = options.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 1)
    throw new InvalidArgumentError(`"depth" must be an integer ≥ 1, got ${depth}`);
  const multiple = options.multiple ?? false;
  if (typeof multiple === "number" && !(multiple > 0))
    throw new InvalidArgumentError(
      `"multiple" must be true, false or a positive byte count, got ${multiple}`,
    );
  await client.ready(options);
  const limits = client.limits;
  const packer = multiple === false ? undefined : new Packer<Prepared>(packLimitsFor(limits, multiple));
  const ctx: RunContext = {
    client,
    limits,
    fragment: options.fragment ?? false,
    options: { timeout: options.timeout, signal: options.signal },
    lean,
    sizeKey: NO_KEY,
    size: 0,
  };
  const inflight: Promise<Settled>[] = [];
  let head = 0;
  // Groups come out of the packer in operation order, so each one's first index is the count sent before it.
  let sent = 0;
  const send = (group: Prepared[]): void => {
    inflight.push(settle(execute(ctx, group, sent)));
    sent += group.length;
  };
  // A plain array is walked by index, and the plans of its reads are kept by position for its next run.
  const list =
    Array.isArray(ops) && ops[Symbol.iterator] === ARRAY_ITERATOR ? (ops as PipelineOperation[]) : undefined;
  let slots: ReadPlan[] | undefined;
  if (list !== undefined) {
    slots = LIST_PLANS.get(list);
    if (slots === undefined) {
      slots = [];
      LIST_PLANS.set(list, slots);
    }
  }
  const add = (op: PipelineOperation, at: number): void => {
    const p = prepare(ctx, op, slots, at);
    if (packer === undefined) {
      send([p]);
      return;
    }
    const alone = p.split !== undefined || p.options !== undefined;
    const size = p.bytes !== undefined ? p.bytes.length : sizeOfRequest(p.request);
    const groups = packer.addItem(p, size, alone ? undefined : p.replySize);
    for (let i = 0; i < groups.length; i++) send(groups[i] as Prepared[]);
  };
  // Any other synchronous iterable is walked without an await per operation.
  const sync = list === undefined && Symbol.iterator in ops;
  const iterator: Iterator<PipelineOperation> | AsyncIterator<PipelineOperation> | undefined =
    list !== undefined
      ? undefined
      : sync
        ? (ops as Iterable<PipelineOperation>)[Symbol.iterator]()
        : (ops as AsyncIterable<PipelineOperation>)[Symbol.asyncIterator]();
  for (let at = 0; ; at++) {
    let op: PipelineOperation;
    if (list !== undefined) {
      if (at >= list.length) break;
      op = list[at] as PipelineOperation;
    } else {
      let step: IteratorResult<PipelineOperation>;
      if (sync) step = (iterator as Iterator<PipelineOperation>).next();
      else {
        step = await (iterator as AsyncIterator<PipelineOperation>).next();
        ctx.sizeKey = NO_KEY;
      }
      if (step.done) break;
      op = step.value;
    }
    add(op, at);
    while (inflight.length - head >= depth) {
      const settled = await (inflight[head] as Promise<Settled>);
      inflight[head++] = undefined as unknown as Promise<Settled>;
      if (!settled.ok) throw settled.error;
      yield settled.results;
      ctx.sizeKey = NO_KEY;
    }
  }
  if (packer !== undefined) for (const group of packer.flush()) send(group);
  while (head < inflight.length) {
    const settled = await (inflight[head] as Promise<Settled>);
    inflight[head++] = undefined as unknown as Promise<Settled>;
    if (!settled.ok) throw settled.error;
    yield settled.results;
  }
}

/**
 * Runs `ops` with `depth` (default 1) requests in flight, packing them when `multiple`, and yields each
 * operation's result in order. Throws the first transport failure (timeout, lost session) when its turn comes.
 */
export async function* pipeline(
  client: EnipClient,
  ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
  options: PipelineOptions = {},
): AsyncGenerator<OperationResult> {
  for await (const batch of batches(client, ops, options, false))
    for (const r of batch as OperationResult[]) yield r;
}

/** `pipeline` with one request in flight. */
export function synchronous(
  client: EnipClient,
  ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
  options: Omit<PipelineOptions, "depth"> = {},
): AsyncGenerator<OperationResult> {
  return pipeline(client, ops, { ...options, depth: 1 });
}

/** The values of `ops` in order (undefined where an operation failed). */
export async function results(
  client: EnipClient,
  ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
  options: PipelineOptions = {},
): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const batch of batches(client, ops, options, true)) {
    if (batch instanceof LeanBatch) for (const v of batch.values) values.push(v);
    else for (const r of batch) values.push(r.value);
  }
  return values;
}

/** Runs `ops`: the number of operations that failed and the values in order (cpppo's `process`). */
export async function process(
  client: EnipClient,
  ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
  options: PipelineOptions = {},
): Promise<{ failures: number; values: unknown[] }> {
  let failures = 0;
  const values: unknown[] = [];
  for await (const batch of batches(client, ops, options, true)) {
    if (batch instanceof LeanBatch) for (const v of batch.values) values.push(v);
    else
      for (const r of batch) {
        if (!r.ok) failures++;
        values.push(r.value);
      }
  }
  return { failures, values };
}
