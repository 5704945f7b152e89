/**
 * `EnipClient`: the public façade over the layers. The session (`session/`) connects, registers, opens a class 3
 * connection, sends and matches; the operations (`operations/`) turn tags and attributes into requests over a
 * narrow port; the pipeline (`pipeline/`) runs many operations with requests in flight and packed.
 */
import {
  type AnyCipType,
  type AttributeResult,
  type CipReply,
  type CipRequest,
  type CpfItem,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
} from "@cpppo/cip-codec";
import type { PackLimits } from "./core/packing.js";
import { type PathLike, toPath } from "./core/path.js";
import type { CipResult, ReadOptions, ReadResult, RequestOptions, WriteOptions } from "./core/result.js";
import {
  getAttributeList,
  getAttributeSingle,
  getAttributesAll,
  readModifyWrite,
  service,
  setAttributeSingle,
} from "./operations/attributes.js";
import { listItems } from "./operations/lists.js";
import type { EncapsulationPort, TagTypeInfo } from "./operations/port.js";
import { readTag, writeTag } from "./operations/tags.js";
import { type Operations, runForTally, runForValues, runPipeline } from "./pipeline/pipeline.js";
import type { OperationResult, PipelineOptions, PipelinePort } from "./pipeline/types.js";
import { type EnipClientOptions, resolveOptions } from "./session/options.js";
import type { RawReply } from "./session/raw-reply.js";
import type { SendOptions } from "./session/routing.js";
import { type ClientState, Session } from "./session/session.js";
import { connectTcp } from "./transport/tcp.js";
import { connectUdp } from "./transport/udp.js";

export type { PathLike } from "./core/path.js";
export { toPath } from "./core/path.js";
export type { EnipClientOptions } from "./session/options.js";
export type { SendOptions } from "./session/routing.js";
export type { ClientState } from "./session/session.js";

/** The pipeline's port onto a client: the client's tag side, and its session's undecoded replies. */
class ClientPipelinePort implements PipelinePort {
  constructor(
    private readonly client: EnipClient,
    private readonly session: Session,
  ) {}

  get limits(): PackLimits {
    return this.session.limits;
  }

  get tagTypes(): Map<string, TagTypeInfo> {
    return this.client.tagTypes;
  }

  get structTypes(): Map<number, AnyCipType> {
    return this.client.structTypes;
  }

  request(message: CipRequest, options?: SendOptions): Promise<CipReply> {
    return this.session.request(message, options);
  }

  ready(options: RequestOptions): Promise<void> {
    return this.session.ready(options);
  }

  requestFrame(message: CipRequest, options: RequestOptions, meaning: CipRequest): Promise<RawReply> {
    return this.session.requestFrame(message, options, meaning);
  }

  get multipleAllowed(): boolean {
    return this.session.multipleAllowed;
  }

  refuseMultiple(): void {
    this.session.refuseMultiple();
  }
}

/**
 * An EtherNet/IP client session. Create it with `EnipClient.connect(options)`; every operation takes `{timeout,
 * signal}`, resolves with a `CipResult` (CIP errors are data) and rejects only with coded errors:
 * `RequestTimeoutError`, `AbortError`, `SessionClosedError` (the connection was lost: all pending requests at
 * once), `ProtocolError`, `EncapsulationStatusError` (the device answered a non-zero encapsulation status).
 */
export class EnipClient {
  /** Element types learned from reads, by tag name (without indexes): sizes packing and types writes. */
  readonly tagTypes = new Map<string, TagTypeInfo>();
  /** Codecs of structure types by structure handle, used to decode reads (Logix STRING built in; see `logix.ts`). */
  readonly structTypes = new Map<number, AnyCipType>([[LOGIX_STRING_HANDLE, LOGIX_STRING]]);

  private readonly session: Session;
  private readonly pipelinePort: ClientPipelinePort;
  private readonly encapsulationPort: EncapsulationPort;

  private constructor(options: EnipClientOptions) {
    this.session = new Session(resolveOptions(options), {
      transport: options.transport ?? (options.udp ? connectUdp : connectTcp),
      signal: options.signal,
      maxFrameSize: options.maxFrameSize,
    });
    this.pipelinePort = new ClientPipelinePort(this, this.session);
    const session = this.session;
    this.encapsulationPort = {
      async encapsulated(command, o) {
        await session.ready(o);
        return session.encapsulated(command, o.timeout ?? session.options.timeout, o.signal);
      },
    };
  }

