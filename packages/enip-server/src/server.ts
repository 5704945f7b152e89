/**
 * The EtherNet/IP transport of the simulator: a TCP listener and a UDP socket on one address, framing,
 * sessions, the encapsulation commands, unconnected (SendRRData) and connected (SendUnitData) messaging,
 * Unconnected Send unwrapping with route-path acceptance and `[UCMM] Route` forwarding, Forward Open /
 * Forward Close, delays, limits, and graceful shutdown. Every CIP request is executed by a `Controller`.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import {
  CipDecodeError,
  CipEncodeError,
  type CipReply,
  type CipRequest,
  ConnectionManagerExtendedStatus,
  type CpfItem,
  decodeEncapsulation,
  decodeNetworkConnectionParameters,
  decodeRequestBytes,
  ENCAPSULATION_HEADER_SIZE,
  type EncapsulationFrame,
  EncapsulationStatus,
  EnipFramer,
  type EPath,
  encodeEncapsulation,
  encodeSendRRData,
  encodeSendUnitData,
  type ForwardCloseRequest,
  type ForwardOpenRequest,
  formatEPath,
  GeneralStatus,
  ListServicesCapability,
  MAX_ENCAPSULATION_LENGTH,
  MESSAGE_ROUTER_CLASS,
  type MessageDecodeOptions,
  REPLY_BIT,
  SENDER_CONTEXT_SIZE,
  sizeOfPath,
  type UnconnectedSendRequest,
  unconnectedSend,
} from "@cpppo/cip-codec";
import type { Controller, RequestContext } from "./controller.js";
import { type RequestEvent, requestChannel, type SessionEvent, sessionChannel } from "./diagnostics.js";
import { InvalidArgumentError } from "./errors.js";
import { findRoute, RouteForwarder, type RouteTable, sameRouteSegment } from "./forward.js";

/** Options of `EnipServer.start`. */
export interface ServerOptions {
  /** Executes every CIP request and supplies the identity that ListIdentity reports. */
  controller: Controller;
  /** Address to bind, TCP and UDP; defaults to "0.0.0.0". */
  host?: string;
  /** Port to bind, TCP and UDP; defaults to 44818; 0 picks a free port (UDP then binds the port TCP got). */
  port?: number;
  /** Listen on TCP; defaults to true. */
  tcp?: boolean;
  /** Listen on UDP (ListIdentity, ListServices, ListInterfaces); defaults to true. */
  udp?: boolean;
  /** Seconds to wait before each TCP reply (cpppo `-d`): a value, or a range re-drawn every second; defaults to 0. */
  delay?: number | { min: number; max: number };
  /** Largest encapsulated data (bytes after the 24-byte header) a request may carry (cpppo `-s`); larger ones get status 0x65. Defaults to no limit. */
  maxRequestSize?: number;
  /** Route paths accepted in Unconnected Send: undefined accepts any, false only un-routed ones (cpppo `-S`), else exactly this one port segment. */
  routePath?: EPath | false;
  /** cpppo's `[UCMM] Route` table: routed requests whose first segment matches are forwarded; defaults to none. */
  routes?: RouteTable;
  /** Most simultaneous TCP connections; defaults to 4096 (more are accepted and closed at once). */
  maxConnections?: number;
  /** Largest frame accepted, header included; defaults to 65559 (any frame the length field can describe). A larger one gets status 0x65 and the connection is closed. */
  maxFrameSize?: number;
  /** Seconds of silence after which a TCP connection is closed; defaults to 0 (never). */
  idleTimeout?: number;
  /** Requests received but not yet answered on one connection before the server stops reading from it; defaults to 64. */
  maxPendingRequests?: number;
  /** Seconds a closing connection gets to finish its half-close before it is destroyed; defaults to 2. */
  closeTimeout?: number;
  /** Aborting closes the server, as `close()` does. */
  signal?: AbortSignal;
}

/** One TCP connection, as the web API's `connections` group reports it. */
export interface ConnectionInfo {
  /** The peer address and port joined by underscores, e.g. `"10_0_0_1_60592"`. */
  id: string;
  /** The peer's IP address. */
  peer: string;
  /** The peer's TCP port. */
  port: number;
  /** Bytes received. */
  received: number;
  /** Requests (whole frames) received. */
  requests: number;
  /** Requests answered or dropped. */
  processed: number;
  /** True once the connection is being ended (by `endConnection`, the peer, or shutdown). */
  eof: boolean;
}

/** The delay before each TCP reply, in seconds; setting `range` re-draws `value` from it every second. */
export class ReplyDelay {
  /** Seconds to wait before each TCP reply; 0 = none. */
  value = 0;
  private span: { min: number; max: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** The range `value` is re-drawn from every second, or undefined for a fixed `value`. */
  get range(): { min: number; max: number } | undefined {
    return this.span;
  }

  set range(range: { min: number; max: number } | undefined) {
    if (range !== undefined) checkDelayRange(range);
    this.span = range === undefined ? undefined : { min: range.min, max: range.max };
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.span === undefined) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), DELAY_REDRAW_MS);
    this.timer.unref();
  }

  /** Stops re-drawing (the server calls this when it closes). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private draw(): void {
    const span = this.span;
    if (span !== undefined) this.value = span.min + Math.random() * (span.max - span.min);
  }
}

const DELAY_REDRAW_MS = 1000;
const DEFAULT_PORT = 44818;
const DEFAULT_MAX_CONNECTIONS = 4096;
const DEFAULT_MAX_PENDING = 64;
const DEFAULT_CLOSE_TIMEOUT_S = 2;
/** Class 3 connections one TCP connection may hold; beyond it Forward Open fails with 0x01/0x0113. */
const MAX_CIP_CONNECTIONS = 128;
/** Largest Large Forward Open connection size accepted: what a ControlLogix accepts (pycomm3 asks 4000, others 4002). */
const MAX_LARGE_CONNECTION_SIZE = 4002;
const MAX_STANDARD_CONNECTION_SIZE = 511;
/** Tries to find a port free for both TCP and UDP when the caller asks for port 0. */
const BIND_ATTEMPTS = 8;
const TRANSPORT_CLASS_MASK = 0x0f;
const CLASS_3 = 3;
const POINT_TO_POINT = 2;
const MULTICAST = 1;
const ENCAPSULATION_VERSION = 1;
const AF_INET = 2;
/** Bytes of the class 3 sequence count that precedes each connected message. */
const SEQUENCE_COUNT_SIZE = 2;
const EMPTY = new Uint8Array(0);

