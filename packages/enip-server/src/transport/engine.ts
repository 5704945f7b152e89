/** The protocol engine: dispatches each encapsulation command and each CIP request to its handler. */
import type { AddressInfo, Socket } from "node:net";
import {
  CipDecodeError,
  type CipReply,
  type CipRequest,
  decodeEncapsulation,
  ENCAPSULATION_HEADER_SIZE,
  type EncapsulationFrame,
  type EPath,
  MAX_ENCAPSULATION_LENGTH,
  type MessageDecodeOptions,
} from "@cpppo/cip-codec";
import type { Controller, RequestContext } from "../controller/controller.js";
import { type SessionEvent, sessionChannel } from "../core/diagnostics.js";
import { forwardClose, forwardOpen, sendUnitData } from "./connections.js";
import { RouteForwarder, type RouteTable } from "./forward.js";
import { advertisedAddress, listReply } from "./list-services.js";
import {
  DEFAULT_CLOSE_TIMEOUT_S,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CIP_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PENDING,
  DEFAULT_PARTIAL_FRAME_TIMEOUT_S,
  type ReplyDelay,
  type ServerOptions,
} from "./options.js";
import { ReadLane } from "./read-lane.js";
import { registerSession, unRegisterSession } from "./session.js";
import { TcpConnection } from "./tcp-connection.js";
import { sendRRData, unconnectedSend } from "./unconnected.js";
import { errorReply, GS, type Outcome, STATUS, statusReply, u16, u32 } from "./wire.js";

/** The protocol: what each encapsulation command and CIP request gets, shared by TCP and UDP. */
export class Engine {
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  readonly partialTimeoutMs: number;
  readonly maxPending: number;
  readonly maxConnections: number;
  /** Most class 3 connections, all TCP connections together. */
  readonly maxCipConnections: number;
  /** Class 3 connections open now, all TCP connections together. */
  cipConnectionCount = 0;
  /** Budget of bytes reserved by partial frames, all connections together. */
  readonly maxBuffered: number;
  /** Bytes reserved by partial frames now, all connections together. */
  buffered = 0;
  /** Connections holding a partial frame. */
  readonly partials = new Set<TcpConnection>();
  readonly closeTimeoutMs: number;
  readonly connections = new Map<string, TcpConnection>();
  private readonly maxRequestSize: number | undefined;
  /** Route paths accepted in Unconnected Send (`ServerOptions.routePath`). */
  readonly routePath: EPath | false | undefined;
  /** The `[UCMM] Route` table, or undefined when it is empty. */
  readonly routes: RouteTable | undefined;
  /** Forwards routed requests; present only when there are `routes`. */
  readonly forwarder: RouteForwarder | undefined;

  constructor(
    readonly controller: Controller,
    readonly delay: ReplyDelay,
    options: ServerOptions,
    readonly tcpPort: () => number,
    readonly udpAddress: () => AddressInfo | undefined,
    private readonly serverName: () => string,
  ) {
    this.maxFrameSize = options.maxFrameSize ?? MAX_ENCAPSULATION_LENGTH + ENCAPSULATION_HEADER_SIZE;
    this.idleTimeoutMs = (options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S) * 1000;
    this.partialTimeoutMs = (options.partialFrameTimeout ?? DEFAULT_PARTIAL_FRAME_TIMEOUT_S) * 1000;
    this.maxPending = options.maxPendingRequests ?? DEFAULT_MAX_PENDING;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxCipConnections = options.maxCipConnections ?? DEFAULT_MAX_CIP_CONNECTIONS;
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.closeTimeoutMs = (options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_S) * 1000;
    this.maxRequestSize = options.maxRequestSize;
    this.routePath = options.routePath;
    this.routes = options.routes && options.routes.length > 0 ? options.routes : undefined;
    this.forwarder = this.routes ? new RouteForwarder({ maxFrameSize: this.maxFrameSize }) : undefined;
    // Set Attribute List values carry no length on the wire: the controller knows their sizes.
    this.decodeOptions = { attributeSize: controller.attributeSize };
    this.lane = ReadLane.of(this);
  }

