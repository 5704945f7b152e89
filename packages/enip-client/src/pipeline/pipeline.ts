/**
 * Running many operations (cpppo §3.2 `pipeline`, `synchronous`, `results`, `process`): up to `depth` requests in
 * flight, each request one operation or a Multiple Service Packet of several (`multiple`), results yielded in
 * operation order. CIP status is data in each result; only transport failures and timeouts throw.
 */
import {
  type CipReply,
  type CipRequest,
  CipService,
  describeStatus,
  type EPath,
  GeneralStatus,
  LogixService,
  MESSAGE_ROUTER_PATH,
  multipleServicePacket,
  REPLY_BIT,
  type ReadTagReply,
  sizeOfRequest,
  viewPackedReads,
} from "@cpppo/cip-codec";
import { InvalidArgumentError, ProtocolError } from "../core/errors.js";
import { Packer, type PackLimits } from "../core/packing.js";
import { type ReadOptions, type ReadResult, resultOf } from "../core/result.js";
import { replyData } from "../operations/attributes.js";
import { decodeRead, finishRead, learnType, readDataOf, readResult, sendWrite } from "../operations/tags.js";
import type { RawReply } from "../session/raw-reply.js";
import {
  type DirectRead,
  NO_KEY,
  type Prepared,
  PreparedOperations,
  prepareOperation,
  type RunContext,
} from "./plan.js";
import type { OperationResult, PipelineOperation, PipelineOptions, PipelinePort } from "./types.js";

/** The outcome of a packet of reads that all succeeded, when only values are wanted: the values in order. */
class LeanBatch {
  constructor(readonly values: unknown[]) {}
}

type Batch = OperationResult[] | LeanBatch;

type Settled = { ok: true; results: Batch } | { ok: false; error: unknown };

const PARTIAL = GeneralStatus.codes.partialTransfer;
const SERVICE_NOT_SUPPORTED = GeneralStatus.codes.serviceNotSupported;
const MULTIPLE_REPLY = CipService.codes.multipleServicePacket | REPLY_BIT;
const SUCCESS_TEXT = describeStatus(GeneralStatus.codes.success);
const READ_TAG_FRAGMENTED_REPLY = (LogixService.codes.readTagFragmented |
  REPLY_BIT) as ReadTagReply["service"];
const READ_TAG_REPLY = (LogixService.codes.readTag | REPLY_BIT) as ReadTagReply["service"];
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
        const value = decodeRead(ctx.port, op.path, reply.type, reply.structureHandle, reply.data);
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
        return finishRead(ctx.port, op.path, op.elements ?? 1, reply, readOptions).then((r) =>
          fromRead(p, index, r),
        );
      }
      return fromRead(p, index, readResult(ctx.port, op.path, reply, readDataOf(reply)));
    }
    case "write":
    case "setAttributeSingle":
      return outcome(p, index, reply, true);
    default:
      return outcome(p, index, reply, replyData(reply));
  }
}

async function runAlone(ctx: RunContext, p: Prepared, index: number): Promise<OperationResult> {
  const options = p.options ?? ctx.options;
  if (p.split !== undefined) {
    const op = p.op as { path: EPath; fragment?: boolean };
    const r = await sendWrite(ctx.port, op.path, p.split, {
      ...options,
      fragment: op.fragment ?? ctx.fragment,
    });
    return outcome(p, index, r.reply, true);
  }
  return finish(ctx, p, index, await ctx.port.request(p.request, options));
}

/**
 * The Multiple Service Packet of `group` as a generic Multiple Service Packet request whose data is the count, the offsets and the
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
  return {
    kind: "generic",
    service: CipService.codes.multipleServicePacket,
    path: MESSAGE_ROUTER_PATH,
    data,
  };
}

/**
 * The results of a packet of plain reads decoded straight from the reply's bytes (the codec's `viewPackedReads`),
 * or undefined when the reply is anything but the plain case, which is then decoded (and fails, or is continued)
 * the general way.
 */