const STATUS = EncapsulationStatus.codes;
const CM = ConnectionManagerExtendedStatus.codes;
const GS = GeneralStatus.codes;

/** Close the connection after writing `reply` (if any). */
interface Close {
  close: true;
  reply?: Uint8Array;
}
/** What handling one frame produces: a reply, nothing, or the end of the connection. */
type Outcome = Uint8Array | undefined | Close;
const CLOSE: Close = { close: true };

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}

function checkDelayRange(range: { min: number; max: number }): void {
  if (
    typeof range !== "object" ||
    !Number.isFinite(range.min) ||
    !Number.isFinite(range.max) ||
    range.min < 0 ||
    range.max < range.min
  )
    throw new InvalidArgumentError('"delay" range must be { min, max } with 0 <= min <= max seconds');
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

function u32(bytes: Uint8Array, at: number): number {
  return (u16(bytes, at) | (u16(bytes, at + 2) << 16)) >>> 0;
}

/** An encapsulation reply with no data echoing `header` (a 24-byte request header) with `status`. */
function statusReply(header: Uint8Array, status: number, session = u32(header, 4)): Uint8Array {
  return encodeEncapsulation({
    header: {
      command: u16(header, 0),
      session,
      status,
      senderContext: header.subarray(12, 12 + SENDER_CONTEXT_SIZE),
    },
    body: { command: "raw", data: EMPTY },
  });
}

/** "::ffff:10.0.0.1" → "10.0.0.1"; other addresses unchanged. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function isIpv4(address: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** The CIP status a request that cannot be decoded gets: path errors 0x04, short data 0x13, anything else 0x20. */
function decodeFailureStatus(error: unknown): number {
  if (!(error instanceof CipDecodeError)) return GS.invalidParameter;
  for (const part of error.path)
    if (part === "path" || part === "routePath" || part === "connectionPath") return GS.pathSegmentError;
  return error.failure === "truncated" ? GS.notEnoughData : GS.invalidParameter;
}

function errorReply(service: number, generalStatus: number, extStatus: number[] = []): CipReply {
  return { kind: "generic", service: (service | REPLY_BIT) & 0xff, generalStatus, extStatus, data: EMPTY };
}

/** The Unconnected Send's own error reply (0xD2 from the Connection Manager), e.g. a refused route. */
function routeError(request: UnconnectedSendRequest<CipRequest>, extended: number): CipReply {
  return {
    kind: "unconnectedSend",
    service: 0xd2,
    generalStatus: GS.connectionFailure,
    extStatus: [extended],
    remainingPathWords: sizeOfPath(request.routePath) >> 1,
  };
}

/** A class 3 connection opened by Forward Open on one TCP connection. */
interface CipConnection {
  otId: number;
  toId: number;
  connectionSerial: number;
  originatorVendor: number;
  originatorSerial: number;
  service: number;
  otParams: number;
  toParams: number;
  otRpiUs: number;
  toRpiUs: number;
  transportClassTrigger: number;
  path: string;
  /** Execution context of requests arriving over this connection (made once, reused). */
  context: RequestContext;
}

/** A TCP peer of the server: framing, the in-order request queue, its session and class 3 connections. */
class TcpConnection {
  readonly id: string;
  readonly peer: string;
  readonly port: number;
  received = 0;
  requests = 0;
  processed = 0;
  eof = false;
  /** The session handle RegisterSession gave this connection; 0 until then. */
  session = 0;
  readonly cipConnections = new Map<number, CipConnection>();
  /** Execution context of unconnected requests (made once, reused). */
  readonly context: RequestContext;
  readonly closed: Promise<void>;
  private readonly framer: EnipFramer;
  private queue: Uint8Array[] = [];
  private head = 0;
  private busy = false;
  private readPaused = false;
  private writeBlocked = false;
  /** Stream offset of the next chunk's first byte (to find an oversized frame's header). */
  private streamOffset = 0;
  private ending = false;
  private resolveClosed!: () => void;

  constructor(
    readonly socket: Socket,
    private readonly engine: Engine,
  ) {
    this.peer = plainAddress(socket.remoteAddress);
    this.port = socket.remotePort ?? 0;
    this.id = `${this.peer.replace(/[.:]/g, "_")}_${this.port}`;
    this.context = { peer: `${this.peer}:${this.port}`, connected: false };
    this.framer = new EnipFramer({ maxFrameSize: engine.maxFrameSize });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    if (engine.idleTimeoutMs > 0) {
      socket.setTimeout(engine.idleTimeoutMs);
      socket.on("timeout", () => this.end(true));
    }
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // The peer's FIN: answer what it already sent, then close our side (the socket allows half-open).
    socket.on("end", () => this.end(false));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose());
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      peer: this.peer,
      port: this.port,
      received: this.received,
      requests: this.requests,
      processed: this.processed,
      eof: this.eof,
    };
  }

  /**
   * Ends the connection: answers the requests already received (none when `dropQueued`), then half-closes,
   * and destroys the socket if the peer has not closed within the close timeout.
   */
  end(dropQueued: boolean): void {
    this.eof = true;
    if (dropQueued) {
      this.queue = [];
      this.head = 0;
    }
    if (this.ending) return;
    this.ending = true;
    if (!this.busy) this.pump();
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.eof = true;
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.received += chunk.length;
    const start = this.streamOffset;
    this.streamOffset += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.framingFailed(chunk, start, error);
      return;
    }
    const n = frames.length;
    if (n === 0) return;
    this.requests += n;
    for (let i = 0; i < n; i++) this.queue.push(frames[i] as Uint8Array);
    if (!this.readPaused && this.queue.length - this.head >= this.engine.maxPending) {
      this.readPaused = true;
      this.socket.pause();
    }
    if (!this.busy) this.pump();
  }

  /** A header announced a frame above the limit: answer 0x65 when its header is at hand, then close. */
  private framingFailed(chunk: Uint8Array, start: number, error: unknown): void {
    this.requests++;
    const lengthAt = error instanceof CipDecodeError ? error.offset - start - 2 : -1;
    const reply =
      lengthAt >= 0 && lengthAt + ENCAPSULATION_HEADER_SIZE <= chunk.length
        ? statusReply(chunk.subarray(lengthAt, lengthAt + ENCAPSULATION_HEADER_SIZE), STATUS.invalidLength)
        : undefined;
    this.queue.push(EMPTY);
    this.framingReply = reply;
    this.ending = true;
    this.eof = true;
    if (!this.busy) this.pump();
  }

  /** The reply for the frame that broke the framing (an empty frame marks its place in the queue). */
  private framingReply: Uint8Array | undefined;

  /** Answers queued frames in order; stops while a reply is pending (async) or the socket is not draining. */
  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    const socket = this.socket;
    let corked = false;
    while (this.head < this.queue.length && !this.writeBlocked && !socket.destroyed) {
      const frame = this.queue[this.head] as Uint8Array;
      this.queue[this.head++] = EMPTY;
      let outcome: Outcome | Promise<Outcome>;
      if (frame.length === 0) outcome = { close: true, reply: this.framingReply };
      else {
        try {
          outcome = this.engine.handleTcp(this, frame);
        } catch {
          outcome = CLOSE;
        }
      }
      if (isPromise(outcome)) {
        if (corked) socket.uncork();
        outcome
          .then(
            (settled) => this.complete(frame, settled),
            () => this.complete(frame, CLOSE),
          )
          .then(() => {
            this.busy = false;
            this.pump();
          });
        return;
      }
      if (!corked && this.head < this.queue.length) {
        socket.cork();
        corked = true;
      }
      this.complete(frame, outcome);
    }
    if (corked) socket.uncork();
    this.busy = false;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.ending) this.finish();
    } else if (this.head > DEFAULT_MAX_PENDING) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (
      this.readPaused &&
      !this.writeBlocked &&
      !this.ending &&
      this.queue.length - this.head < this.engine.maxPending
    ) {
      this.readPaused = false;
      socket.resume();
    }
  }

  private complete(frame: Uint8Array, outcome: Outcome): void {
    this.processed++;
    let reply: Uint8Array | undefined;
    if (outcome instanceof Uint8Array) reply = outcome;
    else if (outcome !== undefined) {
      reply = outcome.reply;
      this.end(true);
    }
    const socket = this.socket;
    if (reply !== undefined && socket.writable && !socket.write(reply)) {
      this.writeBlocked = true;
      if (!this.readPaused) {
        this.readPaused = true;
        socket.pause();
      }
      socket.once("drain", () => {
        this.writeBlocked = false;
        this.pump();
      });
    }
    if (requestChannel.hasSubscribers && frame.length >= ENCAPSULATION_HEADER_SIZE) {
      const event: RequestEvent = {
        id: this.id,
        peer: this.context.peer ?? "",
        command: u16(frame, 0),
        request: frame,
        reply,
      };
      requestChannel.publish(event);
    }
  }

  /** Everything answered: half-close (after the last write drains), and destroy if the peer lingers. */
  private finish(): void {
    const socket = this.socket;
    if (this.finished || socket.destroyed) return;
    this.finished = true;
    setTimeout(() => socket.destroy(), this.engine.closeTimeoutMs).unref();
    // end() queues the FIN behind the writes still buffered, so a blocked socket needs no special case.
    socket.end();
  }

  private finished = false;

  private onClose(): void {
    this.eof = true;
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.cipConnections.clear();
    this.engine.forget(this);
    this.resolveClosed();
  }
}

