/**
 * One EtherNet/IP session to one device: an explicit state machine (disconnected → session → forward-open → ready)
 * that can rebuild itself, many requests in flight matched by sender context (unconnected) or by sequence count
 * (connected), per-request deadlines and AbortSignals. Knows frames and CIP requests, nothing of tags.
 */
import {
  type CipReply,
  type CipRequest,
  ConnectionManagerService,
  decodeEnipMessage,
  describeStatus,
  EncapsulationStatus,
  type EnipDecodeOptions,
  type EnipMessage,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  type ForwardOpenReply,
  peekSenderContext32,
  peekSequenceCount,
  REPLY_BIT,
} from "@cpppo/cip-codec";
import { type AbortDisposer, addAbortListener } from "../core/abort.js";
import { clientChannel } from "../core/diagnostics.js";
import {
  AbortError,
  EncapsulationStatusError,
  InvalidArgumentError,
  ProtocolError,
  SessionClosedError,
} from "../core/errors.js";
import { type PackLimits, packLimits, UCMM_CONNECTION_SIZE } from "../core/packing.js";
import { type CipResult, type RequestOptions, resultOf } from "../core/result.js";
import type { Transport, TransportFactory } from "../transport/transport.js";
import {
  type Connection,
  closeRequest,
  connectionSizes,
  openedConnection,
  openRequest,
} from "./connection.js";
import type { ResolvedOptions } from "./options.js";
import { FrameReply, type RawReply } from "./raw-reply.js";
import {
  type PendingRequest,
  RequestTable,
  type RequestTableOptions,
  SEQUENCE_KEY_BASE,
} from "./requests.js";
import { goesConnected, routedRequest, type SendOptions } from "./routing.js";

/** The connection state: `session` once registered, `forward-open` while a class 3 connection opens, `ready` to serve. */
export type ClientState = "disconnected" | "session" | "forward-open" | "ready" | "closed";

/** Encapsulation commands sent without CIP. */
export type EncapsulationCommandName = "registerSession" | "listIdentity" | "listServices" | "listInterfaces";

/** What a session is made of besides its options. */
export interface SessionParts {
  transport: TransportFactory;
  /** Aborting closes the session. */
  signal: AbortSignal | undefined;
  maxFrameSize: number | undefined;
  /** Clock and timers of the request table; Node's by default. */
  requests?: Omit<RequestTableOptions, "describeTimeout">;
}

const CONTEXT_KEY_MASK = 0x7fffffff;
/**
 * The key of the RegisterSession in flight: it goes with an all-zero sender context (strict servers refuse any
 * other) and its reply is taken by its command, whatever context the device echoes.
 */
const REGISTER_KEY = 2 * SEQUENCE_KEY_BASE;
const REGISTER_SESSION = 0x65;
const SEND_RR_DATA = 0x6f;
const SEND_UNIT_DATA = 0x70;
const ZERO_CONTEXT = new Uint8Array(8);

function u32At(frame: Uint8Array, at: number): number {
  return (
    ((frame[at] as number) |
      ((frame[at + 1] as number) << 8) |
      ((frame[at + 2] as number) << 16) |
      ((frame[at + 3] as number) << 24)) >>>
    0
  );
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}

/** `0x0001 invalid or unsupported encapsulation command`: an encapsulation status with its meaning. */
export function describeEncapsulationStatus(status: number): string {
  return `${hex(status, 4)} ${EncapsulationStatus.describe(status).toLowerCase()}`;
}
const CLOSE_TIMEOUT = 1000;
/** An Unconnected Send's own reply (a routing failure) answers whatever it carried. */
const UNCONNECTED_SEND_REPLY = ConnectionManagerService.codes.unconnectedSend | REPLY_BIT;

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

/** The session layer under `EnipClient`: connect, register, open, send, match, time out, close. */
export class Session {
  private stateValue: ClientState = "disconnected";
  private transport: Transport | undefined;
  private establishing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private session = 0;
  private connection: Connection | undefined;
  private contextCounter = 0;
  private readonly context = new Uint8Array(8);
  private readonly table: RequestTable;
  private lostReason: Error | undefined;
  /** False once the device answered a Multiple Service Packet "service not supported"; true again on a new connection. */
  private multiple = true;
  private readonly factory: TransportFactory;
  private readonly signal: AbortSignal | undefined;
  private readonly maxFrameSize: number | undefined;
  /** Removes the listener on the session's own `signal`: closing leaves nothing behind on a signal that outlives it. */
  private readonly disposeAbort: AbortDisposer;
  /** A random originator serial per session, so that connections of several clients never collide. */
  private readonly originatorSerial = (Math.random() * 0xffffffff) >>> 0;