  /** Answers repeated Read Tag requests without decoding them (see read-lane.ts); undefined for a custom controller. */
  readonly lane: ReadLane | undefined;

  /** How CIP requests are decoded (made once, reused). */
  readonly decodeOptions: MessageDecodeOptions;

  accept(socket: Socket): void {
    if (this.connections.size >= this.maxConnections && !this.evictIdle()) {
      socket.destroy();
      return;
    }
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

  /**
   * Makes room for a new connection at the cap: closes the longest-idle connection that never registered a
   * session, holds no class 3 connection and has no request being answered, preferring one that never sent a
   * byte; false when there is none.
   */
  private evictIdle(): boolean {
    let victim: TcpConnection | undefined;
    for (const c of this.connections.values()) {
      if (!c.evictable()) continue;
      if (
        victim === undefined ||
        (c.received === 0 && victim.received !== 0) ||
        ((c.received === 0) === (victim.received === 0) && c.lastActivity < victim.lastActivity)
      )
        victim = c;
    }
    if (victim === undefined) return false;
    this.connections.delete(victim.id);
    victim.destroy();
    return true;
  }

  /** A connection's partial frame now reserves `delta` more bytes; over the budget, drops the longest-stalled holders. */
  reserve(connection: TcpConnection, delta: number): void {
    this.buffered += delta;
    if (connection.reserved > 0) this.partials.add(connection);
    else this.partials.delete(connection);
    while (this.buffered > this.maxBuffered && this.partials.size > 0) {
      let stalled: TcpConnection | undefined;
      for (const c of this.partials)
        if (stalled === undefined || c.partialSince < stalled.partialSince) stalled = c;
      (stalled as TcpConnection).destroy();
    }
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

  private handleFrame(connection: TcpConnection, frame: Uint8Array): Outcome | Promise<Outcome> {
    const length = u16(frame, 2);
    if (this.maxRequestSize !== undefined && length > this.maxRequestSize)
      return statusReply(frame, STATUS.invalidLength);
    if (u32(frame, 8) !== 0) return statusReply(frame, STATUS.incorrectData);
    const fast = this.lane?.answer(connection, frame);
    if (fast !== undefined) return fast;
    // The general path cuts many fields from the frame: from a plain Uint8Array, not from the socket's Buffer
    // (TcpConnection.onData passes a one-frame chunk as it is; see there).
    if (frame instanceof Buffer) frame = new Uint8Array(frame.buffer, frame.byteOffset, frame.length);
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
        return registerSession(connection, decoded, frame);
      case "unRegisterSession":
        return unRegisterSession(connection, session, frame);
      case "listIdentity":
      case "listServices":
      case "listInterfaces":
      case "legacy":
        return listReply(this.controller, decoded, advertisedAddress(this, connection));
      case "sendRRData":
        if (connection.session === 0 || session !== connection.session)
          return statusReply(frame, STATUS.invalidSessionHandle);
        return sendRRData(this, connection, decoded, body.cpf, frame);
      case "sendUnitData":
        if (connection.session === 0 || session !== connection.session)
          return statusReply(frame, STATUS.invalidSessionHandle);
        return sendUnitData(this, connection, decoded, body.cpf, frame);
      default:
        return statusReply(frame, STATUS.invalidCommand);
    }
  }

  /** Executes one CIP request: Connection Manager services here, everything else on the controller. */
  execute(
    connection: TcpConnection,
    request: CipRequest,
    context: RequestContext,
  ): CipReply | Promise<CipReply> {
    try {
      switch (request.kind) {
        case "unconnectedSend":
          return unconnectedSend(this, connection, request, context);
        case "forwardOpen":
          return forwardOpen(this, connection, request);
        case "forwardClose":
          return forwardClose(this, connection, request);
        default:
          return this.controller.execute(request, context);
      }
    } catch {
      // The controller answers every request with a reply; an exception is a bug there, not the peer's fault.
      return errorReply(request.service, GS.generalError);
    }
  }
}