/** The protocol: what each encapsulation command and CIP request gets, shared by TCP and UDP. */
class Engine {
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  readonly maxPending: number;
  readonly closeTimeoutMs: number;
  readonly connections = new Map<string, TcpConnection>();
  private readonly maxRequestSize: number | undefined;
  private readonly routePath: EPath | false | undefined;
  private readonly routes: RouteTable | undefined;
  private readonly forwarder: RouteForwarder | undefined;

  constructor(
    readonly controller: Controller,
    readonly delay: ReplyDelay,
    options: ServerOptions,
    private readonly tcpPort: () => number,
    private readonly udpAddress: () => AddressInfo | undefined,
    private readonly serverName: () => string,
  ) {
    this.maxFrameSize = options.maxFrameSize ?? MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE;
    this.idleTimeoutMs = (options.idleTimeout ?? 0) * 1000;
    this.maxPending = options.maxPendingRequests ?? DEFAULT_MAX_PENDING;
    this.closeTimeoutMs = (options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_S) * 1000;
    this.maxRequestSize = options.maxRequestSize;
    this.routePath = options.routePath;
    this.routes = options.routes && options.routes.length > 0 ? options.routes : undefined;
    this.forwarder = this.routes ? new RouteForwarder({ maxFrameSize: this.maxFrameSize }) : undefined;
    // Set Attribute List values carry no length on the wire: the controller knows their sizes.
    this.decodeOptions = { attributeSize: controller.attributeSize };
  }