  /** Connects, registers a session and (with `connected`) opens a class 3 connection; rejects with coded errors. */
  static async connect(options: EnipClientOptions): Promise<EnipClient> {
    const client = new EnipClient(options);
    await client.ready({ signal: options.signal });
    return client;
  }

  /** The options in effect, defaults applied. */
  get options(): Session["options"] {
    return this.session.options;
  }

  /** Where the state machine is. */
  get state(): ClientState {
    return this.session.state;
  }

  /** The session handle (0 before RegisterSession). */
  get sessionHandle(): number {
    return this.session.sessionHandle;
  }

  /** The class 3 connection's size in bytes, or undefined when unconnected. */
  get connectionSize(): number | undefined {
    return this.session.connectionSize;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.session.inFlight;
  }

  /** Bytes one request and one reply may take on the current connection (UCMM 504 when unconnected). */
  get limits(): PackLimits {
    return this.session.limits;
  }

  /** Resolves once the client can serve requests, (re)building the session when it is down and allowed to. */
  ready(options: RequestOptions = {}): Promise<void> {
    return this.session.ready(options);
  }

  /**
   * Sends one CIP request and resolves with its reply (whatever its status). Over a class 3 connection it goes
   * in SendUnitData unless `unconnected` or a route is given; otherwise SendRRData, wrapped in an Unconnected
   * Send along the route unless the client is "simple" (`routePath: false`, `sendPath: ""`).
   */
  request(message: CipRequest, options: SendOptions = {}): Promise<CipReply> {
    return this.session.request(message, options);
  }

  /** Opens the class 3 connection: Large Forward Open of `connectionSize`, then a standard one of 504 if refused. */
  forwardOpen(
    options: RequestOptions & { connectionSize?: number } = {},
  ): Promise<CipResult<{ connectionSize: number }>> {
    return this.session.forwardOpen(options);
  }

  /** Closes the class 3 connection (Forward Close); later requests go unconnected. */
  forwardClose(options: RequestOptions = {}): Promise<CipResult<true>> {
    return this.session.forwardClose(options);
  }

