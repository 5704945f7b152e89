/**
 * Planning operations before they are sent: each operation becomes a request with its sizes, and a plain read
 * also its pre-encoded bytes and what decoding its reply straight from the packet needs. `prepare(ops)` returns
 * the object that keeps the read plans of operations run again and again; the caller holds it and passes it back.
 */
import {
  type CipRequest,
  CipService,
  type EPath,
  encodeRequestBytes,
  encodeValues,
  formatEPath,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  isLogixTarget,
  REPLY_BIT,
  sizeOfRequest,
  type TagType,
  writeTagFragmentedRequest,
  writeTagRequest,
} from "@cpppo/cip-codec";
import { InvalidArgumentError } from "../core/errors.js";
import { type PackLimits, replySize } from "../core/packing.js";
import {
  type EncodedWrite,
  elementSizeFor,
  elementSizeOf,
  elementType,
  readRequestFor,
  tagKey,
} from "../operations/tags.js";
import type { SendOptions } from "../session/routing.js";
import type { PipelineOperation, PipelinePort } from "./types.js";

/**
 * Operations prepared to be run again and again (a polling loop): pass it to `pipeline`, `results`, … in place of
 * the operations. It holds `operations` itself, not a copy: an operation replaced in the array, or changed by
 * assigning its fields, is prepared anew at the next run; the others reuse their plans.
 */
export class PreparedOperations implements Iterable<PipelineOperation> {
  /** The plans of the reads among `operations`, by position (holes for the others), filled as they run. */
  readonly plans: (ReadPlan | undefined)[] = [];

  constructor(readonly operations: PipelineOperation[]) {}

  [Symbol.iterator](): Iterator<PipelineOperation> {
    return this.operations[Symbol.iterator]();
  }
}

/** Prepares `ops` for running again and again; the read plans live in the returned object, nowhere else. */
export function prepare(ops: PipelineOperation[]): PreparedOperations {
  return new PreparedOperations(ops);
}

/** One operation made ready to send: its request, sizes, and how its reply is completed. */
export interface Prepared {
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
export interface DirectRead {
  /** The reply service that answers it: 0xCC (Read Tag) or 0xD2 (Read Tag Fragmented). */
  replyService: number;
  /** Its `tagKey`, under which the type of the data is learned. */
  key: string | undefined;
}

/**
 * A read prepared once and reused while its operation is run again (polling loops run the same operations over
 * and over): kept by `PreparedOperations` per position, with what it was prepared from, and rebuilt when any of
 * that changed. An operation's `path` is compared by identity: a path array changed in place is not seen.
 */
export interface ReadPlan extends Prepared {
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
export interface RunContext {
  port: PipelinePort;
  limits: PackLimits;
  fragment: boolean;
  options: SendOptions;
  /** Only values and failures are wanted (`tallyResults`, `results`): results need not be built. */
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
export const NO_KEY: unique symbol = Symbol("no key");

/** `elementSizeFor`, remembering the last answer while the pipeline runs synchronously. */
export function sizeFor(ctx: RunContext, key: string | undefined): number {
  if (ctx.sizeKey !== key) {
    ctx.size = elementSizeFor(ctx.port, key);
    ctx.sizeKey = key;
  }
  return ctx.size;
}

/** Request options of `op` when it carries a route of its own, else undefined. */
function optionsOf(op: PipelineOperation, ctx: RunContext): SendOptions | undefined {
  if (op.routePath === undefined && op.sendPath === undefined) return undefined;
  const o: SendOptions = { ...ctx.options };
  if (op.routePath !== undefined) o.routePath = op.routePath;
  if (op.sendPath !== undefined) o.sendPath = op.sendPath;
  return o;
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
 * The plan of a read without a route of its own: the one kept in `slots` (the plans of prepared operations, by
 * position) when still valid, else a new one, kept there for the next run.
 */
function readPlan(
  ctx: RunContext,
  op: ReadOperation,
  slots: (ReadPlan | undefined)[] | undefined,
  at: number,
): ReadPlan {
  const slot = slots?.[at];
  if (validPlan(ctx, op, slot)) return slot;
  const plan = newReadPlan(ctx, op);
  if (slots !== undefined) slots[at] = plan;
  return plan;
}

function newReadPlan(ctx: RunContext, op: ReadOperation): ReadPlan {
  const key = tagKey(op.path);
  const elementSize = sizeFor(ctx, key);
  const request = readRequestFor(
    ctx.port,
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
        ? { replyService: request.service | REPLY_BIT, key }
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

/** Prepares `op`, the `at`-th operation of prepared operations whose read plans are `slots` (when there are any). */
export function prepareOperation(
  ctx: RunContext,
  op: PipelineOperation,
  slots: (ReadPlan | undefined)[] | undefined,
  at: number,
): Prepared {
  const port = ctx.port;
  const options = optionsOf(op, ctx);
  if (op.method === "read" && options === undefined) return readPlan(ctx, op, slots, at);
  const description = op.description ?? formatEPath(op.path);
  let request: CipRequest;
  let size: number | undefined;
  let split: EncodedWrite | undefined;
  switch (op.method) {
    case "read": {
      const elementSize = elementSizeOf(port, op.path);
      request = readRequestFor(
        port,
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
      const codec = elementType(port, op.tagType, op.structureHandle);
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
      request = {
        kind: "setAttributeSingle",
        service: CipService.codes.setAttributeSingle,
        path: op.path,
        data: op.data,
      };
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