  private readonly decodeOptions: MessageDecodeOptions;

  accept(socket: Socket): void {
    const connection = new TcpConnection(socket, this);
    this.connections.set(connection.id, connection);
    if (sessionChannel.hasSubscribers) this.publishSession("open", connection);
  }

  forget(connection: TcpConnection): void {
    if (this.connections.get(connection.id) === connection) this.connections.delete(connection.id);
    if (sessionChannel.hasSubscribers) this.publishSession("close", connection);
  }

  close(): void {
    this.forwarder?.close();
  }

  private publishSession(event: SessionEvent["event"], connection: TcpConnection): void {
    const message: SessionEvent = {
      event,
      id: connection.id,
      peer: connection.context.peer ?? "",
      server: this.serverName(),
    };
    sessionChannel.publish(message);
  }

  /** Handles one TCP frame; the reply is delayed by the current `delay.value`. */
  handleTcp(connection: TcpConnection, frame: Uint8Array): Outcome | Promise<Outcome> {
    const outcome = this.handleFrame(connection, frame);
    const seconds = this.delay.value;
    if (!(seconds > 0)) return outcome;
    return Promise.resolve(outcome).then(
      (settled) => new Promise<Outcome>((resolve) => setTimeout(resolve, seconds * 1000, settled)),
    );
  }

  /** Handles one UDP datagram: only the List commands and NOP are served; others get 0x0001. */
  handleUdp(datagram: Uint8Array): Uint8Array | undefined {
    if (datagram.length < ENCAPSULATION_HEADER_SIZE) return undefined;
    if (ENCAPSULATION_HEADER_SIZE + u16(datagram, 2) !== datagram.length) return undefined;
    let frame: EncapsulationFrame;
    try {
      frame = decodeEncapsulation(datagram);
    } catch {
      return undefined;
    }
    switch (frame.body.command) {
      case "nop":
        return undefined;
      case "listIdentity":
      case "listServices":
      case "listInterfaces":
      case "legacy":
        return this.listReply(frame, this.advertisedAddress(undefined));
      default:
        return statusReply(datagram, STATUS.invalidCommand);
    }
  }

  private handleFrame(connection: TcpConnection, frame: Uint8Array): Outcome | Promise<Outcome> {
    const length = u16(frame, 2);
    if (this.maxRequestSize !== undefined && length > this.maxRequestSize)
      return statusReply(frame, STATUS.invalidLength);
    if (u32(frame, 8) !== 0) return statusReply(frame, STATUS.incorrectData);
    let decoded: EncapsulationFrame;
    try {
      decoded = decodeEncapsulation(frame);
    } catch (error) {
      const lengthError = error instanceof CipDecodeError && error.path[0] === "length";
      return statusReply(frame, lengthError ? STATUS.invalidLength : STATUS.incorrectData);
    }
    const body = decoded.body;
    const session = decoded.header.session;
    switch (body.command) {
      case "nop":
        return undefined;
      case "registerSession":
        return this.registerSession(connection, decoded, frame);
      case "unRegisterSession":
        if (connection.session !== 0 && session === connection.session) return CLOSE;
        return statusReply(frame, STATUS.invalidSessionHandle);
      case "listIdentity":
      case "listServices":
      case "listInterfaces":
      case "legacy":
        return this.listReply(decoded, this.advertisedAddress(connection));
      case "sendRRData":
        if (connection.session === 0 || session !== connection.session)
          return statusReply(frame, STATUS.invalidSessionHandle);
        return this.sendRRData(connection, decoded, body.cpf, frame);
      case "sendUnitData":
        if (connection.session === 0 || session !== connection.session)
          return statusReply(frame, STATUS.invalidSessionHandle);
        return this.sendUnitData(connection, decoded, body.cpf, frame);
      default:
        return statusReply(frame, STATUS.invalidCommand);
    }
  }

  private registerSession(
    connection: TcpConnection,
    decoded: EncapsulationFrame,
    frame: Uint8Array,
  ): Outcome {
    const body = decoded.body;
    if (body.command !== "registerSession") return statusReply(frame, STATUS.incorrectData);
    const senderContext = decoded.header.senderContext;
    if (body.protocolVersion !== ENCAPSULATION_VERSION || body.optionFlags !== 0)
      return encodeEncapsulation({
        header: { status: STATUS.unsupportedProtocolRevision, senderContext },
        body: { command: "registerSession", protocolVersion: ENCAPSULATION_VERSION, optionFlags: 0 },
      });
    // One session per TCP connection, as OpENer and Logix enforce.
    if (connection.session !== 0) return statusReply(frame, STATUS.invalidCommand, connection.session);
    let handle = 0;
    while (handle === 0) handle = (Math.random() * 0x100000000) >>> 0;
    connection.session = handle;
    return encodeEncapsulation({
      header: { session: handle, senderContext },
      body: { command: "registerSession", protocolVersion: ENCAPSULATION_VERSION, optionFlags: 0 },
    });
  }

  /** The socket address ListIdentity reports: the address the request arrived on and the bound port. */
  private advertisedAddress(connection: TcpConnection | undefined): { address: string; port: number } {
    const udp = this.udpAddress();
    const port = this.tcpPort() || udp?.port || DEFAULT_PORT;
    let address = connection ? plainAddress(connection.socket.localAddress) : plainAddress(udp?.address);
    if (!isIpv4(address) || address === "0.0.0.0") {
      const configured = this.controller.tcpip?.interfaceConfiguration?.ipAddress;
      address = configured !== undefined && isIpv4(configured) ? configured : "0.0.0.0";
    }
    return { address, port };
  }

