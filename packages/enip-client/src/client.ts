/**
 * `EnipClient`: one EtherNet/IP session to one device. An explicit state machine (disconnected → session →
 * forward-open → ready) that can rebuild itself, many requests in flight matched by sender context (unconnected)
 * or by sequence count (connected), per-request deadlines and AbortSignals, and CIP status returned as data.
 */
import {
  type AnyCipType,
  type AttributeResult,
  type CipReply,
  type CipRequest,
  type CpfItem,
  decodeEnipMessage,
  decodeValues,
  describeStatus,
  EncapsulationCommand,
  type EnipDecodeOptions,
  type EnipMessage,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  encodeValues,
  type ForwardOpenReply,
  forwardCloseRequest,
  forwardOpenRequest,
  getAttributeListRequest,
  getAttributeSingleRequest,
  getAttributesAllRequest,
  LOGIX_STRING,
  LOGIX_STRING_HANDLE,
  parseEPath,
  readModifyWriteTagRequest,
  setAttributeSingleRequest,
  unconnectedSend,
} from "@cpppo/cip-codec";
import { type AbortDisposer, addAbortListener } from "./core/abort.js";
import {
  AbortError,
  InvalidArgumentError,
  ProtocolError,
  RequestTimeoutError,
  SessionClosedError,
} from "./errors.js";
import { readTag, type TagTypeInfo, writeTag } from "./fragment.js";
import {
  LARGE_CONNECTION_SIZE,
  type PackLimits,
  packLimits,
  STANDARD_CONNECTION_SIZE,
  UCMM_CONNECTION_SIZE,
} from "./packing.js";
import {
  type OperationResult,
  type PipelineOperation,
  type PipelineOptions,
  pipeline,
  process as processOperations,
  results as resultsOf,
  synchronous as synchronousOf,
} from "./pipeline.js";
import {
  type CipResult,
  type ReadOptions,
  type ReadResult,
  type RequestOptions,
  resultOf,
  type WriteOptions,
} from "./result.js";
import { clientChannel, connectTcp, type Transport, type TransportFactory } from "./transport.js";

/** The connection state: `session` once registered, `forward-open` while a class 3 connection opens, `ready` to serve. */
export type ClientState = "disconnected" | "session" | "forward-open" | "ready" | "closed";

/** Options of `EnipClient.connect`. */
export interface EnipClientOptions {
  host: string;
  /** TCP port; defaults to 44818. */
  port?: number;
  /** Milliseconds for the TCP connection; defaults to 5000. */
  connectTimeout?: number;
  /** Default milliseconds each request (and RegisterSession, Forward Open) may take; defaults to 5000. */
  timeout?: number;
  /** Route of unconnected requests (Unconnected Send); defaults to backplane slot 0 `[{port:1,link:0}]`; false: none. */
  routePath?: EPath | false;
  /** Target of the Unconnected Send; defaults to the Connection Manager `@6/1`; "" with `routePath: false` is "simple". */
  sendPath?: EPath | "";
  /** Open a class 3 connection (Large Forward Open, falling back to standard) and send over it; defaults to false. */
  connected?: boolean;
  /** Connection size asked of the Large Forward Open; defaults to 4002 (the fallback asks 504). */
  connectionSize?: number;
  /** Forward Open connection path; defaults to `routePath` followed by the Message Router `@2/1`. */
  connectionPath?: EPath;
  /** Priority/tick byte of Unconnected Send and Forward Open/Close; defaults to 5 (32 ms ticks). */
  priorityTimeTick?: number;
  /** Timeout ticks of Unconnected Send and Forward Open/Close; defaults to 157. */
  timeoutTicks?: number;
  /** Rebuild the session (and connection) on the next operation after it was lost; defaults to false. */
  reconnect?: boolean;
  /** Aborting closes the client. */
  signal?: AbortSignal;
  /** Largest reply frame accepted, header included; defaults to 65535 + 24 (a larger length field is a protocol error). */
  maxFrameSize?: number;
  /** How to reach the device; defaults to TCP (`connectTcp`). */
  transport?: TransportFactory;
}

/** Options of `request`: where to send, when the client's defaults do not fit. */
export interface SendOptions extends RequestOptions {
  /** Send unconnected (SendRRData) even over a class 3 connection; defaults to false. */
  unconnected?: boolean;
  /** Route of this request; setting it (or `sendPath`) sends it unconnected. */
  routePath?: EPath | false;
  sendPath?: EPath | "";
  /** Extra decode options (e.g. attribute sizes of a Get Attribute List). */
  decode?: EnipDecodeOptions;
}