  constructor(
    readonly options: ResolvedOptions,
    parts: SessionParts,
  ) {
    this.factory = parts.transport;
    this.maxFrameSize = parts.maxFrameSize;
    this.signal = parts.signal;
    this.table = new RequestTable({
      ...parts.requests,
      describeTimeout: (timeout) => `no reply from ${options.host}:${options.port} within ${timeout} ms`,
    });
    this.disposeAbort = addAbortListener(this.signal, () => void this.close());
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
    return this.table.size;
  }

  /** False once the device refused a Multiple Service Packet on this connection ("service not supported"). */
  get multipleAllowed(): boolean {
    return this.multiple;
  }

  /** Sends no more Multiple Service Packets over this connection (the next connection asks again). */
  refuseMultiple(): void {
    this.multiple = false;
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

  /** Resolves once the session can serve requests, (re)building it when it is down and allowed to. */
  ready(options: RequestOptions = {}): Promise<void> {
    if (this.stateValue === "ready") {
      if (!this.connectionIdle()) return Promise.resolve();
      this.establishing ??= this.refreshConnection().finally(() => {
        this.establishing = undefined;
      });
      return withAbort(this.establishing, options.signal);
    }
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
    this.multiple = true;
    try {
      // UDP carries no session (cpppo registers on TCP only): requests go with session handle 0.
      if (!o.udp) {
        const reply = await this.encapsulated("registerSession", o.timeout, undefined, 0);
        if (reply.header.session === 0)
          throw new ProtocolError("RegisterSession answered with session handle 0");
        this.session = reply.header.session;
        this.stateValue = "session";
        clientChannel.publish({ event: "session", session: this.session });
      }
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
    this.table.failAll(failure);
  }

  private nextContextKey(): number {
    // Never 0: an all-zero context is RegisterSession's.
    this.contextCounter = (this.contextCounter + 1) & CONTEXT_KEY_MASK || 1;
    const key = this.contextCounter;
    const c = this.context;
    c[0] = key & 0xff;
    c[1] = (key >>> 8) & 0xff;
    c[2] = (key >>> 16) & 0xff;
    c[3] = key >>> 24;
    return key;
  }

  /** Registers `p` under `key` and sends `frame`. */
  private track(key: number, frame: Uint8Array, p: PendingRequest): void {
    const transport = this.transport;
    if (transport === undefined) {
      p.reject(new SessionClosedError("not connected"));
      return;
    }
    if (this.table.add(key, p)) transport.write(frame);
  }

  /**
   * Matches a reply to its request: RegisterSession by its command, connected replies by sequence count, others by
   * sender context. A reply with an all-zero context, or a non-zero encapsulation status, that matches nothing (a
   * device may not echo the context, or drop the data that carries the sequence count) answers the oldest request
   * of its command: devices answer in order. A non-zero status, or a session handle not ours, rejects the request
   * at once.
   */
  private receive(frame: Uint8Array): void {
    const command = frame[0] as number;
    const status = u32At(frame, 8);
    let p: PendingRequest | undefined;
    if (command === REGISTER_SESSION && frame[1] === 0) p = this.table.take(REGISTER_KEY);
    else {
      const sequence = peekSequenceCount(frame);
      const key = sequence >= 0 ? SEQUENCE_KEY_BASE + sequence : peekSenderContext32(frame);
      p = this.table.take(key);
      // Our contexts are never zero: a zero one is a device's that does not echo them (some simulators).
      if (p === undefined && (status !== 0 || key === 0))
        p = this.table.takeFirst((q) => q.command === command);
    }
    if (p === undefined) {
      clientChannel.publish({ event: "unmatched", frame });
      return;
    }
    if (status !== 0) {
      p.reject(
        new EncapsulationStatusError(
          `${this.options.host}:${this.options.port} answered with encapsulation status ${describeEncapsulationStatus(status)}`,
        ),
      );
      return;
    }
    if ((command === SEND_RR_DATA || command === SEND_UNIT_DATA) && frame[1] === 0) {
      const session = u32At(frame, 4);
      if (session !== this.session) {
        p.reject(
          new ProtocolError(
            `a reply came with session handle ${hex(session, 8)}, not this session's ${hex(this.session, 8)}`,
          ),
        );
        return;
      }
    }
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
    if (p.answers === undefined) {
      p.resolve(message);
      return;
    }
    let cip: CipReply;
    try {
      cip = this.cipOf(message, p.answers);
    } catch (error) {
      p.reject(error as Error);
      return;
    }
    p.resolve(cip);
  }

  /**
   * Sends an encapsulation command without CIP (RegisterSession, List*) and resolves with the reply frame; `session`
   * defaults to the registered one.
   */
  encapsulated(
    command: EncapsulationCommandName,
    timeout: number,
    signal: AbortSignal | undefined,
    session: number = this.session,
  ): Promise<EnipMessage> {
    return new Promise<EnipMessage>((resolve, reject) => {
      const register = command === "registerSession";
      const key = register ? REGISTER_KEY : this.nextContextKey();
      const frame = encodeEncapsulation({
        header: { session, senderContext: register ? ZERO_CONTEXT : this.context },
        body: register ? { command, protocolVersion: 1, optionFlags: 0 } : { command },
      });
      this.track(key, frame, {
        command: frame[0] as number,
        request: undefined,
        decode: {},
        raw: false,
        resolve: resolve as (message: EnipMessage | Uint8Array | CipReply) => void,
        reject,
        deadline: this.table.now() + timeout,
        timeout,
        signal,
        disposeAbort: undefined,
      });
    });
  }

  /** Sends one CIP request once ready and resolves with its reply (whatever its status); see `EnipClient.request`. */
  request(message: CipRequest, options: SendOptions = {}): Promise<CipReply> {
    if (this.stateValue !== "ready" || this.connectionIdle())
      return this.ready(options).then(() => this.send(message, options));
    return this.send(message, options);
  }

  /**
   * Sends `message` like `request` but hands the reply over undecoded: the frame's bytes, where its CIP reply
   * starts when the frame has the plain layout, and `decode()`, which decodes it exactly as `request` would (with
   * the same errors) as the reply to `meaning` (default `message`). `meaning` is the request `message` stands for
   * when `message` carries it pre-encoded (e.g. a generic Multiple Service Packet request holding the packet's
   * bytes), so that ambiguous reply codes are read as replies to it. Always uses the session's own route.
   */
  requestFrame(message: CipRequest, options: RequestOptions = {}, meaning?: CipRequest): Promise<RawReply> {
    if (this.stateValue !== "ready" || this.connectionIdle())
      return this.ready(options).then(() => this.sendFrame(message, options, meaning ?? message));
    return this.sendFrame(message, options, meaning ?? message);
  }

  private sendFrame(message: CipRequest, options: RequestOptions, meaning: CipRequest): Promise<RawReply> {
    const route: SendOptions = { timeout: options.timeout, signal: options.signal };
    // What the decoder must take the reply to answer: `meaning`, wrapped as `message` will be.
    const sent = this.wrap(meaning, route);
    return this.dispatch(message, route, true).then(
      (frame) => new FrameReply(frame as Uint8Array, this.decodeFrame, sent, meaning),
    );
  }

  /** `request` without waiting for the ready state (used while the state machine itself is opening or closing). */
  private send(message: CipRequest, options: SendOptions): Promise<CipReply> {
    return this.dispatch(message, options, false, message) as Promise<CipReply>;
  }

  /** The request as it goes out with `options`: as is over the connection, else routed (see `routedRequest`). */
  private wrap(message: CipRequest, options: SendOptions): CipRequest {
    if (goesConnected(this.connection !== undefined, options)) return message;
    return routedRequest(message, options, this.options);
  }

  /** Decodes a reply frame as the answer to `sent` (`meaning` names the service it must answer), as `send` does. */
  private readonly decodeFrame = (frame: Uint8Array, sent: CipRequest, meaning: CipRequest): CipReply => {
    let message: EnipMessage;
    try {
      message = decodeEnipMessage(frame, { hint: { request: sent } });
    } catch (error) {
      throw new ProtocolError(`cannot decode the reply: ${(error as Error).message}`, { cause: error });
    }
    return this.cipOf(message, meaning);
  };

  /** Encodes `message` into a frame, registers it and sends it; resolves with the decoded frame (or its bytes, `raw`). */
  private dispatch(
    message: CipRequest,
    options: SendOptions,
    raw: boolean,
    answers?: CipRequest,
  ): Promise<EnipMessage | Uint8Array | CipReply> {
    const timeout = options.timeout ?? this.options.timeout;
    if (!(timeout > 0))
      return Promise.reject(
        new InvalidArgumentError(`"timeout" must be a positive number of milliseconds, got ${timeout}`),
      );
    const connection = goesConnected(true, options) ? this.connection : undefined;
    return new Promise<EnipMessage | Uint8Array | CipReply>((resolve, reject) => {
      let key: number;
      let frame: Uint8Array;
      let sent: CipRequest = message;
      try {
        if (connection !== undefined) {
          const sequence = (connection.sequence + 1) & 0xffff;
          connection.sequence = sequence;
          connection.lastSent = this.table.now();
          key = SEQUENCE_KEY_BASE + sequence;
          frame = encodeSendUnitData({
            session: this.session,
            connectionId: connection.otConnectionId,
            sequence,
            message,
          });
        } else {
          sent = routedRequest(message, options, this.options);
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
      const decode: EnipDecodeOptions | undefined = options.decode
        ? { ...options.decode, hint: { request: sent } }
        : undefined;
      this.track(key, frame, {
        command: connection !== undefined ? SEND_UNIT_DATA : SEND_RR_DATA,
        request: sent,
        decode,
        raw,
        answers,
        resolve,
        reject,
        deadline: this.table.now() + timeout,
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
    if (cip.service !== (request.service | REPLY_BIT) && cip.service !== UNCONNECTED_SEND_REPLY)
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
    let last: CipReply | undefined;
    for (const size of connectionSizes(options.connectionSize ?? this.options.connectionSize)) {
      const { request, serial } = openRequest(size, this.originatorSerial, this.options);
      const reply = await this.send(request, {
        ...options,
        unconnected: true,
        routePath: false,
        sendPath: "",
      });
      last = reply;
      if (reply.kind === "forwardOpen" && reply.generalStatus === 0) {
        const ok = reply as ForwardOpenReply;
        this.connection = openedConnection(
          ok,
          serial,
          size,
          this.options.connectionPath,
          this.options.rpi,
          this.table.now(),
        );
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

  /**
   * True when the class 3 connection has carried nothing for half its watchdog: the device may drop it before a
   * request sent now arrives, and a dropped connection's requests get no reply at all (a controller drops them).
   */
  private connectionIdle(): boolean {
    const c = this.connection;
    return c !== undefined && this.table.now() - c.lastSent > c.watchdogMs / 2;
  }

  /**
   * Replaces an idle class 3 connection: a polite Forward Close while the device may still hold it (its answer does
   * not matter), then a new Forward Open. Requests wait meanwhile; if the device refuses, they go unconnected.
   */
  private async refreshConnection(): Promise<void> {
    const idle = this.connection as Connection;
    this.stateValue = "forward-open";
    try {
      if (this.table.now() - idle.lastSent < idle.watchdogMs) {
        try {
          await this.closeConnection({ timeout: Math.min(CLOSE_TIMEOUT, this.options.timeout) });
        } catch {
          // A Forward Close that fails leaves nothing to undo: the device drops the connection by its watchdog.
        }
      }
      this.connection = undefined;
      await this.openConnection({});
    } finally {
      if ((this.stateValue as ClientState) === "forward-open") this.stateValue = "ready";
    }
  }

  /** Closes the class 3 connection (Forward Close); later requests go unconnected. */
  async forwardClose(options: RequestOptions = {}): Promise<CipResult<true>> {
    await this.ready(options);
    if (!this.connection) throw new InvalidArgumentError("there is no class 3 connection to close");
    return this.closeConnection(options);
  }

  private async closeConnection(options: RequestOptions): Promise<CipResult<true>> {
    const c = this.connection as Connection;
    this.connection = undefined;
    const reply = await this.send(closeRequest(c, this.originatorSerial, this.options), {
      ...options,
      unconnected: true,
      routePath: false,
      sendPath: "",
    });
    return resultOf(reply, true as const);
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
      this.table.stop();
    })();
    return this.closing;
  }
}