  private listReply(decoded: EncapsulationFrame, where: { address: string; port: number }): Uint8Array {
    const command = decoded.body.command;
    const socketAddress = { family: AF_INET, port: where.port, address: where.address };
    let cpf: CpfItem[];
    if (command === "listIdentity") {
      const id = this.controller.identity;
      cpf = [
        {
          kind: "listIdentity",
          protocolVersion: ENCAPSULATION_VERSION,
          socketAddress,
          vendorId: id.vendorId,
          deviceType: id.deviceType,
          productCode: id.productCode,
          revisionMajor: id.revision.major,
          revisionMinor: id.revision.minor,
          status: id.status,
          serialNumber: id.serialNumber,
          productName: id.productName,
          state: id.state ?? 0xff,
        },
      ];
    } else if (command === "listServices")
      cpf = [
        {
          kind: "listServices",
          version: ENCAPSULATION_VERSION,
          capabilityFlags: ListServicesCapability.cipOverTcp,
          name: "Communications",
        },
      ];
    else if (command === "legacy")
      cpf = [{ kind: "legacyReply", version: 1, reserved: 0, socketAddress, ipString: where.address }];
    else cpf = [];
    return encodeEncapsulation({
      header: { session: decoded.header.session, senderContext: decoded.header.senderContext },
      body: { command: command as "listIdentity", cpf },
    });
  }

  private sendRRData(
    connection: TcpConnection,
    decoded: EncapsulationFrame,
    cpf: CpfItem[],
    frame: Uint8Array,
  ): Outcome | Promise<Outcome> {
    const address = cpf[0];
    const item = cpf[1];
    if (cpf.length !== 2 || address?.kind !== "nullAddress" || item?.kind !== "unconnectedData")
      return statusReply(frame, STATUS.incorrectData);
    const senderContext = decoded.header.senderContext;
    let request: CipRequest;
    try {
      request = decodeRequestBytes(item.data, this.decodeOptions);
    } catch (error) {
      const service = item.data.length > 0 ? (item.data[0] as number) : 0;
      return this.encodeRR(connection, senderContext, errorReply(service, decodeFailureStatus(error)));
    }
    const reply = this.execute(connection, request, connection.context);
    if (isPromise(reply)) return reply.then((settled) => this.encodeRR(connection, senderContext, settled));
    return this.encodeRR(connection, senderContext, reply);
  }

  private encodeRR(connection: TcpConnection, senderContext: Uint8Array, reply: CipReply): Uint8Array {
    try {
      return encodeSendRRData({ session: connection.session, senderContext, message: reply });
    } catch (error) {
      return encodeSendRRData({
        session: connection.session,
        senderContext,
        message: errorReply(reply.service, encodeFailureStatus(error)),
      });
    }
  }

  private sendUnitData(
    connection: TcpConnection,
    decoded: EncapsulationFrame,
    cpf: CpfItem[],
    frame: Uint8Array,
  ): Outcome | Promise<Outcome> {
    const address = cpf[0];
    const item = cpf[1];
    if (cpf.length !== 2 || address?.kind !== "connectedAddress" || item?.kind !== "connectedData")
      return statusReply(frame, STATUS.incorrectData);
    const cip = connection.cipConnections.get(address.connectionId);
    // A real adapter ignores class 3 traffic for a connection it does not know; closing tells the client at once.
    if (cip === undefined) return CLOSE;
    const senderContext = decoded.header.senderContext;
    const sequence = item.sequence;
    let request: CipRequest;
    try {
      request = decodeRequestBytes(item.data, this.decodeOptions);
    } catch (error) {
      const service = item.data.length > 0 ? (item.data[0] as number) : 0;
      return this.encodeUnit(
        connection,
        cip,
        sequence,
        senderContext,
        errorReply(service, decodeFailureStatus(error)),
      );
    }
    const reply = this.execute(connection, request, cip.context);
    if (isPromise(reply))
      return reply.then((settled) => this.encodeUnit(connection, cip, sequence, senderContext, settled));
    return this.encodeUnit(connection, cip, sequence, senderContext, reply);
  }

  private encodeUnit(
    connection: TcpConnection,
    cip: CipConnection,
    sequence: number,
    senderContext: Uint8Array,
    reply: CipReply,
  ): Uint8Array {
    const init = {
      session: connection.session,
      connectionId: cip.toId,
      sequence,
      senderContext,
      message: reply,
    };
    try {
      return encodeSendUnitData(init);
    } catch (error) {
      return encodeSendUnitData({ ...init, message: errorReply(reply.service, encodeFailureStatus(error)) });
    }
  }

  /** Executes one CIP request: Connection Manager services here, everything else on the controller. */
  private execute(
    connection: TcpConnection,
    request: CipRequest,
    context: RequestContext,
  ): CipReply | Promise<CipReply> {
    try {
      switch (request.kind) {
        case "unconnectedSend":
          return this.unconnectedSend(connection, request, context);
        case "forwardOpen":
          return this.forwardOpen(connection, request);
        case "forwardClose":
          return this.forwardClose(connection, request);
        default:
          return this.controller.execute(request, context);
      }
    } catch {
      // The controller answers every request with a reply; an exception is a bug there, not the peer's fault.
      return errorReply(request.service, GS.generalError);
    }
  }