function directReplies(ctx: RunContext, group: Prepared[], raw: RawReply, first: number): Batch | undefined {
  const n = group.length;
  const services = new Array<number | undefined>(n);
  for (let i = 0; i < n; i++) services[i] = (group[i] as Prepared).direct?.replyService;
  const view = viewPackedReads(raw.frame, raw.cipStart, services);
  if (view === undefined) return undefined;
  const port = ctx.port;
  const frame = raw.frame;
  // Packed reads are mostly of one tag: its type is learned once per run of equal ones.
  let learnedKey: string | undefined | typeof NO_KEY = NO_KEY;
  let learnedType = -1;
  const lean = ctx.lean;
  const results = lean ? undefined : new Array<OperationResult>(n);
  for (let i = 0; i < n; i++) {
    const p = group[i] as Prepared;
    const type = view.types[i] as number;
    const key = (p.direct as DirectRead).key;
    if (key !== learnedKey || type !== learnedType) {
      learnType(port, key, type, undefined, view.codecs[i]);
      learnedKey = key;
      learnedType = type;
    }
    if (results !== undefined) {
      const fragmented = view.services[i] === READ_TAG_FRAGMENTED_REPLY;
      const reply: ReadTagReply = {
        kind: fragmented ? "readTagFragmented" : "readTag",
        service: fragmented ? READ_TAG_FRAGMENTED_REPLY : READ_TAG_REPLY,
        generalStatus: 0,
        extStatus: [],
        data: frame.subarray(view.dataStart[i] as number, view.dataEnd[i] as number),
        type,
      };
      results[i] = {
        index: first + i,
        description: p.description,
        request: p.request,
        reply,
        ok: true,
        status: 0,
        extStatus: reply.extStatus,
        statusText: SUCCESS_TEXT,
        value: view.values[i],
      };
    }
  }
  return results !== undefined ? results : new LeanBatch(view.values);
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

/** True when `reply` is a device's "service not supported" to a Multiple Service Packet. */
function refusesMultiple(reply: CipReply): boolean {
  return reply.service === MULTIPLE_REPLY && reply.generalStatus === SERVICE_NOT_SUPPORTED;
}

/** Runs the operations of `group` one request each, one after the other (a device that takes no packets). */
async function runSingly(ctx: RunContext, group: Prepared[], first: number): Promise<OperationResult[]> {
  const out: OperationResult[] = [];
  for (let i = 0; i < group.length; i++) out.push(await runAlone(ctx, group[i] as Prepared, first + i));
  return out;
}

/**
 * Completes a packet from its decoded reply; a device that answers the packet "service not supported" gets its
 * operations again one by one, and no more packets on this connection.
 */
function completeOrResend(
  ctx: RunContext,
  group: Prepared[],
  first: number,
  reply: CipReply,
): OperationResult[] | Promise<OperationResult[]> {
  if (!refusesMultiple(reply)) return completePacket(ctx, group, first, reply);
  ctx.port.refuseMultiple();
  return runSingly(ctx, group, first);
}

/** Sends one group (one operation, or several in a packet) and completes its operations; `first` is the index of its first. */
async function execute(ctx: RunContext, group: Prepared[], first: number): Promise<Batch> {
  if (group.length === 1) return [await runAlone(ctx, group[0] as Prepared, first)];
  if (!ctx.port.multipleAllowed) return runSingly(ctx, group, first);
  const packet = encodedPacket(group);
  if (packet === undefined)
    return completeOrResend(ctx, group, first, await ctx.port.request(packetRequest(group), ctx.options));
  const raw = await ctx.port.requestFrame(packet, ctx.options, packetRequest(group));
  return directReplies(ctx, group, raw, first) ?? completeOrResend(ctx, group, first, raw.decode());
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
  port: PipelinePort,
  ops: Operations,
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
  await port.ready(options);
  const limits = port.limits;
  const packer = multiple === false ? undefined : new Packer<Prepared>(packLimitsFor(limits, multiple));
  const ctx: RunContext = {
    port,
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
  // Prepared operations and plain arrays are walked by index; prepared ones keep the plans of their reads.
  const prepared = ops instanceof PreparedOperations ? ops : undefined;
  const list =
    prepared !== undefined
      ? prepared.operations
      : Array.isArray(ops) && ops[Symbol.iterator] === ARRAY_ITERATOR
        ? (ops as PipelineOperation[])
        : undefined;
  const slots = prepared?.plans;
  const add = (op: PipelineOperation, at: number): void => {
    const p = prepareOperation(ctx, op, slots, at);
    if (packer === undefined) {
      send([p]);
      return;
    }
    if (!port.multipleAllowed) {
      // The device refused a packet: what waits in the packer, then every operation, goes alone.
      for (const group of packer.flush()) send(group);
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

/** Operations to run: any iterable or async iterable, or operations made ready by `prepare`. */
export type Operations = Iterable<PipelineOperation> | AsyncIterable<PipelineOperation> | PreparedOperations;

/**
 * Runs `ops` over `port` with `depth` (default 1) requests in flight, packing them when `multiple`, and yields each
 * operation's result in order. Throws the first transport failure (timeout, lost session) when its turn comes.
 */
export async function* runPipeline(
  port: PipelinePort,
  ops: Operations,
  options: PipelineOptions = {},
): AsyncGenerator<OperationResult> {
  for await (const batch of batches(port, ops, options, false))
    for (const r of batch as OperationResult[]) yield r;
}

/** The values of `ops` in order (undefined where an operation failed). */
export async function runForValues(
  port: PipelinePort,
  ops: Operations,
  options: PipelineOptions = {},
): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const batch of batches(port, ops, options, true)) {
    if (batch instanceof LeanBatch) for (const v of batch.values) values.push(v);
    else for (const r of batch) values.push(r.value);
  }
  return values;
}

/** Runs `ops`: the values in order and the number of operations that failed (cpppo's `process`). */
export async function runForTally(
  port: PipelinePort,
  ops: Operations,
  options: PipelineOptions = {},
): Promise<{ failures: number; values: unknown[] }> {
  let failures = 0;
  const values: unknown[] = [];
  for await (const batch of batches(port, ops, options, true)) {
    if (batch instanceof LeanBatch) for (const v of batch.values) values.push(v);
    else
      for (const r of batch) {
        if (!r.ok) failures++;
        values.push(r.value);
      }
  }
  return { failures, values };
}