interface Pending {
  /** The request as sent (with any Unconnected Send wrapper): the decoder's hint. */
  request: CipRequest | undefined;
  decode: EnipDecodeOptions | undefined;
  /** Hand the reply frame over undecoded (`requestFrame`): `resolve` then receives the frame's bytes. */
  raw: boolean;
  resolve(message: EnipMessage | Uint8Array): void;
  reject(error: Error): void;
  deadline: number;
  timeout: number;
  signal: AbortSignal | undefined;
  /** Removes the abort listener of `signal` (set once the request is tracked). */
  disposeAbort: AbortDisposer | undefined;
}

interface Connection {
  otConnectionId: number;
  serial: number;
  size: number;
  path: EPath;
  sequence: number;
}

/** A reply frame handed over undecoded by `EnipClient.requestFrame`. */
export interface RawReply {
  /** The whole encapsulation frame, header included (a view that stays valid). */
  readonly frame: Uint8Array;
  /**
   * Offset in `frame` of the CIP reply when the frame is a plain SendUnitData (connected address and data items)
   * or SendRRData (null address and unconnected data items) with encapsulation status 0 and consistent lengths;
   * -1 for any other frame, which only `decode()` can tell about.
   */
  readonly cipStart: number;
  /** The CIP reply, decoded and checked exactly as `EnipClient.request` does (same errors: `ProtocolError`). */
  decode(): CipReply;
}

class FrameReply implements RawReply {
  readonly cipStart: number;

  constructor(
    readonly frame: Uint8Array,
    private readonly client: EnipClient,
    private readonly sent: CipRequest,
    private readonly meaning: CipRequest,
  ) {
    this.cipStart = cipReplyOffset(frame);
  }

  decode(): CipReply {
    return this.client.decodeFrame(this.frame, this.sent, this.meaning);
  }
}

const SEND_RR_DATA = EncapsulationCommand.codes.sendRRData;

function u16At(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/**
 * Where the CIP reply of a SendUnitData / SendRRData frame starts (46 or 40) when the frame has exactly the layout
 * a device answers with and nothing `decodeEnipMessage` would reject or read otherwise; else -1.
 */
function cipReplyOffset(frame: Uint8Array): number {
  const n = frame.length;
  if (n < 41 || frame[1] !== 0) return -1;
  // Length field, status (4 bytes of 0), CPF item count 2.
  if (((frame[2] as number) | ((frame[3] as number) << 8)) !== n - 24) return -1;
  if ((frame[8] as number) | (frame[9] as number) | (frame[10] as number) | (frame[11] as number)) return -1;
  if (frame[30] !== 2 || frame[31] !== 0) return -1;
  if (frame[0] === SEND_UNIT_DATA) {
    if (n < 47 || u16At(frame, 32) !== 0x00a1 || u16At(frame, 34) !== 4 || u16At(frame, 40) !== 0x00b1)
      return -1;
    return u16At(frame, 42) === n - 44 ? 46 : -1;
  }
  if (frame[0] === SEND_RR_DATA) {
    if (u16At(frame, 32) !== 0 || u16At(frame, 34) !== 0 || u16At(frame, 36) !== 0x00b2) return -1;
    return u16At(frame, 38) === n - 40 ? 40 : -1;
  }
  return -1;
}

/** Replies matched by sequence count live above every sender-context key. */
const SEQUENCE_KEY_BASE = 0x1_0000_0000;
const CONTEXT_KEY_MASK = 0x7fffffff;
const SEND_UNIT_DATA = EncapsulationCommand.codes.sendUnitData;
const ORIGINATOR_VENDOR = 0x1234;
const DEFAULT_ROUTE: EPath = [{ port: 1, link: 0 }];
const DEFAULT_SEND_PATH: EPath = [{ class: 6 }, { instance: 1 }];
const MESSAGE_ROUTER: EPath = [{ class: 2 }, { instance: 1 }];
const CLOSE_TIMEOUT = 1000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value)))
    throw new InvalidArgumentError(
      `"${name}" must be a positive number of milliseconds, got ${String(value)}`,
    );
  return value;
}

/** A tag or attribute path given as text (`"SCADA[1]"`, `"@1/1/7"`) or as segments. */
export type PathLike = string | EPath;