  /** Checks the route path, forwards along `routes` when one matches, else executes the embedded request here. */
  private unconnectedSend(
    connection: TcpConnection,
    request: UnconnectedSendRequest<CipRequest>,
    context: RequestContext,
  ): CipReply | Promise<CipReply> {
    const refused = this.refuseRoute(request.routePath);
    if (refused !== 0) return routeError(request, refused);
    const route = this.routes ? findRoute(this.routes, request.routePath) : undefined;
    if (route === undefined || this.forwarder === undefined)
      return this.execute(connection, request.message, context);
    const rest = request.routePath.slice(1);
    const message =
      rest.length > 0
        ? unconnectedSend(request.message, rest, {
            priorityTimeTick: request.priorityTimeTick,
            timeoutTicks: request.timeoutTicks,
          })
        : request.message;
    const timeoutMs = Math.max(1, 2 ** (request.priorityTimeTick & 0x0f) * request.timeoutTicks);
    return this.forwarder.forward(route.host, route.tcpPort, message, timeoutMs).then(
      (reply): CipReply => reply,
      (): CipReply => routeError(request, CM.unconnectedRequestTimedOut),
    );
  }

  /**
   * The extended status refusing `routePath`, or 0 to accept it: a missing segment or another port gives
   * 0x0311 (port not available), another link or more segments 0x0312 (link address not valid).
   */
  private refuseRoute(routePath: EPath): number {
    const accepted = this.routePath;
    if (accepted === undefined) return 0;
    if (accepted === false) return routePath.length === 0 ? 0 : CM.portNotAvailable;
    const want = accepted[0];
    const first = routePath[0];
    if (want === undefined || !("port" in want)) return routePath.length === 0 ? 0 : CM.portNotAvailable;
    if (first === undefined || !("port" in first) || first.port !== want.port) return CM.portNotAvailable;
    if (routePath.length !== 1 || !sameRouteSegment(first, want.port, want.link))
      return CM.linkAddressNotValid;
    return 0;
  }

  private forwardOpen(connection: TcpConnection, request: ForwardOpenRequest): CipReply {
    const large = request.service === 0x5b;
    const fail = (extended: number): CipReply => ({
      kind: "forwardOpenFailure",
      service: large ? 0xdb : 0xd4,
      generalStatus: GS.connectionFailure,
      extStatus: [extended],
      connectionSerial: request.connectionSerial,
      originatorVendor: request.originatorVendor,
      originatorSerial: request.originatorSerial,
      remainingPathWords: 0,
    });
    if ((request.transportClassTrigger & TRANSPORT_CLASS_MASK) !== CLASS_3)
      return fail(CM.transportTriggerNotSupported);
    const ot = decodeNetworkConnectionParameters(request.otParams, large);
    const to = decodeNetworkConnectionParameters(request.toParams, large);
    const usable = (type: number): boolean => type === POINT_TO_POINT || type === MULTICAST;
    if (!usable(ot.connectionType) || !usable(to.connectionType))
      return fail(CM.invalidNetworkConnectionParameter);
    const maxSize = large ? MAX_LARGE_CONNECTION_SIZE : MAX_STANDARD_CONNECTION_SIZE;
    // A connection must carry at least the sequence count and a reply header.
    const minSize = SEQUENCE_COUNT_SIZE + 4;
    if (ot.size < minSize || to.size < minSize || ot.size > maxSize || to.size > maxSize)
      return fail(CM.invalidConnectionSize);
    // The target of a class 3 connection is the Message Router (Logix); port segments (the route) are skipped.
    const logical = request.connectionPath.filter((segment) => !("port" in segment) && !("key" in segment));
    const first = logical[0];
    const second = logical[1];
    const routerTarget =
      first !== undefined &&
      "class" in first &&
      first.class === MESSAGE_ROUTER_CLASS &&
      (second === undefined || ("instance" in second && second.instance === 1)) &&
      logical.length <= 2;
    if (!routerTarget) return fail(CM.invalidSegmentInPath);
    const path = formatEPath(request.connectionPath);
    const existing = this.findConnection(connection, request);
    if (existing !== undefined) {
      const same =
        existing.service === request.service &&
        existing.otParams === request.otParams &&
        existing.toParams === request.toParams &&
        existing.otRpiUs === request.otRpiUs &&
        existing.toRpiUs === request.toRpiUs &&
        existing.transportClassTrigger === request.transportClassTrigger &&
        existing.path === path;
      if (!same) return fail(CM.connectionInUse);
      return this.forwardOpenReply(request, existing);
    }
    if (connection.cipConnections.size >= MAX_CIP_CONNECTIONS) return fail(CM.outOfConnections);
    // The consumer picks the id of what it consumes: we pick O→T; T→O is the originator's unless multicast.
    const otId =
      ot.connectionType === POINT_TO_POINT ? this.newConnectionId(connection) : request.otConnectionId;
    const toId = to.connectionType === MULTICAST ? this.newConnectionId(connection) : request.toConnectionId;
    const cip: CipConnection = {
      otId,
      toId,
      connectionSerial: request.connectionSerial,
      originatorVendor: request.originatorVendor,
      originatorSerial: request.originatorSerial,
      service: request.service,
      otParams: request.otParams,
      toParams: request.toParams,
      otRpiUs: request.otRpiUs,
      toRpiUs: request.toRpiUs,
      transportClassTrigger: request.transportClassTrigger,
      path,
      // The reply travels after the 2-byte sequence count inside the connection's T→O size.
      context: { peer: connection.context.peer, connected: true, replyLimit: to.size - SEQUENCE_COUNT_SIZE },
    };
    if (connection.cipConnections.has(otId)) return fail(CM.connectionInUse);
    connection.cipConnections.set(otId, cip);
    return this.forwardOpenReply(request, cip);
  }

  private forwardOpenReply(request: ForwardOpenRequest, cip: CipConnection): CipReply {
    return {
      kind: "forwardOpen",
      service: request.service === 0x5b ? 0xdb : 0xd4,
      generalStatus: 0,
      extStatus: [],
      otConnectionId: cip.otId,
      toConnectionId: cip.toId,
      connectionSerial: cip.connectionSerial,
      originatorVendor: cip.originatorVendor,
      originatorSerial: cip.originatorSerial,
      otApiUs: cip.otRpiUs,
      toApiUs: cip.toRpiUs,
      applicationReply: EMPTY,
    };
  }