  /**
   * Reads `elements` (default 1) elements of a tag; data larger than one reply is continued with Read Tag
   * Fragmented automatically, unless an explicit `offset` asks for one fragment. Values are decoded by type
   * (Logix STRING as text, structures through `structTypes`, else raw bytes).
   */
  read(tag: PathLike, options: ReadOptions = {}): Promise<ReadResult> {
    // Not async: readTag's promise is returned as is, without one more promise wrapped around it.
    try {
      return readTag(this, toPath(tag), options.elements ?? 1, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes `values` to a tag, split into Write Tag Fragmented requests when they exceed one request. */
  async write(
    tag: PathLike,
    values: readonly unknown[] | Uint8Array,
    options: WriteOptions = {},
  ): Promise<CipResult<true>> {
    return writeTag(this, toPath(tag), values, options);
  }

  /** Read Modify Write Tag: sets the bits of `orMask`, clears the bits clear in `andMask` (masks of equal length). */
  async readModifyWrite(
    tag: PathLike,
    masks: { orMask: Uint8Array | number[]; andMask: Uint8Array | number[] },
    options: RequestOptions = {},
  ): Promise<CipResult<true>> {
    return readModifyWrite(this, toPath(tag), masks, options);
  }

  /** Get Attribute Single: the attribute's raw bytes, or its values decoded as `type` when given. */
  async getAttributeSingle(
    path: PathLike,
    options: RequestOptions & { type?: AnyCipType } = {},
  ): Promise<CipResult<Uint8Array | unknown[]>> {
    return getAttributeSingle(this, toPath(path), options);
  }

  /** Get Attributes All: the instance's attributes as raw bytes, or decoded as `type` when given. */
  async getAttributesAll(
    path: PathLike,
    options: RequestOptions & { type?: AnyCipType } = {},
  ): Promise<CipResult<Uint8Array | unknown[]>> {
    return getAttributesAll(this, toPath(path), options);
  }

  /** Get Attribute List of `attributes`; `sizes` (bytes per attribute id) split the values, the last takes the rest. */
  async getAttributeList(
    path: PathLike,
    attributes: number[],
    options: RequestOptions & { sizes?: Record<number, number> } = {},
  ): Promise<CipResult<AttributeResult[]>> {
    return getAttributeList(this, toPath(path), attributes, options);
  }

  /** Set Attribute Single with raw `data`, or `values` encoded as `type`. */
  async setAttributeSingle(
    path: PathLike,
    data: Uint8Array | { type: AnyCipType; values: unknown[] },
    options: RequestOptions = {},
  ): Promise<CipResult<true>> {
    return setAttributeSingle(this, toPath(path), data, options);
  }

  /** Any service `code` on `path` with raw request `data` (default none); the value is the reply's raw data. */
  async service(
    code: number,
    path: PathLike,
    data: Uint8Array = new Uint8Array(0),
    options: RequestOptions = {},
  ): Promise<CipResult<Uint8Array>> {
    return service(this, code, toPath(path), data, options);
  }

  /** ListIdentity over this session: the identity items of the reply. */
  listIdentity(options: RequestOptions = {}): Promise<CpfItem[]> {
    return listItems(this.encapsulationPort, "listIdentity", options);
  }

  /** ListServices over this session: the service items of the reply. */
  listServices(options: RequestOptions = {}): Promise<CpfItem[]> {
    return listItems(this.encapsulationPort, "listServices", options);
  }

  /** ListInterfaces over this session: the interface items of the reply (often none). */
  listInterfaces(options: RequestOptions = {}): Promise<CpfItem[]> {
    return listItems(this.encapsulationPort, "listInterfaces", options);
  }

  /** Runs `ops` with `depth` requests in flight (packed when `multiple`), yielding results in order. */
  pipeline(ops: Operations, options: PipelineOptions = {}): AsyncIterable<OperationResult> {
    return runPipeline(this.pipelinePort, ops, options);
  }

  /** Runs `ops` one request at a time (depth 1), yielding results in order. */
  synchronous(ops: Operations, options: Omit<PipelineOptions, "depth"> = {}): AsyncIterable<OperationResult> {
    return runPipeline(this.pipelinePort, ops, { ...options, depth: 1 });
  }

  /** The values of `ops` in order (undefined for failures). */
  results(ops: Operations, options: PipelineOptions = {}): Promise<unknown[]> {
    return runForValues(this.pipelinePort, ops, options);
  }

  /** Runs `ops`; resolves with the number of failed operations and the values in order (cpppo's `process`). */
  process(ops: Operations, options: PipelineOptions = {}): Promise<{ failures: number; values: unknown[] }> {
    return runForTally(this.pipelinePort, ops, options);
  }

  /** Closes: Forward Close (if connected), UnRegisterSession, end of the stream; pending requests fail. Idempotent. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** `await using client = …` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Runs `ops` with `depth` (default 1) requests in flight, packing them when `multiple`, and yields each
 * operation's result in order. Throws the first transport failure (timeout, lost session) when its turn comes.
 */
export async function* pipeline(
  client: EnipClient,
  ops: Operations,
  options: PipelineOptions = {},
): AsyncGenerator<OperationResult> {
  yield* client.pipeline(ops, options);
}

/** `pipeline` with one request in flight. */
export async function* synchronous(
  client: EnipClient,
  ops: Operations,
  options: Omit<PipelineOptions, "depth"> = {},
): AsyncGenerator<OperationResult> {
  yield* client.synchronous(ops, options);
}

/** The values of `ops` in order (undefined where an operation failed). */
export function results(
  client: EnipClient,
  ops: Operations,
  options: PipelineOptions = {},
): Promise<unknown[]> {
  return client.results(ops, options);
}

/** Runs `ops`: the number of operations that failed and the values in order (cpppo's `process`, renamed). */
export function tallyResults(
  client: EnipClient,
  ops: Operations,
  options: PipelineOptions = {},
): Promise<{ failures: number; values: unknown[] }> {
  return client.process(ops, options);
}