/** Segments of `path`, parsing text with the codec's EPATH notation; throws `InvalidArgumentError` for bad text. */
export function toPath(path: PathLike): EPath {
  if (typeof path !== "string") return path;
  try {
    return parseEPath(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the path "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * An EtherNet/IP client session. Create it with `EnipClient.connect(options)`; every operation takes `{timeout,
 * signal}`, resolves with a `CipResult` (CIP errors are data) and rejects only with coded errors:
 * `RequestTimeoutError`, `AbortError`, `SessionClosedError` (the connection was lost: all pending requests at
 * once), `ProtocolError`.
 */
export class EnipClient {
  /** The options in effect, defaults applied. */
  readonly options: Readonly<
    Required<Omit<EnipClientOptions, "signal" | "connectionPath" | "transport" | "maxFrameSize">> & {
      connectionPath: EPath;
    }
  >;
  /** Element types learned from reads, by tag name (without indexes): sizes packing and types writes. */
  readonly tagTypes = new Map<string, TagTypeInfo>();
  /** Codecs of structure types by structure handle, used to decode reads (Logix STRING built in; see `logix.ts`). */
  readonly structTypes = new Map<number, AnyCipType>([[LOGIX_STRING_HANDLE, LOGIX_STRING]]);

  private stateValue: ClientState = "disconnected";
  private transport: Transport | undefined;
  private establishing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private session = 0;
  private connection: Connection | undefined;
  private contextCounter = 0;
  private readonly context = new Uint8Array(8);
  private readonly pending = new Map<number, Pending>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private lostReason: Error | undefined;
  private readonly factory: TransportFactory;
  private readonly signal: AbortSignal | undefined;
  private readonly maxFrameSize: number | undefined;
  /** Removes the listener on the client's own `signal`: closing leaves nothing behind on a signal that outlives it. */
  private readonly disposeAbort: AbortDisposer;

  private constructor(options: EnipClientOptions) {
    if (typeof options.host !== "string" || options.host === "")
      throw new InvalidArgumentError(`"host" must be a host name or address, got ${String(options.host)}`);
    const routePath = options.routePath === undefined ? DEFAULT_ROUTE : options.routePath;
    const connectionSize = options.connectionSize ?? LARGE_CONNECTION_SIZE;
    if (!Number.isInteger(connectionSize) || connectionSize < 16 || connectionSize > 0xffff)
      throw new InvalidArgumentError(
        `"connectionSize" must be an integer in 16..65535, got ${connectionSize}`,
      );
    this.options = {
      host: options.host,
      port: options.port ?? 44818,
      connectTimeout: positive("connectTimeout", options.connectTimeout, 5000),
      timeout: positive("timeout", options.timeout, 5000),
      routePath,
      sendPath: options.sendPath === undefined ? DEFAULT_SEND_PATH : options.sendPath,
      connected: options.connected ?? false,
      connectionSize,
      connectionPath: options.connectionPath ?? [...(routePath || []), ...MESSAGE_ROUTER],
      priorityTimeTick: options.priorityTimeTick ?? 5,
      timeoutTicks: options.timeoutTicks ?? 157,
      reconnect: options.reconnect ?? false,
    };
    this.factory = options.transport ?? connectTcp;
    this.maxFrameSize = options.maxFrameSize;
    this.signal = options.signal;
    this.disposeAbort = addAbortListener(this.signal, () => void this.close());
  }

  /** Connects, registers a session and (with `connected`) opens a class 3 connection; rejects with coded errors. */
  static async connect(options: EnipClientOptions): Promise<EnipClient> {
    const client = new EnipClient(options);
    await client.ready({ signal: options.signal });
    return client;
  }

  /** Where the state machine is. */
  get state(): ClientState {
    return this.stateValue;
  }

  /** The session handle (0 before RegisterSession). */
  get sessionHandle(): number {
    return this.session;
  }

  /** The class 3 connection's size in bytes, or undefined when unconnected. */
  get connectionSize(): number | undefined {
    return this.connection?.size;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Bytes one request and one reply may take on the current connection (UCMM 504 when unconnected). */
  get limits(): PackLimits {
    if (this.connection) return packLimits(this.connection.size, { connected: true });
    const simple = this.options.routePath === false && this.options.sendPath === "";
    return packLimits(UCMM_CONNECTION_SIZE, {
      connected: false,
      routePath: simple ? false : this.options.routePath || [],
    });
  }

  /** Resolves once the client can serve requests, (re)building the session when it is down and allowed to. */
  ready(options: RequestOptions = {}): Promise<void> {
    if (this.stateValue === "ready") return Promise.resolve();
    if (this.stateValue === "closed") return Promise.reject(new SessionClosedError("the client is closed"));
    if (!this.establishing) {
      if (this.transport === undefined && this.lostReason !== undefined && !this.options.reconnect)
        return Promise.reject(
          new SessionClosedError(
            `the connection to ${this.options.host}:${this.options.port} was lost (${this.lostReason.message}); pass "reconnect: true" to rebuild it`,
            { cause: this.lostReason },
          ),
        );
      this.establishing = this.establish().finally(() => {
        this.establishing = undefined;
      });
    }
    return withAbort(this.establishing, options.signal);
  }

  private async establish(): Promise<void> {
    const o = this.options;
    clientChannel.publish({ event: "connect", host: o.host, port: o.port });
    let transport: Transport | undefined;
    const handlers = {
      frame: (frame: Uint8Array) => this.receive(frame),
      close: (error?: Error) => this.lost(transport, error),
    };
    transport = await this.factory(
      {
        host: o.host,
        port: o.port,
        connectTimeout: o.connectTimeout,
        signal: this.signal,
        ...(this.maxFrameSize === undefined ? {} : { maxFrameSize: this.maxFrameSize }),
      },
      handlers,
    );
    if (this.stateValue === "closed") {
      transport.destroy();
      throw new SessionClosedError("the client was closed while connecting");
    }
    this.transport = transport;
    this.lostReason = undefined;
    try {
      const reply = await this.encapsulated("registerSession", 0, o.timeout, undefined);
      if (reply.header.status !== 0 || reply.header.session === 0)
        throw new ProtocolError(
          `RegisterSession failed with encapsulation status 0x${reply.header.status.toString(16)}`,
        );
      this.session = reply.header.session;
      this.stateValue = "session";
      clientChannel.publish({ event: "session", session: this.session });
      if (o.connected) {
        this.stateValue = "forward-open";
        await this.openConnection({});
      }
      this.stateValue = "ready";
    } catch (error) {
      if (this.transport === transport) {
        this.transport = undefined;
        transport.destroy(error as Error);
      }
      if ((this.stateValue as ClientState) !== "closed") this.stateValue = "disconnected";
      throw error;
    }
  }

  /** The transport ended: every pending request fails at once with `SessionClosedError`. */
  private lost(transport: Transport | undefined, error?: Error): void {
    if (transport !== undefined && this.transport !== undefined && this.transport !== transport) return;
    this.transport = undefined;
    this.connection = undefined;
    this.session = 0;
    if (this.stateValue !== "closed") this.stateValue = "disconnected";
    const reason = error ?? new SessionClosedError("the connection closed");
    this.lostReason = reason;
    clientChannel.publish({ event: "lost", error: reason });
    const failure =
      reason instanceof SessionClosedError
        ? reason
        : new SessionClosedError(`connection lost: ${reason.message}`, { cause: reason });
    for (const p of this.pending.values()) this.settle(p);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(failure);
  }

  private settle(p: Pending): void {
    p.disposeAbort?.();
  }

  private nextContextKey(): number {
    this.contextCounter = (this.contextCounter + 1) & CONTEXT_KEY_MASK;
    const key = this.contextCounter;
    const c = this.context;
    c[0] = key & 0xff;
    c[1] = (key >>> 8) & 0xff;
    c[2] = (key >>> 16) & 0xff;
    c[3] = key >>> 24;
    return key;
  }

  /** Registers `p` under `key`, sends `frame`, and arms its deadline and abort. */
  private track(key: number, frame: Uint8Array, p: Pending): void {
    const transport = this.transport;
    if (transport === undefined) {
      p.reject(new SessionClosedError("not connected"));
      return;
    }
    if (p.signal) {
      if (p.signal.aborted) {
        p.reject(new AbortError("request aborted", { cause: p.signal.reason }));
        return;
      }
      p.disposeAbort = addAbortListener(p.signal, () => {
        if (this.pending.get(key) !== p) return;
        this.pending.delete(key);
        p.reject(new AbortError("request aborted", { cause: p.signal?.reason }));
      });
    }
    this.pending.set(key, p);
    if (p.deadline < this.timerAt) this.arm(p.deadline);
    transport.write(frame);
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.sweep, Math.max(0, deadline - performance.now()));
    this.timer.unref?.();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // Timers may fire a fraction of a millisecond before the clock reaches the deadline.
    const now = performance.now() + 1;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(key);
        this.settle(p);
        p.reject(
          new RequestTimeoutError(
            `no reply from ${this.options.host}:${this.options.port} within ${p.timeout} ms`,
          ),
        );
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };

  private receive(frame: Uint8Array): void {
    let key: number;
    if (
      frame.length >= 46 &&
      (frame[0] as number) === SEND_UNIT_DATA &&
      frame[1] === 0 &&
      frame[32] === 0xa1 &&
      frame[40] === 0xb1
    )
      key = SEQUENCE_KEY_BASE + ((frame[44] as number) | ((frame[45] as number) << 8));
    else
      key =
        ((frame[12] as number) | ((frame[13] as number) << 8) | ((frame[14] as number) << 16)) +
        (frame[15] as number) * 0x1000000;
    const p = this.pending.get(key);
    if (p === undefined) {
      clientChannel.publish({ event: "unmatched", frame });
      return;
    }
    this.pending.delete(key);
    this.settle(p);
    if (p.raw) {
      p.resolve(frame);
      return;
    }
    let message: EnipMessage;
    try {
      message = decodeEnipMessage(frame, p.decode ?? { hint: { request: p.request } });
    } catch (error) {
      p.reject(new ProtocolError(`cannot decode the reply: ${(error as Error).message}`, { cause: error }));
      return;
    }
    p.resolve(message);
  }

  /** Sends an encapsulation command without CIP (RegisterSession, List*) and resolves with the reply frame. */
  private encapsulated(
    command: "registerSession" | "listIdentity" | "listServices" | "listInterfaces",
    session: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<EnipMessage> {
    return new Promise<EnipMessage>((resolve, reject) => {
      const key = this.nextContextKey();
      const frame = encodeEncapsulation({
        header: { session, senderContext: this.context },
        body: command === "registerSession" ? { command, protocolVersion: 1, optionFlags: 0 } : { command },
      });
      this.track(key, frame, {
        request: undefined,
        decode: {},
        raw: false,
        resolve: resolve as (message: EnipMessage | Uint8Array) => void,
        reject,
        deadline: performance.now() + timeout,
        timeout,
        signal,
        disposeAbort: undefined,
      });
    });
  }

  /**
   * Sends one CIP request and resolves with its reply (whatever its status). Over a class 3 connection it goes
   * in SendUnitData unless `unconnected` or a route is given; otherwise SendRRData, wrapped in an Unconnected
   * Send along the route unless the client is "simple" (`routePath: false`, `sendPath: ""`).
   */
  request(message: CipRequest, options: SendOptions = {}): Promise<CipReply> {
    if (this.stateValue !== "ready") return this.ready(options).then(() => this.send(message, options));
    return this.send(message, options);
  }

  /**
   * Sends `message` like `request` but hands the reply over undecoded: the frame's bytes, where its CIP reply
   * starts when the frame has the plain layout, and `decode()`, which decodes it exactly as `request` would (with
   * the same errors) as the reply to `meaning` (default `message`). `meaning` is the request `message` stands for
   * when `message` carries it pre-encoded (e.g. a generic 0x0A request holding a Multiple Service Packet's bytes),
   * so that ambiguous reply codes are read as replies to it. Always uses the client's own route; for hot paths that
   * parse the reply themselves (the pipeline's packed reads).
   */
  requestFrame(message: CipRequest, options: RequestOptions = {}, meaning?: CipRequest): Promise<RawReply> {
    if (this.stateValue !== "ready")
      return this.ready(options).then(() => this.sendFrame(message, options, meaning ?? message));
    return this.sendFrame(message, options, meaning ?? message);
  }

  private sendFrame(message: CipRequest, options: RequestOptions, meaning: CipRequest): Promise<RawReply> {
    const route: SendOptions = { timeout: options.timeout, signal: options.signal };
    // What the decoder must take the reply to answer: `meaning`, wrapped as `message` will be.
    const sent = this.wrap(meaning, route);
    return this.dispatch(message, route, true).then(
      (frame) => new FrameReply(frame as Uint8Array, this, sent, meaning),
    );
  }

  /** `request` without waiting for the ready state (used while the state machine itself is opening or closing). */
  private send(message: CipRequest, options: SendOptions): Promise<CipReply> {
    return this.dispatch(message, options, false).then((reply) => this.cipOf(reply as EnipMessage, message));
  }

  /** The request as it goes out unconnected with `options`: `message`, in an Unconnected Send unless "simple". */
  private wrap(message: CipRequest, options: SendOptions): CipRequest {
    const explicitRoute = options.routePath !== undefined || options.sendPath !== undefined;
    if (this.connection !== undefined && !options.unconnected && !explicitRoute) return message;
    const routePath = options.routePath ?? this.options.routePath;
    const sendPath = options.sendPath ?? this.options.sendPath;
    if ((routePath !== false && routePath.length > 0) || (sendPath !== "" && sendPath.length > 0))
      return unconnectedSend(message, routePath || [], {
        path: sendPath === "" || sendPath.length === 0 ? DEFAULT_SEND_PATH : sendPath,
        priorityTimeTick: this.options.priorityTimeTick,
        timeoutTicks: this.options.timeoutTicks,
      });
    return message;
  }

  /** Decodes a reply frame as the answer to `sent` (`meaning` names the service it must answer), as `send` does. */
  decodeFrame(frame: Uint8Array, sent: CipRequest, meaning: CipRequest): CipReply {
    let message: EnipMessage;
    try {
      message = decodeEnipMessage(frame, { hint: { request: sent } });
    } catch (error) {
      throw new ProtocolError(`cannot decode the reply: ${(error as Error).message}`, { cause: error });
    }
    return this.cipOf(message, meaning);
  }

  /** Encodes `message` into a frame, registers it and sends it; resolves with the decoded frame (or its bytes, `raw`). */
  private dispatch(
    message: CipRequest,
    options: SendOptions,
    raw: boolean,
  ): Promise<EnipMessage | Uint8Array> {
    const timeout = options.timeout ?? this.options.timeout;
    if (!(timeout > 0))
      return Promise.reject(
        new InvalidArgumentError(`"timeout" must be a positive number of milliseconds, got ${timeout}`),
      );
    const explicitRoute = options.routePath !== undefined || options.sendPath !== undefined;
    const connection = options.unconnected || explicitRoute ? undefined : this.connection;
    return new Promise<EnipMessage | Uint8Array>((resolve, reject) => {
      let key: number;
      let frame: Uint8Array;
      let sent: CipRequest = message;
      try {
        if (connection !== undefined) {
          const sequence = (connection.sequence + 1) & 0xffff;
          connection.sequence = sequence;
          key = SEQUENCE_KEY_BASE + sequence;
          frame = encodeSendUnitData({
            session: this.session,
            connectionId: connection.otConnectionId,
            sequence,
            message,
          });
        } else {
          sent = this.wrap(message, options);
          key = this.nextContextKey();
          frame = encodeSendRRData({
            session: this.session,
            senderContext: this.context,
            timeout: Math.min(0xffff, Math.ceil(timeout / 1000)),
            message: sent,
          });
        }
      } catch (error) {
        reject(
          new InvalidArgumentError(`cannot encode the request: ${(error as Error).message}`, {
            cause: error,
          }),
        );
        return;
      }
      this.track(key, frame, {
        request: sent,
        decode: options.decode ? { ...options.decode, hint: { request: sent } } : undefined,
        raw,
        resolve,
        reject,
        deadline: performance.now() + timeout,
        timeout,
        signal: options.signal,
        disposeAbort: undefined,
      });
    });
  }

  private cipOf(frame: EnipMessage, request: CipRequest): CipReply {
    if (frame.header.status !== 0)
      throw new ProtocolError(
        `the device answered with encapsulation status 0x${frame.header.status.toString(16).padStart(4, "0")}`,
      );
    const cip = frame.cip;
    if (cip === undefined || !("generalStatus" in cip))
      throw new ProtocolError("the reply carries no CIP reply");
    if (cip.service !== (request.service | 0x80) && cip.service !== 0xd2)
      throw new ProtocolError(
        `reply service 0x${cip.service.toString(16)} does not answer request service 0x${request.service.toString(16)}`,
      );
    return cip;
  }

  /** Opens the class 3 connection: Large Forward Open of `connectionSize`, then a standard one of 504 if refused. */
  async forwardOpen(
    options: RequestOptions & { connectionSize?: number } = {},
  ): Promise<CipResult<{ connectionSize: number }>> {
    if (this.stateValue !== "ready" && this.stateValue !== "forward-open") await this.ready(options);
    return this.openConnection(options);
  }

  private async openConnection(
    options: RequestOptions & { connectionSize?: number },
  ): Promise<CipResult<{ connectionSize: number }>> {
    if (this.connection) await this.closeConnection(options);
    const sizes = [options.connectionSize ?? this.options.connectionSize];
    if ((sizes[0] as number) > STANDARD_CONNECTION_SIZE) sizes.push(STANDARD_CONNECTION_SIZE);
    let last: CipReply | undefined;
    for (const size of sizes) {
      const serial = (Math.random() * 0xffff) | 0;
      const request = forwardOpenRequest({
        connectionSerial: serial,
        originatorVendor: ORIGINATOR_VENDOR,
        originatorSerial: this.originatorSerial,
        toConnectionId: (Math.random() * 0xfffffffe + 1) >>> 0,
        size,
        connectionPath: this.options.connectionPath,
        priorityTimeTick: this.options.priorityTimeTick,
        timeoutTicks: this.options.timeoutTicks,
      });
      const reply = await this.send(request, {
        ...options,
        unconnected: true,
        routePath: false,
        sendPath: "",
      });
      last = reply;
      if (reply.kind === "forwardOpen" && reply.generalStatus === 0) {
        const ok = reply as ForwardOpenReply;
        this.connection = {
          otConnectionId: ok.otConnectionId,
          serial,
          size,
          path: this.options.connectionPath,
          sequence: 0,
        };
        clientChannel.publish({ event: "forwardOpen", size, connectionId: ok.otConnectionId });
        return resultOf(reply, { connectionSize: size });
      }
    }
    const failed = last as CipReply;
    if (this.stateValue === "forward-open")
      throw new ProtocolError(
        `Forward Open refused: ${describeStatus(failed.generalStatus, failed.extStatus)}`,
      );
    return resultOf(failed);
  }

  /** A random originator serial per client, so that connections of several clients never collide. */
  private readonly originatorSerial = (Math.random() * 0xffffffff) >>> 0;

  /** Closes the class 3 connection (Forward Close); later requests go unconnected. */
  async forwardClose(options: RequestOptions = {}): Promise<CipResult<true>> {
    await this.ready(options);
    if (!this.connection) throw new InvalidArgumentError("there is no class 3 connection to close");
    return this.closeConnection(options);
  }

  private async closeConnection(options: RequestOptions): Promise<CipResult<true>> {
    const c = this.connection as Connection;
    this.connection = undefined;
    const reply = await this.send(
      forwardCloseRequest({
        connectionSerial: c.serial,
        originatorVendor: ORIGINATOR_VENDOR,
        originatorSerial: this.originatorSerial,
        connectionPath: c.path,
        priorityTimeTick: this.options.priorityTimeTick,
        timeoutTicks: this.options.timeoutTicks,
      }),
      { ...options, unconnected: true, routePath: false, sendPath: "" },
    );
    return resultOf(reply, true as const);
  }

  /**
   * Reads `elements` (default 1) elements of a tag; data larger than one reply is continued with Read Tag
   * Fragmented automatically, unless an explicit `offset` asks for one fragment. Values are decoded by type
   * (Logix STRING as text, structures through `structTypes`, else raw bytes).
   */
  async read(tag: PathLike, options: ReadOptions = {}): Promise<ReadResult> {
    return readTag(this, toPath(tag), options.elements ?? 1, options);
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
    const reply = await this.request(
      readModifyWriteTagRequest(toPath(tag), Uint8Array.from(masks.orMask), Uint8Array.from(masks.andMask)),
      options,
    );
    return resultOf(reply, true as const);
  }

  /** Get Attribute Single: the attribute's raw bytes, or its values decoded as `type` when given. */
  async getAttributeSingle(
    path: PathLike,
    options: RequestOptions & { type?: AnyCipType } = {},
  ): Promise<CipResult<Uint8Array | unknown[]>> {
    const reply = await this.request(getAttributeSingleRequest(toPath(path)), options);
    return resultOf(reply, dataValue(reply, options.type));
  }

  /** Get Attributes All: the instance's attributes as raw bytes, or decoded as `type` when given. */
  async getAttributesAll(
    path: PathLike,
    options: RequestOptions & { type?: AnyCipType } = {},
  ): Promise<CipResult<Uint8Array | unknown[]>> {
    const reply = await this.request(getAttributesAllRequest(toPath(path)), options);
    return resultOf(reply, dataValue(reply, options.type));
  }

  /** Get Attribute List of `attributes`; `sizes` (bytes per attribute id) split the values, the last takes the rest. */
  async getAttributeList(
    path: PathLike,
    attributes: number[],
    options: RequestOptions & { sizes?: Record<number, number> } = {},
  ): Promise<CipResult<AttributeResult[]>> {
    const sizes = options.sizes ?? {};
    const reply = await this.request(getAttributeListRequest(toPath(path), attributes), {
      ...options,
      decode: { attributeSize: (id) => sizes[id] },
    });
    return resultOf(reply, reply.kind === "getAttributeList" ? reply.attributes : undefined);
  }

  /** Set Attribute Single with raw `data`, or `values` encoded as `type`. */
  async setAttributeSingle(
    path: PathLike,
    data: Uint8Array | { type: AnyCipType; values: unknown[] },
    options: RequestOptions = {},
  ): Promise<CipResult<true>> {
    const bytes = data instanceof Uint8Array ? data : encodeValues(data.type, data.values);
    const reply = await this.request(setAttributeSingleRequest(toPath(path), bytes), options);
    return resultOf(reply, true as const);
  }

  /** Any service `code` on `path` with raw request `data`; the value is the reply's raw data. */
  async service(
    code: number,
    path: PathLike,
    data: Uint8Array = new Uint8Array(0),
    options: RequestOptions = {},
  ): Promise<CipResult<Uint8Array>> {
    if (!Number.isInteger(code) || code < 0 || code > 0x7f)
      throw new InvalidArgumentError(`"code" must be a service code in 0..0x7f, got ${code}`);
    const reply = await this.request({ kind: "generic", service: code, path: toPath(path), data }, options);
    return resultOf(
      reply,
      "data" in reply && reply.data instanceof Uint8Array ? reply.data : new Uint8Array(0),
    );
  }

  /** ListIdentity over this session: the identity items of the reply. */
  listIdentity(options: RequestOptions = {}): Promise<CpfItem[]> {
    return this.list("listIdentity", options);
  }

  /** ListServices over this session: the service items of the reply. */
  listServices(options: RequestOptions = {}): Promise<CpfItem[]> {
    return this.list("listServices", options);
  }

  /** ListInterfaces over this session: the interface items of the reply (often none). */
  listInterfaces(options: RequestOptions = {}): Promise<CpfItem[]> {
    return this.list("listInterfaces", options);
  }

  private async list(
    command: "listIdentity" | "listServices" | "listInterfaces",
    options: RequestOptions,
  ): Promise<CpfItem[]> {
    await this.ready(options);
    const reply = await this.encapsulated(
      command,
      this.session,
      options.timeout ?? this.options.timeout,
      options.signal,
    );
    if (reply.header.status !== 0)
      throw new ProtocolError(
        `${command} failed with encapsulation status 0x${reply.header.status.toString(16)}`,
      );
    const body = reply.body;
    return "cpf" in body && body.cpf !== undefined ? body.cpf : [];
  }

  /** Runs `ops` with `depth` requests in flight (packed when `multiple`), yielding results in order. */
  pipeline(
    ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
    options: PipelineOptions = {},
  ): AsyncIterable<OperationResult> {
    return pipeline(this, ops, options);
  }

  /** Runs `ops` one request at a time (depth 1), yielding results in order. */
  synchronous(
    ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
    options: Omit<PipelineOptions, "depth"> = {},
  ): AsyncIterable<OperationResult> {
    return synchronousOf(this, ops, options);
  }

  /** The values of `ops` in order (undefined for failures). */
  results(
    ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
    options: PipelineOptions = {},
  ): Promise<unknown[]> {
    return resultsOf(this, ops, options);
  }

  /** Runs `ops`; resolves with the number of failed operations and the values in order (cpppo's `process`). */
  process(
    ops: Iterable<PipelineOperation> | AsyncIterable<PipelineOperation>,
    options: PipelineOptions = {},
  ): Promise<{ failures: number; values: unknown[] }> {
    return processOperations(this, ops, options);
  }

  /** Closes: Forward Close (if connected), UnRegisterSession, end of the stream; pending requests fail. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.disposeAbort();
    this.closing = (async () => {
      const wasReady = this.stateValue === "ready";
      this.stateValue = "closed";
      const transport = this.transport;
      if (transport === undefined) return;
      if (wasReady && this.connection) {
        try {
          await this.closeConnection({ timeout: Math.min(CLOSE_TIMEOUT, this.options.timeout) });
        } catch {
          // The device may already be gone; closing goes on regardless.
        }
      }
      if (this.transport === transport && this.session !== 0)
        transport.write(
          encodeEncapsulation({ header: { session: this.session }, body: { command: "unRegisterSession" } }),
        );
      transport.end();
      this.lost(transport, new SessionClosedError("the client was closed"));
      if (this.timer !== undefined) clearTimeout(this.timer);
    })();
    return this.closing;
  }

  /** `await using client = …` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Raw reply data, decoded as `type` when given. */
function dataValue(reply: CipReply, type: AnyCipType | undefined): Uint8Array | unknown[] {
  const data = "data" in reply && reply.data instanceof Uint8Array ? reply.data : new Uint8Array(0);
  return type ? decodeValues(type, data) : data;
}

/** Waits for `promise`, failing early when `signal` aborts. */
function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortError("aborted", { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const dispose = addAbortListener(signal, () =>
      reject(new AbortError("aborted", { cause: signal.reason })),
    );
    promise.then(
      (v) => {
        dispose();
        resolve(v);
      },
      (e) => {
        dispose();
        reject(e);
      },
    );
  });
}