  private newConnectionId(connection: TcpConnection): number {
    for (;;) {
      const id = (Math.random() * 0x100000000) >>> 0;
      if (id !== 0 && !connection.cipConnections.has(id)) return id;
    }
  }

  private findConnection(
    connection: TcpConnection,
    triple: { connectionSerial: number; originatorVendor: number; originatorSerial: number },
  ): CipConnection | undefined {
    for (const cip of connection.cipConnections.values())
      if (
        cip.connectionSerial === triple.connectionSerial &&
        cip.originatorVendor === triple.originatorVendor &&
        cip.originatorSerial === triple.originatorSerial
      )
        return cip;
    return undefined;
  }

  private forwardClose(connection: TcpConnection, request: ForwardCloseRequest): CipReply {
    const cip = this.findConnection(connection, request);
    if (cip === undefined)
      return {
        kind: "forwardCloseFailure",
        service: 0xce,
        generalStatus: GS.connectionFailure,
        extStatus: [CM.connectionNotFound],
        connectionSerial: request.connectionSerial,
        originatorVendor: request.originatorVendor,
        originatorSerial: request.originatorSerial,
        remainingPathWords: 0,
      };
    connection.cipConnections.delete(cip.otId);
    return {
      kind: "forwardClose",
      service: 0xce,
      generalStatus: 0,
      extStatus: [],
      connectionSerial: request.connectionSerial,
      originatorVendor: request.originatorVendor,
      originatorSerial: request.originatorSerial,
      applicationReply: EMPTY,
    };
  }
}

/** Status of a reply that cannot be encoded: too large for the frame (0x11), or a bad value (0xFF). */
function encodeFailureStatus(error: unknown): number {
  return error instanceof CipEncodeError && /exceeds|more than/.test(error.message)
    ? GS.replyDataTooLarge
    : GS.generalError;
}

function checkOptions(options: ServerOptions): void {
  if (typeof options !== "object" || options === null)
    throw new InvalidArgumentError('"options" must be an object with a "controller"');
  const c = options.controller as Partial<Controller> | undefined;
  if (typeof c?.execute !== "function") throw new InvalidArgumentError('"controller" must be a Controller');
  const integer = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      throw new InvalidArgumentError(`"${name}" must be an integer from ${min} to ${max}, got ${value}`);
  };
  const seconds = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isFinite(value) || value < 0))
      throw new InvalidArgumentError(`"${name}" must be a number of seconds >= 0, got ${value}`);
  };
  integer("port", options.port, 0, 0xffff);
  integer("maxRequestSize", options.maxRequestSize, 0, MAX_ENCAPSULATION_LENGTH);
  integer("maxConnections", options.maxConnections, 1, 1_000_000);
  integer(
    "maxFrameSize",
    options.maxFrameSize,
    ENCAPSULATION_HEADER_SIZE,
    MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE,
  );
  integer("maxPendingRequests", options.maxPendingRequests, 1, 1_000_000);
  seconds("idleTimeout", options.idleTimeout);
  seconds("closeTimeout", options.closeTimeout);
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === ""))
    throw new InvalidArgumentError('"host" must be an address such as "0.0.0.0" or "127.0.0.1"');
  if (options.tcp === false && options.udp === false)
    throw new InvalidArgumentError('"tcp" and "udp" are both false: enable at least one');
  const delay = options.delay;
  if (typeof delay === "number") seconds("delay", delay);
  else if (delay !== undefined) checkDelayRange(delay);
  const rp = options.routePath;
  if (rp !== undefined && rp !== false) {
    const only = rp[0];
    if (!Array.isArray(rp) || rp.length > 1 || (only !== undefined && !("port" in only)))
      throw new InvalidArgumentError(
        '"routePath" must be one port segment such as [{ port: 1, link: 0 }], or false',
      );
  }
  if (options.routes !== undefined && !Array.isArray(options.routes))
    throw new InvalidArgumentError('"routes" must be a RouteTable (see parseRouteTable)');
}

/**
 * An EtherNet/IP server for one `Controller`: TCP (sessions, unconnected and connected messaging) and
 * UDP (the List commands) on one address. Start it with `EnipServer.start`, stop it with `close()`.
 */
export class EnipServer {
  /** The controller that executes every request. */
  readonly controller: Controller;
  /** The delay before each TCP reply; change `value` or `range` at any time. */
  readonly delay = new ReplyDelay();
  /** Resolves once `close()` has finished (all connections and sockets closed). */
  readonly closed: Promise<void>;
  private tcpServer: Server | undefined;
  private udpSocket: UdpSocket | undefined;
  private tcpBound: AddressInfo | undefined;
  private udpBound: AddressInfo | undefined;
  private readonly engine: Engine;
  private readonly host: string;
  private readonly options: ServerOptions;
  private isDisabled = false;
  private closing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  private readonly onAbort = (): void => {
    void this.close();
  };

  private constructor(options: ServerOptions) {
    this.options = options;
    this.controller = options.controller;
    this.host = options.host ?? "0.0.0.0";
    const delay = options.delay;
    if (typeof delay === "number") this.delay.value = delay;
    else if (delay !== undefined) this.delay.range = delay;
    this.engine = new Engine(
      options.controller,
      this.delay,
      options,
      () => this.tcpBound?.port ?? 0,
      () => this.udpBound,
      () => (this.tcpBound ? `${this.tcpBound.address}:${this.tcpBound.port}` : ""),
    );
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Binds TCP and UDP on `host`:`port` and starts serving. Rejects with `InvalidArgumentError` for bad
   * options, with the socket error (e.g. EADDRINUSE) when the address cannot be bound, and with
   * `signal.reason` when the signal is already aborted.
   */
  static async start(options: ServerOptions): Promise<EnipServer> {
    checkOptions(options);
    options.signal?.throwIfAborted();
    const server = new EnipServer(options);
    try {
      await server.bind(options.port ?? DEFAULT_PORT);
    } catch (error) {
      server.delay.stop();
      throw error;
    }
    options.signal?.addEventListener("abort", server.onAbort, { once: true });
    return server;
  }

  /** The bound TCP address, or undefined when TCP is off (or the server is disabled or closed). */
  get tcpAddress(): AddressInfo | undefined {
    return this.tcpBound;
  }

  /** The bound UDP address, or undefined when UDP is off (or the server is disabled or closed). */
  get udpAddress(): AddressInfo | undefined {
    return this.udpBound;
  }

  /** True while `setDisabled(true)` holds the server closed. */
  get disabled(): boolean {
    return this.isDisabled;
  }

  /** The open TCP connections and their counters. */
  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const connection of this.engine.connections.values()) out.push(connection.info());
    return out;
  }

  /** Ends the TCP connection `id` (as in `ConnectionInfo.id`) after answering what it sent; false when there is none. */
  endConnection(id: string): boolean {
    const connection = this.engine.connections.get(id);
    if (connection === undefined) return false;
    connection.end(false);
    return true;
  }

  /**
   * `true` closes the listeners and every connection at once (cpppo's `server/control/disable`);
   * `false` binds the same TCP and UDP ports again. Does nothing when already in that state or closed.
   */
  setDisabled(disabled: boolean): Promise<void> {
    // Changes run one after another, so a quick true/false pair cannot bind before the unbind is done.
    const run = async (): Promise<void> => {
      if (this.closing !== undefined || disabled === this.isDisabled) return;
      this.isDisabled = disabled;
      if (disabled) {
        this.reopenPort = this.tcpBound?.port ?? this.udpBound?.port ?? 0;
        for (const connection of this.engine.connections.values()) connection.destroy();
        await this.unbind();
        return;
      }
      await this.bind(this.reopenPort, false);
    };
    const next = this.control.then(run, run);
    this.control = next.catch(() => undefined);
    return next;
  }

  private control: Promise<unknown> = Promise.resolve();
  private reopenPort = 0;

  /**
   * Stops accepting, answers the requests already received, half-closes every connection (destroying
   * those still open after `closeTimeout`), and closes UDP. Idempotent; resolves when all is closed.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.closing = (async () => {
      await this.control;
      this.delay.stop();
      const tcpServer = this.tcpServer;
      const serverClosed = tcpServer
        ? new Promise<void>((resolve) => tcpServer.close(() => resolve()))
        : undefined;
      this.tcpServer = undefined;
      const pending: Promise<void>[] = [];
      for (const connection of this.engine.connections.values()) {
        connection.end(false);
        pending.push(connection.closed);
      }
      await Promise.all(pending);
      await serverClosed;
      await this.closeUdp();
      this.engine.close();
      this.tcpBound = undefined;
      this.udpBound = undefined;
      this.resolveClosed();
    })();
    return this.closing;
  }

  /** Binds TCP then UDP on the port TCP got; with port 0, retries until a port is free for both. */
  private async bind(port: number, retry = true): Promise<void> {
    const tcp = this.options.tcp !== false;
    const udp = this.options.udp !== false;
    for (let attempt = 1; ; attempt++) {
      let bound = port;
      if (tcp) bound = await this.listenTcp(port);
      if (!udp) return;
      try {
        await this.bindUdp(bound);
        return;
      } catch (error) {
        const busy = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (!(busy && port === 0 && tcp && retry && attempt < BIND_ATTEMPTS)) {
          await this.unbind();
          throw error;
        }
        await this.unbind();
      }
    }
  }

  private listenTcp(port: number): Promise<number> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.closing !== undefined || this.isDisabled) socket.destroy();
      else this.engine.accept(socket);
    });
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    return new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: this.host }, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        this.tcpServer = server;
        this.tcpBound = server.address() as AddressInfo;
        resolve(this.tcpBound.port);
      });
    });
  }

  private bindUdp(port: number): Promise<void> {
    const socket = createSocket({ type: this.host.includes(":") ? "udp6" : "udp4" });
    socket.on("message", (message: Buffer, remote: RemoteInfo) => this.onDatagram(socket, message, remote));
    return new Promise<void>((resolve, reject) => {
      socket.once("error", (error) => {
        socket.close();
        reject(error);
      });
      socket.bind({ port, address: this.host }, () => {
        socket.removeAllListeners("error");
        socket.on("error", () => undefined);
        this.udpSocket = socket;
        this.udpBound = socket.address();
        resolve();
      });
    });
  }

  private onDatagram(socket: UdpSocket, message: Buffer, remote: RemoteInfo): void {
    if (this.closing !== undefined || this.isDisabled) return;
    let reply: Uint8Array | undefined;
    try {
      reply = this.engine.handleUdp(message);
    } catch {
      return;
    }
    if (reply !== undefined) socket.send(reply, remote.port, remote.address, () => undefined);
    if (requestChannel.hasSubscribers && message.length >= ENCAPSULATION_HEADER_SIZE) {
      const event: RequestEvent = {
        id: "udp",
        peer: `${remote.address}:${remote.port}`,
        command: u16(message, 0),
        request: message,
        reply,
      };
      requestChannel.publish(event);
    }
  }

  private async unbind(): Promise<void> {
    const server = this.tcpServer;
    this.tcpServer = undefined;
    this.tcpBound = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.closeUdp();
  }

  private closeUdp(): Promise<void> {
    const socket = this.udpSocket;
    this.udpSocket = undefined;
    this.udpBound = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
